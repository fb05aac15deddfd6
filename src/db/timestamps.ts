/**
 * `timestamptz` values as PostgreSQL writes them (DateStyle ISO):
 * `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`, read without regular expressions into the same
 * Date as pg's own parser (postgres-date, which computes the milliseconds the same way). Anything
 * else (BC, years before 1000 or after 9999, infinity) goes to pg's parser. On a page of 20
 * orders, postgres-date's regular expressions were 4 % of the server's CPU (bench/README.md).
 */
export function timestamptzParser(fallback: (text: string) => unknown): (text: string) => unknown {
  return (s: string) => {
    const n = s.length;
    if (n < 22 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) {
      return fallback(s);
    }
    const year = digits(s, 0, 4);
    const month = digits(s, 5, 2);
    const day = digits(s, 8, 2);
    const hour = digits(s, 11, 2);
    const minute = digits(s, 14, 2);
    const second = digits(s, 17, 2);
    if (year < 1000 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return fallback(s);
    let i = 19;
    let ms = 0;
    if (s.charCodeAt(i) === 46 /* . */) {
      const from = i++;
      while (i < n && isDigit(s.charCodeAt(i))) i++;
      if (i === from + 1) return fallback(s);
      ms = 1000 * parseFloat(s.slice(from, i));
    }
    const sign = s.charCodeAt(i);
    if (sign !== 43 /* + */ && sign !== 45 /* - */) return fallback(s);
    const parts = [digits(s, i + 1, 2), 0, 0];
    i += 3;
    for (let p = 1; p < 3 && i < n; p++) {
      if (s.charCodeAt(i) !== 58 /* : */) return fallback(s);
      parts[p] = digits(s, i + 1, 2);
      i += 3;
    }
    if (i !== n || parts[0] < 0 || parts[1] < 0 || parts[2] < 0) return fallback(s);
    const offsetMs = (parts[0] * 3600 + parts[1] * 60 + parts[2]) * 1000 * (sign === 45 ? -1 : 1);
    return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMs);
  };
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** The number written by `len` digits at `at`, or -1 when any of them is not a digit (or missing). */
function digits(s: string, at: number, len: number): number {
  let v = 0;
  for (let k = at; k < at + len; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}
