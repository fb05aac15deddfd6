/**
 * `orderUpdated`: an order's events after a sequence, replayed from the outbox table and
 * then live, as one stream.
 *
 * Replay and live are the same loop: read the events after the last one delivered, deliver
 * them, wait until the hub says the order has new events (or the listener reconnected), read
 * again. The watch starts before the first read and a wake-up that comes during a read makes
 * the loop read once more, so there is no gap at the seam and, since each read starts after
 * the last sequence delivered, no duplicate. Authorization is checked when the subscription
 * starts and again, with fresh loaders, before every event.
 */
import type { Context } from '../context';
import type { EventHub } from './hub';
import { badInput, forbidden } from '../common/errors';
import { isUuid } from '../common/validate';
import { createLoaders } from '../loaders';
import { canReadOrder } from '../orders/access';
import { EVENT_COLUMNS, toEvent, type EventRow, type OrderEventRecord } from '../orders/records';

/** Events read per query; a longer backlog is read in pages. */
const PAGE = 500;

/** Checks the request and the principal (errors reach the client as the subscription's error), then streams. */
export async function orderUpdates(ctx: Context, orderId: string, afterSequence: number | null | undefined): Promise<AsyncGenerator<OrderEventRecord>> {
  const hub = ctx.hub;
  if (!hub) throw new Error('subscriptions are served over WebSocket only');
  if (!isUuid(orderId)) throw badInput('orderId must be an order id', 'orderId');
  if (afterSequence != null && (!Number.isInteger(afterSequence) || afterSequence < 0)) throw badInput('afterSequence must be an integer of at least 0', 'afterSequence');
  const order = await ctx.loaders.order.load(orderId.toLowerCase());
  // The same answer for "no such order" and "not yours": nothing leaks.
  if (!order || !(await canReadOrder(ctx, order))) throw forbidden('No such order for this principal');
  return stream(ctx, hub, order.id, afterSequence ?? order.lastSequence); // without afterSequence: live only
}

async function* stream(ctx: Context, hub: EventHub, orderId: string, after: number): AsyncGenerator<OrderEventRecord> {
  let last = after;
  let dirty = true;
  let wake: (() => void) | null = null;
  const unwatch = hub.watchOrder(orderId, () => {
    dirty = true;
    const w = wake;
    wake = null;
    w?.();
  });
  try {
    for (;;) {
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      dirty = false;
      const rows = await ctx.db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM order_events e WHERE e.order_id = $1 AND e.sequence > $2 ORDER BY e.sequence LIMIT ${PAGE}`,
        [orderId, last],
        'order_events_after',
      );
      if (rows.length === PAGE) dirty = true;
      for (const row of rows) {
        // fresh loaders for this event's fields, and for the check
        ctx.loaders = createLoaders(ctx.db);
        const now = await ctx.loaders.order.load(orderId);
        if (!now || !(await canReadOrder(ctx, now))) throw forbidden('This principal may no longer follow the order');
        last = row.sequence;
        yield toEvent(row);
      }
    }
  } finally {
    unwatch();
  }
}
