/**
 * Subscriptions the way Apollo Router sends them in passthrough mode: a raw WebSocket with the
 * graphql-transport-ws subprotocol, the router secret and the client's Authorization header
 * on the upgrade request (header propagation), an empty connection_init, and the subgraph
 * operation the query planner writes (operation name `<name>__orders__0`, `__typename`
 * everywhere, entity keys for the fields other subgraphs own).
 */
import WebSocket from 'ws';
import { start, type Running } from '../../src/main';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { TEST_SECRET } from '../helpers/app';
import { orderInput } from '../helpers/fixtures';

const SECRET = 'router-secret-for-tests';
let tdb: TestDatabase;
let running: Running;

beforeAll(async () => {
  tdb = await createTestDatabase(2);
  running = await start(
    loadConfig({ NODE_ENV: 'production', DATABASE_URL: tdb.url, JWT_SECRET: TEST_SECRET, PORT: '0', SEED_DEMO: '1', ROUTER_SECRET: `old-one,${SECRET}` }),
    silentLogger,
  );
});
afterAll(async () => {
  await running.stop();
  await tdb.drop();
});

const ROUTER_OPERATION = `subscription OrderUpdated__orders__0($orderId:ID!$afterSequence:Int){orderUpdated(orderId:$orderId afterSequence:$afterSequence){__typename sequence type status order{__typename id status customerId lines{__typename sku product{__typename sku}}}}}`;

interface Frame {
  type: string;
  id?: string;
  payload?: any;
}

/** Opens a socket as the router does and collects its frames and close. */
function routerSocket(headers: Record<string, string>) {
  const ws = new WebSocket(running.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
  const frames: Frame[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  ws.on('close', (code, reason) => (closed = { code, reason: String(reason) }));
  const until = async (pred: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out; frames ${JSON.stringify(frames)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { ws, frames, closed: () => closed, until };
}

async function placeOrder(): Promise<string> {
  const res = await fetch(running.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-router-secret': SECRET,
      authorization: `Bearer ${await running.verifier.sign({ sub: 'checkout', role: 'SERVICE' })}`,
    },
    body: JSON.stringify({
      query: 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input, idempotencyKey: "router-1") { order { id } userErrors { message } } }',
      variables: { input: orderInput({ customerId: 'router-customer', lines: [{ sku: 'TEE-0001-S', quantity: 1, unitPrice: '19.99' }] }) },
    }),
  });
  const json = (await res.json()) as { data: { placeOrder: { order: { id: string } } } };
  return json.data.placeOrder.order.id;
}

it('serves the subgraph operation the router writes, with the token from the propagated header', async () => {
  const orderId = await placeOrder();
  const token = await running.verifier.sign({ sub: 'router-customer', role: 'CUSTOMER' });
  const s = routerSocket({ 'x-router-secret': SECRET, authorization: `Bearer ${token}` });
  await new Promise((r) => s.ws.once('open', r));
  s.ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await s.until(() => s.frames.some((f) => f.type === 'connection_ack'));
  s.ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { operationName: 'OrderUpdated__orders__0', query: ROUTER_OPERATION, variables: { orderId, afterSequence: 0 } } }));
  await s.until(() => s.frames.filter((f) => f.type === 'next').length >= 2);
  const events = s.frames.filter((f) => f.type === 'next').map((f) => f.payload);
  expect(events.every((p) => !p.errors)).toBe(true);
  expect(events[0].data.orderUpdated).toMatchObject({
    __typename: 'OrderEvent', sequence: 1, type: 'ORDER_PLACED',
    order: { __typename: 'Order', id: orderId, customerId: 'router-customer', lines: [{ __typename: 'OrderLine', sku: 'TEE-0001-S', product: { __typename: 'ProductVariant', sku: 'TEE-0001-S' } }] },
  });
  s.ws.send(JSON.stringify({ id: '1', type: 'complete' }));
  s.ws.close(1000);
});

it('refuses a socket without a matching router secret (4403), accepts either of two, and refuses one without a token (4401)', async () => {
  const token = await running.verifier.sign({ sub: 'router-customer', role: 'CUSTOMER' });
  const noSecret = routerSocket({ authorization: `Bearer ${token}` });
  await new Promise((r) => noSecret.ws.once('open', r));
  noSecret.ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await noSecret.until(() => noSecret.closed() !== null);
  expect(noSecret.closed()!.code).toBe(4403);

  // either of the two configured secrets (one being rotated out) opens the socket; a wrong one does not
  for (const secret of ['old-one', SECRET]) {
    const s = routerSocket({ 'x-router-secret': secret, authorization: `Bearer ${token}` });
    await new Promise((r) => s.ws.once('open', r));
    s.ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await s.until(() => s.frames.some((f) => f.type === 'connection_ack'));
    s.ws.close(1000);
  }
  const wrong = routerSocket({ 'x-router-secret': 'old-on', authorization: `Bearer ${token}` });
  await new Promise((r) => wrong.ws.once('open', r));
  wrong.ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await wrong.until(() => wrong.closed() !== null);
  expect(wrong.closed()!.code).toBe(4403);

  const noToken = routerSocket({ 'x-router-secret': SECRET });
  await new Promise((r) => noToken.ws.once('open', r));
  noToken.ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await noToken.until(() => noToken.closed() !== null);
  expect(noToken.closed()!.code).toBe(4401);
});

it('serves only subscriptions over the socket, and no introspection in production', async () => {
  const token = await running.verifier.sign({ sub: 'agent-ws', role: 'AGENT' });
  const s = routerSocket({ 'x-router-secret': SECRET, authorization: `Bearer ${token}` });
  await new Promise((r) => s.ws.once('open', r));
  s.ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await s.until(() => s.frames.some((f) => f.type === 'connection_ack'));
  s.ws.send(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: '{ locations { id } }' } }));
  s.ws.send(JSON.stringify({ id: 'i', type: 'subscribe', payload: { query: 'subscription { __schema { types { name } } }' } }));
  await s.until(() => s.frames.filter((f) => f.type === 'error').length >= 2);
  const errorOf = (id: string) => s.frames.find((f) => f.type === 'error' && f.id === id)!.payload;
  expect(errorOf('q')).toEqual([expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })]);
  expect(errorOf('i')[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(JSON.stringify(errorOf('i'))).toMatch(/introspection/i);
  expect(s.frames.some((f) => f.type === 'next')).toBe(false);
  s.ws.close(1000);
});
