/**
 * The sourcing planner: a pure function (request, candidates, rule) -> plan, no I/O.
 *
 * It filters the candidates (active, method, rule location types, distance, exclusions,
 * remaining daily capacity, stock) and records why each one left, then asks the optimizer
 * (optimizer.ts) for the plan that fills as many units as stock allows at the least cost
 * under the rule, within its maximum number of shipments, or from one location only when
 * the order ships complete. What no location can take is unallocated and follows the rule's
 * fallback. Every plan carries its cost, the next-best plans found, and whether optimality
 * was proven (false only when the search hit its node limit).
 */
import { haversineKm, type GeoPoint } from '../common/geo';
import type { FulfillmentMethodValue as FulfillmentMethod, LocationTypeValue as LocationType } from '../common/types';
import type { RuleRecord } from './rules';
import { optimize, type OptCandidate, type OptSolution } from './optimizer';

export interface PlanRequestLine {
  orderLineId: string;
  sku: string;
  quantity: number;
}

export interface PlanRequest {
  method: FulfillmentMethod;
  /** Where the goods go: the address's geo, or the pickup location's. Null: distances count as 0. */
  destination: GeoPoint | null;
  /** PICKUP: the only location that may fulfil. */
  pickupLocationId: string | null;
  lines: PlanRequestLine[];
  shipComplete: boolean;
  excludeLocationIds?: string[];
}

export interface CandidateLocation {
  id: string;
  code: string;
  type: LocationType;
  geo: GeoPoint;
  methods: FulfillmentMethod[];
  active: boolean;
  priority: number;
  dailyCapacity: number | null;
  /** Groups already assigned to it today (UTC), for daily capacity. */
  groupsToday: number;
  /** Per SKU: on hand, reserved and safety stock. */
  stock: Map<string, { onHand: number; reserved: number; safetyStock: number }>;
}

export type ExclusionReason = 'NO_STOCK' | 'CAPACITY' | 'DISTANCE' | 'METHOD' | 'EXCLUDED' | 'INACTIVE';

export interface PlannedGroup {
  locationId: string;
  lines: PlanRequestLine[];
  distanceKm: number;
  cost: number;
}

export interface PlanAlternative {
  locationIds: string[];
  objective: number;
  shipmentCount: number;
}

export interface Plan {
  groups: PlannedGroup[];
  unallocated: PlanRequestLine[];
  shipmentCount: number;
  totalDistanceKm: number;
  objective: number;
  provenOptimal: boolean;
  alternatives: PlanAlternative[];
  excluded: { locationId: string; reason: ExclusionReason }[];
  ruleId: string;
  ruleVersion: number;
}

/** Cost of one group under the rule: per shipment and per unit, each with a per-km part, less the priority bonus. */
export function groupCost(rule: RuleRecord, units: number, km: number, priority: number): number {
  return fixedCost(rule, km, priority) + units * (rule.cost.perUnit + rule.cost.perUnitKm * km);
}

function availableAt(c: CandidateLocation, sku: string, useSafetyStock: boolean): number {
  const s = c.stock.get(sku);
  if (!s) return 0;
  return Math.max(0, s.onHand - s.reserved - (useSafetyStock ? 0 : s.safetyStock));
}

const round = (n: number, digits = 4): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** The fixed part of a group's cost: per shipment and per shipment-km, less the priority bonus. */
export function fixedCost(rule: RuleRecord, km: number, priority: number): number {
  return rule.cost.perShipment + rule.cost.perShipmentKm * km - rule.cost.priorityWeight * priority;
}

export interface Eligible {
  c: CandidateLocation;
  km: number;
  /** Units it can ship of each request line (capped at the line's quantity). */
  available: number[];
}

/** The candidates that may serve this request under the rule (nearest first), and why the others may not. */
export function eligibleCandidates(request: PlanRequest, candidates: CandidateLocation[], rule: RuleRecord): { eligible: Eligible[]; excluded: Plan['excluded'] } {
  const useSafety = rule.constraints.useSafetyStock;
  const excludedIds = new Set([...rule.candidates.excludeLocationIds, ...(request.excludeLocationIds ?? [])]);
  const excluded: Plan['excluded'] = [];
  const eligible: Eligible[] = [];

  for (const c of candidates) {
    if (request.pickupLocationId !== null && c.id !== request.pickupLocationId) continue; // not a candidate at all
    const km = request.destination ? haversineKm(c.geo, request.destination) : 0;
    let reason: ExclusionReason | null = null;
    let available: number[] = [];
    if (excludedIds.has(c.id)) reason = 'EXCLUDED';
    else if (!c.active) reason = 'INACTIVE';
    else if (!c.methods.includes(request.method)) reason = 'METHOD';
    // A location type the rule leaves out is excluded by the rule.
    else if (rule.candidates.locationTypes.length > 0 && !rule.candidates.locationTypes.includes(c.type)) reason = 'EXCLUDED';
    // A distance limit with an unknown destination cannot be honoured: nothing is within it.
    else if (request.pickupLocationId === null && rule.candidates.maxDistanceKm !== null && (!request.destination || km > rule.candidates.maxDistanceKm)) reason = 'DISTANCE';
    else if (rule.constraints.respectCapacity && c.dailyCapacity !== null && c.groupsToday >= c.dailyCapacity) reason = 'CAPACITY';
    else {
      available = request.lines.map((l) => Math.min(l.quantity, availableAt(c, l.sku, useSafety)));
      if (!available.some((a) => a > 0)) reason = 'NO_STOCK';
    }
    if (reason) excluded.push({ locationId: c.id, reason });
    else eligible.push({ c, km, available });
  }

  eligible.sort((a, b) => a.km - b.km || b.c.priority - a.c.priority || a.c.code.localeCompare(b.c.code));
  return { eligible, excluded };
}

/** Units of a SKU a candidate can promise under the rule (safety stock kept back unless it may be used). */
export function availableFor(rule: RuleRecord, c: CandidateLocation, sku: string): number {
  return availableAt(c, sku, rule.constraints.useSafetyStock);
}

export function planSourcing(request: PlanRequest, candidates: CandidateLocation[], rule: RuleRecord, opts: { maxNodes?: number } = {}): Plan {
  const { eligible, excluded } = eligibleCandidates(request, candidates, rule);

  const cands: OptCandidate[] = eligible.map((e) => ({
    fixed: fixedCost(rule, e.km, e.c.priority),
    perUnit: rule.cost.perUnit + rule.cost.perUnitKm * e.km,
    available: e.available,
    key: e.c.code,
  }));
  const result = optimize(request.lines, cands, { maxLocations: rule.constraints.maxShipments, shipComplete: request.shipComplete, maxNodes: opts.maxNodes });
  const toGroups = (sol: OptSolution): PlannedGroup[] =>
    [...sol.allocation.entries()]
      .map(([i, take]) => {
        const e = eligible[i];
        const lines = request.lines.map((l, j) => ({ ...l, quantity: take[j] })).filter((l) => l.quantity > 0);
        const units = lines.reduce((n, l) => n + l.quantity, 0);
        return { locationId: e.c.id, lines, distanceKm: round(e.km, 3), cost: round(groupCost(rule, units, e.km, e.c.priority)), order: i };
      })
      .sort((a, b) => a.order - b.order)
      .map(({ order: _order, ...g }) => g);
  const groups = toGroups(result.best);
  const remaining = new Map(request.lines.map((l) => [l.orderLineId, l.quantity]));
  for (const g of groups) for (const l of g.lines) remaining.set(l.orderLineId, remaining.get(l.orderLineId)! - l.quantity);

  const unallocated = request.lines
    .map((l) => ({ ...l, quantity: remaining.get(l.orderLineId) ?? 0 }))
    .filter((l) => l.quantity > 0);

  const alternatives = result.alternatives.map((sol) => {
    const gs = toGroups(sol);
    return { locationIds: gs.map((g) => g.locationId), objective: round(sol.cost), shipmentCount: gs.length };
  });

  return {
    groups,
    unallocated,
    shipmentCount: groups.length,
    totalDistanceKm: round(groups.reduce((n, g) => n + g.distanceKm, 0), 3),
    objective: round(groups.reduce((n, g) => n + g.cost, 0)),
    provenOptimal: result.provenOptimal,
    alternatives,
    excluded,
    ruleId: rule.id,
    ruleVersion: rule.version,
  };
}
