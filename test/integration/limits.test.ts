/**
 * The operation limits (src/limits.ts) refuse what they must, with a clear error, and let
 * the operations of the tests and of a router through (the gateway test replays the router's
 * subgraph operations through them too).
 */
import { parse } from 'graphql';
import { createTestApp, type TestApp } from '../helpers/app';
import { OPERATION_LIMITS } from '../../src/limits';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const AGENT = { role: 'AGENT' as const };
const run = (query: string) => t.exec(parse(query, { noLocation: true }) as never, {}, AGENT);

it('refuses a query nested deeper than the depth limit, however cheap', async () => {
  const levels = OPERATION_LIMITS.depth; // with the connection's three levels, well past the limit
  const deep = `{ orders(first: 1) { edges { node { ${'fulfillmentPlan { order { '.repeat(levels / 2)}id${' } }'.repeat(levels / 2)} } } } }`;
  const r = await run(deep);
  expect(r.errors?.[0]?.message).toMatch(/depth limit of 12 exceeded/i);
  expect(r.data ?? null).toBeNull();
});

it('refuses an alias flood', async () => {
  const aliases = Array.from({ length: OPERATION_LIMITS.aliases + 1 }, (_, i) => `a${i}: order(id: "00000000-0000-4000-8000-000000000000") { id }`).join(' ');
  const r = await run(`{ ${aliases} }`);
  expect(r.errors?.[0]?.message).toMatch(/aliases limit of 20 exceeded/i);
});

it('refuses a costly query whose depth and aliases are within their limits', async () => {
  // each alias: locations -> their inventory -> its location -> ... (depth 10, within the limit)
  const nest = 'inventory { sku onHand location { code inventory { sku onHand location { code inventory { sku onHand location { code inventory { sku location { code } } } } } } } } ';
  const wide = Array.from({ length: OPERATION_LIMITS.aliases - 1 }, (_, i) => `l${i}: locations { id code ${nest} }`).join(' ');
  const r = await run(`{ ${wide} }`);
  expect(r.errors?.[0]?.message).toMatch(/cost limit of 5000 exceeded/i);
});

it('refuses a document over the token limit before parsing it whole', async () => {
  const res = await t.app.apollo.executeOperation({ query: `{ ${'__typename '.repeat(OPERATION_LIMITS.tokens)} }` });
  expect(res.http.status).toBe(400);
  expect(res.body.kind === 'single' && res.body.singleResult.errors).toEqual([
    expect.objectContaining({ message: expect.stringMatching(/^Syntax Error: Document contains more tha[nt] 3000 tokens/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
  ]);
});

it('refuses a directive flood', async () => {
  const r = await run(`{ __typename ${'@include(if: true) '.repeat(OPERATION_LIMITS.directives + 1)} }`);
  expect(r.errors?.[0]?.message).toMatch(/directive/i);
});

it('lets an ordinary deep storefront query through', async () => {
  const r = await run(
    `{ orders(first: 5) { edges { node { id lines { sku product { sku } } fulfillmentPlan { groups { location { code } lines { sku quantity } order { id } } } } } } }`,
  );
  expect(r.errors).toBeUndefined();
});
