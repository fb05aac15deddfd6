/** Plain records of plans, groups and their lines, and their row mappers. */
import type { FulfillmentMethodValue as FulfillmentMethod } from '../common/types';
import type { ExclusionReason, PlanAlternative } from '../sourcing/planner';
import type { FulfillmentStatusValue } from './state-machine';
import { currencyOf } from '../orders/records';

export interface ExplanationData {
  provenOptimal: boolean;
  objective: number;
  alternatives: PlanAlternative[];
  excluded: { locationId: string; reason: ExclusionReason }[];
  ruleId: string;
  ruleVersion: number;
  groups?: { locationId: string; cost: number; distanceKm: number }[];
}

export interface PlanRecord {
  id: string;
  orderId: string;
  version: number;
  active: boolean;
  ruleId: string | null;
  ruleVersion: number | null;
  shipmentCount: number;
  estimatedCost: string;
  totalDistanceKm: number;
  explanation: ExplanationData;
  currencyCode: string;
  createdAt: Date;
}

export const PLAN_COLUMNS =
  `p.id, p.order_id, p.version, p.active, p.rule_id, p.rule_version, p.shipment_count, p.estimated_cost, p.total_distance_km, p.explanation, ${currencyOf('p')}, p.created_at`;
export const PLAN_FROM = 'fulfillment_plans p';

export interface PlanRow {
  id: string; order_id: string; version: number; active: boolean; rule_id: string | null; rule_version: number | null;
  shipment_count: number; estimated_cost: string; total_distance_km: number; explanation: ExplanationData; currency_code: string; created_at: Date;
}

export function toPlan(r: PlanRow): PlanRecord {
  return {
    id: r.id, orderId: r.order_id, version: r.version, active: r.active, ruleId: r.rule_id, ruleVersion: r.rule_version,
    shipmentCount: r.shipment_count, estimatedCost: r.estimated_cost, totalDistanceKm: r.total_distance_km,
    explanation: r.explanation, currencyCode: r.currency_code, createdAt: r.created_at,
  };
}

export interface TrackingData {
  carrier: string;
  number: string;
  url?: string | null;
}

export interface GroupRecord {
  id: string;
  planId: string;
  orderId: string;
  locationId: string;
  method: FulfillmentMethod;
  status: FulfillmentStatusValue;
  tracking: TrackingData | null;
  estimatedCost: string;
  distanceKm: number;
  promisedBy: Date | null;
  version: number;
  currencyCode: string;
  createdAt: Date;
  updatedAt: Date;
}

export const GROUP_COLUMNS =
  `g.id, g.plan_id, g.order_id, g.location_id, g.method, g.status, g.tracking, g.estimated_cost, g.distance_km, g.promised_by, g.version, ${currencyOf('g')}, g.created_at, g.updated_at`;
export const GROUP_FROM = 'fulfillment_groups g';

export interface GroupRow {
  id: string; plan_id: string; order_id: string; location_id: string; method: string; status: string; tracking: TrackingData | null;
  estimated_cost: string; distance_km: number; promised_by: Date | null; version: number; currency_code: string; created_at: Date; updated_at: Date;
}

export function toGroup(r: GroupRow): GroupRecord {
  return {
    id: r.id, planId: r.plan_id, orderId: r.order_id, locationId: r.location_id, method: r.method as FulfillmentMethod,
    status: r.status as FulfillmentStatusValue, tracking: r.tracking, estimatedCost: r.estimated_cost, distanceKm: r.distance_km,
    promisedBy: r.promised_by, version: r.version, currencyCode: r.currency_code, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export interface PlanLineRecord {
  orderLineId: string;
  sku: string;
  quantity: number;
}
