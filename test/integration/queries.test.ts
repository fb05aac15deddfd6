import { createTestApp, type TestApp } from '../helpers/app';
import { makeLocation, orderInput, stock } from '../helpers/fixtures';
import {
  AdvanceFulfillmentDocument, AvailabilityDocument, GetOrderDocument, ListOrdersDocument, type ListOrdersQuery, LocationByIdDocument, LocationsDocument, OrderEventsDocument, PlaceOrderDocument,
} from '../generated/graphql';

let t: TestApp;
let nyc: string;
let chi: string;
let la: string;
const AGENT = { role: 'AGENT' as const };
const orderIds: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  nyc = (await makeLocation(t, { code: 'NYC', type: 'STORE', lat: 40.7505, lng: -73.9934, methods: ['SHIP', 'PICKUP'] })).id;
  chi = (await makeLocation(t, { code: 'CHI', type: 'WAREHOUSE', lat: 41.8781, lng: -87.6298, methods: ['SHIP'] })).id;
  la = (await makeLocation(t, { code: 'LA', type: 'STORE', lat: 34.0522, lng: -118.2437, methods: ['SHIP', 'PICKUP'], active: false })).id;
  await stock(t, [
    { locationId: nyc, sku: 'A', onHand: 30, safetyStock: 2 },
    { locationId: chi, sku: 'A', onHand: 100 },
    { locationId: la, sku: 'A', onHand: 50 },
    { locationId: chi, sku: 'B', onHand: 5 },
  ]);
  for (let i = 0; i < 25; i++) {
    const r = await t.ok(
      PlaceOrderDocument,
      { input: orderInput({ customerId: i % 2 ? 'odd' : 'even', lines: [{ sku: i % 5 === 0 ? 'NONE' : 'A', quantity: 1, unitPrice: '1' }] }), key: `q${i}` },
      { role: 'SERVICE' },
    );
    orderIds.push(r.placeOrder.order!.id);
  }
});
afterAll(() => t.close());

describe('orders connection', () => {
  it('pages newest first with keyset cursors, without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r: ListOrdersQuery = await t.ok(ListOrdersDocument, { first: 7, after }, AGENT);
      seen.push(...r.orders.edges.map((e) => e.node.id));
      pages += 1;
      if (!r.orders.pageInfo.hasNextPage) break;
      after = r.orders.pageInfo.endCursor!;
    }
    expect(pages).toBe(4);
    expect(seen).toEqual([...orderIds].reverse());
  });

  it('filters by customer, status, location and created range', async () => {
    const odd = await t.ok(ListOrdersDocument, { first: 100, filter: { customerId: 'odd' } }, AGENT);
    expect(odd.orders.edges).toHaveLength(12);
    const back = await t.ok(ListOrdersDocument, { first: 100, filter: { status: ['BACKORDERED'] } }, AGENT);
    expect(back.orders.edges).toHaveLength(5);
    const atChi = await t.ok(ListOrdersDocument, { first: 100, filter: { locationId: chi } }, AGENT);
    const atNyc = await t.ok(ListOrdersDocument, { first: 100, filter: { locationId: nyc } }, AGENT);
    expect(atChi.orders.edges.length + atNyc.orders.edges.length).toBe(20);
    const all = await t.ok(ListOrdersDocument, { first: 100 }, AGENT);
    const middle = all.orders.edges[10].node.createdAt;
    const before = await t.ok(ListOrdersDocument, { first: 100, filter: { createdBefore: middle } }, AGENT);
    const from = await t.ok(ListOrdersDocument, { first: 100, filter: { createdAfter: middle } }, AGENT);
    expect(before.orders.edges.length + from.orders.edges.length).toBe(25);
  });

  it('pages one customer’s orders with keyset cursors, beside another customer’s pages', async () => {
    const pagesOf = async (customerId: string) => {
      const seen: string[][] = [];
      let after: string | null = null;
      for (;;) {
        const r: ListOrdersQuery = await t.ok(ListOrdersDocument, { first: 5, after, filter: { customerId } }, AGENT);
        seen.push(r.orders.edges.map((e) => e.node.id));
        if (!r.orders.pageInfo.hasNextPage) return seen;
        after = r.orders.pageInfo.endCursor!;
      }
    };
    // both customers' pages run at once: their statements are shared turn by turn
    const [odd, even] = await Promise.all([pagesOf('odd'), pagesOf('even')]);
    expect(odd.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(even.map((p) => p.length)).toEqual([5, 5, 3]);
    expect(odd.flat()).toEqual([...orderIds].reverse().filter((_, i) => (24 - i) % 2 === 1));
    expect(even.flat()).toEqual([...orderIds].reverse().filter((_, i) => (24 - i) % 2 === 0));
  });

  it('shows each order’s lines and total in its own currency, orders of several currencies read together', async () => {
    const place = async (currencyCode: string, key: string) => (await t.ok(PlaceOrderDocument, {
      input: orderInput({ customerId: 'currencies', currencyCode, lines: [{ sku: 'NONE', quantity: 2, unitPrice: '3.5' }, { sku: 'NONE-2', quantity: 1, unitPrice: '1' }] }),
      // SKUs nobody stocks: backordered, reserving nothing the tests below count
      key,
    }, { role: 'SERVICE' })).placeOrder.order!.id;
    const eur = await place('EUR', 'cur-eur');
    const jpy = await place('JPY', 'cur-jpy');
    const [e, j] = await Promise.all([eur, jpy].map((id) => t.ok(GetOrderDocument, { id }, AGENT)));
    for (const [r, code] of [[e, 'EUR'], [j, 'JPY']] as const) {
      expect(r.order!.lines.map((l) => [l.sku, l.unitPrice.amount, l.unitPrice.currencyCode])).toEqual([['NONE', '3.50', code], ['NONE-2', '1.00', code]]);
      expect(r.order!.total).toEqual({ amount: '8.00', currencyCode: code });
    }
  });

  it('refuses page sizes over 100 and foreign cursors as BAD_USER_INPUT', async () => {
    expect((await t.exec(ListOrdersDocument, { first: 101 }, AGENT)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await t.exec(ListOrdersDocument, { after: 'bogus' }, AGENT)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    // a customer's page goes through the shared batch: its bad cursor is refused the same way
    expect((await t.exec(ListOrdersDocument, { after: 'bogus', filter: { customerId: 'odd' } }, AGENT)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const forged = Buffer.from(JSON.stringify(['2025-02-30', '7c9e6679-7425-40de-944b-e07fc1f90ae7'])).toString('base64url');
    expect((await t.exec(ListOrdersDocument, { after: forged }, AGENT)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await t.exec(OrderEventsDocument, { id: orderIds[0], first: 500 }, AGENT)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('pages the timeline with after and first', async () => {
    const id = orderIds[1];
    const r = await t.ok(OrderEventsDocument, { id, after: 1, first: 1 }, AGENT);
    expect(r.order!.events.map((e) => e.sequence)).toEqual([2]);
    expect(r.order!.events[0].order.id).toBe(id);
  });
});

describe('availability', () => {
  it('sums available-to-promise over active locations, nearest first, honouring safety stock', async () => {
    const { availability } = await t.ok(AvailabilityDocument, { skus: ['A', 'B', 'UNKNOWN'], near: { lat: 40.73, lng: -74.0 } }, AGENT);
    const a = availability.find((x) => x.sku === 'A')!;
    expect(a.locations.map((l) => l.location.code)).toEqual(['NYC', 'CHI']); // LA is inactive
    expect(a.locations[0].distanceKm).toBeLessThan(5);
    const [pos] = await t.db.query<{ on_hand: number; reserved: number }>(`SELECT on_hand, reserved FROM inventory_positions WHERE location_id = $1 AND sku = 'A'`, [nyc]);
    expect(a.locations[0].available).toBe(pos.on_hand - pos.reserved - 2);
    expect(a.available).toBe(a.locations.reduce((n, l) => n + l.available, 0));
    expect(availability.find((x) => x.sku === 'UNKNOWN')).toEqual({ sku: 'UNKNOWN', available: 0, locations: [] });
  });

  it('filters by method and radius', async () => {
    const pickup = await t.ok(AvailabilityDocument, { skus: ['A'], method: 'PICKUP' }, AGENT);
    expect(pickup.availability[0].locations.map((l) => l.location.code)).toEqual(['NYC']);
    const close = await t.ok(AvailabilityDocument, { skus: ['A'], near: { lat: 41.9, lng: -87.6 }, radiusKm: 50 }, AGENT);
    expect(close.availability[0].locations.map((l) => l.location.code)).toEqual(['CHI']);
  });

  it('keeps a location exactly at the radius and drops it a metre inside (the statement filters with a margin)', async () => {
    const near = { lat: 40.0, lng: -80.0 };
    const all = await t.ok(AvailabilityDocument, { skus: ['A'], near }, AGENT);
    const chi = all.availability[0].locations.find((l) => l.location.code === 'CHI')!;
    const at = await t.ok(AvailabilityDocument, { skus: ['A'], near, radiusKm: chi.distanceKm! }, AGENT);
    expect(at.availability[0].locations.map((l) => l.location.code)).toContain('CHI');
    const inside = await t.ok(AvailabilityDocument, { skus: ['A'], near, radiusKm: chi.distanceKm! - 0.001 }, AGENT);
    expect(inside.availability[0].locations.map((l) => l.location.code)).not.toContain('CHI');
    expect(inside.availability[0].available).toBe(inside.availability[0].locations.reduce((n, l) => n + l.available, 0));
  });

  it('within a radius (locations first, another statement) answers as without one, less the far: inactive left out, method kept', async () => {
    const points = [{ lat: 40.73, lng: -74.0 }, { lat: 41.9, lng: -87.6 }, { lat: 34.05, lng: -118.25 }, { lat: 38.0, lng: -95.0 }];
    for (const near of points) {
      for (const method of [null, 'PICKUP', 'SHIP'] as const) {
        const all = await t.ok(AvailabilityDocument, { skus: ['A', 'B'], near, method }, AGENT);
        for (const radiusKm of [1, 100, 1200, 5000]) {
          const within = await t.ok(AvailabilityDocument, { skus: ['A', 'B'], near, method, radiusKm }, AGENT);
          const expected = all.availability.map((x) => {
            const locations = x.locations.filter((l) => l.distanceKm! <= radiusKm);
            return { ...x, available: locations.reduce((n, l) => n + l.available, 0), locations };
          });
          expect(within.availability).toEqual(expected);
        }
      }
    }
    // LA is inactive: not even at its own door
    const la = await t.ok(AvailabilityDocument, { skus: ['A'], near: { lat: 34.05, lng: -118.25 }, radiusKm: 10 }, AGENT);
    expect(la.availability[0]).toEqual({ sku: 'A', available: 0, locations: [] });
    const pickupNearChicago = await t.ok(AvailabilityDocument, { skus: ['A'], near: { lat: 41.9, lng: -87.6 }, method: 'PICKUP', radiusKm: 50 }, AGENT);
    expect(pickupNearChicago.availability[0].locations).toEqual([]);
  });

  it('refuses malformed SKUs and coordinates as BAD_USER_INPUT', async () => {
    expect((await t.exec(AvailabilityDocument, { skus: ['no spaces allowed'] }, AGENT)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await t.exec(AvailabilityDocument, { skus: ['A'], near: { lat: 100, lng: 0 } }, AGENT)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('locations', () => {
  it('lists by type and activity, and reads inventory per location', async () => {
    const stores = await t.ok(LocationsDocument, { type: 'STORE' }, AGENT);
    expect(stores.locations.map((l) => l.code).sort()).toEqual(['LA', 'NYC']);
    const active = await t.ok(LocationsDocument, { active: false }, AGENT);
    expect(active.locations.map((l) => l.code)).toEqual(['LA']);
    const chiInv = await t.ok(LocationByIdDocument, { id: chi, skus: ['B'] }, AGENT);
    expect(chiInv.location!.inventory).toEqual([{ sku: 'B', onHand: 5, available: 5 }]);
    expect((await t.ok(LocationByIdDocument, { id: 'not-a-uuid' }, AGENT)).location).toBeNull();
  });
});

describe('order status follows its groups', () => {
  it('derives PARTIALLY_FULFILLED from a real split', async () => {
    await t.services.inventory.setInventory([{ locationId: nyc, sku: 'C', onHand: 5 }, { locationId: chi, sku: 'D', onHand: 5 }], 'test');
    const { placeOrder } = await t.ok(
      PlaceOrderDocument,
      { input: orderInput({ lines: [{ sku: 'C', quantity: 1, unitPrice: '1' }, { sku: 'D', quantity: 1, unitPrice: '1' }] }), key: 'split-2' },
      { role: 'SERVICE' },
    );
    const [g1] = placeOrder.order!.fulfillmentPlan!.groups;
    let status = '';
    for (const to of ['ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED'] as const) {
      status = (await t.ok(AdvanceFulfillmentDocument, { groupId: g1.id, to }, { role: 'ADMIN' })).advanceFulfillment.order!.status;
    }
    expect(placeOrder.order!.fulfillmentPlan!.groups).toHaveLength(2);
    expect(status).toBe('PARTIALLY_FULFILLED');
  });
});
