/** GraphQL types of the subscription streams that are not order types. */
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';
import { OrderStatus } from '../orders/order.types';

@ObjectType({ description: "An event in a location's work queue: an order event that names the location, or concerns an order it has a group of." })
export class FulfillmentEvent {
  @Field(() => Int, { description: 'Counts 1, 2, 3, ... per location, with no gaps.' }) sequence!: number;
  @Field(() => ID) locationId!: string;
  @Field(() => ID) orderId!: string;
  @Field(() => Int, { description: "The event's sequence in its order's own stream (orderUpdated)." }) orderSequence!: number;
  @Field({ description: 'e.g. ORDER_ALLOCATED (new work), GROUP_ACCEPTED, ORDER_HOLD_PLACED, ORDER_CANCELLED.' }) type!: string;
  @Field(() => OrderStatus, { description: 'The order status after the event.' }) orderStatus!: OrderStatus;
  @Field(() => ID, { nullable: true }) fulfillmentGroupId!: string | null;
  @Field(() => DateTimeScalar) at!: Date;
  // order, group, location: field resolvers
}
