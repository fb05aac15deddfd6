import fs from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse } from 'graphql';
import { buildOrdersSchema } from '../../src/schema';
import { createTestApp, type TestApp } from '../helpers/app';
import { ServiceSdlDocument } from '../generated/graphql';

const committed = fs.readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8');

it('schema.graphql is what the code prints (run `npm run schema` when this fails)', async () => {
  expect(`${printSubgraphSchema(await buildOrdersSchema()).trim()}\n`).toBe(committed);
});

describe('_service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

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
