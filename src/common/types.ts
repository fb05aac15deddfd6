/** GraphQL types shared by several modules: Money, GeoPoint, Address, the enums. */
import { Field, Float, InputType, ObjectType, registerEnumType, Directive } from 'type-graphql';
import { DecimalScalar } from './scalars';

/** The enums' values as plain string types, for the pure modules (planner, state machine, records). */
export type FulfillmentMethodValue = 'SHIP' | 'PICKUP' | 'SAME_DAY';
export type LocationTypeValue = 'WAREHOUSE' | 'STORE' | 'DARK_STORE';

export enum FulfillmentMethod {
  SHIP = 'SHIP',
  PICKUP = 'PICKUP',
  SAME_DAY = 'SAME_DAY',
}
registerEnumType(FulfillmentMethod, { name: 'FulfillmentMethod' });

export enum LocationType {
  WAREHOUSE = 'WAREHOUSE',
  STORE = 'STORE',
  DARK_STORE = 'DARK_STORE',
}
registerEnumType(LocationType, { name: 'LocationType' });

@Directive('@shareable')
@ObjectType()
export class Money {
  @Field(() => DecimalScalar)
  amount!: string;

  @Field()
  currencyCode!: string;
}

@ObjectType()
export class GeoPoint {
  @Field(() => Float)
  lat!: number;

  @Field(() => Float)
  lng!: number;
}

@InputType()
export class GeoPointInput {
  @Field(() => Float)
  lat!: number;

  @Field(() => Float)
  lng!: number;
}

@ObjectType()
export class Address {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field() line1!: string;
  @Field(() => String, { nullable: true }) line2?: string | null;
  @Field() city!: string;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field() postalCode!: string;
  @Field() countryCode!: string;
  @Field(() => GeoPoint, { nullable: true }) geo?: GeoPoint | null;
}

@InputType()
export class AddressInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field() line1!: string;
  @Field(() => String, { nullable: true }) line2?: string | null;
  @Field() city!: string;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field() postalCode!: string;
  @Field() countryCode!: string;
  @Field(() => GeoPointInput, { nullable: true }) geo?: GeoPointInput | null;
}

export function money(amount: string, currencyCode: string): Money {
  return { amount, currencyCode };
}
