/**
 * orderUpdated over graphql-ws, against the real process entry (`start`) on a test
 * database: replay then live with no gap and no duplicate while events are being written,
 * a LISTEN connection killed mid-stream, and authentication and authorization on the socket.
 */
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { start, type Running } from '../../src/main';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import type { Role } from '../../src/auth/principal';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { TEST_SECRET } from '../helpers/app';
import { orderInput } from '../helpers/fixtures';
import { appendOrderEvents } from '../../src/events/outbox';
import { metrics } from '../../src/metrics';
import type { OrderStatusValue } from '../../src/orders/status';
import {
  AdjustInventoryDocument, AdvanceFulfillmentDocument, FulfillmentUpdatesDocument, InventoryChangedDocument, type InventoryChangedSubscription, HoldOrderDocument, OrderUpdatedDocument, PlaceOrderDocument, ReleaseOrderHoldDocument,
  type FulfillmentUpdatesSubscription, type OrderUpdatedSubscription,
} from '../generated/graphql';

let tdb: TestDatabase;
let running: Running;
let wsUrl: string;
const clients: Client[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(2);
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: tdb.url, JWT_SECRET: TEST_SECRET, PORT: '0', SEED_DEMO: '1' });
  running = await start(config, silentLogger);
  wsUrl = running.url.replace(/^http/, 'ws');
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => {
  await running.stop();
  await tdb.drop();
});

const token = (role: Role, sub = `${role.toLowerCase()}-ws`, expiresIn?: string) => running.verifier.sign({ sub, role }, expiresIn);

async function gql<T, V>(doc: TypedDocumentNode<T, V>, variables: V, role: Role, sub?: string): Promise<T> {
  const res = await fetch(running.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(role, sub)}` },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  const json = (await res.json()) as { data: T; errors?: unknown[] };
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return json.data;
}

let n = 0;
async function placeOrder(customer = 'customer-ws'): Promise<string> {
  const r = await gql(PlaceOrderDocument, {
    input: orderInput({ customerId: customer, lines: [{ sku: 'TEE-0001-S', quantity: 1, unitPrice: '19.99' }] }),
    key: `ws-${++n}`,
  }, 'SERVICE');
  expect(r.placeOrder.userErrors).toEqual([]);
  return r.placeOrder.order!.id;
}

/** A client whose close (code and reason) is recorded. */
function connect(params: Record<string, unknown> | undefined, url = wsUrl) {
  const closed: { code: number; reason: string }[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: params,
    retryAttempts: 0,
    lazy: false,
    on: { closed: (e) => closed.push({ code: (e as { code: number }).code, reason: (e as { reason: string }).reason }) },
    onNonLazyError: () => undefined,
  });
  clients.push(client);
  return { client, closed };
}

type Event = OrderUpdatedSubscription['orderUpdated'];
type LocationEvent = FulfillmentUpdatesSubscription['fulfillmentUpdates'];

/** Subscribes and collects items (and errors) until the test's client is disposed. */
function collect<T>(client: Client, query: string, variables: Record<string, unknown>, pick: (data: any) => T) {
  const events: T[] = [];
  const errors: unknown[] = [];
  let ended = false;
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  client.subscribe<Record<string, unknown>>(
    { query, variables },
    {
      next: (msg) => {
        if (msg.errors) errors.push(...msg.errors);
        if (msg.data) events.push(pick(msg.data));
        poke();
      },
      error: (err) => {
        errors.push(err);
        ended = true;
        poke();
      },
      complete: () => {
        ended = true;
        poke();
      },
    },
  );
  return {
    events,
    errors,
    get ended() {
      return ended;
    },
    /** Resolves once `pred` holds for the items received, or the stream has ended. */
    waitFor(pred: (e: T[]) => boolean, ms = 10_000): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pred(events) && !ended) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out with ${events.length} events: ${JSON.stringify(errors)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

const follow = (client: Client, variables: { orderId: string; afterSequence?: number | null }) =>
  collect<Event>(client, print(OrderUpdatedDocument), variables, (d: OrderUpdatedSubscription) => d.orderUpdated);
type PositionEvent = InventoryChangedSubscription['inventoryChanged'];
const followInventory = (client: Client, variables: { skus?: string[]; locationIds?: string[] }) =>
  collect<PositionEvent>(client, print(InventoryChangedDocument), variables, (d: InventoryChangedSubscription) => d.inventoryChanged);
const followLocation = (client: Client, variables: { locationId: string; afterSequence?: number | null }) =>
  collect<LocationEvent>(client, print(FulfillmentUpdatesDocument), variables, (d: FulfillmentUpdatesSubscription) => d.fulfillmentUpdates);

async function holdAndRelease(orderId: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const held = await gql(HoldOrderDocument, { id: orderId, type: 'CUSTOMER_SERVICE', reason: `check ${i}` }, 'AGENT');
    const hold = held.holdOrder.order!.holds.find((h) => !h.releasedAt)!;
    await gql(ReleaseOrderHoldDocument, { id: orderId, holdId: hold.id }, 'AGENT');
  }
}

async function lastSequence(orderId: string): Promise<number> {
  const [row] = await tdb.db.query<{ n: number }>('SELECT last_sequence AS n FROM orders WHERE id = $1', [orderId]);
  return row.n;
}

const sequences = (events: { sequence: number }[]) => events.map((e) => e.sequence);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

it('replays from afterSequence and goes live with no gap and no duplicate while events are being written', async () => {
  const orderId = await placeOrder();
  await holdAndRelease(orderId, 3);
  const last = await lastSequence(orderId);
  const { client } = connect({ authorization: `Bearer ${await token('CUSTOMER', 'customer-ws')}` });
  // subscribe while 10 more hold/release pairs are written concurrently
  const writing = holdAndRelease(orderId, 10);
  const sub = follow(client, { orderId, afterSequence: 2 });
  await writing;
  await sub.waitFor((e) => e.length > 0 && e[e.length - 1].sequence >= last + 20);
  expect(sub.errors).toEqual([]);
  expect(await lastSequence(orderId)).toBe(last + 20);
  expect(sequences(sub.events)).toEqual(range(3, last + 20));
  expect(sub.events.every((e) => e.orderId === orderId && e.order.id === orderId)).toBe(true);
  // each event's order is read fresh when it is delivered, never from an earlier event's loaders
  const versions = sub.events.map((e) => e.order.version);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  expect(sub.events[sub.events.length - 1].order.status).toBe('ALLOCATED');
  expect(new Set(versions).size).toBeGreaterThan(1);
});

it('delivers while every connection of the HTTP pool waits in a write transaction: subscriptions read through a pool of their own', async () => {
  const [blocked, followed] = [await placeOrder(), await placeOrder()];
  const { client } = connect({ authorization: `Bearer ${await token('CUSTOMER', 'customer-ws')}` });
  const sub = follow(client, { orderId: followed });
  await new Promise((r) => setTimeout(r, 300)); // subscribed (live only)
  // Lock one order's row and send twelve mutations on it: the ten connections of the HTTP
  // pool wait for the lock inside their transactions and two more wait for a connection.
  let unlock!: () => void;
  const unlocked = new Promise<void>((r) => (unlock = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holding = tdb.db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [blocked]);
    locked();
    await unlocked;
  });
  await isLocked;
  const mutations = Array.from({ length: 12 }, (_, i) => gql(HoldOrderDocument, { id: blocked, type: 'CUSTOMER_SERVICE', reason: `queued ${i}` }, 'AGENT'));
  const waitingOnLock = async () =>
    (await tdb.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'orders-subgraph' AND datname = current_database() AND wait_event_type = 'Lock'`,
    ))[0].n;
  for (let i = 0; i < 100 && (await waitingOnLock()) < 10; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await waitingOnLock()).toBe(10);
  try {
    // an event of the followed order, written by another process's transaction
    const sequence = await tdb.db.transaction(async (tx) => {
      const [o] = await tx.query<{ status: OrderStatusValue }>('SELECT status FROM orders WHERE id = $1 FOR UPDATE', [followed]);
      const order = await appendOrderEvents(tx, { id: followed, status: o.status }, o.status, [{ type: 'ORDER_HOLD_PLACED', status: o.status, data: { note: 'from elsewhere' } }], 'system:test');
      return order.lastSequence;
    });
    await sub.waitFor((e) => e.some((x) => x.sequence === sequence), 5_000);
    expect(sub.errors).toEqual([]);
    // delivered while the HTTP pool was still fully taken
    expect(await waitingOnLock()).toBe(10);
  } finally {
    unlock();
    await holding;
  }
  const done = await Promise.all(mutations);
  expect(done.every((d) => d.holdOrder.userErrors.length === 0)).toBe(true);
});

it("reads a contributed field afresh for every event: a line's product availability follows the stock", async () => {
  const orderId = await placeOrder();
  const [pos] = await tdb.db.query<{ location_id: string }>(
    `SELECT location_id FROM inventory_positions WHERE sku = 'TEE-0001-S' AND on_hand - reserved - safety_stock > 0 ORDER BY location_id LIMIT 1`,
  );
  const { client } = connect({ authorization: `Bearer ${await token('CUSTOMER', 'customer-ws')}` });
  const query = 'subscription($id: ID!) { orderUpdated(orderId: $id) { sequence order { lines { product { availability { available } } } } } }';
  const sub = collect<number>(client, query, { id: orderId }, (d) => d.orderUpdated.order.lines[0].product.availability.available);
  await new Promise((r) => setTimeout(r, 300)); // subscribed (live only)
  await holdAndRelease(orderId, 1);
  await sub.waitFor((e) => e.length >= 2);
  await gql(AdjustInventoryDocument, { locationId: pos.location_id, sku: 'TEE-0001-S', delta: 7, reason: 'count' }, 'ADMIN');
  await holdAndRelease(orderId, 1);
  await sub.waitFor((e) => e.length >= 4);
  expect(sub.errors).toEqual([]);
  expect(sub.events[0]).toBe(sub.events[1]);
  expect(sub.events[2]).toBe(sub.events[0] + 7);
});

it('counts open subscriptions and the outbox lag of what they deliver in the metrics', async () => {
  const gauge = async () => (await metrics.activeSubscriptions.get()).values[0]?.value ?? 0;
  const lagCount = async () => (await metrics.outboxLagSeconds.get()).values.find((v) => v.metricName === 'orders_outbox_lag_seconds_count')?.value ?? 0;
  const orderId = await placeOrder();
  const open = await gauge();
  const lagBefore = await lagCount();
  const { client } = connect({ authorization: `Bearer ${await token('CUSTOMER', 'customer-ws')}` });
  const subs = [0, 1, 2].map(() => follow(client, { orderId, afterSequence: 0 }));
  await Promise.all(subs.map((sub) => sub.waitFor((e) => e.length >= 2)));
  expect(await gauge()).toBe(open + 3);
  expect(await lagCount()).toBeGreaterThanOrEqual(lagBefore + 6);
  await client.dispose();
  for (let i = 0; i < 50 && (await gauge()) !== open; i++) await new Promise((r) => setTimeout(r, 20));
  expect(await gauge()).toBe(open);
});

it('without afterSequence is live only; afterSequence 0 replays the whole history', async () => {
  const orderId = await placeOrder();
  const placed = await lastSequence(orderId);
  const { client } = connect({ authorization: `Bearer ${await token('AGENT')}` });
  const live = follow(client, { orderId });
  const all = follow(client, { orderId, afterSequence: 0 });
  await all.waitFor((e) => e.length >= placed);
  await new Promise((r) => setTimeout(r, 200)); // the live subscription is in place
  await holdAndRelease(orderId, 1);
  await live.waitFor((e) => e.length >= 2);
  await all.waitFor((e) => e.length >= placed + 2);
  expect(sequences(live.events)).toEqual([placed + 1, placed + 2]);
  expect(sequences(all.events)).toEqual(range(1, placed + 2));
  expect(all.events[0].type).toBe('ORDER_PLACED');
});

it('misses nothing when the LISTEN connection is killed mid-stream', async () => {
  const orderId = await placeOrder();
  const { client } = connect({ authorization: `Bearer ${await token('ADMIN')}` });
  const sub = follow(client, { orderId, afterSequence: 0 });
  await sub.waitFor((e) => e.length >= 1);
  await holdAndRelease(orderId, 2);
  const killed = await tdb.db.query<{ ok: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'orders-subgraph-listen' AND datname = current_database()`,
  );
  expect(killed.map((k) => k.ok)).toEqual([true]);
  // written while no one listens, and after
  await holdAndRelease(orderId, 3);
  const last = await lastSequence(orderId);
  await sub.waitFor((e) => e.length >= last);
  expect(sequences(sub.events)).toEqual(range(1, last));
  // the hub is listening again
  const again = await tdb.db.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'orders-subgraph-listen' AND datname = current_database()`);
  expect(again).toHaveLength(1);
});

it('lets go of a closed subscription at once, even on a stream where nothing happens', async () => {
  const orderId = await placeOrder();
  await waitUntil(() => running.hub.watchers === 0); // earlier tests' sockets are gone
  const { client } = connect({ authorization: `Bearer ${await token('AGENT')}` });
  const events = follow(client, { orderId, afterSequence: 0 });
  followInventory(client, { skus: ['TEE-0001-S'] });
  await events.waitFor((e) => e.length >= 1);
  await waitUntil(() => running.hub.watchers === 2);
  await client.dispose();
  await waitUntil(() => running.hub.watchers === 0);
});

describe('fulfillmentUpdates: a location\'s work queue', () => {
  const locationOf = async (orderId: string) =>
    (await tdb.db.query<{ id: string; g: string }>('SELECT location_id AS id, id AS g FROM fulfillment_groups WHERE order_id = $1', [orderId]))[0];
  const counter = async (locationId: string) =>
    (await tdb.db.query<{ n: number }>('SELECT last_sequence AS n FROM location_event_counters WHERE location_id = $1', [locationId]))[0]?.n ?? 0;

  it('streams new work, acceptance and holds to the store, numbered per location with no gap', async () => {
    const orderId = await placeOrder();
    const { id: locationId, g: groupId } = await locationOf(orderId);
    const storeToken = await running.verifier.sign({ sub: 'store-queue', role: 'STORE', locationIds: [locationId] });
    const start = await counter(locationId);
    const { client } = connect({ authorization: `Bearer ${storeToken}` });
    const queue = followLocation(client, { locationId, afterSequence: start - 1 });
    await queue.waitFor((e) => e.length >= 1);
    expect(queue.events[0]).toMatchObject({ sequence: start, orderId, type: 'ORDER_ALLOCATED', location: { id: locationId } });
    const accepted = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${storeToken}` },
      body: JSON.stringify({ query: print(AdvanceFulfillmentDocument), variables: { groupId, to: 'ACCEPTED' } }),
    }).then((r) => r.json() as Promise<{ data: { advanceFulfillment: { userErrors: unknown[] } } }>);
    expect(accepted.data.advanceFulfillment.userErrors).toEqual([]);
    await gql(HoldOrderDocument, { id: orderId, type: 'FRAUD', reason: 'review' }, 'AGENT');
    await queue.waitFor((e) => e.length >= 3);
    expect(queue.events.slice(1).map((e) => [e.type, e.fulfillmentGroupId, e.group?.status ?? null])).toEqual([
      ['GROUP_ACCEPTED', groupId, 'ACCEPTED'],
      ['ORDER_HOLD_PLACED', null, null],
    ]);
    expect(sequences(queue.events)).toEqual(range(start, start + 2));
    expect(queue.errors).toEqual([]);
  });

  it('misses nothing and repeats nothing while orders for the location are placed concurrently', async () => {
    const first = await placeOrder();
    const { id: locationId } = await locationOf(first);
    const start = await counter(locationId);
    const { client } = connect({ authorization: `Bearer ${await token('ADMIN')}` });
    const queue = followLocation(client, { locationId, afterSequence: start });
    const placed = await Promise.all(Array.from({ length: 12 }, () => placeOrder()));
    const end = await counter(locationId);
    expect(end).toBeGreaterThan(start);
    await queue.waitFor((e) => e.length >= end - start);
    expect(sequences(queue.events)).toEqual(range(start + 1, end));
    const here = await tdb.db.query<{ order_id: string }>('SELECT order_id FROM fulfillment_groups WHERE location_id = $1 AND order_id = ANY($2)', [locationId, placed]);
    const allocatedHere = new Set(queue.events.filter((e) => e.type === 'ORDER_ALLOCATED').map((e) => e.orderId));
    expect(here.every((r) => allocatedHere.has(r.order_id))).toBe(true);
  });

  it("refuses another location to a STORE, and any location to a customer", async () => {
    const orderId = await placeOrder();
    const { id: locationId } = await locationOf(orderId);
    const [other] = await tdb.db.query<{ id: string }>('SELECT id FROM locations WHERE id <> $1 ORDER BY code LIMIT 1', [locationId]);
    const storeToken = await running.verifier.sign({ sub: 'store-other', role: 'STORE', locationIds: [other.id] });
    const store = followLocation(connect({ authorization: `Bearer ${storeToken}` }).client, { locationId, afterSequence: 0 });
    const customer = followLocation(connect({ authorization: `Bearer ${await token('CUSTOMER', 'customer-ws')}` }).client, { locationId, afterSequence: 0 });
    await store.waitFor(() => false);
    await customer.waitFor(() => false);
    for (const s of [store, customer]) {
      expect(s.events).toEqual([]);
      expect(JSON.stringify(s.errors)).toContain('FORBIDDEN');
    }
  });
});

describe('inventoryChanged', () => {
  const position = async (offset: number) =>
    (await tdb.db.query<{ location_id: string; sku: string; on_hand: number }>(
      'SELECT location_id, sku, on_hand FROM inventory_positions ORDER BY location_id, sku OFFSET $1 LIMIT 1', [offset]))[0];
  const adjust = (locationId: string, sku: string, delta: number) => gql(AdjustInventoryDocument, { locationId, sku, delta, reason: 'count' }, 'ADMIN');

  it('coalesces a burst to at most one event per position every 250 ms, ending on the latest value', async () => {
    const p = await position(3);
    const { client } = connect({ authorization: `Bearer ${await token('CUSTOMER', 'shopper')}` });
    const sub = followInventory(client, { skus: [p.sku], locationIds: [p.location_id] });
    await new Promise((r) => setTimeout(r, 200)); // subscribed
    const t0 = Date.now();
    for (let i = 0; i < 25; i++) await adjust(p.location_id, p.sku, 1);
    const burstMs = Date.now() - t0;
    await sub.waitFor((e) => e.length > 0 && e[e.length - 1].onHand === p.on_hand + 25);
    await new Promise((r) => setTimeout(r, 400)); // nothing more comes
    expect(sub.errors).toEqual([]);
    expect(sub.events.every((e) => e.sku === p.sku && e.locationId === p.location_id)).toBe(true);
    expect(sub.events[sub.events.length - 1].onHand).toBe(p.on_hand + 25);
    expect(sub.events.length).toBeLessThanOrEqual(Math.ceil(burstMs / 250) + 2);
    expect(sub.events.length).toBeLessThan(25);
  });

  it('sends only the positions it covers', async () => {
    const a = await position(5);
    const b = await position(6);
    const storeToken = await running.verifier.sign({ sub: 'store-x', role: 'STORE', locationIds: [a.location_id] });
    const { client } = connect({ authorization: `Bearer ${storeToken}` });
    const sub = followInventory(client, { skus: [a.sku], locationIds: [a.location_id] });
    await new Promise((r) => setTimeout(r, 200));
    if (b.sku !== a.sku || b.location_id !== a.location_id) await adjust(b.location_id, b.sku, 2);
    await adjust(a.location_id, a.sku, 1);
    await sub.waitFor((e) => e.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(sub.errors).toEqual([]);
    expect(sub.events.map((e) => [e.locationId, e.sku, e.onHand])).toEqual([[a.location_id, a.sku, a.on_hand + 1]]);
  });

  it('sends the latest values again after the listener reconnects, with what changed while it was down', async () => {
    const p = await position(8);
    const { client } = connect({ authorization: `Bearer ${await token('AGENT')}` });
    const sub = followInventory(client, { skus: [p.sku] });
    await new Promise((r) => setTimeout(r, 200));
    await tdb.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'orders-subgraph-listen' AND datname = current_database()`);
    await adjust(p.location_id, p.sku, 3); // possibly while no one listens
    await sub.waitFor((e) => e.some((x) => x.locationId === p.location_id && x.onHand === p.on_hand + 3));
    expect(sub.errors).toEqual([]);
  });

  it('refuses a subscription without a filter', async () => {
    const { client } = connect({ authorization: `Bearer ${await token('AGENT')}` });
    const sub = followInventory(client, {});
    await sub.waitFor(() => false);
    expect(JSON.stringify(sub.errors)).toContain('BAD_USER_INPUT');
  });
});

describe('two server processes on one database', () => {
  let second: Running | null = null;
  afterEach(async () => {
    await second?.stop();
    second = null;
  });
  const startSecond = () =>
    start(loadConfig({ NODE_ENV: 'test', DATABASE_URL: tdb.url, JWT_SECRET: TEST_SECRET, PORT: '0' }), silentLogger);

  it("are one system: a mutation on either reaches the other's subscribers", async () => {
    second = await startSecond();
    const orderId = await placeOrder();
    const placed = await lastSequence(orderId);
    const onSecond = connect({ authorization: `Bearer ${await token('AGENT')}` }, second.url.replace(/^http/, 'ws'));
    const onFirst = connect({ authorization: `Bearer ${await token('AGENT')}` });
    const a = follow(onSecond.client, { orderId, afterSequence: placed });
    const b = follow(onFirst.client, { orderId, afterSequence: placed });
    await new Promise((r) => setTimeout(r, 100));
    await holdAndRelease(orderId, 2); // through the first process
    await a.waitFor((e) => e.length >= 4);
    await b.waitFor((e) => e.length >= 4);
    expect(sequences(a.events)).toEqual(range(placed + 1, placed + 4));
    expect(sequences(b.events)).toEqual(range(placed + 1, placed + 4));
  });

  it('a restart mid-stream loses nothing: the client resumes with afterSequence', async () => {
    second = await startSecond();
    const orderId = await placeOrder();
    const { client, closed } = connect({ authorization: `Bearer ${await token('AGENT')}` }, second.url.replace(/^http/, 'ws'));
    const before = follow(client, { orderId, afterSequence: 0 });
    await holdAndRelease(orderId, 1);
    const mid = await lastSequence(orderId);
    await before.waitFor((e) => e.length >= mid);
    await second.stop(); // the socket goes away (1001) ...
    second = null;
    await waitUntil(() => closed.length > 0);
    expect(closed[0].code).toBe(1001);
    await holdAndRelease(orderId, 2); // ... while events keep coming through the first process
    second = await startSecond();
    const resumed = connect({ authorization: `Bearer ${await token('AGENT')}` }, second.url.replace(/^http/, 'ws'));
    const lastSeen = before.events[before.events.length - 1].sequence;
    const after = follow(resumed.client, { orderId, afterSequence: lastSeen });
    await holdAndRelease(orderId, 1);
    const end = await lastSequence(orderId);
    await after.waitFor((e) => e.length >= end - lastSeen);
    expect([...sequences(before.events), ...sequences(after.events)]).toEqual(range(1, end));
  });
});

describe('authentication and authorization', () => {
  it('closes with 4401 without a token or with a bad one', async () => {
    const none = connect(undefined);
    const bad = connect({ authorization: 'Bearer not-a-token' });
    await waitUntil(() => none.closed.length > 0 && bad.closed.length > 0);
    expect(none.closed[0].code).toBe(4401);
    expect(bad.closed[0].code).toBe(4401);
  });

  it("refuses another customer's order at subscribe time, and a STORE's unrelated order, with FORBIDDEN", async () => {
    const orderId = await placeOrder('customer-a');
    const { client } = connect({ authorization: `Bearer ${await token('CUSTOMER', 'customer-b')}` });
    const sub = follow(client, { orderId, afterSequence: 0 });
    await sub.waitFor(() => false);
    expect(sub.ended).toBe(true);
    expect(sub.events).toEqual([]);
    expect(JSON.stringify(sub.errors)).toContain('FORBIDDEN');
    const [elsewhere] = await tdb.db.query<{ id: string }>(
      'SELECT id FROM locations WHERE id NOT IN (SELECT location_id FROM fulfillment_groups WHERE order_id = $1) ORDER BY code LIMIT 1', [orderId]);
    const storeToken = await running.verifier.sign({ sub: 'store-elsewhere', role: 'STORE', locationIds: [elsewhere.id] });
    const store = follow(connect({ authorization: `Bearer ${storeToken}` }).client, { orderId, afterSequence: 0 });
    await store.waitFor(() => false);
    expect(store.events).toEqual([]);
    expect(JSON.stringify(store.errors)).toContain('FORBIDDEN');
    const owner = connect({ authorization: `Bearer ${await token('CUSTOMER', 'customer-a')}` });
    const mine = follow(owner.client, { orderId, afterSequence: 0 });
    await mine.waitFor((e) => e.length >= 1);
    expect(mine.errors).toEqual([]);
  });

  it('holds subscriptions to the operation limits of HTTP: an alias flood and a depth bomb are refused', async () => {
    const orderId = await placeOrder();
    const { client } = connect({ authorization: `Bearer ${await token('CUSTOMER', 'customer-ws')}` });
    const aliases = Array.from({ length: 21 }, (_, i) => `s${i}: sequence`).join(' ');
    const flood = collect(client, `subscription($id: ID!) { orderUpdated(orderId: $id) { ${aliases} } }`, { id: orderId }, (d) => d);
    const deep = collect(client, `subscription($id: ID!) { orderUpdated(orderId: $id) { ${'order { fulfillmentPlan { '.repeat(6)}id${' } }'.repeat(6)} } }`, { id: orderId }, (d) => d);
    await flood.waitFor(() => false);
    await deep.waitFor(() => false);
    expect(JSON.stringify(flood.errors)).toMatch(/aliases limit of 20 exceeded/i);
    expect(JSON.stringify(deep.errors)).toMatch(/depth limit of 12 exceeded/i);
  });

  it('closes the socket with 4401 when the token expires', async () => {
    const orderId = await placeOrder();
    const { client, closed } = connect({ authorization: `Bearer ${await token('AGENT', 'agent-short', '2s')}` });
    const sub = follow(client, { orderId, afterSequence: 0 });
    await sub.waitFor((e) => e.length >= 1);
    await waitUntil(() => closed.length > 0, 6000);
    expect(closed[0]).toEqual({ code: 4401, reason: 'Token expired' });
  });
});

async function waitUntil(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
