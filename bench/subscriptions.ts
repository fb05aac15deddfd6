/**
 * npm run bench:subscriptions — WebSocket subscribers of orderUpdated against the real
 * server, with status changes driven through real mutations.
 *
 * The server runs as its own process (`node dist/src/main.js`) on embedded PostgreSQL (or
 * DATABASE_URL's server; it needs an empty database there), seeded with the demo network and
 * 500 orders. For each size (1,000, 5,000, then 10,000 subscribers, spread evenly over the
 * orders, each a WebSocket of its own in a separate client process), this process drives
 * hold / release mutations at 200 a second for 30 s, then waits for delivery to finish. It
 * prints, per size: events delivered against expected (every event of an order reaches every
 * subscriber of that order), duplicates, commit-to-client latency p50 / p99 / p99.9 (client
 * receive time minus the event's `at`, stamped by PostgreSQL as the event is written, in the
 * transaction's last statement before COMMIT), the mutation rate achieved, and the server's
 * peak RSS.
 *
 * Options (environment): BENCH_SIZES (1000,5000,10000), BENCH_ORDERS (500), BENCH_RATE
 * (200 changes a second), BENCH_SECONDS (30), BENCH_PORT (4102), BENCH_PG_PORT (54392), DATABASE_URL,
 * BENCH_PRINCIPALS: `customer` (default: every subscriber is its order's customer, several
 * sockets of one customer, which the server executes each event for once) or `distinct`
 * (every subscriber an AGENT of its own: nothing is shared, each socket costs a full execution).
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { TokenVerifier } from '../src/auth/tokens';
import type { Role } from '../src/auth/principal';
import { openBenchDatabase, sampleRss, startServer, type BenchServer } from './harness';

const SIZES = (process.env.BENCH_SIZES ?? '1000,5000,10000').split(',').map(Number);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 500);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const PORT = Number(process.env.BENCH_PORT ?? 4102);
const PRINCIPALS = process.env.BENCH_PRINCIPALS ?? 'customer';
if (PRINCIPALS !== 'customer' && PRINCIPALS !== 'distinct') throw new Error('BENCH_PRINCIPALS is customer or distinct');

const log = (msg: string) => process.stderr.write(`[bench:subscriptions] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const secret = crypto.randomBytes(32).toString('base64url');
  const verifier = new TokenVerifier({ secret });
  const token = (role: Role, sub: string) => verifier.sign({ sub, role }, '2h');

  const database = await openBenchDatabase({ prefix: 'bench-subs-', port: Number(process.env.BENCH_PG_PORT ?? 54392), log });
  // the server, as a process of its own
  let server: BenchServer;
  try {
    server = await startServer({
      port: PORT, databaseUrl: database.url, secret, log,
      // one AGENT drives every change (200 a second); its mutation rate limit would refuse most
      env: { SEED_DEMO: '1', MUTATION_RATE_LIMITS: process.env.MUTATION_RATE_LIMITS ?? 'off' },
    });
  } catch (err) {
    await database.close();
    throw err;
  }
  const { base } = server;
  let clientsProc: ChildProcess | null = null;
  const stopAll = async () => {
    clientsProc?.kill();
    await server.stop();
    await database.close();
  };
  try {

    const service = await token('SERVICE', 'bench-checkout');
    const agent = await token('AGENT', 'bench-agent');
    const gql = async (query: string, variables: Record<string, unknown>, bearer: string) => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await res.json()) as { data?: any; errors?: unknown[] };
      if (json.errors) throw new Error(JSON.stringify(json.errors));
      return json.data;
    };

    // 500 orders, 50 customers; TEE SKUs of the demo assortment
    const orders: { id: string; customer: string }[] = [];
    for (let i = 0; i < ORDERS; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, ORDERS - i) }, (_, k) => {
          const n = i + k;
          const customer = `bench-customer-${n % 50}`;
          return gql(
            `mutation($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { order { id } userErrors { message } } }`,
            {
              key: `bench-${n}`,
              input: {
                customerId: customer, channel: 'web', method: 'SHIP', currencyCode: 'USD',
                lines: [{ sku: `TEE-${String(1 + (n % 25) * 8).padStart(4, '0')}-${['S', 'M', 'L', 'XL', '10'][(n % 25) * 8 % 5]}`, quantity: 1, unitPrice: '10.00' }],
                shippingAddress: { line1: '1 Main St', city: 'Chicago', postalCode: '60601', countryCode: 'US', geo: { lat: 41.88, lng: -87.62 } },
              },
            },
            service,
          ).then((d) => ({ id: d.placeOrder.order.id as string, customer }));
        }),
      );
      orders.push(...batch);
      if (i % 100 === 0) log(`orders placed: ${orders.length}/${ORDERS}`);
    }
    const customerTokens = new Map<string, string>();
    for (const o of orders) if (!customerTokens.has(o.customer)) customerTokens.set(o.customer, await token('CUSTOMER', o.customer));

    // hold / release, alternating per order: one event each
    const openHold = new Map<string, string>();
    const change = async (orderId: string): Promise<boolean> => {
      const hold = openHold.get(orderId);
      if (hold) {
        openHold.delete(orderId);
        const d = await gql(`mutation($id: ID!, $h: ID!) { releaseOrderHold(id: $id, holdId: $h) { userErrors { message } } }`, { id: orderId, h: hold }, agent);
        return d.releaseOrderHold.userErrors.length === 0;
      }
      const d = await gql(
        `mutation($id: ID!) { holdOrder(id: $id, type: CUSTOMER_SERVICE, reason: "bench") { order { holds { id releasedAt } } userErrors { message } } }`,
        { id: orderId },
        agent,
      );
      if (d.holdOrder.userErrors.length) return false;
      openHold.set(orderId, d.holdOrder.order.holds.find((h: { releasedAt: string | null }) => !h.releasedAt).id);
      return true;
    };

    for (const size of SIZES) {
      clientsProc = fork(path.join(__dirname, 'subscription-clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const clients = clientsProc;
      const next = <T>(pick: (m: any) => T | undefined): Promise<T> =>
        new Promise((resolve) => {
          const on = (m: any) => {
            if (m.progress !== undefined) log(`${size}: connected ${m.progress}`);
            const v = pick(m);
            if (v !== undefined) {
              clients.off('message', on);
              resolve(v);
            }
          };
          clients.on('message', on);
        });
      const subscribers = await Promise.all(
        Array.from({ length: size }, async (_, k) => {
          const o = orders[k % orders.length];
          return { orderId: o.id, token: PRINCIPALS === 'customer' ? customerTokens.get(o.customer)! : await token('AGENT', `bench-agent-${k}`) };
        }),
      );
      const perOrder = new Map<string, number>();
      for (const s of subscribers) perOrder.set(s.orderId, (perOrder.get(s.orderId) ?? 0) + 1);
      clients.send({ connect: { url: `ws://127.0.0.1:${PORT}/graphql`, subscribers } });
      const ready = await next((m) => (m.ready ? m : undefined));
      await sleep(2000); // every subscription in place on the server
      log(`${size}: ${ready.connected} subscribers ready; driving ${RATE} changes a second for ${SECONDS} s`);

      // drive
      let expected = 0;
      let done = 0;
      let failed = 0;
      let inFlight = 0;
      const rss = sampleRss(server.proc.pid!, 500);
      const t0 = performance.now();
      const total = RATE * SECONDS;
      const busy = new Set<string>();
      for (let i = 0; i < total; i++) {
        const due = t0 + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (inFlight >= 100) {
          failed++; // the server fell behind the schedule: counted, not queued
          continue;
        }
        // an order without a change in flight, so that hold and release stay in turn
        let o = orders[Math.floor(Math.random() * orders.length)].id;
        for (let k = 0; busy.has(o) && k < 10; k++) o = orders[Math.floor(Math.random() * orders.length)].id;
        if (busy.has(o)) {
          failed++;
          continue;
        }
        busy.add(o);
        inFlight++;
        change(o)
          .then((ok) => {
            if (ok) {
              done++;
              expected += perOrder.get(o) ?? 0;
            } else failed++;
          })
          .catch(() => failed++)
          .finally(() => {
            inFlight--;
            busy.delete(o);
          });
        if (i % (RATE * 5) === 0 && i > 0) log(`${size}: ${i}/${total} changes sent`);
      }
      while (inFlight > 0) await sleep(10);
      const driveSeconds = (performance.now() - t0) / 1000;
      // delivery: wait until everything expected arrived, or 15 s
      let report: any;
      for (let w = 0; w < 150; w++) {
        clients.send({ report: true });
        report = await next((m) => m.report);
        if (report.delivered >= expected) break;
        await sleep(100);
      }
      const maxRss = rss.stop();
      console.log(
        JSON.stringify({
          bench: 'subscriptions', principals: PRINCIPALS, subscribers: size, connected: ready.connected, orders: orders.length, seconds: SECONDS,
          changes: done, changesPerSecond: Math.round(done / driveSeconds), changesFailed: failed,
          expected, delivered: report.delivered, duplicates: report.duplicates, clientErrors: report.errors, socketsClosed: report.closed,
          latencyMs: { p50: report.p50, p99: report.p99, p999: report.p999, max: report.max },
          serverRssMiB: Math.round(maxRss / 1048576),
        }),
      );
      clients.send({ dispose: true });
      await new Promise((r) => clients.once('exit', r));
      clientsProc = null;
      await sleep(1000);
    }
  } finally {
    await stopAll();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
