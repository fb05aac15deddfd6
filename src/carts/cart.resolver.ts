/** Cart reservations: reserve, release, read. */
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { requireRole } from '../auth/principal';
import type { Result } from '../common/errors';
import { Location } from '../inventory/inventory.types';
import type { CartRecord } from './cart.service';
import { CartReservation, CartReservationInput, CartReservationLine, CartReservationPayload } from './cart.types';

function payload(r: Result<CartRecord>) {
  return r.ok ? { reservation: r.value, userErrors: [] } : { reservation: null, userErrors: r.errors };
}

@Resolver(() => CartReservation)
export class CartReservationResolver {
  @Query(() => CartReservation, { nullable: true })
  async cartReservation(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    requireRole(ctx.principal, 'SERVICE', 'AGENT');
    return ctx.services.carts.get(id.toLowerCase());
  }

  @Mutation(() => CartReservationPayload, {
    description: 'Holds stock for a cart (TTL default 15 minutes, at most 2 hours); replaying the key renews it. placeOrder with cartReservationId converts it.',
  })
  async reserveCart(@Arg('input', () => CartReservationInput) input: CartReservationInput, @Arg('idempotencyKey') idempotencyKey: string, @Ctx() ctx: Context) {
    const p = requireRole(ctx.principal, 'SERVICE');
    return payload(await ctx.services.carts.reserve(p, input, idempotencyKey));
  }

  @Mutation(() => CartReservationPayload, { description: 'Gives a cart’s held stock back.' })
  async releaseCartReservation(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    const p = requireRole(ctx.principal, 'SERVICE');
    return payload(await ctx.services.carts.release(p, id.toLowerCase()));
  }
}

@Resolver(() => CartReservationLine)
export class CartReservationLineResolver {
  @FieldResolver(() => Location)
  location(@Root() l: { locationId: string }, @Ctx() ctx: Context) {
    return ctx.loaders.location.load(l.locationId);
  }
}
