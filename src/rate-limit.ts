/**
 * Mutation rate limits per principal: a token bucket per (role, sub), refilled at the role's
 * rate up to its burst. Each mutation root field of an operation takes one token (aliases
 * count: twenty aliased placeOrder fields are twenty mutations); an operation that needs more
 * than its principal has left is refused whole, before anything runs, with RATE_LIMITED,
 * HTTP 429 and Retry-After.
 *
 * The buckets live in this process: with N replicas behind a router a principal gets up to N
 * times its rate. Full buckets are forgotten (a fresh one is the same), so memory follows the
 * principals active in the last `burst / rate` seconds, with a hard cap.
 */
import type { Role } from './auth/principal';

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: how many mutations may come at once after a quiet spell. */
  burst: number;
}

/** A role absent from the map is not limited. */
export type RateLimits = Partial<Record<Role, RateLimit>>;

export const DEFAULT_MUTATION_RATE_LIMITS: RateLimits = {
  CUSTOMER: { perSecond: 2, burst: 20 },
  STORE: { perSecond: 20, burst: 100 },
  AGENT: { perSecond: 20, burst: 100 },
  ADMIN: { perSecond: 50, burst: 200 },
  SERVICE: { perSecond: 500, burst: 2000 },
};

const ROLE_NAMES: readonly Role[] = ['CUSTOMER', 'STORE', 'AGENT', 'SERVICE', 'ADMIN'];

/**
 * Parses MUTATION_RATE_LIMITS: "off", or comma-separated ROLE=RATE/BURST (per second),
 * e.g. "CUSTOMER=2/20,SERVICE=500/2000" (roles not named keep their defaults) and
 * ROLE=off to lift one role's limit. Throws with the offending part.
 */
export function parseRateLimits(raw: string | undefined): RateLimits {
  if (raw === undefined || raw.trim() === '') return { ...DEFAULT_MUTATION_RATE_LIMITS };
  if (raw.trim().toLowerCase() === 'off') return {};
  const limits: RateLimits = { ...DEFAULT_MUTATION_RATE_LIMITS };
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Z]+)=(?:(off)|(\d+(?:\.\d+)?)\/(\d+))$/i.exec(part);
    const role = m?.[1].toUpperCase() as Role | undefined;
    if (!m || !role || !ROLE_NAMES.includes(role)) {
      throw new Error(`"${part}" is not ROLE=RATE/BURST or ROLE=off (roles: ${ROLE_NAMES.join(', ')})`);
    }
    if (m[2]) {
      delete limits[role];
      continue;
    }
    const perSecond = Number(m[3]);
    const burst = Number(m[4]);
    if (!(perSecond > 0) || perSecond > 1e6 || burst < 1 || burst > 1e6) {
      throw new Error(`"${part}": the rate must be above 0 and the burst at least 1 (both at most 1,000,000)`);
    }
    limits[role] = { perSecond, burst };
  }
  return limits;
}

interface Bucket {
  tokens: number;
  at: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number; limit: RateLimit };

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweptAt = 0;

  constructor(
    private readonly limits: RateLimits,
    private readonly maxPrincipals = 100_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes `n` tokens from the principal's bucket, or none and says when there will be enough. */
  take(role: Role, sub: string, n: number): Take {
    const limit = this.limits[role];
    if (!limit || n <= 0) return { ok: true };
    const t = this.now();
    if (t - this.sweptAt > 60_000) this.sweep(t, false);
    const key = `${role}\u0000${sub}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxPrincipals) this.sweep(t, true);
      bucket = { tokens: limit.burst, at: t };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((t - bucket.at) / 1000) * limit.perSecond);
      bucket.at = t;
    }
    if (n > limit.burst) return { ok: false, retryAfterMs: Infinity, limit };
    if (bucket.tokens < n) return { ok: false, retryAfterMs: Math.ceil(((n - bucket.tokens) / limit.perSecond) * 1000), limit };
    bucket.tokens -= n;
    return { ok: true };
  }

  /** Principals currently tracked (tests, metrics). */
  get size(): number {
    return this.buckets.size;
  }

  /** Forgets the buckets that have refilled; when `hard`, also the oldest half if still full. */
  private sweep(t: number, hard: boolean): void {
    this.sweptAt = t;
    for (const [key, b] of this.buckets) {
      const limit = this.limits[key.slice(0, key.indexOf('\u0000')) as Role];
      if (!limit || b.tokens + ((t - b.at) / 1000) * limit.perSecond >= limit.burst) this.buckets.delete(key);
    }
    if (hard && this.buckets.size >= this.maxPrincipals) {
      let drop = Math.ceil(this.buckets.size / 2);
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}
