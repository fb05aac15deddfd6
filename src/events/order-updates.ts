/**
 * `orderUpdated`: an order's events after a sequence, replayed from the outbox table and
 * then live (stream.ts). Authorization is checked when the subscription starts and again
 * before every event where it can have changed.
 */
import type { Context } from '../context';
import { badInput, forbidden } from '../common/errors';
import { isUuid } from '../common/validate';
import { canReadOrder } from '../orders/access';
import { EVENT_COLUMNS, toEvent, type EventRow, type OrderEventRecord } from '../orders/records';
import { follow, shared } from './stream';

/** Event reads in flight, shared by the subscribers of an order woken together. */
const reads = new Map<string, Promise<OrderEventRecord[]>>();

export function checkAfterSequence(afterSequence: number | null | undefined): void {
  if (afterSequence != null && (!Number.isInteger(afterSequence) || afterSequence < 0)) throw badInput('afterSequence must be an integer of at least 0', 'afterSequence');
}

/** Checks the request and the principal (errors reach the client as the subscription's error), then streams. */
export async function orderUpdates(ctx: Context, orderId: string, afterSequence: number | null | undefined): Promise<AsyncGenerator<OrderEventRecord>> {
  const hub = ctx.hub;
  if (!hub) throw new Error('subscriptions are served over WebSocket only');
  if (!isUuid(orderId)) throw badInput('orderId must be an order id', 'orderId');
  checkAfterSequence(afterSequence);
  const order = await ctx.loaders.order.load(orderId.toLowerCase());
  // The same answer for "no such order" and "not yours": nothing leaks.
  if (!order || !(await canReadOrder(ctx, order))) throw forbidden('No such order for this principal');
  const id = order.id;
  return follow(
    ctx,
    {
      watch: (wake) => hub.watchOrder(id, wake),
      read: (after, limit) =>
        // Shared only by reads started since the same notification: one started earlier may
        // not see the event that woke this subscriber.
        shared(reads, `${id}:${after}:${limit}:${hub.tick}`, async () =>
          (
            await ctx.db.query<EventRow>(
              `SELECT ${EVENT_COLUMNS} FROM order_events e WHERE e.order_id = $1 AND e.sequence > $2 ORDER BY e.sequence LIMIT $3`,
              [id, after, limit],
              'order_events_after',
            )
          ).map(toEvent),
        ),
      check: async () => {
        // A customer's right rests on the order's customer, which never changes, and staff
        // roles read every order: only a STORE's (its groups) can change, so only it is read again.
        if (ctx.principal?.role !== 'STORE') return;
        const now = await ctx.loaders.order.load(id);
        if (!now || !(await canReadOrder(ctx, now))) throw forbidden('This principal may no longer follow the order');
      },
    },
    afterSequence ?? order.lastSequence, // without afterSequence: live only
  );
}
