/**
 * Liveness and readiness for orchestrators. Live: the process serves HTTP. Ready: the
 * database answers (within 2 s), every migration this build knows is applied, and the
 * outbox listener is connected where subscriptions are served; each check is reported.
 */
import type { Database } from './db/database';
import type { EventHub } from './events/hub';
import { migrations } from '../migrations';

export interface Readiness {
  ready: boolean;
  checks: { database: string; migrations: string; listener: string };
}

const within = <T>(ms: number, p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

export async function readiness(db: Database, hub: EventHub | null | undefined): Promise<Readiness> {
  const checks = { database: 'ok', migrations: 'ok', listener: hub ? (hub.listening ? 'ok' : 'disconnected, reconnecting') : 'not served here' };
  try {
    const applied = new Set((await within(2000, db.query<{ name: string }>('SELECT name FROM migrations'))).map((r) => r.name));
    const missing = migrations.map((m) => m.name).filter((name) => !applied.has(name));
    if (missing.length) checks.migrations = `missing: ${missing.join(', ')}`;
  } catch (err) {
    checks.database = `unavailable: ${(err as Error).message}`;
    checks.migrations = 'unknown';
  }
  return { ready: checks.database === 'ok' && checks.migrations === 'ok' && checks.listener !== 'disconnected, reconnecting', checks };
}
