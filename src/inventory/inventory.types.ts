/** GraphQL types of locations, positions and availability. */
import { Directive, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';
import { FulfillmentMethod, GeoPoint, GeoPointInput, LocationType } from '../common/types';
import { UserError } from '../common/errors';

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A stock location: a warehouse, a store or a dark store.' })
export class Location {
  @Field(() => ID) id!: string;
  @Field({ description: 'Short unique code, e.g. "WH-NJ" or "ST-CHI-01".' }) code!: string;
  @Field() name!: string;
  @Field(() => LocationType) type!: LocationType;
  @Field(() => GeoPoint) geo!: GeoPoint;
  @Field(() => [FulfillmentMethod]) methods!: FulfillmentMethod[];
  @Field(() => Int, { nullable: true, description: 'Fulfillment groups it takes per day (UTC); null means unlimited.' })
  dailyCapacity!: number | null;
  @Field(() => Int, { description: 'Higher is preferred by the sourcing cost model.' }) priority!: number;
  @Field() active!: boolean;
}

@Directive('@key(fields: "locationId sku")')
@ObjectType({ description: 'Stock of one SKU at one location.' })
export class InventoryPosition {
  @Field(() => ID) locationId!: string;
  @Field() sku!: string;
  @Field(() => Int) onHand!: number;
  @Field(() => Int, { description: 'Held for open fulfillment groups.' }) reserved!: number;
  @Field(() => Int) safetyStock!: number;
  @Field(() => Int, { description: 'max(0, onHand - reserved - safetyStock): what can still be promised.' })
  available!: number;
  @Field(() => DateTimeScalar) updatedAt!: Date;
}

@ObjectType()
export class LocationAvailability {
  @Field(() => Location) location!: Location;
  @Field(() => Int) available!: number;
  @Field(() => Float, { nullable: true, description: 'Great-circle km from `near`, when given.' })
  distanceKm!: number | null;
}

@ObjectType({ description: 'Network available-to-promise of one SKU.' })
export class Availability {
  @Field() sku!: string;
  @Field(() => Int, { description: 'Sum over the listed locations.' }) available!: number;
  @Field(() => [LocationAvailability], { description: 'Locations with stock; nearest first when `near` is given.' })
  locations!: LocationAvailability[];
}

@InputType()
export class LocationInput {
  @Field(() => ID, { nullable: true, description: 'Omit to create; give to update that location.' }) id?: string | null;
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => LocationType) type!: LocationType;
  @Field(() => GeoPointInput) geo!: GeoPointInput;
  @Field(() => [FulfillmentMethod]) methods!: FulfillmentMethod[];
  @Field(() => Int, { nullable: true }) dailyCapacity?: number | null;
  @Field(() => Int, { nullable: true }) priority?: number | null;
  @Field(() => Boolean, { nullable: true }) active?: boolean | null;
}

@InputType({ description: 'An absolute count from an ERP or POS.' })
export class InventoryInput {
  @Field(() => ID) locationId!: string;
  @Field() sku!: string;
  @Field(() => Int) onHand!: number;
  @Field(() => Int, { nullable: true }) safetyStock?: number | null;
}

@ObjectType({ description: 'A position whose stored numbers disagree with the ledger or the open allocations.' })
export class InventoryDrift {
  @Field(() => ID) locationId!: string;
  @Field() sku!: string;
  @Field(() => Int) onHand!: number;
  @Field(() => Int) reserved!: number;
  @Field(() => Int, { description: 'Sum of the on-hand movements.' }) ledgerOnHand!: number;
  @Field(() => Int, { description: 'Sum of the reserved movements.' }) ledgerReserved!: number;
  @Field(() => Int, { description: 'Units held by open fulfillment groups and live cart reservations.' }) openAllocations!: number;
  @Field(() => [String]) problems!: string[];
}

@ObjectType()
export class InventoryAudit {
  @Field({ description: 'true when no position drifts.' }) ok!: boolean;
  @Field(() => Int) checkedPositions!: number;
  @Field(() => [InventoryDrift]) drifts!: InventoryDrift[];
}

@ObjectType()
export class LocationPayload {
  @Field(() => Location, { nullable: true }) location!: Location | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class InventoryPayload {
  @Field(() => [InventoryPosition]) positions!: InventoryPosition[];
  @Field(() => [UserError]) userErrors!: UserError[];
}
