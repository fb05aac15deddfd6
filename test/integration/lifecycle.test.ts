/** Holds, line cancellation, returns, rejection, re-sourcing, deadlines, backorders, the audit. */
import { createTestApp, type TestApp } from '../helpers/app';
import { inventoryInvariants, makeLocation, orderInput, stock } from '../helpers/fixtures';
import { createServices } from '../../src/services';
import { silentLogger } from '../../src/log';
import { Database } from '../../src/db/database';
import {
  AdvanceFulfillmentDocument, CancelOrderDocument, CancelOrderLinesDocument, GetOrderDocument, HoldOrderDocument, InventoryAuditDocument,
  PlaceOrderDocument, RejectFulfillmentDocument, ReleaseOrderHoldDocument, ResourceOrderDocument, ReturnOrderLinesDocument, SetInventoryDocument,
  type PlaceOrderInput,
} from '../generated/graphql';

let t: TestApp;
let near: string;
let mid: string;
let far: string;
const AGENT = { role: 'AGENT' as const, sub: 'agent-7' };
const ADMIN = { role: 'ADMIN' as const };
const SERVICE = { role: 'SERVICE' as const };
let seq = 0;

beforeAll(async () => {
  t = await createTestApp();
  near = (await makeLocation(t, { lat: 40.72, lng: -74.0 })).id;
  mid = (await makeLocation(t, { lat: 39.95, lng: -75.16 })).id;
  far = (await makeLocation(t, { lat: 41.88, lng: -87.63 })).id;
  await stock(t, [near, mid, far].flatMap((l) => ['L1', 'L2', 'L3'].map((sku) => ({ locationId: l, sku, onHand: 100 }))));
});
afterAll(() => t.close());

async function place(overrides: Partial<PlaceOrderInput> = {}) {
  const input = orderInput({ lines: [{ sku: 'L1', quantity: 3, unitPrice: '10.00' }, { sku: 'L2', quantity: 2, unitPrice: '5.00' }], ...overrides });
  const r = await t.ok(PlaceOrderDocument, { input, key: `lc-${++seq}` }, SERVICE);
  expect(r.placeOrder.userErrors).toEqual([]);
  return r.placeOrder.order!;
}
const walk = async (groupId: string, path: readonly ('ACCEPTED' | 'PICKING' | 'PACKED' | 'SHIPPED' | 'DELIVERED')[]) => {
  for (const to of path) {
    const r = await t.ok(AdvanceFulfillmentDocument, { groupId, to }, ADMIN);
    expect(r.advanceFulfillment.userErrors).toEqual([]);
  }
};
const deliver = (groupId: string) => walk(groupId, ['ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED', 'DELIVERED']);
const reservedAt = async (loc: string, sku: string) =>
  (await t.db.query<{ reserved: number; on_hand: number }>('SELECT reserved, on_hand FROM inventory_positions WHERE location_id = $1 AND sku = $2', [loc, sku]))[0];

afterEach(async () => {
  expect(await inventoryInvariants(t)).toEqual({ drift: [], negative: 0 });
});

describe('holds', () => {
  it('holds the order, blocks every advance, and returns to the group-derived status when the last hold is released', async () => {
    const o = await place();
    const g = o.fulfillmentPlan!.groups[0].id;
    const h1 = (await t.ok(HoldOrderDocument, { id: o.id, type: 'FRAUD', reason: 'score 97' }, AGENT)).holdOrder.order!;
    const h2 = (await t.ok(HoldOrderDocument, { id: o.id, type: 'PAYMENT', reason: 'card declined' }, AGENT)).holdOrder.order!;
    expect(h2.status).toBe('ON_HOLD');
    expect(h2.holds.map((h) => h.type)).toEqual(['FRAUD', 'PAYMENT']);
    const blocked = await t.ok(AdvanceFulfillmentDocument, { groupId: g, to: 'ACCEPTED' }, ADMIN);
    expect(blocked.advanceFulfillment.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION' })]);

    const r1 = (await t.ok(ReleaseOrderHoldDocument, { id: o.id, holdId: h1.holds[0].id }, AGENT)).releaseOrderHold.order!;
    expect(r1.status).toBe('ON_HOLD');
    const r2 = (await t.ok(ReleaseOrderHoldDocument, { id: o.id, holdId: h2.holds[1].id }, AGENT)).releaseOrderHold.order!;
    expect(r2.status).toBe('ALLOCATED');
    expect(r2.holds.every((h) => h.releasedAt && h.releasedBy === 'AGENT:agent-7')).toBe(true);
    const timeline = r2.events.slice(2).map((e) => [e.type, e.previousStatus, e.status, e.actor]);
    expect(timeline).toEqual([
      ['ORDER_HOLD_PLACED', 'ALLOCATED', 'ON_HOLD', 'AGENT:agent-7'],
      ['ORDER_HOLD_PLACED', 'ON_HOLD', 'ON_HOLD', 'AGENT:agent-7'],
      ['ORDER_HOLD_RELEASED', 'ON_HOLD', 'ON_HOLD', 'AGENT:agent-7'],
      ['ORDER_HOLD_RELEASED', 'ON_HOLD', 'ALLOCATED', 'AGENT:agent-7'],
    ]);
  });

  it('still lets a held order be cancelled or a held group be rejected', async () => {
    const o = await place();
    await t.ok(HoldOrderDocument, { id: o.id, type: 'ADDRESS', reason: 'check' }, AGENT);
    const rej = await t.ok(RejectFulfillmentDocument, { groupId: o.fulfillmentPlan!.groups[0].id, reason: 'damaged' }, ADMIN);
    expect(rej.rejectFulfillment.userErrors).toEqual([]);
    expect(rej.rejectFulfillment.order!.status).toBe('ON_HOLD');
    const c = await t.ok(CancelOrderDocument, { id: o.id, reason: 'fraud' }, AGENT);
    expect(c.cancelOrder.order!.status).toBe('CANCELLED');
  });

  it('is for agents and admins, and releasing an unknown hold is NOT_FOUND', async () => {
    const o = await place();
    const denied = await t.exec(HoldOrderDocument, { id: o.id, type: 'FRAUD', reason: 'x' }, { role: 'STORE', locationIds: [near] });
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const r = await t.ok(ReleaseOrderHoldDocument, { id: o.id, holdId: '00000000-0000-4000-8000-000000000000' }, AGENT);
    expect(r.releaseOrderHold.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['holdId'] })]);
  });

  it('releases a rule’s remorse hold by itself once the period is over (the sweep)', async () => {
    await t.db.query(`UPDATE sourcing_rules SET remorse_hold_minutes = 30 WHERE is_default`);
    try {
      const o = await place();
      expect(o.status).toBe('ON_HOLD');
      expect(o.holds).toEqual([expect.objectContaining({ type: 'REMORSE', releasedAt: null })]);
      expect((await t.services.sweeper.runOnce()).holdsReleased).toBe(0);
      await t.db.query(`UPDATE order_holds SET release_at = now() - interval '1 second' WHERE order_id = $1`, [o.id]);
      expect((await t.services.sweeper.runOnce()).holdsReleased).toBe(1);
      const { order } = await t.ok(GetOrderDocument, { id: o.id }, AGENT);
      expect(order!.status).toBe('ALLOCATED');
      expect(order!.holds[0].releasedBy).toBe('system:sweep');
    } finally {
      await t.db.query(`UPDATE sourcing_rules SET remorse_hold_minutes = NULL WHERE is_default`);
    }
  });
});

describe('cancelOrderLines', () => {
  it('cancels quantities, shrinks the group, and releases exactly the cancelled reservations', async () => {
    const o = await place();
    const g = o.fulfillmentPlan!.groups[0];
    const before = await reservedAt(g.location.id, 'L1');
    const r = await t.ok(CancelOrderLinesDocument, { id: o.id, lines: [{ orderLineId: o.lines[0].id, quantity: 2 }], reason: 'changed mind', expectedVersion: 1 }, AGENT);
    expect(r.cancelOrderLines.userErrors).toEqual([]);
    const after = r.cancelOrderLines.order!;
    expect(after.lines.map((l) => [l.cancelledQuantity, l.cancellableQuantity])).toEqual([[2, 1], [0, 2]]);
    expect(after.total.amount).toBe('20.00'); // 1 x 10.00 + 2 x 5.00
    expect(after.fulfillmentPlan!.groups[0].lines.map((l) => [l.sku, l.quantity])).toEqual([['L1', 1], ['L2', 2]]);
    expect((await reservedAt(g.location.id, 'L1')).reserved).toBe(before.reserved - 2);
    expect(after.status).toBe('ALLOCATED');

    const rest = await t.ok(CancelOrderLinesDocument, { id: o.id, lines: [{ orderLineId: o.lines[0].id, quantity: 1 }, { orderLineId: o.lines[1].id, quantity: 2 }], reason: 'all' }, AGENT);
    expect(rest.cancelOrderLines.order!.status).toBe('CANCELLED');
    expect(rest.cancelOrderLines.order!.fulfillmentPlan!.groups[0].status).toBe('CANCELLED');
  });

  it('refuses quantities already shipped, naming the line', async () => {
    const o = await place({ lines: [{ sku: 'L3', quantity: 2, unitPrice: '1' }] });
    await walk(o.fulfillmentPlan!.groups[0].id, ['ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED']);
    const r = await t.ok(CancelOrderLinesDocument, { id: o.id, lines: [{ orderLineId: o.lines[0].id, quantity: 1 }], reason: 'late' }, AGENT);
    expect(r.cancelOrderLines.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION', field: ['lines', '0', 'quantity'] })]);
    expect(r.cancelOrderLines.userErrors[0].message).toContain(o.lines[0].id);
  });

  it('cancels backordered quantities without touching stock', async () => {
    const o = await place({ lines: [{ sku: 'NONE-1', quantity: 4, unitPrice: '1' }] });
    expect(o.status).toBe('BACKORDERED');
    const r = await t.ok(CancelOrderLinesDocument, { id: o.id, lines: [{ orderLineId: o.lines[0].id, quantity: 4 }], reason: 'gone' }, AGENT);
    expect(r.cancelOrderLines.order!.status).toBe('CANCELLED');
    expect(r.cancelOrderLines.order!.fulfillmentPlan!.unallocated).toEqual([]);
  });
});

describe('returns', () => {
  it('returns delivered units, restocks them at the shipping location, and ends RETURNED', async () => {
    const o = await place({ lines: [{ sku: 'L3', quantity: 2, unitPrice: '1' }] });
    const g = o.fulfillmentPlan!.groups[0];
    const early = await t.ok(ReturnOrderLinesDocument, { id: o.id, lines: [{ orderLineId: o.lines[0].id, quantity: 1 }], restock: true, reason: 'x' }, AGENT);
    expect(early.returnOrderLines.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION', field: ['lines', '0', 'quantity'] })]);
    await deliver(g.id);
    const before = await reservedAt(g.location.id, 'L3');
    const one = await t.ok(ReturnOrderLinesDocument, { id: o.id, lines: [{ orderLineId: o.lines[0].id, quantity: 1 }], restock: true, reason: 'too small' }, AGENT);
    expect(one.returnOrderLines.order!.status).toBe('COMPLETED');
    expect(one.returnOrderLines.order!.lines[0]).toMatchObject({ returnedQuantity: 1, returnableQuantity: 1 });
    expect((await reservedAt(g.location.id, 'L3')).on_hand).toBe(before.on_hand + 1);
    const two = await t.ok(ReturnOrderLinesDocument, { id: o.id, lines: [{ orderLineId: o.lines[0].id, quantity: 1 }], restock: false, reason: 'broken' }, AGENT);
    expect(two.returnOrderLines.order!.status).toBe('RETURNED');
    expect((await reservedAt(g.location.id, 'L3')).on_hand).toBe(before.on_hand + 1);
    const more = await t.ok(ReturnOrderLinesDocument, { id: o.id, lines: [{ orderLineId: o.lines[0].id, quantity: 1 }], restock: true, reason: 'x' }, AGENT);
    expect(more.returnOrderLines.userErrors[0].code).toBe('INVALID_TRANSITION');
  });
});

describe('rejection and re-sourcing', () => {
  it('re-sources a rejected group elsewhere at once, in a new plan version, keeping the old plan', async () => {
    const o = await place();
    const g = o.fulfillmentPlan!.groups[0];
    expect(g.location.id).toBe(near);
    const held = (await reservedAt(near, 'L1')).reserved;
    const r = await t.ok(RejectFulfillmentDocument, { groupId: g.id, reason: 'no staff' }, { role: 'STORE', locationIds: [near] });
    expect(r.rejectFulfillment.userErrors).toEqual([]);
    expect(r.rejectFulfillment.fulfillmentGroup!.status).toBe('REJECTED');
    const plan = r.rejectFulfillment.order!.fulfillmentPlan!;
    expect(plan.version).toBe(2);
    expect(plan.groups.map((x) => x.location.id)).toEqual([mid]);
    expect(r.rejectFulfillment.order!.status).toBe('ALLOCATED');
    expect((await reservedAt(near, 'L1')).reserved).toBe(held - 3);
    const [{ n }] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM fulfillment_plans WHERE order_id = $1', [o.id]);
    expect(n).toBe(2);
    // the next rejection excludes both locations that declined
    const r2 = await t.ok(RejectFulfillmentDocument, { groupId: plan.groups[0].id, reason: 'no' }, ADMIN);
    expect(r2.rejectFulfillment.order!.fulfillmentPlan!.groups.map((x) => x.location.id)).toEqual([far]);
  });

  it('backorders what nothing else can take, and the order shows it', async () => {
    const o = await place({ method: 'PICKUP', shippingAddress: null, pickupLocationId: mid, lines: [{ sku: 'L1', quantity: 1, unitPrice: '1' }] });
    const r = await t.ok(RejectFulfillmentDocument, { groupId: o.fulfillmentPlan!.groups[0].id, reason: 'no' }, ADMIN);
    expect(r.rejectFulfillment.order!.status).toBe('BACKORDERED');
    expect(r.rejectFulfillment.order!.fulfillmentPlan!.unallocated).toEqual([expect.objectContaining({ sku: 'L1', quantity: 1 })]);
  });

  it('is refused once the group has shipped, and for another location’s store', async () => {
    const o = await place();
    const g = o.fulfillmentPlan!.groups[0].id;
    const other = await t.ok(RejectFulfillmentDocument, { groupId: g, reason: 'x' }, { role: 'STORE', locationIds: [far] });
    expect(other.rejectFulfillment.userErrors[0].code).toBe('FORBIDDEN_LOCATION');
    await walk(g, ['ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED']);
    const late = await t.ok(RejectFulfillmentDocument, { groupId: g, reason: 'x' }, ADMIN);
    expect(late.rejectFulfillment.userErrors[0].code).toBe('INVALID_TRANSITION');
  });

  it('lets an agent re-source pending work away from a location, keeping accepted groups', async () => {
    const o = await place({ lines: [{ sku: 'L1', quantity: 1, unitPrice: '1' }] });
    const r = await t.ok(ResourceOrderDocument, { id: o.id, excludeLocationIds: [near] }, AGENT);
    expect(r.resourceOrder.userErrors).toEqual([]);
    const plan = r.resourceOrder.order!.fulfillmentPlan!;
    expect(plan.version).toBe(2);
    expect(plan.groups.map((g) => g.location.id)).toEqual([mid]);
    await t.ok(AdvanceFulfillmentDocument, { groupId: plan.groups[0].id, to: 'ACCEPTED' }, ADMIN);
    const again = await t.ok(ResourceOrderDocument, { id: o.id }, AGENT);
    const kept = again.resourceOrder.order!.fulfillmentPlan!;
    expect(kept.version).toBe(3);
    expect(kept.groups.map((g) => [g.id, g.status])).toEqual([[plan.groups[0].id, 'ACCEPTED']]);
  });
});

describe('the sweep', () => {
  it('re-sources a group not accepted by its rule’s deadline', async () => {
    await t.db.query(`UPDATE sourcing_rules SET acceptance_deadline_minutes = 10 WHERE is_default`);
    try {
      const o = await place({ lines: [{ sku: 'L2', quantity: 1, unitPrice: '1' }] });
      const g = o.fulfillmentPlan!.groups[0];
      expect((await t.services.sweeper.runOnce()).groupsExpired).toBe(0);
      await t.db.query(`UPDATE fulfillment_groups SET accept_by = now() - interval '1 minute' WHERE id = $1`, [g.id]);
      expect((await t.services.sweeper.runOnce()).groupsExpired).toBe(1);
      const { order } = await t.ok(GetOrderDocument, { id: o.id }, AGENT);
      expect(order!.fulfillmentPlan!.groups.map((x) => x.location.id)).toEqual([mid]);
      expect(order!.events.find((e) => e.type === 'GROUP_EXPIRED')).toMatchObject({ fulfillmentGroupId: g.id, actor: 'system:acceptance-deadline' });
    } finally {
      await t.db.query(`UPDATE sourcing_rules SET acceptance_deadline_minutes = NULL WHERE is_default`);
    }
  });

  it('in two processes at once handles each expired group exactly once', async () => {
    await t.db.query(`UPDATE sourcing_rules SET acceptance_deadline_minutes = 10 WHERE is_default`);
    try {
      const orders = await Promise.all(Array.from({ length: 8 }, () => place({ lines: [{ sku: 'L2', quantity: 1, unitPrice: '1' }] })));
      await t.db.query(`UPDATE fulfillment_groups SET accept_by = now() - interval '1 minute' WHERE order_id = ANY($1)`, [orders.map((o) => o.id)]);
      const otherDb = Database.connect(t.tdb.url); // another process: its own pool and services, same database
      const second = createServices(otherDb, silentLogger);
      const [a, b] = await Promise.all([t.services.resourcing.expireUnaccepted(), second.resourcing.expireUnaccepted()]).finally(() => otherDb.close());
      expect(a + b).toBe(8);
      const [{ n }] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_events WHERE type = 'GROUP_EXPIRED' AND order_id = ANY($1)`, [orders.map((o) => o.id)]);
      expect(n).toBe(8);
    } finally {
      await t.db.query(`UPDATE sourcing_rules SET acceptance_deadline_minutes = NULL WHERE is_default`);
    }
  });
});

describe('backorders', () => {
  it('are sourced automatically, oldest first, when stock arrives', async () => {
    const first = await place({ lines: [{ sku: 'BO-1', quantity: 2, unitPrice: '1' }] });
    const second = await place({ lines: [{ sku: 'BO-1', quantity: 2, unitPrice: '1' }] });
    expect([first.status, second.status]).toEqual(['BACKORDERED', 'BACKORDERED']);
    await t.ok(SetInventoryDocument, { input: [{ locationId: far, sku: 'BO-1', onHand: 3 }] }, SERVICE);
    const a = (await t.ok(GetOrderDocument, { id: first.id }, AGENT)).order!;
    const b = (await t.ok(GetOrderDocument, { id: second.id }, AGENT)).order!;
    expect(a.status).toBe('ALLOCATED');
    expect(a.fulfillmentPlan!.groups.map((g) => g.location.id)).toEqual([far]);
    expect(b.status).toBe('BACKORDERED'); // 1 unit was left: partly allocated, the rest still waits
    expect(b.fulfillmentPlan!.unallocated).toEqual([expect.objectContaining({ quantity: 1 })]);
  });
});

describe('inventoryAudit', () => {
  it('is clean, and reports a row corrupted directly in SQL', async () => {
    const clean = await t.ok(InventoryAuditDocument, {}, AGENT);
    expect(clean.inventoryAudit).toMatchObject({ ok: true, drifts: [] });
    expect(clean.inventoryAudit.checkedPositions).toBeGreaterThan(9);
    await t.db.query(`UPDATE inventory_positions SET on_hand = on_hand + 5 WHERE location_id = $1 AND sku = 'L3'`, [far]);
    try {
      const bad = await t.ok(InventoryAuditDocument, { locationIds: [far] }, AGENT);
      expect(bad.inventoryAudit.ok).toBe(false);
      expect(bad.inventoryAudit.drifts).toEqual([expect.objectContaining({ locationId: far, sku: 'L3', problems: [expect.stringMatching(/ledger sums to/)] })]);
    } finally {
      await t.db.query(`UPDATE inventory_positions SET on_hand = on_hand - 5 WHERE location_id = $1 AND sku = 'L3'`, [far]);
    }
    const denied = await t.exec(InventoryAuditDocument, {}, { role: 'CUSTOMER', sub: 'c' });
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('eligibility', () => {
  it('says what may be cancelled and returned', async () => {
    const o = await place({ lines: [{ sku: 'L1', quantity: 2, unitPrice: '1' }] });
    expect(o.canCancel).toBe(false); // read by the SERVICE that placed it: SERVICE does not cancel
    expect((await t.ok(GetOrderDocument, { id: o.id }, { role: 'CUSTOMER', sub: 'customer-1' })).order!.canCancel).toBe(true);
    expect(o.lines[0]).toMatchObject({ cancellableQuantity: 2, returnableQuantity: 0 });
    const g = o.fulfillmentPlan!.groups[0];
    expect(g.nextStates).toEqual(['ACCEPTED', 'REJECTED', 'CANCELLED']);
    await walk(g.id, ['ACCEPTED']);
    const customer = (await t.ok(GetOrderDocument, { id: o.id }, { role: 'CUSTOMER', sub: 'customer-1' })).order!;
    expect(customer.canCancel).toBe(false);
    expect((await t.ok(GetOrderDocument, { id: o.id }, AGENT)).order!.canCancel).toBe(true);
    await walk(g.id, ['PICKING', 'PACKED', 'SHIPPED', 'DELIVERED']);
    const done = (await t.ok(GetOrderDocument, { id: o.id }, AGENT)).order!;
    expect(done.canCancel).toBe(false);
    expect(done.lines[0]).toMatchObject({ cancellableQuantity: 0, returnableQuantity: 2 });
  });
});

describe('races', () => {
  it('cancel and ship of the same group at once: exactly one wins, stock stays exact', async () => {
    for (let i = 0; i < 5; i++) {
      const o = await place({ lines: [{ sku: 'L3', quantity: 1, unitPrice: '1' }] });
      const g = o.fulfillmentPlan!.groups[0].id;
      await walk(g, ['ACCEPTED', 'PICKING', 'PACKED']);
      const [ship, cancel] = await Promise.all([
        t.ok(AdvanceFulfillmentDocument, { groupId: g, to: 'SHIPPED' }, ADMIN),
        t.ok(CancelOrderDocument, { id: o.id, reason: 'race' }, AGENT),
      ]);
      const shipped = ship.advanceFulfillment.userErrors.length === 0;
      const cancelled = cancel.cancelOrder.userErrors.length === 0;
      expect(shipped !== cancelled).toBe(true);
      const { order } = await t.ok(GetOrderDocument, { id: o.id }, AGENT);
      expect(order!.status).toBe(shipped ? 'FULFILLED' : 'CANCELLED');
    }
  });
});

describe('review findings', () => {
  it('restocks each returned unit at a location that shipped it, never more than it shipped', async () => {
    await stock(t, [{ locationId: near, sku: 'RS-1', onHand: 2 }, { locationId: mid, sku: 'RS-1', onHand: 2 }]);
    const o = await place({ lines: [{ sku: 'RS-1', quantity: 4, unitPrice: '1' }] });
    const groups = o.fulfillmentPlan!.groups;
    expect(groups).toHaveLength(2);
    for (const g of groups) await deliver(g.id);
    const before = await t.db.query<{ location_id: string; on_hand: number }>(`SELECT location_id, on_hand FROM inventory_positions WHERE sku = 'RS-1'`);
    for (const q of [1, 2, 1]) {
      const r = await t.ok(ReturnOrderLinesDocument, { id: o.id, lines: [{ orderLineId: o.lines[0].id, quantity: q }], restock: true, reason: 'r' }, AGENT);
      expect(r.returnOrderLines.userErrors).toEqual([]);
    }
    const after = await t.db.query<{ location_id: string; on_hand: number }>(`SELECT location_id, on_hand FROM inventory_positions WHERE sku = 'RS-1'`);
    const gained = Object.fromEntries(after.map((a) => [a.location_id, a.on_hand - before.find((b) => b.location_id === a.location_id)!.on_hand]));
    expect(gained).toEqual({ [near]: 2, [mid]: 2 });
  });

  it('an agent can re-source a pickup order whose store declined once, back to that store', async () => {
    const o = await place({ method: 'PICKUP', shippingAddress: null, pickupLocationId: near, lines: [{ sku: 'L1', quantity: 1, unitPrice: '1' }] });
    const rejected = await t.ok(RejectFulfillmentDocument, { groupId: o.fulfillmentPlan!.groups[0].id, reason: 'busy' }, ADMIN);
    expect(rejected.rejectFulfillment.order!.status).toBe('BACKORDERED');
    const again = await t.ok(ResourceOrderDocument, { id: o.id }, AGENT);
    expect(again.resourceOrder.order!.status).toBe('ALLOCATED');
    expect(again.resourceOrder.order!.fulfillmentPlan!.groups.map((g) => [g.location.id, g.status])).toEqual([[near, 'PENDING']]);
  });

  it('does not expire groups while the order is held, and restarts their clock when the hold is released', async () => {
    await t.db.query(`UPDATE sourcing_rules SET acceptance_deadline_minutes = 10 WHERE is_default`);
    try {
      const o = await place({ lines: [{ sku: 'L2', quantity: 1, unitPrice: '1' }] });
      const g = o.fulfillmentPlan!.groups[0];
      const held = (await t.ok(HoldOrderDocument, { id: o.id, type: 'PAYMENT', reason: 'pending' }, AGENT)).holdOrder.order!;
      await t.db.query(`UPDATE fulfillment_groups SET accept_by = now() - interval '1 minute', created_at = created_at - interval '11 minutes' WHERE id = $1`, [g.id]);
      expect((await t.services.sweeper.runOnce()).groupsExpired).toBe(0);
      await t.ok(ReleaseOrderHoldDocument, { id: o.id, holdId: held.holds[0].id }, AGENT);
      const [{ ok }] = await t.db.query<{ ok: boolean }>(`SELECT accept_by > now() + interval '9 minutes' AS ok FROM fulfillment_groups WHERE id = $1`, [g.id]);
      expect(ok).toBe(true);
      expect((await t.services.sweeper.runOnce()).groupsExpired).toBe(0);
    } finally {
      await t.db.query(`UPDATE sourcing_rules SET acceptance_deadline_minutes = NULL WHERE is_default`);
    }
  });

  it('sources against a full location when the rule ignores capacity', async () => {
    const small = (await makeLocation(t, { lat: 40.75, lng: -73.99, dailyCapacity: 1 })).id;
    await stock(t, [{ locationId: small, sku: 'CAPX', onHand: 10 }]);
    await t.db.query(`UPDATE sourcing_rules SET constraints = constraints || '{"respectCapacity": false}' WHERE is_default`);
    try {
      const a = await place({ lines: [{ sku: 'CAPX', quantity: 1, unitPrice: '1' }] });
      const b = await place({ lines: [{ sku: 'CAPX', quantity: 1, unitPrice: '1' }] });
      expect([a, b].map((o) => o.fulfillmentPlan!.groups[0].location.id)).toEqual([small, small]);
    } finally {
      await t.db.query(`UPDATE sourcing_rules SET constraints = constraints || '{"respectCapacity": true}' WHERE is_default`);
    }
  });
});
