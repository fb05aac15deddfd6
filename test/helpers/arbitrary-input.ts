/**
 * fast-check arbitraries driven by the schema: for any root field, variables that match its
 * argument types (so they pass GraphQL's own coercion and reach the services) but carry the
 * values services must refuse: empty, very long and non-ASCII strings, extreme numbers,
 * unknown ids, malformed decimals and dates, long lists, nulls where allowed.
 */
import fc from 'fast-check';
import {
  GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType,
  isObjectType, isUnionType, isInterfaceType, type GraphQLField, type GraphQLInputType, type GraphQLOutputType,
} from 'graphql';

const UUIDS = ['00000000-0000-4000-8000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff'];

const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'SHIP', 'US', 'USD', 'SKU-0001', 'web', 'A'.repeat(300), 'x'.repeat(5000)) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom("'; DROP TABLE orders; --", '\u0000', '\uD800', '<script>', '%00', '../../etc/passwd') },
);

const scalars: Record<string, fc.Arbitrary<unknown>> = {
  String: text,
  ID: fc.oneof(fc.constantFrom(...UUIDS), fc.uuid(), text),
  Int: fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom(-2147483648, 2147483647, 0, 100, 101, 10_001, 1_000_000)),
  Float: fc.oneof(
    { weight: 4, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -90, max: 90 }) },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, 90, -90, 180, 91, -181, 1e308, -1e308, 5e-324) },
  ),
  Boolean: fc.boolean(),
  Decimal: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 100_000 }).map((n) => (n / 100).toFixed(2)) },
    fc.constantFrom('0', '0.00', '-1', '9.99', '1e3', '12.345', '99999999999999999999', 'NaN', '', 'abc', '1.', '.5', ' 1'),
    fc.integer({ min: -10_000, max: 10_000 }).map((n) => (n / 100).toFixed(2)),
  ),
  DateTime: fc.oneof(
    fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('2026-13-45T00:00:00Z', 'yesterday', '', '0000-01-01T00:00:00Z'),
  ),
};

export function inputArbitrary(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  if (type instanceof GraphQLNonNull) return inner(type.ofType, depth);
  return fc.oneof({ weight: 4, arbitrary: inner(type, depth) }, { weight: 1, arbitrary: fc.constant(null) });
}

function inner(type: GraphQLInputType, depth: number): fc.Arbitrary<unknown> {
  if (type instanceof GraphQLNonNull) return inner(type.ofType, depth);
  if (type instanceof GraphQLList) {
    const item = inputArbitrary(type.ofType, depth + 1);
    return fc.oneof({ weight: 5, arbitrary: fc.array(item, { maxLength: depth > 1 ? 2 : 4 }) }, { weight: 1, arbitrary: fc.array(item, { minLength: 150, maxLength: 600 }) });
  }
  if (type instanceof GraphQLEnumType) return fc.constantFrom(...type.getValues().map((v) => v.name));
  if (type instanceof GraphQLScalarType) {
    const arb = scalars[type.name];
    if (!arb) throw new Error(`no arbitrary for scalar ${type.name}`);
    return arb;
  }
  if (type instanceof GraphQLInputObjectType) {
    const fields = type.getFields();
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    const required: string[] = [];
    for (const [name, f] of Object.entries(fields)) {
      record[name] = depth > 4 && !(f.type instanceof GraphQLNonNull) ? fc.constant(null) : inputArbitrary(f.type, depth + 1);
      if (f.type instanceof GraphQLNonNull) required.push(name);
    }
    return fc.record(record, { requiredKeys: required });
  }
  throw new Error(`unexpected input type ${String(type)}`);
}

/** A document calling `field` with every argument as a variable, selecting userErrors when the payload has them. */
export function documentFor(operation: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const vars = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  return `${operation} Fuzz${vars ? `(${vars})` : ''} { r: ${field.name}${args ? `(${args})` : ''} ${selection(field.type)} }`;
}

function selection(type: GraphQLOutputType): string {
  let t: GraphQLOutputType = type;
  while (t instanceof GraphQLNonNull || t instanceof GraphQLList) t = t.ofType;
  if (isUnionType(t) || isInterfaceType(t)) return '{ __typename }';
  if (!isObjectType(t)) return '';
  const fields = t.getFields();
  return fields.userErrors ? '{ __typename userErrors { code message field } }' : '{ __typename }';
}

/** Variables for every argument of `field` (absent optional arguments included as undefined). */
export function variablesArbitrary(field: GraphQLField<unknown, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const a of field.args) record[a.name] = inputArbitrary(a.type);
  return fc.record(record, { requiredKeys: field.args.filter((a) => a.type instanceof GraphQLNonNull).map((a) => a.name) });
}
