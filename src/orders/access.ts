/** Who may read which order: the one rule used by queries, entity references and (later) subscriptions. */
import type { Context } from '../context';
import type { OrderRecord } from './records';

export async function canReadOrder(ctx: Context, order: OrderRecord): Promise<boolean> {
  const p = ctx.principal;
  if (!p) return false;
  switch (p.role) {
    case 'ADMIN':
    case 'AGENT':
    case 'SERVICE':
      return true;
    case 'CUSTOMER':
      return order.customerId === p.sub;
    case 'STORE': {
      const groups = await ctx.loaders.groupsByOrder.load(order.id);
      return groups.some((g) => p.locationIds.includes(g.locationId));
    }
  }
}

/** The order if it exists and the principal may read it; null otherwise (no existence leak). */
export async function visibleOrder(ctx: Context, order: OrderRecord | null): Promise<OrderRecord | null> {
  return order && (await canReadOrder(ctx, order)) ? order : null;
}
