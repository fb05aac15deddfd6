/** The scalars of the contract: DateTime (ISO-8601) and Decimal (a decimal as a string). */
import { GraphQLScalarType, Kind } from 'graphql';

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant as an ISO-8601 string in UTC, e.g. "2026-11-26T16:08:33.000Z".',
  serialize(value) {
    const d = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(d.getTime())) throw new TypeError('DateTime cannot represent an invalid date');
    return d.toISOString();
  },
  parseValue(value) {
    return parseDate(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new TypeError('DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
});

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parseDate(value: unknown): Date {
  if (typeof value !== 'string' || !ISO.test(value)) throw new TypeError('DateTime must be an ISO-8601 string');
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new TypeError('DateTime must be a valid date');
  return d;
}

const DECIMAL = /^-?\d{1,12}(\.\d{1,4})?$/;

export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal as a string, e.g. "19.99": at most 12 integer and 4 fractional digits.',
  serialize(value) {
    if (typeof value === 'number') return formatDecimal(value);
    if (typeof value === 'string' && DECIMAL.test(value)) return normalizeDecimal(value);
    throw new TypeError('Decimal cannot represent this value');
  },
  parseValue(value) {
    return parseDecimal(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING && ast.kind !== Kind.INT && ast.kind !== Kind.FLOAT) {
      throw new TypeError('Decimal must be a string such as "19.99"');
    }
    return parseDecimal(ast.value);
  },
});

function parseDecimal(value: unknown): string {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !DECIMAL.test(s)) {
    throw new TypeError('Decimal must be a string such as "19.99" (at most 12 integer and 4 fractional digits)');
  }
  return normalizeDecimal(s);
}

/**
 * "019.900" -> "19.90": strips leading zeros, keeps at least two fractional digits. Every
 * amount of every response passes here (twice: Money's resolver and the scalar), so it scans
 * the string rather than splitting it and running regular expressions.
 */
export function normalizeDecimal(s: string): string {
  const neg = s.charCodeAt(0) === 45; // '-'
  let start = neg ? 1 : 0;
  const dot = s.indexOf('.', start);
  const intEnd = dot < 0 ? s.length : dot;
  while (start < intEnd - 1 && s.charCodeAt(start) === 48) start++;
  let fracEnd = s.length;
  if (dot >= 0) while (fracEnd > dot + 1 && s.charCodeAt(fracEnd - 1) === 48) fracEnd--;
  const frac = dot < 0 ? '' : s.slice(dot + 1, fracEnd);
  const out = `${s.slice(start, intEnd)}.${frac.length < 2 ? frac.padEnd(2, '0') : frac}`;
  return neg && /[1-9]/.test(out) ? `-${out}` : out;
}

export function formatDecimal(n: number): string {
  return normalizeDecimal(n.toFixed(4));
}
