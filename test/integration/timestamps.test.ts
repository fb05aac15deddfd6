/**
 * timestamptz values are read by db/timestamps.ts instead of pg's parser (postgres-date): the
 * same Date for every text PostgreSQL writes, in any session time zone, and for random texts
 * of the same shape; whatever else it is given goes to pg's parser.
 */
import pg from 'pg';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import '../../src/db/database';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase(1);
});
afterAll(() => tdb.drop());

const fast = pg.types.getTypeParser(1184) as ((text: string) => unknown) & { fallback: (text: string) => unknown };
const same = (text: string) => {
  const a = fast(text);
  const b = fast.fallback(text);
  return a instanceof Date && b instanceof Date ? (Number.isNaN(a.getTime()) && Number.isNaN(b.getTime())) || a.getTime() === b.getTime() : a === b;
};

it('reads every timestamptz PostgreSQL writes, in several time zones, as pg’s parser does', async () => {
  const client = new pg.Client({ connectionString: tdb.url });
  await client.connect();
  try {
    const texts: string[] = [];
    for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'Africa/Monrovia', 'Europe/Amsterdam']) {
      await client.query(`SET TimeZone = '${zone}'`);
      const { rows } = await client.query<{ t: string }>(
        `SELECT t::text AS t FROM (
           SELECT now() AS t UNION ALL SELECT '1999-12-31 23:59:59.999999+00' UNION ALL SELECT '2026-03-29 01:30:00.5+00'
           UNION ALL SELECT '1000-01-01 00:00:00+00' UNION ALL SELECT '9999-12-31 23:59:59.123456+00' UNION ALL SELECT '0050-06-01 12:00:00+00'
           UNION ALL SELECT '0044-03-15 12:00:00+00 BC' UNION ALL SELECT 'infinity' UNION ALL SELECT '-infinity'
           UNION ALL SELECT '1900-01-01 00:00:00+00' UNION ALL SELECT '1970-01-01 00:00:00.000001+00'
           UNION ALL SELECT g FROM generate_series('2020-01-01'::timestamptz, '2021-01-01', '7 days 3 hours 17 minutes 0.123457 seconds') g
         ) x`,
      );
      texts.push(...rows.map((r) => r.t));
    }
    expect(texts.length).toBeGreaterThan(300);
    expect(texts.some((t) => /\+05:30$/.test(t)) && texts.some((t) => / BC$/.test(t)) && texts.some((t) => t === 'infinity')).toBe(true);
    const differing = texts.filter((t) => !same(t));
    expect(differing).toEqual([]);
    // and what the pool hands back is that Date
    const { rows } = await client.query<{ t: Date }>(`SELECT '2026-11-27 10:11:12.345678+05:30'::timestamptz AS t`);
    expect(rows[0].t.toISOString()).toBe('2026-11-27T04:41:12.345Z');
  } finally {
    await client.end();
  }
});

it('reads random texts of that shape, and anything else, as pg’s parser does', () => {
  const two = fc.integer({ min: 0, max: 99 }).map((v) => String(v).padStart(2, '0'));
  const shaped = fc.tuple(
    fc.integer({ min: 0, max: 12000 }).map((y) => String(y).padStart(4, '0')), two, two, two, two, two,
    fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 7 })),
    fc.constantFrom('+', '-', 'Z', ''), two, fc.option(two), fc.option(two), fc.constantFrom('', ' BC', 'x'),
  ).map(([y, mo, d, h, mi, s, f, sign, zh, zm, zs, tail]) =>
    `${y}-${mo}-${d} ${h}:${mi}:${s}${f === null ? '' : `.${f}`}${sign}${zh}${zm === null ? '' : `:${zm}`}${zm !== null && zs !== null ? `:${zs}` : ''}${tail}`);
  fc.assert(fc.property(fc.oneof(shaped, fc.string({ maxLength: 40 })), (text) => same(text)), { numRuns: 20000 });
});
