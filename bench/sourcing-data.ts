/**
 * The seeded generator of the sourcing benchmark: networks of warehouses and stores in a box
 * the size of the continental US, Zipf SKU popularity, sparse store assortments, and the
 * realistic and adversarial order mixes. Shared by bench/sourcing.ts and bench/sourcing-profile.ts.
 */
import { unitVector, type GeoPoint } from '../src/common/geo';
import { CandidateTableBuilder, type CandidateTable } from '../src/sourcing/candidate-table';
import type { CandidateLocation, PlanRequest } from '../src/sourcing/planner';
import type { RuleRecord } from '../src/sourcing/rules';

const MILE_KM = 1.609344;

export { prng } from '../src/common/prng';

export const baseRule = (over: Partial<RuleRecord> = {}): RuleRecord => ({
  id: 'bench', name: 'Jasin-Sinha', enabled: true, priority: 0, version: 1, isDefault: true,
  match: { channels: [], methods: [], countryCodes: [] },
  candidates: { locationTypes: [], maxDistanceKm: null, excludeLocationIds: [] },
  cost: { perShipment: 8.759, perUnit: 0.423, perUnitKm: 0.000541 / MILE_KM, perShipmentKm: 0, priorityWeight: 0, zones: [] },
  constraints: { maxShipments: null, shipComplete: false, respectCapacity: true, useSafetyStock: false },
  fallback: 'BACKORDER', acceptanceDeadlineMinutes: null, remorseHoldMinutes: null,
  ...over,
});
export const SHIP_RULE = baseRule();
export const SAME_DAY_RULE = baseRule({ candidates: { locationTypes: ['STORE'], maxDistanceKm: 40, excludeLocationIds: [] } });

export interface Network {
  name: string;
  locations: CandidateLocation[];
  /** Each location's unit vector, as the locations table stores it (computed once, at write). */
  units: [number, number, number][];
  /** sku -> indices of locations that stock it */
  bySku: Map<string, number[]>;
  stores: number[];
  skus: string[];
  zipf: number[];
}

export function buildNetwork(name: string, warehouses: number, stores: number, fragmented: boolean, rand: () => number): Network {
  const skus = Array.from({ length: 2000 }, (_, i) => `SKU-${i}`);
  const weights = skus.map((_, i) => 1 / (i + 1) ** 1.05);
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const zipf = weights.map((w) => (acc += w / total));
  const metros = Array.from({ length: 40 }, () => ({ lat: 26 + rand() * 22, lng: -122 + rand() * 52 }));
  const locations: CandidateLocation[] = [];
  const add = (code: string, type: 'WAREHOUSE' | 'STORE', geo: GeoPoint, stock: Map<string, number>) =>
    locations.push({
      id: code, code, type, geo, methods: type === 'WAREHOUSE' ? ['SHIP'] : ['SHIP', 'PICKUP', 'SAME_DAY'], active: true, priority: 0,
      dailyCapacity: null, groupsToday: 0,
      stock: new Map([...stock].map(([sku, onHand]) => [sku, { onHand, reserved: 0, safetyStock: 0 }])),
    });
  for (let w = 0; w < warehouses; w++) {
    const stock = new Map<string, number>();
    skus.forEach((sku, i) => {
      if (rand() < 0.92) stock.set(sku, fragmented ? 1 + Math.floor(rand() * 4) : Math.floor(rand() * (i < 200 ? 400 : 60)));
    });
    add(`WH-${w}`, 'WAREHOUSE', { lat: 28 + rand() * 18, lng: -120 + rand() * 46 }, stock);
  }
  for (let s = 0; s < stores; s++) {
    const m = metros[Math.floor(rand() * metros.length)];
    const stock = new Map<string, number>();
    skus.forEach((sku, i) => {
      if (rand() < Math.min(0.8, 12 / (i + 1) ** 0.55)) stock.set(sku, fragmented ? 1 + Math.floor(rand() * 2) : 1 + Math.floor(rand() * 8));
    });
    add(`ST-${s}`, 'STORE', { lat: m.lat + (rand() - 0.5) * 0.6, lng: m.lng + (rand() - 0.5) * 0.6 }, stock);
  }
  const bySku = new Map<string, number[]>();
  locations.forEach((l, i) => l.stock.forEach((_, sku) => bySku.set(sku, [...(bySku.get(sku) ?? []), i])));
  const units = locations.map((l) => unitVector(l.geo.lat, l.geo.lng));
  return { name, locations, units, bySku, stores: locations.map((l, i) => (l.type === 'STORE' ? i : -1)).filter((i) => i >= 0), skus, zipf };
}

export function pickSku(net: Network, rand: () => number): string {
  const r = rand();
  let lo = 0;
  let hi = net.zipf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (net.zipf[mid] < r) lo = mid + 1;
    else hi = mid;
  }
  return net.skus[lo];
}

export interface Order {
  request: PlanRequest;
  rule: RuleRecord;
  /** A fresh copy of the candidates, as a query would return them. */
  candidates: () => CandidateLocation[];
  /** The same candidates as the planner's table. */
  table: () => CandidateTable;
}

export function makeOrder(net: Network, mix: 'realistic' | 'adversarial', rand: () => number, n: number): Order {
  const store = net.locations[net.stores[Math.floor(rand() * net.stores.length)]];
  const destination = { lat: store.geo.lat + (rand() - 0.5) * 0.3, lng: store.geo.lng + (rand() - 0.5) * 0.3 };
  const lineCount = mix === 'adversarial' ? 2 + Math.floor(rand() * 5) : rand() < 0.5 ? 1 : 2 + Math.floor(rand() * 9);
  const skus = new Set<string>();
  while (skus.size < lineCount) skus.add(pickSku(net, rand));
  const lines = [...skus].map((sku, i) => ({
    orderLineId: `${n}-${i}`, sku, quantity: mix === 'adversarial' ? 3 + Math.floor(rand() * 6) : rand() < 0.85 ? 1 : 2 + Math.floor(rand() * 2),
  }));
  const r = rand();
  const method = mix === 'adversarial' || r < 0.8 ? 'SHIP' : r < 0.92 ? 'PICKUP' : 'SAME_DAY';
  const request: PlanRequest = {
    method, destination: method === 'PICKUP' ? store.geo : destination, pickupLocationId: method === 'PICKUP' ? store.id : null,
    shipComplete: mix === 'realistic' && rand() < 0.03, lines,
  };
  // The candidates as the service hands them to the planner: the locations holding any of the
  // order's SKUs, with their positions of those SKUs (one SQL query; built per use, untimed).
  const idx = new Set<number>();
  for (const l of lines) for (const i of net.bySku.get(l.sku) ?? []) idx.add(i);
  const at = [...idx];
  const candidates = () =>
    at.map((i) => {
      const loc = net.locations[i];
      const stock = new Map<string, { onHand: number; reserved: number; safetyStock: number }>();
      for (const l of lines) {
        const p = loc.stock.get(l.sku);
        if (p) stock.set(l.sku, { onHand: p.onHand, reserved: p.reserved, safetyStock: p.safetyStock });
      }
      return { ...loc, geo: { ...loc.geo }, stock };
    });
  // The planner's table, built as the service builds it from its query's rows (one row per position).
  const table = () => {
    const b = new CandidateTableBuilder(lines);
    for (const i of at) {
      const loc = net.locations[i];
      const c = b.location(loc.id, loc.code, loc.type, loc.geo.lat, loc.geo.lng, loc.methods, loc.active, loc.priority, loc.dailyCapacity, loc.groupsToday, net.units[i]);
      for (const l of lines) {
        const p = loc.stock.get(l.sku);
        if (p) b.position(c, l.sku, p.onHand, p.reserved, p.safetyStock);
      }
    }
    return b.build();
  };
  return { request, rule: method === 'SAME_DAY' ? SAME_DAY_RULE : SHIP_RULE, candidates, table };
}
