/**
 * What the benchmarks that need a database or the server share: the database (DATABASE_URL,
 * or embedded PostgreSQL in a given or temporary directory), the server as a process of its
 * own, and its peak RSS while a load runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Database } from '../src/db/database';
import { runMigrations } from '../src/db/migrate';
import { createServices } from '../src/services';
import { silentLogger } from '../src/log';
import { buildDataset, DEFAULT_DATASET } from './dataset';

const ROOT = path.resolve(__dirname, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BenchDatabase {
  url: string;
  /** Stops the embedded server started here; removes its temporary directory unless `keep`. */
  close(opts?: { keep?: boolean }): Promise<void>;
}

/**
 * DATABASE_URL when set; else embedded PostgreSQL on `port`, in `dataDir` (kept) or in a new
 * temporary directory named after `prefix`.
 */
export async function openBenchDatabase(opts: { prefix: string; port: number; dataDir?: string; log: (msg: string) => void }): Promise<BenchDatabase> {
  const external = process.env.DATABASE_URL;
  if (external) return { url: external, close: async () => undefined };
  const temporary = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
  const { startEmbeddedPostgres } = await import('../src/db/embedded.js');
  const pg = await startEmbeddedPostgres({ dataDir, port: opts.port });
  opts.log(`embedded PostgreSQL in ${dataDir}`);
  return {
    url: pg.url,
    close: async ({ keep = false } = {}) => {
      await pg.stop();
      if (!temporary) return;
      if (keep) opts.log(`kept the data in ${dataDir}`);
      else fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface BenchServer {
  proc: ChildProcess;
  base: string;
  stop(): Promise<void>;
}

/**
 * The node flags `npm start` runs the server with (package.json's start script): the
 * benchmarks run it the same way.
 */
function startFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((a) => a.startsWith('--'));
}

/**
 * The built server (`dist/src/main.js`) on 127.0.0.1:`port` in production mode, with the node
 * flags of BENCH_SERVER_ARGS (for example --cpu-prof) and `env` on top; resolves once /health
 * answers (at most 60 s), with the node flags of `npm start` first. `script` runs another
 * built file of the project instead (a benchmark's reference server), with the same flags of
 * `npm start` and no BENCH_SERVER_ARGS.
 */
export async function startServer(opts: { port: number; databaseUrl: string; secret: string; env?: Record<string, string>; log: (msg: string) => void; script?: string }): Promise<BenchServer> {
  const serverArgs = opts.script ? [] : (process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
  // as `npm start` runs it (package.json)
  const proc = spawn(process.execPath, [...startFlags(), ...serverArgs, path.join(ROOT, 'dist', opts.script ?? path.join('src', 'main.js'))], {
    env: {
      ...process.env, DATABASE_URL: opts.databaseUrl, PORT: String(opts.port), HOST: '127.0.0.1', JWT_SECRET: opts.secret, NODE_ENV: 'production', LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${opts.port}`;
  const exited = new Promise((r) => proc.once('exit', r));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; ; i++) {
    if (i > 600) {
      await stop();
      throw new Error('the server did not start');
    }
    if (await fetch(`${base}/health`).then((r) => r.ok).catch(() => false)) break;
    await sleep(100);
  }
  opts.log(`server pid ${proc.pid} on ${base}`);
  return { proc, base, stop };
}

/** Samples a process's RSS every `everyMs` until `stop()`, which returns the peak in bytes (0 if never read). */
export function sampleRss(pid: number, everyMs: number): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      /* gone */
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/**
 * The data set the server benchmarks run on: DATABASE_URL (a database holding one), or
 * BENCH_DATA_DIR (a directory kept by `BENCH_KEEP_DATA=1 npm run bench:dataset`, started on
 * embedded PostgreSQL), or else a new one built here first (BENCH_ORDERS orders, default
 * 100,000: about 25 minutes on this machine). Migrated; `db` is a pool of 10 on it.
 */
export async function openDataset(opts: { prefix: string; port: number; log: (msg: string) => void }): Promise<{ url: string; db: Database; close(): Promise<void> }> {
  const database = await openBenchDatabase({ prefix: opts.prefix, port: opts.port, dataDir: process.env.BENCH_DATA_DIR, log: opts.log });
  const db = Database.connect(database.url, 10);
  const close = async () => {
    await db.close();
    await database.close();
  };
  try {
    await runMigrations(database.url);
    const [{ n, locations }] = await db.query<{ n: number; locations: number }>('SELECT (SELECT count(*)::int FROM orders) AS n, (SELECT count(*)::int FROM locations) AS locations');
    if (n === 0 && locations > 0) throw new Error('the database holds locations but no orders: point the benchmark at a data set from npm run bench:dataset, or at an empty database');
    if (n === 0) {
      const orders = Number(process.env.BENCH_ORDERS ?? DEFAULT_DATASET.orders);
      opts.log(`no orders: building a data set of ${orders} orders first`);
      await buildDataset(db, createServices(db, silentLogger), { ...DEFAULT_DATASET, orders }, opts.log);
    } else {
      // A kept data set carries the rows earlier write runs changed (positions reserved, their
      // index entries no longer all-visible): without this, the availability floor ran at a
      // third of its speed after a few write runs, and every figure drifted with the history.
      opts.log(`${n} orders: vacuuming and analysing the data set first`);
      await db.query('VACUUM (ANALYZE)');
    }
    return { url: database.url, db, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A process's command name and the fields of /proc/<pid>/stat after it (the 3rd onwards). */
function procStat(pid: number | string): { comm: string; fields: string[] } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

/** CPU seconds (user + system) a process has used so far (/proc, clock ticks of 10 ms). */
export function cpuSecondsOf(pid: number): number {
  const { fields } = procStat(pid);
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime and stime: fields 14 and 15 of stat
}

/**
 * CPU seconds used so far by every PostgreSQL process of this machine (embedded or service),
 * those that have exited included: a server process counts the backends it has reaped
 * (cutime and cstime), so the sum does not drop when a pool closes idle connections.
 */
export function databaseCpuSeconds(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { comm, fields: f } = procStat(entry);
      if (comm === 'postgres') total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100; // utime, stime, cutime, cstime
    } catch {
      /* gone */
    }
  }
  return total;
}

/**
 * The checkpoints the database has begun so far, and the full-page images its WAL holds: a
 * checkpoint that begins during a measurement makes the first change of every page after it
 * write the whole page to the WAL, so a run can tell whether its figures met one (in
 * session 12 the slow runs had not). PostgreSQL 17 counts checkpoints in
 * pg_stat_checkpointer, earlier versions in pg_stat_bgwriter.
 */
export async function checkpointCounters(db: Database): Promise<{ checkpoints: number; fullPageImages: number }> {
  const [wal] = await db.query<{ fpi: string }>('SELECT wal_fpi::text AS fpi FROM pg_stat_wal');
  const [{ v17 }] = await db.query<{ v17: boolean }>(`SELECT to_regclass('pg_catalog.pg_stat_checkpointer') IS NOT NULL AS v17`);
  const [c] = await db.query<{ n: string }>(
    v17 ? 'SELECT (num_timed + num_requested)::text AS n FROM pg_stat_checkpointer' : 'SELECT (checkpoints_timed + checkpoints_req)::text AS n FROM pg_stat_bgwriter',
  );
  return { checkpoints: Number(c.n), fullPageImages: Number(wal.fpi) };
}

/** Milliseconds per call of `seconds` spread over `calls`, to two decimals. */
export const msPerCall = (seconds: number, calls: number): number => Math.round((seconds * 1000 * 100) / Math.max(1, calls)) / 100;

/**
 * `concurrency` workers calling `fn` back to back until `seconds` have passed: calls a second,
 * and the median and p99 in ms over all of them.
 */
/** The value at quantile `q` of `sorted` (ascending), or 0 when it is empty. */
const quantile = (sorted: readonly number[], q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] : 0);

/**
 * Latencies by the second of the measurement in which they ended: whether a p99 comes from
 * calls slow all along or from a second or two when everything stalled.
 */
export class LatencyBySecond {
  private readonly seconds: number[][] = [];
  constructor(private readonly t0 = performance.now()) {}

  add(latencyMs: number): void {
    const s = Math.floor((performance.now() - this.t0) / 1000);
    (this.seconds[s] ??= []).push(latencyMs);
  }

  /** The p99 of each second, in ms (whole seconds only: a last partial second is left out). */
  p99s(seconds: number): number[] {
    return this.seconds.slice(0, seconds).map((l) => Math.round(quantile([...(l ?? [])].sort((a, b) => a - b), 0.99)));
  }
}

export async function closedLoop(
  concurrency: number, seconds: number, fn: () => Promise<unknown>, bySecond?: LatencyBySecond,
): Promise<{ calls: number; perSecond: number; p50Ms: number; p99Ms: number }> {
  const latencies: number[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await fn();
      const ms = performance.now() - t;
      latencies.push(ms);
      bySecond?.add(ms);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(quantile(latencies, q) * 10) / 10;
  return { calls: latencies.length, perSecond: Math.round(latencies.length / elapsed), p50Ms: at(0.5), p99Ms: at(0.99) };
}
