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
 * pool as large as the server's; and beside the same floor behind a bare node:http server
 * (bench/http-floor.ts, on BENCH_PORT + 1), which tells what HTTP alone costs. Prints one
 * JSON line per read: requests a second and p99 for the three, the ratios to both floors, the
 * server's CPU per request and share of a core, PostgreSQL's CPU per request for the server
 * and the floor, the floor's client CPU per request, and the server's peak RSS.
 *
 * The data: see openDataset in bench/harness.ts (DATABASE_URL, BENCH_DATA_DIR, or built here).
 * Options: BENCH_CONNECTIONS (50), BENCH_SECONDS (10), BENCH_PORT (4103), BENCH_PG_PORT (54394),
 * BENCH_SERVER_ARGS (extra node flags for the server, e.g. --cpu-prof), BENCH_READS (the reads
 * to run, comma-separated; default all). Progress goes to stderr.
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import autocannon from 'autocannon';
import { TokenVerifier } from '../src/auth/tokens';
import { prng } from '../src/common/prng';
import { AVAILABILITY_RADIUS_KM, availabilityFloor, customerFloor, orderFloor } from './floors';
import { closedLoop, cpuSecondsOf, databaseCpuSeconds, msPerCall, openDataset, sampleRss, startServer, type BenchServer } from './harness';

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
const CUSTOMER_QUERY = `query BenchCustomerOrders($customerId: ID!) {
  orders(first: 20, filter: { customerId: $customerId }) {
    edges { node { id number status createdAt total { amount } lines { id sku quantity unitPrice { amount } } } }
  }
}`;

const AVAILABILITY_QUERY = `query BenchAvailability($skus: [String!]!, $near: GeoPointInput!) {
  availability(skus: $skus, near: $near, radiusKm: ${AVAILABILITY_RADIUS_KM}) { sku available locations { available distanceKm location { id name } } }
}`;

async function main(): Promise<void> {
  // ---- the data
  const data = await openDataset({ prefix: 'bench-read-', port: Number(process.env.BENCH_PG_PORT ?? 54394), log });
  const { db, url: databaseUrl } = data;
  let server: BenchServer | null = null;
  let httpFloor: BenchServer | null = null;
  try {
    const orderRows = await db.query<{ id: string; skus: string[] }>('SELECT o.id, array_agg(l.sku ORDER BY l.line_no) AS skus FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id');
    // the data set's customers: those the write benchmark adds orders for are left out
    const customers = (await db.query<{ c: string }>(`SELECT DISTINCT customer_id AS c FROM orders WHERE customer_id NOT LIKE 'bench-writer-%'`)).map((r) => r.c);
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
    httpFloor = await startServer({ port: PORT + 1, databaseUrl, secret, log, script: path.join('bench', 'http-floor.js') });
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

    type Args = { id: string; skus: string[]; customerId: string; near: { lat: number; lng: number } };
    const reads: { name: string; query: string; args: () => Partial<Args>; floor: (a: Args) => Promise<unknown>; check: (data: Record<string, unknown>) => boolean }[] = [
      {
        name: 'order',
        query: ORDER_QUERY,
        args: () => {
          const o = pickOrder();
          return { id: o.id, skus: o.skus };
        },
        floor: (a) => orderFloor(pool, a.id, a.skus),
        check: (d) => (d.order as { fulfillmentPlan?: { groups?: unknown[] } } | null)?.fulfillmentPlan?.groups !== undefined,
      },
      {
        name: 'customerOrders',
        query: CUSTOMER_QUERY,
        args: () => ({ customerId: pickCustomer() }),
        floor: (a) => customerFloor(pool, a.customerId),
        check: (d) => Array.isArray((d.orders as { edges?: unknown[] } | null)?.edges),
      },
      {
        name: 'availability',
        query: AVAILABILITY_QUERY,
        args: () => ({ skus: pickSkus(), near: pickNear() }),
        floor: (a) => availabilityFloor(pool, a.skus, a.near),
        check: (d) => Array.isArray(d.availability) && (d.availability as unknown[]).length === Math.min(10, skus.length),
      },
    ];
    const only = (process.env.BENCH_READS ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    for (const name of only) if (!reads.some((r) => r.name === name)) throw new Error(`BENCH_READS: no read "${name}" (reads: ${reads.map((r) => r.name).join(', ')})`);
    const load = (url: string, headers: Record<string, string>, body: () => string, duration: number) => autocannon({
      url, connections: CONNECTIONS, duration,
      requests: [{ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, setupRequest: (req) => ({ ...req, body: body() }) }],
    });
    for (const r of reads.filter((x) => only.length === 0 || only.includes(x.name))) {
      const graphqlBody = () => JSON.stringify({ query: r.query, variables: r.args() });
      // one request first: the query must work before it is measured
      const probe = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: graphqlBody() });
      const json = (await probe.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
      if (!probe.ok || json.errors || !json.data || !r.check(json.data)) throw new Error(`${r.name}: the probe failed: ${JSON.stringify(json).slice(0, 500)}`);

      log(`${r.name}: floor (pg directly), ${CONNECTIONS} at a time for ${SECONDS} s`);
      const floorCall = () => r.floor(r.args() as Args);
      await closedLoop(CONNECTIONS, SECONDS, floorCall); // warm-up of the statements and the cache, same length
      const floorDb0 = databaseCpuSeconds();
      const floorCpu0 = process.cpuUsage();
      const floor = await closedLoop(CONNECTIONS, SECONDS, floorCall);
      const floorCpu = process.cpuUsage(floorCpu0);
      const floorDbSeconds = databaseCpuSeconds() - floorDb0;

      log(`${r.name}: the floor behind a bare HTTP server, autocannon ${CONNECTIONS} connections for ${SECONDS} s`);
      const httpUrl = `${httpFloor.base}/${r.name}`;
      // every side warms up as long as it is measured: V8 is still compiling the server's hot
      // paths several seconds into a load on this machine
      await load(httpUrl, {}, () => JSON.stringify(r.args()), SECONDS);
      const httpCpu0 = cpuSecondsOf(httpFloor.proc.pid!);
      const http = await load(httpUrl, {}, () => JSON.stringify(r.args()), SECONDS);
      const httpCpu = cpuSecondsOf(httpFloor.proc.pid!) - httpCpu0;

      log(`${r.name}: the server over HTTP, autocannon ${CONNECTIONS} connections for ${SECONDS} s`);
      const rss = sampleRss(pid, 250);
      await load(`${base}/graphql`, { authorization: `Bearer ${token}` }, graphqlBody, SECONDS); // warm-up
      const cpu0 = cpuSecondsOf(pid);
      const db0 = databaseCpuSeconds();
      const res = await load(`${base}/graphql`, { authorization: `Bearer ${token}` }, graphqlBody, SECONDS);
      const cpuSeconds = cpuSecondsOf(pid) - cpu0;
      const dbSeconds = databaseCpuSeconds() - db0;
      const peakRss = rss.stop();
      console.log(JSON.stringify({
        bench: 'read', read: r.name, connections: CONNECTIONS, seconds: SECONDS, orders: orderRows.length,
        server: {
          requestsPerSecond: Math.round(res.requests.average), p50Ms: res.latency.p50, p99Ms: res.latency.p99, failed: res.non2xx + res.errors + res.timeouts,
          // how busy the server's process was: CPU per request, and the share of one core
          cpuMsPerRequest: msPerCall(cpuSeconds, res.requests.total), cpuCores: Math.round((cpuSeconds / SECONDS) * 100) / 100,
          // and PostgreSQL's CPU per request, beside the floor's: the statements' own cost
          databaseCpuMsPerRequest: msPerCall(dbSeconds, res.requests.total),
        },
        floor: {
          requestsPerSecond: floor.perSecond, p50Ms: floor.p50Ms, p99Ms: floor.p99Ms,
          // this process's CPU per request while it ran the floor: the client's side, beside the server's
          clientCpuMsPerRequest: msPerCall((floorCpu.user + floorCpu.system) / 1e6, floor.calls), databaseCpuMsPerRequest: msPerCall(floorDbSeconds, floor.calls),
        },
        // the same floor behind node:http (bench/http-floor.ts): what HTTP alone costs
        httpFloor: {
          requestsPerSecond: Math.round(http.requests.average), p50Ms: http.latency.p50, p99Ms: http.latency.p99, failed: http.non2xx + http.errors + http.timeouts,
          cpuMsPerRequest: msPerCall(httpCpu, http.requests.total),
        },
        ratio: Math.round((res.requests.average / floor.perSecond) * 1000) / 1000,
        ratioToHttpFloor: Math.round((res.requests.average / Math.max(1, http.requests.average)) * 1000) / 1000,
        serverPeakRssMiB: Math.round(peakRss / 2 ** 20),
      }));
    }
    await pool.end();
  } finally {
    if (server) await server.stop();
    if (httpFloor) await httpFloor.stop();
    await data.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
