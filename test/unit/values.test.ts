import { DecimalScalar, DateTimeScalar, normalizeDecimal } from '../../src/common/scalars';
import { fromUnits, isCurrencyCode, linesTotal, toUnits } from '../../src/common/money';
import fc from 'fast-check';
import { chordKm, haversineFrom, haversineKm, unitVector } from '../../src/common/geo';
import { loadConfig, ConfigError } from '../../src/config';
import { encodeCursor, decodeCursor } from '../../src/orders/order.service';

describe('money and decimals', () => {
  it('normalises and does exact arithmetic', () => {
    expect(normalizeDecimal('019.900')).toBe('19.90');
    expect(normalizeDecimal('5')).toBe('5.00');
    expect(normalizeDecimal('-0.00')).toBe('0.00');
    expect(fromUnits(toUnits('19.99') * 3n)).toBe('59.97');
    expect(fromUnits(toUnits('0.1') + toUnits('0.2'))).toBe('0.30');
    expect(fromUnits(toUnits('-1.2345'))).toBe('-1.2345');
  });
  it('normalises any decimal as a numeric value reads back', () => {
    expect(normalizeDecimal('0000.0000')).toBe('0.00');
    expect(normalizeDecimal('-012.3400')).toBe('-12.34');
    expect(normalizeDecimal('100')).toBe('100.00');
    expect(normalizeDecimal('-0.0001')).toBe('-0.0001');
    // against arithmetic: the decimal normalised reads back as the same number, with no
    // leading zero, no trailing zero past the second fractional digit
    fc.assert(fc.property(fc.boolean(), fc.nat(999_999_999), fc.nat(9999), fc.nat(3), fc.nat(4), (neg, i, f, lead, digits) => {
      const frac = String(f).padStart(4, '0').slice(0, digits);
      const text = `${neg ? '-' : ''}${'0'.repeat(lead)}${i}${digits ? `.${frac}` : ''}`;
      const out = normalizeDecimal(text);
      expect(Number(out)).toBe(Number(text) === 0 ? 0 : Number(text));
      expect(out).toMatch(/^-?(0|[1-9]\d*)\.\d{2,4}$/);
      expect(out).not.toMatch(/\.\d{2}\d*0$/);
      expect(toUnits(out)).toBe(toUnits(text));
    }));
  });
  it('totals lines exactly, in Numbers while they are exact and in BigInts past them', () => {
    expect(linesTotal([{ quantity: 3, cancelledQuantity: 1, unitPrice: '19.9900' }, { quantity: 1, cancelledQuantity: 0, unitPrice: '0.0100' }])).toBe('39.99');
    // 900 billion x 2: past 2^53 units, where Number arithmetic would round
    expect(linesTotal([{ quantity: 2, cancelledQuantity: 0, unitPrice: '999999999999.9999' }])).toBe('1999999999999.9998');
    const line = fc.record({
      quantity: fc.integer({ min: 0, max: 100_000 }),
      cancelledQuantity: fc.integer({ min: 0, max: 100_000 }),
      // prices of every size: most lines total in Numbers, the largest in BigInts
      unitPrice: fc.tuple(fc.oneof(fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: 0n, max: 100_000_000n }), fc.bigInt({ min: 0n, max: 999_999_999_999n })), fc.integer({ min: 0, max: 9999 }))
        .map(([i, f]) => `${i}.${String(f).padStart(4, '0')}`),
    });
    fc.assert(fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
      const exact = lines.reduce((acc, l) => acc + BigInt(l.quantity - l.cancelledQuantity) * toUnits(l.unitPrice), 0n);
      expect(linesTotal(lines)).toBe(fromUnits(exact));
    }), { numRuns: 500 });
  });
  it('parses Decimal input strictly', () => {
    expect(DecimalScalar.parseValue('19.99')).toBe('19.99');
    expect(() => DecimalScalar.parseValue('1e5')).toThrow();
    expect(() => DecimalScalar.parseValue('12.34567')).toThrow();
    expect(() => DecimalScalar.parseValue({})).toThrow();
  });
  it('knows ISO currency codes', () => {
    expect(isCurrencyCode('USD')).toBe(true);
    expect(isCurrencyCode('EUR')).toBe(true);
    expect(isCurrencyCode('XYZ')).toBe(false);
    expect(isCurrencyCode('usd')).toBe(false);
  });
});

describe('DateTime', () => {
  it('serialises to ISO and parses ISO only', () => {
    expect(DateTimeScalar.serialize(new Date(Date.UTC(2026, 10, 26, 16, 8, 33)))).toBe('2026-11-26T16:08:33.000Z');
    expect((DateTimeScalar.parseValue('2026-11-26T16:08:33Z') as Date).toISOString()).toBe('2026-11-26T16:08:33.000Z');
    expect(() => DateTimeScalar.parseValue('yesterday')).toThrow();
  });
});

describe('geo', () => {
  it('measures great-circle distance on the mean radius', () => {
    // New York to Los Angeles is about 3,936 km.
    expect(haversineKm({ lat: 40.7128, lng: -74.006 }, { lat: 34.0522, lng: -118.2437 })).toBeCloseTo(3935.7, 0);
    expect(haversineKm({ lat: 1, lng: 1 }, { lat: 1, lng: 1 })).toBe(0);
  });

  it('measures the same from a fixed point as point to point', () => {
    const from = { lat: 40.7128, lng: -74.006 };
    const measure = haversineFrom(from);
    for (const p of [{ lat: 34.0522, lng: -118.2437 }, { lat: -33.87, lng: 151.21 }, { lat: 40.7128, lng: -74.006 }, { lat: 89.9, lng: 179.9 }]) {
      expect(measure(p)).toBeCloseTo(haversineKm(p, from), 6);
    }
  });
});

describe('distance from unit vectors', () => {
  it('is the haversine distance: to a micrometre within 10,000 km, to a metre anywhere', () => {
    const point = fc.record({ lat: fc.double({ min: -90, max: 90, noNaN: true }), lng: fc.double({ min: -180, max: 180, noNaN: true }) });
    fc.assert(
      fc.property(point, point, (a, b) => {
        const ua = unitVector(a.lat, a.lng);
        const ub = unitVector(b.lat, b.lng);
        const h = haversineKm(a, b);
        // near the antipode the haversine itself (asin close to 1) is only good to millimetres
        expect(Math.abs(chordKm(ua[0], ua[1], ua[2], ub[0], ub[1], ub[2]) - h)).toBeLessThan(h < 10_000 ? 1e-9 : 1e-3);
      }),
      { numRuns: 5000 },
    );
    const ny = unitVector(40.7128, -74.006);
    const la = unitVector(34.0522, -118.2437);
    expect(chordKm(ny[0], ny[1], ny[2], la[0], la[1], la[2])).toBeCloseTo(3935.7, 0);
    expect(chordKm(ny[0], ny[1], ny[2], ny[0], ny[1], ny[2])).toBe(0);
  });
});

describe('cursors', () => {
  it('round-trips and refuses garbage', () => {
    const c = encodeCursor('2026-11-26T16:08:33.123456Z', '7c9e6679-7425-40de-944b-e07fc1f90ae7');
    expect(decodeCursor(c)).toEqual(['2026-11-26T16:08:33.123456Z', '7c9e6679-7425-40de-944b-e07fc1f90ae7']);
    expect(decodeCursor('garbage')).toBeNull();
    expect(decodeCursor(Buffer.from('["x","y"]').toString('base64url'))).toBeNull();
  });
});

describe('config', () => {
  it('has working defaults and rejects bad values clearly', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 4001, nodeEnv: 'development', seedDemo: true, embeddedPgPort: 54329 });
    expect(loadConfig({ DATABASE_URL: 'postgres://x@h/db' }).seedDemo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://x@h/db', SEED_DEMO: '1' }).seedDemo).toBe(true);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/32/);
    expect(loadConfig({ ROUTER_SECRET: 'a, b' }).routerSecrets).toEqual(['a', 'b']);
    expect(c).toMatchObject({ dbPoolSize: 10, subscriptionPoolSize: 4 });
    expect(loadConfig({ SUBSCRIPTION_POOL_SIZE: '2', DB_POOL_SIZE: '20' })).toMatchObject({ dbPoolSize: 20, subscriptionPoolSize: 2 });
    expect(() => loadConfig({ SUBSCRIPTION_POOL_SIZE: '0' })).toThrow(/SUBSCRIPTION_POOL_SIZE/);
  });
});
