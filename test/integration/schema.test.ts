import fs from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse } from 'graphql';
import { buildOrdersSchema } from '../../src/schema';
import { unitVector } from '../../src/common/geo';
import { createTestApp, type TestApp } from '../helpers/app';
import { ServiceSdlDocument } from '../generated/graphql';

const committed = fs.readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8');

it('schema.graphql is what the code prints (run `npm run schema` when this fails)', async () => {
  expect(`${printSubgraphSchema(await buildOrdersSchema()).trim()}\n`).toBe(committed);
});

// one app (and database) for the tests below that need one
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('locations table', () => {
  it('keeps each location\'s unit vector, as the planner computes it, when lat and lng are written', async () => {
    const [{ id }] = await t.db.query<{ id: string }>(
      `INSERT INTO locations (code, name, type, lat, lng, methods) VALUES ('UV-1', 'Vector', 'STORE', 40.7128, -74.006, '{SHIP}') RETURNING id`,
    );
    const read = async () => (await t.db.query<{ x: number; y: number; z: number }>('SELECT geo_x AS x, geo_y AS y, geo_z AS z FROM locations WHERE id = $1', [id]))[0];
    const near = (got: { x: number; y: number; z: number }, lat: number, lng: number) => {
      const [x, y, z] = unitVector(lat, lng);
      expect(Math.abs(got.x - x) + Math.abs(got.y - y) + Math.abs(got.z - z)).toBeLessThan(1e-12);
    };
    near(await read(), 40.7128, -74.006);
    await t.db.query('UPDATE locations SET lat = -33.87, lng = 151.21 WHERE id = $1', [id]);
    near(await read(), -33.87, 151.21);
  });
});

describe('_service', () => {
  it('serves schema.graphql plus what federation adds, without a token', async () => {
    const served = (await t.ok(ServiceSdlDocument, {}, null))._service.sdl!;
    // What @apollo/subgraph serves for exactly the committed SDL: the same file with the
    // federation definitions (_Any, _Entity, _Service, link and federation directives) added.
    const fromFile = buildSubgraphSchema({ typeDefs: parse(committed) });
    const expected = (await graphql({ schema: fromFile, source: '{ _service { sdl } }' })).data as { _service: { sdl: string } };
    expect(served).toBe(expected._service.sdl);
    expect(served).toContain('type Order\n  @key(fields: "id")');
  });
});

it('names the contract’s entities with their keys', () => {
  for (const key of [
    'type Order\n  @key(fields: "id")',
    'type FulfillmentPlan\n  @key(fields: "id")',
    'type FulfillmentGroup\n  @key(fields: "id")',
    'type Location\n  @key(fields: "id")',
    'type InventoryPosition\n  @key(fields: "locationId sku")',
  ]) {
    expect(committed).toContain(key);
  }
});
