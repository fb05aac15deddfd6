/**
 * `placeOrder` against its floor, in the same run (issue 8). On a data set built by
 * bench/dataset.ts (200 locations, 2,000 SKUs), orders of 3 lines (1 or 2 units each) shipped
 * to an address near one of the locations; the first line of every order is one of 20 hot
 * SKUs, so that orders race for the same positions, as in a sale.
 * - The server (a process of its own, production mode, pool of 10): autocannon with 16
 *   connections for 10 s, each request a new order with its own idempotency key.
 * - The floor: one raw `pg` transaction per order, 16 at a time over a pool of 10, doing the
 *   same inserts and guarded updates: the order and its lines, the read of the lines' stock
 *   at every location, the guarded reservation (`on_hand - reserved - safety_stock >= q`),
 *   the plan, its group, the group's lines, the plan's membership, the ledger's movements and
 *   the order's events. It ships each order from the nearest location that holds all of it.
 * Then the service's inventory audit checks every position: none reserves more than it
 * holds, and every position's on hand and reservations equal its ledger and its open groups'
 * and carts' lines (zero oversell, nothing lost).
 * Prints one JSON line: orders a second and p99 for both, the ratio, the server's CPU, the
 * database's CPU per order for both, and the server's peak RSS.
 *
 * The data: as bench/read.ts (DATABASE_URL, BENCH_DATA_DIR, or built here). The run adds its
 * orders to that data set. Options: BENCH_CONCURRENCY (16), BENCH_SECONDS (10), BENCH_PORT
 * (4104), BENCH_PG_PORT (54395), BENCH_SERVER_ARGS. Progress goes to stderr.
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import pg from 'pg';
import autocannon from 'autocannon';
import { TokenVerifier } from '../src/auth/tokens';
import { haversineKm } from '../src/common/geo';
import { prng } from '../src/common/prng';
import { AuditService } from '../src/inventory/audit.service';
import { checkpointCounters, closedLoop, LatencyBySecond, cpuSecondsOf, databaseCpuSeconds, msPerCall, openDataset, sampleRss, startServer, type BenchServer } from './harness';

const log = (msg: string) => process.stderr.write(`[bench:write] ${msg}\n`);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 4104);
const POOL = 10; // the server's DB_POOL_SIZE default
const HOT_SKUS = 20;
const perOrder = (n: number, orders: number) => (orders > 0 ? Math.round((n / orders) * 100) / 100 : 0);

const PLACE_ORDER = `mutation BenchPlaceOrder($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) { order { id status } userErrors { code } }
}`;

interface Location { id: string; lat: number; lng: number }
interface OrderInput {
  customerId: string;
  lines: { sku: string; quantity: number; unitPrice: string }[];
  geo: { lat: number; lng: number };
}

/** Raised inside the floor's transaction when no location holds the whole order. */
class NoStock extends Error {}

/**
 * The floor of one placeOrder: what a hand-written service must do at least, in one
 * transaction, one statement per table.
 */
async function floorOrder(pool: pg.Pool, locations: Map<string, Location>, input: OrderInput, key: string): Promise<'placed' | 'refused'> {
  const skus = input.lines.map((l) => l.sku);
  const quantities = input.lines.map((l) => l.quantity);
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query({ name: 'w_key', text: `INSERT INTO idempotency_keys (principal, operation, key, request_hash) VALUES ('bench-floor', 'placeOrder', $1, $2)`, values: [key, 'h'] });
      const address = { line1: '1 Floor St', city: 'Metro', postalCode: '10001', countryCode: 'US', geo: input.geo };
      const [order] = (await client.query({
        name: 'w_order',
        text: `INSERT INTO orders (number, customer_id, channel, status, method, shipping_address, currency_code, ship_complete, last_sequence)
               VALUES ('FLR-' || nextval('order_number_seq'), $1, 'web', 'ALLOCATED', 'SHIP', $2, 'USD', false, 2) RETURNING id`,
        values: [input.customerId, address],
      })).rows as { id: string }[];
      const lineIds = input.lines.map(() => crypto.randomUUID());
      await client.query({
        name: 'w_lines',
        text: `INSERT INTO order_lines (id, order_id, line_no, sku, quantity, unit_price)
               SELECT id, $1, ord - 1, sku, q, p FROM unnest($2::uuid[], $3::text[], $4::int[], $5::numeric[]) WITH ORDINALITY AS v(id, sku, q, p, ord)`,
        values: [order.id, lineIds, skus, quantities, input.lines.map((l) => l.unitPrice)],
      });
      // the lines' stock everywhere; the nearest location that holds all of it
      const stock = (await client.query({
        name: 'w_stock',
        text: 'SELECT location_id, sku, on_hand - reserved - safety_stock AS available FROM inventory_positions WHERE sku = ANY($1)',
        values: [skus],
      })).rows as { location_id: string; sku: string; available: number }[];
      const held = new Map<string, number>();
      for (const r of stock) if (r.available >= quantities[skus.indexOf(r.sku)]) held.set(r.location_id, (held.get(r.location_id) ?? 0) + 1);
      let best: Location | null = null;
      let bestKm = Infinity;
      for (const [id, n] of held) {
        if (n < skus.length) continue;
        const km = haversineKm(locations.get(id)!, input.geo);
        if (km < bestKm) [best, bestKm] = [locations.get(id)!, km];
      }
      if (!best) throw new NoStock();
      // the guarded reservation, in key order (no deadlock between two orders)
      const order_ = skus.map((_, i) => i).sort((a, b) => (skus[a] < skus[b] ? -1 : 1));
      const reserved = await client.query({
        name: 'w_reserve',
        text: `UPDATE inventory_positions p SET reserved = p.reserved + v.q, updated_at = now()
                 FROM unnest($2::text[], $3::int[]) AS v(s, q)
                WHERE p.location_id = $1 AND p.sku = v.s AND p.on_hand - p.reserved - p.safety_stock >= v.q`,
        values: [best.id, order_.map((i) => skus[i]), order_.map((i) => quantities[i])],
      });
      if (reserved.rowCount !== skus.length) throw new NoStock();
      const planId = crypto.randomUUID();
      const groupId = crypto.randomUUID();
      const km = Math.round(bestKm * 1000) / 1000;
      await client.query({
        name: 'w_plan',
        text: `INSERT INTO fulfillment_plans (id, order_id, version, shipment_count, estimated_cost, total_distance_km, explanation) VALUES ($1, $2, 1, 1, $3, $4, $5)`,
        values: [planId, order.id, 5, km, { provenOptimal: false, objective: 5, alternatives: [], excluded: [] }],
      });
      await client.query({
        name: 'w_group',
        text: `INSERT INTO fulfillment_groups (id, plan_id, order_id, location_id, method, status, estimated_cost, distance_km) VALUES ($1, $2, $3, $4, 'SHIP', 'PENDING', 5, $5)`,
        values: [groupId, planId, order.id, best.id, km],
      });
      await client.query({
        name: 'w_group_lines',
        text: 'INSERT INTO fulfillment_group_lines (group_id, order_line_id, sku, quantity) SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::int[])',
        values: [groupId, lineIds, skus, quantities],
      });
      await client.query({ name: 'w_plan_groups', text: 'INSERT INTO plan_groups (plan_id, group_id) VALUES ($1, $2)', values: [planId, groupId] });
      await client.query({
        name: 'w_movements',
        text: `INSERT INTO inventory_movements (location_id, sku, kind, on_hand_delta, reserved_delta, order_id, group_id, reason, actor)
               SELECT $1, s, 'RESERVATION', 0, q, $2, $3, 'sourced', 'bench-floor' FROM unnest($4::text[], $5::int[]) AS v(s, q)`,
        values: [best.id, order.id, groupId, skus, quantities],
      });
      await client.query({
        name: 'w_events',
        text: `INSERT INTO order_events (order_id, sequence, type, status, previous_status, actor)
               VALUES ($1, 1, 'ORDER_PLACED', 'PLACED', NULL, 'bench-floor'), ($1, 2, 'ORDER_ALLOCATED', 'ALLOCATED', 'PLACED', 'bench-floor')`,
        values: [order.id],
      });
      await client.query('COMMIT');
      return 'placed';
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (err instanceof NoStock) return 'refused';
      if ((err as { code?: string }).code === '40P01' && attempt < 3) continue;
      throw err;
    } finally {
      client.release();
    }
  }
}

async function main(): Promise<void> {
  const data = await openDataset({ prefix: 'bench-write-', port: Number(process.env.BENCH_PG_PORT ?? 54395), log });
  const { db, url: databaseUrl } = data;
  let server: BenchServer | null = null;
  try {
    const locationRows = await db.query<Location>('SELECT id, lat, lng FROM locations WHERE active');
    const locations = new Map(locationRows.map((l) => [l.id, l]));
    const skus = (await db.query<{ sku: string }>('SELECT DISTINCT sku FROM inventory_positions ORDER BY sku')).map((r) => r.sku);
    if (skus.length < HOT_SKUS + 2) throw new Error(`the data set holds ${skus.length} SKUs; the write benchmark needs at least ${HOT_SKUS + 2}`);
    log(`${locationRows.length} locations, ${skus.length} SKUs`);

    const rand = prng(23);
    let n = 0;
    const run = crypto.randomBytes(4).toString('hex');
    const makeOrder = (): OrderInput => {
      const at = locationRows[Math.floor(rand() * locationRows.length)];
      const picked = new Set<string>([skus[Math.floor(rand() * HOT_SKUS)]]);
      while (picked.size < 3) picked.add(skus[HOT_SKUS + Math.floor(rand() * (skus.length - HOT_SKUS))]);
      return {
        customerId: `bench-writer-${n++ % 5000}`,
        lines: [...picked].map((sku) => ({ sku, quantity: 1 + Math.floor(rand() * 2), unitPrice: '19.99' })),
        geo: { lat: at.lat + (rand() - 0.5) * 0.4, lng: at.lng + (rand() - 0.5) * 0.4 },
      };
    };

    // ---- the server
    const secret = crypto.randomBytes(32).toString('base64url');
    const token = await new TokenVerifier({ secret }).sign({ sub: 'bench-writer', role: 'SERVICE' }, '2h');
    server = await startServer({ port: PORT, databaseUrl, secret, env: { DB_POOL_SIZE: String(POOL), MUTATION_RATE_LIMITS: 'off' }, log });
    const { base } = server;
    const pid = server.proc.pid!;
    const body = () => {
      const o = makeOrder();
      return JSON.stringify({
        query: PLACE_ORDER,
        variables: {
          key: `bench-${run}-${n}`,
          input: {
            customerId: o.customerId, channel: 'web', method: 'SHIP', currencyCode: 'USD', lines: o.lines,
            shippingAddress: { line1: '1 Bench Ave', city: 'Metro', postalCode: '10001', countryCode: 'US', geo: o.geo },
          },
        },
      });
    };
    const outcome = { placed: 0, refused: 0, failed: 0 };
    const onResponse = (status: number, text: string) => {
      if (status !== 200) return void outcome.failed++;
      const json = JSON.parse(text) as { data?: { placeOrder?: { order: unknown; userErrors: unknown[] } }; errors?: unknown[] };
      if (json.errors || !json.data?.placeOrder) outcome.failed++;
      else if (json.data.placeOrder.order) outcome.placed++;
      else outcome.refused++;
    };
    const load = (duration: number, bySecond?: LatencyBySecond) =>
      new Promise<autocannon.Result>((resolve, reject) => {
        const run = autocannon({
          url: `${base}/graphql`, connections: CONCURRENCY, duration,
          requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, setupRequest: (req) => ({ ...req, body: body() }), onResponse }],
        }, (err, result) => (err ? reject(err) : resolve(result)));
        if (bySecond) run.on('response', (_client, _status, _bytes, ms) => bySecond.add(ms));
      });

    // ---- the floor first: warm-up, then measured
    const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL });
    const floorOutcome = { placed: 0, refused: 0 };
    const floorCall = async () => {
      floorOutcome[await floorOrder(pool, locations, makeOrder(), `floor-${run}-${n}`)]++;
    };
    log(`floor (one pg transaction per order), ${CONCURRENCY} at a time for ${SECONDS} s`);
    await closedLoop(CONCURRENCY, SECONDS, floorCall); // warm-ups as long as the measurement, as in bench/read.ts
    floorOutcome.placed = floorOutcome.refused = 0;
    const floorCk0 = await checkpointCounters(db);
    const floorDb0 = databaseCpuSeconds();
    const floorCpu0 = process.cpuUsage();
    const floorBySecond = new LatencyBySecond();
    const floor = await closedLoop(CONCURRENCY, SECONDS, floorCall, floorBySecond);
    const floorCpu = process.cpuUsage(floorCpu0);
    const floorDbSeconds = databaseCpuSeconds() - floorDb0;
    const floorCk = await checkpointCounters(db);
    await pool.end();

    log(`the server over HTTP, autocannon ${CONCURRENCY} connections for ${SECONDS} s`);
    const rss = sampleRss(pid, 250);
    await load(SECONDS); // warm-up
    outcome.placed = outcome.refused = outcome.failed = 0;
    const conflicts0 = await reservationConflicts(base);
    const ck0 = await checkpointCounters(db);
    const cpu0 = cpuSecondsOf(pid);
    const db0 = databaseCpuSeconds();
    const bySecond = new LatencyBySecond();
    const res = await load(SECONDS, bySecond);
    const cpuSeconds = cpuSecondsOf(pid) - cpu0;
    const dbSeconds = databaseCpuSeconds() - db0;
    const ck = await checkpointCounters(db);
    const conflicts = (await reservationConflicts(base)) - conflicts0;
    const peakRss = rss.stop();

    // ---- zero oversell, nothing lost: the service's own audit of every position (on hand and
    // reserved against the ledger, reserved against open groups and carts, nothing negative)
    log('checking the stock with the inventory audit: no oversell, reservations equal open groups and the ledger');
    const audit = await new AuditService(db).audit(null);
    const check = {
      oversold: audit.drifts.filter((d) => d.reserved > d.onHand || d.reserved < 0 || d.onHand < 0).length,
      drift: audit.drifts.length,
    };
    const serverOrders = res.requests.total;
    console.log(JSON.stringify({
      bench: 'write', concurrency: CONCURRENCY, seconds: SECONDS, hotSkus: HOT_SKUS,
      server: {
        ordersPerSecond: Math.round(res.requests.average), p50Ms: res.latency.p50, p99Ms: res.latency.p99, ...outcome, non2xx: res.non2xx, errors: res.errors + res.timeouts,
        // reservations that lost stock to a concurrent order and planned again
        reservationConflicts: conflicts,
        cpuMsPerOrder: msPerCall(cpuSeconds, serverOrders), cpuCores: Math.round((cpuSeconds / SECONDS) * 100) / 100,
        databaseCpuMsPerOrder: msPerCall(dbSeconds, serverOrders),
        p99BySecondMs: bySecond.p99s(SECONDS),
        // checkpoints begun during the measurement, and whole pages written to the WAL an order
        checkpoints: ck.checkpoints - ck0.checkpoints, walFullPagesPerOrder: perOrder(ck.fullPageImages - ck0.fullPageImages, serverOrders),
      },
      floor: {
        ordersPerSecond: floor.perSecond, p50Ms: floor.p50Ms, p99Ms: floor.p99Ms, ...floorOutcome,
        // this process's CPU per order while it ran the floor: the client's side, beside the server's
        clientCpuMsPerOrder: msPerCall((floorCpu.user + floorCpu.system) / 1e6, floor.calls), databaseCpuMsPerOrder: msPerCall(floorDbSeconds, floor.calls),
        p99BySecondMs: floorBySecond.p99s(SECONDS),
        checkpoints: floorCk.checkpoints - floorCk0.checkpoints, walFullPagesPerOrder: perOrder(floorCk.fullPageImages - floorCk0.fullPageImages, floor.calls),
      },
      ratio: Math.round((res.requests.average / floor.perSecond) * 1000) / 1000,
      auditedPositions: audit.checkedPositions, oversoldPositions: check.oversold, positionsOutOfLedger: check.drift,
      serverPeakRssMiB: Math.round(peakRss / 2 ** 20),
    }));
    if (!audit.ok) throw new Error(`the stock does not add up: ${check.oversold} positions oversold, ${check.drift} drifting: ${JSON.stringify(audit.drifts.slice(0, 3))}`);
    if (outcome.failed > 0) throw new Error(`${outcome.failed} placeOrder requests failed`);
  } finally {
    if (server) await server.stop();
    await data.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

/** The server's count of reservations that lost a race and planned again (its /metrics). */
async function reservationConflicts(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^orders_reservation_conflicts_total(?:\{[^}]*\})? (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}
