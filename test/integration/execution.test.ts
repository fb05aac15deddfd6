/**
 * Compiled execution (execution.ts) answers exactly as graphql-js does: the same data and the
 * same errors (message, locations, path, extensions), field by field. One app runs with the
 * server's default (a document compiled on its second run), so that each operation's first
 * answer comes from graphql-js and the next two from its compiled function.
 */
import { HeaderMap } from '@apollo/server';
import { print, type DocumentNode } from 'graphql';
import { createTestApp, type As, type TestApp } from '../helpers/app';
import { makeLocation, orderInput, stock } from '../helpers/fixtures';
import { createContext } from '../../src/context';
import {
  AvailabilityDocument, DeepOrdersDocument, EntitiesDocument, GetOrderDocument, ListOrdersDocument, PlaceOrderDocument, SourcingRulesDocument,
} from '../generated/graphql';

let t: TestApp;
let orderId: string;
let planId: string;

beforeAll(async () => {
  t = await createTestApp({ compileOnRun: 2 });
  const locs = await Promise.all([0, 1, 2].map((i) => makeLocation(t, { lat: 40 + i * 0.5, lng: -74 - i * 3 })));
  await stock(t, locs.flatMap((l, i) => ['S1', 'S2', 'S3'].map((sku, j) => ({ locationId: l.id, sku, onHand: (i + j) % 3 === 0 ? 0 : 50 }))));
  for (let i = 0; i < 6; i++) {
    const lines = [{ sku: 'S1', quantity: 1 + (i % 3), unitPrice: '2.50' }, { sku: 'S2', quantity: 1, unitPrice: '4.00' }, ...(i % 2 ? [{ sku: 'S3', quantity: 2, unitPrice: '1.25' }] : [])];
    const placed = await t.ok(PlaceOrderDocument, { input: orderInput({ customerId: `exec-${i % 2}`, lines }), key: `exec-${i}` }, { role: 'SERVICE' });
    orderId = placed.placeOrder.order!.id;
    planId = placed.placeOrder.order!.fulfillmentPlan!.id;
  }
});
afterAll(async () => {
  await t.close();
});

/** The formatted response of `query` with `variables` as `as`, straight from Apollo. */
async function run(query: string | DocumentNode, variables: Record<string, unknown>, as: As | null) {
  const authorization = as ? `Bearer ${await t.token(as)}` : undefined;
  const contextValue = await createContext({ db: t.db, services: t.services, verifier: t.verifier }, authorization);
  const res = await t.app.apollo.executeOperation({ query: typeof query === 'string' ? query : print(query), variables }, { contextValue });
  if (res.body.kind !== 'single') throw new Error('unexpected incremental result');
  return { status: res.http.status ?? 200, ...res.body.singleResult };
}

const agent: As = { role: 'AGENT' };

it('answers every kind of operation alike, interpreted on its first run and compiled on the next', async () => {
  const cases: [string, string | DocumentNode, () => Record<string, unknown>, As | null][] = [
    ['a deep page of orders', DeepOrdersDocument, () => ({ first: 6 }), agent],
    ['one order', GetOrderDocument, () => ({ id: orderId }), agent],
    ['a customer\'s own orders, filtered', ListOrdersDocument, () => ({ first: 5, filter: { customerId: 'exec-1' } }), { role: 'CUSTOMER', sub: 'exec-1' }],
    ['availability', AvailabilityDocument, () => ({ skus: ['S1', 'S2', 'S3'], near: { lat: 40, lng: -74 }, radiusKm: 2000 }), agent],
    ['entities, one of them unknown', EntitiesDocument, () => ({ representations: [{ __typename: 'Order', id: orderId }, { __typename: 'FulfillmentPlan', id: planId }, { __typename: 'Order', id: '00000000-0000-4000-8000-000000000000' }] }), agent],
    ['aliases, fragments, @include and @skip, __typename', `query Shapes($yes: Boolean!, $id: ID!) {
      a: order(id: $id) { ...O lines @include(if: $yes) { sku } }
      b: order(id: $id) { id @skip(if: $yes) __typename total { amount } }
      rules: sourcingRules { ... on SourcingRule { name } }
    }
    fragment O on Order { id number status }`, () => ({ yes: true, id: orderId }), agent],
    ['introspection', '{ __schema { queryType { name } types { name kind } } __type(name: "Order") { fields { name type { name kind ofType { name } } } } }', () => ({}), agent],
    ['the router\'s _service', '{ _service { sdl } }', () => ({}), null],
    // errors: raised by a resolver (a role refused), by an argument (a page too large), by
    // the variables (wrong type, missing), and an order that is not there
    ['a resolver refusing the role', SourcingRulesDocument, () => ({}), { role: 'CUSTOMER', sub: 'exec-0' }],
    ['a page over the limit', DeepOrdersDocument, () => ({ first: 101 }), agent],
    ['a variable of the wrong type', GetOrderDocument, () => ({ id: { not: 'an id' } }), agent],
    ['a missing variable', GetOrderDocument, () => ({}), agent],
    ['an order that is not there', GetOrderDocument, () => ({ id: '00000000-0000-4000-8000-000000000000' }), agent],
    ['a mutation refused with user errors', PlaceOrderDocument, () => ({ input: orderInput({ customerId: 'exec-x', lines: [{ sku: 'S1', quantity: 0, unitPrice: '-1' }] }), key: 'exec-bad' }), { role: 'SERVICE' }],
  ];
  const seen = new Set<string>([print(PlaceOrderDocument)]); // placed the orders above
  for (const [what, query, variables, as] of cases) {
    const text = typeof query === 'string' ? query : print(query);
    const firstRunOfDocument = !seen.has(text);
    seen.add(text);
    const before = { ...t.app.compiled!.counts };
    const first = await run(query, variables(), as);
    const afterFirst = { ...t.app.compiled!.counts };
    const second = await run(query, variables(), as);
    const third = await run(query, variables(), as);
    const after = t.app.compiled!.counts;
    expect({ what, ...second }).toEqual({ what, ...first });
    expect({ what, ...third }).toEqual({ what, ...first });
    // a document's first run interpreted, the next ones compiled, unless the variables were
    // refused before execution (graphql-js coerces them for both)
    const refusedVariables = first.errors?.some((e) => /Variable "\$/.test(e.message)) ?? false;
    expect({ what, interpreted: afterFirst.interpreted - before.interpreted }).toEqual({ what, interpreted: firstRunOfDocument ? 1 : 0 });
    expect({ what, compiled: after.compiled - before.compiled }).toEqual({ what, compiled: refusedVariables ? 0 : firstRunOfDocument ? 2 : 3 });
  }
});

it('shows the answers are real: data where asked, and each error named as graphql-js names it', async () => {
  const deep = await run(DeepOrdersDocument, { first: 6 }, agent);
  expect((deep.data as { orders: { edges: unknown[] } }).orders.edges).toHaveLength(6);
  const refused = await run(SourcingRulesDocument, {}, { role: 'CUSTOMER', sub: 'exec-0' });
  expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' }, path: ['sourcingRules'], locations: [expect.objectContaining({ line: expect.any(Number) })] });
  const badVariable = await run(GetOrderDocument, { id: { not: 'an id' } }, agent);
  expect(badVariable.errors?.[0].message).toMatch(/^Variable "\$id" got invalid value/);
});

it('compiles literals as values, never as code', async () => {
  const g = globalThis as { injected?: number };
  const query = `{ a: orderByNumber(number: "x\\"); globalThis.injected = 1; //") { id }
    b: orderByNumber(number: "\\u0027); globalThis.injected = 2; ('") { id }
    c: orderByNumber(number: "\`); globalThis.injected = 3; //\${globalThis.injected = 4}") { id } }`;
  const before = t.app.compiled!.counts.compiled;
  for (let i = 0; i < 3; i++) expect(await run(query, {}, agent)).toEqual({ status: 200, data: { a: null, b: null, c: null } });
  expect(t.app.compiled!.counts.compiled).toBe(before + 2);
  expect(g.injected).toBeUndefined();
});

it('keeps graphql-js for a request that asks for a federated trace', async () => {
  const before = { ...t.app.compiled!.counts };
  for (let i = 0; i < 3; i++) {
    const authorization = `Bearer ${await t.token(agent)}`;
    const contextValue = await createContext({ db: t.db, services: t.services, verifier: t.verifier }, authorization);
    const res = await t.app.apollo.executeOperation(
      { query: print(GetOrderDocument), variables: { id: orderId }, http: { method: 'POST', headers: new HeaderMap([['apollo-federation-include-trace', 'ftv1']]), search: '', body: {} } },
      { contextValue },
    );
    if (res.body.kind !== 'single') throw new Error('unexpected incremental result');
    expect(res.body.singleResult.errors).toBeUndefined();
    // Apollo's inline trace is there, built from graphql-js's resolvers
    expect(typeof res.body.singleResult.extensions?.ftv1).toBe('string');
  }
  expect(t.app.compiled!.counts.compiled).toBe(before.compiled);
  expect(t.app.compiled!.counts.interpreted).toBe(before.interpreted + 3);
});
