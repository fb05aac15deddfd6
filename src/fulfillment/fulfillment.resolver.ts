/** Fulfillment plans and groups: their fields, advanceFulfillment and rejectFulfillment, and the locations of previews and exclusions. */
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { canReadRules, requireRole } from '../auth/principal';
import { normalizeDecimal } from '../common/scalars';
import { money, Money } from '../common/types';
import { Location } from '../inventory/inventory.types';
import { Order, FulfillmentGroupPayload } from '../orders/order.types';
import { ExcludedCandidate, FulfillmentGroupPreview, SourcingExplanation, SourcingRule } from '../sourcing/sourcing.types';
import { FulfillmentGroup, FulfillmentPlan, FulfillmentStatus, PlanLine, TrackingInput } from './fulfillment.types';
import type { GroupRecord, PlanRecord } from './records';
import { nextStates } from './state-machine';
import type { GroupResult } from './fulfillment.service';
import type { Result } from '../common/errors';

function groupPayload(r: Result<GroupResult>) {
  return r.ok ? { fulfillmentGroup: r.value.group, order: r.value.order, userErrors: [] } : { fulfillmentGroup: null, order: null, userErrors: r.errors };
}

@Resolver(() => FulfillmentPlan)
export class FulfillmentPlanResolver {
  @FieldResolver(() => Order)
  order(@Root() p: PlanRecord, @Ctx() ctx: Context) {
    return ctx.loaders.order.load(p.orderId);
  }

  @FieldResolver(() => [FulfillmentGroup])
  groups(@Root() p: PlanRecord, @Ctx() ctx: Context) {
    return ctx.loaders.groupsByPlan.load(p.id);
  }

  @FieldResolver(() => [PlanLine], { description: 'Backordered quantities: what no location could take.' })
  unallocated(@Root() p: PlanRecord, @Ctx() ctx: Context) {
    return ctx.loaders.unallocatedByPlan.load(p.id);
  }

  @FieldResolver(() => Money)
  estimatedCost(@Root() p: PlanRecord): Money {
    return money(normalizeDecimal(p.estimatedCost), p.currencyCode);
  }

  @FieldResolver(() => SourcingRule, { nullable: true, description: 'The rule that produced the plan (its current version); null for customers and stores.' })
  rule(@Root() p: PlanRecord, @Ctx() ctx: Context) {
    return p.ruleId && ctx.principal && canReadRules(ctx.principal) ? ctx.loaders.rule.load(p.ruleId) : null;
  }

  @FieldResolver(() => SourcingExplanation)
  explanation(@Root() p: PlanRecord) {
    const e = p.explanation;
    return {
      provenOptimal: e.provenOptimal,
      objective: e.objective,
      breakdown: e.groups ?? [],
      alternatives: e.alternatives,
      excluded: e.excluded,
      ruleId: e.ruleId,
      ruleVersion: e.ruleVersion,
    };
  }
}

@Resolver(() => FulfillmentGroupPreview)
export class FulfillmentGroupPreviewResolver {
  @FieldResolver(() => Location)
  location(@Root() g: { locationId: string }, @Ctx() ctx: Context) {
    return ctx.loaders.location.load(g.locationId);
  }
}

@Resolver(() => ExcludedCandidate)
export class ExcludedCandidateResolver {
  @FieldResolver(() => Location)
  location(@Root() e: { locationId: string }, @Ctx() ctx: Context) {
    return ctx.loaders.location.load(e.locationId);
  }
}

@Resolver(() => FulfillmentGroup)
export class FulfillmentGroupResolver {
  @Mutation(() => FulfillmentGroupPayload, {
    description: 'Moves a group forward: ACCEPTED, PICKING, PACKED, then SHIPPED and DELIVERED, or READY_FOR_PICKUP and PICKED_UP.',
  })
  async advanceFulfillment(
    @Arg('groupId', () => ID) groupId: string,
    @Arg('to', () => FulfillmentStatus) to: FulfillmentStatus,
    @Ctx() ctx: Context,
    @Arg('tracking', () => TrackingInput, { nullable: true }) tracking?: TrackingInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ) {
    const p = requireRole(ctx.principal, 'STORE');
    return groupPayload(await ctx.services.fulfillment.advance(p, { groupId: groupId.toLowerCase(), to, tracking, expectedVersion }));
  }

  @Mutation(() => FulfillmentGroupPayload, {
    description: "The location declines the group (until PACKED): its reservation is released and its lines are re-sourced at once elsewhere, or backordered.",
  })
  async rejectFulfillment(@Arg('groupId', () => ID) groupId: string, @Arg('reason') reason: string, @Ctx() ctx: Context) {
    const p = requireRole(ctx.principal, 'STORE');
    return groupPayload(await ctx.services.fulfillment.reject(p, groupId.toLowerCase(), reason));
  }

  @FieldResolver(() => Location)
  location(@Root() g: GroupRecord, @Ctx() ctx: Context) {
    return ctx.loaders.location.load(g.locationId);
  }

  @FieldResolver(() => [PlanLine])
  lines(@Root() g: GroupRecord, @Ctx() ctx: Context) {
    return ctx.loaders.groupLines.load(g.id);
  }

  @FieldResolver(() => Money)
  estimatedCost(@Root() g: GroupRecord): Money {
    return money(normalizeDecimal(g.estimatedCost), g.currencyCode);
  }

  @FieldResolver(() => [FulfillmentStatus], { description: 'Where this group may go next.' })
  nextStates(@Root() g: GroupRecord) {
    return nextStates(g.status, g.method);
  }

  @FieldResolver(() => Order)
  order(@Root() g: GroupRecord, @Ctx() ctx: Context) {
    return ctx.loaders.order.load(g.orderId);
  }
}
