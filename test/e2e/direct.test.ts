/**
 * Direct answers (server.ts, `answerDirectly`): a query Apollo has served whole, sent again
 * as it was, is answered without Apollo's request pipeline. Every request below goes three
 * times to a server that answers directly and once to one that cannot (graphql-js,
 * GRAPHQL_EXECUTION=interpreted), over real HTTP on the same database: the status, the
 * headers and the body must be the same, and only the requests that qualify may be answered
 * directly.
 */
import { print } from 'graphql';
import { buildOrdersSchema } from '../../src/schema';
import { createApp, type App } from '../../src/server';
import { createLogger } from '../../src/log';
import { createTestApp, type TestApp } from '../helpers/app';
import { MAX_DIRECT_QUERY_LENGTH } from '../../src/execution';
import { makeLocation, orderInput, stock } from '../helpers/fixtures';
import { GetOrderDocument, ListOrdersDocument, PlaceOrderDocument } from '../generated/graphql';

let t: TestApp;
let interpreted: App;
let directBase: string;
let interpretedBase: string;
let orderId: string;

beforeAll(async () => {
  t = await createTestApp({ nodeEnv: 'production' });
  interpreted = await createApp({
    config: { nodeEnv: 'production', routerSecrets: [], compiledExecution: false },
    schema: await buildOrdersSchema(),
    db: t.db,
    services: t.services,
    verifier: t.verifier,
    log: createLogger('error', () => undefined),
  });
  directBase = await t.app.listen(0, '127.0.0.1');
  interpretedBase = await interpreted.listen(0, '127.0.0.1');
  const loc = await makeLocation(t, { lat: 40.75, lng: -73.99 });
  await stock(t, [{ locationId: loc.id, sku: 'D-1', onHand: 100 }, { locationId: loc.id, sku: 'D-2', onHand: 100 }]);
  for (let i = 0; i < 3; i++) {
    const r = await t.ok(PlaceOrderDocument, {
      input: orderInput({ customerId: 'direct-1', lines: [{ sku: 'D-1', quantity: 1 + i, unitPrice: '2.50' }, { sku: 'D-2', quantity: 1, unitPrice: '1' }] }),
      key: `direct-${i}`,
    }, { role: 'SERVICE' });
    orderId = r.placeOrder.order!.id;
  }
});
afterAll(async () => {
  await interpreted.stop();
  await t.close();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Every header but those that differ by request or by moment. */
async function send(base: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const kept: Record<string, string> = {};
  res.headers.forEach((value, key) => {
    if (!['date', 'x-request-id', 'connection', 'keep-alive'].includes(key)) kept[key] = value;
  });
  return { status: res.status, headers: kept, body: await res.text() };
}

const DEEP = print(GetOrderDocument);
const PAGE = print(ListOrdersDocument);
const TWO_OPERATIONS = 'query A { __typename } query B($id: ID!) { order(id: $id) { id number lines { sku quantity } } }';

it('answers a query it has served directly, exactly as Apollo answers it, and leaves every other request to Apollo', async () => {
  const agent = { authorization: `Bearer ${await t.token({ role: 'AGENT' })}` };
  const stranger = { authorization: `Bearer ${await t.token({ role: 'CUSTOMER', sub: 'someone-else' })}` };
  const cases: { name: string; body: unknown; headers: Record<string, string>; direct: boolean }[] = [
    { name: 'deep order', body: { query: DEEP, variables: { id: orderId } }, headers: agent, direct: true },
    { name: 'customer page', body: { query: PAGE, variables: { first: 2, filter: { customerId: 'direct-1' } } }, headers: agent, direct: true },
    { name: 'named operation of two', body: { query: TWO_OPERATIONS, operationName: 'B', variables: { id: orderId } }, headers: agent, direct: true },
    // the resolvers' access rule runs either way: a stranger gets null, directly
    { name: 'another customer’s order', body: { query: DEEP, variables: { id: orderId } }, headers: stranger, direct: true },
    { name: 'no token', body: { query: DEEP, variables: { id: orderId } }, headers: {}, direct: false },
    { name: 'a bad token', body: { query: DEEP, variables: { id: orderId } }, headers: { authorization: 'Bearer not-a-token' }, direct: false },
    { name: 'U+0000 in a variable', body: { query: PAGE, variables: { first: 2, filter: { customerId: 'a\u0000b' } } }, headers: agent, direct: false },
    { name: 'a variable that does not coerce', body: { query: PAGE, variables: { first: 'two' } }, headers: agent, direct: false },
    { name: 'an error in the result', body: { query: PAGE, variables: { first: 101 } }, headers: agent, direct: false },
    { name: 'graphql-response+json asked for', body: { query: DEEP, variables: { id: orderId } }, headers: { ...agent, accept: 'application/graphql-response+json' }, direct: false },
    { name: 'extensions sent', body: { query: DEEP, variables: { id: orderId }, extensions: {} }, headers: agent, direct: false },
  ];
  let expectedDirect = 0;
  const served = new Set<string>(); // texts (and operation names) Apollo has served whole
  for (const c of cases) {
    const body = JSON.stringify(c.body);
    const reference = await send(interpretedBase, body, c.headers);
    const before = t.app.compiled!.counts.direct;
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await send(directBase, body, c.headers));
    const direct = t.app.compiled!.counts.direct - before;
    // the first time a text comes, through Apollo (the test app compiles on the first run);
    // then directly, whoever sends it
    const key = JSON.stringify([(c.body as { query: string }).query, (c.body as { operationName?: string }).operationName ?? null]);
    expect({ name: c.name, direct }).toEqual({ name: c.name, direct: c.direct ? (served.has(key) ? 3 : 2) : 0 });
    if (c.direct) served.add(key);
    expectedDirect += direct;
    for (const a of answers) expect({ name: c.name, ...a }).toEqual({ name: c.name, ...reference });
  }
  expect(expectedDirect).toBe(9);
  // a federated trace is Apollo's plugin's to make: never answered directly
  const before = t.app.compiled!.counts.direct;
  const traced = await send(directBase, JSON.stringify({ query: DEEP, variables: { id: orderId } }), { ...agent, 'apollo-federation-include-trace': 'ftv1' });
  expect(JSON.parse(traced.body).extensions?.ftv1).toEqual(expect.any(String));
  expect(t.app.compiled!.counts.direct).toBe(before);
});

it('answers directly what the data says now, not what it said when the query was first served', async () => {
  const agent = { authorization: `Bearer ${await t.token({ role: 'AGENT' })}` };
  const body = JSON.stringify({ query: DEEP, variables: { id: orderId } });
  const first = JSON.parse((await send(directBase, body, agent)).body).data;
  await t.db.query(`UPDATE order_lines SET cancelled_quantity = 1 WHERE order_id = $1 AND sku = 'D-2'`, [orderId]);
  const before = t.app.compiled!.counts.direct;
  const now = JSON.parse((await send(directBase, body, agent)).body).data;
  expect(t.app.compiled!.counts.direct).toBe(before + 1);
  const d2 = (o: { order: { lines: { sku: string; cancelledQuantity: number }[] } }) => o.order.lines.find((l) => l.sku === 'D-2')!.cancelledQuantity;
  expect([d2(first), d2(now)]).toEqual([0, 1]);
});

it('keeps no text longer than MAX_DIRECT_QUERY_LENGTH for direct answers', async () => {
  const agent = { authorization: `Bearer ${await t.token({ role: 'AGENT' })}` };
  const long = `${DEEP}\n# ${'x'.repeat(MAX_DIRECT_QUERY_LENGTH)}\n`;
  const body = JSON.stringify({ query: long, variables: { id: orderId } });
  const before = t.app.compiled!.counts.direct;
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await send(directBase, body, agent));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
  expect(JSON.parse(answers[2].body).data.order.id).toBe(orderId);
  expect(t.app.compiled!.counts.direct).toBe(before);
});
