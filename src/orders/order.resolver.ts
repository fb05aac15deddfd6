/** Order queries, mutations and fields. Thin: check the principal, call one service method, map. */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { badInput, forbidden, type Result } from '../common/errors';
import { requirePrincipal, requireRole } from '../auth/principal';
import { isUuid } from '../common/validate';
import { linesTotal } from '../common/money';
import { normalizeDecimal } from '../common/scalars';
import { money, Money } from '../common/types';
import { Location } from '../inventory/inventory.types';
import { FulfillmentPlan } from '../fulfillment/fulfillment.types';
import { Customer, ProductVariant } from '../federation/stubs';
import { MAX_PAGE, decodeCursor, type OrderFilterData, type OrderPage } from './order.service';
import type { OrderEventRecord, OrderLineRecord, OrderRecord } from './records';
import { visibleOrder } from './access';
import { listingColumns, type ListingColumns } from './listing-columns';
import {
  HoldType, LineQuantityInput, Order, OrderConnection, OrderEvent, OrderFilter, OrderHold, OrderLine, OrderPayload, PlaceOrderInput, PlaceOrderPayload,
} from './order.types';

export function pageSize(first: number | null | undefined, fallback: number, arg = 'first'): number {
  const n = first ?? fallback;
  if (n < 0 || n > MAX_PAGE) throw badInput(`${arg} must be between 0 and ${MAX_PAGE}`, arg);
  return n;
}

/**
 * An order listing as the principal may see it: a customer only their own (asking for
 * another's is FORBIDDEN), a STORE those with work at its locations. Returns the page size
 * and the filter to run; shared by `orders` and the contributed field `Customer.orders`.
 */
export function orderListing(ctx: Context, first: number | null | undefined, after: string | null | undefined, filter: OrderFilterData) {
  const p = requirePrincipal(ctx.principal);
  const size = pageSize(first, 20);
  const f: OrderFilterData = { ...filter };
  if (f.locationId != null && !isUuid(f.locationId)) throw badInput('filter.locationId must be a location id', 'filter');
  if (p.role === 'CUSTOMER') {
    if (f.customerId != null && f.customerId !== p.sub) throw forbidden('A customer may list only their own orders');
    f.customerId = p.sub;
  }
  if (p.role === 'STORE') {
    if (f.locationId != null && !p.locationIds.includes(f.locationId.toLowerCase())) throw forbidden('Not one of your locations');
    f.locationIds = p.locationIds;
  }
  if (after != null && !decodeCursor(after)) throw badInput('after is not a cursor from this connection', 'after');
  return { size, filter: f };
}

/**
 * A page as the connection type, its orders primed in the request's loader (whole records
 * only: a summary's would answer a later read of the same order without its other columns).
 */
export function orderConnection(ctx: Context, page: OrderPage, columns: ListingColumns = 'full') {
  if (columns === 'full') for (const e of page.edges) ctx.loaders.order.prime(e.node.id, e.node);
  return { edges: page.edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
}

function payload(result: Result<OrderRecord>) {
  return result.ok ? { order: result.value, userErrors: [] } : { order: null, userErrors: result.errors };
}

@Resolver(() => Order)
export class OrderResolver {
  @Query(() => Order, { nullable: true })
  async order(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<OrderRecord | null> {
    requirePrincipal(ctx.principal);
    return isUuid(id) ? visibleOrder(ctx, await ctx.loaders.order.load(id.toLowerCase())) : null;
  }

  @Query(() => Order, { nullable: true })
  async orderByNumber(@Arg('number') number: string, @Ctx() ctx: Context): Promise<OrderRecord | null> {
    requirePrincipal(ctx.principal);
    return visibleOrder(ctx, await ctx.loaders.orderByNumber.load(number));
  }

  @Query(() => OrderConnection, { description: 'Newest first, keyset paginated. A customer sees their own orders, a store those it fulfils.' })
  async orders(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('filter', () => OrderFilter, { nullable: true }) filter?: OrderFilter,
    @Info() info?: GraphQLResolveInfo,
  ) {
    const listing = orderListing(ctx, first, after, filter ?? {});
    const columns = info ? listingColumns(info) : 'full';
    return orderConnection(ctx, await ctx.services.orders.list(listing.size, after, listing.filter, columns), columns);
  }

  @Mutation(() => PlaceOrderPayload, { description: 'Places, sources and reserves an order. Same key and input: the same order.' })
  async placeOrder(
    @Arg('input', () => PlaceOrderInput) input: PlaceOrderInput,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
  ) {
    const p = requireRole(ctx.principal, 'SERVICE');
    return payload(await ctx.services.orders.placeOrder(p, input, idempotencyKey));
  }

  @Mutation(() => OrderPayload, { description: 'Cancels the whole order before anything ships, releasing its reservations.' })
  async cancelOrder(
    @Arg('id', () => ID) id: string,
    @Arg('reason') reason: string,
    @Ctx() ctx: Context,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ) {
    const p = requireRole(ctx.principal, 'CUSTOMER', 'AGENT');
    return payload(await ctx.services.lifecycle.cancelOrder(p, id.toLowerCase(), reason, expectedVersion));
  }

  @Mutation(() => OrderPayload, { description: 'Cancels quantities of lines that have not shipped, releasing exactly their reservations.' })
  async cancelOrderLines(
    @Arg('id', () => ID) id: string,
    @Arg('lines', () => [LineQuantityInput]) lines: LineQuantityInput[],
    @Arg('reason') reason: string,
    @Ctx() ctx: Context,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ) {
    const p = requireRole(ctx.principal, 'CUSTOMER', 'AGENT');
    return payload(await ctx.services.lifecycle.cancelOrderLines(p, id.toLowerCase(), lines, reason, expectedVersion));
  }

  @Mutation(() => OrderPayload, { description: 'Places a hold: the order is ON_HOLD and none of its groups advances until every hold is released.' })
  async holdOrder(@Arg('id', () => ID) id: string, @Arg('type', () => HoldType) type: HoldType, @Arg('reason') reason: string, @Ctx() ctx: Context) {
    const p = requireRole(ctx.principal, 'AGENT');
    return payload(await ctx.services.lifecycle.holdOrder(p, id.toLowerCase(), type, reason));
  }

  @Mutation(() => OrderPayload, { description: 'Releases one hold; with the last one the order returns to the status its groups imply.' })
  async releaseOrderHold(@Arg('id', () => ID) id: string, @Arg('holdId', () => ID) holdId: string, @Ctx() ctx: Context) {
    const p = requireRole(ctx.principal, 'AGENT');
    return payload(await ctx.services.lifecycle.releaseOrderHold(p, id.toLowerCase(), holdId.toLowerCase()));
  }

  @Mutation(() => OrderPayload, { description: 'Re-plans what is not accepted yet (and open groups at excluded locations): a new plan version.' })
  async resourceOrder(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
    @Arg('excludeLocationIds', () => [ID], { nullable: true }) excludeLocationIds?: string[],
  ) {
    const p = requireRole(ctx.principal, 'AGENT');
    return payload(await ctx.services.resourcing.resourceOrder(p, id.toLowerCase(), excludeLocationIds ?? []));
  }

  @Mutation(() => OrderPayload, { description: 'Returns delivered or picked-up quantities; with restock the units go back on hand where they came from.' })
  async returnOrderLines(
    @Arg('id', () => ID) id: string,
    @Arg('lines', () => [LineQuantityInput]) lines: LineQuantityInput[],
    @Arg('restock') restock: boolean,
    @Arg('reason') reason: string,
    @Ctx() ctx: Context,
  ) {
    const p = requireRole(ctx.principal, 'AGENT');
    return payload(await ctx.services.lifecycle.returnOrderLines(p, id.toLowerCase(), lines, restock, reason));
  }

  @FieldResolver(() => Boolean, { description: 'Whether this principal may cancel the whole order now.' })
  async canCancel(@Root() o: OrderRecord, @Ctx() ctx: Context): Promise<boolean> {
    const p = ctx.principal;
    if (!p || !['CUSTOMER', 'AGENT', 'ADMIN'].includes(p.role) || o.status === 'CANCELLED') return false;
    const progress = await ctx.loaders.progressByOrder.load(o.id);
    return !progress.anyShipped && !(p.role === 'CUSTOMER' && progress.anyAccepted);
  }

  @FieldResolver(() => Customer)
  customer(@Root() o: OrderRecord): Customer {
    return { id: o.customerId };
  }

  @FieldResolver(() => Location, { nullable: true, description: 'PICKUP.' })
  pickupLocation(@Root() o: OrderRecord, @Ctx() ctx: Context) {
    return o.pickupLocationId ? ctx.loaders.location.load(o.pickupLocationId) : null;
  }

  @FieldResolver(() => [OrderLine])
  lines(@Root() o: OrderRecord, @Ctx() ctx: Context) {
    return ctx.loaders.linesByOrder.load({ orderId: o.id, currencyCode: o.currencyCode });
  }

  @FieldResolver(() => Money, { description: 'Sum over lines of (quantity - cancelledQuantity) x unitPrice.' })
  async total(@Root() o: OrderRecord, @Ctx() ctx: Context): Promise<Money> {
    const lines = await ctx.loaders.linesByOrder.load({ orderId: o.id, currencyCode: o.currencyCode });
    return money(linesTotal(lines), o.currencyCode);
  }

  @FieldResolver(() => [OrderHold])
  holds(@Root() o: OrderRecord, @Ctx() ctx: Context) {
    return ctx.loaders.holdsByOrder.load(o.id);
  }

  @FieldResolver(() => FulfillmentPlan, { nullable: true, description: 'The active plan.' })
  fulfillmentPlan(@Root() o: OrderRecord, @Ctx() ctx: Context) {
    return ctx.loaders.activePlanByOrder.load(o.id);
  }

  @FieldResolver(() => [OrderEvent], { description: 'The timeline: events after sequence `after`, oldest first.' })
  events(
    @Root() o: OrderRecord,
    @Ctx() ctx: Context,
    @Arg('after', () => Int, { nullable: true }) after?: number,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number,
  ): Promise<OrderEventRecord[]> {
    return ctx.loaders.events.load({ orderId: o.id, after: Math.max(0, after ?? 0), first: pageSize(first, 50) });
  }
}

@Resolver(() => OrderLine)
export class OrderLineResolver {
  @FieldResolver(() => Int, { description: 'Units that can still be cancelled: not shipped, not cancelled.' })
  async cancellableQuantity(@Root() l: OrderLineRecord, @Ctx() ctx: Context): Promise<number> {
    const p = (await ctx.loaders.progressByOrder.load(l.orderId)).lines.get(l.id);
    return Math.max(0, l.quantity - l.cancelledQuantity - (p?.shipped ?? 0));
  }

  @FieldResolver(() => Int, { description: 'Units delivered or picked up and not returned yet.' })
  async returnableQuantity(@Root() l: OrderLineRecord, @Ctx() ctx: Context): Promise<number> {
    const p = (await ctx.loaders.progressByOrder.load(l.orderId)).lines.get(l.id);
    return Math.max(0, (p?.delivered ?? 0) - l.returnedQuantity);
  }

  @FieldResolver(() => Money)
  unitPrice(@Root() l: OrderLineRecord): Money {
    return money(normalizeDecimal(l.unitPrice), l.currencyCode);
  }

  @FieldResolver(() => ProductVariant)
  product(@Root() l: OrderLineRecord): ProductVariant {
    return { sku: l.sku };
  }
}

@Resolver(() => OrderEvent)
export class OrderEventResolver {
  @FieldResolver(() => Order)
  order(@Root() e: OrderEventRecord, @Ctx() ctx: Context) {
    return ctx.loaders.order.load(e.orderId);
  }
}
