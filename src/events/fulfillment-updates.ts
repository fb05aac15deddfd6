/**
 * `fulfillmentUpdates`: a location's work queue (new groups to pick, acceptances,
 * cancellations, holds), replayed from `location_events` and then live (stream.ts).
 * A STORE follows only its own locations; AGENT, SERVICE and ADMIN any.
 */
import type { Context } from '../context';
import { badInput, forbidden } from '../common/errors';
import { isUuid } from '../common/validate';
import type { Principal } from '../auth/principal';
import type { OrderStatusValue } from '../orders/status';
import { follow } from './stream';
import { checkAfterSequence } from './order-updates';

export interface FulfillmentEventRecord {
  sequence: number;
  locationId: string;
  orderId: string;
  orderSequence: number;
  type: string;
  orderStatus: OrderStatusValue;
  fulfillmentGroupId: string | null;
  at: Date;
}

interface Row {
  sequence: number; location_id: string; order_id: string; order_sequence: number; type: string; status: string; fulfillment_group_id: string | null; at: Date;
}

function mayFollowLocation(p: Principal | null, locationId: string): boolean {
  if (!p) return false;
  if (p.role === 'STORE') return p.locationIds.includes(locationId);
  return p.role === 'ADMIN' || p.role === 'AGENT' || p.role === 'SERVICE';
}

export async function fulfillmentUpdates(ctx: Context, locationId: string, afterSequence: number | null | undefined): Promise<AsyncGenerator<FulfillmentEventRecord>> {
  const hub = ctx.hub;
  if (!hub) throw new Error('subscriptions are served over WebSocket only');
  if (!isUuid(locationId)) throw badInput('locationId must be a location id', 'locationId');
  checkAfterSequence(afterSequence);
  const id = locationId.toLowerCase();
  const location = await ctx.loaders.location.load(id);
  if (!location || !mayFollowLocation(ctx.principal, id)) throw forbidden('No such location for this principal');
  let start = afterSequence;
  if (start == null) {
    const [row] = await ctx.db.query<{ n: number }>('SELECT last_sequence AS n FROM location_event_counters WHERE location_id = $1', [id], 'location_last_sequence');
    start = row?.n ?? 0; // live only
  }
  return follow(
    ctx,
    {
      watch: (wake) => hub.watchLocation(id, wake),
      read: async (after, limit) =>
        (
          await ctx.db.query<Row>(
            `SELECT le.sequence, le.location_id, e.order_id, e.sequence AS order_sequence, e.type, e.status, e.fulfillment_group_id, e.at
               FROM location_events le JOIN order_events e ON e.id = le.event_id
              WHERE le.location_id = $1 AND le.sequence > $2 ORDER BY le.sequence LIMIT $3`,
            [id, after, limit],
            'location_events_after',
          )
        ).map((r) => ({
          sequence: r.sequence, locationId: r.location_id, orderId: r.order_id, orderSequence: r.order_sequence, type: r.type,
          orderStatus: r.status as OrderStatusValue, fulfillmentGroupId: r.fulfillment_group_id, at: r.at,
        })),
      // the principal's rights to a location come with its token; the rows are the location's by the query
      check: async () => {
        if (!mayFollowLocation(ctx.principal, id)) throw forbidden('This principal may no longer follow the location');
      },
    },
    start,
  );
}
