/** Sourcing rules, read side. */
import { Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { requireRole } from '../auth/principal';
import { SourcingRule } from './sourcing.types';

@Resolver(() => SourcingRule)
export class SourcingRuleResolver {
  @Query(() => [SourcingRule], { description: 'Every rule, highest priority first.' })
  sourcingRules(@Ctx() ctx: Context) {
    requireRole(ctx.principal, 'AGENT', 'SERVICE');
    return ctx.services.sourcing.rules(ctx.db);
  }
}
