/**
 * Schema migrations through TypeORM: one short-lived DataSource that applies whatever is
 * pending (each migration in its own transaction) and closes. TypeORM's advisory lock-free
 * runner is serialised here with pg_advisory_lock so that replicas starting together do
 * not race.
 */
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';

const MIGRATION_LOCK = 7_366_001;

export async function runMigrations(url: string, log: (msg: string) => void = () => undefined): Promise<string[]> {
  const ds = new DataSource({
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    logging: false,
  });
  await ds.initialize();
  try {
    await ds.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      for (const m of applied) log(`migration applied: ${m.name}`);
      return applied.map((m) => m.name);
    } finally {
      await ds.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await ds.destroy();
  }
}
