/**
 * Order listings read a summary of each order's columns when every field selected on the
 * orders is answered by it (orders/listing-columns.ts), and answer exactly as the full
 * listing does.
 */
import { parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { createTestApp, type TestApp } from '../helpers/app';
import { makeLocation, orderInput, stock } from '../helpers/fixtures';
import { PlaceOrderDocument } from '../generated/graphql';
import { listingColumns } from '../../src/orders/listing-columns';
import { OrderSummary } from '../../src/orders/records';

let t: TestApp;
const AGENT = { role: 'AGENT' as const };
const placed: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  const loc = await makeLocation(t, { lat: 40.7, lng: -74 });
  await stock(t, [{ locationId: loc.id, sku: 'LC-A', onHand: 100 }, { locationId: loc.id, sku: 'LC-B', onHand: 1 }]);
  for (let i = 0; i < 5; i++) {
    const lines = [{ sku: 'LC-A', quantity: 1 + i, unitPrice: '2.50' }, ...(i % 2 ? [{ sku: 'LC-B', quantity: 2, unitPrice: '1.10' }] : [])];
    const r = await t.ok(PlaceOrderDocument, { input: orderInput({ customerId: i < 4 ? 'lc-a' : 'lc-b', lines }), key: `lc-${i}` }, { role: 'SERVICE' });
    placed.push(r.placeOrder.order!.id);
  }
});
afterAll(() => t.close());

// every field a summary answers, through a fragment and an inline fragment
const SUMMARY_SELECTION = `
  __typename id number customerId status canCancel createdAt
  ... on Order { customer { id } total { amount currencyCode } }
  ...Rest`;
const REST = `fragment Rest on Order {
  lines { id sku quantity unitPrice { amount currencyCode } }
  holds { id } fulfillmentPlan { id shipmentCount } events { sequence type }
}`;
const FULL_EXTRA = 'channel method version updatedAt shippingAddress { city geo { lat } } pickupLocation { id }';

const page = (selection: string) => `query Page($c: ID!, $first: Int, $after: String) {
  orders(first: $first, after: $after, filter: { customerId: $c }) { edges { cursor node { ${selection} } } pageInfo { hasNextPage endCursor } }
} ${REST}`;

type Page = { orders: { edges: { cursor: string; node: Record<string, unknown> }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

describe('order listings by the columns they need', () => {
  it('reads the summary for a page of summary fields, and answers, pages and cursors as the full listing', async () => {
    const list = jest.spyOn(t.services.orders, 'list');
    try {
      for (const first of [2, 20]) {
        let after: string | null = null;
        let pages = 0;
        do {
          list.mockClear();
          const summary = await t.raw(page(SUMMARY_SELECTION), { c: 'lc-a', first, after }, AGENT);
          expect(list.mock.calls.map((c) => c[3])).toEqual(['summary']);
          const full = await t.raw(page(`${SUMMARY_SELECTION} ${FULL_EXTRA}`), { c: 'lc-a', first, after }, AGENT);
          expect(list.mock.calls.map((c) => c[3])).toEqual(['summary', 'full']);
          expect(summary.errors).toBeUndefined();
          expect(full.errors).toBeUndefined();
          const s = summary.data as Page;
          const f = full.data as Page;
          expect(f.orders.edges[0].node.shippingAddress).toEqual({ city: 'New York', geo: { lat: 40.75 } });
          // the full page, less the fields only it asked for, is the summary page
          const extra = ['channel', 'method', 'version', 'updatedAt', 'shippingAddress', 'pickupLocation'];
          expect(f.orders.edges.map((e) => ({ ...e, node: Object.fromEntries(Object.entries(e.node).filter(([k]) => !extra.includes(k))) }))).toEqual(s.orders.edges);
          expect(f.orders.pageInfo).toEqual(s.orders.pageInfo);
          after = s.orders.pageInfo.endCursor;
          pages++;
          if (!s.orders.pageInfo.hasNextPage) break;
        } while (pages < 10);
        expect(pages).toBe(first === 2 ? 2 : 1);
      }
    } finally {
      list.mockRestore();
    }
  });

  it("Customer.orders through the router reads the summary too, each customer's own orders", async () => {
    const byCustomers = jest.spyOn(t.services.orders, 'listByCustomers');
    try {
      const q = (selection: string) => `query E($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id orders { edges { node { ${selection} } } } } } }`;
      const r = { r: [{ __typename: 'Customer', id: 'lc-a' }, { __typename: 'Customer', id: 'lc-b' }] };
      const summary = await t.raw(q('id number status total { amount }'), r, { role: 'SERVICE' });
      const full = await t.raw(q('id number status total { amount } channel'), r, { role: 'SERVICE' });
      expect(summary.errors).toBeUndefined();
      expect(byCustomers.mock.calls.map((c) => [c[0].length, c[4]])).toEqual([[2, 'summary'], [2, 'full']]);
      type E = { _entities: { id: string; orders: { edges: { node: Record<string, unknown> }[] } }[] };
      const s = (summary.data as E)._entities;
      const f = (full.data as E)._entities;
      expect(s.map((c) => c.orders.edges.length)).toEqual([4, 1]);
      expect(f.map((c) => ({ ...c, orders: { edges: c.orders.edges.map((e) => ({ node: { ...e.node, channel: undefined } })) } }))).toEqual(
        s.map((c) => ({ ...c, orders: { edges: c.orders.edges.map((e) => ({ node: { ...e.node, channel: undefined } })) } })),
      );
    } finally {
      byCustomers.mockRestore();
    }
  });

  it("does not put a summary in the request's order loader: the same order read again keeps its other columns", async () => {
    // the plan's order is read through the loader after the page has come back
    const r = await t.raw(
      `query Again($c: ID!) {
        orders(filter: { customerId: $c }) { edges { node { id status fulfillmentPlan { order { id channel shippingAddress { city } version } } } } }
      }`,
      { c: 'lc-a' },
      AGENT,
    );
    expect(r.errors).toBeUndefined();
    const data = r.data as { orders: { edges: { node: { id: string; fulfillmentPlan: { order: Record<string, unknown> } } }[] } };
    expect(data.orders.edges).toHaveLength(4);
    for (const e of data.orders.edges) {
      expect(e.node.fulfillmentPlan.order).toEqual({ id: e.node.id, channel: 'web', shippingAddress: { city: 'New York' }, version: 1 });
    }
  });

  it('a summary record holds only the summary columns', async () => {
    const summary = await t.services.orders.list(20, null, { customerId: 'lc-b' }, 'summary');
    const node = summary.edges[0].node;
    expect(node).toBeInstanceOf(OrderSummary);
    expect(node).toMatchObject({ id: placed[4], customerId: 'lc-b', status: 'ALLOCATED', currencyCode: 'USD' });
    for (const field of ['channel', 'method', 'shippingAddress', 'pickupLocationId', 'shipComplete', 'version', 'lastSequence', 'updatedAt'] as const) {
      expect(node[field]).toBeUndefined();
    }
    const full = await t.services.orders.list(20, null, { customerId: 'lc-b' });
    expect(full.edges[0].node).not.toBeInstanceOf(OrderSummary);
    expect(full.edges[0].node.channel).toBe('web');
  });
});

describe('listingColumns', () => {
  /** The decision for the first field of a document's operation. */
  const decide = (source: string) => {
    const doc = parse(source);
    const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
    const fragments = Object.fromEntries(
      doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((d) => [d.name.value, d]),
    );
    return listingColumns({ fieldNodes: [op.selectionSet.selections[0] as FieldNode], fragments });
  };

  it('summary only when every order field is a summary field, wherever the fields sit', () => {
    expect(decide('{ orders { edges { node { id number status createdAt total { amount } lines { id } } } } }')).toBe('summary');
    expect(decide('{ orders { pageInfo { endCursor } edges { cursor } } }')).toBe('summary');
    expect(decide('{ orders { edges { node { id channel } } } }')).toBe('full');
    expect(decide('{ orders { edges { node { id ... on Order { shippingAddress { city } } } } } }')).toBe('full');
    expect(decide('{ orders { edges { node { ...F } } } } fragment F on Order { id version }')).toBe('full');
    expect(decide('{ orders { edges { ...E } } } fragment E on OrderEdge { node { updatedAt } }')).toBe('full');
    expect(decide('{ orders { edges { node { ...Missing } } } }')).toBe('full');
    expect(decide('{ orders { edges { node { ...F } } } } fragment F on Order { id status canCancel }')).toBe('summary');
  });
});
