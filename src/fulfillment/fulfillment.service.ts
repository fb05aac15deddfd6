/**
 * Fulfillment groups: a location's share of an order, advanced through the state machine
 * by the store or warehouse. Shipping (or readiness for pickup) consumes the reservation:
 * on hand and reserved both drop, with a SHIPMENT movement. The order's status is derived
 * again from its groups after every move, in the same transaction.
 */
import type { Database, Tx } from '../db/database';
import { fail, ok, userError, UserErrorCode, UserErrorsAbort, type Result } from '../common/errors';
import { checkText, isUuid } from '../common/validate';
import type { Principal } from '../auth/principal';
import { appendOrderEvents } from '../events/outbox';
import { lockPositions, recordMovements } from '../inventory/ledger';
import { deriveOrderStatus, type OrderStatusValue } from '../orders/status';
import type { OrderRecord } from '../orders/records';
import type { OrderService } from '../orders/order.service';
import { GROUP_COLUMNS, GROUP_FROM, toGroup, type GroupRecord, type GroupRow, type TrackingData } from './records';
import { canTransition, nextStates, type FulfillmentStatusValue } from './state-machine';

/** Targets reachable through advanceFulfillment; REJECTED and CANCELLED have their own mutations. */
const FORWARD: ReadonlySet<FulfillmentStatusValue> = new Set(['ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED', 'READY_FOR_PICKUP', 'DELIVERED', 'PICKED_UP']);

export interface AdvanceResult {
  group: GroupRecord;
  order: OrderRecord;
}

export class FulfillmentService {
  constructor(
    private readonly db: Database,
    private readonly orders: OrderService,
  ) {}

  async advance(
    principal: Principal,
    args: { groupId: string; to: FulfillmentStatusValue; tracking?: TrackingData | null; expectedVersion?: number | null },
  ): Promise<Result<AdvanceResult>> {
    const { groupId, to, tracking } = args;
    if (!isUuid(groupId)) return fail(userError(UserErrorCode.NOT_FOUND, `No fulfillment group ${groupId}`, ['groupId']));
    if (tracking) {
      const errors = [
        ...checkText(tracking.carrier, ['tracking', 'carrier'], 100),
        ...checkText(tracking.number, ['tracking', 'number'], 100),
        ...(tracking.url != null && !/^https?:\/\/\S{1,2000}$/.test(tracking.url)
          ? [userError(UserErrorCode.VALIDATION, 'url must be an http(s) URL', ['tracking', 'url'])]
          : []),
      ];
      if (errors.length) return fail(...errors);
    }
    try {
      return await this.db.transaction(async (tx) => {
        const [ref] = await tx.query<{ order_id: string; location_id: string }>('SELECT order_id, location_id FROM fulfillment_groups WHERE id = $1', [groupId]);
        if (!ref) throw abort(UserErrorCode.NOT_FOUND, `No fulfillment group ${groupId}`, ['groupId']);
        if (principal.role === 'STORE' && !principal.locationIds.includes(ref.location_id)) {
          throw abort(UserErrorCode.FORBIDDEN_LOCATION, 'This group belongs to a location you do not work for', ['groupId']);
        }
        // Lock order first, then group: the same order every mutation of an order uses.
        const order = (await this.orders.lockOrder(tx, ref.order_id))!;
        const group = await lockGroup(tx, groupId);
        if (args.expectedVersion != null && args.expectedVersion !== group.version) {
          throw abort(UserErrorCode.VERSION_CONFLICT, `The group is at version ${group.version}, not ${args.expectedVersion}`, ['expectedVersion']);
        }
        if (!FORWARD.has(to)) {
          throw abort(UserErrorCode.INVALID_TRANSITION, `${to} is not reached by advanceFulfillment: use ${to === 'REJECTED' ? 'rejectFulfillment' : 'cancelOrder'}`, ['to']);
        }
        if (!canTransition(group.status, to, group.method)) {
          const allowed = nextStates(group.status, group.method).filter((s) => FORWARD.has(s));
          throw abort(
            UserErrorCode.INVALID_TRANSITION,
            `A ${group.method} group cannot go from ${group.status} to ${to}${allowed.length ? ` (next: ${allowed.join(', ')})` : ''}`,
            ['to'],
          );
        }
        const [{ holds }] = await tx.query<{ holds: number }>('SELECT count(*)::int AS holds FROM order_holds WHERE order_id = $1 AND released_at IS NULL', [order.id]);
        if (holds > 0) throw abort(UserErrorCode.INVALID_TRANSITION, 'The order is on hold; release its holds first', ['groupId']);

        if (to === 'SHIPPED' || to === 'READY_FOR_PICKUP') await consumeReservation(tx, group, principal.sub);
        const [row] = await tx.query<GroupRow>(
          `WITH u AS (
             UPDATE fulfillment_groups SET status = $2, version = version + 1, updated_at = now(), tracking = COALESCE($3, tracking)
              WHERE id = $1 RETURNING *)
           SELECT ${GROUP_COLUMNS} FROM u g JOIN orders o ON o.id = g.order_id`,
          [groupId, to, tracking ?? null],
          'advance_group',
        );
        const status = await deriveStatusInTx(tx, order);
        await appendOrderEvents(tx, order.id, status, [
          { type: `GROUP_${to}`, status, fulfillmentGroupId: groupId, locationId: group.locationId, data: tracking ? { tracking } : {} },
        ]);
        return ok({ group: toGroup(row), order: (await this.orders.lockOrder(tx, order.id))! });
      });
    } catch (err) {
      if (err instanceof UserErrorsAbort) return fail(...err.errors);
      throw err;
    }
  }
}

function abort(code: UserErrorCode, message: string, field: string[]): UserErrorsAbort {
  return new UserErrorsAbort([userError(code, message, field)]);
}

async function lockGroup(tx: Tx, id: string): Promise<GroupRecord> {
  const [row] = await tx.query<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM ${GROUP_FROM} WHERE g.id = $1 FOR UPDATE OF g`, [id], 'lock_group');
  return toGroup(row);
}

async function consumeReservation(tx: Tx, group: GroupRecord, actor: string): Promise<void> {
  const lines = await tx.query<{ sku: string; quantity: number }>(
    'SELECT sku, quantity FROM fulfillment_group_lines WHERE group_id = $1 ORDER BY sku COLLATE "C"',
    [group.id],
  );
  await lockPositions(tx, lines.map(() => group.locationId), lines.map((l) => l.sku));
  await tx.query(
    `UPDATE inventory_positions p SET on_hand = p.on_hand - v.q, reserved = p.reserved - v.q, updated_at = now()
       FROM unnest($2::text[], $3::int[]) AS v(s, q)
      WHERE p.location_id = $1 AND p.sku = v.s`,
    [group.locationId, lines.map((l) => l.sku), lines.map((l) => l.quantity)],
    'consume_positions',
  );
  await recordMovements(
    tx,
    lines.map((l) => ({
      locationId: group.locationId, sku: l.sku, kind: 'SHIPMENT' as const, onHandDelta: -l.quantity, reservedDelta: -l.quantity,
      orderId: group.orderId, groupId: group.id,
    })),
    { actor, reason: group.method === 'PICKUP' ? 'ready for pickup' : 'shipped' },
  );
}

/** The order's status from its holds, its active plan's groups and unallocated units, read in `tx`. */
export async function deriveStatusInTx(tx: Tx, order: { id: string; status: OrderStatusValue }): Promise<OrderStatusValue> {
  const [s] = await tx.query<{ holds: number; groups: FulfillmentStatusValue[]; unallocated: number }>(
    `SELECT (SELECT count(*)::int FROM order_holds WHERE order_id = $1 AND released_at IS NULL) AS holds,
            (SELECT COALESCE(array_agg(g.status), '{}') FROM fulfillment_groups g JOIN fulfillment_plans p ON p.id = g.plan_id AND p.active
              WHERE g.order_id = $1) AS groups,
            (SELECT COALESCE(sum(u.quantity), 0)::int FROM plan_unallocated u JOIN fulfillment_plans p ON p.id = u.plan_id AND p.active
              WHERE p.order_id = $1) AS unallocated`,
    [order.id],
    'derive_status',
  );
  return deriveOrderStatus({
    cancelled: order.status === 'CANCELLED',
    returned: order.status === 'RETURNED',
    openHolds: s.holds,
    groups: s.groups,
    unallocatedUnits: s.unallocated,
  });
}
