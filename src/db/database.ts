/**
 * The SQL layer every service talks to: a pg pool, parameterised statements, and one
 * transaction helper. Services write SQL directly (guarded UPDATEs, ANY($1) batches,
 * unnest() bulk inserts) because the rules they enforce live in the statements themselves;
 * TypeORM owns the migrations (see db/migrate.ts).
 */
import pg from 'pg';

// int8 (bigserial ids, count(*)) as JS numbers: every such value here stays far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface Queryable {
  /** Runs one statement and returns its rows. A `name` makes it a prepared statement. */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[], name?: string): Promise<R[]>;
}

/** PostgreSQL SQLSTATEs after which the whole transaction may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']);

export class Tx implements Queryable {
  constructor(private readonly client: pg.PoolClient) {}

  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
    const res = await this.client.query(name ? { name, text, values: params as unknown[] } : { text, values: params as unknown[] });
    return res.rows as R[];
  }

  /** Runs `fn` inside a savepoint; on error the savepoint is rolled back and the error rethrown. */
  async savepoint<T>(fn: () => Promise<T>): Promise<T> {
    await this.client.query('SAVEPOINT sp');
    try {
      const out = await fn();
      await this.client.query('RELEASE SAVEPOINT sp');
      return out;
    } catch (err) {
      await this.client.query('ROLLBACK TO SAVEPOINT sp');
      throw err;
    }
  }
}

export class Database implements Queryable {
  constructor(readonly pool: pg.Pool) {}

  static connect(url: string, max = 10): Database {
    const pool = new pg.Pool({ connectionString: url, max, application_name: 'orders-subgraph' });
    // An idle client that loses its server must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    return new Database(pool);
  }

  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
    const res = await this.pool.query(name ? { name, text, values: params as unknown[] } : { text, values: params as unknown[] });
    return res.rows as R[];
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction. Deadlocks and serialization failures run
   * the whole function again (at most `retries` times), so `fn` must not have effects outside
   * the database. NOTIFYs issued inside are delivered by PostgreSQL only on commit.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>, retries = 3): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(new Tx(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < retries) continue;
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
