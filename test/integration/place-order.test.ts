import pg from 'pg';
import { INVENTORY_EVENTS_CHANNEL } from '../../src/events/outbox';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/app';
import { inventoryInvariants, makeLocation, orderInput, stock } from '../helpers/fixtures';
import { GetOrderDocument, PlaceOrderDocument, type PlaceOrderInput } from '../generated/graphql';

const SERVICE = { role: 'SERVICE' as const, sub: 'checkout' };
let t: TestApp;
let near: string; // 5 km from the destination
let far: string; // ~1,100 km away

beforeAll(async () => {
  t = await createTestApp();
  near = (await makeLocation(t, { code: 'NEAR', lat: 40.72, lng: -74.03 })).id;
  far = (await makeLocation(t, { code: 'FAR', lat: 41.88, lng: -87.63 })).id;
  await stock(t, [
    { locationId: near, sku: 'SKU-1', onHand: 100 },
    { locationId: far, sku: 'SKU-1', onHand: 100 },
    { locationId: far, sku: 'SKU-2', onHand: 100 },
    { locationId: near, sku: 'SKU-3', onHand: 3 },
    { locationId: far, sku: 'SKU-3', onHand: 2 },
    { locationId: near, sku: 'SKU-4', onHand: 5 },
    { locationId: far, sku: 'SKU-5', onHand: 5 },
  ]);
});
afterAll(() => t.close());

const place = (input: PlaceOrderInput, key = `k-${Math.random()}`) => t.ok(PlaceOrderDocument, { input, key }, SERVICE);

describe('placeOrder', () => {
  it('places, sources the nearest complete location, reserves, and records the first events', async () => {
    const { placeOrder } = await place(orderInput({ lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: '19.99' }] }));
    expect(placeOrder.userErrors).toEqual([]);
    const o = placeOrder.order!;
    expect(o.number).toMatch(/^ORD-\d{6}$/);
    expect(o.status).toBe('ALLOCATED');
    expect(o.version).toBe(1);
    expect(o.total).toEqual({ amount: '39.98', currencyCode: 'USD' });
    expect(o.lines[0].unitPrice).toEqual({ amount: '19.99', currencyCode: 'USD' });
    expect(o.fulfillmentPlan!.groups).toHaveLength(1);
    expect(o.fulfillmentPlan!.groups[0].location.id).toBe(near);
    expect(o.fulfillmentPlan!.groups[0].status).toBe('PENDING');
    expect(o.fulfillmentPlan!.groups[0].lines).toEqual([{ orderLineId: o.lines[0].id, sku: 'SKU-1', quantity: 2 }]);
    expect(o.fulfillmentPlan!.unallocated).toEqual([]);
    expect(o.fulfillmentPlan!.explanation.alternatives[0].locationIds).toEqual([far]);
    expect(o.events.map((e) => [e.sequence, e.type, e.status])).toEqual([
      [1, 'ORDER_PLACED', 'PLACED'],
      [2, 'ORDER_ALLOCATED', 'ALLOCATED'],
    ]);
    // written in one statement: each with the status before it; only the sourcing outcome
    // goes to the stream of the location that got a group (ORDER_PLACED precedes any group)
    const events = await t.db.query<{ sequence: number; previous_status: string | null; streams: string[] }>(
      `SELECT e.sequence, e.previous_status, array_remove(array_agg(le.location_id::text), NULL) AS streams
         FROM order_events e LEFT JOIN location_events le ON le.event_id = e.id
        WHERE e.order_id = $1 GROUP BY e.id ORDER BY e.sequence`,
      [o.id],
    );
    expect(events).toEqual([{ sequence: 1, previous_status: null, streams: [] }, { sequence: 2, previous_status: 'PLACED', streams: [near] }]);
    const [key] = await t.db.query<{ result_id: string }>(`SELECT result_id FROM idempotency_keys WHERE operation = 'placeOrder' AND result_id = $1`, [o.id]);
    expect(key.result_id).toBe(o.id);
    const [pos] = await t.db.query<{ reserved: number }>(`SELECT reserved FROM inventory_positions WHERE location_id = $1 AND sku = 'SKU-1'`, [near]);
    expect(pos.reserved).toBeGreaterThanOrEqual(2);
    expect(await inventoryInvariants(t)).toEqual({ drift: [], negative: 0 });
  });

  it("notifies the positions it reserved, on commit, with the plan's ledger rows", async () => {
    const listener = new pg.Client({ connectionString: t.tdb.url });
    await listener.connect();
    try {
      const notes: string[] = [];
      listener.on('notification', (n) => {
        if (n.channel === INVENTORY_EVENTS_CHANNEL && n.payload) notes.push(n.payload);
      });
      await listener.query(`LISTEN ${INVENTORY_EVENTS_CHANNEL}`);
      const { placeOrder } = await place(orderInput({ lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '1' }, { sku: 'SKU-2', quantity: 1, unitPrice: '1' }] }));
      const groups = placeOrder.order!.fulfillmentPlan!.groups;
      const expected = groups.flatMap((g) => g.lines.map((l) => [g.location.id, l.sku])).sort();
      for (let i = 0; i < 50 && notes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(notes.flatMap((n) => JSON.parse(n) as string[][]).sort()).toEqual(expected);
      const moves = await t.db.query<{ location_id: string; sku: string; reserved_delta: number; group_id: string }>(
        `SELECT location_id, sku, reserved_delta, group_id FROM inventory_movements WHERE order_id = $1 AND kind = 'RESERVATION' ORDER BY sku`,
        [placeOrder.order!.id],
      );
      expect(moves.map((m) => [m.location_id, m.sku]).sort()).toEqual(expected);
      expect(moves.every((m) => m.reserved_delta === 1 && groups.some((g) => g.id === m.group_id))).toBe(true);
    } finally {
      await listener.end();
    }
  });

  it('prefers one complete shipment from farther away over a split', async () => {
    const { placeOrder } = await place(orderInput({ lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '1' }, { sku: 'SKU-2', quantity: 1, unitPrice: '1' }] }));
    const plan = placeOrder.order!.fulfillmentPlan!;
    expect(plan.groups.map((g) => g.location.id)).toEqual([far]);
    expect(plan.shipmentCount).toBe(1);
    expect(plan.totalDistanceKm).toBeGreaterThan(1000);
  });

  it('splits across locations when none has everything', async () => {
    const { placeOrder } = await place(orderInput({ lines: [{ sku: 'SKU-4', quantity: 2, unitPrice: '1' }, { sku: 'SKU-5', quantity: 1, unitPrice: '1' }] }));
    const plan = placeOrder.order!.fulfillmentPlan!;
    expect(plan.shipmentCount).toBe(2);
    expect(plan.groups.map((g) => [g.location.id, g.lines.map((l) => [l.sku, l.quantity])])).toEqual([
      [near, [['SKU-4', 2]]],
      [far, [['SKU-5', 1]]],
    ]);
    expect(plan.unallocated).toEqual([]);
    expect(placeOrder.order!.status).toBe('ALLOCATED');
  });

  it('takes what it can and backorders the rest, and the order says so', async () => {
    const { placeOrder } = await place(orderInput({ lines: [{ sku: 'SKU-3', quantity: 8, unitPrice: '5.00' }] }));
    const o = placeOrder.order!;
    expect(o.status).toBe('BACKORDERED');
    expect(o.fulfillmentPlan!.groups.map((g) => g.lines[0].quantity).sort()).toEqual([2, 3]);
    expect(o.fulfillmentPlan!.unallocated).toEqual([{ orderLineId: o.lines[0].id, sku: 'SKU-3', quantity: 3 }]);
    expect(o.events[1]).toMatchObject({ type: 'ORDER_BACKORDERED', status: 'BACKORDERED' });
  });

  it('backorders a well-formed SKU that no location stocks', async () => {
    const { placeOrder } = await place(orderInput({ lines: [{ sku: 'NOWHERE-1', quantity: 1, unitPrice: '5.00' }] }));
    expect(placeOrder.userErrors).toEqual([]);
    expect(placeOrder.order!.status).toBe('BACKORDERED');
    expect(placeOrder.order!.fulfillmentPlan!.groups).toEqual([]);
  });

  it('sources a pickup at the pickup location only', async () => {
    const { placeOrder } = await place(orderInput({ method: 'PICKUP', shippingAddress: null, pickupLocationId: far, lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '1' }] }));
    const o = placeOrder.order!;
    expect(o.pickupLocation!.id).toBe(far);
    expect(o.fulfillmentPlan!.groups.map((g) => [g.location.id, g.method, g.distanceKm])).toEqual([[far, 'PICKUP', 0]]);
  });

  describe('validation: userErrors with field paths, nothing written', () => {
    const cases: [string, Partial<PlaceOrderInput>, string[]][] = [
      ['no lines', { lines: [] }, ['input', 'lines']],
      ['quantity 0', { lines: [{ sku: 'SKU-1', quantity: 0, unitPrice: '1' }] }, ['input', 'lines', '0', 'quantity']],
      ['quantity over 10,000', { lines: [{ sku: 'SKU-1', quantity: 10_001, unitPrice: '1' }] }, ['input', 'lines', '0', 'quantity']],
      ['more than 200 lines', { lines: Array.from({ length: 201 }, (_, i) => ({ sku: `S-${i}`, quantity: 1, unitPrice: '1' })) }, ['input', 'lines']],
      ['duplicate SKUs', { lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '1' }, { sku: 'SKU-1', quantity: 2, unitPrice: '1' }] }, ['input', 'lines', '1', 'sku']],
      ['PICKUP without a location', { method: 'PICKUP', shippingAddress: null }, ['input', 'pickupLocationId']],
      ['SHIP without an address', { shippingAddress: null }, ['input', 'shippingAddress']],
      ['a malformed SKU', { lines: [{ sku: 'bad sku!', quantity: 1, unitPrice: '1' }] }, ['input', 'lines', '0', 'sku']],
      ['an unknown currency', { currencyCode: 'XYZ' }, ['input', 'currencyCode']],
      ['a negative price', { lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '-1.00' }] }, ['input', 'lines', '0', 'unitPrice']],
      ['a pickup location on a SHIP order', { pickupLocationId: '00000000-0000-4000-8000-000000000000' }, ['input', 'pickupLocationId']],
      ['a price beyond the column', { lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '99999999999' }] }, ['input', 'lines', '0', 'unitPrice']],
      ['coordinates out of range', { shippingAddress: { line1: 'x', city: 'y', postalCode: '1', countryCode: 'US', geo: { lat: 95, lng: 0 } } }, ['input', 'shippingAddress', 'geo']],
    ];
    it.each(cases)('%s', async (_name, overrides, field) => {
      const before = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
      const { placeOrder } = await place(orderInput(overrides));
      expect(placeOrder.order).toBeNull();
      expect(placeOrder.userErrors).toContainEqual(expect.objectContaining({ code: 'VALIDATION', field }));
      const after = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
      expect(after[0].n).toBe(before[0].n);
    });
  });

  describe('idempotency', () => {
    it('returns the same order for the same key and input, and refuses the key with another input', async () => {
      const input = orderInput({ lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '3.50' }] });
      const a = await place(input, 'same-key');
      const b = await place(input, 'same-key');
      expect(b.placeOrder.order!.id).toBe(a.placeOrder.order!.id);
      const c = await place({ ...input, lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: '3.50' }] }, 'same-key');
      expect(c.placeOrder.order).toBeNull();
      expect(c.placeOrder.userErrors).toEqual([expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED', field: ['idempotencyKey'] })]);
    });

    it('keeps no key for a refused placement: the key then places another input', async () => {
      const refused = await place(orderInput({ method: 'PICKUP', shippingAddress: null, pickupLocationId: crypto.randomUUID() }), 'refused-key');
      expect(refused.placeOrder.order).toBeNull();
      expect(refused.placeOrder.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
      const [{ n }] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'refused-key'`);
      expect(n).toBe(0);
      const placed = await place(orderInput({ lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '2' }] }), 'refused-key');
      expect(placed.placeOrder.userErrors).toEqual([]);
      const again = await place(orderInput({ lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '2' }] }), 'refused-key');
      expect(again.placeOrder.order!.id).toBe(placed.placeOrder.order!.id);
    });

    it('scopes keys to the principal', async () => {
      const input = orderInput();
      const a = await t.ok(PlaceOrderDocument, { input, key: 'shared' }, { role: 'SERVICE', sub: 'svc-a' });
      const b = await t.ok(PlaceOrderDocument, { input, key: 'shared' }, { role: 'SERVICE', sub: 'svc-b' });
      expect(a.placeOrder.order!.id).not.toBe(b.placeOrder.order!.id);
    });

    it('makes one order from 20 concurrent calls with one key', async () => {
      const input = orderInput({ customerId: 'concurrent-customer', lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '1' }] });
      const results = await Promise.all(Array.from({ length: 20 }, () => place(input, 'concurrent-key')));
      const ids = new Set(results.map((r) => r.placeOrder.order?.id));
      expect(results.every((r) => r.placeOrder.userErrors.length === 0)).toBe(true);
      expect(ids.size).toBe(1);
      const [{ n }] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE customer_id = 'concurrent-customer'`);
      expect(n).toBe(1);
      const order = await t.ok(GetOrderDocument, { id: [...ids][0]! }, SERVICE);
      expect(order.order!.fulfillmentPlan!.groups).toHaveLength(1);
    });
  });
});
