/** GraphQL types of orders: the order, its lines, holds, events, connection, inputs and payloads. */
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar, DecimalScalar } from '../common/scalars';
import { Address, AddressInput, FulfillmentMethod } from '../common/types';
import { UserError } from '../common/errors';
import { FulfillmentGroup } from '../fulfillment/fulfillment.types';

export enum OrderStatus {
  PLACED = 'PLACED',
  ON_HOLD = 'ON_HOLD',
  ALLOCATED = 'ALLOCATED',
  BACKORDERED = 'BACKORDERED',
  IN_FULFILLMENT = 'IN_FULFILLMENT',
  PARTIALLY_FULFILLED = 'PARTIALLY_FULFILLED',
  FULFILLED = 'FULFILLED',
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
  RETURNED = 'RETURNED',
}
registerEnumType(OrderStatus, { name: 'OrderStatus' });

export enum HoldType {
  FRAUD = 'FRAUD',
  PAYMENT = 'PAYMENT',
  CUSTOMER_SERVICE = 'CUSTOMER_SERVICE',
  ADDRESS = 'ADDRESS',
  /** Placed by a sourcing rule's remorse period; releases itself when the period ends. */
  REMORSE = 'REMORSE',
}
registerEnumType(HoldType, { name: 'HoldType' });

@Directive('@key(fields: "id")')
@ObjectType({ description: 'An order, from the moment the customer commits to it until it is delivered, picked up, cancelled or returned.' })
export class Order {
  @Field(() => ID, { description: 'UUID.' }) id!: string;
  @Field({ description: 'Human readable and unique, e.g. "ORD-100042".' }) number!: string;
  @Field(() => ID) customerId!: string;
  @Field() channel!: string;
  @Field(() => OrderStatus) status!: OrderStatus;
  @Field(() => FulfillmentMethod) method!: FulfillmentMethod;
  @Field(() => Address, { nullable: true, description: 'SHIP and SAME_DAY.' }) shippingAddress!: Address | null;
  @Field(() => Int, { description: 'Optimistic concurrency: bumped by every change.' }) version!: number;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) updatedAt!: Date;
  // customer, pickupLocation, lines, total, holds, fulfillmentPlan, events: field resolvers
}

@ObjectType()
export class OrderLine {
  @Field(() => ID) id!: string;
  @Field() sku!: string;
  @Field(() => Int) quantity!: number;
  @Field(() => Int) cancelledQuantity!: number;
  @Field(() => Int) returnedQuantity!: number;
  // unitPrice, product: field resolvers
}

@ObjectType()
export class OrderHold {
  @Field(() => ID) id!: string;
  @Field(() => HoldType) type!: HoldType;
  @Field() reason!: string;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the hold releases itself (remorse holds).' }) releaseAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) releasedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Who released it: "ROLE:sub" or "system:sweep".' }) releasedBy!: string | null;
}

@ObjectType({ description: "One change in an order's life. Sequences count 1, 2, 3, ... per order with no gaps." })
export class OrderEvent {
  @Field(() => Int) sequence!: number;
  @Field(() => ID) orderId!: string;
  @Field({ description: 'e.g. ORDER_PLACED, ORDER_ALLOCATED, GROUP_SHIPPED, ORDER_CANCELLED.' }) type!: string;
  @Field(() => OrderStatus, { description: 'The order status after this event.' }) status!: OrderStatus;
  @Field(() => OrderStatus, { nullable: true, description: 'The order status before it (null for the first event).' }) previousStatus!: OrderStatus | null;
  @Field(() => String, { nullable: true, description: 'Who caused it: "ROLE:sub", or "system:<job>" for the sweep.' }) actor!: string | null;
  @Field(() => ID, { nullable: true }) fulfillmentGroupId!: string | null;
  @Field(() => DateTimeScalar) at!: Date;
  // order: field resolver
}

@InputType()
export class LineQuantityInput {
  @Field(() => ID) orderLineId!: string;
  @Field(() => Int) quantity!: number;
}

@ObjectType()
export class OrderEdge {
  @Field() cursor!: string;
  @Field(() => Order) node!: Order;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class OrderConnection {
  @Field(() => [OrderEdge]) edges!: OrderEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@InputType()
export class OrderFilter {
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => [OrderStatus], { nullable: true }) status?: OrderStatus[] | null;
  @Field(() => ID, { nullable: true, description: 'Orders with a fulfillment group at this location.' }) locationId?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Inclusive.' }) createdAfter?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive.' }) createdBefore?: Date | null;
}

@InputType()
export class OrderLineInput {
  @Field() sku!: string;
  @Field(() => Int) quantity!: number;
  @Field(() => DecimalScalar) unitPrice!: string;
}

@InputType()
export class PlaceOrderInput {
  @Field(() => ID) customerId!: string;
  @Field({ description: '"web", "app", "store", "marketplace", ...' }) channel!: string;
  @Field(() => FulfillmentMethod) method!: FulfillmentMethod;
  @Field(() => [OrderLineInput]) lines!: OrderLineInput[];
  @Field() currencyCode!: string;
  @Field(() => AddressInput, { nullable: true, description: 'SHIP and SAME_DAY; give geo for distance-based sourcing.' })
  shippingAddress?: AddressInput | null;
  @Field(() => ID, { nullable: true, description: 'PICKUP.' }) pickupLocationId?: string | null;
  @Field(() => Boolean, { nullable: true, description: "The shopper's choice: one parcel later rather than several as available." })
  shipComplete?: boolean | null;
  @Field(() => ID, { nullable: true, description: "Converts this live cart reservation's held units instead of checking stock again; an expired one falls back to normal sourcing." })
  cartReservationId?: string | null;
}

@ObjectType()
export class PlaceOrderPayload {
  @Field(() => Order, { nullable: true }) order!: Order | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class OrderPayload {
  @Field(() => Order, { nullable: true }) order!: Order | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class FulfillmentGroupPayload {
  @Field(() => FulfillmentGroup, { nullable: true }) fulfillmentGroup!: FulfillmentGroup | null;
  @Field(() => Order, { nullable: true }) order!: Order | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
