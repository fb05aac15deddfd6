/** Locations, positions and availability: queries, mutations and fields. */
import { Arg, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { requirePrincipal, requireRole } from '../auth/principal';
import { badInput, userError, UserErrorCode, type Result } from '../common/errors';
import { isUuid, SKU } from '../common/validate';
import { validGeo } from '../common/geo';
import { FulfillmentMethod, GeoPointInput, LocationType } from '../common/types';
import { MAX_QUERY_SKUS } from './inventory.service';
import type { LocationRecord, PositionRecord } from './records';
import {
  Availability, InventoryAudit, InventoryInput, InventoryPayload, InventoryPosition, Location, LocationInput, LocationPayload,
} from './inventory.types';

function checkSkus(skus: string[], arg = 'skus'): string[] {
  if (skus.length > MAX_QUERY_SKUS) throw badInput(`${arg} has at most ${MAX_QUERY_SKUS} entries`, arg);
  const bad = skus.find((s) => !SKU.test(s));
  if (bad !== undefined) throw badInput(`"${bad.slice(0, 80)}" is not a SKU (1-64 characters of A-Z a-z 0-9 . _ -)`, arg);
  return [...new Set(skus)];
}

function checkIds(ids: string[] | null | undefined, arg: string): string[] | null {
  if (!ids) return null;
  const bad = ids.find((id) => !isUuid(id));
  if (bad !== undefined) throw badInput(`"${bad.slice(0, 80)}" is not a location id`, arg);
  return ids.map((id) => id.toLowerCase());
}

@Resolver(() => Location)
export class LocationResolver {
  @Query(() => Location, { nullable: true })
  location(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    requirePrincipal(ctx.principal);
    return isUuid(id) ? ctx.loaders.location.load(id.toLowerCase()) : null;
  }

  @Query(() => [Location])
  async locations(
    @Ctx() ctx: Context,
    @Arg('type', () => LocationType, { nullable: true }) type?: LocationType,
    @Arg('active', () => Boolean, { nullable: true }) active?: boolean,
  ) {
    requirePrincipal(ctx.principal);
    const list = await ctx.services.inventory.locations({ type, active });
    for (const l of list) ctx.loaders.location.prime(l.id, l);
    return list;
  }

  @Mutation(() => LocationPayload, { description: 'Creates a location, or updates the one with `input.id`.' })
  async upsertLocation(@Arg('input', () => LocationInput) input: LocationInput, @Ctx() ctx: Context) {
    requireRole(ctx.principal, 'ADMIN');
    const r = await ctx.services.inventory.upsertLocation(input);
    return r.ok ? { location: r.value, userErrors: [] } : { location: null, userErrors: r.errors };
  }

  @FieldResolver(() => [InventoryPosition], { description: 'Positions here, optionally only these SKUs.' })
  inventory(@Root() l: LocationRecord, @Ctx() ctx: Context, @Arg('skus', () => [String], { nullable: true }) skus?: string[]) {
    return ctx.loaders.positionsByLocation.load({ locationId: l.id, skus: skus ? checkSkus(skus).sort() : null });
  }
}

function positionsPayload(r: Result<PositionRecord[]>) {
  return r.ok ? { positions: r.value, userErrors: [] } : { positions: [], userErrors: r.errors };
}

@Resolver(() => InventoryPosition)
export class InventoryPositionResolver {
  @Query(() => [InventoryPosition])
  inventoryPositions(
    @Arg('skus', () => [String]) skus: string[],
    @Ctx() ctx: Context,
    @Arg('locationIds', () => [ID], { nullable: true }) locationIds?: string[],
  ) {
    requirePrincipal(ctx.principal);
    return ctx.services.inventory.positions(checkSkus(skus), checkIds(locationIds, 'locationIds'));
  }

  @Query(() => [Availability], { description: "Network available-to-promise per SKU; nearest first when `near` is given. The storefront's hottest call." })
  availability(
    @Arg('skus', () => [String]) skus: string[],
    @Ctx() ctx: Context,
    @Arg('near', () => GeoPointInput, { nullable: true }) near?: GeoPointInput,
    @Arg('method', () => FulfillmentMethod, { nullable: true }) method?: FulfillmentMethod,
    @Arg('radiusKm', () => Float, { nullable: true }) radiusKm?: number,
  ) {
    requirePrincipal(ctx.principal);
    checkAvailabilityArgs(near, radiusKm);
    return ctx.services.inventory.availability({ skus: checkSkus(skus), near, method, radiusKm });
  }

  @Mutation(() => InventoryPayload, { description: 'ERP/POS sync: absolute on-hand counts (and safety stock). All entries or none.' })
  async setInventory(@Arg('input', () => [InventoryInput]) input: InventoryInput[], @Ctx() ctx: Context) {
    const p = requireRole(ctx.principal, 'SERVICE');
    return positionsPayload(await ctx.services.inventory.setInventory(input, p.sub));
  }

  @Mutation(() => InventoryPayload, { description: 'A relative change with a reason (receipt, damage, count difference).' })
  async adjustInventory(
    @Arg('locationId', () => ID) locationId: string,
    @Arg('sku') sku: string,
    @Arg('delta', () => Int) delta: number,
    @Arg('reason') reason: string,
    @Ctx() ctx: Context,
  ) {
    const p = requireRole(ctx.principal, 'SERVICE', 'STORE');
    if (p.role === 'STORE' && !p.locationIds.includes(locationId.toLowerCase())) {
      return { positions: [], userErrors: [userError(UserErrorCode.FORBIDDEN_LOCATION, 'Not one of your locations', ['locationId'])] };
    }
    const r = await ctx.services.inventory.adjustInventory({ locationId, sku, delta, reason }, p.sub);
    return positionsPayload(r.ok ? { ok: true, value: [r.value] } : r);
  }

  @Query(() => InventoryAudit, { description: 'Recomputes positions from the ledger and the open allocations and reports every drift.' })
  inventoryAudit(@Ctx() ctx: Context, @Arg('locationIds', () => [ID], { nullable: true }) locationIds?: string[]) {
    requireRole(ctx.principal, 'AGENT', 'SERVICE');
    return ctx.services.audit.audit(checkIds(locationIds, 'locationIds'));
  }

  @FieldResolver(() => Location)
  location(@Root() p: PositionRecord, @Ctx() ctx: Context) {
    return ctx.loaders.location.load(p.locationId);
  }
}

/** The arguments of an availability question, checked (also for ProductVariant.availability). */
export function checkAvailabilityArgs(near: GeoPointInput | null | undefined, radiusKm: number | null | undefined): void {
  if (near && !validGeo(near)) throw badInput('near must have lat within [-90, 90] and lng within [-180, 180]', 'near');
  if (radiusKm != null && !(radiusKm > 0)) throw badInput('radiusKm must be positive', 'radiusKm');
  if (radiusKm != null && !near) throw badInput('radiusKm needs near', 'radiusKm');
}
