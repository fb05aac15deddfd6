/**
 * The performance benchmarks' data set generator (bench/dataset.ts), at a small scale: every
 * position and order lands, orders are placed through the real service (plans, groups,
 * reservations), the ledger balances, and a database that already holds data is refused.
 */
import { createTestApp, type TestApp } from '../helpers/app';
import { inventoryInvariants } from '../helpers/fixtures';
import { buildDataset, type DatasetOptions } from '../../bench/dataset';

let t: TestApp;
const opts: DatasetOptions = { locations: 12, skus: 40, orders: 150, linesPerOrder: 3, customers: 20, concurrency: 4, seed: 5 };
const progress: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

it('loads every position with its receipt and places every order through the service', async () => {
  const ds = await buildDataset(t.db, t.services, opts, (line) => progress.push(line));
  expect(ds.refused).toBe(0);
  expect(ds.orders).toBe(150);
  expect(ds.positions).toBe(12 * 40);
  const [counts] = await t.db.query<Record<string, number>>(`
    SELECT (SELECT count(*)::int FROM locations) AS locations,
           (SELECT count(*)::int FROM inventory_positions) AS positions,
           (SELECT count(*)::int FROM inventory_movements WHERE kind = 'RECEIPT') AS receipts,
           (SELECT count(*)::int FROM orders) AS orders,
           (SELECT count(*)::int FROM order_lines) AS lines,
           (SELECT count(*)::int FROM fulfillment_plans WHERE active) AS plans,
           (SELECT count(DISTINCT customer_id)::int FROM orders) AS customers,
           (SELECT count(*)::int FROM orders o WHERE NOT EXISTS (SELECT 1 FROM fulfillment_groups g WHERE g.order_id = o.id)) AS without_groups`);
  expect(counts).toEqual({ locations: 12, positions: 480, receipts: 480, orders: 150, lines: 450, plans: 150, customers: 20, without_groups: 0 });
  // the orders hold stock: reservations were written, and the ledger agrees with the positions
  const [{ reserved }] = await t.db.query<{ reserved: number }>('SELECT sum(reserved)::int AS reserved FROM inventory_positions');
  expect(reserved).toBeGreaterThan(150 * 3 - 1);
  const inv = await inventoryInvariants(t);
  expect(inv.drift).toEqual([]);
  expect(inv.negative).toBe(0);
  expect(progress.some((l) => l.startsWith('positions: 480 / 480'))).toBe(true);
  expect(progress[progress.length - 2]).toMatch(/^orders: 150 placed, 0 refused/);
  expect(progress[progress.length - 1]).toMatch(/^vacuumed and analysed in \d+ s$/);
  // analysed: the planner knows the positions' size
  const [{ analysed }] = await t.db.query<{ analysed: boolean }>(
    `SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL AS analysed FROM pg_stat_user_tables WHERE relname = 'inventory_positions'`,
  );
  expect(analysed).toBe(true);
});

it('refuses a database that already holds locations, and changes nothing', async () => {
  const [{ before }] = await t.db.query<{ before: number }>('SELECT count(*)::int AS before FROM inventory_positions');
  await expect(buildDataset(t.db, t.services, opts, () => undefined)).rejects.toThrow('the database already holds 12 locations');
  const [{ after }] = await t.db.query<{ after: number }>('SELECT count(*)::int AS after FROM inventory_positions');
  expect(after).toBe(before);
});

it('refuses options it cannot honour', async () => {
  await expect(buildDataset(t.db, t.services, { ...opts, skus: 2 }, () => undefined)).rejects.toThrow('at least 3 SKUs');
});
