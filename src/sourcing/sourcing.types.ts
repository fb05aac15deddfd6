/** GraphQL types of sourcing rules and plan explanations. */
import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FulfillmentMethod, LocationType, Money } from '../common/types';
import { DateTimeScalar } from '../common/scalars';
import { UserError } from '../common/errors';
import { Location } from '../inventory/inventory.types';
import { PlanLine } from '../fulfillment/fulfillment.types';

export enum SourcingFallback {
  BACKORDER = 'BACKORDER',
  PARTIAL = 'PARTIAL',
  REJECT = 'REJECT',
}
registerEnumType(SourcingFallback, { name: 'SourcingFallback', description: 'What happens to quantities no location can take.' });

export enum ExclusionReason {
  NO_STOCK = 'NO_STOCK',
  CAPACITY = 'CAPACITY',
  DISTANCE = 'DISTANCE',
  METHOD = 'METHOD',
  EXCLUDED = 'EXCLUDED',
  INACTIVE = 'INACTIVE',
}
registerEnumType(ExclusionReason, { name: 'ExclusionReason' });

@ObjectType({ description: 'Which orders a rule applies to; an empty list matches anything.' })
export class RuleMatch {
  @Field(() => [String]) channels!: string[];
  @Field(() => [FulfillmentMethod]) methods!: FulfillmentMethod[];
  @Field(() => [String]) countryCodes!: string[];
}

@ObjectType()
export class RuleCandidates {
  @Field(() => [LocationType]) locationTypes!: LocationType[];
  @Field(() => Float, { nullable: true, description: 'null: no limit.' }) maxDistanceKm!: number | null;
  @Field(() => [ID]) excludeLocationIds!: string[];
}

@ObjectType({ description: 'A distance band of the zone table: groups shipped from within upToKm (and beyond the previous band) pay these on top.' })
export class CostZone {
  @Field(() => Float, { nullable: true, description: 'null: any distance (only the last band).' }) upToKm!: number | null;
  @Field(() => Float) perShipment!: number;
  @Field(() => Float) perUnit!: number;
}

@ObjectType({ description: 'The objective the planner minimises: per shipment and per unit, each with a per-km part, plus the zone surcharges, less priority x weight.' })
export class RuleCost {
  @Field(() => Float) perShipment!: number;
  @Field(() => Float) perUnit!: number;
  @Field(() => Float) perUnitKm!: number;
  @Field(() => Float) perShipmentKm!: number;
  @Field(() => Float) priorityWeight!: number;
  @Field(() => [CostZone], { description: 'Optional zone table, ascending by distance; empty: none. A location beyond the last band (when it has a limit) is out of reach (DISTANCE).' })
  zones!: CostZone[];
}

@ObjectType()
export class RuleConstraints {
  @Field(() => Int, { nullable: true, description: 'null: no limit.' }) maxShipments!: number | null;
  @Field() shipComplete!: boolean;
  @Field() respectCapacity!: boolean;
  @Field() useSafetyStock!: boolean;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A sourcing rule: configuration that decides where orders are fulfilled.' })
export class SourcingRule {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() enabled!: boolean;
  @Field(() => Int) priority!: number;
  @Field(() => Int) version!: number;
  @Field(() => RuleMatch) match!: RuleMatch;
  @Field(() => RuleCandidates) candidates!: RuleCandidates;
  @Field(() => RuleCost) cost!: RuleCost;
  @Field(() => RuleConstraints) constraints!: RuleConstraints;
  @Field(() => SourcingFallback) fallback!: SourcingFallback;
  @Field(() => Int, { nullable: true }) acceptanceDeadlineMinutes!: number | null;
  @Field(() => Int, { nullable: true }) remorseHoldMinutes!: number | null;
}

@ObjectType({ description: 'A plan the planner considered and did not choose.' })
export class PlanAlternative {
  @Field(() => [ID]) locationIds!: string[];
  @Field(() => Float) objective!: number;
  @Field(() => Int) shipmentCount!: number;
}

@ObjectType()
export class ExcludedCandidate {
  @Field(() => Location) location!: Location;
  @Field(() => ExclusionReason) reason!: ExclusionReason;
}

@ObjectType({ description: 'One chosen location and its share of the objective.' })
export class GroupCostBreakdown {
  @Field(() => ID) locationId!: string;
  @Field(() => Float) cost!: number;
  @Field(() => Float) distanceKm!: number;
}

@ObjectType({ description: 'Why the plan is what it is.' })
export class SourcingExplanation {
  @Field({ description: 'false where a heuristic answered (the first planner is a heuristic).' }) provenOptimal!: boolean;
  @Field(() => Float, { description: "The chosen plan's cost under the rule." }) objective!: number;
  @Field(() => [GroupCostBreakdown]) breakdown!: GroupCostBreakdown[];
  @Field(() => [PlanAlternative]) alternatives!: PlanAlternative[];
  @Field(() => [ExcludedCandidate]) excluded!: ExcludedCandidate[];
  @Field(() => ID) ruleId!: string;
  @Field(() => Int) ruleVersion!: number;
}

@InputType()
export class RuleMatchInput {
  @Field(() => [String], { nullable: true }) channels?: string[] | null;
  @Field(() => [FulfillmentMethod], { nullable: true }) methods?: FulfillmentMethod[] | null;
  @Field(() => [String], { nullable: true }) countryCodes?: string[] | null;
}

@InputType()
export class RuleCandidatesInput {
  @Field(() => [LocationType], { nullable: true }) locationTypes?: LocationType[] | null;
  @Field(() => Float, { nullable: true }) maxDistanceKm?: number | null;
  @Field(() => [ID], { nullable: true }) excludeLocationIds?: string[] | null;
}

@InputType()
export class CostZoneInput {
  @Field(() => Float, { nullable: true, description: 'null: any distance (only the last band).' }) upToKm?: number | null;
  @Field(() => Float) perShipment!: number;
  @Field(() => Float) perUnit!: number;
}

@InputType()
export class RuleCostInput {
  @Field(() => Float) perShipment!: number;
  @Field(() => Float) perUnit!: number;
  @Field(() => Float) perUnitKm!: number;
  @Field(() => Float) perShipmentKm!: number;
  @Field(() => Float) priorityWeight!: number;
  @Field(() => [CostZoneInput], { nullable: true, description: 'Optional zone table, ascending by upToKm (at most 20 bands). Default: none.' })
  zones?: CostZoneInput[] | null;
}

@InputType()
export class RuleConstraintsInput {
  @Field(() => Int, { nullable: true }) maxShipments?: number | null;
  @Field(() => Boolean, { nullable: true }) shipComplete?: boolean | null;
  @Field(() => Boolean, { nullable: true }) respectCapacity?: boolean | null;
  @Field(() => Boolean, { nullable: true }) useSafetyStock?: boolean | null;
}

@InputType({ description: 'A sourcing rule to create (no id) or edit (id; each edit is a new version).' })
export class SourcingRuleInput {
  @Field(() => ID, { nullable: true }) id?: string | null;
  @Field() name!: string;
  @Field(() => Boolean, { nullable: true, description: 'Default true.' }) enabled?: boolean | null;
  @Field(() => Int, { description: 'Among the enabled rules that match an order, the highest priority wins.' }) priority!: number;
  @Field(() => RuleMatchInput, { nullable: true }) match?: RuleMatchInput | null;
  @Field(() => RuleCandidatesInput, { nullable: true }) candidates?: RuleCandidatesInput | null;
  @Field(() => RuleCostInput) cost!: RuleCostInput;
  @Field(() => RuleConstraintsInput, { nullable: true }) constraints?: RuleConstraintsInput | null;
  @Field(() => SourcingFallback, { nullable: true, description: 'Default BACKORDER.' }) fallback?: SourcingFallback | null;
  @Field(() => Int, { nullable: true }) acceptanceDeadlineMinutes?: number | null;
  @Field(() => Int, { nullable: true }) remorseHoldMinutes?: number | null;
  @Field(() => Int, { nullable: true, description: 'Refuse the edit unless the rule is at this version.' }) expectedVersion?: number | null;
}

@ObjectType()
export class SourcingRulePayload {
  @Field(() => SourcingRule, { nullable: true }) sourcingRule!: SourcingRule | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'Replayed orders under one set of rules, every plan priced with the draft’s cost model.' })
export class SimulationStats {
  @Field(() => Int) orders!: number;
  @Field(() => Float) totalCost!: number;
  @Field(() => Float) meanCost!: number;
  @Field(() => Float) shipmentsPerOrder!: number;
  @Field(() => Float) meanDistanceKm!: number;
  @Field(() => Float, { description: 'Units allocated / units ordered.' }) fillRate!: number;
}

@ObjectType({ description: 'What a draft rule would have done with recent orders, on today’s stock. Nothing is written.' })
export class RuleSimulation {
  @Field(() => Int) ordersReplayed!: number;
  @Field(() => Int, { description: 'Orders the draft’s match applies to: the ones compared.' }) ordersMatched!: number;
  @Field(() => SimulationStats, { nullable: true, description: 'Under the rules that served them.' }) served!: SimulationStats | null;
  @Field(() => SimulationStats, { nullable: true }) draft!: SimulationStats | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'One location’s share of a previewed order.' })
export class FulfillmentGroupPreview {
  @Field(() => Location) location!: Location;
  @Field(() => FulfillmentMethod) method!: FulfillmentMethod;
  @Field(() => [PlanLine], { description: 'orderLineId is "line-<index>" of the input lines.' }) lines!: PlanLine[];
  @Field(() => Money) estimatedCost!: Money;
  @Field(() => Float) distanceKm!: number;
  @Field(() => DateTimeScalar, { nullable: true }) promisedBy!: Date | null;
}

@ObjectType({ description: 'The plan an order would get now: the storefront’s promise. Nothing is reserved.' })
export class FulfillmentPlanPreview {
  @Field(() => [FulfillmentGroupPreview]) groups!: FulfillmentGroupPreview[];
  @Field(() => [PlanLine]) unallocated!: PlanLine[];
  @Field(() => Int) shipmentCount!: number;
  @Field(() => Money) estimatedCost!: Money;
  @Field(() => Float) totalDistanceKm!: number;
  @Field(() => SourcingExplanation, { nullable: true }) explanation!: SourcingExplanation | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
