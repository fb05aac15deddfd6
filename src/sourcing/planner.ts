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
import { EARTH_RADIUS_KM, chordKm, unitVector, type GeoPoint } from '../common/geo';
import type { FulfillmentMethodValue as FulfillmentMethod, LocationTypeValue as LocationType } from '../common/types';
import { zoneFor, type RuleRecord } from './rules';
import { solve, type OptSolution } from './optimizer';
import { Scratch } from './scratch';
import { ACTIVE, methodBit, tableOf, type CandidateTable } from './candidate-table';

/** The planner's working arrays, reused from plan to plan (see scratch.ts). */
const scratch = new Scratch();
/** The optimizer's tie-break keys (location codes) per eligible location, reused likewise: entries past the plan's count are stale. */
const keyScratch: string[] = [];

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
  const table = tableOf(request, candidates);
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const { excluded, m, chosen, kms, available } = screen(request, request.lines, table, rule);
  const L = request.lines.length;
  const eligible: Eligible[] = [];
  for (let i = 0; i < m; i++) {
    eligible.push({ c: byId.get(table.ids[chosen[i]])!, km: kms[i], available: Array.from(available.subarray(i * L, (i + 1) * L)) });
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

/** Why a location is out, as screen() records it per location: 0 while it may serve. */
const OUT_REASONS: (ExclusionReason | null)[] = [null, 'EXCLUDED', 'INACTIVE', 'METHOD', 'DISTANCE', 'CAPACITY', 'NO_STOCK'];
const EXCLUDED_ = 1;
const INACTIVE_ = 2;
const METHOD_ = 3;
const DISTANCE_ = 4;
const CAPACITY_ = 5;
const NO_STOCK_ = 6;
/** Not a candidate at all (a pickup's other locations): listed nowhere. */
const NOT_ASKED = 7;

/**
 * The passes over a candidate table: why each location may not serve the request under the
 * rule (in this order: excluded, inactive, method, location type, distance, zone table, daily
 * capacity, stock), or, for the `m` that may, their table index, distance, costs and units
 * per line (capped at the line's quantity). The arrays are the planner's scratch: read them
 * before the next call.
 *
 * Passes with small bodies (one loop doing all of it kept too many values live at once and
 * spilled them to the stack on every location): the rule's tests, with the common rule (no
 * exclusions, types, distance limit or zones) in a loop of its own; stock for the locations
 * still in; distance and costs for the eligible.
 */
function screen(request: PlanRequest, lines: PlanRequestLine[], table: CandidateTable, rule: RuleRecord) {
  const L = lines.length;
  if (table.lines !== L) throw new Error(`the candidate table follows ${table.lines} lines, the request has ${L}`);
  const n = table.size;
  const useSafety = rule.constraints.useSafetyStock;
  const excludedIds = excludedIdsOf(request, rule);
  const chosen = scratch.i32(1, n, false); // table index of each eligible location
  const kms = scratch.f64(0, n, false);
  const available = scratch.i32(0, n * L, false);
  // The optimizer's availability index, built in the same pass (optimizer.ts AvailabilityIndex)
  const cap = scratch.i32(4, n, false);
  const lineTotal = scratch.f64(3, L);
  const holderCount = scratch.i32(5, L);
  const lineHolders = scratch.i32(6, n * L, false);
  const quantity = scratch.i32(7, L, false);
  for (let j = 0; j < L; j++) quantity[j] = lines[j].quantity;
  const why = scratch.i32(8, n, false); // per location: 0, or why it is out (OUT_REASONS)
  const kmAt = scratch.f64(4, n, false); // per location: its distance where the tests needed it, else -1
  const zoned = rule.cost.zones.length > 0;
  // Great-circle distance to the destination: a chord between unit vectors (the table holds
  // the locations', stored by the database), the destination's computed once.
  const dest = request.destination;
  const [dx, dy, dz] = dest ? unitVector(dest.lat, dest.lng) : [0, 0, 0];
  const { ux, uy, uz } = table;
  const bit = methodBit(request.method);
  const types = rule.candidates.locationTypes.length > 0 ? rule.candidates.locationTypes : null;
  const pickupId = request.pickupLocationId;
  const maxKm = pickupId === null ? rule.candidates.maxDistanceKm : null;
  const respectCapacity = rule.constraints.respectCapacity;
  const { ids, codes, flags, priority, groupsToday, dailyCapacity, posStart, posLine, posFree, posSafety } = table;
  let outCount = 0;

  // ---- pass 1: the rule's tests
  if (pickupId === null && excludedIds === null && types === null && maxKm === null && !zoned) {
    for (let c = 0; c < n; c++) {
      const f = flags[c];
      const r = (f & ACTIVE) === 0 ? INACTIVE_ : (f & bit) === 0 ? METHOD_ : respectCapacity && groupsToday[c] >= dailyCapacity[c] ? CAPACITY_ : 0; // NaN capacity: no limit, never >=
      why[c] = r;
      kmAt[c] = -1;
      if (r !== 0) outCount++;
    }
  } else {
    // Distance decides a reason only under a distance limit or a zone table; otherwise it is
    // computed for the eligible alone (most locations of a large network hold none of the
    // order's SKUs). Under a limit, the latitude difference alone (a lower bound of the
    // great-circle distance) rules out most far locations without the full formula.
    const distanceMatters = maxKm !== null || (zoned && pickupId === null);
    const destLatRad = dest ? (dest.lat * Math.PI) / 180 : 0;
    const lat = table.lat;
    for (let c = 0; c < n; c++) {
      let km = -1;
      let r = 0;
      const f = flags[c];
      if (pickupId !== null && ids[c] !== pickupId) r = NOT_ASKED;
      else if (excludedIds?.has(ids[c])) r = EXCLUDED_;
      else if ((f & ACTIVE) === 0) r = INACTIVE_;
      else if ((f & bit) === 0) r = METHOD_;
      // A location type the rule leaves out is excluded by the rule.
      else if (types && !types.includes(table.types[c])) r = EXCLUDED_;
      // A distance limit with an unknown destination cannot be honoured: nothing is within it.
      else if (maxKm !== null && (!dest || Math.abs((lat[c] * Math.PI) / 180 - destLatRad) * EARTH_RADIUS_KM > maxKm * (1 + 1e-9) + 1e-9)) r = DISTANCE_;
      else if (distanceMatters && dest && (km = chordKm(ux[c], uy[c], uz[c], dx, dy, dz)) > (maxKm ?? Infinity)) r = DISTANCE_;
      // Beyond the last band of the zone table: the rule prices no such shipment.
      else if (zoned && pickupId === null && zoneFor(rule.cost, dest ? km : 0) === null) r = DISTANCE_;
      else if (respectCapacity && groupsToday[c] >= dailyCapacity[c]) r = CAPACITY_;
      why[c] = r;
      kmAt[c] = km;
      if (r !== 0) outCount++;
    }
  }

  // ---- pass 2: stock, for the locations still in
  let m = 0;
  for (let c = 0; c < n; c++) {
    if (why[c] !== 0) continue;
    // row m of `available`: zero, then the location's positions (few: the table is sparse)
    const to = m * L;
    for (let j = 0; j < L; j++) available[to + j] = 0;
    let units = 0;
    for (let k = posStart[c], end = posStart[c + 1]; k < end; k++) {
      const j = posLine[k];
      const a = Math.max(0, Math.min(posFree[k] - (useSafety ? 0 : posSafety[k]), quantity[j]));
      if (a > 0) {
        // a location with any unit is eligible (stock is the last test): index it as row m
        available[to + j] = a;
        units += a;
        lineTotal[j] += a;
        lineHolders[j * n + holderCount[j]++] = m;
      }
    }
    if (units === 0) {
      why[c] = NO_STOCK_;
      outCount++;
      continue;
    }
    cap[m] = units;
    chosen[m] = c;
    m++;
  }
  // ---- pass 3: the distance and costs of each eligible location, as the optimizer takes
  // them, and its tie-break key
  const fixed = scratch.f64(1, n, false);
  const perUnit = scratch.f64(2, n, false);
  const keys = keyScratch;
  const { perShipment, perShipmentKm, priorityWeight, perUnit: unitBase, perUnitKm } = rule.cost;
  for (let i = 0; i < m; i++) {
    const c = chosen[i];
    let km = kmAt[c];
    if (km < 0) km = dest ? chordKm(ux[c], uy[c], uz[c], dx, dy, dz) : 0;
    kms[i] = km;
    if (zoned) {
      fixed[i] = fixedCost(rule, km, priority[c]);
      perUnit[i] = unitCost(rule, km);
    } else {
      fixed[i] = perShipment + perShipmentKm * km - priorityWeight * priority[c];
      perUnit[i] = unitBase + perUnitKm * km;
    }
    keys[i] = codes[c];
  }

  // ---- why the others are out, in table order
  const excluded: Plan['excluded'] = [];
  for (let c = 0; c < n && outCount > 0; c++) {
    const r = why[c];
    if (r === 0) continue;
    outCount--;
    if (r !== NOT_ASKED) excluded.push({ locationId: ids[c], reason: OUT_REASONS[r]! });
  }
  return { excluded, m, chosen, kms, fixed, perUnit, keys, available: available.subarray(0, m * L), index: { cap, lineTotal, holderCount, lineHolders, stride: n } };
}

/** The plan for a request over candidate objects (see planFromTable). */
export function planSourcing(request: PlanRequest, candidates: CandidateLocation[], rule: RuleRecord, opts: PlanOptions = {}): Plan {
  return planFromTable(request, tableOf(request, candidates), rule, opts);
}

/**
 * The plan for a request over its candidate table (candidate-table.ts): one pass gives the
 * reason each location is out, or its costs and stock as the optimizer's arrays; then the
 * optimizer chooses, and the plan explains itself.
 */
export function planFromTable(request: PlanRequest, table: CandidateTable, rule: RuleRecord, opts: PlanOptions = {}): Plan {
  // A copy of the caller's array: arrays built by map() from the caller's data came in with
  // varying element kinds, and indexing them sent this function out of optimized code on
  // most plans (measured with --trace-deopt on the benchmark's orders).
  const lines = request.lines.slice();
  const L = lines.length;
  const { excluded, m, chosen, kms, fixed, perUnit, keys, available, index } = screen(request, lines, table, rule);
  const ids = table.ids;
  const demand = scratch.i32(2, L, false);
  for (let j = 0; j < L; j++) demand[j] = lines[j].quantity;
  const result = solve(
    { demand, fixed, perUnit, available, keys, size: m, capped: true, index },
    { maxLocations: rule.constraints.maxShipments, shipComplete: request.shipComplete, maxNodes: opts.maxNodes },
  );

  if (opts.stats) {
    opts.stats.nodes = result.nodes;
    opts.stats.eligible = m;
  }
  // Plain loops and objects of one shape from here: built with spreads, entries() and chained
  // map/sort, this part sent V8 out of optimized code on most plans (and the planner with it).
  const codes = table.codes;
  const nearer = (a: number, b: number): number => {
    const ca = chosen[a];
    const cb = chosen[b];
    return kms[a] - kms[b] || table.priority[cb] - table.priority[ca] || (codes[ca] < codes[cb] ? -1 : codes[ca] > codes[cb] ? 1 : 0);
  };
  /** The solution's groups, nearest first, then higher priority, then code. */
  const toGroups = (sol: OptSolution): PlannedGroup[] => {
    const used: number[] = [];
    sol.allocation.forEach((_take, i) => used.push(i));
    used.sort(nearer);
    const out: PlannedGroup[] = [];
    for (let g = 0; g < used.length; g++) {
      const i = used[g];
      const take = sol.allocation.get(i)!;
      const gl: PlanRequestLine[] = [];
      let units = 0;
      for (let j = 0; j < L; j++) {
        if (take[j] <= 0) continue;
        gl.push({ orderLineId: lines[j].orderLineId, sku: lines[j].sku, quantity: take[j] });
        units += take[j];
      }
      const c = chosen[i];
      out.push({ locationId: ids[c], lines: gl, distanceKm: round(kms[i], 3), cost: round(groupCost(rule, units, kms[i], table.priority[c])) });
    }
    return out;
  };
  const groups = toGroups(result.best);
  // What no group takes, per line.
  const remaining = scratch.i32(3, L, false);
  for (let j = 0; j < L; j++) remaining[j] = lines[j].quantity;
  result.best.allocation.forEach((take) => {
    for (let j = 0; j < L; j++) remaining[j] -= take[j];
  });
  const unallocated: PlanRequestLine[] = [];
  for (let j = 0; j < L; j++) if (remaining[j] > 0) unallocated.push({ orderLineId: lines[j].orderLineId, sku: lines[j].sku, quantity: remaining[j] });
  let totalKm = 0;
  let objective = 0;
  for (let g = 0; g < groups.length; g++) {
    totalKm += groups[g].distanceKm;
    objective += groups[g].cost;
  }

  const alternatives: PlanAlternative[] = [];
  for (let a = 0; a < result.alternatives.length; a++) {
    const alt = result.alternatives[a];
    const used = alt.locations.slice().sort(nearer);
    const locationIds: string[] = [];
    for (let g = 0; g < used.length; g++) locationIds.push(ids[chosen[used[g]]]);
    alternatives.push({ locationIds, objective: round(alt.cost), shipmentCount: used.length });
  }

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
