/**
 * The performance benchmarks' data set (issue 8), generated into an empty database: a network
 * of locations around 40 metros in a box the size of the continental US (a tenth of them
 * warehouses), every location holding every SKU (locations x SKUs positions, each with its
 * RECEIPT in the ledger), and orders placed through the real OrderService, so that every
 * order has its lines, its sourced plan, its groups and its reservations exactly as
 * production writes them.
 *
 * Defaults: 200 locations, 2,000 SKUs (400,000 positions), 100,000 orders of 3 lines
 * (300,000 lines) for 10,000 customers. Deterministic for a seed (the order rows' ids and
 * timestamps aside). Progress goes to `progress` every few seconds.
 */
import type { Database } from '../src/db/database';
import type { Services } from '../src/services';
import { recordMovements } from '../src/inventory/ledger';
import type { Principal } from '../src/auth/principal';
import { prng } from '../src/common/prng';

export interface DatasetOptions {
  locations: number;
  skus: number;
  orders: number;
  linesPerOrder: number;
  customers: number;
  /** placeOrder calls in flight at once. */
  concurrency: number;
  seed: number;
}

export const DEFAULT_DATASET: DatasetOptions = { locations: 200, skus: 2000, orders: 100_000, linesPerOrder: 3, customers: 10_000, concurrency: 8, seed: 11 };

export interface Dataset {
  locationIds: string[];
  skus: string[];
  /** Where the locations are (for `availability(near:)` and addresses). */
  metros: { lat: number; lng: number }[];
  customers: string[];
  orders: number;
  positions: number;
  /** Orders the service answered with userErrors (none expected: stock is ample). */
  refused: number;
}

export const skuName = (i: number): string => `BSKU-${String(i).padStart(5, '0')}`;

/** Rows inserted per statement while loading positions. */
const CHUNK = 20_000;

export async function buildDataset(db: Database, services: Services, opts: DatasetOptions, progress: (line: string) => void): Promise<Dataset> {
  if (opts.locations < 1 || opts.skus < opts.linesPerOrder || opts.customers < 1 || opts.concurrency < 1) {
    throw new Error(`the data set needs at least one location, customer and placing slot, and at least ${opts.linesPerOrder} SKUs`);
  }
  const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM locations');
  if (n > 0) throw new Error(`the database already holds ${n} locations: the data set is generated into an empty database only`);
  const rand = prng(opts.seed);

  // ---- locations: clustered around metros, a tenth warehouses (ship only), the rest stores
  const metros = Array.from({ length: 40 }, () => ({ lat: 26 + rand() * 22, lng: -122 + rand() * 50 }));
  const codes: string[] = [];
  const types: string[] = [];
  const lats: number[] = [];
  const lngs: number[] = [];
  for (let i = 0; i < opts.locations; i++) {
    const warehouse = i % 10 === 0;
    const m = metros[i % metros.length];
    codes.push(`${warehouse ? 'BWH' : 'BST'}-${String(i).padStart(4, '0')}`);
    types.push(warehouse ? 'WAREHOUSE' : 'STORE');
    lats.push(m.lat + (rand() - 0.5) * 0.6);
    lngs.push(m.lng + (rand() - 0.5) * 0.6);
  }
  const locs = await db.query<{ id: string; type: string }>(
    `INSERT INTO locations (code, name, type, lat, lng, methods)
     SELECT c, c, t, la, ln, CASE t WHEN 'WAREHOUSE' THEN ARRAY['SHIP'] ELSE ARRAY['SHIP','PICKUP','SAME_DAY'] END
       FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[]) AS v(c, t, la, ln)
     RETURNING id, type`,
    [codes, types, lats, lngs],
  );
  progress(`locations: ${locs.length}`);

  // ---- positions: every location holds every SKU; warehouses deep, stores shallow
  const skus = Array.from({ length: opts.skus }, (_, i) => skuName(i));
  const total = locs.length * skus.length;
  let loaded = 0;
  let batch: { l: string; s: string; q: number }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO inventory_positions (location_id, sku, on_hand) SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[])`,
        [rows.map((r) => r.l), rows.map((r) => r.s), rows.map((r) => r.q)],
      );
      await recordMovements(tx, rows.map((r) => ({ locationId: r.l, sku: r.s, kind: 'RECEIPT' as const, onHandDelta: r.q, reservedDelta: 0 })), {
        actor: 'bench', reason: 'benchmark data set',
      });
    });
    loaded += rows.length;
    progress(`positions: ${loaded} / ${total}`);
  };
  for (const loc of locs) {
    for (const sku of skus) {
      batch.push({ l: loc.id, s: sku, q: loc.type === 'WAREHOUSE' ? 2_000 + Math.floor(rand() * 3_000) : 20 + Math.floor(rand() * 80) });
      if (batch.length >= CHUNK) await flush();
    }
  }
  await flush();
  // what README "Operations" asks after a bulk load: the positions of each SKU together
  // (sourcing and availability read all of a SKU's positions at once)
  const clusterStarted = Date.now();
  await db.query('CLUSTER inventory_positions');
  progress(`positions clustered by SKU in ${Math.round((Date.now() - clusterStarted) / 1000)} s`);

  // ---- orders, through the service: SHIP to an address near a metro, 3 distinct SKUs
  // (popular ones more often: the square of a uniform draw), 1 or 2 units each
  const customers = Array.from({ length: opts.customers }, (_, i) => `bench-customer-${i}`);
  const principal: Principal = { sub: 'bench', role: 'SERVICE', locationIds: [] };
  let placed = 0;
  let refused = 0;
  const orderRand = prng(opts.seed + 1);
  const makeInput = (i: number) => {
    const picked = new Set<number>();
    while (picked.size < opts.linesPerOrder) picked.add(Math.floor(orderRand() ** 2 * skus.length));
    const m = metros[Math.floor(orderRand() * metros.length)];
    return {
      customerId: customers[i % customers.length],
      channel: 'web',
      method: 'SHIP' as const,
      currencyCode: 'USD',
      lines: [...picked].map((s) => ({ sku: skus[s], quantity: 1 + Math.floor(orderRand() * 2), unitPrice: '19.99' })),
      shippingAddress: {
        line1: `${i} Benchmark Ave`, city: 'Metro', postalCode: '10001', countryCode: 'US',
        geo: { lat: m.lat + (orderRand() - 0.5) * 0.4, lng: m.lng + (orderRand() - 0.5) * 0.4 },
      },
    };
  };
  // inputs are drawn in order, so the data set does not depend on which slot finishes first
  const inputs = (function* () {
    for (let i = 0; i < opts.orders; i++) yield { i, input: makeInput(i) };
  })();
  const started = Date.now();
  let lastReport = 0;
  const slot = async () => {
    for (;;) {
      const item = inputs.next();
      if (item.done) return;
      const r = await services.orders.placeOrder(principal, item.value.input, `bench-${opts.seed}-${item.value.i}`);
      if (r.ok) placed++;
      else refused++;
      if (Date.now() - lastReport > 3_000) {
        lastReport = Date.now();
        const rate = Math.round((placed + refused) / ((Date.now() - started) / 1000));
        progress(`orders: ${placed + refused} / ${opts.orders} (${rate} a second)`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, slot));
  progress(`orders: ${placed} placed, ${refused} refused, in ${Math.round((Date.now() - started) / 1000)} s`);
  // as autovacuum would leave it after a while: statistics, and the visibility map that lets
  // the benchmarks' reads use index-only scans (a freshly loaded table has none)
  const vacuumStarted = Date.now();
  await db.query('VACUUM (ANALYZE)');
  progress(`vacuumed and analysed in ${Math.round((Date.now() - vacuumStarted) / 1000)} s`);
  return { locationIds: locs.map((l) => l.id), skus, metros, customers, orders: placed, positions: total, refused };
}
