import { createTestApp, type TestApp } from '../helpers/app';
import { inventoryInvariants, makeLocation, orderInput, stock } from '../helpers/fixtures';
import { AdvanceFulfillmentDocument, CancelOrderDocument, PlaceOrderDocument } from '../generated/graphql';

let t: TestApp;
let a: string;
let b: string;
const AGENT = { role: 'AGENT' as const };

beforeAll(async () => {
  t = await createTestApp();
  a = (await makeLocation(t, { lat: 40.7, lng: -74 })).id;
  b = (await makeLocation(t, { lat: 41.9, lng: -87.6 })).id;
  await stock(t, [
    { locationId: a, sku: 'X', onHand: 50 },
    { locationId: b, sku: 'Y', onHand: 50 },
  ]);
});
afterAll(() => t.close());

async function splitOrder(customerId = 'customer-1') {
  const input = orderInput({ customerId, lines: [{ sku: 'X', quantity: 2, unitPrice: '5.00' }, { sku: 'Y', quantity: 3, unitPrice: '7.00' }] });
  const { placeOrder } = await t.ok(PlaceOrderDocument, { input, key: `k-${Math.random()}` }, { role: 'SERVICE' });
  return placeOrder.order!;
}

const reserved = async () =>
  Object.fromEntries((await t.db.query<{ sku: string; reserved: number }>('SELECT sku, reserved FROM inventory_positions ORDER BY sku')).map((r) => [r.sku, r.reserved]));

describe('cancelOrder', () => {
  it('releases every reservation, cancels groups and lines, and records events', async () => {
    const before = await reserved();
    const order = await splitOrder();
    expect(await reserved()).toEqual({ X: before.X + 2, Y: before.Y + 3 });
    const { cancelOrder } = await t.ok(CancelOrderDocument, { id: order.id, reason: 'customer changed mind', expectedVersion: 1 }, AGENT);
    expect(cancelOrder.userErrors).toEqual([]);
    const o = cancelOrder.order!;
    expect(o.status).toBe('CANCELLED');
    expect(o.version).toBe(2);
    expect(o.total.amount).toBe('0.00');
    expect(o.lines.map((l) => l.cancelledQuantity)).toEqual([2, 3]);
    expect(o.fulfillmentPlan!.groups.map((g) => g.status)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(o.events.map((e) => e.type)).toEqual(['ORDER_PLACED', 'ORDER_ALLOCATED', 'GROUP_CANCELLED', 'GROUP_CANCELLED', 'ORDER_CANCELLED']);
    expect(o.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(await reserved()).toEqual(before);
    expect(await inventoryInvariants(t)).toEqual({ drift: [], negative: 0 });
  });

  it('is idempotent: cancelling twice changes nothing the second time', async () => {
    const order = await splitOrder();
    const first = (await t.ok(CancelOrderDocument, { id: order.id, reason: 'x' }, AGENT)).cancelOrder.order!;
    const second = await t.ok(CancelOrderDocument, { id: order.id, reason: 'x' }, AGENT);
    expect(second.cancelOrder.userErrors).toEqual([]);
    expect(second.cancelOrder.order!.version).toBe(first.version);
    expect(second.cancelOrder.order!.events).toHaveLength(first.events.length);
  });

  it('is refused once anything has shipped', async () => {
    const order = await splitOrder();
    const g = order.fulfillmentPlan!.groups.find((x) => x.location.id === a)!;
    for (const to of ['ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED'] as const) {
      await t.ok(AdvanceFulfillmentDocument, { groupId: g.id, to }, { role: 'STORE', locationIds: [a] });
    }
    const r = await t.ok(CancelOrderDocument, { id: order.id, reason: 'late' }, AGENT);
    expect(r.cancelOrder.order).toBeNull();
    expect(r.cancelOrder.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION' })]);
    const [{ status }] = await t.db.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [order.id]);
    expect(status).toBe('PARTIALLY_FULFILLED');
  });

  it('lets a customer cancel their own order until a location accepts it, and never another customer’s', async () => {
    const mine = await splitOrder('cust-7');
    const theirs = await splitOrder('cust-8');
    const asCustomer = { role: 'CUSTOMER' as const, sub: 'cust-7' };
    const denied = await t.ok(CancelOrderDocument, { id: theirs.id, reason: 'x' }, asCustomer);
    expect(denied.cancelOrder.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);

    const accepted = await splitOrder('cust-7');
    await t.ok(AdvanceFulfillmentDocument, { groupId: accepted.fulfillmentPlan!.groups[0].id, to: 'ACCEPTED' }, { role: 'ADMIN' });
    const late = await t.ok(CancelOrderDocument, { id: accepted.id, reason: 'x' }, asCustomer);
    expect(late.cancelOrder.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION' })]);

    const ok = await t.ok(CancelOrderDocument, { id: mine.id, reason: 'x' }, asCustomer);
    expect(ok.cancelOrder.order!.status).toBe('CANCELLED');
  });

  it('refuses a stale expectedVersion', async () => {
    const order = await splitOrder();
    const r = await t.ok(CancelOrderDocument, { id: order.id, reason: 'x', expectedVersion: 7 }, AGENT);
    expect(r.cancelOrder.userErrors).toEqual([expect.objectContaining({ code: 'VERSION_CONFLICT', field: ['expectedVersion'] })]);
  });
});
