/** GraphQL types of fulfillment plans and groups. */
import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';
import { FulfillmentMethod } from '../common/types';

export enum FulfillmentStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  PICKING = 'PICKING',
  PACKED = 'PACKED',
  SHIPPED = 'SHIPPED',
  READY_FOR_PICKUP = 'READY_FOR_PICKUP',
  DELIVERED = 'DELIVERED',
  PICKED_UP = 'PICKED_UP',
  REJECTED = 'REJECTED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(FulfillmentStatus, { name: 'FulfillmentStatus' });

@ObjectType({ description: 'A quantity of one order line, in a group or unallocated.' })
export class PlanLine {
  @Field(() => ID) orderLineId!: string;
  @Field() sku!: string;
  @Field(() => Int) quantity!: number;
}

@ObjectType()
export class Tracking {
  @Field() carrier!: string;
  @Field() number!: string;
  @Field(() => String, { nullable: true }) url!: string | null;
}

@InputType()
export class TrackingInput {
  @Field() carrier!: string;
  @Field() number!: string;
  @Field(() => String, { nullable: true }) url?: string | null;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: "One location's share of an order: a shipment or a pickup." })
export class FulfillmentGroup {
  @Field(() => ID) id!: string;
  @Field(() => ID) orderId!: string;
  @Field(() => FulfillmentMethod) method!: FulfillmentMethod;
  @Field(() => FulfillmentStatus) status!: FulfillmentStatus;
  @Field(() => Tracking, { nullable: true }) tracking!: Tracking | null;
  @Field(() => Float) distanceKm!: number;
  @Field(() => DateTimeScalar, { nullable: true }) promisedBy!: Date | null;
  @Field(() => Int) version!: number;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  // location, lines, estimatedCost, nextStates, order: field resolvers
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'Which locations fulfil which lines of an order. Re-sourcing makes a new version.' })
export class FulfillmentPlan {
  @Field(() => ID) id!: string;
  @Field(() => Int) version!: number;
  @Field(() => Int) shipmentCount!: number;
  @Field(() => Float) totalDistanceKm!: number;
  @Field(() => DateTimeScalar) createdAt!: Date;
  // order, groups, unallocated, estimatedCost, rule, explanation: field resolvers
}
