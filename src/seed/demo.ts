/**
 * The demo network seeded into an empty database (the embedded one, or any with SEED_DEMO=1):
 * 4 warehouses, 23 stores and a dark store at real US city coordinates, 200 SKUs with stock (receipts in the ledger, so the inventory
 * audit holds from the start). Deterministic: the same data on every machine.
 */
import { prng } from '../common/prng';
import type { Database } from '../db/database';
import { recordMovements } from '../inventory/ledger';

interface Site { code: string; name: string; type: 'WAREHOUSE' | 'STORE' | 'DARK_STORE'; lat: number; lng: number; capacity: number | null; priority: number }

export const DEMO_SITES: Site[] = [
  { code: 'WH-NJ', name: 'Edison NJ Warehouse', type: 'WAREHOUSE', lat: 40.5187, lng: -74.4121, capacity: null, priority: 0 },
  { code: 'WH-TX', name: 'Dallas TX Warehouse', type: 'WAREHOUSE', lat: 32.7767, lng: -96.797, capacity: null, priority: 0 },
  { code: 'WH-CA', name: 'Ontario CA Warehouse', type: 'WAREHOUSE', lat: 34.0633, lng: -117.6509, capacity: null, priority: 0 },
  { code: 'WH-IL', name: 'Joliet IL Warehouse', type: 'WAREHOUSE', lat: 41.525, lng: -88.0817, capacity: null, priority: 0 },
  { code: 'ST-NYC', name: 'New York Flagship', type: 'STORE', lat: 40.7505, lng: -73.9934, capacity: 200, priority: 2 },
  { code: 'ST-BOS', name: 'Boston Back Bay', type: 'STORE', lat: 42.3505, lng: -71.0763, capacity: 120, priority: 1 },
  { code: 'ST-PHL', name: 'Philadelphia Center City', type: 'STORE', lat: 39.9526, lng: -75.1652, capacity: 100, priority: 1 },
  { code: 'ST-DC', name: 'Washington DC Georgetown', type: 'STORE', lat: 38.9097, lng: -77.0654, capacity: 100, priority: 1 },
  { code: 'ST-ATL', name: 'Atlanta Midtown', type: 'STORE', lat: 33.7838, lng: -84.3831, capacity: 100, priority: 1 },
  { code: 'ST-MIA', name: 'Miami Brickell', type: 'STORE', lat: 25.7617, lng: -80.1918, capacity: 100, priority: 1 },
  { code: 'ST-CHI', name: 'Chicago Michigan Ave', type: 'STORE', lat: 41.8947, lng: -87.6243, capacity: 150, priority: 2 },
  { code: 'ST-DET', name: 'Detroit Downtown', type: 'STORE', lat: 42.3314, lng: -83.0458, capacity: 80, priority: 0 },
  { code: 'ST-MSP', name: 'Minneapolis Nicollet', type: 'STORE', lat: 44.9778, lng: -93.265, capacity: 80, priority: 0 },
  { code: 'ST-STL', name: 'St. Louis Central West End', type: 'STORE', lat: 38.6431, lng: -90.2574, capacity: 80, priority: 0 },
  { code: 'ST-DAL', name: 'Dallas Uptown', type: 'STORE', lat: 32.8021, lng: -96.8004, capacity: 100, priority: 1 },
  { code: 'ST-HOU', name: 'Houston Galleria', type: 'STORE', lat: 29.7395, lng: -95.4641, capacity: 100, priority: 1 },
  { code: 'ST-AUS', name: 'Austin South Congress', type: 'STORE', lat: 30.2491, lng: -97.7497, capacity: 80, priority: 0 },
  { code: 'ST-DEN', name: 'Denver LoDo', type: 'STORE', lat: 39.7527, lng: -104.9992, capacity: 80, priority: 0 },
  { code: 'ST-PHX', name: 'Phoenix Biltmore', type: 'STORE', lat: 33.5095, lng: -112.0237, capacity: 80, priority: 0 },
  { code: 'ST-LAX', name: 'Los Angeles Grove', type: 'STORE', lat: 34.0722, lng: -118.3571, capacity: 150, priority: 2 },
  { code: 'ST-SFO', name: 'San Francisco Union Square', type: 'STORE', lat: 37.788, lng: -122.4075, capacity: 150, priority: 2 },
  { code: 'ST-SEA', name: 'Seattle Pike Place', type: 'STORE', lat: 47.6097, lng: -122.3422, capacity: 100, priority: 1 },
  { code: 'ST-PDX', name: 'Portland Pearl District', type: 'STORE', lat: 45.5265, lng: -122.6814, capacity: 80, priority: 0 },
  { code: 'ST-SAN', name: 'San Diego Gaslamp', type: 'STORE', lat: 32.7114, lng: -117.1603, capacity: 80, priority: 0 },
  { code: 'ST-LV', name: 'Las Vegas Summerlin', type: 'STORE', lat: 36.1513, lng: -115.3323, capacity: 80, priority: 0 },
  { code: 'ST-NSH', name: 'Nashville The Gulch', type: 'STORE', lat: 36.1527, lng: -86.7891, capacity: 80, priority: 0 },
  { code: 'ST-CLT', name: 'Charlotte South End', type: 'STORE', lat: 35.2125, lng: -80.8588, capacity: 80, priority: 0 },
  { code: 'DS-BKN', name: 'Brooklyn Dark Store', type: 'DARK_STORE', lat: 40.6782, lng: -73.9442, capacity: 300, priority: 1 },
];

const CATEGORIES = ['TEE', 'HOOD', 'JEAN', 'SNKR', 'CAP', 'SOCK', 'BAG', 'JKT'];
const SIZES = ['S', 'M', 'L', 'XL', '10'];

/** 200 SKUs like "TEE-0001-M". */
export function demoSkus(): string[] {
  return Array.from({ length: 200 }, (_, i) => `${CATEGORIES[i % CATEGORIES.length]}-${String(i + 1).padStart(4, '0')}-${SIZES[i % SIZES.length]}`);
}


/** Seeds the demo network when there are no locations yet. Returns whether it seeded. */
export async function seedDemo(db: Database): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('LOCK TABLE locations IN EXCLUSIVE MODE');
    const [{ n }] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM locations');
    if (n > 0) return false;
    const locs = await tx.query<{ id: string; code: string; type: string }>(
      `INSERT INTO locations (code, name, type, lat, lng, methods, daily_capacity, priority)
       SELECT c, n, t, la, ln, CASE t WHEN 'WAREHOUSE' THEN ARRAY['SHIP'] WHEN 'STORE' THEN ARRAY['SHIP','PICKUP','SAME_DAY'] ELSE ARRAY['SHIP','SAME_DAY'] END, cap, pr
         FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::int[], $7::int[]) AS v(c, n, t, la, ln, cap, pr)
       RETURNING id, code, type`,
      [
        DEMO_SITES.map((s) => s.code), DEMO_SITES.map((s) => s.name), DEMO_SITES.map((s) => s.type), DEMO_SITES.map((s) => s.lat),
        DEMO_SITES.map((s) => s.lng), DEMO_SITES.map((s) => s.capacity), DEMO_SITES.map((s) => s.priority),
      ],
    );
    const rand = prng(42);
    const rows: { l: string; s: string; q: number; ss: number }[] = [];
    for (const loc of locs) {
      for (const sku of demoSkus()) {
        if (loc.type === 'WAREHOUSE') rows.push({ l: loc.id, s: sku, q: 50 + Math.floor(rand() * 450), ss: 5 });
        else if (rand() < 0.6) rows.push({ l: loc.id, s: sku, q: Math.floor(rand() * 25), ss: rand() < 0.3 ? 1 : 0 });
      }
    }
    await tx.query(
      `INSERT INTO inventory_positions (location_id, sku, on_hand, safety_stock)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[])`,
      [rows.map((r) => r.l), rows.map((r) => r.s), rows.map((r) => r.q), rows.map((r) => r.ss)],
    );
    await recordMovements(
      tx,
      rows.filter((r) => r.q > 0).map((r) => ({ locationId: r.l, sku: r.s, kind: 'RECEIPT' as const, onHandDelta: r.q, reservedDelta: 0 })),
      { actor: 'seed', reason: 'demo network' },
    );
    return true;
  });
}
