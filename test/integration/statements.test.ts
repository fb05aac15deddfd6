/**
 * DataLoaders keep the number of SQL statements of a query constant in the size of its
 * lists: 5 orders and 50 orders with their lines, plans, groups, locations and positions
 * take the same number of statements; and concurrent operations share their loaders'
 * statements. Counted at the pg driver, below every layer of ours.
 */
import pg from 'pg';
import { print } from 'graphql';
import { Database } from '../../src/db/database';
import { createContext } from '../../src/context';
import { createLoaders } from '../../src/loaders';
import { createTestApp, type TestApp } from '../helpers/app';
import { makeLocation, orderInput, stock } from '../helpers/fixtures';
import { DeepOrdersDocument, EntitiesDocument, GetOrderDocument, ListOrdersDocument, PlaceOrderDocument } from '../generated/graphql';

let t: TestApp;
let statements: string[] = [];
const realQuery = pg.Client.prototype.query;

beforeAll(async () => {
  t = await createTestApp();
  const locs = await Promise.all([0, 1, 2, 3, 4].map((i) => makeLocation(t, { lat: 40 + i * 0.5, lng: -74 - i * 3 })));
  await stock(t, locs.flatMap((l, i) => ['S1', 'S2', 'S3'].map((sku, j) => ({ locationId: l.id, sku, onHand: (i + j) % 3 === 0 ? 0 : 500 }))));
  for (let i = 0; i < 50; i++) {
    const lines = [{ sku: 'S1', quantity: 1 + (i % 3), unitPrice: '2.50' }, { sku: 'S2', quantity: 1, unitPrice: '4.00' }, ...(i % 2 ? [{ sku: 'S3', quantity: 2, unitPrice: '1.00' }] : [])];
    await t.ok(PlaceOrderDocument, { input: orderInput({ customerId: `c${i}`, lines }), key: `k${i}` }, { role: 'SERVICE' });
  }
  jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text: string };
    statements.push(typeof q === 'string' ? q : q.text);
    return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as never);
});
afterAll(async () => {
  jest.restoreAllMocks();
  await t.close();
});

async function count<T>(run: () => Promise<T>): Promise<{ n: number; result: T }> {
  statements = [];
  const result = await run();
  return { n: statements.length, result };
}

it('issues the same number of statements for 5 and for 50 orders with everything beneath them', async () => {
  const five = await count(() => t.ok(DeepOrdersDocument, { first: 5 }, { role: 'AGENT' }));
  const fifty = await count(() => t.ok(DeepOrdersDocument, { first: 50 }, { role: 'AGENT' }));
  expect(five.result.orders.edges).toHaveLength(5);
  expect(fifty.result.orders.edges).toHaveLength(50);
  const groups = fifty.result.orders.edges.flatMap((e) => e.node.fulfillmentPlan!.groups);
  expect(groups.length).toBeGreaterThan(50);
  expect(new Set(groups.map((g) => g.location.id)).size).toBeGreaterThan(1);
  expect(groups.every((g) => g.location.inventory.length > 0)).toBe(true);
  expect(fifty.n).toBe(five.n);
  // orders, lines, plans, rules, unallocated, groups, group lines, locations, positions
  expect(fifty.n).toBeLessThanOrEqual(9);
});

it('resolves a batch of entity representations with one statement per entity type', async () => {
  const { result: list } = await count(() => t.ok(DeepOrdersDocument, { first: 50 }, { role: 'AGENT' }));
  const reps = list.orders.edges.flatMap((e) => [
    { __typename: 'Order', id: e.node.id },
    { __typename: 'FulfillmentPlan', id: e.node.fulfillmentPlan!.id },
  ]);
  const { n, result } = await count(() => t.ok(EntitiesDocument, { representations: reps }, { role: 'AGENT' }));
  expect(result._entities.filter(Boolean)).toHaveLength(100);
  expect(n).toBe(2);
});

it('runs the fields’ keyed reads on sessions that plan each statement once, with the same answers as the default sessions', async () => {
  const [keyed] = await t.db.keyed.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
  const [main] = await t.db.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
  expect(keyed.plan_cache_mode).toBe('force_generic_plan');
  expect(main.plan_cache_mode).toBe('auto');
  // the same deep read with its loaders on the default sessions (a Database over the bare
  // pool has no keyed pool): after more than five runs each, generic plans against custom ones
  const run = async (db: Database) => {
    const contextValue = await createContext({ db, services: t.services, verifier: t.verifier }, `Bearer ${await t.token({ role: 'AGENT' })}`);
    const res = await t.app.apollo.executeOperation({ query: print(DeepOrdersDocument), variables: { first: 50 } }, { contextValue });
    if (res.body.kind !== 'single' || res.body.singleResult.errors) throw new Error(JSON.stringify(res.body));
    return res.body.singleResult.data;
  };
  const onDefault = new Database(t.db.pool);
  for (let i = 0; i < 6; i++) expect(await run(t.db)).toEqual(await run(onDefault));
  const deep = (await run(t.db)) as { orders: { edges: { node: { lines: unknown[] } }[] } };
  expect(deep.orders.edges).toHaveLength(50);
  expect(deep.orders.edges.every((e) => e.node.lines.length >= 2)).toBe(true);
});

describe('concurrent operations', () => {
  const someOrders = async (n: number) => (await t.db.query<{ id: string; status: string }>('SELECT id, status FROM orders ORDER BY number LIMIT $1', [n]));

  it('run one statement for a loader that several operations ask in the same turn, each getting its own rows', async () => {
    const [o1, o2, o3] = await someOrders(3);
    const a = createLoaders(t.db.keyed);
    const b = createLoaders(t.db.keyed);
    const { n, result } = await count(() => Promise.all([
      a.order.load(o1.id), b.order.load(o2.id), b.order.load(o3.id), a.order.load('not-an-id'),
      a.linesByOrder.load({ orderId: o1.id, currencyCode: 'USD' }), b.linesByOrder.loadMany([{ orderId: o2.id, currencyCode: 'USD' }, { orderId: o3.id, currencyCode: 'EUR' }]),
    ]));
    expect(n).toBe(2); // orders, lines
    const [r1, r2, r3, missing, l1, l23] = result;
    expect([r1?.id, r2?.id, r3?.id, missing]).toEqual([o1.id, o2.id, o3.id, null]);
    const [l2, l3] = l23 as Awaited<ReturnType<typeof b.linesByOrder.load>>[];
    expect(l1.length).toBeGreaterThan(0);
    for (const [lines, o] of [[l1, o1], [l2, o2], [l3, o3]] as const) expect(lines.length > 0 && lines.every((l) => l.orderId === o.id)).toBe(true);
    expect(l3.every((l) => l.currencyCode === 'EUR') && l2.every((l) => l.currencyCode === 'USD')).toBe(true);
    // alone, in separate turns, the same loads take a statement each
    const apart = await count(async () => {
      await createLoaders(t.db.keyed).order.load(o1.id);
      await createLoaders(t.db.keyed).order.load(o2.id);
    });
    expect(apart.n).toBe(2);
  });

  it('read the positions of every SKU list asked for in one turn with one statement', async () => {
    const [l1, l2] = (await t.db.query<{ id: string }>('SELECT DISTINCT location_id AS id FROM inventory_positions ORDER BY 1 LIMIT 2')).map((r) => r.id);
    const a = createLoaders(t.db.keyed);
    const b = createLoaders(t.db.keyed);
    const { n, result } = await count(() => Promise.all([
      a.positionsByLocation.load({ locationId: l1, skus: ['S1', 'S3'] }),
      b.positionsByLocation.load({ locationId: l1, skus: ['S2', 'S3', 'NONE'] }),
      b.positionsByLocation.load({ locationId: l2, skus: ['S2'] }),
      a.positionsByLocation.load({ locationId: l2, skus: null }),
      a.positionsByLocation.load({ locationId: l1, skus: [] }),
    ]));
    expect(n).toBe(2); // the named SKUs, and every SKU of l2
    const at = (loc: string, skus: string[]) => t.db.query<{ sku: string; on_hand: number }>(
      'SELECT sku, on_hand FROM inventory_positions WHERE location_id = $1 AND sku = ANY($2) ORDER BY sku', [loc, skus]);
    const view = (ps: { sku: string; onHand: number; locationId: string }[], loc: string) => {
      expect(ps.every((p) => p.locationId === loc)).toBe(true);
      return ps.map((p) => ({ sku: p.sku, on_hand: p.onHand }));
    };
    expect(view(result[0], l1)).toEqual(await at(l1, ['S1', 'S3']));
    expect(view(result[1], l1)).toEqual(await at(l1, ['S2', 'S3']));
    expect(view(result[2], l2)).toEqual(await at(l2, ['S2']));
    expect(view(result[3], l2)).toEqual(await at(l2, ['S1', 'S2', 'S3']));
    expect(result[4]).toEqual([]);
    expect(result[3].length).toBe(3);
  });

  it('keep each operation’s rows to itself: a later operation reads the row again', async () => {
    const [o] = await someOrders(1);
    const before = createLoaders(t.db.keyed);
    const channel = (await before.order.load(o.id))!.channel;
    await t.db.query('UPDATE orders SET channel = $2 WHERE id = $1', [o.id, 'changed-in-between']);
    try {
      const after = createLoaders(t.db.keyed);
      expect((await after.order.load(o.id))!.channel).toBe('changed-in-between');
      expect((await before.order.load(o.id))!.channel).toBe(channel); // the first operation's own cache
    } finally {
      await t.db.query('UPDATE orders SET channel = $2 WHERE id = $1', [o.id, channel]);
    }
  });

  it('list the pages of the customers asked for in one turn with one statement, by page and filter', async () => {
    const customers = ['c1', 'c2', 'c3', 'nobody', 'c4'];
    const pages = (first: number) => Promise.all(customers.map((c) => t.services.orders.list(first, null, { customerId: c })));
    const { n, result } = await count(() => Promise.all([pages(5), pages(1), t.services.orders.list(5, null, { customerId: 'c5', status: ['CANCELLED'] })]));
    expect(n).toBe(3); // one per page size and filter
    const [five, one, cancelled] = result;
    expect(five.map((p) => p.edges.map((e) => e.node.customerId))).toEqual([['c1'], ['c2'], ['c3'], [], ['c4']]);
    expect(one).toEqual(five);
    expect(cancelled.edges).toEqual([]);
  });

  it('answer as they answer one at a time, with fewer statements', async () => {
    const orders = await someOrders(20);
    const one = (id: string) => t.ok(GetOrderDocument, { id }, { role: 'AGENT' });
    const apart = await count(async () => {
      const out = [];
      for (const o of orders) out.push(await one(o.id));
      return out;
    });
    const together = await count(() => Promise.all(orders.map((o) => one(o.id))));
    expect(together.result).toEqual(apart.result);
    expect(apart.result.map((r) => r.order!.id)).toEqual(orders.map((o) => o.id));
    expect(together.n).toBeLessThan(apart.n);

    const customers = ['c6', 'c7', 'c8', 'nobody', 'c9', 'c10'];
    const page = (customerId: string) => t.ok(ListOrdersDocument, { first: 5, filter: { customerId } }, { role: 'AGENT' });
    const pagesApart = await count(async () => {
      const out = [];
      for (const c of customers) out.push(await page(c));
      return out;
    });
    const pagesTogether = await count(() => Promise.all(customers.map(page)));
    expect(pagesTogether.result).toEqual(pagesApart.result);
    expect(pagesApart.result.map((r) => r.orders.edges.length)).toEqual([1, 1, 1, 0, 1, 1]);
    expect(pagesApart.n).toBe(customers.length);
    expect(pagesTogether.n).toBeLessThan(pagesApart.n);
  });
});
