/**
 * What the benchmarks that need a database or the server share: the database (DATABASE_URL,
 * or embedded PostgreSQL in a given or temporary directory), the server as a process of its
 * own, and its peak RSS while a load runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
 * The built server (`dist/src/main.js`) on 127.0.0.1:`port` in production mode, with the node
 * flags of BENCH_SERVER_ARGS (for example --cpu-prof) and `env` on top; resolves once /health
 * answers (at most 60 s).
 */
export async function startServer(opts: { port: number; databaseUrl: string; secret: string; env?: Record<string, string>; log: (msg: string) => void }): Promise<BenchServer> {
  const serverArgs = (process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...serverArgs, path.join(ROOT, 'dist', 'src', 'main.js')], {
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
