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
import { haversineFrom, haversineKm, type GeoPoint } from '../common/geo';
import type { FulfillmentMethodValue as FulfillmentMethod, LocationTypeValue as LocationType } from '../common/types';
import { zoneFor, type RuleRecord } from './rules';
import { solve, type OptSolution } from './optimizer';
import { Scratch } from './scratch';

/** The planner's working arrays, reused from plan to plan (see scratch.ts). */
const scratch = new Scratch();

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
  return fixedCost(rule, km, priority) + units * unitCost(rule, km);
}

/** The per-unit part of a group's cost: per unit and per unit-km, plus the zone's per-unit surcharge. */
export function unitCost(rule: RuleRecord, km: number): number {
  return rule.cost.perUnit + rule.cost.perUnitKm * km + (zoneFor(rule.cost, km)?.perUnit ?? 0);
}

function availableAt(c: CandidateLocation, sku: string, useSafetyStock: boolean): number {
  const s = c.stock.get(sku);
  if (!s) return 0;
  return Math.max(0, s.onHand - s.reserved - (useSafetyStock ? 0 : s.safetyStock));
}

const round = (n: number, digits = 4): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** The fixed part of a group's cost: per shipment and per shipment-km, plus the zone's per-shipment surcharge, less the priority bonus. */
export function fixedCost(rule: RuleRecord, km: number, priority: number): number {
  return rule.cost.perShipment + rule.cost.perShipmentKm * km + (zoneFor(rule.cost, km)?.perShipment ?? 0) - rule.cost.priorityWeight * priority;
}

export interface Eligible {
  c: CandidateLocation;
  km: number;
  /** Units it can ship of each request line (capped at the line's quantity). */
  available: number[];
}

/**
 * Why a candidate may not serve the request under the rule, or null when it may (stock
 * aside). For a pickup, the callers pass only the pickup location.
 */
function exclusion(request: PlanRequest, c: CandidateLocation, rule: RuleRecord, km: number, excludedIds: Set<string> | null): ExclusionReason | null {
  if (excludedIds?.has(c.id)) return 'EXCLUDED';
  if (!c.active) return 'INACTIVE';
  if (!c.methods.includes(request.method)) return 'METHOD';
  // A location type the rule leaves out is excluded by the rule.
  if (rule.candidates.locationTypes.length > 0 && !rule.candidates.locationTypes.includes(c.type)) return 'EXCLUDED';
  // A distance limit with an unknown destination cannot be honoured: nothing is within it.
  if (request.pickupLocationId === null && rule.candidates.maxDistanceKm !== null && (!request.destination || km > rule.candidates.maxDistanceKm)) return 'DISTANCE';
  // Beyond the last band of the zone table: the rule prices no such shipment.
  if (request.pickupLocationId === null && rule.cost.zones.length > 0 && zoneFor(rule.cost, km) === null) return 'DISTANCE';
  if (rule.constraints.respectCapacity && c.dailyCapacity !== null && c.groupsToday >= c.dailyCapacity) return 'CAPACITY';
  return null;
}

function excludedIdsOf(request: PlanRequest, rule: RuleRecord): Set<string> | null {
  const ids = request.excludeLocationIds ?? [];
  return rule.candidates.excludeLocationIds.length + ids.length > 0 ? new Set([...rule.candidates.excludeLocationIds, ...ids]) : null;
}

/** Nearest first, then higher priority, then code. */
function nearestFirst(a: { km: number; c: CandidateLocation }, b: { km: number; c: CandidateLocation }): number {
  return a.km - b.km || b.c.priority - a.c.priority || (a.c.code < b.c.code ? -1 : a.c.code > b.c.code ? 1 : 0);
}

/** The candidates that may serve this request under the rule (nearest first), and why the others may not. */
export function eligibleCandidates(request: PlanRequest, candidates: CandidateLocation[], rule: RuleRecord): { eligible: Eligible[]; excluded: Plan['excluded'] } {
  const useSafety = rule.constraints.useSafetyStock;
  const excludedIds = excludedIdsOf(request, rule);
  const excluded: Plan['excluded'] = [];
  const eligible: Eligible[] = [];
  for (const c of candidates) {
    if (request.pickupLocationId !== null && c.id !== request.pickupLocationId) continue; // not a candidate at all
    const km = request.destination ? haversineKm(c.geo, request.destination) : 0;
    let reason = exclusion(request, c, rule, km, excludedIds);
    let available: number[] = [];
    if (!reason) {
      available = request.lines.map((l) => Math.min(l.quantity, availableAt(c, l.sku, useSafety)));
      if (!available.some((a) => a > 0)) reason = 'NO_STOCK';
    }
    if (reason) excluded.push({ locationId: c.id, reason });
    else eligible.push({ c, km, available });
  }
  eligible.sort(nearestFirst);
  return { eligible, excluded };
}

/** Units of a SKU a candidate can promise under the rule (safety stock kept back unless it may be used). */
export function availableFor(rule: RuleRecord, c: CandidateLocation, sku: string): number {
  return availableAt(c, sku, rule.constraints.useSafetyStock);
}

export interface PlanOptions {
  /** The optimizer's node limit (default 20,000). */
  maxNodes?: number;
  /** Filled in with the search's size, for benchmarks and diagnostics. */
  stats?: { nodes: number; eligible: number };
}

export function planSourcing(request: PlanRequest, candidates: CandidateLocation[], rule: RuleRecord, opts: PlanOptions = {}): Plan {
  // One pass: the reason each candidate is out, or its costs and stock as the optimizer's arrays.
  const useSafety = rule.constraints.useSafetyStock;
  const excludedIds = excludedIdsOf(request, rule);
  const lines = request.lines;
  const L = lines.length;
  const excluded: Plan['excluded'] = [];
  const chosen: CandidateLocation[] = [];
  const kms = scratch.f64(0, candidates.length);
  const fixed = scratch.f64(1, candidates.length);
  const perUnit = scratch.f64(2, candidates.length);
  const keys: string[] = [];
  const available = scratch.i32(0, candidates.length * L);
  // A candidate holds only some of the order's SKUs (the query returns those positions), so
  // walking its positions and finding their line is cheaper than asking it for every line;
  // an order naming a SKU twice takes the per-line way.
  const cost = rule.cost;
  const zoned = cost.zones.length > 0;
  // Great-circle distance to the destination, with the destination's terms computed once.
  const dest = request.destination;
  const distanceFrom = dest ? haversineFrom(dest) : () => 0;
  const lineOf = new Map<string, number>();
  for (let j = 0; j < L; j++) lineOf.set(lines[j].sku, j);
  const byPosition = lineOf.size === L && L > 2;
  let base = 0;
  let any = false;
  const takePosition = (s: { onHand: number; reserved: number; safetyStock: number }, sku: string) => {
    const j = lineOf.get(sku);
    if (j === undefined) return;
    const a = Math.min(lines[j].quantity, Math.max(0, s.onHand - s.reserved - (useSafety ? 0 : s.safetyStock)));
    available[base + j] = a;
    if (a > 0) any = true;
  };
  for (const c of candidates) {
    if (request.pickupLocationId !== null && c.id !== request.pickupLocationId) continue; // not a candidate at all
    const km = dest ? distanceFrom(c.geo) : 0;
    let reason = exclusion(request, c, rule, km, excludedIds);
    if (!reason) {
      base = chosen.length * L;
      any = false;
      for (let j = 0; j < L; j++) available[base + j] = 0;
      if (byPosition) c.stock.forEach(takePosition);
      else
        for (let j = 0; j < L; j++) {
          const a = Math.min(lines[j].quantity, availableAt(c, lines[j].sku, useSafety));
          available[base + j] = a;
          if (a > 0) any = true;
        }
      if (!any) reason = 'NO_STOCK';
    }
    if (reason) {
      excluded.push({ locationId: c.id, reason });
      continue;
    }
    const i = chosen.length;
    chosen.push(c);
    kms[i] = km;
    if (zoned) {
      fixed[i] = fixedCost(rule, km, c.priority);
      perUnit[i] = unitCost(rule, km);
    } else {
      fixed[i] = cost.perShipment + cost.perShipmentKm * km - cost.priorityWeight * c.priority;
      perUnit[i] = cost.perUnit + cost.perUnitKm * km;
    }
    keys.push(c.code);
  }
  const m = chosen.length;
  const result = solve(
    { demand: lines.map((l) => l.quantity), fixed: fixed.subarray(0, m), perUnit: perUnit.subarray(0, m), available: available.subarray(0, m * L), keys, capped: true },
    { maxLocations: rule.constraints.maxShipments, shipComplete: request.shipComplete, maxNodes: opts.maxNodes },
  );

  if (opts.stats) {
    opts.stats.nodes = result.nodes;
    opts.stats.eligible = chosen.length;
  }
  const toGroups = (sol: OptSolution): PlannedGroup[] =>
    [...sol.allocation.entries()]
      .map(([i, take]) => ({ i, take, km: kms[i], c: chosen[i] }))
      .sort(nearestFirst)
      .map(({ i, take, c }) => {
        const gl = lines.map((l, j) => ({ ...l, quantity: take[j] })).filter((l) => l.quantity > 0);
        const units = gl.reduce((n, l) => n + l.quantity, 0);
        return { locationId: c.id, lines: gl, distanceKm: round(kms[i], 3), cost: round(groupCost(rule, units, kms[i], c.priority)) };
      });
  const groups = toGroups(result.best);
  // What no group takes, per line (index loops: the arrays here vary in element kind, and
  // iterating them with for-of made V8 drop out of optimized code on every plan).
  const remaining = lines.map((l) => l.quantity);
  for (const take of result.best.allocation.values()) for (let j = 0; j < L; j++) remaining[j] -= take[j];
  const unallocated: PlanRequestLine[] = [];
  for (let j = 0; j < L; j++) if (remaining[j] > 0) unallocated.push({ ...lines[j], quantity: remaining[j] });
  let totalKm = 0;
  let objective = 0;
  for (let g = 0; g < groups.length; g++) {
    totalKm += groups[g].distanceKm;
    objective += groups[g].cost;
  }

  const alternatives = result.alternatives.map((sol) => {
    const gs = toGroups(sol);
    return { locationIds: gs.map((g) => g.locationId), objective: round(sol.cost), shipmentCount: gs.length };
  });

  return {
    groups,
    unallocated,
    shipmentCount: groups.length,
    totalDistanceKm: round(totalKm, 3),
    objective: round(objective),
    provenOptimal: result.provenOptimal,
    alternatives,
    excluded,
    ruleId: rule.id,
    ruleVersion: rule.version,
  };
}
