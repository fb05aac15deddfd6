/** Sourcing rules (read and edit), the storefront's preview, and rule simulation. */
import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { requirePrincipal, requireRole } from '../auth/principal';
import type { Result } from '../common/errors';
import { fromUnits, toUnits } from '../common/money';
import { money } from '../common/types';
import { PlaceOrderInput } from '../orders/order.types';
import type { RuleRecord } from './rules';
import type { PreviewRecord } from './simulation.service';
import { FulfillmentPlanPreview, RuleSimulation, SourcingRule, SourcingRuleInput, SourcingRulePayload } from './sourcing.types';

function rulePayload(r: Result<RuleRecord>) {
  return r.ok ? { sourcingRule: r.value, userErrors: [] } : { sourcingRule: null, userErrors: r.errors };
}

const price = (cost: number, currency: string) => money(fromUnits(toUnits(Math.max(0, cost).toFixed(4))), currency);

function previewOf(p: PreviewRecord) {
  const { plan } = p;
  return {
    groups: plan.groups.map((g) => ({
      locationId: g.locationId, method: p.method, lines: g.lines, estimatedCost: price(g.cost, p.currencyCode), distanceKm: g.distanceKm,
      promisedBy: p.promised.get(g.locationId) ?? null,
    })),
    unallocated: plan.unallocated,
    shipmentCount: plan.shipmentCount,
    estimatedCost: price(plan.objective, p.currencyCode),
    totalDistanceKm: plan.totalDistanceKm,
    explanation: {
      provenOptimal: plan.provenOptimal, objective: plan.objective, alternatives: plan.alternatives, excluded: plan.excluded,
      ruleId: plan.ruleId, ruleVersion: plan.ruleVersion,
      breakdown: plan.groups.map((g) => ({ locationId: g.locationId, cost: g.cost, distanceKm: g.distanceKm })),
    },
    userErrors: [],
  };
}

@Resolver(() => SourcingRule)
export class SourcingRuleResolver {
  @Query(() => [SourcingRule], { description: 'Every rule, highest priority first.' })
  sourcingRules(@Ctx() ctx: Context) {
    requireRole(ctx.principal, 'AGENT', 'SERVICE');
    return ctx.services.sourcing.rules(ctx.db);
  }

  @Mutation(() => SourcingRulePayload, { description: 'Creates a rule, or edits one (a new version). Takes effect for the next order: no release, no restart.' })
  async upsertSourcingRule(@Arg('input', () => SourcingRuleInput) input: SourcingRuleInput, @Ctx() ctx: Context) {
    const p = requireRole(ctx.principal);
    return rulePayload(await ctx.services.rules.upsert(input, `${p.role}:${p.sub}`));
  }

  @Mutation(() => SourcingRulePayload, { description: 'Retires a rule; plans it made keep their reference. The default rule stays.' })
  async deleteSourcingRule(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    requireRole(ctx.principal);
    return rulePayload(await ctx.services.rules.delete(id.toLowerCase()));
  }

  @Query(() => FulfillmentPlanPreview, { description: 'The plan this order would get now, on live stock; reserves nothing. Any role.' })
  async previewSourcing(@Arg('input', () => PlaceOrderInput) input: PlaceOrderInput, @Ctx() ctx: Context) {
    requirePrincipal(ctx.principal);
    const r = await ctx.services.simulation.preview(input);
    if (r.ok) return previewOf(r.value);
    return { groups: [], unallocated: [], shipmentCount: 0, estimatedCost: money('0.00', input.currencyCode), totalDistanceKm: 0, explanation: null, userErrors: r.errors };
  }

  @Query(() => RuleSimulation, { description: 'Replays the last orders (default 500) under a draft rule and under the rules that served them. Read only.' })
  async simulateSourcingRule(
    @Arg('rule', () => SourcingRuleInput) rule: SourcingRuleInput,
    @Ctx() ctx: Context,
    @Arg('lastOrders', () => Int, { nullable: true, defaultValue: 500 }) lastOrders?: number,
  ) {
    requireRole(ctx.principal);
    const r = await ctx.services.simulation.simulate(rule, lastOrders ?? 500);
    return r.ok ? { ...r.value, userErrors: [] } : { ordersReplayed: 0, ordersMatched: 0, served: null, draft: null, userErrors: r.errors };
  }
}
