/**
 * Reads over HTTP against their floor, in the same run (issue 8). On a data set built by
 * bench/dataset.ts:
 * - `order(id)` with lines, plan, groups, their lines, locations and the positions of the
 *   order's SKUs there, for random orders;
 * - `orders(first: 20, filter: { customerId })` with lines, for random customers;
 * - `availability(skus: [10 SKUs], near:, radiusKm: 50)`, the storefront's "stores near me",
 *   around a point near a random location;
 * each driven by autocannon (50 connections, 10 s) against the server as a process of its
 * own (production mode), and each beside its floor: the same rows fetched with `pg` directly
 * (prepared statements, one round trip per level, no GraphQL, no HTTP), 50 at a time over a
 * pool as large as the server's. Prints one JSON line per read: requests a second and p99 for
 * both, the ratio, the server's CPU per request and share of a core, PostgreSQL's CPU per
 * request for both, the floor's client CPU per request, and the server's peak RSS.
 *
 * The data: see openDataset in bench/harness.ts (DATABASE_URL, BENCH_DATA_DIR, or built here).
 * Options: BENCH_CONNECTIONS (50), BENCH_SECONDS (10), BENCH_PORT (4103), BENCH_PG_PORT (54394),
 * BENCH_SERVER_ARGS (extra node flags for the server, e.g. --cpu-prof), BENCH_READS (the reads
 * to run, comma-separated; default all). Progress goes to stderr.
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import pg from 'pg';
import autocannon from 'autocannon';
import { TokenVerifier } from '../src/auth/tokens';
import { prng } from '../src/common/prng';
import { EARTH_RADIUS_KM, haversineKm, unitVector } from '../src/common/geo';
import { closedLoop, cpuSecondsOf, databaseCpuSeconds, openDataset, sampleRss, startServer, type BenchServer } from './harness';

const log = (msg: string) => process.stderr.write(`[bench:read] ${msg}\n`);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 4103);
const POOL = 10; // the server's DB_POOL_SIZE default

const ORDER_QUERY = `query BenchOrder($id: ID!, $skus: [String!]) {
  order(id: $id) {
    id number status total { amount currencyCode }
    lines { id sku quantity unitPrice { amount } }
    fulfillmentPlan {
      id shipmentCount
      groups { id status distanceKm lines { sku quantity } location { id code name inventory(skus: $skus) { sku onHand reserved available } } }
    }
  }
}`;
/** "Stores near me": 10 SKUs within this many km of a point near a random location. */
const AVAILABILITY_RADIUS_KM = 50;
const CUSTOMER_QUERY = `query BenchCustomerOrders($customerId: ID!) {
  orders(first: 20, filter: { customerId: $customerId }) {
    edges { node { id number status createdAt total { amount } lines { id sku quantity unitPrice { amount } } } }
  }
}`;

/** The floor of ORDER_QUERY: the same rows, one prepared statement per level. */
async function orderFloor(pool: pg.Pool, id: string, skus: string[]): Promise<number> {
  const q = async (name: string, text: string, values: unknown[]) => (await pool.query({ name, text, values })).rows;
  const [order] = await q('f_order', 'SELECT id, number, status, currency_code, created_at FROM orders WHERE id = $1', [id]);
  const lines = await q('f_lines', 'SELECT id, sku, quantity, cancelled_quantity, returned_quantity, unit_price FROM order_lines WHERE order_id = $1 ORDER BY line_no', [id]);
  const [plan] = await q('f_plan', 'SELECT id, shipment_count FROM fulfillment_plans WHERE order_id = $1 AND active', [id]);
  if (!plan) return (order ? 1 : 0) + lines.length; // an order without an active plan: nothing beneath
  const groups = await q('f_groups', `SELECT g.id, g.status, g.distance_km, g.location_id FROM plan_groups pg JOIN fulfillment_groups g ON g.id = pg.group_id
     WHERE pg.plan_id = $1 ORDER BY g.created_at, g.distance_km, g.id`, [plan.id]);
  const groupIds = groups.map((g) => g.id as string);
  const locationIds = [...new Set(groups.map((g) => g.location_id as string))];
  const gl = await q('f_group_lines', 'SELECT group_id, sku, quantity FROM fulfillment_group_lines WHERE group_id = ANY($1)', [groupIds]);
  const locs = await q('f_locations', 'SELECT id, code, name FROM locations WHERE id = ANY($1::uuid[])', [locationIds]);
  const positions = await q('f_positions', 'SELECT location_id, sku, on_hand, reserved, safety_stock FROM inventory_positions WHERE location_id = ANY($1::uuid[]) AND sku = ANY($2)', [locationIds, skus]);
  return (order ? 1 : 0) + lines.length + groups.length + gl.length + locs.length + positions.length;
}

/** The floor of CUSTOMER_QUERY. */
async function customerFloor(pool: pg.Pool, customerId: string): Promise<number> {
  const orders = (await pool.query({
    name: 'f_customer_orders',
    text: 'SELECT id, number, status, currency_code, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 21',
    values: [customerId],
  })).rows;
  const lines = (await pool.query({
    name: 'f_customer_lines',
    text: 'SELECT order_id, id, sku, quantity, cancelled_quantity, returned_quantity, unit_price FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, line_no',
    values: [orders.slice(0, 20).map((o) => o.id)],
  })).rows;
  return orders.length + lines.length;
}

const AVAILABILITY_QUERY = `query BenchAvailability($skus: [String!]!, $near: GeoPointInput!) {
  availability(skus: $skus, near: $near, radiusKm: ${AVAILABILITY_RADIUS_KM}) { sku available locations { available distanceKm location { id name } } }
}`;

/** The floor of AVAILABILITY_QUERY: the positions within the radius, nearest first per SKU. */
async function availabilityFloor(pool: pg.Pool, skus: string[], near: { lat: number; lng: number }): Promise<number> {
  const angle = AVAILABILITY_RADIUS_KM / EARTH_RADIUS_KM;
  const [x, y, z] = unitVector(near.lat, near.lng);
  const rows = (await pool.query({
    name: 'f_availability',
    text: `SELECT p.sku, p.location_id, l.name, l.lat, l.lng, p.on_hand - p.reserved - p.safety_stock AS available
             FROM inventory_positions p JOIN locations l ON l.id = p.location_id
            WHERE p.sku = ANY($1) AND l.active AND p.on_hand - p.reserved - p.safety_stock > 0
              AND l.geo_x * $3 + l.geo_y * $4 + l.geo_z * $5 >= $2`,
    values: [skus, Math.cos(angle), x, y, z],
  })).rows as { sku: string; lat: number; lng: number; available: number }[];
  const bySku = new Map<string, { km: number; available: number }[]>(skus.map((s) => [s, []]));
  for (const r of rows) {
    const km = haversineKm(near, r);
    if (km <= AVAILABILITY_RADIUS_KM) bySku.get(r.sku)!.push({ km, available: r.available });
  }
  for (const list of bySku.values()) list.sort((a, b) => a.km - b.km);
  return rows.length;
}

async function main(): Promise<void> {
  // ---- the data
  const data = await openDataset({ prefix: 'bench-read-', port: Number(process.env.BENCH_PG_PORT ?? 54394), log });
  const { db, url: databaseUrl } = data;
  let server: BenchServer | null = null;
  try {
    const orderRows = await db.query<{ id: string; skus: string[] }>('SELECT o.id, array_agg(l.sku ORDER BY l.line_no) AS skus FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id');
    const customers = (await db.query<{ c: string }>('SELECT DISTINCT customer_id AS c FROM orders')).map((r) => r.c);
    const skus = (await db.query<{ sku: string }>('SELECT DISTINCT sku FROM inventory_positions')).map((r) => r.sku);
    const places = await db.query<{ lat: number; lng: number }>('SELECT lat, lng FROM locations WHERE active');
    log(`${orderRows.length} orders, ${customers.length} customers, ${skus.length} SKUs at ${places.length} locations`);

    // ---- the server, as a process of its own
    const secret = crypto.randomBytes(32).toString('base64url');
    const token = await new TokenVerifier({ secret }).sign({ sub: 'bench-agent', role: 'AGENT' }, '2h');
    server = await startServer({ port: PORT, databaseUrl, secret, env: { DB_POOL_SIZE: String(POOL) }, log });
    const { base } = server;
    const pid = server.proc.pid!;
    const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL });
    const rand = prng(17);
    const pickOrder = () => orderRows[Math.floor(rand() * orderRows.length)];
    const pickCustomer = () => customers[Math.floor(rand() * customers.length)];
    const pickSkus = () => {
      const picked = new Set<string>();
      while (picked.size < Math.min(10, skus.length)) picked.add(skus[Math.floor(rand() * skus.length)]);
      return [...picked];
    };
    const pickNear = () => {
      const p = places[Math.floor(rand() * places.length)];
      return { lat: p.lat + (rand() - 0.5) * 0.4, lng: p.lng + (rand() - 0.5) * 0.4 };
    };

    const reads: { name: string; body: () => string; floor: () => Promise<unknown>; check: (data: Record<string, unknown>) => boolean }[] = [
      {
        name: 'order',
        body: () => {
          const o = pickOrder();
          return JSON.stringify({ query: ORDER_QUERY, variables: { id: o.id, skus: o.skus } });
        },
        floor: () => {
          const o = pickOrder();
          return orderFloor(pool, o.id, o.skus);
        },
        check: (d) => (d.order as { fulfillmentPlan?: { groups?: unknown[] } } | null)?.fulfillmentPlan?.groups !== undefined,
      },
      {
        name: 'customerOrders',
        body: () => JSON.stringify({ query: CUSTOMER_QUERY, variables: { customerId: pickCustomer() } }),
        floor: () => customerFloor(pool, pickCustomer()),
        check: (d) => Array.isArray((d.orders as { edges?: unknown[] } | null)?.edges),
      },
      {
        name: 'availability',
        body: () => JSON.stringify({ query: AVAILABILITY_QUERY, variables: { skus: pickSkus(), near: pickNear() } }),
        floor: () => availabilityFloor(pool, pickSkus(), pickNear()),
        check: (d) => Array.isArray(d.availability) && (d.availability as unknown[]).length === Math.min(10, skus.length),
      },
    ];
    const only = (process.env.BENCH_READS ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    for (const name of only) if (!reads.some((r) => r.name === name)) throw new Error(`BENCH_READS: no read "${name}" (reads: ${reads.map((r) => r.name).join(', ')})`);
    for (const r of reads.filter((x) => only.length === 0 || only.includes(x.name))) {
      // one request first: the query must work before it is measured
      const probe = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: r.body() });
      const json = (await probe.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
      if (!probe.ok || json.errors || !json.data || !r.check(json.data)) throw new Error(`${r.name}: the probe failed: ${JSON.stringify(json).slice(0, 500)}`);

      log(`${r.name}: floor (pg directly), ${CONNECTIONS} at a time for ${SECONDS} s`);
      await closedLoop(CONNECTIONS, SECONDS, r.floor); // warm-up of the statements and the cache, same length
      const floorDb0 = databaseCpuSeconds();
      const floorCpu0 = process.cpuUsage();
      const floor = await closedLoop(CONNECTIONS, SECONDS, r.floor);
      const floorCpu = process.cpuUsage(floorCpu0);
      const floorDbSeconds = databaseCpuSeconds() - floorDb0;
      log(`${r.name}: the server over HTTP, autocannon ${CONNECTIONS} connections for ${SECONDS} s`);
      const rss = sampleRss(pid, 250);
      const run = (duration: number) => autocannon({
        url: `${base}/graphql`, connections: CONNECTIONS, duration,
        requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, setupRequest: (req) => ({ ...req, body: r.body() }) }],
      });
      await run(Math.max(2, Math.round(SECONDS / 3))); // warm-up
      const cpu0 = cpuSecondsOf(pid);
      const db0 = databaseCpuSeconds();
      const res = await run(SECONDS);
      const cpuSeconds = cpuSecondsOf(pid) - cpu0;
      const dbSeconds = databaseCpuSeconds() - db0;
      const peakRss = rss.stop();
      const bad = res.non2xx + res.errors + res.timeouts;
      const msPer = (seconds: number, n: number) => Math.round((seconds * 1000 * 100) / Math.max(1, n)) / 100;
      console.log(JSON.stringify({
        bench: 'read', read: r.name, connections: CONNECTIONS, seconds: SECONDS, orders: orderRows.length,
        server: {
          requestsPerSecond: Math.round(res.requests.average), p99Ms: res.latency.p99, failed: bad,
          // how busy the server's process was: CPU per request, and the share of one core
          cpuMsPerRequest: msPer(cpuSeconds, res.requests.total), cpuCores: Math.round((cpuSeconds / SECONDS) * 100) / 100,
          // and PostgreSQL's CPU per request, beside the floor's: the statements' own cost
          databaseCpuMsPerRequest: msPer(dbSeconds, res.requests.total),
        },
        floor: {
          requestsPerSecond: floor.perSecond, p99Ms: floor.p99Ms,
          // this process's CPU per request while it ran the floor: the client's side, beside the server's
          clientCpuMsPerRequest: msPer((floorCpu.user + floorCpu.system) / 1e6, floor.calls), databaseCpuMsPerRequest: msPer(floorDbSeconds, floor.calls),
        },
        ratio: Math.round((res.requests.average / floor.perSecond) * 1000) / 1000,
        serverPeakRssMiB: Math.round(peakRss / 2 ** 20),
      }));
    }
    await pool.end();
  } finally {
    if (server) await server.stop();
    await data.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
