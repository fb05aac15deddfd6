/** Fixture builders with overrides: small, explicit data per test instead of a big seed. */
import type { TestApp } from './app';
import type { LocationRecord } from '../../src/inventory/records';
import type { PlaceOrderInput } from '../generated/graphql';

let seq = 0;

export async function makeLocation(
  t: TestApp,
  overrides: Partial<{ code: string; name: string; type: 'WAREHOUSE' | 'STORE' | 'DARK_STORE'; lat: number; lng: number; methods: ('SHIP' | 'PICKUP' | 'SAME_DAY')[]; dailyCapacity: number | null; priority: number; active: boolean }> = {},
): Promise<LocationRecord> {
  seq += 1;
  const r = await t.services.inventory.upsertLocation({
    code: overrides.code ?? `LOC-${process.pid}-${seq}`,
    name: overrides.name ?? `Location ${seq}`,
    type: (overrides.type ?? 'WAREHOUSE') as never,
    geo: { lat: overrides.lat ?? 40, lng: overrides.lng ?? -74 },
    methods: (overrides.methods ?? ['SHIP', 'PICKUP', 'SAME_DAY']) as never,
    dailyCapacity: overrides.dailyCapacity ?? null,
    priority: overrides.priority ?? 0,
    active: overrides.active ?? true,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

export async function stock(t: TestApp, entries: { locationId: string; sku: string; onHand: number; safetyStock?: number }[]): Promise<void> {
  const r = await t.services.inventory.setInventory(entries, 'test');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
}

export function orderInput(overrides: Partial<PlaceOrderInput> = {}): PlaceOrderInput {
  return {
    customerId: 'customer-1',
    channel: 'web',
    method: 'SHIP',
    currencyCode: 'USD',
    lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: '10.00' }],
    shippingAddress: { line1: '1 Main St', city: 'New York', postalCode: '10001', countryCode: 'US', geo: { lat: 40.75, lng: -73.99 } },
    ...overrides,
  };
}

/** Ledger invariants: on hand = sum of on-hand movements, reserved = open allocations and live carts, nothing negative. */
export async function inventoryInvariants(t: TestApp): Promise<{ drift: unknown[]; negative: number }> {
  const drift = await t.db.query(`
    WITH led AS (SELECT location_id, sku, sum(on_hand_delta)::int AS oh, sum(reserved_delta)::int AS rs FROM inventory_movements GROUP BY 1, 2),
         alloc AS (SELECT location_id, sku, sum(q)::int AS q FROM (
                     SELECT g.location_id, gl.sku, gl.quantity AS q FROM fulfillment_group_lines gl
                       JOIN fulfillment_groups g ON g.id = gl.group_id WHERE g.status IN ('PENDING','ACCEPTED','PICKING','PACKED')
                     UNION ALL
                     SELECT cl.location_id, cl.sku, cl.quantity FROM cart_reservation_lines cl
                       JOIN cart_reservations c ON c.id = cl.reservation_id WHERE c.status = 'ACTIVE') a GROUP BY 1, 2)
    SELECT p.location_id, p.sku, p.on_hand, p.reserved, COALESCE(led.oh, 0) AS ledger_on_hand, COALESCE(led.rs, 0) AS ledger_reserved, COALESCE(alloc.q, 0) AS allocated
      FROM inventory_positions p
      LEFT JOIN led ON led.location_id = p.location_id AND led.sku = p.sku
      LEFT JOIN alloc ON alloc.location_id = p.location_id AND alloc.sku = p.sku
     WHERE p.on_hand <> COALESCE(led.oh, 0) OR p.reserved <> COALESCE(led.rs, 0) OR p.reserved <> COALESCE(alloc.q, 0)`);
  const [{ n }] = await t.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM inventory_positions WHERE on_hand < 0 OR reserved < 0 OR on_hand - reserved < 0',
  );
  return { drift, negative: n };
}
