/**
 * The real process entry (`start`) on a test database, over real HTTP on port 0, in
 * production mode: authentication at the door, masked errors, limits, and an order placed
 * and followed to delivery the way the README shows.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { start, type Running } from '../../src/main';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { createTestApp, TEST_SECRET, type TestApp } from '../helpers/app';

let tdb: TestDatabase;
let running: Running;
let base: string;
/** Every log line the process wrote, parsed. */
const logLines: Record<string, unknown>[] = [];
const rawLog: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(2);
  const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: tdb.url, JWT_SECRET: TEST_SECRET, PORT: '0', SEED_DEMO: '1', MUTATION_RATE_LIMITS: 'AGENT=1/3' });
  running = await start(
    config,
    createLogger('info', (line) => {
      rawLog.push(line);
      logLines.push(JSON.parse(line));
    }),
  );
  base = running.url;
});
afterAll(async () => {
  await running.stop();
  await tdb.drop();
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

const bearer = async (role: 'ADMIN' | 'SERVICE' | 'STORE' | 'CUSTOMER' | 'AGENT', locationIds?: string[]) => ({
  authorization: `Bearer ${await running.verifier.sign({ sub: `${role.toLowerCase()}-e2e`, role, locationIds })}`,
});

it('answers /health', async () => {
  const res = await fetch(base.replace('/graphql', '/health'));
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
});

it('answers /health/live, and /health/ready with each check, 503 while a migration is missing', async () => {
  const live = await fetch(base.replace('/graphql', '/health/live'));
  expect([live.status, await live.json()]).toEqual([200, { status: 'ok' }]);
  const ready = await fetch(base.replace('/graphql', '/health/ready'));
  expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', checks: { database: 'ok', migrations: 'ok', listener: 'ok' } }]);
  // a database that lacks this build's last migration (an older schema) is not ready
  const [last] = await tdb.db.query<{ id: number; timestamp: string; name: string }>('SELECT id, timestamp, name FROM migrations ORDER BY id DESC LIMIT 1');
  await tdb.db.query('DELETE FROM migrations WHERE id = $1', [last.id]);
  try {
    const notReady = await fetch(base.replace('/graphql', '/health/ready'));
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'unavailable', checks: { database: 'ok', migrations: `missing: ${last.name}`, listener: 'ok' } });
  } finally {
    await tdb.db.query('INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)', [last.id, last.timestamp, last.name]);
  }
  expect((await fetch(base.replace('/graphql', '/health/ready'))).status).toBe(200);
});

it('serves { __typename } without a token and refuses the rest with 401 UNAUTHENTICATED', async () => {
  expect((await post({ query: '{ __typename }' })).json.data).toEqual({ __typename: 'Query' });
  const anon = await post({ query: '{ locations { id } }' });
  expect(anon.status).toBe(401);
  expect(anon.json.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  const bad = await post({ query: '{ locations { id } }' }, { authorization: 'Bearer nope' });
  expect(bad.status).toBe(401);
  expect(bad.json.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
});

it('in production: no introspection, no field suggestions', async () => {
  const auth = await bearer('ADMIN');
  const intro = await post({ query: '{ __schema { types { name } } }' }, auth);
  expect(intro.json.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  const typo = await post({ query: '{ locatons { id } }' }, auth);
  expect(typo.json.errors![0].message).not.toMatch(/Did you mean/);
});

it('refuses the usual attacks: a batch, __schema behind an alias, a fragment cycle, an oversized page', async () => {
  const auth = await bearer('ADMIN');
  // batched requests (an array body) are not served
  const batch = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }], auth);
  expect(batch.status).toBe(400);
  // introspection stays off in production under another name
  const aliased = await post({ query: '{ s: __schema { types { name } } }' }, auth);
  expect(aliased.json.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(aliased.json.data).toBeUndefined();
  // fragments that spread each other
  const cycle = await post({ query: '{ locations { ...A } } fragment A on Location { id ...B } fragment B on Location { code ...A }' }, auth);
  expect(cycle.json.errors![0].message).toMatch(/Cannot spread fragment "A" within itself/);
  // pages are at most 100
  const page = await post({ query: '{ orders(first: 101) { edges { node { id } } } }' }, auth);
  expect(page.json.errors![0]).toMatchObject({ message: 'first must be between 0 and 100', extensions: { code: 'BAD_USER_INPUT' } });
});

it('refuses bodies over 1 MB with 413', async () => {
  const r = await post({ query: '{ __typename }', variables: { pad: 'x'.repeat(1_100_000) } });
  expect(r.status).toBe(413);
});

/** A POST with exactly these headers and body bytes (fetch would add or change some). */
function rawPost(headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(base, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

it('reads a JSON body alike with a length (read directly) or chunked, compressed or with a charset (read by Express)', async () => {
  const bodies: [string, Buffer][] = [
    ['a query', Buffer.from('{"query":"{ __typename }"}')],
    ['a byte-order mark and whitespace first', Buffer.from('\ufeff \n\t{"query":"{ __typename }"}')],
    ['empty', Buffer.alloc(0)],
    ['a bare number', Buffer.from('1')],
    ['broken JSON', Buffer.from('{"query":')],
    ['a batch', Buffer.from('[{"query":"{ __typename }"}]')],
  ];
  const ways: [string, (b: Buffer) => [Record<string, string>, Buffer]][] = [
    ['with a length', (b) => [{ 'content-type': 'application/json', 'content-length': String(b.length) }, b]],
    ['with charset=utf-8', (b) => [{ 'content-type': 'Application/JSON; charset="UTF-8"', 'content-length': String(b.length) }, b]],
    ['chunked', (b) => [{ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, b]],
    ['gzip', (b) => {
      const z = zlib.gzipSync(b);
      return [{ 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(z.length) }, z];
    }],
  ];
  const answers: Record<string, { status: number; text: string }> = {};
  for (const [what, body] of bodies) {
    const seen = await Promise.all(ways.map(([, way]) => rawPost(...way(body))));
    for (let i = 1; i < seen.length; i++) expect({ body: what, way: ways[i][0], ...seen[i] }).toEqual({ body: what, way: ways[i][0], ...seen[0] });
    answers[what] = seen[0];
  }
  expect(answers['a query']).toEqual({ status: 200, text: JSON.stringify({ data: { __typename: 'Query' } }) + '\n' });
  expect(answers['a byte-order mark and whitespace first'].status).toBe(200);
  expect(answers['empty'].status).toBe(400);
  for (const what of ['a bare number', 'broken JSON']) {
    expect(answers[what]).toEqual({ status: 400, text: JSON.stringify({ errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] }) });
  }
  expect(answers['a batch'].status).toBe(400);
});

it('places an order and follows it to delivery over HTTP', async () => {
  const service = await bearer('SERVICE');
  const loc = await post({ query: '{ locations(type: WAREHOUSE) { id code } }' }, service);
  expect(loc.json.data.locations.length).toBeGreaterThanOrEqual(3); // SEED_DEMO=1 seeded the demo network
  const placed = await post(
    {
      query: `mutation($input: PlaceOrderInput!) { placeOrder(input: $input, idempotencyKey: "e2e-1") {
        order { id status fulfillmentPlan { groups { id location { id code } } } } userErrors { code message } } }`,
      variables: {
        input: {
          customerId: 'customer-1', channel: 'web', method: 'SHIP', currencyCode: 'USD',
          lines: [{ sku: 'TEE-0001-S', quantity: 1, unitPrice: '19.99' }],
          shippingAddress: { name: 'Jane Privacy', line1: '1 Main St', city: 'Chicago', postalCode: '60601', countryCode: 'US', geo: { lat: 41.88, lng: -87.62 } },
        },
      },
    },
    service,
  );
  expect(placed.json.data.placeOrder.userErrors).toEqual([]);
  const order = placed.json.data.placeOrder.order;
  expect(order.status).toBe('ALLOCATED');
  const group = order.fulfillmentPlan.groups[0];
  const store = await bearer('STORE', [group.location.id]);
  let status = '';
  for (const to of ['ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED', 'DELIVERED']) {
    const r = await post({ query: `mutation { advanceFulfillment(groupId: "${group.id}", to: ${to}) { order { status } userErrors { code } } }` }, store);
    expect(r.json.data.advanceFulfillment.userErrors).toEqual([]);
    status = r.json.data.advanceFulfillment.order.status;
  }
  expect(status).toBe('COMPLETED');
  const customer = await bearer('CUSTOMER');
  const mine = await post({ query: `{ order(id: "${order.id}") { status events { sequence type } } }` }, customer);
  expect(mine.json.data.order).toBeNull(); // customer-e2e is not customer-1
});

it('logs one JSON line per request with its request id (echoed back), operation, role, status and duration', async () => {
  const res = await fetch(base, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-e2e-1', ...(await bearer('AGENT')) },
    body: JSON.stringify({ query: 'query Rules { sourcingRules { name } }', operationName: 'Rules' }),
  });
  expect(res.headers.get('x-request-id')).toBe('req-e2e-1');
  const line = logLines.find((l) => l.requestId === 'req-e2e-1');
  expect(line).toEqual({
    level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), msg: 'graphql request', requestId: 'req-e2e-1',
    operationName: 'Rules', operationType: 'query', role: 'AGENT', status: 200, durationMs: expect.any(Number),
  });
  // an id that is not a sane token is replaced, not logged
  const odd = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'two words\u00e9', ...(await bearer('AGENT')) }, body: JSON.stringify({ query: '{ __typename }' }) });
  const given = odd.headers.get('x-request-id')!;
  expect(given).toMatch(/^[0-9a-f-]{36}$/);
  expect(logLines.find((l) => l.requestId === given)).toMatchObject({ status: 200, role: 'AGENT' });
  // a refused token is logged too, as a 401 without the token
  await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'req-e2e-bad', authorization: 'Bearer abc.def.ghi' }, body: '{"query":"{ __typename }"}' });
  expect(logLines.find((l) => l.requestId === 'req-e2e-bad')).toMatchObject({ status: 401, errorCodes: ['UNAUTHENTICATED'] });
});

it('serves Prometheus metrics: requests by operation, orders placed, sourcing latency', async () => {
  const text = async () => (await fetch(base.replace('/graphql', '/metrics'))).text();
  const value = (body: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);
  const before = await text();
  const placedBefore = value(before, 'orders_placed_total');
  const res = await post(
    {
      query: 'mutation Checkout($input: PlaceOrderInput!) { placeOrder(input: $input, idempotencyKey: "metrics-1") { order { id } userErrors { message } } }',
      operationName: 'Checkout',
      variables: { input: { customerId: 'metrics-customer', channel: 'web', method: 'SHIP', currencyCode: 'USD', lines: [{ sku: 'TEE-0001-S', quantity: 1, unitPrice: '19.99' }], shippingAddress: { line1: '1 Main St', city: 'New York', postalCode: '10001', countryCode: 'US', geo: { lat: 40.75, lng: -73.99 } } } },
    },
    await bearer('SERVICE'),
  );
  expect(res.json.errors).toBeUndefined();
  const after = await text();
  expect(value(after, 'orders_placed_total')).toBe(placedBefore + 1);
  expect(value(after, 'orders_graphql_requests_total{operation="Checkout",type="mutation",outcome="ok"}')).toBe(1);
  expect(value(after, 'orders_graphql_request_duration_seconds_count{operation="Checkout",type="mutation"}')).toBe(1);
  expect(value(after, 'orders_sourcing_plan_duration_seconds_count')).toBeGreaterThan(value(before, 'orders_sourcing_plan_duration_seconds_count') || 0);
  expect(after).toMatch(/^orders_active_subscriptions 0$/m);
  expect(after).toMatch(/^process_resident_memory_bytes \d+/m);
});

it('rate limits mutations per principal with 429 and Retry-After; aliases count; queries and other principals pass', async () => {
  const hold = (alias: string) => `${alias}: holdOrder(id: "00000000-0000-4000-8000-000000000000", type: FRAUD, reason: "check") { userErrors { message } }`;
  const agentA = await bearer('AGENT');
  const agentB = { authorization: `Bearer ${await running.verifier.sign({ sub: 'agent-other', role: 'AGENT' })}` };
  // four in one operation: more than the burst of 3, refused whatever the bucket holds
  const tooMany = await post({ query: `mutation { ${[1, 2, 3, 4].map((i) => hold(`h${i}`)).join(' ')} }` }, agentA);
  expect(tooMany.status).toBe(429);
  expect(tooMany.json.errors![0].extensions).toEqual({ code: 'RATE_LIMITED' });
  expect(tooMany.json.errors![0].message).toMatch(/holds 4 mutations; a AGENT may send at most 3 at once/);
  // the burst of three passes (as userErrors: the order does not exist), the fourth is refused
  for (let i = 0; i < 3; i++) {
    const ok = await post({ query: `mutation { ${hold('h')} }` }, agentA);
    expect([ok.status, ok.json.data?.h.userErrors.length]).toEqual([200, 1]);
  }
  const res = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json', ...agentA }, body: JSON.stringify({ query: `mutation { ${hold('h')} }` }) });
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const body = (await res.json()) as { data?: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
  expect(body.data).toBeUndefined();
  expect(body.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: Number(res.headers.get('retry-after')) });
  expect(body.errors[0].message).toMatch(/^Too many mutations: a AGENT may send 1 a second \(bursts of 3\)\. Retry in \d+ s\.$/);
  // queries are not limited, and another agent has a bucket of its own
  expect((await post({ query: '{ sourcingRules { name } }' }, agentA)).status).toBe(200);
  expect((await post({ query: `mutation { ${hold('h')} }` }, agentB)).status).toBe(200);
  const text = await (await fetch(base.replace('/graphql', '/metrics'))).text();
  expect(text).toMatch(/orders_rate_limited_total\{role="AGENT"\} 2/);
});

it('masks unexpected errors in production: no message, stack or SQL', async () => {
  await tdb.db.query('ALTER TABLE locations RENAME TO locations_gone');
  try {
    const r = await post({ query: '{ locations { id } }' }, await bearer('ADMIN'));
    expect(r.json.errors![0]).toEqual({ message: 'Internal server error', path: ['locations'], locations: expect.any(Array), extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(r.text).not.toMatch(/relation|locations_gone|SELECT|stack/i);
    // the log has what the response hides, with the request id to find it by
    expect(logLines.find((l) => l.msg === 'unexpected error')).toMatchObject({ level: 'error', requestId: expect.any(String), error: expect.stringMatching(/locations/), path: ['locations'] });
  } finally {
    await tdb.db.query('ALTER TABLE locations_gone RENAME TO locations');
  }
});

it('never logged a token or the personal data of an order', () => {
  expect(rawLog.length).toBeGreaterThan(20);
  const all = rawLog.join('\n');
  expect(all).not.toMatch(/eyJ|Bearer|abc\.def\.ghi/); // JWTs start with eyJ
  expect(all).not.toMatch(/Jane Privacy|1 Main St|60601|customer-1/);
});

describe('ROUTER_SECRET', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await createTestApp({ routerSecrets: ['current-secret', 'next-secret'] });
    url = await t.app.listen(0, '127.0.0.1');
  });
  afterAll(() => t.close());

  const call = (headers: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ __typename }' }) });

  it('refuses requests without a matching secret, accepts either of two', async () => {
    expect((await call({})).status).toBe(401);
    expect((await call({ 'x-router-secret': 'wrong' })).status).toBe(401);
    expect((await call({ 'x-router-secret': 'current-secrét' })).status).toBe(401); // same length, non-ASCII
    expect((await call({ 'x-router-secret': 'current-secret' })).status).toBe(200);
    expect((await call({ 'x-router-secret': 'next-secret' })).status).toBe(200);
  });
});
