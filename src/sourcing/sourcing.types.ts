/** GraphQL types of sourcing rules and plan explanations. */
import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FulfillmentMethod, LocationType } from '../common/types';
import { Location } from '../inventory/inventory.types';

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

@ObjectType({ description: 'The objective the planner minimises: per shipment and per unit, each with a per-km part, less priority x weight.' })
export class RuleCost {
  @Field(() => Float) perShipment!: number;
  @Field(() => Float) perUnit!: number;
  @Field(() => Float) perUnitKm!: number;
  @Field(() => Float) perShipmentKm!: number;
  @Field(() => Float) priorityWeight!: number;
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
