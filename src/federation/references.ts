/**
 * __resolveReference for every entity this subgraph owns. type-graphql does not create
 * them, so they are added to the resolver map here. Each goes through the request's
 * DataLoaders (one statement per entity type per request) and the same access rules as
 * the queries: a representation the principal may not see resolves to null.
 */
import type { Context } from '../context';
import { canReadRules, requirePrincipal } from '../auth/principal';
import { isUuid } from '../common/validate';
import { visibleOrder } from '../orders/access';

type Ref = Record<string, unknown>;
const id = (r: Ref): string | null => (typeof r.id === 'string' && isUuid(r.id) ? r.id.toLowerCase() : null);

async function orderVisible(ctx: Context, orderId: string): Promise<boolean> {
  return (await visibleOrder(ctx, await ctx.loaders.order.load(orderId))) !== null;
}

export const referenceResolvers = {
  Order: {
    async __resolveReference(ref: Ref, ctx: Context) {
      requirePrincipal(ctx.principal);
      const key = id(ref);
      return key ? visibleOrder(ctx, await ctx.loaders.order.load(key)) : null;
    },
  },
  FulfillmentPlan: {
    async __resolveReference(ref: Ref, ctx: Context) {
      requirePrincipal(ctx.principal);
      const key = id(ref);
      const plan = key ? await ctx.loaders.plan.load(key) : null;
      return plan && (await orderVisible(ctx, plan.orderId)) ? plan : null;
    },
  },
  FulfillmentGroup: {
    async __resolveReference(ref: Ref, ctx: Context) {
      requirePrincipal(ctx.principal);
      const key = id(ref);
      const group = key ? await ctx.loaders.group.load(key) : null;
      return group && (await orderVisible(ctx, group.orderId)) ? group : null;
    },
  },
  Location: {
    async __resolveReference(ref: Ref, ctx: Context) {
      requirePrincipal(ctx.principal);
      const key = id(ref);
      return key ? ctx.loaders.location.load(key) : null;
    },
  },
  InventoryPosition: {
    async __resolveReference(ref: Ref, ctx: Context) {
      requirePrincipal(ctx.principal);
      const locationId = typeof ref.locationId === 'string' && isUuid(ref.locationId) ? ref.locationId.toLowerCase() : null;
      const sku = typeof ref.sku === 'string' ? ref.sku : null;
      return locationId && sku ? ctx.loaders.position.load(`${locationId}|${sku}`) : null;
    },
  },
  // Entities of the neighbours, to which this subgraph contributes fields: the key is all
  // there is here (the fields' resolvers check the principal).
  Customer: {
    __resolveReference(ref: Ref, ctx: Context) {
      requirePrincipal(ctx.principal);
      return typeof ref.id === 'string' && ref.id.length > 0 ? { id: ref.id } : null;
    },
  },
  ProductVariant: {
    __resolveReference(ref: Ref, ctx: Context) {
      requirePrincipal(ctx.principal);
      return typeof ref.sku === 'string' && ref.sku.length > 0 ? { sku: ref.sku } : null;
    },
  },
  SourcingRule: {
    async __resolveReference(ref: Ref, ctx: Context) {
      const key = id(ref);
      return key && canReadRules(requirePrincipal(ctx.principal)) ? ctx.loaders.rule.load(key) : null;
    },
  },
};
