/**
 * The floors of bench/read.ts: the rows each read needs, fetched with `pg` directly (prepared
 * statements, one round trip per level, no GraphQL, no DataLoader), as plain objects. Used in
 * the benchmark's own process (the floor) and behind a bare HTTP server (bench/http-floor.ts).
 */
import pg from 'pg';
import { EARTH_RADIUS_KM, haversineKm, unitVector } from '../src/common/geo';

/** "Stores near me": 10 SKUs within this many km of a point near a random location. */
export const AVAILABILITY_RADIUS_KM = 50;

type Row = Record<string, unknown>;

/** The floor of bench/read.ts's `order(id)`: the same rows, one prepared statement per level, nested. */
export async function orderFloor(pool: pg.Pool, id: string, skus: string[]): Promise<Row | null> {
  const q = async (name: string, text: string, values: unknown[]) => (await pool.query({ name, text, values })).rows as Row[];
  const [order] = await q('f_order', 'SELECT id, number, status, currency_code, created_at FROM orders WHERE id = $1', [id]);
  if (!order) return null;
  order.lines = await q('f_lines', 'SELECT id, sku, quantity, cancelled_quantity, returned_quantity, unit_price FROM order_lines WHERE order_id = $1 ORDER BY line_no', [id]);
  const [plan] = await q('f_plan', 'SELECT id, shipment_count FROM fulfillment_plans WHERE order_id = $1 AND active', [id]);
  order.plan = plan ?? null;
  if (!plan) return order; // an order without an active plan: nothing beneath
  const groups = await q('f_groups', `SELECT g.id, g.status, g.distance_km, g.location_id FROM plan_groups pg JOIN fulfillment_groups g ON g.id = pg.group_id
     WHERE pg.plan_id = $1 ORDER BY g.created_at, g.distance_km, g.id`, [plan.id]);
  plan.groups = groups;
  const locationIds = [...new Set(groups.map((g) => g.location_id as string))];
  const groupLines = await q('f_group_lines', 'SELECT group_id, sku, quantity FROM fulfillment_group_lines WHERE group_id = ANY($1)', [groups.map((g) => g.id)]);
  const locations = await q('f_locations', 'SELECT id, code, name FROM locations WHERE id = ANY($1::uuid[])', [locationIds]);
  const positions = await q('f_positions', 'SELECT location_id, sku, on_hand, reserved, safety_stock FROM inventory_positions WHERE location_id = ANY($1::uuid[]) AND sku = ANY($2)', [locationIds, skus]);
  for (const l of locations) l.inventory = positions.filter((p) => p.location_id === l.id);
  for (const g of groups) {
    g.lines = groupLines.filter((l) => l.group_id === g.id);
    g.location = locations.find((l) => l.id === g.location_id) ?? null;
  }
  return order;
}

/** The floor of `orders(first: 20, filter: { customerId })` with lines. */
export async function customerFloor(pool: pg.Pool, customerId: string): Promise<Row[]> {
  const orders = (await pool.query({
    name: 'f_customer_orders',
    text: 'SELECT id, number, status, currency_code, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 21',
    values: [customerId],
  })).rows.slice(0, 20) as Row[];
  const lines = (await pool.query({
    name: 'f_customer_lines',
    text: 'SELECT order_id, id, sku, quantity, cancelled_quantity, returned_quantity, unit_price FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, line_no',
    values: [orders.map((o) => o.id)],
  })).rows as Row[];
  for (const o of orders) o.lines = lines.filter((l) => l.order_id === o.id);
  return orders;
}

/** The floor of `availability(skus, near, radiusKm: 50)`: the positions within the radius, nearest first per SKU. */
export async function availabilityFloor(pool: pg.Pool, skus: string[], near: { lat: number; lng: number }): Promise<Row[]> {
  const angle = AVAILABILITY_RADIUS_KM / EARTH_RADIUS_KM;
  const [x, y, z] = unitVector(near.lat, near.lng);
  // the locations within the radius first, then each one's positions of the SKUs by its key
  // (as the server does, inventory.service.ts: without the LATERAL fence PostgreSQL reads
  // every position of the SKUs and drops the far ones); prepared, one plan for any point
  const rows = (await pool.query({
    name: 'floor_availability_near',
    text: `SELECT p.sku, p.location_id, l.name, l.lat, l.lng, p.available
             FROM locations l
             CROSS JOIN LATERAL (
               SELECT p.sku, p.location_id, p.on_hand - p.reserved - p.safety_stock AS available FROM inventory_positions p
                WHERE p.location_id = l.id AND p.sku = ANY($1) AND p.on_hand - p.reserved - p.safety_stock > 0
               OFFSET 0) p
            WHERE l.active AND l.geo_x * $3 + l.geo_y * $4 + l.geo_z * $5 >= $2`,
    values: [skus, Math.cos(angle), x, y, z],
  })).rows as { sku: string; location_id: string; name: string; lat: number; lng: number; available: number }[];
  const bySku = new Map<string, { locationId: string; name: string; distanceKm: number; available: number }[]>(skus.map((s) => [s, []]));
  for (const r of rows) {
    const km = haversineKm(near, r);
    if (km <= AVAILABILITY_RADIUS_KM) bySku.get(r.sku)!.push({ locationId: r.location_id, name: r.name, distanceKm: km, available: r.available });
  }
  return [...bySku].map(([sku, locations]) => {
    locations.sort((a, b) => a.distanceKm - b.distanceKm);
    return { sku, available: locations.reduce((n, l) => n + l.available, 0), locations };
  });
}
