/**
 * How inventory positions are stored (migration PositionsBySku): a reservation is a
 * heap-only update (no index holds the quantities), so it leaves the row on its page; and
 * the table clusters on the SKU index, so that the command README "Operations" gives,
 * `CLUSTER inventory_positions`, gathers the positions of each SKU onto a few pages.
 */
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/app';
import { inventoryInvariants, makeLocation, orderInput, stock } from '../helpers/fixtures';
import { FulfillmentMethod } from '../../src/common/types';
import { PlaceOrderDocument } from '../generated/graphql';

let t: TestApp;
const LOCATIONS = 60;
const SKUS = 40;
let locations: string[];
const skuOf = (i: number) => `PS-${String(i).padStart(3, '0')}`;

beforeAll(async () => {
  t = await createTestApp();
  locations = [];
  for (let i = 0; i < LOCATIONS; i++) locations.push((await makeLocation(t, { code: `PS-L${i}`, lat: 40 + i / 100, lng: -74 })).id);
  // location by location, as a store's stock file arrives: each SKU's positions end up spread
  // over the table
  const entries = locations.flatMap((locationId) => Array.from({ length: SKUS }, (_, s) => ({ locationId, sku: skuOf(s), onHand: 50 })));
  for (let i = 0; i < entries.length; i += 1000) await stock(t, entries.slice(i, i + 1000));
});
afterAll(() => t.close());

/** The heap pages holding a SKU's positions. */
const pagesOf = async (sku: string) =>
  (await t.db.query<{ n: number }>(`SELECT count(DISTINCT (ctid::text::point)[0])::int AS n FROM inventory_positions WHERE sku = $1`, [sku]))[0].n;

it('reserves without touching an index: every update of a reservation is heap-only', async () => {
  const counts = await t.db
    .transaction(async (tx) => {
      // this backend's counts not yet reported (earlier transactions' too): before and after
      const counted = () =>
        tx.query<{ updated: number; hot: number }>(
          `SELECT pg_stat_get_xact_tuples_updated('inventory_positions'::regclass)::int AS updated,
                  pg_stat_get_xact_tuples_hot_updated('inventory_positions'::regclass)::int AS hot`,
        );
      const [c0] = await counted();
      const rule = await t.services.sourcing.ruleFor(tx, { channel: 'web', method: FulfillmentMethod.SHIP, countryCode: 'US' });
      const request = {
        method: FulfillmentMethod.SHIP, destination: { lat: 40, lng: -74 }, pickupLocationId: null, shipComplete: false,
        lines: [skuOf(1), skuOf(2), skuOf(3)].map((sku) => ({ orderLineId: crypto.randomUUID(), sku, quantity: 2 })),
      };
      const plan = await t.services.sourcing.reservePlan(tx, request, rule, { capacity: false });
      expect(plan.unallocated).toEqual([]);
      const [c1] = await counted();
      const [{ reserved }] = await tx.query<{ reserved: number }>(`SELECT sum(reserved)::int AS reserved FROM inventory_positions WHERE sku = ANY($1)`, [
        request.lines.map((l) => l.sku),
      ]);
      const c = { updated: c1.updated - c0.updated, hot: c1.hot - c0.hot, reserved };
      throw Object.assign(new Error('roll back'), { counts: c });
    })
    .catch((err: { counts?: unknown }) => err.counts);
  // three positions reserved (2 units each), all three updates heap-only
  expect(counts).toEqual({ updated: 3, hot: 3, reserved: 6 });
});

it('clusters on the SKU index: CLUSTER gathers each SKU’s positions, and reservations leave them there', async () => {
  const [idx] = await t.db.query<{ clustered: boolean; columns: number }>(
    `SELECT i.indisclustered AS clustered, i.indnatts::int AS columns FROM pg_index i WHERE i.indexrelid = 'inventory_positions_sku_idx'::regclass`,
  );
  expect(idx).toEqual({ clustered: true, columns: 1 });
  const before = await pagesOf(skuOf(7));
  expect(before).toBeGreaterThan(10); // 60 positions of the SKU, each beside other SKUs
  await t.db.query('CLUSTER inventory_positions'); // the index the table records
  const after = await pagesOf(skuOf(7));
  expect(after).toBeLessThanOrEqual(2);
  // orders shipped to addresses near different locations, each reserving there
  for (let i = 0; i < 20; i++) {
    const r = await t.ok(PlaceOrderDocument, {
      input: orderInput({
        lines: [{ sku: skuOf(7), quantity: 1, unitPrice: '1.00' }],
        shippingAddress: { line1: '1 Main St', city: 'New York', postalCode: '10001', countryCode: 'US', geo: { lat: 40 + (i * 3) / 100, lng: -74 } },
      }),
      key: `ps-${i}`,
    }, { role: 'SERVICE' });
    expect(r.placeOrder.userErrors).toEqual([]);
  }
  const spread = await t.db.query<{ n: number }>(`SELECT count(DISTINCT location_id)::int AS n FROM inventory_positions WHERE sku = $1 AND reserved > 0`, [skuOf(7)]);
  expect(spread[0].n).toBeGreaterThan(10);
  expect(await inventoryInvariants(t)).toEqual({ drift: [], negative: 0 });
  // Each reservation is a new version of its row on the row's own page, in the room the fill
  // factor keeps; a page whose dead versions cannot be pruned yet (a snapshot still sees them)
  // fills up, and an update then moves that one row to a page with room (a test run under
  // CI load saw 1 page become 2). The SKU stays gathered: nothing like the pages before.
  const later = await pagesOf(skuOf(7));
  expect(later).toBeLessThanOrEqual(after + 2);
  expect(later).toBeLessThan(before / 2);
});
