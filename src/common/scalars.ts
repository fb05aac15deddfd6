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

/** "019.900" -> "19.90": strips leading zeros, keeps at least two fractional digits. */
export function normalizeDecimal(s: string): string {
  const neg = s.startsWith('-');
  const [int, frac = ''] = (neg ? s.slice(1) : s).split('.');
  const i = int.replace(/^0+(?=\d)/, '');
  let f = frac.replace(/0+$/, '');
  if (f.length < 2) f = f.padEnd(2, '0');
  const out = `${i}.${f}`;
  return neg && /[1-9]/.test(out) ? `-${out}` : out;
}

export function formatDecimal(n: number): string {
  return normalizeDecimal(n.toFixed(4));
}
