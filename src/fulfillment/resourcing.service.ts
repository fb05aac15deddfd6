/**
 * Re-sourcing: a new plan version for what an order still needs. Used when a location
 * rejects a group, when an agent re-sources, when a group misses its acceptance deadline,
 * when stock arrives for backordered lines (oldest order first), and when a stock count
 * falls below what is reserved. The new plan keeps the groups that go on (shared through
 * plan_groups), adds new groups for the re-planned quantities, and backorders what no
 * location can take. Earlier plans stay as they were, for history.
 */
import type { Database, Tx } from '../db/database';
import { fail, ok, userError, UserErrorCode, type Result, abortWith, withUserErrors } from '../common/errors';
import { isUuid } from '../common/validate';
import type { Principal } from '../auth/principal';
import { actorOf, type NewOrderEvent } from '../events/outbox';
import type { SourcingService } from '../sourcing/sourcing.service';
import type { Logger } from '../log';
import { commitChange, loadState, lockOrder, type OrderState, type StateGroup } from '../orders/order-state';
import type { OrderRecord } from '../orders/records';
import { endGroups } from './groups';
import { endCart } from '../carts/cart.service';
import { ENDED_STATES, OPEN_STATES } from './state-machine';

export interface ReplanOptions {
  /** Open groups to end before planning; their lines are planned again. */
  end: StateGroup[];
  endAs: 'REJECTED' | 'CANCELLED';
  excludeLocationIds: string[];
  actor: string;
  reason: string;
  /** The event written for each ended group. */
  eventType: string;
  /** Make a new plan version even when nothing needs planning (resourceOrder). */
  always?: boolean;
  /** Leave out locations that rejected this order before (not when an agent re-sources on purpose). */
  excludeRejected?: boolean;
}

class NothingAllocated extends Error {}

export class ResourcingService {
  constructor(
    private readonly db: Database,
    private readonly sourcing: SourcingService,
    private readonly log: Logger,
  ) {}

  /** Ends `opts.end`, plans their lines and the unallocated quantities again, and commits the change. */
  async replan(tx: Tx, order: OrderRecord, state: OrderState, opts: ReplanOptions): Promise<OrderRecord> {
    // Releasing and reserving touch positions in two batches: lock everything first, in order.
    const skus = [...new Set([...opts.end.flatMap((g) => g.lines.map((l) => l.sku)), ...state.unallocated.map((u) => u.sku)])];
    if (skus.length) await this.sourcing.lockSkus(tx, skus);
    await endGroups(tx, order.id, opts.end, opts.endAs, opts.actor, opts.reason);
    const need = new Map<string, { sku: string; quantity: number }>();
    const add = (l: { orderLineId: string; sku: string; quantity: number }) => {
      const cur = need.get(l.orderLineId);
      need.set(l.orderLineId, { sku: l.sku, quantity: (cur?.quantity ?? 0) + l.quantity });
    };
    opts.end.forEach((g) => g.lines.forEach(add));
    state.unallocated.forEach(add);
    const events: NewOrderEvent[] = opts.end.map((g) => ({
      type: opts.eventType, status: order.status, fulfillmentGroupId: g.id, locationId: g.locationId, data: { reason: opts.reason },
    }));
    if (need.size > 0 || opts.always) {
      const endedIds = new Set(opts.end.map((g) => g.id));
      const keep = state.groups.filter((g) => !endedIds.has(g.id) && !ENDED_STATES.has(g.status)).map((g) => g.id);
      const outcome = await this.planFor(tx, order, [...need].map(([orderLineId, l]) => ({ orderLineId, ...l })), opts.excludeLocationIds, keep, opts.actor, opts.excludeRejected !== false);
      events.push({
        type: 'ORDER_RESOURCED',
        status: order.status,
        data: { reason: opts.reason, planId: outcome.planId, newGroups: outcome.groups.length, unallocatedUnits: outcome.plan.unallocated.reduce((n, u) => n + u.quantity, 0) },
      });
    }
    return commitChange(tx, order, events, opts.actor);
  }

  /** Plans these quantities for the order under its current rule, excluding locations that rejected it. */
  private async planFor(
    tx: Tx, order: OrderRecord, lines: { orderLineId: string; sku: string; quantity: number }[], exclude: string[], keep: string[], actor: string, excludeRejected: boolean,
  ) {
    const rule = await this.sourcing.ruleFor(tx, { channel: order.channel, method: order.method, countryCode: order.shippingAddress?.countryCode ?? null });
    const rejected = excludeRejected
      ? await tx.query<{ location_id: string }>(`SELECT DISTINCT location_id FROM fulfillment_groups WHERE order_id = $1 AND status = 'REJECTED'`, [order.id])
      : [];
    let destination = order.shippingAddress?.geo ?? null;
    if (order.pickupLocationId) {
      const [l] = await tx.query<{ lat: number; lng: number }>('SELECT lat, lng FROM locations WHERE id = $1', [order.pickupLocationId]);
      destination = l;
    }
    return this.sourcing.planAndReserve(tx, {
      orderId: order.id,
      rule,
      actor,
      keepGroupIds: keep,
      request: {
        method: order.method,
        destination,
        pickupLocationId: order.pickupLocationId,
        shipComplete: order.shipComplete,
        lines,
        excludeLocationIds: [...new Set([...exclude, ...rejected.map((r) => r.location_id)])],
      },
    });
  }

  /**
   * An agent re-plans what has not been accepted yet (pending groups and backorders), and
   * any open group at an excluded location. Groups already accepted elsewhere go on.
   */
  async resourceOrder(principal: Principal, id: string, excludeLocationIds: string[]): Promise<Result<OrderRecord>> {
    if (!isUuid(id)) return fail(userError(UserErrorCode.NOT_FOUND, `No order ${id}`, ['id']));
    const bad = excludeLocationIds.findIndex((l) => !isUuid(l));
    if (bad >= 0) return fail(userError(UserErrorCode.VALIDATION, 'excludeLocationIds must be location ids', ['excludeLocationIds', String(bad)]));
    const exclude = excludeLocationIds.map((l) => l.toLowerCase());
    return withUserErrors(async () =>
      ok(
        await this.db.transaction(async (tx) => {
          const order = await lockOrder(tx, id);
          if (!order) throw abortWith(UserErrorCode.NOT_FOUND, `No order ${id}`, ['id']);
          if (['CANCELLED', 'COMPLETED', 'RETURNED', 'FULFILLED'].includes(order.status)) {
            throw abortWith(UserErrorCode.INVALID_TRANSITION, `A ${order.status} order has nothing to re-source`, ['id']);
          }
          const state = await loadState(tx, id);
          const end = state.groups.filter((g) => g.status === 'PENDING' || (OPEN_STATES.has(g.status) && exclude.includes(g.locationId)));
          return this.replan(tx, order, state, {
            end, endAs: 'CANCELLED', excludeLocationIds: exclude, actor: actorOf(principal), reason: 're-sourced by customer service', eventType: 'GROUP_CANCELLED',
            always: true, excludeRejected: false,
          });
        }),
      ),
    );
  }

  /**
   * The acceptance deadline: re-sources groups still PENDING past their rule's deadline,
   * one order per transaction. Orders are claimed with SKIP LOCKED, so several processes
   * can sweep side by side and each expired group is handled once. Returns the count.
   */
  async expireUnaccepted(limit = 100): Promise<number> {
    let handled = 0;
    for (let round = 0; round < limit * 2 && handled < limit; round++) {
      const outcome = await this.db.transaction(async (tx): Promise<'none' | 'handled' | 'skipped'> => {
        const [claim] = await tx.query<{ id: string }>(
          `SELECT o.id FROM orders o
            WHERE o.id IN (SELECT order_id FROM fulfillment_groups WHERE status = 'PENDING' AND accept_by < now() ORDER BY accept_by LIMIT 50)
              AND NOT EXISTS (SELECT 1 FROM order_holds h WHERE h.order_id = o.id AND h.released_at IS NULL)
            LIMIT 1 FOR UPDATE SKIP LOCKED`,
        );
        if (!claim) return 'none';
        // The claim's subquery saw a snapshot from before the lock: look again now that we hold it.
        const order = (await lockOrder(tx, claim.id))!;
        const state = await loadState(tx, order.id);
        if (state.openHolds > 0) return 'skipped'; // held meanwhile: no group may be accepted, so none is late
        const late = state.groups.filter((g) => g.status === 'PENDING');
        const expired = new Set(
          (await tx.query<{ id: string }>(`SELECT id FROM fulfillment_groups WHERE id = ANY($1) AND accept_by < now()`, [late.map((g) => g.id)])).map((r) => r.id),
        );
        const end = late.filter((g) => expired.has(g.id));
        if (end.length === 0) return 'skipped'; // another process handled it first
        await this.replan(tx, order, state, {
          end, endAs: 'REJECTED', excludeLocationIds: end.map((g) => g.locationId), actor: 'system:acceptance-deadline',
          reason: 'not accepted before the deadline', eventType: 'GROUP_EXPIRED',
        });
        return 'handled';
      });
      if (outcome === 'none') break;
      if (outcome === 'handled') handled += 1;
    }
    return handled;
  }

  /**
   * Stock arrived for these SKUs: backordered quantities are sourced, oldest order first.
   * An order whose backorder still finds nothing is left as it was (no new plan version).
   * Returns how many orders got stock.
   */
  async sourceBackorders(skus: string[], limit = 200): Promise<number> {
    if (skus.length === 0) return 0;
    const waiting = await this.db.query<{ id: string }>(
      `SELECT o.id FROM orders o
        WHERE o.status NOT IN ('CANCELLED', 'RETURNED')
          AND EXISTS (
            -- a waiting SKU with free stock at an active location that serves the order and did not reject it
            SELECT 1 FROM fulfillment_plans p JOIN plan_unallocated u ON u.plan_id = p.id
              JOIN inventory_positions ip ON ip.sku = u.sku AND ip.on_hand - ip.reserved - ip.safety_stock > 0
              JOIN locations l ON l.id = ip.location_id AND l.active AND o.method = ANY(l.methods)
             WHERE p.order_id = o.id AND p.active AND u.sku = ANY($1)
               AND (o.pickup_location_id IS NULL OR l.id = o.pickup_location_id)
               AND NOT EXISTS (SELECT 1 FROM fulfillment_groups r WHERE r.order_id = o.id AND r.location_id = l.id AND r.status = 'REJECTED'))
        ORDER BY o.created_at, o.id LIMIT $2`,
      [skus, limit],
    );
    let sourced = 0;
    for (const { id } of waiting) {
      try {
        await this.db.transaction(async (tx) => {
          const order = await lockOrder(tx, id);
          if (!order) return;
          const state = await loadState(tx, id);
          if (state.unallocated.length === 0) return;
          await tx.savepoint(async () => {
            const after = await this.replan(tx, order, state, {
              end: [], endAs: 'CANCELLED', excludeLocationIds: [], actor: 'system:backorders', reason: 'stock arrived', eventType: 'GROUP_CANCELLED',
            });
            const now = await loadState(tx, id);
            const before = state.unallocated.reduce((n, u) => n + u.quantity, 0);
            if (now.unallocated.reduce((n, u) => n + u.quantity, 0) >= before) throw new NothingAllocated();
            return after;
          });
          sourced += 1;
        });
      } catch (err) {
        if (!(err instanceof NothingAllocated)) throw err;
      }
    }
    return sourced;
  }

  /**
   * A count below what is reserved: re-sources the open groups holding this position,
   * newest and least progressed first, until what stays reserved fits in `onHand`; then
   * releases cart reservations there, newest first. Each order is its own transaction; the
   * location is excluded from its re-plan.
   */
  async rerouteShortage(locationId: string, sku: string, onHand: number, actor: string): Promise<void> {
    for (let guard = 0; guard < 1000; guard++) {
      const [pos] = await this.db.query<{ reserved: number }>('SELECT reserved FROM inventory_positions WHERE location_id = $1 AND sku = $2', [locationId, sku]);
      if (!pos || pos.reserved <= onHand) return;
      const [victim] = await this.db.query<{ order_id: string; group_id: string }>(
        `SELECT g.order_id, g.id AS group_id FROM fulfillment_groups g JOIN fulfillment_group_lines gl ON gl.group_id = g.id
          WHERE g.location_id = $1 AND gl.sku = $2 AND g.status IN ('PENDING', 'ACCEPTED', 'PICKING', 'PACKED')
          ORDER BY array_position(ARRAY['PENDING','ACCEPTED','PICKING','PACKED'], g.status), g.created_at DESC LIMIT 1`,
        [locationId, sku],
      );
      if (!victim) {
        // No order holds it any more: what remains is cart reservations; release the newest.
        const [cart] = await this.db.query<{ id: string }>(
          `SELECT c.id FROM cart_reservations c JOIN cart_reservation_lines cl ON cl.reservation_id = c.id
            WHERE cl.location_id = $1 AND cl.sku = $2 AND c.status = 'ACTIVE' ORDER BY c.created_at DESC LIMIT 1`,
          [locationId, sku],
        );
        if (!cart) return;
        await this.db.transaction(async (tx) => {
          const [c] = await tx.query<{ status: string }>('SELECT status FROM cart_reservations WHERE id = $1 FOR UPDATE', [cart.id]);
          if (c.status === 'ACTIVE') await endCart(tx, cart.id, 'RELEASED', actor, `stock count of ${sku} fell below what was reserved`);
        });
        continue;
      }
      await this.db.transaction(async (tx) => {
        const order = (await lockOrder(tx, victim.order_id))!;
        const state = await loadState(tx, order.id);
        const group = state.groups.find((g) => g.id === victim.group_id && OPEN_STATES.has(g.status));
        if (!group) return; // moved on meanwhile; look again
        await this.replan(tx, order, state, {
          end: [group], endAs: 'CANCELLED', excludeLocationIds: [locationId], actor,
          reason: `stock count of ${sku} fell below what was reserved`, eventType: 'GROUP_REROUTED',
        });
      });
    }
    this.log.warn('shortage re-routing stopped after 1000 groups', { locationId, sku });
  }
}
