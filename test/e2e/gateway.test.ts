/**
 * A real gateway over three subgraphs: @apollo/gateway with the supergraph composed from this
 * subgraph (the real process, `start`, over HTTP with ROUTER_SECRET set) and the neighbour
 * subgraphs of test/fixtures. The operations a storefront and a customer page send, planned
 * across subgraphs; the queries the gateway sends this subgraph are kept and checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { composeServices } from '@apollo/composition';
import { parse, specifiedRules, validate } from 'graphql';
import { buildOrdersSchema } from '../../src/schema';
import { OPERATION_LIMITS, operationLimits } from '../../src/limits';
import { start, type Running } from '../../src/main';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { TEST_SECRET } from '../helpers/app';
import { startNeighbours, type Neighbours } from '../fixtures/neighbours';

const ROUTER_SECRET = 'router-secret-for-the-gateway-test';
const root = path.resolve(__dirname, '..', '..');

let tdb: TestDatabase;
let running: Running;
let neighbours: Neighbours;
let gateway: ApolloServer<{ authorization: string }>;
/** The operations the gateway sent this subgraph. */
const sentToOrders: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(2);
  running = await start(
    loadConfig({ NODE_ENV: 'production', DATABASE_URL: tdb.url, JWT_SECRET: TEST_SECRET, PORT: '0', SEED_DEMO: '1', ROUTER_SECRET }),
    silentLogger,
  );
  neighbours = await startNeighbours();
  const urls: Record<string, string> = { orders: running.url, ...neighbours.urls };
  const { subgraphs } = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/subgraphs.json'), 'utf8')) as { subgraphs: { name: string; schema: string }[] };
  const composed = composeServices(subgraphs.map((s) => ({ name: s.name, url: urls[s.name], typeDefs: parse(fs.readFileSync(path.join(root, s.schema), 'utf8')) })));
  expect(composed.errors ?? []).toEqual([]);
  gateway = new ApolloServer({
    gateway: new ApolloGateway({
      supergraphSdl: composed.supergraphSdl!,
      buildService: ({ name, url }) =>
        new RemoteGraphQLDataSource<{ authorization: string }>({
          url,
          willSendRequest({ request, context }) {
            // what a router does: pass the client's token on, and prove it is the router
            if (context.authorization) request.http?.headers.set('authorization', context.authorization);
            request.http?.headers.set('x-router-secret', ROUTER_SECRET);
            if (name === 'orders' && request.query) sentToOrders.push(request.query);
          },
        }),
    }),
  });
  await gateway.start();
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await neighbours?.stop();
  await running?.stop();
  await tdb?.drop();
});

async function run<T = any>(query: string, as: { role: string; sub: string } | null, variables?: Record<string, unknown>): Promise<T> {
  const authorization = as ? `Bearer ${await running.verifier.sign(as as never)}` : '';
  const res = await gateway.executeOperation({ query, variables }, { contextValue: { authorization } });
  if (res.body.kind !== 'single') throw new Error('incremental result');
  if (res.body.singleResult.errors) throw new Error(JSON.stringify(res.body.singleResult.errors));
  return res.body.singleResult.data as T;
}

const SERVICE = { role: 'SERVICE', sub: 'checkout' };

describe('through a gateway', () => {
  const orderIds: string[] = [];
  beforeAll(async () => {
    for (const [i, sku] of ['TEE-0001-S', 'TEE-0002-M'].entries()) {
      const r = await run(
        `mutation($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { order { id } userErrors { message } } }`,
        SERVICE,
        {
          key: `gw-${i}`,
          input: {
            customerId: 'cust-gw', channel: 'web', method: 'SHIP', currencyCode: 'USD',
            lines: [{ sku, quantity: 1, unitPrice: '19.99' }],
            shippingAddress: { line1: '1 Main St', city: 'New York', postalCode: '10001', countryCode: 'US', geo: { lat: 40.75, lng: -73.99 } },
          },
        },
      );
      expect(r.placeOrder.userErrors).toEqual([]);
      orderIds.push(r.placeOrder.order.id);
    }
  });

  it("gives a customer their orders with the customer's name and the products' names from the neighbours", async () => {
    const data = await run(
      `{ orders(first: 10) { edges { node { id customer { id name email } lines { sku product { sku name price } } } } } }`,
      { role: 'CUSTOMER', sub: 'cust-gw' },
    );
    const nodes = data.orders.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.id)).toEqual([...orderIds].reverse());
    expect(nodes[0].customer).toEqual({ id: 'cust-gw', name: 'Customer cust-gw', email: 'cust-gw@example.com' });
    expect(nodes.flatMap((n: any) => n.lines.map((l: any) => l.product))).toEqual([
      { sku: 'TEE-0002-M', name: 'Variant TEE-0002-M', price: '19.99' },
      { sku: 'TEE-0001-S', name: 'Variant TEE-0001-S', price: '19.99' },
    ]);
  });

  it("serves a customer page from the customers subgraph with this subgraph's orders", async () => {
    const data = await run(`{ customer(id: "cust-gw") { name orders(first: 1) { edges { node { id status } } pageInfo { hasNextPage } } } }`, { role: 'CUSTOMER', sub: 'cust-gw' });
    expect(data.customer.name).toBe('Customer cust-gw');
    expect(data.customer.orders.edges.map((e: any) => e.node.id)).toEqual([orderIds[1]]);
    expect(data.customer.orders.pageInfo.hasNextPage).toBe(true);
  });

  it("serves a product page from the products subgraph with this subgraph's availability, nearest first", async () => {
    const data = await run(
      `{ productVariant(sku: "TEE-0001-S") { name price availability(near: { lat: 40.75, lng: -73.99 }) { available locations { location { code } available distanceKm } } } }`,
      { role: 'CUSTOMER', sub: 'shopper' },
    );
    const v = data.productVariant;
    expect(v.name).toBe('Variant TEE-0001-S');
    expect(v.availability.available).toBeGreaterThan(0);
    expect(v.availability.available).toBe(v.availability.locations.reduce((n: number, l: any) => n + l.available, 0));
    const km = v.availability.locations.map((l: any) => l.distanceKm);
    expect(km).toEqual([...km].sort((a: number, b: number) => a - b));
  });

  it('planned the contributed fields as entity fetches to this subgraph', () => {
    // (the gateway sends its operations minified: `...on Customer`)
    expect(sentToOrders.some((q) => q.includes('_entities') && /\.\.\.\s*on Customer\b/.test(q))).toBe(true);
    expect(sentToOrders.some((q) => q.includes('_entities') && /\.\.\.\s*on ProductVariant\b/.test(q))).toBe(true);
  });

  it("passes every subgraph operation the gateway generated through this subgraph's limits", async () => {
    // they ran above through the real server (a refusal would have failed those tests);
    // here each is checked alone against the same rules, with the figures the limits see
    const schema = await buildOrdersSchema();
    const rules = [...specifiedRules, ...operationLimits().validationRules];
    expect(sentToOrders.length).toBeGreaterThanOrEqual(5);
    for (const q of sentToOrders) expect([q, validate(schema, parse(q, { maxTokens: OPERATION_LIMITS.tokens }), rules).map((e) => e.message)]).toEqual([q, []]);
  });

  it('answers with an inline trace (ftv1) when the router asks for one', async () => {
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${await running.verifier.sign({ sub: 'shopper', role: 'CUSTOMER' } as never)}`,
      'x-router-secret': ROUTER_SECRET,
    };
    const body = JSON.stringify({ query: '{ locations { code } }' });
    type Body = { errors?: unknown[]; extensions?: { ftv1?: string } };
    const traced = (await (await fetch(running.url, { method: 'POST', headers: { ...headers, 'apollo-federation-include-trace': 'ftv1' }, body })).json()) as Body;
    expect(traced.errors).toBeUndefined();
    expect(typeof traced.extensions?.ftv1).toBe('string');
    expect(Buffer.from(traced.extensions!.ftv1!, 'base64').length).toBeGreaterThan(10);
    // and not when it does not
    const plain = (await (await fetch(running.url, { method: 'POST', headers, body })).json()) as Body;
    expect(plain.extensions?.ftv1).toBeUndefined();
  });

  it('is refused by this subgraph without the router secret', async () => {
    const res = await fetch(running.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(res.ok).toBe(false);
  });
});
