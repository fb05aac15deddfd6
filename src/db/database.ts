/**
 * The SQL layer every service talks to: a pg pool, parameterised statements, and one
 * transaction helper. Services write SQL directly (guarded UPDATEs, ANY($1) batches,
 * unnest() bulk inserts) because the rules they enforce live in the statements themselves;
 * TypeORM owns the migrations (see db/migrate.ts).
 */
import pg from 'pg';
import { timestamptzParser } from './timestamps';

// int8 (bigserial ids, count(*)) as JS numbers: every such value here stays far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// timestamptz: the same Dates as pg's parser, read faster (db/timestamps.ts); set once per
// process, pg's own kept as `fallback` (for what the fast one does not read, and for tests)
if (!('fallback' in pg.types.getTypeParser(1184))) {
  const own = pg.types.getTypeParser(1184);
  pg.types.setTypeParser(1184, Object.assign(timestamptzParser(own), { fallback: own }));
}

export interface Queryable {
  /** Runs one statement and returns its rows. A `name` makes it a prepared statement. */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[], name?: string): Promise<R[]>;
}

/** Socket errors and SQLSTATEs that mean the server is down, restarting or unreachable. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300',
]);

/**
 * Whether an error means the database could not be reached or went away (as opposed to a
 * statement that failed): those are answered 503 SERVICE_UNAVAILABLE, and the pool and the
 * listener reconnect by themselves when it is back.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i.test(message);
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

function openPool(url: string, max: number, options?: string): pg.Pool {
  // connecting gives up after 5 s: with the database gone a request fails, it does not hang
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'orders-subgraph', connectionTimeoutMillis: 5_000, ...(options ? { options } : {}) });
  // An idle client that loses its server must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs statements on a pool: what `Database.keyed` hands out. */
class PoolQueryable implements Queryable {
  constructor(private readonly pool: pg.Pool) {}
  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
    const res = await this.pool.query(name ? { name, text, values: params as unknown[] } : { text, values: params as unknown[] });
    return res.rows as R[];
  }
}

export class Database implements Queryable {
  private readonly main: PoolQueryable;
  private keyedPool?: pg.Pool;
  private keyedQueryable?: Queryable;

  constructor(readonly pool: pg.Pool, private readonly connection?: { url: string; max: number }) {
    this.main = new PoolQueryable(pool);
  }

  static connect(url: string, max = 10): Database {
    return new Database(openPool(url, max), { url, max });
  }

  /**
   * Where the DataLoaders' keyed reads run (`WHERE id = ANY($1)` and the like): a second pool
   * of the same size, made on first use, whose sessions plan every prepared statement once
   * (plan_cache_mode = force_generic_plan). PostgreSQL otherwise plans a statement with an
   * array parameter again on every execution, because its estimate for a one-element array
   * always beats the generic plan's; on a deep order read that planning was most of the
   * database's work. Only statements whose best plan does not depend on the values belong
   * here: no `$1 IS NULL OR ...` filters, which a generic plan cannot use an index for.
   * A Database made from a bare pool has no second pool: keyed reads use the pool itself.
   */
  get keyed(): Queryable {
    if (!this.connection) return this;
    if (!this.keyedQueryable) {
      this.keyedPool = openPool(this.connection.url, this.connection.max, '-c plan_cache_mode=force_generic_plan');
      this.keyedQueryable = new PoolQueryable(this.keyedPool);
    }
    return this.keyedQueryable;
  }

  query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
    return this.main.query<R>(text, params, name);
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction. Deadlocks and serialization failures run
   * the whole function again (at most `retries` times), so `fn` must not have effects outside
   * the database. NOTIFYs issued inside are delivered by PostgreSQL only on commit.
   *
   * `genericPlans`: every prepared statement of the transaction runs on its generic plan,
   * planned once per connection (SET LOCAL in BEGIN's own round trip). For a hot transaction
   * whose statements are all keyed (no `$1 IS NULL OR ...` filter): see `keyed` for why.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>, opts: { retries?: number; genericPlans?: boolean } = {}): Promise<T> {
    const retries = opts.retries ?? 3;
    const begin = opts.genericPlans ? 'BEGIN; SET LOCAL plan_cache_mode = force_generic_plan' : 'BEGIN';
    for (let attempt = 0; ; attempt++) {
      const client = await this.pool.connect();
      // A checked-out client has no error listener of the pool's: a server that goes away
      // between two statements (a restart) would emit 'error' with no one listening, which
      // ends the process. The next statement fails instead, and the client is discarded.
      let broken = false;
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query(begin);
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
        client.removeListener('error', onError);
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.keyedPool?.end()]);
  }
}
