/** GraphQL types of cart reservations. */
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';
import { AddressInput, FulfillmentMethod } from '../common/types';
import { UserError } from '../common/errors';
import { OrderLineInput } from '../orders/order.types';

export enum CartReservationStatus {
  ACTIVE = 'ACTIVE',
  CONVERTED = 'CONVERTED',
  RELEASED = 'RELEASED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(CartReservationStatus, { name: 'CartReservationStatus' });

@ObjectType({ description: 'Units held at one location for a cart.' })
export class CartReservationLine {
  @Field(() => ID) locationId!: string;
  @Field() sku!: string;
  @Field(() => Int) quantity!: number;
  // location: field resolver
}

@ObjectType()
export class CartShortfall {
  @Field() sku!: string;
  @Field(() => Int, { description: 'Units the cart asked for that no location could hold.' }) quantity!: number;
}

@ObjectType({ description: 'Stock held between cart and checkout, until it is converted, released or expires.' })
export class CartReservation {
  @Field(() => ID) id!: string;
  @Field(() => ID) customerId!: string;
  @Field(() => FulfillmentMethod) method!: FulfillmentMethod;
  @Field(() => CartReservationStatus) status!: CartReservationStatus;
  @Field(() => DateTimeScalar, { description: 'When the hold ends unless renewed (replay reserveCart with the same key).' }) expiresAt!: Date;
  @Field(() => ID, { nullable: true, description: 'The order it was converted into.' }) orderId!: string | null;
  @Field(() => [CartReservationLine]) lines!: CartReservationLine[];
  @Field(() => [CartShortfall]) unallocated!: CartShortfall[];
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@InputType()
export class CartReservationInput {
  @Field(() => ID) customerId!: string;
  @Field(() => [OrderLineInput]) lines!: OrderLineInput[];
  @Field(() => FulfillmentMethod) method!: FulfillmentMethod;
  @Field(() => AddressInput, { nullable: true }) shippingAddress?: AddressInput | null;
  @Field(() => ID, { nullable: true }) pickupLocationId?: string | null;
  @Field(() => Int, { nullable: true, description: 'Default 900 (15 minutes), at most 7200.' }) ttlSeconds?: number | null;
  @Field(() => String, { nullable: true, description: 'For the choice of sourcing rule; default "web".' }) channel?: string | null;
}

@ObjectType()
export class CartReservationPayload {
  @Field(() => CartReservation, { nullable: true }) reservation!: CartReservation | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
