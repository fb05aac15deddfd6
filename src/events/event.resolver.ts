/** The subscriptions: thin resolvers over the streams in this folder. */
import { Arg, Ctx, ID, Int, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../context';
import { OrderEvent } from '../orders/order.types';
import type { OrderEventRecord } from '../orders/records';
import { orderUpdates } from './order-updates';

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
}
