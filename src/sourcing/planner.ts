/**
 * The sourcing planner: a pure function (request, candidates, rule) -> plan, no I/O.
 *
 * This first planner filters the candidates (active, method, rule location types, distance,
 * exclusions, remaining daily capacity, stock), then takes the nearest single location that
 * can ship every line; failing that, it covers the order greedily with the fewest locations
 * it can find (most units first, nearest on ties). What no location can take is unallocated
 * and follows the rule's fallback. Every plan carries its cost under the rule's cost model
 * and says which candidates were excluded and why. The optimising engine replaces the choice
 * step behind this same signature; `provenOptimal` stays false until then.
 */
import { haversineKm, type GeoPoint } from '../common/geo';
import type { FulfillmentMethodValue as FulfillmentMethod, LocationTypeValue as LocationType } from '../common/types';
import type { RuleRecord } from './rules';

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
  const c = rule.cost;
  return c.perShipment + c.perShipmentKm * km + units * (c.perUnit + c.perUnitKm * km) - c.priorityWeight * priority;
}

function availableAt(c: CandidateLocation, sku: string, useSafetyStock: boolean): number {
  const s = c.stock.get(sku);
  if (!s) return 0;
  return Math.max(0, s.onHand - s.reserved - (useSafetyStock ? 0 : s.safetyStock));
}

const round = (n: number, digits = 4): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function planSourcing(request: PlanRequest, candidates: CandidateLocation[], rule: RuleRecord): Plan {
  const useSafety = rule.constraints.useSafetyStock;
  const excludedIds = new Set([...rule.candidates.excludeLocationIds, ...(request.excludeLocationIds ?? [])]);
  const excluded: Plan['excluded'] = [];
  const eligible: { c: CandidateLocation; km: number }[] = [];

  for (const c of candidates) {
    const km = request.destination ? haversineKm(c.geo, request.destination) : 0;
    let reason: ExclusionReason | null = null;
    if (request.pickupLocationId !== null && c.id !== request.pickupLocationId) continue; // not a candidate at all
    if (excludedIds.has(c.id)) reason = 'EXCLUDED';
    else if (!c.active) reason = 'INACTIVE';
    else if (!c.methods.includes(request.method)) reason = 'METHOD';
    else if (rule.candidates.locationTypes.length > 0 && !rule.candidates.locationTypes.includes(c.type)) reason = 'METHOD';
    // A distance limit with an unknown destination cannot be honoured: nothing is within it.
    else if (request.pickupLocationId === null && rule.candidates.maxDistanceKm !== null && (!request.destination || km > rule.candidates.maxDistanceKm)) reason = 'DISTANCE';
    else if (rule.constraints.respectCapacity && c.dailyCapacity !== null && c.groupsToday >= c.dailyCapacity) reason = 'CAPACITY';
    else if (!request.lines.some((l) => availableAt(c, l.sku, useSafety) > 0)) reason = 'NO_STOCK';
    if (reason) excluded.push({ locationId: c.id, reason });
    else eligible.push({ c, km });
  }

  const nearest = (a: { c: CandidateLocation; km: number }, b: { c: CandidateLocation; km: number }) =>
    a.km - b.km || b.c.priority - a.c.priority || a.c.code.localeCompare(b.c.code);
  eligible.sort(nearest);

  const covers = (e: { c: CandidateLocation }) => request.lines.every((l) => availableAt(e.c, l.sku, useSafety) >= l.quantity);
  const complete = eligible.filter(covers);

  const groups: PlannedGroup[] = [];
  const remaining = new Map(request.lines.map((l) => [l.orderLineId, l.quantity]));
  const toGroup = (e: { c: CandidateLocation; km: number }, lines: PlanRequestLine[]): PlannedGroup => {
    const units = lines.reduce((n, l) => n + l.quantity, 0);
    return { locationId: e.c.id, lines, distanceKm: round(e.km, 3), cost: round(groupCost(rule, units, e.km, e.c.priority)) };
  };

  if (complete.length > 0) {
    groups.push(toGroup(complete[0], request.lines.map((l) => ({ ...l }))));
    remaining.clear();
  } else if (!request.shipComplete) {
    const pool = [...eligible];
    for (;;) {
      let best: { e: (typeof pool)[number]; units: number } | null = null;
      for (const e of pool) {
        let units = 0;
        for (const l of request.lines) units += Math.min(remaining.get(l.orderLineId) ?? 0, availableAt(e.c, l.sku, useSafety));
        if (units > 0 && (!best || units > best.units)) best = { e, units }; // pool is nearest-first, so ties keep the nearest
      }
      if (!best) break;
      const lines: PlanRequestLine[] = [];
      for (const l of request.lines) {
        const q = Math.min(remaining.get(l.orderLineId) ?? 0, availableAt(best.e.c, l.sku, useSafety));
        if (q > 0) {
          lines.push({ orderLineId: l.orderLineId, sku: l.sku, quantity: q });
          remaining.set(l.orderLineId, remaining.get(l.orderLineId)! - q);
        }
      }
      groups.push(toGroup(best.e, lines));
      pool.splice(pool.indexOf(best.e), 1);
      if (rule.constraints.maxShipments !== null && groups.length >= rule.constraints.maxShipments) break;
      if ([...remaining.values()].every((q) => q === 0)) break;
    }
  }

  const unallocated = request.lines
    .map((l) => ({ ...l, quantity: remaining.get(l.orderLineId) ?? 0 }))
    .filter((l) => l.quantity > 0);

  const alternatives = complete.slice(1, 4).map((e) => {
    const g = toGroup(e, request.lines);
    return { locationIds: [e.c.id], objective: g.cost, shipmentCount: 1 };
  });

  return {
    groups,
    unallocated,
    shipmentCount: groups.length,
    totalDistanceKm: round(groups.reduce((n, g) => n + g.distanceKm, 0), 3),
    objective: round(groups.reduce((n, g) => n + g.cost, 0)),
    provenOptimal: false,
    alternatives,
    excluded,
    ruleId: rule.id,
    ruleVersion: rule.version,
  };
}
