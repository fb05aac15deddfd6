/**
 * The sourcing candidates (sourcing.service.ts): each position's stock read exactly from the
 * statement's packed text, and the locations' attributes kept as of a version of the
 * locations table (db/generation-cache.ts) and read again when it changed: by this process,
 * by another one, or by hand in SQL. Each change below is made where this process's cache
 * cannot see it, and the next plan follows it. `availability` keeps the locations it shows
 * as of a version of each one's row (db/row-version-cache.ts).
 */
import { createTestApp, type TestApp } from '../helpers/app';
import { makeLocation, orderInput, stock } from '../helpers/fixtures';
import { createServices } from '../../src/services';
import { silentLogger } from '../../src/log';
import type { Queryable } from '../../src/db/database';
import { AvailabilityDocument, PlaceOrderDocument, PreviewSourcingDocument, UpsertLocationDocument } from '../generated/graphql';

let t: TestApp;
let near: string;
let far: string;

beforeAll(async () => {
  t = await createTestApp();
  near = (await makeLocation(t, { code: 'LC-NEAR', lat: 40.75, lng: -73.99 })).id;
  far = (await makeLocation(t, { code: 'LC-FAR', lat: 41.88, lng: -87.63 })).id;
  await stock(t, [near, far].map((locationId) => ({ locationId, sku: 'LC-1', onHand: 10 })));
});
afterAll(() => t.close());

const source = async () => {
  const p = await t.ok(PreviewSourcingDocument, { input: orderInput({ lines: [{ sku: 'LC-1', quantity: 1, unitPrice: '1' }] }) }, { role: 'AGENT' });
  expect(p.previewSourcing.userErrors).toEqual([]);
  return p.previewSourcing.groups.map((g) => g.location.code);
};

it('follows a location changed in SQL, behind the service', async () => {
  expect(await source()).toEqual(['LC-NEAR']);
  await t.db.query('UPDATE locations SET active = false WHERE id = $1', [near]);
  expect(await source()).toEqual(['LC-FAR']);
  await t.db.query(`UPDATE locations SET active = true, methods = '{PICKUP}' WHERE id = $1`, [near]);
  expect(await source()).toEqual(['LC-FAR']);
  await t.db.query(`UPDATE locations SET methods = '{SHIP,PICKUP}' WHERE id = $1`, [near]);
  expect(await source()).toEqual(['LC-NEAR']);
});

it('reads each candidate position’s on hand, reserved and safety stock as stored', async () => {
  await stock(t, [{ locationId: near, sku: 'LC-2', onHand: 40, safetyStock: 7 }, { locationId: far, sku: 'LC-2', onHand: 1234567, safetyStock: 0 }]);
  await t.db.query(`UPDATE inventory_positions SET reserved = 29 WHERE location_id = $1 AND sku = 'LC-2'`, [near]);
  const candidates = await t.services.sourcing.candidates(t.db, ['LC-2', 'LC-1', 'LC-2']);
  const byCode = Object.fromEntries(candidates.map((c) => [c.code, Object.fromEntries(c.stock)]));
  expect(byCode).toEqual({
    'LC-NEAR': { 'LC-1': { onHand: 10, reserved: 0, safetyStock: 0 }, 'LC-2': { onHand: 40, reserved: 29, safetyStock: 7 } },
    'LC-FAR': { 'LC-1': { onHand: 10, reserved: 0, safetyStock: 0 }, 'LC-2': { onHand: 1234567, reserved: 0, safetyStock: 0 } },
  });
});

it('follows a location changed through another process’s services', async () => {
  expect(await source()).toEqual(['LC-NEAR']);
  const other = createServices(t.db, silentLogger);
  const moved = await other.inventory.upsertLocation({
    id: near, code: 'LC-NEAR', name: 'Moved away', type: 'WAREHOUSE' as never, geo: { lat: 34.05, lng: -118.24 },
    methods: ['SHIP'] as never, dailyCapacity: null, priority: 0, active: true,
  });
  expect(moved.ok).toBe(true);
  // the order ships to New York: Chicago is nearer now than Los Angeles
  expect(await source()).toEqual(['LC-FAR']);
  const back = await t.ok(UpsertLocationDocument, {
    input: { id: near, code: 'LC-NEAR', name: 'Back', type: 'WAREHOUSE', geo: { lat: 40.75, lng: -73.99 }, methods: ['SHIP'] },
  }, { role: 'ADMIN' });
  expect(back.upsertLocation.userErrors).toEqual([]);
  expect(await source()).toEqual(['LC-NEAR']);
});

it('shows availability’s locations as they are now, however they were changed', async () => {
  const shown = async () => {
    const a = await t.ok(AvailabilityDocument, { skus: ['LC-1'], near: { lat: 40.7, lng: -74 }, radiusKm: 5000 }, { role: 'AGENT' });
    return a.availability[0].locations.map((l) => `${l.location.code} ${l.location.name} ${l.available} ${Math.round(l.distanceKm!)}`);
  };
  const before = await shown();
  expect(before).toHaveLength(2);
  expect(before[0]).toMatch(/^LC-NEAR /);
  await t.db.query(`UPDATE locations SET name = 'Renamed in SQL' WHERE id = $1`, [near]);
  expect((await shown())[0]).toMatch(/^LC-NEAR Renamed in SQL 10 /);
  const other = createServices(t.db, silentLogger);
  const moved = await other.inventory.upsertLocation({
    id: near, code: 'LC-NEAR', name: 'Moved away', type: 'WAREHOUSE' as never, geo: { lat: 34.05, lng: -118.24 },
    methods: ['SHIP'] as never, dailyCapacity: null, priority: 0, active: true,
  });
  expect(moved.ok).toBe(true);
  // nearest first: Chicago, then Los Angeles
  expect((await shown()).map((l) => l.split(' ')[0])).toEqual(['LC-FAR', 'LC-NEAR']);
  expect((await shown())[1]).toMatch(/^LC-NEAR Moved away 10 3\d{3}$/);
  await t.ok(UpsertLocationDocument, {
    input: { id: near, code: 'LC-NEAR', name: 'Back', type: 'WAREHOUSE', geo: { lat: 40.75, lng: -73.99 }, methods: ['SHIP'] },
  }, { role: 'ADMIN' });
  expect((await shown())[0]).toMatch(/^LC-NEAR Back 10 /);
});

it('does not keep what a transaction that rolled back saw of its own change', async () => {
  const activeOf = async (q: Queryable) => (await t.services.sourcing.candidates(q, ['LC-1'])).find((c) => c.id === near)!.active;
  expect(await activeOf(t.db)).toBe(true);
  await expect(
    t.db.transaction(async (tx) => {
      await tx.query('UPDATE locations SET active = false WHERE id = $1', [near]);
      // inside, the change is seen (and the cache refilled with it)
      expect(await activeOf(tx)).toBe(false);
      throw new Error('roll back');
    }),
  ).rejects.toThrow('roll back');
  expect(await activeOf(t.db)).toBe(true);
});

it('moves the locations’ version with every statement that changes the table, and with nothing else', async () => {
  const version = async () => (await t.db.query<{ v: string; g: number }>('SELECT xmin::text AS v, generation AS g FROM location_generation'))[0];
  const v0 = await version();
  await t.db.query(`SELECT 1 FROM locations WHERE id = $1 FOR NO KEY UPDATE`, [near]);
  await t.db.query(`UPDATE inventory_positions SET safety_stock = safety_stock WHERE location_id = $1`, [near]);
  expect(await version()).toEqual(v0);
  await t.db.query(`UPDATE locations SET priority = priority WHERE id = $1`, [near]);
  const v1 = await version();
  expect(v1.v).not.toBe(v0.v);
  expect(Number(v1.g)).toBe(Number(v0.g) + 1);
  await makeLocation(t, { code: 'LC-NEW' });
  expect(Number((await version()).g)).toBe(Number(v0.g) + 2);
});

it('counts a capacity location’s groups today in the candidate statement once the cache knows it, and alone before', async () => {
  const cap = (await makeLocation(t, { code: 'LC-CAP', lat: 40.76, lng: -73.98, dailyCapacity: 5 })).id;
  await stock(t, [{ locationId: cap, sku: 'LC-CAP-1', onHand: 10 }]);
  const names: (string | undefined)[] = [];
  const recording: Queryable = {
    query: (text, params, name) => {
      names.push(name);
      return t.db.query(text, params, name);
    },
  };
  const groupsAt = async () => (await t.services.sourcing.candidates(recording, ['LC-CAP-1'])).find((c) => c.id === cap)!.groupsToday;
  // first seen (the table's version moved with the new location): counted on its own
  expect(await groupsAt()).toBe(0);
  expect(names).toContain('count_groups_today_v2');
  for (const key of ['cap-a', 'cap-b']) {
    const r = await t.ok(PlaceOrderDocument, { input: orderInput({ lines: [{ sku: 'LC-CAP-1', quantity: 1, unitPrice: '1' }] }), key }, { role: 'SERVICE' });
    expect(r.placeOrder.order!.fulfillmentPlan!.groups.map((g) => g.location.id)).toEqual([cap]);
  }
  names.length = 0;
  expect(await groupsAt()).toBe(2);
  expect(names).toEqual(['sourcing_candidates_limited_v6']);
});
