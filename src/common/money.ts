/** Exact money arithmetic on decimal strings (4 fractional digits, as stored). */
import { normalizeDecimal } from './scalars';

const SCALE = 10_000n;

export function toUnits(decimal: string): bigint {
  const neg = decimal.startsWith('-');
  const [i, f = ''] = (neg ? decimal.slice(1) : decimal).split('.');
  const units = BigInt(i) * SCALE + BigInt((f + '0000').slice(0, 4));
  return neg ? -units : units;
}

/**
 * The units of a decimal string as a Number, or null when they are past Number's exact
 * integers (2^53 - 1 units: about 900 billion).
 */
function toSafeUnits(decimal: string): number | null {
  const neg = decimal.charCodeAt(0) === 45;
  const dot = decimal.indexOf('.');
  const int = decimal.slice(neg ? 1 : 0, dot < 0 ? decimal.length : dot);
  const frac = dot < 0 ? '' : decimal.slice(dot + 1, dot + 5);
  const units = Number(int || '0') * 10_000 + Number(frac.padEnd(4, '0'));
  if (!Number.isSafeInteger(units)) return null;
  return neg ? -units : units;
}

export function fromUnits(units: bigint | number): string {
  if (typeof units === 'number') {
    const abs = Math.abs(units);
    const s = `${Math.floor(abs / 10_000)}.${String(abs % 10_000).padStart(4, '0')}`;
    return normalizeDecimal(units < 0 ? `-${s}` : s);
  }
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const s = `${abs / SCALE}.${(abs % SCALE).toString().padStart(4, '0')}`;
  return normalizeDecimal(neg ? `-${s}` : s);
}

/**
 * Σ (quantity - cancelledQuantity) x unitPrice, exact: in Numbers while every product and
 * partial sum is a safe integer (a product or sum past 2^53 - 1 cannot round back below it),
 * else over again in BigInts.
 */
export function linesTotal(lines: readonly { quantity: number; cancelledQuantity: number; unitPrice: string }[]): string {
  let sum = 0;
  for (const l of lines) {
    const units = toSafeUnits(l.unitPrice);
    const part = units === null ? Number.NaN : (l.quantity - l.cancelledQuantity) * units;
    sum += part;
    if (!Number.isSafeInteger(part) || !Number.isSafeInteger(sum)) {
      return fromUnits(lines.reduce((acc, x) => acc + BigInt(x.quantity - x.cancelledQuantity) * toUnits(x.unitPrice), 0n));
    }
  }
  return fromUnits(sum);
}

let currencies: Set<string> | undefined;

/** ISO 4217 codes known to this Node's ICU. */
export function isCurrencyCode(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return /^[A-Z]{3}$/.test(code) && currencies.has(code);
}
