import { createTestApp, type TestApp } from '../helpers/app';
import { inventoryInvariants, makeLocation, orderInput, stock } from '../helpers/fixtures';
import { Database } from '../../src/db/database';
import { createServices } from '../../src/services';
import { silentLogger } from '../../src/log';
import { CartReservationDocument, PlaceOrderDocument, ReleaseCartReservationDocument, ReserveCartDocument, type CartReservationInput } from '../generated/graphql';

let t: TestApp;
let store: string;
let warehouse: string;
const SERVICE = { role: 'SERVICE' as const, sub: 'checkout' };
let n = 0;

beforeAll(async () => {
  t = await createTestApp();
  store = (await makeLocation(t, { lat: 40.75, lng: -73.99 })).id;
  warehouse = (await makeLocation(t, { lat: 41.9, lng: -87.6 })).id;
});
afterAll(() => t.close());
afterEach(async () => {
  expect(await inventoryInvariants(t)).toEqual({ drift: [], negative: 0 });
});

const cartInput = (sku: string, quantity: number, over: Partial<CartReservationInput> = {}): CartReservationInput => ({
  customerId: 'customer-1', method: 'SHIP', lines: [{ sku, quantity, unitPrice: '9.99' }],
  shippingAddress: { line1: '1 Main St', city: 'New York', postalCode: '10001', countryCode: 'US', geo: { lat: 40.75, lng: -73.99 } },
  ...over,
});
const reserve = (input: CartReservationInput, key = `cart-${++n}`) => t.ok(ReserveCartDocument, { input, key }, SERVICE).then((r) => r.reserveCart);
const reservedOf = async (sku: string) =>
  (await t.db.query<{ r: number }>('SELECT COALESCE(sum(reserved), 0)::int AS r FROM inventory_positions WHERE sku = $1', [sku]))[0].r;

it('holds stock, renews on replay, releases, and a replay after release holds nothing new', async () => {
  await stock(t, [{ locationId: store, sku: 'C-A', onHand: 10 }]);
  const first = await reserve(cartInput('C-A', 3), 'k-a');
  expect(first.userErrors).toEqual([]);
  expect(first.reservation).toMatchObject({ status: 'ACTIVE', lines: [{ locationId: store, sku: 'C-A', quantity: 3, location: { code: expect.any(String) } }], unallocated: [] });
  expect(await reservedOf('C-A')).toBe(3);
  await new Promise((r) => setTimeout(r, 20));
  const again = await reserve(cartInput('C-A', 3), 'k-a');
  expect(again.reservation!.id).toBe(first.reservation!.id);
  expect(Date.parse(again.reservation!.expiresAt)).toBeGreaterThan(Date.parse(first.reservation!.expiresAt));
  expect(await reservedOf('C-A')).toBe(3);
  const reused = await reserve(cartInput('C-A', 4), 'k-a');
  expect(reused.userErrors).toEqual([expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' })]);

  const released = await t.ok(ReleaseCartReservationDocument, { id: first.reservation!.id }, SERVICE);
  expect(released.releaseCartReservation.reservation!.status).toBe('RELEASED');
  expect(await reservedOf('C-A')).toBe(0);
  const replay = await reserve(cartInput('C-A', 3), 'k-a');
  expect(replay.reservation).toMatchObject({ id: first.reservation!.id, status: 'RELEASED' });
  expect(await reservedOf('C-A')).toBe(0);
});

it('reports what it could not hold, and validates its input', async () => {
  await stock(t, [{ locationId: store, sku: 'C-B', onHand: 2 }]);
  const r = await reserve(cartInput('C-B', 5));
  expect(r.reservation!.unallocated).toEqual([{ sku: 'C-B', quantity: 3 }]);
  const bad = await reserve(cartInput('C-B', 0, { ttlSeconds: 99999 }));
  expect(bad.userErrors.map((e) => e.field)).toEqual([['input', 'lines', '0', 'quantity'], ['input', 'ttlSeconds']]);
});

it('converts into an order without a second stock check, even for the last units', async () => {
  await stock(t, [{ locationId: warehouse, sku: 'C-LAST', onHand: 2 }]);
  const cart = (await reserve(cartInput('C-LAST', 2))).reservation!;
  // Anyone else now sees none: a normal order for it is backordered.
  const other = await t.ok(PlaceOrderDocument, { input: orderInput({ customerId: 'someone', lines: [{ sku: 'C-LAST', quantity: 1, unitPrice: '1' }] }), key: `o-${++n}` }, SERVICE);
  expect(other.placeOrder.order!.status).toBe('BACKORDERED');

  const placed = await t.ok(
    PlaceOrderDocument,
    { input: orderInput({ lines: [{ sku: 'C-LAST', quantity: 2, unitPrice: '9.99' }], cartReservationId: cart.id }), key: `o-${++n}` },
    SERVICE,
  );
  expect(placed.placeOrder.userErrors).toEqual([]);
  const o = placed.placeOrder.order!;
  expect(o.status).toBe('ALLOCATED');
  expect(o.fulfillmentPlan!.groups.map((g) => [g.location.id, g.lines[0].quantity])).toEqual([[warehouse, 2]]);
  expect(await reservedOf('C-LAST')).toBe(2);
  const after = await t.ok(CartReservationDocument, { id: cart.id }, SERVICE);
  expect(after.cartReservation).toMatchObject({ status: 'CONVERTED', orderId: o.id });
  const twice = await t.ok(
    PlaceOrderDocument,
    { input: orderInput({ lines: [{ sku: 'C-LAST', quantity: 2, unitPrice: '9.99' }], cartReservationId: cart.id }), key: `o-${++n}` },
    SERVICE,
  );
  expect(twice.placeOrder.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION', field: ['input', 'cartReservationId'] })]);
});

it('sources the part of an order the cart did not hold, and gives back what the order did not need', async () => {
  await stock(t, [{ locationId: store, sku: 'C-MIX', onHand: 5 }, { locationId: store, sku: 'C-MIX2', onHand: 5 }]);
  const cart = (await reserve(cartInput('C-MIX', 3))).reservation!;
  const placed = await t.ok(
    PlaceOrderDocument,
    { input: orderInput({ lines: [{ sku: 'C-MIX', quantity: 2, unitPrice: '1' }, { sku: 'C-MIX2', quantity: 1, unitPrice: '1' }], cartReservationId: cart.id }), key: `o-${++n}` },
    SERVICE,
  );
  const lines = placed.placeOrder.order!.fulfillmentPlan!.groups.flatMap((g) => g.lines.map((l) => [l.sku, l.quantity]));
  expect(lines.sort()).toEqual([['C-MIX', 2], ['C-MIX2', 1]]);
  expect(await reservedOf('C-MIX')).toBe(2);
  expect(await reservedOf('C-MIX2')).toBe(1);
});

it('expires by the sweep, and an expired cart falls back to normal sourcing', async () => {
  await stock(t, [{ locationId: store, sku: 'C-EXP', onHand: 4 }]);
  const cart = (await reserve(cartInput('C-EXP', 2, { ttlSeconds: 60 }))).reservation!;
  await t.db.query(`UPDATE cart_reservations SET expires_at = now() - interval '1 second' WHERE id = $1`, [cart.id]);
  expect((await t.services.sweeper.runOnce()).cartsExpired).toBe(1);
  expect((await t.ok(CartReservationDocument, { id: cart.id }, SERVICE)).cartReservation!.status).toBe('EXPIRED');
  expect(await reservedOf('C-EXP')).toBe(0);

  const late = (await reserve(cartInput('C-EXP', 1, { ttlSeconds: 60 }))).reservation!;
  await t.db.query(`UPDATE cart_reservations SET expires_at = now() - interval '1 second' WHERE id = $1`, [late.id]);
  const placed = await t.ok(PlaceOrderDocument, { input: orderInput({ lines: [{ sku: 'C-EXP', quantity: 1, unitPrice: '1' }], cartReservationId: late.id }), key: `o-${++n}` }, SERVICE);
  expect(placed.placeOrder.order!.status).toBe('ALLOCATED');
  expect((await t.ok(CartReservationDocument, { id: late.id }, SERVICE)).cartReservation!.status).toBe('EXPIRED');
  expect(await reservedOf('C-EXP')).toBe(1);
});

it('two carts racing for the last units: exactly one holds them', async () => {
  await stock(t, [{ locationId: store, sku: 'C-RACE', onHand: 3 }]);
  const results = await Promise.all(Array.from({ length: 6 }, () => reserve(cartInput('C-RACE', 3))));
  const holding = results.filter((r) => r.reservation!.lines.length > 0);
  expect(holding).toHaveLength(1);
  expect(holding[0].reservation!.lines[0].quantity).toBe(3);
  expect(await reservedOf('C-RACE')).toBe(3);
});

it('the sweep in two processes at once claims each expired cart exactly once', async () => {
  await stock(t, [{ locationId: warehouse, sku: 'C-SW', onHand: 100 }]);
  const carts = await Promise.all(Array.from({ length: 20 }, () => reserve(cartInput('C-SW', 2))));
  await t.db.query(`UPDATE cart_reservations SET expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [carts.map((c) => c.reservation!.id)]);
  const otherDb = Database.connect(t.tdb.url);
  const other = createServices(otherDb, silentLogger);
  const [a, b] = await Promise.all([t.services.carts.expire(), other.carts.expire()]).finally(() => otherDb.close());
  expect(a + b).toBe(20);
  const [{ releases }] = await t.db.query<{ releases: number }>(
    `SELECT count(*)::int AS releases FROM inventory_movements WHERE kind = 'RELEASE' AND cart_reservation_id = ANY($1)`,
    [carts.map((c) => c.reservation!.id)],
  );
  expect(releases).toBe(20);
  expect(await reservedOf('C-SW')).toBe(0);
});

it('refuses a cart made for another way of fulfilment', async () => {
  const s1 = (await makeLocation(t, { type: 'STORE', lat: 40.7, lng: -74 })).id;
  const s2 = (await makeLocation(t, { type: 'STORE', lat: 40.8, lng: -74 })).id;
  await stock(t, [{ locationId: s1, sku: 'C-PU', onHand: 5 }, { locationId: s2, sku: 'C-PU', onHand: 5 }]);
  const cart = (await reserve(cartInput('C-PU', 1, { method: 'PICKUP', shippingAddress: null, pickupLocationId: s1 }))).reservation!;
  const wrong = await t.ok(
    PlaceOrderDocument,
    { input: orderInput({ method: 'PICKUP', shippingAddress: null, pickupLocationId: s2, lines: [{ sku: 'C-PU', quantity: 1, unitPrice: '1' }], cartReservationId: cart.id }), key: `o-${++n}` },
    SERVICE,
  );
  expect(wrong.placeOrder.userErrors).toEqual([expect.objectContaining({ code: 'VALIDATION', field: ['input', 'cartReservationId'] })]);
  const ship = await t.ok(PlaceOrderDocument, { input: orderInput({ lines: [{ sku: 'C-PU', quantity: 1, unitPrice: '1' }], cartReservationId: cart.id }), key: `o-${++n}` }, SERVICE);
  expect(ship.placeOrder.userErrors).toEqual([expect.objectContaining({ code: 'VALIDATION', field: ['input', 'cartReservationId'] })]);
});

it('merges what the cart held and what planning found at the same location into one line', async () => {
  await stock(t, [{ locationId: warehouse, sku: 'C-MORE', onHand: 2 }]);
  const cart = (await reserve(cartInput('C-MORE', 2))).reservation!;
  await stock(t, [{ locationId: warehouse, sku: 'C-MORE', onHand: 6 }]);
  const placed = await t.ok(PlaceOrderDocument, { input: orderInput({ lines: [{ sku: 'C-MORE', quantity: 3, unitPrice: '1' }], cartReservationId: cart.id }), key: `o-${++n}` }, SERVICE);
  expect(placed.placeOrder.userErrors).toEqual([]);
  expect(placed.placeOrder.order!.fulfillmentPlan!.groups.map((g) => [g.location.id, g.lines.map((l) => l.quantity)])).toEqual([[warehouse, [3]]]);
});
