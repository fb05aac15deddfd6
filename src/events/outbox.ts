/**
 * The transactional outbox of order events. A state change bumps the order's version and
 * sequence, inserts its events and calls pg_notify in the same transaction, so an event
 * exists exactly when its change committed and the notification leaves only on commit.
 */
import type { Queryable } from '../db/database';
import type { OrderStatusValue } from '../orders/status';

export const ORDER_EVENTS_CHANNEL = 'order_events';

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
 * caused it. Returns the new version and the last sequence written.
 */
export async function appendOrderEvents(
  tx: Queryable,
  order: { id: string; status: OrderStatusValue },
  status: OrderStatusValue,
  events: NewOrderEvent[],
  actor: string,
): Promise<{ version: number; lastSequence: number }> {
  const [row] = await tx.query<{ version: number; last_sequence: number }>(
    `UPDATE orders SET status = $2, version = version + 1, last_sequence = last_sequence + $3, updated_at = now()
      WHERE id = $1 RETURNING version, last_sequence`,
    [order.id, status, events.length],
    'bump_order',
  );
  await insertEvents(tx, order.id, row.last_sequence - events.length + 1, events, actor, order.status);
  return { version: row.version, lastSequence: row.last_sequence };
}

/**
 * Inserts events numbered from `firstSequence` and notifies listeners on commit. Event k's
 * previous status is event k-1's status; the first one's is `previous`.
 */
export async function insertEvents(
  tx: Queryable,
  orderId: string,
  firstSequence: number,
  events: NewOrderEvent[],
  actor: string,
  previous: OrderStatusValue | null,
): Promise<void> {
  if (events.length === 0) return;
  const before = events.map((_, i) => (i === 0 ? previous : events[i - 1].status));
  await tx.query(
    `WITH ins AS (
       INSERT INTO order_events (order_id, sequence, type, status, previous_status, fulfillment_group_id, location_id, data, actor)
       SELECT $1, $2 + ord - 1, t, s, p, g, l, d, $9
         FROM unnest($3::text[], $4::text[], $10::text[], $5::uuid[], $6::uuid[], $7::jsonb[]) WITH ORDINALITY AS v(t, s, p, g, l, d, ord)
       RETURNING sequence)
     SELECT pg_notify($8, json_build_object('orderId', $1::text, 'sequence', max(sequence))::text) FROM ins`,
    [
      orderId,
      firstSequence,
      events.map((e) => e.type),
      events.map((e) => e.status),
      events.map((e) => e.fulfillmentGroupId ?? null),
      events.map((e) => e.locationId ?? null),
      events.map((e) => JSON.stringify(e.data ?? {})),
      ORDER_EVENTS_CHANNEL,
      actor,
      before,
    ],
    'insert_events_v2',
  );
}

/** How an actor is written in the timeline: "ROLE:sub", or "system:<job>". */
export function actorOf(p: { role: string; sub: string }): string {
  return `${p.role}:${p.sub}`;
}
