import { RateLimiter, parseRateLimits, DEFAULT_MUTATION_RATE_LIMITS } from '../../src/rate-limit';
import { loadConfig, ConfigError } from '../../src/config';

describe('RateLimiter', () => {
  let t = 0;
  const clock = () => t;
  beforeEach(() => {
    t = 1_000;
  });

  it('allows a burst, then the rate, per principal', () => {
    const rl = new RateLimiter({ CUSTOMER: { perSecond: 2, burst: 5 } }, 100, clock);
    for (let i = 0; i < 5; i++) expect(rl.take('CUSTOMER', 'c1', 1).ok).toBe(true);
    const refused = rl.take('CUSTOMER', 'c1', 1);
    expect(refused).toEqual({ ok: false, retryAfterMs: 500, limit: { perSecond: 2, burst: 5 } });
    // another customer has a bucket of their own
    expect(rl.take('CUSTOMER', 'c2', 5).ok).toBe(true);
    t += 500; // one token back
    expect(rl.take('CUSTOMER', 'c1', 1).ok).toBe(true);
    expect(rl.take('CUSTOMER', 'c1', 1).ok).toBe(false);
    t += 60_000; // refills to the burst, no further
    expect(rl.take('CUSTOMER', 'c1', 5).ok).toBe(true);
    expect(rl.take('CUSTOMER', 'c1', 1).ok).toBe(false);
  });

  it('takes several tokens at once, or none; more than the burst can never pass', () => {
    const rl = new RateLimiter({ AGENT: { perSecond: 10, burst: 20 } }, 100, clock);
    expect(rl.take('AGENT', 'a', 15).ok).toBe(true);
    const short = rl.take('AGENT', 'a', 10);
    expect(short.ok).toBe(false);
    expect(rl.take('AGENT', 'a', 5).ok).toBe(true); // the refused take cost nothing
    const never = rl.take('AGENT', 'b', 21);
    expect(never.ok === false && never.retryAfterMs).toBe(Infinity);
  });

  it('does not limit roles without a limit', () => {
    const rl = new RateLimiter({ CUSTOMER: { perSecond: 1, burst: 1 } }, 100, clock);
    for (let i = 0; i < 1000; i++) expect(rl.take('SERVICE', 'svc', 1).ok).toBe(true);
    expect(rl.size).toBe(0);
  });

  it('forgets refilled buckets and stays under its cap with many principals', () => {
    const rl = new RateLimiter({ CUSTOMER: { perSecond: 1, burst: 2 } }, 1_000, clock);
    for (let i = 0; i < 5_000; i++) rl.take('CUSTOMER', `c${i}`, 1);
    expect(rl.size).toBeLessThanOrEqual(1_000);
    t += 120_000;
    rl.take('CUSTOMER', 'late', 1);
    expect(rl.size).toBe(1);
  });
});

describe('MUTATION_RATE_LIMITS', () => {
  it('defaults, off, per role overrides and per role off', () => {
    expect(parseRateLimits(undefined)).toEqual(DEFAULT_MUTATION_RATE_LIMITS);
    expect(parseRateLimits('off')).toEqual({});
    const custom = parseRateLimits('customer=1/3, SERVICE=off, AGENT=0.5/10');
    expect(custom.CUSTOMER).toEqual({ perSecond: 1, burst: 3 });
    expect(custom.AGENT).toEqual({ perSecond: 0.5, burst: 10 });
    expect(custom.SERVICE).toBeUndefined();
    expect(custom.STORE).toEqual(DEFAULT_MUTATION_RATE_LIMITS.STORE);
  });

  it('refuses what it cannot read, naming the part', () => {
    expect(() => parseRateLimits('CUSTOMER=5')).toThrow(/"CUSTOMER=5" is not ROLE=RATE\/BURST/);
    expect(() => parseRateLimits('ROOT=1/1')).toThrow(/roles: CUSTOMER/);
    expect(() => parseRateLimits('STORE=0/10')).toThrow(/above 0/);
    expect(() => loadConfig({ MUTATION_RATE_LIMITS: 'STORE=1/0' })).toThrow(ConfigError);
    expect(loadConfig({}).mutationRateLimits).toEqual(DEFAULT_MUTATION_RATE_LIMITS);
  });
});
