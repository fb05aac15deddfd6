import { createTestApp, type TestApp } from '../helpers/app';
import { inventoryInvariants, makeLocation, orderInput } from '../helpers/fixtures';
import { AdjustInventoryDocument, GetOrderDocument, PlaceOrderDocument, SetInventoryDocument, UpsertLocationDocument } from '../generated/graphql';

let t: TestApp;
const ADMIN = { role: 'ADMIN' as const };
const SERVICE = { role: 'SERVICE' as const };
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('upsertLocation', () => {
  it('creates, updates, and refuses bad input and duplicate codes', async () => {
    const created = await t.ok(UpsertLocationDocument, { input: { code: 'WH-1', name: 'One', type: 'WAREHOUSE', geo: { lat: 40, lng: -74 }, methods: ['SHIP'] } }, ADMIN);
    const loc = created.upsertLocation.location!;
    expect(loc).toMatchObject({ code: 'WH-1', priority: 0, active: true, dailyCapacity: null });
    const updated = await t.ok(UpsertLocationDocument, { input: { id: loc.id, code: 'WH-1', name: 'One', type: 'WAREHOUSE', geo: { lat: 40, lng: -74 }, methods: ['SHIP', 'SAME_DAY'], dailyCapacity: 10, active: false } }, ADMIN);
    expect(updated.upsertLocation.location).toMatchObject({ id: loc.id, methods: ['SHIP', 'SAME_DAY'], dailyCapacity: 10, active: false });
    const dup = await t.ok(UpsertLocationDocument, { input: { code: 'WH-1', name: 'Two', type: 'STORE', geo: { lat: 1, lng: 1 }, methods: ['SHIP'] } }, ADMIN);
    expect(dup.upsertLocation.userErrors).toEqual([expect.objectContaining({ code: 'VALIDATION', field: ['input', 'code'] })]);
    const bad = await t.ok(UpsertLocationDocument, { input: { code: 'bad code', name: '', type: 'STORE', geo: { lat: 91, lng: 1 }, methods: [] } }, ADMIN);
    expect(bad.upsertLocation.userErrors.map((e) => e.field)).toEqual([['input', 'code'], ['input', 'name'], ['input', 'geo'], ['input', 'methods']]);
    const missing = await t.ok(UpsertLocationDocument, { input: { id: '00000000-0000-4000-8000-000000000000', code: 'X', name: 'x', type: 'STORE', geo: { lat: 1, lng: 1 }, methods: ['SHIP'] } }, ADMIN);
    expect(missing.upsertLocation.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
  });
});

describe('setInventory and adjustInventory', () => {
  it('sets absolute counts with SYNC movements, all or nothing', async () => {
    const l = await makeLocation(t);
    const r = await t.ok(SetInventoryDocument, { input: [{ locationId: l.id, sku: 'K1', onHand: 10, safetyStock: 2 }, { locationId: l.id, sku: 'K2', onHand: 0 }] }, SERVICE);
    expect(r.setInventory.positions).toEqual([
      { locationId: l.id, sku: 'K1', onHand: 10, reserved: 0, safetyStock: 2, available: 8 },
      { locationId: l.id, sku: 'K2', onHand: 0, reserved: 0, safetyStock: 0, available: 0 },
    ]);
    const again = await t.ok(SetInventoryDocument, { input: [{ locationId: l.id, sku: 'K1', onHand: 4 }] }, SERVICE);
    expect(again.setInventory.positions[0]).toMatchObject({ onHand: 4, safetyStock: 2 });
    const moves = await t.db.query<{ kind: string; on_hand_delta: number }>(`SELECT kind, on_hand_delta FROM inventory_movements WHERE sku = 'K1' ORDER BY id`);
    expect(moves).toEqual([{ kind: 'SYNC', on_hand_delta: 10 }, { kind: 'SYNC', on_hand_delta: -6 }]);

    const bad = await t.ok(SetInventoryDocument, { input: [{ locationId: l.id, sku: 'K1', onHand: 99 }, { locationId: l.id, sku: 'bad sku', onHand: -1 }] }, SERVICE);
    expect(bad.setInventory.userErrors.map((e) => e.field)).toEqual([['input', '1', 'sku'], ['input', '1', 'onHand']]);
    const unknown = await t.ok(SetInventoryDocument, { input: [{ locationId: l.id, sku: 'K1', onHand: 99 }, { locationId: '00000000-0000-4000-8000-000000000000', sku: 'K1', onHand: 1 }] }, SERVICE);
    expect(unknown.setInventory.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', '1', 'locationId'] })]);
    const [{ on_hand }] = await t.db.query<{ on_hand: number }>(`SELECT on_hand FROM inventory_positions WHERE location_id = $1 AND sku = 'K1'`, [l.id]);
    expect(on_hand).toBe(4);
  });

  it('re-routes allocations when a count falls below what is reserved, and refuses such an adjustment', async () => {
    const l = await makeLocation(t, { lat: 40.75, lng: -73.99 });
    const other = await makeLocation(t, { lat: 41.9, lng: -87.6 });
    await t.ok(SetInventoryDocument, { input: [{ locationId: l.id, sku: 'R1', onHand: 5 }, { locationId: other.id, sku: 'R1', onHand: 10 }] }, SERVICE);
    const placed = await t.ok(PlaceOrderDocument, { input: orderInput({ lines: [{ sku: 'R1', quantity: 3, unitPrice: '1' }] }), key: 'r1' }, SERVICE);
    expect(placed.placeOrder.order!.fulfillmentPlan!.groups[0].location.id).toBe(l.id);

    const set = await t.ok(SetInventoryDocument, { input: [{ locationId: l.id, sku: 'R1', onHand: 2 }] }, SERVICE);
    expect(set.setInventory.userErrors).toEqual([]);
    expect(set.setInventory.positions[0]).toMatchObject({ onHand: 2, reserved: 0 });
    const { order } = await t.ok(GetOrderDocument, { id: placed.placeOrder.order!.id }, SERVICE);
    expect(order!.fulfillmentPlan!.version).toBe(2);
    expect(order!.fulfillmentPlan!.groups.map((g) => [g.location.id, g.status, g.lines[0].quantity])).toEqual([[other.id, 'PENDING', 3]]);
    expect(order!.events.map((e) => e.type)).toContain('GROUP_REROUTED');

    await t.ok(PlaceOrderDocument, { input: orderInput({ lines: [{ sku: 'R1', quantity: 2, unitPrice: '1' }] }), key: 'r2' }, SERVICE);
    const adj = await t.ok(AdjustInventoryDocument, { locationId: l.id, sku: 'R1', delta: -1, reason: 'damaged' }, SERVICE);
    expect(adj.adjustInventory.userErrors).toEqual([expect.objectContaining({ code: 'INSUFFICIENT_STOCK', field: ['delta'] })]);
    const up = await t.ok(AdjustInventoryDocument, { locationId: l.id, sku: 'NEW-1', delta: 7, reason: 'receipt' }, SERVICE);
    expect(up.adjustInventory.positions[0]).toMatchObject({ sku: 'NEW-1', onHand: 7 });
    const zero = await t.ok(AdjustInventoryDocument, { locationId: l.id, sku: 'R1', delta: 0, reason: 'x' }, SERVICE);
    expect(zero.adjustInventory.userErrors).toEqual([expect.objectContaining({ code: 'VALIDATION', field: ['delta'] })]);
    expect(await inventoryInvariants(t)).toEqual({ drift: [], negative: 0 });
  });

  it('lets a store adjust only its own locations', async () => {
    const mine = await makeLocation(t, { type: 'STORE' });
    const theirs = await makeLocation(t, { type: 'STORE' });
    const store = { role: 'STORE' as const, locationIds: [mine.id] };
    expect((await t.ok(AdjustInventoryDocument, { locationId: mine.id, sku: 'S', delta: 1, reason: 'count' }, store)).adjustInventory.userErrors).toEqual([]);
    expect((await t.ok(AdjustInventoryDocument, { locationId: theirs.id, sku: 'S', delta: 1, reason: 'count' }, store)).adjustInventory.userErrors).toEqual([
      expect.objectContaining({ code: 'FORBIDDEN_LOCATION' }),
    ]);
  });

  it('keeps the ledger exact under concurrent syncs, adjustments and orders', async () => {
    const l = await makeLocation(t, { lat: 40.75, lng: -73.99 });
    await t.ok(SetInventoryDocument, { input: [{ locationId: l.id, sku: 'C1', onHand: 100 }] }, SERVICE);
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => t.exec(AdjustInventoryDocument, { locationId: l.id, sku: 'C1', delta: i % 2 ? 3 : -1, reason: 'race' }, SERVICE)),
      ...Array.from({ length: 10 }, (_, i) => t.exec(PlaceOrderDocument, { input: orderInput({ lines: [{ sku: 'C1', quantity: 2, unitPrice: '1' }] }), key: `c1-${i}` }, SERVICE)),
      ...Array.from({ length: 5 }, (_, i) => t.exec(SetInventoryDocument, { input: [{ locationId: l.id, sku: 'C1', onHand: 80 + i }] }, SERVICE)),
    ]);
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]); // no deadlock or other failure surfaced
    expect(await inventoryInvariants(t)).toEqual({ drift: [], negative: 0 });
  });
});
