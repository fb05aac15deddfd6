/** Exact money arithmetic on decimal strings (4 fractional digits, as stored). */
import { normalizeDecimal } from './scalars';

const SCALE = 10_000n;

export function toUnits(decimal: string): bigint {
  const neg = decimal.startsWith('-');
  const [i, f = ''] = (neg ? decimal.slice(1) : decimal).split('.');
  const units = BigInt(i) * SCALE + BigInt((f + '0000').slice(0, 4));
  return neg ? -units : units;
}

export function fromUnits(units: bigint): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const s = `${abs / SCALE}.${(abs % SCALE).toString().padStart(4, '0')}`;
  return normalizeDecimal(neg ? `-${s}` : s);
}

let currencies: Set<string> | undefined;

/** ISO 4217 codes known to this Node's ICU. */
export function isCurrencyCode(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return /^[A-Z]{3}$/.test(code) && currencies.has(code);
}
