/** Sourcing rules as data, through GraphQL: the same-day story with no code change. */
import { createTestApp, type TestApp } from '../helpers/app';
import { makeLocation, orderInput, stock } from '../helpers/fixtures';
import {
  DeleteSourcingRuleDocument, PlaceOrderDocument, PreviewSourcingDocument, SimulateSourcingRuleDocument, SourcingRulesDocument, UpsertSourcingRuleDocument,
  type SourcingRuleInput,
} from '../generated/graphql';

let t: TestApp;
let store: string;
let farStore: string;
let warehouse: string;
const ADMIN = { role: 'ADMIN' as const, sub: 'ops' };
const SERVICE = { role: 'SERVICE' as const };
let n = 0;

const sameDay: SourcingRuleInput = {
  name: 'Same day from stores within 15 km',
  priority: 10,
  match: { methods: ['SAME_DAY'] },
  candidates: { locationTypes: ['STORE'], maxDistanceKm: 15 },
  cost: { perShipment: 4, perUnit: 0.5, perUnitKm: 0.05, perShipmentKm: 0.2, priorityWeight: 0 },
  constraints: { maxShipments: 1 },
  fallback: 'REJECT',
};

beforeAll(async () => {
  t = await createTestApp();
  store = (await makeLocation(t, { code: 'ST-NEAR', type: 'STORE', lat: 40.7505, lng: -73.9934, methods: ['SHIP', 'PICKUP', 'SAME_DAY'] })).id;
  farStore = (await makeLocation(t, { code: 'ST-FAR', type: 'STORE', lat: 41.88, lng: -87.63, methods: ['SHIP', 'PICKUP', 'SAME_DAY'] })).id;
  warehouse = (await makeLocation(t, { code: 'WH', type: 'WAREHOUSE', lat: 40.52, lng: -74.41, methods: ['SHIP', 'SAME_DAY'] })).id;
  await stock(t, [store, farStore, warehouse].map((l) => ({ locationId: l, sku: 'SD-1', onHand: 50 })));
});
afterAll(() => t.close());

const place = (over: Parameters<typeof orderInput>[0]) => t.ok(PlaceOrderDocument, { input: orderInput(over), key: `sr-${++n}` }, SERVICE).then((r) => r.placeOrder);

it('validates a rule with field paths', async () => {
  const r = await t.ok(UpsertSourcingRuleDocument, {
    input: { ...sameDay, name: '', priority: 5000, match: { countryCodes: ['usa'] }, candidates: { maxDistanceKm: -1 }, cost: { ...sameDay.cost, perUnit: -1 }, constraints: { maxShipments: 0 } },
  }, ADMIN);
  expect(r.upsertSourcingRule.userErrors.map((e) => e.field)).toEqual([
    ['input', 'name'], ['input', 'priority'], ['input', 'match', 'countryCodes', '0'], ['input', 'candidates', 'maxDistanceKm'], ['input', 'cost', 'perUnit'],
    ['input', 'constraints', 'maxShipments'],
  ]);
  const denied = await t.exec(UpsertSourcingRuleDocument, { input: sameDay }, SERVICE);
  expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

it('adds a same-day channel with one mutation: simulate, save, and the next order uses it', async () => {
  // some history to replay
  for (let i = 0; i < 4; i++) await place({ method: 'SAME_DAY', lines: [{ sku: 'SD-1', quantity: 1, unitPrice: '1' }] });
  const sim = await t.ok(SimulateSourcingRuleDocument, { rule: sameDay, lastOrders: 50 }, ADMIN);
  expect(sim.simulateSourcingRule.userErrors).toEqual([]);
  expect(sim.simulateSourcingRule.ordersMatched).toBe(4);
  expect(sim.simulateSourcingRule.draft!.fillRate).toBe(1);
  expect(sim.simulateSourcingRule.draft!.meanDistanceKm).toBeLessThan(15);
  expect(sim.simulateSourcingRule.served!.orders).toBe(4);

  const saved = await t.ok(UpsertSourcingRuleDocument, { input: sameDay }, ADMIN);
  expect(saved.upsertSourcingRule.userErrors).toEqual([]);
  const rule = saved.upsertSourcingRule.sourcingRule!;
  expect(rule).toMatchObject({ version: 1, priority: 10, fallback: 'REJECT', candidates: { locationTypes: ['STORE'], maxDistanceKm: 15 } });

  const near = await place({ method: 'SAME_DAY', lines: [{ sku: 'SD-1', quantity: 2, unitPrice: '1' }] });
  expect(near.order!.fulfillmentPlan!.groups.map((g) => g.location.id)).toEqual([store]);
  expect(near.order!.fulfillmentPlan!.explanation).toMatchObject({ ruleId: rule.id, ruleVersion: 1, provenOptimal: true });
  expect(near.order!.fulfillmentPlan!.explanation.excluded.map((e) => [e.location.code, e.reason]).sort()).toEqual([['ST-FAR', 'DISTANCE'], ['WH', 'EXCLUDED']]); // WH offers SAME_DAY but is not a store

  // an address out of reach: the rule's REJECT fallback refuses the order
  const far = await place({
    method: 'SAME_DAY', lines: [{ sku: 'SD-1', quantity: 1, unitPrice: '1' }],
    shippingAddress: { line1: 'x', city: 'Boston', postalCode: '02116', countryCode: 'US', geo: { lat: 42.35, lng: -71.07 } },
  });
  expect(far.userErrors).toEqual([expect.objectContaining({ code: 'INSUFFICIENT_STOCK', field: ['input', 'lines', '0', 'quantity'] })]);
  // shipping orders still follow the default rule
  const ship = await place({ lines: [{ sku: 'SD-1', quantity: 1, unitPrice: '1' }] });
  expect(ship.order!.fulfillmentPlan!.explanation.ruleId).not.toBe(rule.id);
});

it('versions every edit, refuses a stale one, and retires rules but never the default', async () => {
  const created = (await t.ok(UpsertSourcingRuleDocument, { input: { ...sameDay, name: 'Temp', priority: 3, match: { channels: ['app'] } } }, ADMIN)).upsertSourcingRule.sourcingRule!;
  const edited = await t.ok(UpsertSourcingRuleDocument, { input: { ...sameDay, id: created.id, name: 'Temp 2', priority: 3, match: { channels: ['app'] }, expectedVersion: 1 } }, ADMIN);
  expect(edited.upsertSourcingRule.sourcingRule).toMatchObject({ name: 'Temp 2', version: 2 });
  const stale = await t.ok(UpsertSourcingRuleDocument, { input: { ...sameDay, id: created.id, name: 'Temp 3', priority: 3, expectedVersion: 1 } }, ADMIN);
  expect(stale.upsertSourcingRule.userErrors).toEqual([expect.objectContaining({ code: 'VERSION_CONFLICT' })]);
  const versions = await t.db.query<{ version: number; name: string }>(`SELECT version, snapshot->>'name' AS name FROM sourcing_rule_versions WHERE rule_id = $1 ORDER BY version`, [created.id]);
  expect(versions).toEqual([{ version: 1, name: 'Temp' }, { version: 2, name: 'Temp 2' }]);

  expect((await t.ok(DeleteSourcingRuleDocument, { id: created.id }, ADMIN)).deleteSourcingRule.sourcingRule).toMatchObject({ enabled: false });
  const rules = (await t.ok(SourcingRulesDocument, {}, ADMIN)).sourcingRules;
  expect(rules.map((r) => r.id)).not.toContain(created.id);
  const def = rules.find((r) => r.priority === 0 && r.name === 'Default')!;
  expect((await t.ok(DeleteSourcingRuleDocument, { id: def.id }, ADMIN)).deleteSourcingRule.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_TRANSITION' })]);
  const narrowed = await t.ok(UpsertSourcingRuleDocument, { input: { ...sameDay, id: def.id, name: 'Default', priority: 0, constraints: {}, fallback: 'BACKORDER' } }, ADMIN);
  expect(narrowed.upsertSourcingRule.userErrors).toEqual([expect.objectContaining({ code: 'VALIDATION', field: ['input', 'match'] })]);
  const demoted = await t.ok(UpsertSourcingRuleDocument, { input: { ...sameDay, id: def.id, name: 'Default', priority: 5, match: {}, constraints: {}, fallback: 'BACKORDER' } }, ADMIN);
  expect(demoted.upsertSourcingRule.userErrors).toEqual([expect.objectContaining({ code: 'VALIDATION' })]);
});

it('previews the promise on live stock and reserves nothing', async () => {
  const before = await t.db.query<{ r: number }>(`SELECT sum(reserved)::int AS r FROM inventory_positions WHERE sku = 'SD-1'`);
  const p = await t.ok(PreviewSourcingDocument, { input: orderInput({ method: 'SAME_DAY', lines: [{ sku: 'SD-1', quantity: 1, unitPrice: '1' }, { sku: 'NONE-9', quantity: 1, unitPrice: '1' }] }) }, { role: 'CUSTOMER', sub: 'c' });
  const preview = p.previewSourcing;
  expect(preview.userErrors).toEqual([]);
  expect(preview.groups.map((g) => [g.location.code, g.method, g.lines[0].orderLineId])).toEqual([['ST-NEAR', 'SAME_DAY', 'line-0']]);
  expect(preview.groups[0].promisedBy).not.toBeNull();
  expect(preview.unallocated).toEqual([{ sku: 'NONE-9', quantity: 1 }]);
  expect(preview.explanation!.provenOptimal).toBe(true);
  const after = await t.db.query<{ r: number }>(`SELECT sum(reserved)::int AS r FROM inventory_positions WHERE sku = 'SD-1'`);
  expect(after).toEqual(before);
  const bad = await t.ok(PreviewSourcingDocument, { input: orderInput({ lines: [] }) }, { role: 'CUSTOMER', sub: 'c' });
  expect(bad.previewSourcing.userErrors).toEqual([expect.objectContaining({ code: 'VALIDATION', field: ['input', 'lines'] })]);
});

it('prices by an optional zone table: bands checked with field paths, surcharges in the cost, nothing beyond the last band', async () => {
  const zoned: SourcingRuleInput = {
    name: 'Zones for the zoned channel',
    priority: 20,
    match: { channels: ['zoned'] },
    cost: {
      perShipment: 2, perUnit: 0.5, perUnitKm: 0, perShipmentKm: 0, priorityWeight: 0,
      zones: [{ upToKm: 10, perShipment: 1, perUnit: 0 }, { upToKm: 100, perShipment: 6, perUnit: 0.25 }],
    },
  };
  const invalid = await t.ok(UpsertSourcingRuleDocument, {
    input: { ...zoned, cost: { ...zoned.cost, zones: [{ upToKm: null, perShipment: 1, perUnit: 0 }, { upToKm: 50, perShipment: -1, perUnit: 0 }, { upToKm: 40, perShipment: 1, perUnit: 0 }] } },
  }, ADMIN);
  expect(invalid.upsertSourcingRule.userErrors.map((e) => e.field)).toEqual([
    ['input', 'cost', 'zones', '0', 'upToKm'], ['input', 'cost', 'zones', '1', 'perShipment'], ['input', 'cost', 'zones', '2', 'upToKm'],
  ]);
  const saved = await t.ok(UpsertSourcingRuleDocument, { input: zoned }, ADMIN);
  expect(saved.upsertSourcingRule.userErrors).toEqual([]);
  expect(saved.upsertSourcingRule.sourcingRule!.cost.zones).toEqual(zoned.cost.zones);

  // ST-NEAR is under 1 km from the address (first band), WH about 45 km (second), ST-FAR in Chicago beyond both
  const p = await t.ok(PreviewSourcingDocument, { input: orderInput({ channel: 'zoned', lines: [{ sku: 'SD-1', quantity: 2, unitPrice: '1' }] }) }, { role: 'CUSTOMER', sub: 'c' });
  const preview = p.previewSourcing;
  expect(preview.groups.map((g) => g.location.code)).toEqual(['ST-NEAR']);
  expect(preview.explanation!.objective).toBeCloseTo(2 + 1 + 2 * 0.5, 4);
  expect(preview.explanation!.alternatives.map((a) => a.objective)).toEqual([2 + 6 + 2 * (0.5 + 0.25)]);
  expect(preview.explanation!.excluded).toContainEqual({ location: { code: 'ST-FAR' }, reason: 'DISTANCE' });
  await t.ok(DeleteSourcingRuleDocument, { id: saved.upsertSourcingRule.sourcingRule!.id }, ADMIN);
});

it('refuses a simulation of more than 5000 orders', async () => {
  const r = await t.ok(SimulateSourcingRuleDocument, { rule: sameDay, lastOrders: 5001 }, ADMIN);
  expect(r.simulateSourcingRule.userErrors).toEqual([expect.objectContaining({ field: ['lastOrders'] })]);
});
