/**
 * Cart reservations: stock held between cart and checkout so that a paid order never fails
 * for stock the cart was shown. A reservation is sourced like an order and reserved with
 * the same guarded UPDATE; it lives for a TTL (default 15 minutes, at most 2 hours),
 * renewed by replaying its key, and ends converted (placeOrder), released, or expired (the
 * sweep, which claims rows with SKIP LOCKED). Its lines count in `reserved` until it ends.
 */
import crypto from 'node:crypto';
import type { Database, Tx } from '../db/database';
import { fail, ok, userError, UserErrorCode, type Result, withUserErrors, abortWith } from '../common/errors';
import { isUuid } from '../common/validate';
import type { FulfillmentMethodValue } from '../common/types';
import type { Principal } from '../auth/principal';
import { actorOf } from '../events/outbox';
import { recordMovements, releaseReserved } from '../inventory/ledger';
import type { SourcingService } from '../sourcing/sourcing.service';
import { validateOrderShape, type PlaceOrderData } from '../orders/order.service';
import type { AddressData } from '../orders/records';

export const DEFAULT_TTL_SECONDS = 900;
export const MAX_TTL_SECONDS = 7200;

export type CartStatus = 'ACTIVE' | 'CONVERTED' | 'RELEASED' | 'EXPIRED';

export interface CartInputData {
  customerId: string;
  lines: { sku: string; quantity: number; unitPrice: string }[];
  method: FulfillmentMethodValue;
  shippingAddress?: AddressData | null;
  pickupLocationId?: string | null;
  ttlSeconds?: number | null;
  channel?: string | null;
}

export interface CartRecord {
  id: string;
  customerId: string;
  method: FulfillmentMethodValue;
  status: CartStatus;
  expiresAt: Date;
  orderId: string | null;
  createdAt: Date;
  lines: { locationId: string; sku: string; quantity: number }[];
  unallocated: { sku: string; quantity: number }[];
}

interface CartRow {
  id: string; principal: string; request_hash: string; customer_id: string; method: string; status: CartStatus;
  ttl_seconds: number; expires_at: Date; order_id: string | null; created_at: Date; live: boolean; pickup_location_id: string | null;
}

const CART_COLUMNS =
  'id, principal, request_hash, customer_id, method, pickup_location_id, status, ttl_seconds, expires_at, order_id, created_at, (expires_at > now()) AS live';

function hashOf(input: CartInputData): string {
  const canonical = {
    customerId: input.customerId, method: input.method, channel: input.channel ?? 'web',
    lines: input.lines.map((l) => [l.sku, l.quantity]), shippingAddress: input.shippingAddress ?? null,
    pickupLocationId: input.pickupLocationId?.toLowerCase() ?? null,
  };
  return crypto.createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export class CartService {
  constructor(
    private readonly db: Database,
    private readonly sourcing: SourcingService,
  ) {}

  async get(id: string): Promise<CartRecord | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db.query<CartRow>(`SELECT ${CART_COLUMNS} FROM cart_reservations WHERE id = $1`, [id]);
    return row ? this.record(this.db, row) : null;
  }

  /**
   * Holds stock for a cart. The key makes it idempotent per principal: a replay while the
   * hold lives renews it; after it was converted, released or expired, a replay returns
   * that same reservation and holds nothing new.
   */
  async reserve(principal: Principal, input: CartInputData, key: string): Promise<Result<CartRecord>> {
    const errors = validateOrderShape({ ...input, shippingAddress: input.shippingAddress ?? null } as PlaceOrderData);
    const ttl = input.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
      errors.push(userError(UserErrorCode.VALIDATION, `ttlSeconds must be from 1 to ${MAX_TTL_SECONDS}`, ['input', 'ttlSeconds']));
    }
    if (input.channel != null && !/^[a-z0-9_-]{1,32}$/.test(input.channel)) {
      errors.push(userError(UserErrorCode.VALIDATION, 'channel must be 1-32 characters of a-z 0-9 _ -', ['input', 'channel']));
    }
    if (key.length < 1 || key.length > 200) errors.push(userError(UserErrorCode.VALIDATION, 'idempotencyKey must be 1-200 characters', ['idempotencyKey']));
    if (errors.length) return fail(...errors);
    const hash = hashOf(input);
    const actor = actorOf(principal);
    return withUserErrors(async () =>
      ok(
        await this.db.transaction(async (tx) => {
          const id = crypto.randomUUID();
          // Claim the key; a concurrent duplicate waits here for the first to commit.
          const inserted = await tx.query<{ id: string }>(
            `INSERT INTO cart_reservations (id, principal, key, request_hash, customer_id, method, pickup_location_id, status, ttl_seconds, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $8, 'ACTIVE', $7::int, now() + make_interval(secs => $7::int)) ON CONFLICT (principal, key) DO NOTHING RETURNING id`,
            [id, principal.sub, key, hash, input.customerId, input.method, ttl, input.pickupLocationId?.toLowerCase() ?? null],
          );
          if (inserted.length === 0) {
            const [prior] = await tx.query<CartRow>(`SELECT ${CART_COLUMNS} FROM cart_reservations WHERE principal = $1 AND key = $2 FOR UPDATE`, [principal.sub, key]);
            if (prior.request_hash !== hash) {
              throw abortWith(UserErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotencyKey was used for a different cart', ['idempotencyKey']);
            }
            if (prior.status === 'ACTIVE' && prior.live) {
              const [renewed] = await tx.query<CartRow>(
                `UPDATE cart_reservations SET expires_at = now() + make_interval(secs => ttl_seconds), updated_at = now() WHERE id = $1 RETURNING ${CART_COLUMNS}`,
                [prior.id],
              );
              return this.record(tx, renewed);
            }
            if (prior.status === 'ACTIVE') await endCart(tx, prior.id, 'EXPIRED', 'system:cart-expiry', 'expired');
            const [now] = await tx.query<CartRow>(`SELECT ${CART_COLUMNS} FROM cart_reservations WHERE id = $1`, [prior.id]);
            return this.record(tx, now);
          }
          await this.hold(tx, id, input, actor);
          const [row] = await tx.query<CartRow>(`SELECT ${CART_COLUMNS} FROM cart_reservations WHERE id = $1`, [id]);
          return this.record(tx, row);
        }),
      ),
    );
  }

  private async hold(tx: Tx, id: string, input: CartInputData, actor: string): Promise<void> {
    let destination = input.shippingAddress?.geo ?? null;
    const pickupLocationId = input.pickupLocationId?.toLowerCase() ?? null;
    if (pickupLocationId) {
      const [l] = await tx.query<{ lat: number; lng: number; active: boolean; methods: string[] }>('SELECT lat, lng, active, methods FROM locations WHERE id = $1', [pickupLocationId]);
      if (!l) throw abortWith(UserErrorCode.NOT_FOUND, `No location ${pickupLocationId}`, ['input', 'pickupLocationId']);
      if (!l.active || !l.methods.includes('PICKUP')) {
        throw abortWith(UserErrorCode.NO_ELIGIBLE_LOCATION, 'That location does not offer pickup', ['input', 'pickupLocationId']);
      }
      destination = { lat: l.lat, lng: l.lng };
    }
    const rule = await this.sourcing.ruleFor(tx, { channel: input.channel ?? 'web', method: input.method, countryCode: input.shippingAddress?.countryCode ?? null });
    const plan = await this.sourcing.reservePlan(
      tx,
      {
        method: input.method, destination, pickupLocationId, shipComplete: false,
        lines: input.lines.map((l, i) => ({ orderLineId: String(i), sku: l.sku, quantity: l.quantity })),
      },
      rule,
      { capacity: false },
    );
    const lines = plan.groups.flatMap((g) => g.lines.map((l) => ({ locationId: g.locationId, sku: l.sku, quantity: l.quantity })));
    if (lines.length) {
      await tx.query(
        `INSERT INTO cart_reservation_lines (reservation_id, location_id, sku, quantity) SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::int[])`,
        [id, lines.map((l) => l.locationId), lines.map((l) => l.sku), lines.map((l) => l.quantity)],
      );
      await recordMovements(
        tx,
        lines.map((l) => ({ locationId: l.locationId, sku: l.sku, kind: 'RESERVATION' as const, onHandDelta: 0, reservedDelta: l.quantity, cartReservationId: id })),
        { actor, reason: 'cart reservation' },
      );
    }
    if (plan.unallocated.length) {
      await tx.query(`INSERT INTO cart_reservation_unallocated (reservation_id, sku, quantity) SELECT $1, * FROM unnest($2::text[], $3::int[])`, [
        id, plan.unallocated.map((u) => u.sku), plan.unallocated.map((u) => u.quantity),
      ]);
    }
  }

  /** Gives the stock back. Releasing an ended reservation changes nothing. */
  async release(principal: Principal, id: string): Promise<Result<CartRecord>> {
    if (!isUuid(id)) return fail(userError(UserErrorCode.NOT_FOUND, `No cart reservation ${id}`, ['id']));
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<CartRow>(`SELECT ${CART_COLUMNS} FROM cart_reservations WHERE id = $1 FOR UPDATE`, [id]);
      if (!row || (principal.role !== 'ADMIN' && row.principal !== principal.sub)) {
        return fail<CartRecord>(userError(UserErrorCode.NOT_FOUND, `No cart reservation ${id}`, ['id']));
      }
      if (row.status === 'ACTIVE') await endCart(tx, id, 'RELEASED', actorOf(principal), 'released');
      const [now] = await tx.query<CartRow>(`SELECT ${CART_COLUMNS} FROM cart_reservations WHERE id = $1`, [id]);
      return ok(await this.record(tx, now));
    });
  }

  /** The sweep: ends expired reservations, each claimed once across processes (SKIP LOCKED). */
  async expire(limit = 500): Promise<number> {
    let n = 0;
    while (n < limit) {
      const done = await this.db.transaction(async (tx) => {
        const claimed = await tx.query<{ id: string }>(
          `SELECT id FROM cart_reservations WHERE status = 'ACTIVE' AND expires_at <= now() ORDER BY expires_at LIMIT 50 FOR UPDATE SKIP LOCKED`,
        );
        if (claimed.length) await endCarts(tx, claimed.map((c) => c.id), 'EXPIRED', 'system:cart-expiry', 'expired');
        return claimed.length;
      });
      if (done === 0) break;
      n += done;
    }
    return n;
  }

  /**
   * placeOrder's side: takes the live reservation's held units for the order's lines, in
   * the order transaction. Returns the units per SKU and location that move from the cart
   * to the order (no second stock check), or null when the reservation no longer lives
   * (the order then sources normally). Leftover units go back to stock.
   */
  async convert(
    tx: Tx,
    principal: Principal,
    id: string,
    order: { id: string; customerId: string; method: FulfillmentMethodValue; pickupLocationId: string | null; skus: string[] },
    wanted: Map<string, number>,
  ): Promise<{ locationId: string; sku: string; quantity: number }[] | null> {
    const { customerId } = order;
    const orderId = order.id;
    const [row] = await tx.query<CartRow>(`SELECT ${CART_COLUMNS} FROM cart_reservations WHERE id = $1 FOR UPDATE`, [id]);
    if (!row || (principal.role !== 'ADMIN' && row.principal !== principal.sub)) {
      throw abortWith(UserErrorCode.NOT_FOUND, `No cart reservation ${id}`, ['input', 'cartReservationId']);
    }
    if (row.customer_id !== customerId) {
      throw abortWith(UserErrorCode.VALIDATION, 'The cart reservation belongs to another customer', ['input', 'cartReservationId']);
    }
    if (row.method !== order.method || (row.pickup_location_id ?? null) !== (order.pickupLocationId ?? null)) {
      throw abortWith(UserErrorCode.VALIDATION, `The cart reservation was made for ${row.method}${row.pickup_location_id ? ` at ${row.pickup_location_id}` : ''}, not for this order's fulfillment`, ['input', 'cartReservationId']);
    }
    if (row.status === 'CONVERTED') {
      throw abortWith(UserErrorCode.INVALID_TRANSITION, 'The cart reservation was already converted into an order', ['input', 'cartReservationId']);
    }
    if (row.status !== 'ACTIVE') return null;
    if (!row.live) {
      await endCart(tx, id, 'EXPIRED', 'system:cart-expiry', 'expired');
      return null;
    }
    const lines = await tx.query<{ location_id: string; sku: string; quantity: number }>(
      'SELECT location_id, sku, quantity FROM cart_reservation_lines WHERE reservation_id = $1 ORDER BY location_id, sku',
      [id],
    );
    const left = new Map(wanted);
    const taken: { locationId: string; sku: string; quantity: number }[] = [];
    const leftover: { locationId: string; sku: string; quantity: number }[] = [];
    for (const l of lines) {
      const q = Math.min(left.get(l.sku) ?? 0, l.quantity);
      if (q > 0) {
        taken.push({ locationId: l.location_id, sku: l.sku, quantity: q });
        left.set(l.sku, left.get(l.sku)! - q);
      }
      if (l.quantity > q) leftover.push({ locationId: l.location_id, sku: l.sku, quantity: l.quantity - q });
    }
    const actor = actorOf(principal);
    // Leftover units go back and the rest of the order is sourced: two batches of position
    // locks, so take them all at once first, in order.
    const rest = order.skus.some((s) => (left.get(s) ?? 0) > 0);
    if (leftover.length && rest) await this.sourcing.lockSkus(tx, [...new Set([...order.skus, ...leftover.map((l) => l.sku)])]);
    // The held units change owner: released from the cart, reserved by the order's groups (persist writes those).
    await recordMovements(
      tx,
      taken.map((t) => ({ locationId: t.locationId, sku: t.sku, kind: 'RELEASE' as const, onHandDelta: 0, reservedDelta: -t.quantity, cartReservationId: id, orderId })),
      { actor, reason: 'converted into an order' },
    );
    await releaseToStock(tx, id, leftover, actor, 'not needed by the order');
    await tx.query(`UPDATE cart_reservations SET status = 'CONVERTED', order_id = $2, updated_at = now() WHERE id = $1`, [id, orderId]);
    return taken;
  }

  private async record(q: Pick<Tx, 'query'>, row: CartRow): Promise<CartRecord> {
    const lines = await q.query<{ location_id: string; sku: string; quantity: number }>(
      'SELECT location_id, sku, quantity FROM cart_reservation_lines WHERE reservation_id = $1 ORDER BY sku, location_id',
      [row.id],
    );
    const unallocated = await q.query<{ sku: string; quantity: number }>('SELECT sku, quantity FROM cart_reservation_unallocated WHERE reservation_id = $1 ORDER BY sku', [row.id]);
    return {
      id: row.id, customerId: row.customer_id, method: row.method as FulfillmentMethodValue, status: row.status,
      expiresAt: row.expires_at, orderId: row.order_id, createdAt: row.created_at,
      lines: lines.map((l) => ({ locationId: l.location_id, sku: l.sku, quantity: l.quantity })),
      unallocated,
    };
  }
}

/** Ends an ACTIVE reservation (row locked by the caller) and gives its units back to stock. */
export function endCart(tx: Tx, id: string, status: 'RELEASED' | 'EXPIRED', actor: string, reason: string): Promise<void> {
  return endCarts(tx, [id], status, actor, reason);
}

/** Ends several locked reservations with one release, so their positions lock in one sorted batch. */
async function endCarts(tx: Tx, ids: string[], status: 'RELEASED' | 'EXPIRED', actor: string, reason: string): Promise<void> {
  const lines = await tx.query<{ reservation_id: string; location_id: string; sku: string; quantity: number }>(
    'SELECT reservation_id, location_id, sku, quantity FROM cart_reservation_lines WHERE reservation_id = ANY($1)',
    [ids],
  );
  await releaseReserved(
    tx,
    lines.map((l) => ({ locationId: l.location_id, sku: l.sku, quantity: l.quantity, cartReservationId: l.reservation_id })),
    { actor, reason },
  );
  await tx.query('UPDATE cart_reservations SET status = $2, updated_at = now() WHERE id = ANY($1)', [ids, status]);
}

function releaseToStock(tx: Tx, cartId: string, items: { locationId: string; sku: string; quantity: number }[], actor: string, reason: string): Promise<void> {
  return releaseReserved(tx, items.map((i) => ({ ...i, cartReservationId: cartId })), { actor, reason });
}
