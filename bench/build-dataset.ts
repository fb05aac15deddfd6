/**
 * Builds the performance data set (bench/dataset.ts) and prints how long each part took, as
 * one JSON line. On embedded PostgreSQL in a temporary directory (removed at the end unless
 * BENCH_KEEP_DATA=1, which keeps it and prints its path), or into DATABASE_URL, which must be
 * an empty, migrated or new database.
 *
 * Options (environment): BENCH_LOCATIONS (200), BENCH_SKUS (2,000), BENCH_ORDERS (100,000),
 * BENCH_CUSTOMERS (10,000), BENCH_CONCURRENCY (8), BENCH_SEED (11), BENCH_PG_PORT (54393).
 * Progress goes to stderr.
 */
import { Database } from '../src/db/database';
import { runMigrations } from '../src/db/migrate';
import { createServices } from '../src/services';
import { silentLogger } from '../src/log';
import { buildDataset, DEFAULT_DATASET, type DatasetOptions } from './dataset';
import { openBenchDatabase } from './harness';

const log = (msg: string) => process.stderr.write(`[bench:dataset] ${msg}\n`);
const num = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
  return n;
};

async function main(): Promise<void> {
  const opts: DatasetOptions = {
    ...DEFAULT_DATASET,
    locations: num('BENCH_LOCATIONS', DEFAULT_DATASET.locations),
    skus: num('BENCH_SKUS', DEFAULT_DATASET.skus),
    orders: num('BENCH_ORDERS', DEFAULT_DATASET.orders),
    customers: num('BENCH_CUSTOMERS', DEFAULT_DATASET.customers),
    concurrency: num('BENCH_CONCURRENCY', DEFAULT_DATASET.concurrency),
    seed: num('BENCH_SEED', DEFAULT_DATASET.seed),
  };
  const database = await openBenchDatabase({ prefix: 'bench-dataset-', port: num('BENCH_PG_PORT', 54393), log });
  const db = Database.connect(database.url, opts.concurrency + 2);
  try {
    await runMigrations(database.url);
    const t0 = Date.now();
    let positionsDoneAt = 0;
    const ds = await buildDataset(db, createServices(db, silentLogger), opts, (line) => {
      if (line.startsWith('orders') && positionsDoneAt === 0) positionsDoneAt = Date.now();
      log(line);
    });
    const seconds = (Date.now() - t0) / 1000;
    const orderSeconds = (Date.now() - (positionsDoneAt || t0)) / 1000;
    const [size] = await db.query<{ bytes: number }>('SELECT pg_database_size(current_database())::float8 AS bytes');
    console.log(JSON.stringify({
      bench: 'dataset', ...opts, positions: ds.positions, ordersPlaced: ds.orders, ordersRefused: ds.refused,
      seconds: Math.round(seconds), positionsSeconds: Math.round((positionsDoneAt ? positionsDoneAt - t0 : 0) / 1000),
      ordersPerSecond: Math.round(ds.orders / orderSeconds), databaseMiB: Math.round(size.bytes / 2 ** 20),
    }));
  } finally {
    await db.close();
    await database.close({ keep: process.env.BENCH_KEEP_DATA === '1' });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
