/**
 * The candidates of one sourcing request as columns: one entry per location in parallel
 * arrays, and its positions of the request's SKUs grouped by location.
 *
 * The planner reads hundreds of locations per order. As objects (a location, its geo, a Map
 * of positions, a position object) that is five scattered reads per location and line; as
 * columns it is a few sequential ones. The service builds the table straight from its query
 * rows (CandidateTableBuilder); `tableOf` builds it from CandidateLocation objects for the
 * callers that have those (tests, the simulation).
 */
import type { FulfillmentMethodValue as FulfillmentMethod, LocationTypeValue as LocationType } from '../common/types';
import type { CandidateLocation, PlanRequest } from './planner';
import { unitVector } from '../common/geo';

export const ACTIVE = 1;
const METHOD_BITS: Record<FulfillmentMethod, number> = { SHIP: 2, PICKUP: 4, SAME_DAY: 8 };

/** The flag bit of a fulfillment method. */
export function methodBit(method: FulfillmentMethod): number {
  return METHOD_BITS[method];
}

export interface CandidateTable {
  size: number;
  /** The request lines the stock columns follow. */
  lines: number;
  ids: string[];
  codes: string[];
  types: LocationType[];
  lat: Float64Array;
  lng: Float64Array;
  /** The position as a unit vector (geo.ts unitVector): distances without trigonometry. */
  ux: Float64Array;
  uy: Float64Array;
  uz: Float64Array;
  /** ACTIVE | the bits of the methods it offers. */
  flags: Uint8Array;
  priority: Float64Array;
  /** NaN: no daily limit. */
  dailyCapacity: Float64Array;
  groupsToday: Int32Array;
  /**
   * The positions, sparse (a location holds few of an order's SKUs): location c's are
   * entries posStart[c] .. posStart[c + 1] - 1, each naming its request line, its on hand
   * less reserved, and its safety stock. Lines a location does not hold have no entry.
   */
  posStart: Int32Array;
  posLine: Int32Array;
  posFree: Int32Array;
  posSafety: Int32Array;
}

/** Builds a table row by row, from a query's rows (one per location and SKU) or from objects. */
export class CandidateTableBuilder {
  private readonly lineOf = new Map<string, number[]>();
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly codes: string[] = [];
  private readonly types: LocationType[] = [];
  private readonly lat: number[] = [];
  private readonly lng: number[] = [];
  private readonly ux: number[] = [];
  private readonly uy: number[] = [];
  private readonly uz: number[] = [];
  private readonly flags: number[] = [];
  private readonly priority: number[] = [];
  private readonly dailyCapacity: number[] = [];
  private readonly groupsToday: number[] = [];
  // positions as parallel columns (location, line, free, safety): no object per row
  private readonly posLoc: number[] = [];
  private readonly posLine: number[] = [];
  private readonly posFree: number[] = [];
  private readonly posSafety: number[] = [];

  constructor(private readonly lines: { sku: string }[]) {
    lines.forEach((l, j) => {
      const at = this.lineOf.get(l.sku);
      if (at) at.push(j);
      else this.lineOf.set(l.sku, [j]);
    });
  }

  /**
   * Adds a location once (later calls with the same id return its index). `unit` is its
   * stored unit vector (the locations table keeps one); computed here when not given.
   */
  location(
    id: string, code: string, type: LocationType, lat: number, lng: number, methods: readonly FulfillmentMethod[], active: boolean,
    priority: number, dailyCapacity: number | null, groupsToday: number, unit?: readonly [number, number, number] | null,
  ): number {
    const known = this.index.get(id);
    if (known !== undefined) return known;
    const c = this.ids.length;
    this.index.set(id, c);
    this.ids.push(id);
    this.codes.push(code);
    this.types.push(type);
    this.lat.push(lat);
    this.lng.push(lng);
    const u = unit ?? unitVector(lat, lng);
    this.ux.push(u[0]);
    this.uy.push(u[1]);
    this.uz.push(u[2]);
    let f = active ? ACTIVE : 0;
    for (const m of methods) f |= METHOD_BITS[m] ?? 0;
    this.flags.push(f);
    this.priority.push(priority);
    this.dailyCapacity.push(dailyCapacity ?? Number.NaN);
    this.groupsToday.push(groupsToday);
    return c;
  }

  /** A position of location `c`; SKUs the request does not name are ignored. */
  position(c: number, sku: string, onHand: number, reserved: number, safetyStock: number): void {
    const at = this.lineOf.get(sku);
    if (!at) return;
    for (let k = 0; k < at.length; k++) {
      this.posLoc.push(c);
      this.posLine.push(at[k]);
      this.posFree.push(onHand - reserved);
      this.posSafety.push(safetyStock);
    }
  }

  build(): CandidateTable {
    const n = this.ids.length;
    const L = this.lines.length;
    // positions grouped by location (a counting sort: rows come in any order)
    const P = this.posLoc.length;
    const posStart = new Int32Array(n + 1);
    for (let k = 0; k < P; k++) posStart[this.posLoc[k] + 1]++;
    for (let c = 0; c < n; c++) posStart[c + 1] += posStart[c];
    const next = posStart.slice(0, n);
    const posLine = new Int32Array(P);
    const posFree = new Int32Array(P);
    const posSafety = new Int32Array(P);
    for (let k = 0; k < P; k++) {
      const at = next[this.posLoc[k]]++;
      posLine[at] = this.posLine[k];
      posFree[at] = this.posFree[k];
      posSafety[at] = this.posSafety[k];
    }
    return {
      size: n,
      lines: L,
      ids: this.ids,
      codes: this.codes,
      types: this.types,
      lat: Float64Array.from(this.lat),
      lng: Float64Array.from(this.lng),
      ux: Float64Array.from(this.ux),
      uy: Float64Array.from(this.uy),
      uz: Float64Array.from(this.uz),
      flags: Uint8Array.from(this.flags),
      priority: Float64Array.from(this.priority),
      dailyCapacity: Float64Array.from(this.dailyCapacity),
      groupsToday: Int32Array.from(this.groupsToday),
      posStart,
      posLine,
      posFree,
      posSafety,
    };
  }
}

/** The table of a request over candidate objects. */
export function tableOf(request: PlanRequest, candidates: CandidateLocation[]): CandidateTable {
  const b = new CandidateTableBuilder(request.lines);
  let c = 0;
  const add = (s: { onHand: number; reserved: number; safetyStock: number }, sku: string) => b.position(c, sku, s.onHand, s.reserved, s.safetyStock);
  for (const loc of candidates) {
    c = b.location(loc.id, loc.code, loc.type, loc.geo.lat, loc.geo.lng, loc.methods, loc.active, loc.priority, loc.dailyCapacity, loc.groupsToday);
    loc.stock.forEach(add);
  }
  return b.build();
}
