/**
 * Configuration: the environment read once, validated, and typed. Nothing else in the
 * service reads process.env.
 */
import path from 'node:path';
import { parseRateLimits, type RateLimits } from './rate-limit';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Config {
  nodeEnv: NodeEnv;
  port: number;
  /** 127.0.0.1 unless HOST says otherwise. */
  host: string;
  /** External PostgreSQL; when absent an embedded server is started under dataDir. */
  databaseUrl?: string;
  /** Where the embedded database and the generated development secret live. */
  dataDir: string;
  /** Port of the embedded PostgreSQL (default 54329, away from a system server on 5432). */
  embeddedPgPort: number;
  jwtSecret?: string;
  /** RS256/ES256 keys for tokens: an https URL (http only on loopback or outside production). */
  jwksUrl?: string;
  /** How long fetched keys are used before they are fetched again: JWKS_CACHE_SECONDS, default 600. */
  jwksCacheSeconds: number;
  jwtIssuer?: string;
  jwtAudience?: string;
  routerSecrets: string[];
  logLevel: LogLevel;
  /** How often the background sweep runs (cart expiry, holds due, acceptance deadlines, backorders); 0 turns it off. */
  sweepIntervalMs: number;
  /** Seed the demo network when the database is empty (default: only on the embedded database). */
  seedDemo: boolean;
  /** Connections of the pool that serves HTTP (queries, mutations, the sweep): DB_POOL_SIZE, default 10. */
  dbPoolSize: number;
  /**
   * Connections of the pool that serves subscriptions (event reads and their fields):
   * SUBSCRIPTION_POOL_SIZE, default 4. Apart so that delivery never queues behind write
   * transactions waiting for a connection.
   */
  subscriptionPoolSize: number;
  /** How long SIGTERM waits for in-flight work before the process exits anyway (SHUTDOWN_TIMEOUT_MS, default 25 s). */
  shutdownTimeoutMs: number;
  /** Mutation rate limits per principal, by role (MUTATION_RATE_LIMITS; see rate-limit.ts). */
  mutationRateLimits: RateLimits;
  /**
   * Queries and mutations over HTTP run compiled (graphql-jit, see execution.ts):
   * GRAPHQL_EXECUTION=compiled, the default; `interpreted` runs them all on graphql-js.
   */
  compiledExecution: boolean;
  /** The customer-service console at /console (console/, built into dist/console): CONSOLE=on, the default, or off. */
  console: boolean;
}

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const databaseUrl = optional(env, 'DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const jwtSecret = optional(env, 'JWT_SECRET');
  if (jwtSecret && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 characters');
  }
  const jwksUrl = optional(env, 'JWKS_URL');
  if (jwksUrl) checkJwksUrl(jwksUrl, nodeEnv);
  if (nodeEnv === 'production' && !jwtSecret && !jwksUrl) {
    throw new ConfigError('production needs JWT_SECRET or JWKS_URL');
  }
  const seedRaw = optional(env, 'SEED_DEMO');
  let mutationRateLimits: RateLimits;
  try {
    mutationRateLimits = parseRateLimits(optional(env, 'MUTATION_RATE_LIMITS'));
  } catch (err) {
    throw new ConfigError(`MUTATION_RATE_LIMITS: ${(err as Error).message}`);
  }
  return {
    nodeEnv,
    port: int(env, 'PORT', 4001, 0, 65535),
    host: optional(env, 'HOST') ?? '127.0.0.1',
    databaseUrl,
    dataDir: path.resolve(optional(env, 'DATA_DIR') ?? '.data'),
    embeddedPgPort: int(env, 'EMBEDDED_PG_PORT', 54329, 1024, 65535),
    jwtSecret,
    jwksUrl,
    jwksCacheSeconds: int(env, 'JWKS_CACHE_SECONDS', 600, 1, 86_400),
    jwtIssuer: optional(env, 'JWT_ISSUER'),
    jwtAudience: optional(env, 'JWT_AUDIENCE'),
    routerSecrets: (optional(env, 'ROUTER_SECRET') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    sweepIntervalMs: int(env, 'SWEEP_INTERVAL_MS', 30_000, 0, 86_400_000),
    seedDemo: seedRaw === undefined ? !databaseUrl : seedRaw === '1' || seedRaw === 'true',
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1, 1000),
    subscriptionPoolSize: int(env, 'SUBSCRIPTION_POOL_SIZE', 4, 1, 1000),
    mutationRateLimits,
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 25_000, 100, 600_000),
    compiledExecution: oneOf(env, 'GRAPHQL_EXECUTION', ['compiled', 'interpreted'] as const, 'compiled') === 'compiled',
    console: oneOf(env, 'CONSOLE', ['on', 'off'] as const, 'on') === 'on',
  };
}

/** A JWKS URL must be http(s); in production https, unless the keys come from this machine. */
function checkJwksUrl(raw: string, nodeEnv: NodeEnv): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('JWKS_URL must be an http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('JWKS_URL must be an http(s) URL');
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\./.test(url.hostname);
  if (nodeEnv === 'production' && url.protocol === 'http:' && !loopback) {
    throw new ConfigError('JWKS_URL must use https in production (http is allowed only on loopback)');
  }
}
