/**
 * This subgraph composed with its neighbours (test/fixtures: a products subgraph owning
 * ProductVariant, a customers subgraph owning Customer) by @apollo/composition, as a platform
 * team's supergraph build would: no errors, and no hints (a hint here is a change to review).
 */
import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

const root = path.resolve(__dirname, '..', '..');
const { subgraphs } = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/subgraphs.json'), 'utf8')) as {
  subgraphs: { name: string; schema: string; url: string }[];
};

function compose() {
  return composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(fs.readFileSync(path.join(root, s.schema), 'utf8')) })));
}

describe('composition with the neighbour subgraphs', () => {
  it('composes without errors and without hints', () => {
    const result = compose();
    expect((result.errors ?? []).map((e) => e.message)).toEqual([]);
    expect((result.hints ?? []).map((h) => `${h.definition.code}: ${h.message}`)).toEqual([]);
    expect(result.supergraphSdl).toBeTruthy();
  });

  it('joins each entity to the subgraphs that define it, with the keys they declare', () => {
    const sdl = compose().supergraphSdl!;
    const joins = (type: string) => {
      const m = new RegExp(`^type ${type}\\n((?:\\s+@join__type[^\\n]*\\n)+)`, 'm').exec(sdl);
      return (m?.[1] ?? '').trim().split('\n').map((l) => l.trim()).sort();
    };
    // the neighbours own these; this subgraph resolves them by the same key, to contribute fields
    expect(joins('ProductVariant')).toEqual(['@join__type(graph: ORDERS, key: "sku")', '@join__type(graph: PRODUCTS, key: "sku")']);
    expect(joins('Customer')).toEqual(['@join__type(graph: CUSTOMERS, key: "id")', '@join__type(graph: ORDERS, key: "id")']);
    expect(joins('Order')).toEqual(['@join__type(graph: ORDERS, key: "id")']);
  });

  it('gives Customer and ProductVariant fields from both sides: the neighbours’ own, and the orders and availability this one contributes', () => {
    const sdl = compose().supergraphSdl!;
    const body = (type: string) => new RegExp(`^type ${type}\\n[^{]*\\{\\n([^}]*)\\}`, 'm').exec(sdl)?.[1] ?? '';
    expect(body('Customer')).toMatch(/name: String! @join__field\(graph: CUSTOMERS\)/);
    expect(body('Customer')).toMatch(/orders\(first: Int, after: String, status: \[OrderStatus!\]\): OrderConnection! @join__field\(graph: ORDERS\)/);
    expect(body('ProductVariant')).toMatch(/name: String! @join__field\(graph: PRODUCTS\)/);
    expect(body('ProductVariant')).toMatch(/availability\(near: GeoPointInput, method: FulfillmentMethod, radiusKm: Float\): Availability! @join__field\(graph: ORDERS\)/);
  });
});
