/**
 * The transactional outbox of order events. A state change bumps the order's version and
 * sequence, inserts its events and calls pg_notify in the same transaction, so an event
 * exists exactly when its change committed and the notification leaves only on commit.
 */
import type { Queryable } from '../db/database';
import { Statement } from '../db/statement';
import type { OrderStatusValue } from '../orders/status';
import { ORDER_COLUMNS, toOrder, type OrderRecord, type OrderRow } from '../orders/records';

export const ORDER_EVENTS_CHANNEL = 'order_events';
/** Positions whose on hand, reserved or safety stock changed: JSON [[locationId, sku], ...]. */
export const INVENTORY_EVENTS_CHANNEL = 'inventory_events';

export interface NewOrderEvent {
  type: string;
  status: OrderStatusValue;
  fulfillmentGroupId?: string | null;
  locationId?: string | null;
  data?: Record<string, unknown>;
}

/**
 * Appends events to an order whose row the caller holds locked, setting its status and
 * bumping its version once. Each event records the status before and after it and who
 * caused it. Returns the order row as the change leaves it.
 */
export async function appendOrderEvents(
  tx: Queryable,
  order: { id: string; status: OrderStatusValue },
  status: OrderStatusValue,
  events: NewOrderEvent[],
  actor: string,
): Promise<OrderRecord> {
  const [row] = await tx.query<OrderRow>(
    `UPDATE orders SET status = $2, version = version + 1, last_sequence = last_sequence + $3, updated_at = now()
      WHERE id = $1 RETURNING ${ORDER_COLUMNS}`,
    [order.id, status, events.length],
    'bump_order_v2',
  );
  await insertEvents(tx, order.id, row.last_sequence - events.length + 1, events, actor, order.status);
  return toOrder(row);
}

/**
 * Inserts events numbered from `firstSequence` and notifies listeners on commit. Event k's
 * previous status is event k-1's status; the first one's is `previous`. Events are stamped
 * (`at`) with the clock as they are written, the change's locks held, not with the start of
 * the transaction, which may have waited for those locks.
 */
export async function insertEvents(
  tx: Queryable,
  orderId: string,
  firstSequence: number,
  events: NewOrderEvent[],
  actor: string,
  previous: OrderStatusValue | null,
  /**
   * The first sequence whose order-level events go to the streams of the order's locations
   * (placement writes ORDER_PLACED, which precedes any group, with the sourcing outcome).
   */
  fanOutFrom = firstSequence,
): Promise<void> {
  if (events.length === 0) return;
  const st = new Statement();
  const notified = orderEvents(st, { orderId, firstSequence, events, actor, previous, fanOutFrom });
  await tx.query(st.text(`SELECT ${notified}`), st.params, 'insert_events_v6');
}

/**
 * Adds an order's events to a larger statement (see insertEvents); returns an expression for
 * its final SELECT that notifies the order's listeners. Each event is numbered again in the
 * stream of every location it concerns: the one it names, or for an order-level event every
 * location with a group of the order that was not rejected, read from the table, or given as
 * `groupLocations` when the same statement writes the groups (it cannot read them).
 */
export function orderEvents(
  st: Statement,
  e: {
    orderId: string; firstSequence: number; events: NewOrderEvent[]; actor: string; previous: OrderStatusValue | null; fanOutFrom: number;
    groupLocations?: string[];
  },
): string {
  const before = e.events.map((_, i) => (i === 0 ? e.previous : e.events[i - 1].status));
  const order = st.p(e.orderId, 'uuid');
  const fanOutFrom = st.p(e.fanOutFrom, 'int');
  const groups = e.groupLocations
    ? `(SELECT unnest(${st.p(e.groupLocations, 'uuid[]')}) AS location_id)`
    : `(SELECT location_id FROM fulfillment_groups WHERE order_id = ${order} AND status <> 'REJECTED')`;
  // The counters are locked in location order.
  st.with('events_in', `
       INSERT INTO order_events (order_id, sequence, type, status, previous_status, fulfillment_group_id, location_id, data, actor, at)
       SELECT ${order}, ${st.p(e.firstSequence, 'int')} + ord - 1, t, s, p, g, l, d, ${st.p(e.actor)}, (SELECT clock_timestamp())
         FROM unnest(${st.p(e.events.map((x) => x.type), 'text[]')}, ${st.p(e.events.map((x) => x.status), 'text[]')}, ${st.p(before, 'text[]')},
                     ${st.p(e.events.map((x) => x.fulfillmentGroupId ?? null), 'uuid[]')}, ${st.p(e.events.map((x) => x.locationId ?? null), 'uuid[]')},
                     ${st.p(e.events.map((x) => JSON.stringify(x.data ?? {})), 'jsonb[]')}) WITH ORDINALITY AS v(t, s, p, g, l, d, ord)
       RETURNING id, sequence, location_id`);
  st.with('event_targets', `
       SELECT DISTINCT COALESCE(i.location_id, g.location_id) AS location_id, i.id AS event_id
         FROM events_in i
         LEFT JOIN ${groups} g ON i.location_id IS NULL AND i.sequence >= ${fanOutFrom}
        WHERE COALESCE(i.location_id, g.location_id) IS NOT NULL`);
  st.with('event_counters', `
       INSERT INTO location_event_counters AS c (location_id, last_sequence)
       SELECT location_id, count(*) FROM event_targets GROUP BY location_id ORDER BY location_id
       ON CONFLICT (location_id) DO UPDATE SET last_sequence = c.last_sequence + EXCLUDED.last_sequence
       RETURNING location_id, last_sequence`);
  st.with('location_stream', `
       INSERT INTO location_events (location_id, sequence, event_id)
       SELECT t.location_id,
              k.last_sequence - count(*) OVER (PARTITION BY t.location_id) + row_number() OVER (PARTITION BY t.location_id ORDER BY t.event_id),
              t.event_id
         FROM event_targets t JOIN event_counters k USING (location_id)
       RETURNING location_id`);
  return `pg_notify(${st.p(ORDER_EVENTS_CHANNEL)}, json_build_object(
              'orderId', ${order}::text,
              'sequence', (SELECT max(sequence) FROM events_in),
              'locations', (SELECT coalesce(json_agg(DISTINCT location_id), '[]'::json) FROM location_stream))::text)`;
}

/** How an actor is written in the timeline: "ROLE:sub", or "system:<job>". */
export function actorOf(p: { role: string; sub: string }): string {
  return `${p.role}:${p.sub}`;
}
