/**
 * Fields this subgraph contributes to the neighbours' entities: `Customer.orders` (the
 * customer's orders, newest first) and `ProductVariant.availability` (network total and the
 * locations with stock, nearest first). Thin: the rules live in the order listing and the
 * inventory service.
 */
import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, Float, Info, Int, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { requirePrincipal } from '../auth/principal';
import { FulfillmentMethod, GeoPointInput } from '../common/types';
import { orderConnection, orderListing } from '../orders/order.resolver';
import { listingColumns } from '../orders/listing-columns';
import type { OrderPage } from '../orders/order.service';
import { OrderConnection, OrderStatus } from '../orders/order.types';
import { Availability } from '../inventory/inventory.types';
import { checkAvailabilityArgs } from '../inventory/inventory.resolver';
import type { AvailabilityRecord } from '../inventory/inventory.service';
import { Customer, ProductVariant } from './stubs';

@Resolver(() => Customer)
export class CustomerResolver {
  @FieldResolver(() => OrderConnection, {
    description: 'Newest first, keyset paginated. A customer sees only their own; a STORE those with work at its locations.',
  })
  async orders(
    @Root() customer: Customer,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => [OrderStatus], { nullable: true }) status?: OrderStatus[],
    @Info() info?: GraphQLResolveInfo,
  ) {
    const { size, filter } = orderListing(ctx, first, after, { customerId: customer.id, status: status ?? null });
    const columns = info ? listingColumns(info) : 'full';
    // every customer of the request asking alike: one statement (listByCustomers)
    const key = JSON.stringify([size, after ?? null, filter.status ?? null, filter.locationIds ?? null, columns]);
    const loader = loaderFor(customerOrderLoaders, ctx, key, () =>
      new DataLoader<string, OrderPage>((ids) => ctx.services.orders.listByCustomers(ids, size, after, { ...filter, customerId: null }, columns)),
    );
    return orderConnection(ctx, await loader.load(customer.id), columns);
  }
}

const customerOrderLoaders = new WeakMap<object, Map<string, DataLoader<string, OrderPage>>>();

/**
 * The loader for one set of arguments, made on first use and kept with the context's
 * DataLoaders: a request's for HTTP, an event's for a subscription (which replaces them for
 * every event, so nothing read for one event is served to the next).
 */
function loaderFor<L>(loaders: WeakMap<object, Map<string, L>>, ctx: Context, key: string, make: () => L): L {
  let byArgs = loaders.get(ctx.loaders);
  if (!byArgs) loaders.set(ctx.loaders, (byArgs = new Map()));
  let loader = byArgs.get(key);
  if (!loader) byArgs.set(key, (loader = make()));
  return loader;
}

/**
 * Per request (or subscription event) and per set of arguments, one availability query for
 * all the variants asking: a product page's twenty variants, through the router, cost one
 * statement.
 */
const availabilityLoaders = new WeakMap<object, Map<string, DataLoader<string, AvailabilityRecord>>>();

@Resolver(() => ProductVariant)
export class ProductVariantResolver {
  @FieldResolver(() => Availability, { description: 'Network available-to-promise of this variant; locations nearest first when `near` is given.' })
  availability(
    @Root() variant: ProductVariant,
    @Ctx() ctx: Context,
    @Arg('near', () => GeoPointInput, { nullable: true }) near?: GeoPointInput,
    @Arg('method', () => FulfillmentMethod, { nullable: true }) method?: FulfillmentMethod,
    @Arg('radiusKm', () => Float, { nullable: true }) radiusKm?: number,
  ): Promise<AvailabilityRecord> {
    requirePrincipal(ctx.principal);
    checkAvailabilityArgs(near, radiusKm);
    const key = JSON.stringify([near?.lat ?? null, near?.lng ?? null, method ?? null, radiusKm ?? null]);
    const loader = loaderFor(availabilityLoaders, ctx, key, () =>
      new DataLoader<string, AvailabilityRecord>(async (skus) => {
        const records = await ctx.services.inventory.availability({ skus: [...skus], near, method, radiusKm });
        const bySku = new Map(records.map((r) => [r.sku, r]));
        return skus.map((sku) => bySku.get(sku) ?? { sku, available: 0, locations: [] });
      }),
    );
    return loader.load(variant.sku);
  }
}
