/**
 * Surviving faults, with the real service as a child process under load:
 *
 * - SIGTERM: it stops accepting, finishes the mutation in flight (held on a row lock across
 *   the signal), closes WebSockets with 1001, exits 0; no acknowledged order is lost.
 * - SIGKILL, then a restart on the same database: every acknowledged order exists with its
 *   plan, replaying every request with its idempotency key creates nothing twice, the
 *   inventory audit is clean, and a subscriber that resumes with afterSequence gets every
 *   event of its order exactly once.
 * - The database stopped and started again under load: while it is down requests end
 *   promptly with 503 SERVICE_UNAVAILABLE and readiness says so; when it is back the service
 *   recovers by itself (pool and LISTEN), and a subscriber that stayed connected gets the
 *   events written after the outage.
 *
 * Every load loop is bounded in count and in time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { TokenVerifier } from '../../src/auth/tokens';
import type { Role } from '../../src/auth/principal';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { TEST_SECRET } from '../helpers/app';
import { spawnService, freePort, killServices, type ServiceProcess } from '../helpers/service-process';

jest.setTimeout(180_000);
afterEach(() => killServices());

const verifier = new TokenVerifier({ secret: TEST_SECRET });
const token = (role: Role, sub = `${role.toLowerCase()}-faults`) => verifier.sign({ sub, role });

interface Reply {
  status: number;
  json: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  retryAfter: string | null;
}

async function gql(url: string, role: Role, query: string, variables: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(role)}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {}, retryAfter: res.headers.get('retry-after') };
}

const PLACE = `mutation($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) {
  order { id status } userErrors { code message } } }`;
const orderInput = (sku: string, customerId = 'customer-faults') => ({
  customerId, channel: 'web', method: 'SHIP', currencyCode: 'USD',
  lines: [{ sku, quantity: 1, unitPrice: '10.00' }],
  shippingAddress: { line1: '1 Test St', city: 'Chicago', postalCode: '60601', countryCode: 'US', geo: { lat: 41.88, lng: -87.62 } },
});

async function place(url: string, key: string, sku = 'TEE-0001-S', customerId?: string): Promise<string> {
  const r = await gql(url, 'SERVICE', PLACE, { input: orderInput(sku, customerId), key });
  if (r.json.data?.placeOrder?.userErrors?.length || !r.json.data?.placeOrder?.order) throw new Error(`placeOrder failed: ${JSON.stringify(r.json)}`);
  return r.json.data.placeOrder.order.id;
}

/** Plenty of stock for `skus` at every warehouse, so that the load is never short. */
async function stockUp(url: string, skus: string[]): Promise<void> {
  const r = await gql(url, 'ADMIN', '{ locations(type: WAREHOUSE) { id } }');
  const input = r.json.data.locations.flatMap((l: { id: string }) => skus.map((sku) => ({ locationId: l.id, sku, onHand: 1_000_000 })));
  const set = await gql(url, 'ADMIN', 'mutation($i: [InventoryInput!]!) { setInventory(input: $i) { userErrors { message } } }', { i: input });
  expect(set.json.data.setInventory.userErrors).toEqual([]);
}

type Outcome = { key: string; kind: 'ack'; orderId: string } | { key: string; kind: 'http'; status: number; code?: string } | { key: string; kind: 'unreachable'; error: string };

/**
 * `workers` loops placing orders with fresh idempotency keys until `stop()` or `max` requests
 * or `maxMs`, whichever comes first. Every outcome is recorded.
 */
function placeLoad(getUrl: () => string, opts: { workers: number; max: number; maxMs: number; prefix: string }) {
  const outcomes: Outcome[] = [];
  let stopped = false;
  let n = 0;
  const t0 = Date.now();
  const worker = async () => {
    while (!stopped && n < opts.max && Date.now() - t0 < opts.maxMs) {
      const key = `${opts.prefix}-${n++}`;
      try {
        const r = await gql(getUrl(), 'SERVICE', PLACE, { input: orderInput('TEE-0001-S', `customer-${opts.prefix}`), key }, 10_000);
        const order = r.json.data?.placeOrder?.order;
        if (r.status === 200 && order && !r.json.data.placeOrder.userErrors.length) outcomes.push({ key, kind: 'ack', orderId: order.id });
        else outcomes.push({ key, kind: 'http', status: r.status, code: r.json.errors?.[0]?.extensions?.code ?? r.json.data?.placeOrder?.userErrors?.[0]?.code });
      } catch (err) {
        outcomes.push({ key, kind: 'unreachable', error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const done = Promise.all(Array.from({ length: opts.workers }, worker));
  return {
    outcomes,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** A graphql-ws client on the service; records close codes. */
function wsClient(url: string, role: Role = 'ADMIN') {
  const closes: number[] = [];
  const client = createClient({
    url: url.replace('http://', 'ws://'),
    webSocketImpl: WebSocket,
    connectionParams: async () => ({ authorization: `Bearer ${await token(role)}` }),
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: { closed: (e) => closes.push((e as { code: number }).code) },
  });
  return { client, closes };
}

/** Follows orderUpdated(orderId, afterSequence) and collects the sequences. */
function follow(client: Client, orderId: string, afterSequence: number) {
  const sequences: number[] = [];
  const errors: unknown[] = [];
  client.subscribe<{ orderUpdated: { sequence: number } }>(
    { query: 'subscription($id: ID!, $after: Int) { orderUpdated(orderId: $id, afterSequence: $after) { sequence } }', variables: { id: orderId, after: afterSequence } },
    { next: (m) => (m.data ? sequences.push(m.data.orderUpdated.sequence) : errors.push(m.errors)), error: (e) => errors.push(e), complete: () => undefined },
  );
  return { sequences, errors };
}

async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const HOLD = 'mutation($id: ID!) { holdOrder(id: $id, type: CUSTOMER_SERVICE, reason: "fault test") { order { holds { id releasedAt } } userErrors { code } } }';
const RELEASE = 'mutation($id: ID!, $h: ID!) { releaseOrderHold(id: $id, holdId: $h) { userErrors { code } } }';

/** One hold and its release on `orderId`: two events. */
async function holdAndRelease(url: string, orderId: string): Promise<void> {
  const h = await gql(url, 'AGENT', HOLD, { id: orderId });
  const open = h.json.data.holdOrder.order.holds.find((x: { releasedAt: string | null }) => !x.releasedAt);
  await gql(url, 'AGENT', RELEASE, { id: orderId, h: open.id });
}

describe('the service killed and stopped under load', () => {
  let tdb: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    tdb = await createTestDatabase(2);
    env = { DATABASE_URL: tdb.url, JWT_SECRET: TEST_SECRET, SEED_DEMO: '1', MUTATION_RATE_LIMITS: 'off' };
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  /** Holds every position of `sku` locked in an open transaction; release() commits. */
  async function lockPositions(sku: string) {
    const locker = new pg.Client({ connectionString: tdb.url });
    locker.on('error', () => undefined);
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM inventory_positions WHERE sku = $1 FOR UPDATE', [sku]);
    return {
      release: async () => {
        await locker.query('COMMIT');
        await locker.end();
      },
    };
  }

  /** Until a statement of this database waits on a lock. */
  const someoneWaits = (what: string) =>
    until(async () => (await tdb.db.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).length > 0, 10_000, what);

  async function persisted(acked: string[]): Promise<{ orders: number; plans: number }> {
    const [r] = await tdb.db.query<{ orders: number; plans: number }>(
      `SELECT (SELECT count(*) FROM orders WHERE id = ANY($1::uuid[]))::int AS orders,
              (SELECT count(DISTINCT order_id) FROM fulfillment_plans WHERE order_id = ANY($1::uuid[]))::int AS plans`,
      [acked],
    );
    return r;
  }

  it('SIGTERM: finishes the mutation in flight, closes sockets with 1001, exits 0, loses no acknowledged order', async () => {
    const svc = await spawnService(env);
    await stockUp(svc.url, ['TEE-0001-S', 'SOCK-0001-M']);
    const ws = wsClient(svc.url);
    const orderId = await place(svc.url, 'term-first');
    const sub = follow(ws.client, orderId, 0);
    await until(() => sub.sequences.length > 0, 10_000, 'the subscriber');

    // a mutation held in flight across the signal: every SOCK-0001-M position is locked
    const lock = await lockPositions('SOCK-0001-M');
    const inFlight = gql(svc.url, 'SERVICE', PLACE, { input: orderInput('SOCK-0001-M'), key: 'term-in-flight' }, 30_000);
    let settled = false;
    void inFlight.finally(() => (settled = true));
    await someoneWaits('the held mutation');

    const load = placeLoad(() => svc.url, { workers: 6, max: 2_000, maxMs: 20_000, prefix: 'term' });
    await new Promise((r) => setTimeout(r, 700));
    svc.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(settled).toBe(false); // still waiting on the lock, and the process still up for it
    await lock.release();

    const held = await inFlight;
    expect(held.status).toBe(200);
    expect(held.json.data.placeOrder.userErrors).toEqual([]);
    const exit = await svc.exited;
    await load.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(svc.logs.some((l) => l.msg === 'stopped')).toBe(true);
    await until(() => ws.closes.length > 0, 5_000, 'the socket to close');
    expect(ws.closes[0]).toBe(1001);

    const acked = load.outcomes.filter((o): o is Extract<Outcome, { kind: 'ack' }> => o.kind === 'ack');
    expect(acked.length).toBeGreaterThan(5);
    // nothing answered 5xx: the rest could not connect once the server had stopped listening
    expect(load.outcomes.filter((o) => o.kind === 'http')).toEqual([]);
    expect(await persisted([...acked.map((o) => o.orderId), held.json.data.placeOrder.order.id])).toEqual({ orders: acked.length + 1, plans: acked.length + 1 });
    await ws.client.dispose();
  });

  it('SIGTERM with work stuck past SHUTDOWN_TIMEOUT_MS: exits 1 at the deadline, saying so', async () => {
    const svc = await spawnService({ ...env, SHUTDOWN_TIMEOUT_MS: '1000' });
    await stockUp(svc.url, ['SOCK-0001-M']);
    const lock = await lockPositions('SOCK-0001-M');
    const stuck = gql(svc.url, 'SERVICE', PLACE, { input: orderInput('SOCK-0001-M'), key: 'term-stuck' }, 30_000).catch((e: Error) => e);
    await someoneWaits('the stuck mutation');
    const t0 = Date.now();
    svc.proc.kill('SIGTERM');
    const exit = await svc.exited;
    const took = Date.now() - t0;
    await lock.release();
    expect(exit).toEqual({ code: 1, signal: null });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(svc.logs.find((l) => l.level === 'error')).toMatchObject({ msg: 'shutdown did not finish in time; exiting with work still in flight', timeoutMs: 1000 });
    // the client saw the connection end, no answer: not acknowledged
    expect(await stuck).toMatchObject({ message: 'fetch failed' });
  });

  it('SIGKILL and restart: acknowledged orders kept with plans, no duplicates on replay, audit clean, a resuming subscriber misses nothing', async () => {
    let svc: ServiceProcess = await spawnService(env);
    const port = svc.port;
    const orderId = await place(svc.url, 'followed-kill');
    let ws = wsClient(svc.url);
    const before = follow(ws.client, orderId, 0);
    await until(() => before.sequences.length > 0, 10_000, 'the subscriber');

    // orders placed, and the followed order held and released, until the kill
    let url = svc.url;
    const load = placeLoad(() => url, { workers: 6, max: 2_000, maxMs: 30_000, prefix: 'kill' });
    let churn = true;
    const churner = (async () => {
      for (let i = 0; churn && i < 500; i++) {
        try {
          await holdAndRelease(url, orderId);
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 1_500));
    svc.proc.kill('SIGKILL');
    expect(await svc.exited).toEqual({ code: null, signal: 'SIGKILL' });
    churn = false;
    await load.stop();
    await churner;
    const killedAt = load.outcomes.length;
    await ws.client.dispose();

    svc = await spawnService(env, port);
    url = svc.url;
    try {
      const acked = load.outcomes.filter((o): o is Extract<Outcome, { kind: 'ack' }> => o.kind === 'ack');
      expect(acked.length).toBeGreaterThan(5);
      expect(load.outcomes.filter((o) => o.kind === 'http')).toEqual([]);
      expect(await persisted(acked.map((o) => o.orderId))).toEqual({ orders: acked.length, plans: acked.length });

      // a client that did not hear back retries with its key: the acknowledged get the same
      // order, and no key ever makes two
      for (const o of load.outcomes.slice(0, killedAt)) {
        const again = await place(url, o.key, 'TEE-0001-S', 'customer-kill');
        if (o.kind === 'ack') expect(again).toBe(o.orderId);
      }
      // one order per key: none lost with its key, none made twice
      const [{ orders }] = await tdb.db.query<{ orders: number }>(`SELECT count(*)::int AS orders FROM orders WHERE customer_id = 'customer-kill'`);
      expect(orders).toBe(killedAt);

      const audit = await gql(url, 'ADMIN', '{ inventoryAudit { ok drifts { sku } } }');
      expect(audit.json.data.inventoryAudit).toEqual({ ok: true, drifts: [] });

      // the subscriber resumes after the last event it saw, then two more events happen
      const last = Math.max(...before.sequences);
      ws = wsClient(url);
      const after = follow(ws.client, orderId, last);
      await holdAndRelease(url, orderId);
      const [{ max }] = await tdb.db.query<{ max: number }>('SELECT max(sequence)::int AS max FROM order_events WHERE order_id = $1', [orderId]);
      await until(() => after.sequences.includes(max), 10_000, `event ${max} after the restart`);
      const all = [...before.sequences, ...after.sequences];
      expect(all).toEqual(Array.from({ length: max }, (_, i) => i + 1));
      expect(after.errors).toEqual([]); // the first socket ended with the kill (1006), as it must
      await ws.client.dispose();
    } finally {
      svc.proc.kill('SIGTERM');
      await svc.exited;
    }
  });
});

describe('the database restarted under load', () => {
  let dataDir: string;
  let pgPort: number;
  let pgProc: ChildProcess | null = null;

  async function startPg(): Promise<string> {
    const proc = spawn(process.execPath, [path.join(__dirname, '..', 'helpers', 'pg-server.mjs'), dataDir, String(pgPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
    pgProc = proc;
    return new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /READY (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      proc.once('exit', (code) => reject(new Error(`pg-server exited with ${code}`)));
    });
  }

  async function stopPg(): Promise<void> {
    const proc = pgProc!;
    pgProc = null;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orders-faults-pg-'));
    pgPort = await freePort();
  });
  afterAll(async () => {
    if (pgProc) await stopPg();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, reports not ready, and recovers by itself: pool, LISTEN and subscribers', async () => {
    const dbUrl = await startPg();
    const svc = await spawnService({ DATABASE_URL: dbUrl, JWT_SECRET: TEST_SECRET, SEED_DEMO: '1', MUTATION_RATE_LIMITS: 'off' });
    const ready = async () => {
      const res = await fetch(svc.url.replace('/graphql', '/health/ready'), { signal: AbortSignal.timeout(5_000) });
      return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
    };
    try {
      await stockUp(svc.url, ['TEE-0001-S']);
      const orderId = await place(svc.url, 'restart-followed');
      const ws = wsClient(svc.url);
      const sub = follow(ws.client, orderId, 0);
      await until(() => sub.sequences.length > 0, 10_000, 'the subscriber');

      const load = placeLoad(() => svc.url, { workers: 4, max: 3_000, maxMs: 60_000, prefix: 'restart' });
      await new Promise((r) => setTimeout(r, 500));
      await stopPg();
      const downAt = load.outcomes.length;
      await new Promise((r) => setTimeout(r, 2_000));
      if (svc.proc.exitCode !== null) throw new Error(`the service exited: ${svc.stderr()} ${JSON.stringify(svc.logs.slice(-5))}`);

      // down: every request ended, none hung; the ones that reached GraphQL say 503
      const down = await gql(svc.url, 'ADMIN', '{ sourcingRules { name } }', {}, 10_000);
      expect([down.status, down.json.errors?.[0]?.extensions?.code, down.json.errors?.[0]?.message, down.retryAfter]).toEqual([
        503, 'SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly', '1',
      ]);
      const notReady = await ready();
      expect(notReady.status).toBe(503);
      expect(notReady.body.checks.database).not.toBe('ok');
      expect((await fetch(svc.url.replace('/graphql', '/health/live'))).status).toBe(200);
      const duringOutage = load.outcomes.slice(downAt);
      expect(duringOutage.length).toBeGreaterThan(0);
      for (const o of duringOutage) expect(o).toMatchObject({ kind: 'http', status: 503, code: 'SERVICE_UNAVAILABLE' });

      await startPg();
      await until(async () => (await ready()).status === 200, 30_000, 'readiness after the restart');
      expect((await ready()).body.checks).toEqual({ database: 'ok', migrations: 'ok', listener: 'ok' });
      await until(() => load.outcomes.slice(-4).every((o) => o.kind === 'ack'), 15_000, 'orders to be acknowledged again');
      await load.stop();

      // the subscriber that stayed connected gets the events written after the outage
      await holdAndRelease(svc.url, orderId);
      const maxRows = await (async () => {
        const c = new pg.Client({ connectionString: dbUrl });
        await c.connect();
        try {
          return (await c.query<{ max: number }>('SELECT max(sequence)::int AS max FROM order_events WHERE order_id = $1', [orderId])).rows[0].max;
        } finally {
          await c.end();
        }
      })();
      await until(() => sub.sequences.includes(maxRows), 15_000, 'the events after the outage');
      expect(sub.sequences).toEqual(Array.from({ length: maxRows }, (_, i) => i + 1));
      expect(svc.logs.some((l) => l.msg === 'event listener reconnected; subscribers catch up from the outbox')).toBe(true);
      // nothing 5xx but 503, and nothing unexpected logged
      expect(load.outcomes.filter((o) => o.kind === 'http' && o.status !== 503)).toEqual([]);
      expect(svc.logs.filter((l) => l.level === 'error')).toEqual([]);
      await ws.client.dispose();
    } finally {
      svc.proc.kill('SIGTERM');
      await svc.exited;
    }
  });
});
