/**
 * The authorization matrix: each role against each operation, plus the ways a customer
 * might reach another customer's order (order, orderByNumber, orders, _entities).
 */
import { createTestApp, TEST_SECRET, type As, type TestApp } from '../helpers/app';
import { makeLocation, orderInput, stock } from '../helpers/fixtures';
import { createContext } from '../../src/context';
import { TokenVerifier } from '../../src/auth/tokens';
import { SignJWT } from 'jose';
import {
  AdjustInventoryDocument, AdvanceFulfillmentDocument, AvailabilityDocument, CancelOrderDocument, EntitiesDocument, GetOrderByNumberDocument,
  GetOrderDocument, InventoryPositionsDocument, ListOrdersDocument, LocationsDocument, PlaceOrderDocument, ServiceSdlDocument,
  SetInventoryDocument, SourcingRulesDocument, TypenameDocument, UpsertLocationDocument, CancelOrderLinesDocument, HoldOrderDocument,
  ReleaseOrderHoldDocument, ReturnOrderLinesDocument, ResourceOrderDocument, RejectFulfillmentDocument, InventoryAuditDocument, ReserveCartDocument,
  ReleaseCartReservationDocument, PreviewSourcingDocument, SimulateSourcingRuleDocument, UpsertSourcingRuleDocument, DeleteSourcingRuleDocument,
} from '../generated/graphql';

const RULE = { name: 'matrix', priority: 1, cost: { perShipment: 1, perUnit: 1, perUnitKm: 0, perShipmentKm: 0, priorityWeight: 0 } };

let t: TestApp;
let storeA: string;
let storeB: string;
let orderOf7: { id: string; number: string; planId: string; groupId: string };

const ROLES: Record<string, As> = {
  CUSTOMER: { role: 'CUSTOMER', sub: 'cust-7' },
  STORE: { role: 'STORE', sub: 'store-a', locationIds: [] },
  AGENT: { role: 'AGENT' },
  SERVICE: { role: 'SERVICE' },
  ADMIN: { role: 'ADMIN' },
};

beforeAll(async () => {
  t = await createTestApp();
  storeA = (await makeLocation(t, { type: 'STORE', lat: 40.7, lng: -74 })).id;
  storeB = (await makeLocation(t, { type: 'STORE', lat: 34, lng: -118 })).id;
  ROLES.STORE.locationIds = [storeA];
  await stock(t, [
    { locationId: storeA, sku: 'P', onHand: 1000 },
    { locationId: storeB, sku: 'Q', onHand: 1000 },
  ]);
  const place = async (customerId: string, sku: string) =>
    (await t.ok(PlaceOrderDocument, { input: orderInput({ customerId, lines: [{ sku, quantity: 1, unitPrice: '1' }] }), key: `${customerId}-${sku}` }, ROLES.SERVICE)).placeOrder.order!;
  const o7 = await place('cust-7', 'P');
  orderOf7 = { id: o7.id, number: o7.number, planId: o7.fulfillmentPlan!.id, groupId: o7.fulfillmentPlan!.groups[0].id };
  await place('cust-8', 'Q');
});
afterAll(() => t.close());

const codeOf = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => (r.errors?.[0]?.extensions?.code as string | undefined) ?? 'OK';

describe('authentication', () => {
  it('allows { __typename } and _service without a token', async () => {
    expect(codeOf(await t.exec(TypenameDocument, {}, null))).toBe('OK');
    expect(codeOf(await t.exec(ServiceSdlDocument, {}, null))).toBe('OK');
  });

  it('refuses every other operation without a token', async () => {
    expect(codeOf(await t.exec(LocationsDocument, {}, null))).toBe('UNAUTHENTICATED');
    expect(codeOf(await t.exec(GetOrderDocument, { id: orderOf7.id }, null))).toBe('UNAUTHENTICATED');
    expect(codeOf(await t.exec(EntitiesDocument, { representations: [{ __typename: 'Order', id: orderOf7.id }] }, null))).toBe('UNAUTHENTICATED');
  });
});

describe('role matrix', () => {
  const ops: [string, (as: As) => Promise<string>, string[]][] = [
    ['locations', async (as) => codeOf(await t.exec(LocationsDocument, {}, as)), ['CUSTOMER', 'STORE', 'AGENT', 'SERVICE', 'ADMIN']],
    ['inventoryPositions', async (as) => codeOf(await t.exec(InventoryPositionsDocument, { skus: ['P'] }, as)), ['CUSTOMER', 'STORE', 'AGENT', 'SERVICE', 'ADMIN']],
    ['availability', async (as) => codeOf(await t.exec(AvailabilityDocument, { skus: ['P'] }, as)), ['CUSTOMER', 'STORE', 'AGENT', 'SERVICE', 'ADMIN']],
    ['sourcingRules', async (as) => codeOf(await t.exec(SourcingRulesDocument, {}, as)), ['AGENT', 'SERVICE', 'ADMIN']],
    ['placeOrder', async (as) => codeOf(await t.exec(PlaceOrderDocument, { input: orderInput({ lines: [{ sku: 'P', quantity: 1, unitPrice: '1' }] }), key: `m-${as.role}` }, as)), ['SERVICE', 'ADMIN']],
    ['setInventory', async (as) => codeOf(await t.exec(SetInventoryDocument, { input: [{ locationId: storeA, sku: 'Z', onHand: 1 }] }, as)), ['SERVICE', 'ADMIN']],
    ['adjustInventory', async (as) => codeOf(await t.exec(AdjustInventoryDocument, { locationId: storeA, sku: 'Z', delta: 1, reason: 'count' }, as)), ['STORE', 'SERVICE', 'ADMIN']],
    [
      'upsertLocation',
      async (as) => codeOf(await t.exec(UpsertLocationDocument, { input: { code: `N-${as.role}`, name: 'n', type: 'STORE', geo: { lat: 1, lng: 1 }, methods: ['SHIP'] } }, as)),
      ['ADMIN'],
    ],
    ['cancelOrder', async (as) => codeOf(await t.exec(CancelOrderDocument, { id: '00000000-0000-4000-8000-000000000000', reason: 'x' }, as)), ['CUSTOMER', 'AGENT', 'ADMIN']],
    [
      'advanceFulfillment',
      async (as) => codeOf(await t.exec(AdvanceFulfillmentDocument, { groupId: '00000000-0000-4000-8000-000000000000', to: 'ACCEPTED' }, as)),
      ['STORE', 'ADMIN'],
    ],
    ['cancelOrderLines', async (as) => codeOf(await t.exec(CancelOrderLinesDocument, { id: '00000000-0000-4000-8000-000000000000', lines: [{ orderLineId: '00000000-0000-4000-8000-000000000000', quantity: 1 }], reason: 'x' }, as)), ['CUSTOMER', 'AGENT', 'ADMIN']],
    ['holdOrder', async (as) => codeOf(await t.exec(HoldOrderDocument, { id: '00000000-0000-4000-8000-000000000000', type: 'FRAUD', reason: 'x' }, as)), ['AGENT', 'ADMIN']],
    ['releaseOrderHold', async (as) => codeOf(await t.exec(ReleaseOrderHoldDocument, { id: '00000000-0000-4000-8000-000000000000', holdId: '00000000-0000-4000-8000-000000000000' }, as)), ['AGENT', 'ADMIN']],
    ['returnOrderLines', async (as) => codeOf(await t.exec(ReturnOrderLinesDocument, { id: '00000000-0000-4000-8000-000000000000', lines: [{ orderLineId: '00000000-0000-4000-8000-000000000000', quantity: 1 }], restock: true, reason: 'x' }, as)), ['AGENT', 'ADMIN']],
    ['resourceOrder', async (as) => codeOf(await t.exec(ResourceOrderDocument, { id: '00000000-0000-4000-8000-000000000000' }, as)), ['AGENT', 'ADMIN']],
    ['rejectFulfillment', async (as) => codeOf(await t.exec(RejectFulfillmentDocument, { groupId: '00000000-0000-4000-8000-000000000000', reason: 'x' }, as)), ['STORE', 'ADMIN']],
    ['inventoryAudit', async (as) => codeOf(await t.exec(InventoryAuditDocument, {}, as)), ['AGENT', 'SERVICE', 'ADMIN']],
    ['reserveCart', async (as) => codeOf(await t.exec(ReserveCartDocument, { input: { customerId: 'c', method: 'PICKUP', pickupLocationId: storeA, lines: [{ sku: 'P', quantity: 1, unitPrice: '1' }] }, key: `cart-${as.role}` }, as)), ['SERVICE', 'ADMIN']],
    ['releaseCartReservation', async (as) => codeOf(await t.exec(ReleaseCartReservationDocument, { id: '00000000-0000-4000-8000-000000000000' }, as)), ['SERVICE', 'ADMIN']],
    ['previewSourcing', async (as) => codeOf(await t.exec(PreviewSourcingDocument, { input: orderInput({ lines: [{ sku: 'P', quantity: 1, unitPrice: '1' }] }) }, as)), ['CUSTOMER', 'STORE', 'AGENT', 'SERVICE', 'ADMIN']],
    ['simulateSourcingRule', async (as) => codeOf(await t.exec(SimulateSourcingRuleDocument, { rule: RULE, lastOrders: 5 }, as)), ['ADMIN']],
    ['upsertSourcingRule', async (as) => codeOf(await t.exec(UpsertSourcingRuleDocument, { input: { ...RULE, enabled: false } }, as)), ['ADMIN']],
    ['deleteSourcingRule', async (as) => codeOf(await t.exec(DeleteSourcingRuleDocument, { id: '00000000-0000-4000-8000-000000000000' }, as)), ['ADMIN']],
  ];
  for (const [name, run, allowed] of ops) {
    it.each(Object.keys(ROLES))(`${name} as %s`, async (role) => {
      expect(await run(ROLES[role])).toBe(allowed.includes(role) ? 'OK' : 'FORBIDDEN');
    });
  }
});

describe('a customer reaching orders', () => {
  const other = { role: 'CUSTOMER' as const, sub: 'cust-8' };

  it('sees their own order and not another customer’s, through order and orderByNumber', async () => {
    expect((await t.ok(GetOrderDocument, { id: orderOf7.id }, ROLES.CUSTOMER)).order?.id).toBe(orderOf7.id);
    expect((await t.ok(GetOrderDocument, { id: orderOf7.id }, other)).order).toBeNull();
    expect((await t.ok(GetOrderByNumberDocument, { number: orderOf7.number }, other)).orderByNumber).toBeNull();
  });

  it('lists only their own orders, and may not ask for another customer’s', async () => {
    const mine = await t.ok(ListOrdersDocument, {}, other);
    expect(mine.orders.edges.map((e) => e.node.customerId)).toEqual(['cust-8']);
    expect(codeOf(await t.exec(ListOrdersDocument, { filter: { customerId: 'cust-7' } }, other))).toBe('FORBIDDEN');
  });

  it('does not see sourcing rules, through the plan or _entities', async () => {
    const own = await t.ok(GetOrderDocument, { id: orderOf7.id }, ROLES.CUSTOMER);
    const ruleId = own.order!.fulfillmentPlan!.explanation.ruleId;
    expect(own.order!.fulfillmentPlan!.rule).toBeNull();
    expect((await t.ok(EntitiesDocument, { representations: [{ __typename: 'SourcingRule', id: ruleId }] }, ROLES.CUSTOMER))._entities).toEqual([null]);
    expect((await t.ok(EntitiesDocument, { representations: [{ __typename: 'SourcingRule', id: ruleId }] }, ROLES.AGENT))._entities[0]).toMatchObject({ id: ruleId });
    expect((await t.ok(GetOrderDocument, { id: orderOf7.id }, ROLES.AGENT)).order!.fulfillmentPlan!.rule!.id).toBe(ruleId);
  });

  it('gets null for another customer’s order, plan and group through _entities', async () => {
    const reps = [
      { __typename: 'Order', id: orderOf7.id },
      { __typename: 'FulfillmentPlan', id: orderOf7.planId },
      { __typename: 'FulfillmentGroup', id: orderOf7.groupId },
    ];
    expect((await t.ok(EntitiesDocument, { representations: reps }, other))._entities).toEqual([null, null, null]);
    const own = (await t.ok(EntitiesDocument, { representations: reps }, ROLES.CUSTOMER))._entities;
    expect(own.map((e) => e?.__typename)).toEqual(['Order', 'FulfillmentPlan', 'FulfillmentGroup']);
  });
});

describe('a store reaching orders', () => {
  it('sees the orders it fulfils and no others', async () => {
    const list = await t.ok(ListOrdersDocument, { first: 100 }, ROLES.STORE);
    const customers = list.orders.edges.map((e) => e.node.customerId);
    expect(customers).toContain('cust-7');
    expect(customers).not.toContain('cust-8'); // sourced from storeB only
    expect((await t.ok(GetOrderDocument, { id: orderOf7.id }, ROLES.STORE)).order?.id).toBe(orderOf7.id);
    expect((await t.ok(GetOrderDocument, { id: orderOf7.id }, { role: 'STORE', locationIds: [storeB] })).order).toBeNull();
    expect(codeOf(await t.exec(ListOrdersDocument, { filter: { locationId: storeB } }, ROLES.STORE))).toBe('FORBIDDEN');
  });
});

describe('tokens', () => {
  const raw = async (authorization: string) => {
    try {
      await createContext({ db: t.db, services: t.services, verifier: t.verifier }, authorization);
      return 'OK';
    } catch (err) {
      return (err as { extensions?: { code?: string } }).extensions?.code ?? 'THROWN';
    }
  };

  it('refuses malformed, wrongly signed, expired and role-less tokens as UNAUTHENTICATED', async () => {
    const other = new TokenVerifier({ secret: 'another-secret-another-secret-0123456789' });
    expect(await raw('Bearer not-a-jwt')).toBe('UNAUTHENTICATED');
    expect(await raw('Basic abc')).toBe('UNAUTHENTICATED');
    expect(await raw(`Bearer ${await other.sign({ sub: 'x', role: 'ADMIN' })}`)).toBe('UNAUTHENTICATED');
    expect(await raw(`Bearer ${await t.verifier.sign({ sub: 'x', role: 'ADMIN' }, '-1h')}`)).toBe('UNAUTHENTICATED');
    expect(await raw(`Bearer ${await t.verifier.sign({ sub: 'x', role: 'NOBODY' as never })}`)).toBe('UNAUTHENTICATED');
    expect(await raw(`Bearer ${await t.verifier.sign({ sub: 'x', role: 'STORE' })}`)).toBe('UNAUTHENTICATED');
    const noExp = await new SignJWT({ role: 'ADMIN' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').sign(new TextEncoder().encode(TEST_SECRET));
    expect(await raw(`Bearer ${noExp}`)).toBe('UNAUTHENTICATED');
    expect(await raw(`Bearer ${await t.verifier.sign({ sub: 'x', role: 'ADMIN' })}`)).toBe('OK');
  });

  it('checks the expiry of a token it has verified before on every use', async () => {
    const v = new TokenVerifier({ secret: TEST_SECRET, clockToleranceSec: 0 });
    const jwt = await v.sign({ sub: 'brief', role: 'AGENT' }, '1s');
    const first = await v.verify(jwt);
    expect(first).toEqual({ sub: 'brief', role: 'AGENT', locationIds: [] });
    expect(await v.verify(jwt)).toBe(first); // the second use is not verified again
    expect(Object.isFrozen(first)).toBe(true); // and nothing can change what requests share
    await new Promise((r) => setTimeout(r, 2100));
    await expect(v.verify(jwt)).rejects.toMatchObject({ message: 'Token expired', extensions: { code: 'UNAUTHENTICATED' } });
  });
});
