/**
 * An order's state inside a transaction: its active plan's groups with their lines, its
 * unallocated quantities and its lines, read after the order row is locked. Every
 * lifecycle change ends with `commitChange`, which derives the status again and appends
 * the change's events, so that status, version and timeline move together.
 */
import type { Tx } from '../db/database';
import { appendOrderEvents, type NewOrderEvent } from '../events/outbox';
import type { FulfillmentMethodValue } from '../common/types';
import { SHIPPED_STATES, DONE_STATES, type FulfillmentStatusValue } from '../fulfillment/state-machine';
import { deriveOrderStatus } from './status';
import { ORDER_COLUMNS, toOrder, type OrderRecord, type OrderRow } from './records';

export interface StateGroup {
  id: string;
  locationId: string;
  method: FulfillmentMethodValue;
  status: FulfillmentStatusValue;
  version: number;
  createdAt: Date;
  lines: { orderLineId: string; sku: string; quantity: number }[];
}

export interface StateLine {
  id: string;
  lineNo: number;
  sku: string;
  quantity: number;
  cancelledQuantity: number;
  returnedQuantity: number;
}

export interface OrderState {
  planId: string | null;
  groups: StateGroup[];
  unallocated: { orderLineId: string; sku: string; quantity: number }[];
  lines: StateLine[];
  openHolds: number;
}

export async function lockOrder(tx: Tx, id: string): Promise<OrderRecord | null> {
  const [row] = await tx.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE`, [id], 'lock_order');
  return row ? toOrder(row) : null;
}

/** Reads the state of an order whose row the caller has locked; locks its active groups too. */
export async function loadState(tx: Tx, orderId: string): Promise<OrderState> {
  const [row] = await tx.query<{ plan_id: string | null; groups: StateGroup[] | null; unallocated: OrderState['unallocated'] | null; lines: StateLine[]; holds: number }>(
    `SELECT p.id AS plan_id,
            (SELECT json_agg(json_build_object('id', g.id, 'locationId', g.location_id, 'method', g.method, 'status', g.status,
                     'version', g.version, 'createdAt', g.created_at,
                     'lines', (SELECT json_agg(json_build_object('orderLineId', gl.order_line_id, 'sku', gl.sku, 'quantity', gl.quantity) ORDER BY gl.sku)
                                 FROM fulfillment_group_lines gl WHERE gl.group_id = g.id)) ORDER BY g.created_at, g.id)
               FROM plan_groups pg JOIN fulfillment_groups g ON g.id = pg.group_id WHERE pg.plan_id = p.id) AS groups,
            (SELECT json_agg(json_build_object('orderLineId', u.order_line_id, 'sku', u.sku, 'quantity', u.quantity))
               FROM plan_unallocated u WHERE u.plan_id = p.id) AS unallocated,
            (SELECT json_agg(json_build_object('id', l.id, 'lineNo', l.line_no, 'sku', l.sku, 'quantity', l.quantity,
                     'cancelledQuantity', l.cancelled_quantity, 'returnedQuantity', l.returned_quantity) ORDER BY l.line_no)
               FROM order_lines l WHERE l.order_id = $1) AS lines,
            (SELECT count(*)::int FROM order_holds h WHERE h.order_id = $1 AND h.released_at IS NULL) AS holds
       FROM (SELECT $1::uuid AS order_id) o LEFT JOIN fulfillment_plans p ON p.order_id = o.order_id AND p.active`,
    [orderId],
    'load_order_state',
  );
  const groups = (row.groups ?? []).map((g) => ({ ...g, createdAt: new Date(g.createdAt), lines: g.lines ?? [] }));
  if (groups.length) {
    await tx.query('SELECT 1 FROM fulfillment_groups WHERE id = ANY($1) ORDER BY id FOR UPDATE', [groups.map((g) => g.id)], 'lock_groups');
  }
  return { planId: row.plan_id, groups, unallocated: row.unallocated ?? [], lines: row.lines, openHolds: row.holds };
}

/** Units of each order line that left a location (shipped or ready for pickup), and that reached the customer. */
export function lineProgress(state: OrderState): Map<string, { shipped: number; delivered: number }> {
  const out = new Map(state.lines.map((l) => [l.id, { shipped: 0, delivered: 0 }]));
  for (const g of state.groups) {
    for (const l of g.lines) {
      const p = out.get(l.orderLineId)!;
      if (SHIPPED_STATES.has(g.status)) p.shipped += l.quantity;
      if (DONE_STATES.has(g.status)) p.delivered += l.quantity;
    }
  }
  return out;
}

/** Derives the status from the state as it is now in `tx`. */
export async function currentStatus(tx: Tx, order: OrderRecord) {
  const state = await loadState(tx, order.id);
  const live = state.lines.filter((l) => l.quantity > l.cancelledQuantity);
  return deriveOrderStatus({
    cancelled: order.status === 'CANCELLED' || live.length === 0,
    returned: live.length > 0 && live.every((l) => l.returnedQuantity === l.quantity - l.cancelledQuantity),
    openHolds: state.openHolds,
    groups: state.groups.map((g) => g.status),
    unallocatedUnits: state.unallocated.reduce((n, u) => n + u.quantity, 0),
  });
}

/** Ends a change: status derived again, version bumped, events appended; returns the order as it now is. */
export async function commitChange(tx: Tx, order: OrderRecord, events: NewOrderEvent[], actor: string): Promise<OrderRecord> {
  const status = await currentStatus(tx, order);
  return appendOrderEvents(tx, order, status, events.map((e) => ({ ...e, status })), actor);
}
