/**
 * The order lifecycle after placement: holds, cancellation of the whole order or of line
 * quantities, and returns. Each runs in one transaction that locks the order, then its
 * groups, then positions; ends with commitChange (status, version, events together).
 */
import type { Database, Tx } from '../db/database';
import { fail, ok, userError, UserErrorCode, type Result, type UserError, abortWith, withUserErrors } from '../common/errors';
import { checkText, isUuid } from '../common/validate';
import type { Principal } from '../auth/principal';
import { actorOf, type NewOrderEvent } from '../events/outbox';
import { byPosition, lockPositions, recordMovements } from '../inventory/ledger';
import { releaseLines } from '../fulfillment/groups';
import { ACCEPTED_STATES, DONE_STATES, OPEN_STATES } from '../fulfillment/state-machine';
import { commitChange, lineProgress, loadState, lockOrder, type OrderState } from './order-state';
import type { OrderRecord } from './records';

export const HOLD_TYPES = ['FRAUD', 'PAYMENT', 'CUSTOMER_SERVICE', 'ADDRESS', 'REMORSE'] as const;
export type HoldTypeValue = (typeof HOLD_TYPES)[number];

export interface LineQuantity {
  orderLineId: string;
  quantity: number;
}

/** What each line could still cancel (not shipped, not cancelled) and return (delivered, not returned). */
export function eligibility(state: OrderState): Map<string, { cancellable: number; returnable: number }> {
  const progress = lineProgress(state);
  return new Map(
    state.lines.map((l) => {
      const p = progress.get(l.id)!;
      return [l.id, { cancellable: Math.max(0, l.quantity - l.cancelledQuantity - p.shipped), returnable: Math.max(0, p.delivered - l.returnedQuantity) }];
    }),
  );
}

export class LifecycleService {
  constructor(private readonly db: Database) {}

  /** Runs `fn` on the locked order the principal may act on; user errors roll back and come back as a Result. */
  private async onOrder(
    principal: Principal,
    id: string,
    expectedVersion: number | null | undefined,
    fn: (tx: Tx, order: OrderRecord) => Promise<OrderRecord>,
  ): Promise<Result<OrderRecord>> {
    if (!isUuid(id)) return fail(userError(UserErrorCode.NOT_FOUND, `No order ${id}`, ['id']));
    return withUserErrors(async () =>
      ok(
        await this.db.transaction(async (tx) => {
          const order = await lockOrder(tx, id);
          if (!order || (principal.role === 'CUSTOMER' && order.customerId !== principal.sub)) throw abortWith(UserErrorCode.NOT_FOUND, `No order ${id}`, ['id']);
          if (expectedVersion != null && expectedVersion !== order.version) {
            throw abortWith(UserErrorCode.VERSION_CONFLICT, `The order is at version ${order.version}, not ${expectedVersion}`, ['expectedVersion']);
          }
          return fn(tx, order);
        }),
      ),
    );
  }

  async holdOrder(principal: Principal, id: string, type: HoldTypeValue, reason: string): Promise<Result<OrderRecord>> {
    const errors = checkText(reason, ['reason'], 500);
    if (type === 'REMORSE') errors.push(userError(UserErrorCode.VALIDATION, 'REMORSE holds come from sourcing rules', ['type']));
    if (errors.length) return fail(...errors);
    return this.onOrder(principal, id, null, async (tx, order) => {
      if (order.status === 'CANCELLED' || order.status === 'COMPLETED' || order.status === 'RETURNED') {
        throw abortWith(UserErrorCode.INVALID_TRANSITION, `A ${order.status} order cannot be held`, ['id']);
      }
      const [hold] = await tx.query<{ id: string }>('INSERT INTO order_holds (order_id, type, reason) VALUES ($1, $2, $3) RETURNING id', [id, type, reason]);
      return commitChange(tx, order, [{ type: 'ORDER_HOLD_PLACED', status: order.status, data: { holdId: hold.id, holdType: type, reason } }], actorOf(principal));
    });
  }

  async releaseOrderHold(principal: Principal, id: string, holdId: string): Promise<Result<OrderRecord>> {
    if (!isUuid(holdId)) return fail(userError(UserErrorCode.NOT_FOUND, `No hold ${holdId}`, ['holdId']));
    return this.onOrder(principal, id, null, async (tx, order) => {
      const [hold] = await tx.query<{ type: string; released_at: Date | null }>('SELECT type, released_at FROM order_holds WHERE id = $1 AND order_id = $2 FOR UPDATE', [holdId, id]);
      if (!hold) throw abortWith(UserErrorCode.NOT_FOUND, `No hold ${holdId} on this order`, ['holdId']);
      if (hold.released_at) return order; // releasing twice changes nothing
      return releaseHold(tx, order, holdId, hold.type, actorOf(principal));
    });
  }

  /**
   * Cancels the whole order while nothing has shipped. Cancelling a cancelled order
   * changes nothing. A customer may cancel only until a location has accepted work.
   */
  async cancelOrder(principal: Principal, id: string, reason: string, expectedVersion?: number | null): Promise<Result<OrderRecord>> {
    const errors = checkText(reason, ['reason'], 500);
    if (errors.length) return fail(...errors);
    return this.onOrder(principal, id, expectedVersion, async (tx, order) => {
      if (order.status === 'CANCELLED') return order;
      const state = await loadState(tx, id);
      if ([...lineProgress(state).values()].some((p) => p.shipped > 0)) {
        throw abortWith(UserErrorCode.INVALID_TRANSITION, 'Part of this order has shipped; cancel the remaining lines instead', ['id']);
      }
      this.customerMayStillCancel(principal, state);
      const all = new Map(state.lines.map((l) => [l.id, l.quantity - l.cancelledQuantity]));
      const events = await cancelQuantities(tx, order, state, all, actorOf(principal), `order cancelled: ${reason}`);
      return commitChange(tx, order, [...events, { type: 'ORDER_CANCELLED', status: 'CANCELLED', data: { reason } }], actorOf(principal));
    });
  }

  /** Cancels quantities of lines that have not shipped; the rest of the order goes on. */
  async cancelOrderLines(principal: Principal, id: string, lines: LineQuantity[], reason: string, expectedVersion?: number | null): Promise<Result<OrderRecord>> {
    const errors = [...checkText(reason, ['reason'], 500), ...checkLineInput(lines)];
    if (errors.length) return fail(...errors);
    return this.onOrder(principal, id, expectedVersion, async (tx, order) => {
      if (order.status === 'CANCELLED') throw abortWith(UserErrorCode.INVALID_TRANSITION, 'The order is cancelled', ['id']);
      const state = await loadState(tx, id);
      this.customerMayStillCancel(principal, state);
      const eligible = eligibility(state);
      const wanted = new Map<string, number>();
      lines.forEach((l, i) => {
        const e = eligible.get(l.orderLineId.toLowerCase());
        if (!e) throw abortWith(UserErrorCode.NOT_FOUND, `No line ${l.orderLineId} on this order`, ['lines', i, 'orderLineId']);
        if (l.quantity > e.cancellable) {
          throw abortWith(UserErrorCode.INVALID_TRANSITION, `Line ${l.orderLineId}: only ${e.cancellable} can still be cancelled (the rest has shipped or is cancelled)`, ['lines', i, 'quantity']);
        }
        wanted.set(l.orderLineId.toLowerCase(), l.quantity);
      });
      const events = await cancelQuantities(tx, order, state, wanted, actorOf(principal), `lines cancelled: ${reason}`);
      return commitChange(tx, order, [...events, { type: 'ORDER_LINES_CANCELLED', status: order.status, data: { reason, lines } }], actorOf(principal));
    });
  }

  /**
   * Returns delivered or picked-up quantities. With restock, the units go back on hand at
   * the location that fulfilled them, with RETURN movements. The order becomes RETURNED
   * when every unit it kept has come back.
   */
  async returnOrderLines(principal: Principal, id: string, lines: LineQuantity[], restock: boolean, reason: string): Promise<Result<OrderRecord>> {
    const errors = [...checkText(reason, ['reason'], 500), ...checkLineInput(lines)];
    if (errors.length) return fail(...errors);
    return this.onOrder(principal, id, null, async (tx, order) => {
      const state = await loadState(tx, id);
      const eligible = eligibility(state);
      lines.forEach((l, i) => {
        const e = eligible.get(l.orderLineId.toLowerCase());
        if (!e) throw abortWith(UserErrorCode.NOT_FOUND, `No line ${l.orderLineId} on this order`, ['lines', i, 'orderLineId']);
        if (l.quantity > e.returnable) {
          throw abortWith(UserErrorCode.INVALID_TRANSITION, `Line ${l.orderLineId}: only ${e.returnable} delivered unit(s) can be returned`, ['lines', i, 'quantity']);
        }
      });
      const ids = lines.map((l) => l.orderLineId.toLowerCase());
      await tx.query(
        `UPDATE order_lines l SET returned_quantity = l.returned_quantity + v.q FROM unnest($1::uuid[], $2::int[]) AS v(id, q) WHERE l.id = v.id`,
        [ids, lines.map((l) => l.quantity)],
      );
      if (restock) await restockReturns(tx, order.id, state, lines, actorOf(principal), reason);
      return commitChange(tx, order, [{ type: 'ORDER_LINES_RETURNED', status: order.status, data: { reason, restock, lines } }], actorOf(principal));
    });
  }

  private customerMayStillCancel(principal: Principal, state: OrderState): void {
    if (principal.role === 'CUSTOMER' && state.groups.some((g) => ACCEPTED_STATES.has(g.status))) {
      throw abortWith(UserErrorCode.INVALID_TRANSITION, 'A location is already preparing this order; contact customer service to cancel it', ['id']);
    }
  }
}

function checkLineInput(lines: LineQuantity[]): UserError[] {
  const errors: UserError[] = [];
  if (lines.length === 0) errors.push(userError(UserErrorCode.VALIDATION, 'lines must name at least one line', ['lines']));
  const seen = new Set<string>();
  lines.forEach((l, i) => {
    if (!isUuid(l.orderLineId)) errors.push(userError(UserErrorCode.VALIDATION, 'orderLineId must be a line id', ['lines', i, 'orderLineId']));
    if (!Number.isInteger(l.quantity) || l.quantity < 1) errors.push(userError(UserErrorCode.VALIDATION, 'quantity must be a positive integer', ['lines', i, 'quantity']));
    if (seen.has(l.orderLineId.toLowerCase())) errors.push(userError(UserErrorCode.VALIDATION, 'each line may appear once', ['lines', i, 'orderLineId']));
    seen.add(l.orderLineId.toLowerCase());
  });
  return errors;
}

/** Releases a hold and records it; the caller holds the order lock. */
export async function releaseHold(tx: Tx, order: OrderRecord, holdId: string, type: string, actor: string): Promise<OrderRecord> {
  await tx.query('UPDATE order_holds SET released_at = now(), released_by = $2 WHERE id = $1', [holdId, actor]);
  // No location could accept while the order was held: with the last hold gone, their acceptance clocks start again.
  await tx.query(
    `UPDATE fulfillment_groups SET accept_by = now() + (accept_by - created_at)
      WHERE order_id = $1 AND status = 'PENDING' AND accept_by IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM order_holds WHERE order_id = $1 AND released_at IS NULL)`,
    [order.id],
  );
  return commitChange(tx, order, [{ type: 'ORDER_HOLD_RELEASED', status: order.status, data: { holdId, holdType: type } }], actor);
}

/**
 * Cancels these quantities per line: first what is unallocated, then from open groups
 * (those not yet accepted first, newest first), shrinking their lines and releasing exactly
 * the reservations cancelled. A group left with no lines is cancelled. Returns the events.
 */
export async function cancelQuantities(tx: Tx, order: OrderRecord, state: OrderState, perLine: Map<string, number>, actor: string, reason: string): Promise<NewOrderEvent[]> {
  const left = new Map(perLine);
  // 1. unallocated quantities of the active plan
  for (const u of state.unallocated) {
    const q = Math.min(left.get(u.orderLineId) ?? 0, u.quantity);
    if (q === 0) continue;
    left.set(u.orderLineId, left.get(u.orderLineId)! - q);
    if (q === u.quantity) await tx.query('DELETE FROM plan_unallocated WHERE plan_id = $1 AND order_line_id = $2', [state.planId, u.orderLineId]);
    else await tx.query('UPDATE plan_unallocated SET quantity = quantity - $3 WHERE plan_id = $1 AND order_line_id = $2', [state.planId, u.orderLineId, q]);
  }
  // 2. open groups, least progressed and newest first
  const rank = (s: string) => ['PENDING', 'ACCEPTED', 'PICKING', 'PACKED'].indexOf(s);
  const open = state.groups.filter((g) => OPEN_STATES.has(g.status)).sort((a, b) => rank(a.status) - rank(b.status) || b.createdAt.getTime() - a.createdAt.getTime());
  const released: { groupId: string; locationId: string; sku: string; quantity: number }[] = [];
  const emptied: typeof open = [];
  for (const g of open) {
    let remaining = 0;
    for (const l of g.lines) {
      const q = Math.min(left.get(l.orderLineId) ?? 0, l.quantity);
      remaining += l.quantity - q;
      if (q === 0) continue;
      left.set(l.orderLineId, left.get(l.orderLineId)! - q);
      released.push({ groupId: g.id, locationId: g.locationId, sku: l.sku, quantity: q });
      if (q === l.quantity) await tx.query('DELETE FROM fulfillment_group_lines WHERE group_id = $1 AND order_line_id = $2', [g.id, l.orderLineId]);
      else await tx.query('UPDATE fulfillment_group_lines SET quantity = quantity - $3 WHERE group_id = $1 AND order_line_id = $2', [g.id, l.orderLineId, q]);
    }
    if (remaining === 0 && g.lines.length > 0) emptied.push(g);
  }
  await releaseLines(tx, order.id, released, actor, reason);
  if (emptied.length) {
    await tx.query(`UPDATE fulfillment_groups SET status = 'CANCELLED', version = version + 1, updated_at = now() WHERE id = ANY($1)`, [emptied.map((g) => g.id)]);
  }
  const shrunk = new Set(released.map((r) => r.groupId));
  for (const g of open) {
    if (shrunk.has(g.id) && !emptied.includes(g)) {
      await tx.query('UPDATE fulfillment_groups SET version = version + 1, updated_at = now() WHERE id = $1', [g.id]);
    }
  }
  const ids = [...perLine.keys()];
  await tx.query(
    `UPDATE order_lines l SET cancelled_quantity = l.cancelled_quantity + v.q FROM unnest($1::uuid[], $2::int[]) AS v(id, q) WHERE l.id = v.id`,
    [ids, ids.map((id) => perLine.get(id)!)],
  );
  return emptied.map((g) => ({ type: 'GROUP_CANCELLED', status: order.status, fulfillmentGroupId: g.id, locationId: g.locationId }));
}

/**
 * Puts returned units back on hand where they were fulfilled from, with RETURN movements.
 * A group takes back at most what it delivered of the line less what was restocked to it
 * before, so no location gains units it never shipped.
 */
async function restockReturns(tx: Tx, orderId: string, state: OrderState, lines: LineQuantity[], actor: string, reason: string): Promise<void> {
  const before = await tx.query<{ group_id: string; sku: string; q: number }>(
    `SELECT group_id, sku, sum(on_hand_delta)::int AS q FROM inventory_movements WHERE order_id = $1 AND kind = 'RETURN' GROUP BY group_id, sku`,
    [orderId],
  );
  const restocked = new Map(before.map((r) => [`${r.group_id}|${r.sku}`, r.q]));
  const moves: { locationId: string; sku: string; quantity: number; groupId: string }[] = [];
  for (const l of lines) {
    let left = l.quantity;
    for (const g of state.groups.filter((x) => DONE_STATES.has(x.status))) {
      const gl = g.lines.find((x) => x.orderLineId === l.orderLineId.toLowerCase());
      if (!gl || left === 0) continue;
      const room = gl.quantity - (restocked.get(`${g.id}|${gl.sku}`) ?? 0);
      const q = Math.min(left, Math.max(0, room));
      if (q === 0) continue;
      moves.push({ locationId: g.locationId, sku: gl.sku, quantity: q, groupId: g.id });
      restocked.set(`${g.id}|${gl.sku}`, (restocked.get(`${g.id}|${gl.sku}`) ?? 0) + q);
      left -= q;
    }
  }
  moves.sort((a, b) => byPosition({ l: a.locationId, s: a.sku }, { l: b.locationId, s: b.sku }));
  await lockPositions(tx, moves.map((m) => m.locationId), moves.map((m) => m.sku));
  await tx.query(
    `UPDATE inventory_positions p SET on_hand = p.on_hand + v.q, updated_at = now()
       FROM (SELECT l, s, sum(q)::int AS q FROM unnest($1::uuid[], $2::text[], $3::int[]) AS x(l, s, q) GROUP BY l, s) v
      WHERE p.location_id = v.l AND p.sku = v.s`,
    [moves.map((m) => m.locationId), moves.map((m) => m.sku), moves.map((m) => m.quantity)],
  );
  await recordMovements(
    tx,
    moves.map((m) => ({ locationId: m.locationId, sku: m.sku, kind: 'RETURN' as const, onHandDelta: m.quantity, reservedDelta: 0, orderId, groupId: m.groupId })),
    { actor, reason },
  );
}

