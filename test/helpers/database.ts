/**
 * A database of the test file's own: created from the run's PostgreSQL (embedded, or the
 * server DATABASE_URL points at), migrated with the real migrations, dropped afterwards.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { Database } from '../../src/db/database';
import { runMigrations } from '../../src/db/migrate';

export interface TestDatabase {
  url: string;
  db: Database;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTestDatabase(poolSize = 20): Promise<TestDatabase> {
  const admin = process.env.TEST_PG_ADMIN_URL;
  if (!admin) throw new Error('TEST_PG_ADMIN_URL is not set: run the tests through jest (test/global-setup.mjs)');
  const name = `orders_t_${crypto.randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = withDatabase(admin, name);
  await runMigrations(url);
  const db = Database.connect(url, poolSize);
  return {
    url,
    db,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
