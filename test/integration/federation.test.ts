/**
 * The federation surface as a router uses it, through `_entities`: the fields this subgraph
 * contributes to the neighbours' entities (Customer.orders, ProductVariant.availability)
 * and the cap on representations per call.
 */
import pg from 'pg';
import { createTestApp, type TestApp } from '../helpers/app';
import { makeLocation, orderInput, stock } from '../helpers/fixtures';
import { CancelOrderDocument, CustomerOrdersDocument, EntitiesDocument, PlaceOrderDocument, ServiceSdlDocument, VariantAvailabilityDocument } from '../generated/graphql';
import { MAX_REPRESENTATIONS } from '../../src/schema';

let t: TestApp;
const placed: Record<string, string[]> = { 'cust-a': [], 'cust-b': [] };
const codes: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  // three locations west to east, stock of V1 at all, V2 at the middle one only
  const locs = await Promise.all([0, 1, 2].map((i) => makeLocation(t, { lat: 40, lng: -100 + i * 10 })));
  codes.push(...locs.map((l) => l.code));
  await stock(t, [...locs.map((l) => ({ locationId: l.id, sku: 'V1', onHand: 10 })), { locationId: locs[1].id, sku: 'V2', onHand: 4 }, ...locs.map((l) => ({ locationId: l.id, sku: 'P', onHand: 100 }))]);
  for (const [customerId, n] of [['cust-a', 3], ['cust-b', 1]] as const) {
    for (let i = 0; i < n; i++) {
      const r = await t.ok(PlaceOrderDocument, { input: orderInput({ customerId, lines: [{ sku: 'P', quantity: 1, unitPrice: '1.00' }] }), key: `${customerId}-${i}` }, { role: 'SERVICE' });
      placed[customerId].push(r.placeOrder.order!.id);
    }
  }
  await t.ok(CancelOrderDocument, { id: placed['cust-a'][0], reason: 'changed mind' }, { role: 'AGENT' });
});
afterAll(() => t.close());

const customer = (id: string) => [{ __typename: 'Customer', id }];

/** The SQL statements `run` sends, counted at the pg driver, below every layer of ours. */
async function statementsOf<T>(run: () => Promise<T>): Promise<{ seen: string[]; result: T }> {
  const realQuery = pg.Client.prototype.query;
  const seen: string[] = [];
  const spy = jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    seen.push(typeof q === 'string' ? q : q.text);
    return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as never);
  try {
    return { seen, result: await run() };
  } finally {
    spy.mockRestore();
  }
}
type Entity = { __typename: string; id?: string; orders?: { edges: { cursor: string; node: { id: string; customerId: string; status: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

describe('Customer.orders', () => {
  it("lists a customer's orders newest first, filtered by status, in pages", async () => {
    const all = (await t.ok(CustomerOrdersDocument, { representations: customer('cust-a') }, { role: 'AGENT' }))._entities[0] as Entity;
    expect(all.id).toBe('cust-a');
    expect(all.orders!.edges.map((e) => e.node.id)).toEqual([...placed['cust-a']].reverse());
    expect(all.orders!.edges.every((e) => e.node.customerId === 'cust-a')).toBe(true);

    const cancelled = (await t.ok(CustomerOrdersDocument, { representations: customer('cust-a'), status: ['CANCELLED'] }, { role: 'AGENT' }))._entities[0] as Entity;
    expect(cancelled.orders!.edges.map((e) => e.node.id)).toEqual([placed['cust-a'][0]]);

    const first = (await t.ok(CustomerOrdersDocument, { representations: customer('cust-a'), first: 2 }, { role: 'AGENT' }))._entities[0] as Entity;
    expect(first.orders!.pageInfo.hasNextPage).toBe(true);
    const rest = (await t.ok(CustomerOrdersDocument, { representations: customer('cust-a'), first: 2, after: first.orders!.pageInfo.endCursor }, { role: 'AGENT' }))._entities[0] as Entity;
    expect([...first.orders!.edges, ...rest.orders!.edges].map((e) => e.node.id)).toEqual([...placed['cust-a']].reverse());
    expect(rest.orders!.pageInfo.hasNextPage).toBe(false);
  });

  it('gives a customer their own orders and refuses another customer’s', async () => {
    const own = (await t.ok(CustomerOrdersDocument, { representations: customer('cust-b') }, { role: 'CUSTOMER', sub: 'cust-b' }))._entities[0] as Entity;
    expect(own.orders!.edges.map((e) => e.node.id)).toEqual(placed['cust-b']);
    const other = await t.exec(CustomerOrdersDocument, { representations: customer('cust-a') }, { role: 'CUSTOMER', sub: 'cust-b' });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(other.data)).not.toContain(placed['cust-a'][1]);
  });

  it('is empty for a customer without orders, and needs a token', async () => {
    const none = (await t.ok(CustomerOrdersDocument, { representations: customer('nobody') }, { role: 'AGENT' }))._entities[0] as Entity;
    expect(none.orders!.edges).toEqual([]);
    expect((await t.exec(CustomerOrdersDocument, { representations: customer('cust-a') }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('Customer.orders for several customers', () => {
  it('answers every customer of one request with one statement, each with their own page', async () => {
    const { seen, result: r } = await statementsOf(() =>
      t.ok(CustomerOrdersDocument, { representations: [...customer('cust-a'), ...customer('nobody'), ...customer('cust-b')], first: 2 }, { role: 'AGENT' }),
    );
    const [a, nobody, b] = r._entities as Entity[];
    expect(a.orders!.edges.map((e) => e.node.id)).toEqual([...placed['cust-a']].reverse().slice(0, 2));
    expect(a.orders!.pageInfo.hasNextPage).toBe(true);
    expect(nobody.orders!.edges).toEqual([]);
    expect(b.orders!.edges.map((e) => e.node.id)).toEqual(placed['cust-b']);
    expect(b.orders!.pageInfo.hasNextPage).toBe(false);
    expect(seen.filter((q) => /FROM orders o/.test(q))).toHaveLength(1);
  });
});

describe('ProductVariant.availability', () => {
  type Variant = { sku: string; availability: { sku: string; available: number; locations: { location: { code: string }; available: number; distanceKm: number | null }[] } };
  const variants = (...skus: string[]) => skus.map((sku) => ({ __typename: 'ProductVariant', sku }));

  it('gives the network total and the locations with stock, nearest first', async () => {
    const r = await t.ok(VariantAvailabilityDocument, { representations: variants('V1', 'V2', 'NOPE'), near: { lat: 40, lng: -79 } }, { role: 'CUSTOMER', sub: 'cust-a' });
    const [v1, v2, nope] = r._entities as Variant[];
    expect(v1.availability.available).toBe(30);
    expect(v1.availability.locations.map((l) => l.location.code)).toEqual([codes[2], codes[1], codes[0]]);
    expect(v1.availability.locations.map((l) => l.distanceKm)).toEqual([...v1.availability.locations.map((l) => l.distanceKm)].sort((a, b) => a! - b!));
    expect(v2.availability).toMatchObject({ sku: 'V2', available: 4, locations: [{ location: { code: codes[1] }, available: 4 }] });
    expect(nope.availability).toEqual({ sku: 'NOPE', available: 0, locations: [] });
    // within a radius: only the nearest location
    const near = await t.ok(VariantAvailabilityDocument, { representations: variants('V1'), near: { lat: 40, lng: -79 }, radiusKm: 300 }, { role: 'CUSTOMER', sub: 'cust-a' });
    expect((near._entities[0] as Variant).availability.locations.map((l) => l.location.code)).toEqual([codes[2]]);
  });

  it('answers all the variants of a request with one statement', async () => {
    const skus = Array.from({ length: 20 }, (_, i) => (i % 2 ? 'V1' : `X${i}`));
    const { seen } = await statementsOf(() => t.ok(VariantAvailabilityDocument, { representations: variants(...skus) }, { role: 'SERVICE' }));
    expect(seen.filter((s) => s.includes('FROM inventory_positions p') && s.includes('JOIN locations l'))).toHaveLength(1);
  });

  it('refuses a radius without a point, clearly', async () => {
    const r = await t.exec(VariantAvailabilityDocument, { representations: variants('V1'), radiusKm: 10 }, { role: 'SERVICE' });
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(r.errors?.[0]?.message).toMatch(/radiusKm needs near/);
  });
});

describe('_entities', () => {
  it(`takes up to ${MAX_REPRESENTATIONS} representations in one call and refuses more, clearly, resolving none`, async () => {
    const reps = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: 'Location', id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
    const atCap = await t.ok(EntitiesDocument, { representations: reps(MAX_REPRESENTATIONS) }, { role: 'AGENT' });
    expect(atCap._entities).toHaveLength(MAX_REPRESENTATIONS);
    const over = await t.exec(EntitiesDocument, { representations: reps(MAX_REPRESENTATIONS + 1) }, { role: 'AGENT' });
    expect(over.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(over.errors?.[0]?.message).toBe(`_entities takes at most ${MAX_REPRESENTATIONS} representations per call, got ${MAX_REPRESENTATIONS + 1}`);
    expect(over.data).toBeNull();
  });
});

describe('the federation specification, checked as the subgraph compatibility suite would', () => {
  it('_service.sdl has exactly one federation @link, importing exactly the directives it uses', async () => {
    const sdl = (await t.ok(ServiceSdlDocument, {}, null))._service.sdl!;
    const links = [...sdl.matchAll(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+", import: \[([^\]]*)\]\)/g)];
    expect(links).toHaveLength(1);
    // every other @link is the link specification's own (which buildSubgraphSchema adds)
    const applied = [...sdl.matchAll(/^\s*@link\(url: "([^"]+)"/gm)].map((m) => m[1]).filter((u) => !u.startsWith('https://specs.apollo.dev/federation/'));
    expect(applied.every((u) => u.startsWith('https://specs.apollo.dev/link/'))).toBe(true);
    const imported = links[0][1].split(',').map((s) => s.trim().replace(/"/g, '')).sort();
    const used = ['@key', '@shareable', '@external', '@requires', '@provides', '@inaccessible', '@override', '@tag', '@interfaceObject', '@composeDirective', '@authenticated', '@requiresScopes', '@policy', '@cost', '@listSize']
      .filter((d) => new RegExp(`${d}\\b(?!")`).test(sdl.replace(/import: \[[^\]]*\]/, '').replace(/^directive .*$/gm, '')))
      .sort();
    expect(imported).toEqual(used);
  });

  it('_entities answers mixed typenames in order, with null for unknown ids, and refuses an unknown type', async () => {
    const [loc] = await t.db.query<{ id: string }>('SELECT id FROM locations ORDER BY code LIMIT 1');
    const missing = '00000000-0000-4000-8000-000000000000';
    const r = await t.ok(EntitiesDocument, {
      representations: [
        { __typename: 'Location', id: loc.id },
        { __typename: 'Order', id: placed['cust-b'][0] },
        { __typename: 'Location', id: missing },
        { __typename: 'ProductVariant', sku: 'V1' },
        { __typename: 'Order', id: missing },
        { __typename: 'Customer', id: 'cust-b' },
      ],
    }, { role: 'ADMIN' });
    expect(r._entities.map((e) => (e ? e.__typename : null))).toEqual(['Location', 'Order', null, 'ProductVariant', null, 'Customer']);
    expect(r._entities[1]).toMatchObject({ id: placed['cust-b'][0], customerId: 'cust-b' });
    const unknown = await t.exec(EntitiesDocument, { representations: [{ __typename: 'Spaceship', id: loc.id }] }, { role: 'ADMIN' });
    expect(unknown.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(unknown.errors?.[0]?.message).toMatch(/"Spaceship" is not an entity of this subgraph/);
  });

  it('resolves every @key it declares, for an instance of each entity', async () => {
    const sdl = (await t.ok(ServiceSdlDocument, {}, null))._service.sdl!;
    const keyed = [...sdl.matchAll(/^type (\w+)\s*\n?\s*@key\(fields: "([^"]+)"/gm)].map((m) => ({ type: m[1], fields: m[2].split(' ') }));
    const one = async (sql: string) => (await t.db.query<Record<string, string>>(sql))[0];
    const instances: Record<string, Record<string, string>> = {
      Order: { id: placed['cust-a'][1] },
      FulfillmentPlan: await one('SELECT id FROM fulfillment_plans LIMIT 1'),
      FulfillmentGroup: await one('SELECT id FROM fulfillment_groups LIMIT 1'),
      Location: await one('SELECT id FROM locations LIMIT 1'),
      InventoryPosition: await one(`SELECT location_id AS "locationId", sku FROM inventory_positions LIMIT 1`),
      SourcingRule: await one('SELECT id FROM sourcing_rules LIMIT 1'),
      Customer: { id: 'cust-a' },
      ProductVariant: { sku: 'V1' },
    };
    expect(keyed.map((k) => k.type).sort()).toEqual(Object.keys(instances).sort());
    for (const { type, fields } of keyed) {
      const representation: Record<string, string> = { __typename: type };
      for (const f of fields) representation[f] = instances[type][f];
      const r = await t.ok(EntitiesDocument, { representations: [representation] }, { role: 'ADMIN' });
      expect([type, r._entities[0]?.__typename]).toEqual([type, type]);
    }
  });
});
