/** The subscriptions: thin resolvers over the streams in this folder. */
import { Arg, Ctx, FieldResolver, ID, Int, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../context';
import { Order, OrderEvent } from '../orders/order.types';
import type { OrderEventRecord } from '../orders/records';
import { FulfillmentGroup } from '../fulfillment/fulfillment.types';
import { Location } from '../inventory/inventory.types';
import { orderUpdates } from './order-updates';
import { fulfillmentUpdates, type FulfillmentEventRecord } from './fulfillment-updates';
import { inventoryChanges } from './inventory-changes';
import { InventoryPosition } from '../inventory/inventory.types';
import type { PositionRecord } from '../inventory/records';
import { FulfillmentEvent } from './event.types';

@Resolver()
export class SubscriptionResolver {
  @Subscription(() => OrderEvent, {
    description: "An order's events: with afterSequence, every event after it (0: the whole history) and then live; without, live only.",
    subscribe: ({ args, context }) => orderUpdates(context as Context, (args as { orderId: string }).orderId, (args as { afterSequence?: number | null }).afterSequence),
  })
  orderUpdated(
    @Root() event: OrderEventRecord,
    @Arg('orderId', () => ID) _orderId: string,
    @Arg('afterSequence', () => Int, { nullable: true }) _afterSequence: number | null,
    @Ctx() _ctx: Context,
  ): OrderEventRecord {
    return event;
  }

  @Subscription(() => FulfillmentEvent, {
    description: "A location's work queue (new groups to pick, acceptances, cancellations, holds): with afterSequence, every event after it (0: all) and then live; without, live only. STORE: its own locations.",
    subscribe: ({ args, context }) => fulfillmentUpdates(context as Context, (args as { locationId: string }).locationId, (args as { afterSequence?: number | null }).afterSequence),
  })
  fulfillmentUpdates(
    @Root() event: FulfillmentEventRecord,
    @Arg('locationId', () => ID) _locationId: string,
    @Arg('afterSequence', () => Int, { nullable: true }) _afterSequence: number | null,
  ): FulfillmentEventRecord {
    return event;
  }

  @Subscription(() => InventoryPosition, {
    description:
      'Positions as they change, coalesced: at most one event per position every 250 ms, carrying its latest value. Filter by skus, locationIds or both (at most 100 each); after a reconnect of the server\'s listener every covered position is sent again.',
    subscribe: ({ args, context }) =>
      inventoryChanges(context as Context, (args as { skus?: string[] | null }).skus, (args as { locationIds?: string[] | null }).locationIds),
  })
  inventoryChanged(
    @Root() position: PositionRecord,
    @Arg('skus', () => [String], { nullable: true }) _skus: string[] | null,
    @Arg('locationIds', () => [ID], { nullable: true }) _locationIds: string[] | null,
  ): PositionRecord {
    return position;
  }
}

@Resolver(() => FulfillmentEvent)
export class FulfillmentEventResolver {
  @FieldResolver(() => Order)
  order(@Root() e: FulfillmentEventRecord, @Ctx() ctx: Context) {
    return ctx.loaders.order.load(e.orderId);
  }

  @FieldResolver(() => FulfillmentGroup, { nullable: true })
  group(@Root() e: FulfillmentEventRecord, @Ctx() ctx: Context) {
    return e.fulfillmentGroupId ? ctx.loaders.group.load(e.fulfillmentGroupId) : null;
  }

  @FieldResolver(() => Location)
  location(@Root() e: FulfillmentEventRecord, @Ctx() ctx: Context) {
    return ctx.loaders.location.load(e.locationId);
  }
}
