/**
 * Property: whatever the interleaving of placements, cancellations (whole and by line),
 * rejections, shipments, deliveries, returns, adjustments, syncs, cart reservations,
 * expiries and sweeps, the ledger invariants hold after every single step, and no step
 * fails with anything but a user error.
 */
import fc from 'fast-check';
import { createTestApp, type TestApp } from '../helpers/app';
import { inventoryInvariants, makeLocation, orderInput, stock } from '../helpers/fixtures';
import type { Principal } from '../../src/auth/principal';
import type { PlaceOrderData } from '../../src/orders/order.service';
import type { AddressData } from '../../src/orders/records';

const SKUS = ['P-A', 'P-B', 'P-C'];
const SERVICE: Principal = { role: 'SERVICE', sub: 'prop', locationIds: [] };
const AGENT: Principal = { role: 'AGENT', sub: 'prop-agent', locationIds: [] };
const ADMIN: Principal = { role: 'ADMIN', sub: 'prop-admin', locationIds: [] };

let t: TestApp;
let locations: string[] = [];
let key = 0;

beforeAll(async () => {
  t = await createTestApp();
  locations = [(await makeLocation(t, { lat: 40.7, lng: -74 })).id, (await makeLocation(t, { lat: 41.9, lng: -87.6 })).id];
  await stock(t, locations.flatMap((l) => SKUS.map((sku) => ({ locationId: l, sku, onHand: 6 }))));
});
afterAll(() => t.close());

type Op =
  | { kind: 'place'; skus: number[]; qty: number }
  | { kind: 'cancel'; order: number }
  | { kind: 'cancelLine'; order: number; line: number; qty: number }
  | { kind: 'advance'; order: number; steps: number }
  | { kind: 'reject'; order: number }
  | { kind: 'return'; order: number; line: number; qty: number; restock: boolean }
  | { kind: 'adjust'; loc: number; sku: number; delta: number }
  | { kind: 'sync'; loc: number; sku: number; onHand: number }
  | { kind: 'cart'; sku: number; qty: number }
  | { kind: 'convert'; sku: number; qty: number }
  | { kind: 'expireCarts' }
  | { kind: 'sweep' };

const idx = fc.nat({ max: 50 });
// Placements, advances and returns weigh more: a return needs an order delivered first.
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('place' as const), skus: fc.uniqueArray(fc.nat({ max: 2 }), { minLength: 1, maxLength: 3 }), qty: fc.integer({ min: 1, max: 4 }) }) },
  fc.record({ kind: fc.constant('cancel' as const), order: idx }),
  fc.record({ kind: fc.constant('cancelLine' as const), order: idx, line: fc.nat({ max: 2 }), qty: fc.integer({ min: 1, max: 3 }) }),
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), order: idx, steps: fc.integer({ min: 1, max: 5 }) }) },
  fc.record({ kind: fc.constant('reject' as const), order: idx }),
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('return' as const), order: idx, line: fc.nat({ max: 2 }), qty: fc.integer({ min: 1, max: 3 }), restock: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)) }) },
  fc.record({ kind: fc.constant('adjust' as const), loc: fc.nat({ max: 1 }), sku: fc.nat({ max: 2 }), delta: fc.integer({ min: -4, max: 6 }).filter((d) => d !== 0) }),
  fc.record({ kind: fc.constant('sync' as const), loc: fc.nat({ max: 1 }), sku: fc.nat({ max: 2 }), onHand: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ kind: fc.constant('cart' as const), sku: fc.nat({ max: 2 }), qty: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('convert' as const), sku: fc.nat({ max: 2 }), qty: fc.integer({ min: 1, max: 4 }) }),
  fc.constant({ kind: 'expireCarts' as const }),
  fc.constant({ kind: 'sweep' as const }),
);

const FORWARD = ['ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED', 'DELIVERED'] as const;

async function run(o: Op, orders: string[]): Promise<void> {
  const s = t.services;
  const pick = (i: number) => (orders.length ? orders[i % orders.length] : null);
  const linesOf = async (id: string) => (await t.db.query<{ id: string }>('SELECT id FROM order_lines WHERE order_id = $1 ORDER BY line_no', [id])).map((r) => r.id);
  const groupsOf = async (id: string) =>
    t.db.query<{ id: string }>(`SELECT g.id FROM fulfillment_groups g JOIN plan_groups pg ON pg.group_id = g.id JOIN fulfillment_plans p ON p.id = pg.plan_id AND p.active WHERE g.order_id = $1 ORDER BY g.id`, [id]);
  switch (o.kind) {
    case 'place': {
      const r = await s.orders.placeOrder(SERVICE, orderInput({ lines: o.skus.map((i) => ({ sku: SKUS[i], quantity: o.qty, unitPrice: '1' })) }) as PlaceOrderData, `p-${++key}`);
      if (r.ok) orders.push(r.value.id);
      return;
    }
    case 'cancel': {
      const id = pick(o.order);
      if (id) await s.lifecycle.cancelOrder(AGENT, id, 'prop');
      return;
    }
    case 'cancelLine': {
      const id = pick(o.order);
      if (!id) return;
      const lines = await linesOf(id);
      await s.lifecycle.cancelOrderLines(AGENT, id, [{ orderLineId: lines[o.line % lines.length], quantity: o.qty }], 'prop');
      return;
    }
    case 'advance': {
      const id = pick(o.order);
      if (!id) return;
      for (const g of await groupsOf(id)) for (const to of FORWARD.slice(0, o.steps)) await s.fulfillment.advance(ADMIN, { groupId: g.id, to });
      return;
    }
    case 'reject': {
      const id = pick(o.order);
      if (!id) return;
      const [g] = await groupsOf(id);
      if (g) await s.fulfillment.reject(ADMIN, g.id, 'prop');
      return;
    }
    case 'return': {
      // Prefer an order with something delivered: returns need one.
      const delivered = (await t.db.query<{ id: string }>(`SELECT id FROM orders WHERE id = ANY($1) AND status IN ('COMPLETED', 'PARTIALLY_FULFILLED', 'FULFILLED') ORDER BY id`, [orders])).map((r) => r.id);
      const id = delivered.length ? delivered[o.order % delivered.length] : pick(o.order);
      if (!id) return;
      const lines = await linesOf(id);
      const lineId = lines[o.line % lines.length];
      // Mostly what can be returned (clamped), sometimes more than that (refused).
      const [r] = await t.db.query<{ n: number }>(
        `SELECT (COALESCE((SELECT sum(gl.quantity) FROM fulfillment_group_lines gl JOIN fulfillment_groups g ON g.id = gl.group_id
                  WHERE gl.order_line_id = $1 AND g.status IN ('DELIVERED', 'PICKED_UP')), 0) - l.returned_quantity)::int AS n
           FROM order_lines l WHERE l.id = $1`,
        [lineId],
      );
      const qty = o.qty === 3 ? o.qty : Math.max(1, Math.min(o.qty, r.n));
      await s.lifecycle.returnOrderLines(AGENT, id, [{ orderLineId: lineId, quantity: qty }], o.restock, 'prop');
      return;
    }
    case 'adjust':
      await s.inventory.adjustInventory({ locationId: locations[o.loc], sku: SKUS[o.sku], delta: o.delta, reason: 'prop' }, 'prop');
      return;
    case 'sync':
      await s.inventory.setInventory([{ locationId: locations[o.loc], sku: SKUS[o.sku], onHand: o.onHand }], 'prop');
      return;
    case 'cart':
      await s.carts.reserve(SERVICE, { customerId: 'customer-1', method: 'SHIP', lines: [{ sku: SKUS[o.sku], quantity: o.qty, unitPrice: '1' }], shippingAddress: orderInput().shippingAddress as AddressData }, `c-${++key}`);
      return;
    case 'convert': {
      const c = await s.carts.reserve(SERVICE, { customerId: 'customer-1', method: 'SHIP', lines: [{ sku: SKUS[o.sku], quantity: o.qty, unitPrice: '1' }], shippingAddress: orderInput().shippingAddress as AddressData }, `c-${++key}`);
      if (!c.ok) return;
      const r = await s.orders.placeOrder(SERVICE, { ...(orderInput({ lines: [{ sku: SKUS[o.sku], quantity: o.qty, unitPrice: '1' }] }) as PlaceOrderData), cartReservationId: c.value.id }, `p-${++key}`);
      if (r.ok) orders.push(r.value.id);
      return;
    }
    case 'expireCarts':
      await t.db.query(`UPDATE cart_reservations SET expires_at = now() - interval '1 second' WHERE status = 'ACTIVE'`);
      await s.carts.expire();
      return;
    case 'sweep':
      await s.sweeper.runOnce();
      return;
  }
}

it('keeps the ledger invariants after every step of any interleaving', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
      // Each run starts with stock to spare above what earlier runs left reserved.
      const positions = await t.db.query<{ location_id: string; sku: string; reserved: number }>('SELECT location_id, sku, reserved FROM inventory_positions');
      await t.services.inventory.setInventory(positions.map((p) => ({ locationId: p.location_id, sku: p.sku, onHand: p.reserved + 6 })), 'prop');
      const orders: string[] = [];
      for (const o of ops) {
        await run(o, orders);
        const inv = await inventoryInvariants(t);
        if (inv.drift.length || inv.negative) throw new Error(`after ${JSON.stringify(o)}: ${JSON.stringify(inv)}`);
      }
      const audit = await t.services.audit.audit(null);
      expect(audit.drifts).toEqual([]);
    }),
    { numRuns: 40, seed: Number(process.env.PROPERTY_SEED ?? 20261126), endOnFailure: true },
  );
  // The runs really went through every kind of stock change and every ending of a cart.
  const kinds = (await t.db.query<{ kind: string }>('SELECT DISTINCT kind FROM inventory_movements ORDER BY kind')).map((r) => r.kind);
  expect(kinds).toEqual(['ADJUSTMENT', 'RECEIPT', 'RELEASE', 'RESERVATION', 'RETURN', 'SHIPMENT', 'SYNC']);
  const carts = (await t.db.query<{ status: string }>('SELECT DISTINCT status FROM cart_reservations ORDER BY status')).map((r) => r.status);
  expect(carts).toEqual(expect.arrayContaining(['CONVERTED', 'EXPIRED']));
  const statuses = (await t.db.query<{ status: string }>('SELECT DISTINCT status FROM orders')).map((r) => r.status);
  expect(statuses).toEqual(expect.arrayContaining(['CANCELLED', 'COMPLETED', 'BACKORDERED']));
}, 240_000);
