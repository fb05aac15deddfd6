/**
 * `npm run bench`: every benchmark, one after the other, each printing its JSON lines to
 * stdout (progress goes to stderr):
 * 1. sourcing: the planner on generated networks (no database);
 * 2. subscriptions: WebSocket subscribers against the server (its own temporary database);
 * 3. the data set (bench/dataset.ts) on embedded PostgreSQL, in BENCH_DATA_DIR (kept, and
 *    reused when it already holds one) or in a temporary directory (removed at the end unless
 *    BENCH_KEEP_DATA=1); built when empty, with BENCH_ORDERS orders (default 100,000);
 * 4. read and 5. write (placeOrder) against that data set, each beside its floor. The write
 *    benchmark runs last: it adds orders to the data set.
 *
 * BENCH_ONLY picks some of them (comma-separated: sourcing, subscriptions, read, write). With
 * DATABASE_URL set, steps 3 to 5 use that database instead (empty, or holding a data set).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Database } from '../src/db/database';
import { runMigrations } from '../src/db/migrate';
import { openBenchDatabase } from './harness';

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const STEPS = ['sourcing', 'subscriptions', 'read', 'write'] as const;

/** Runs dist/bench/<name>.js with `env` on top of this process's; rejects when it fails. */
function run(name: string, env: Record<string, string | undefined>): Promise<void> {
  return new Promise((resolve, reject) => {
    log(`---- ${name}`);
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(__dirname, `${name}.js`)], { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) {
        log(`${name}: done in ${Math.round((Date.now() - started) / 1000)} s`);
        resolve();
      } else reject(new Error(`bench ${name} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

async function main(): Promise<void> {
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of only) if (!(STEPS as readonly string[]).includes(s)) throw new Error(`BENCH_ONLY: no benchmark "${s}" (benchmarks: ${STEPS.join(', ')})`);
  const wants = (s: (typeof STEPS)[number]) => only.length === 0 || only.includes(s);

  if (wants('sourcing')) await run('sourcing', {});
  // its own temporary database: it seeds the demo network into an empty one
  if (wants('subscriptions')) await run('subscriptions', { DATABASE_URL: undefined });
  if (!wants('read') && !wants('write')) return;

  const database = await openBenchDatabase({ prefix: 'bench-all-', port: Number(process.env.BENCH_PG_PORT ?? 54396), dataDir: process.env.BENCH_DATA_DIR, log });
  try {
    await runMigrations(database.url);
    const db = Database.connect(database.url, 1);
    const [{ orders }] = await db.query<{ orders: number }>('SELECT count(*)::int AS orders FROM orders');
    await db.close();
    const env = { DATABASE_URL: database.url, BENCH_DATA_DIR: undefined };
    if (orders === 0) await run('build-dataset', env);
    else log(`the data set is there: ${orders} orders`);
    if (wants('read')) await run('read', env);
    if (wants('write')) await run('write', env);
  } finally {
    await database.close({ keep: process.env.BENCH_KEEP_DATA === '1' });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
