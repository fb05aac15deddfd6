/**
 * Fulfillment groups: a location's share of an order. The location advances it through
 * the state machine; shipping (or readiness for pickup) consumes the reservation. A
 * location may reject a group until it is packed: its reservation is released and its
 * lines are re-sourced at once elsewhere (resourcing.service.ts).
 */
import type { Database, Tx } from '../db/database';
import { fail, ok, userError, UserErrorCode, type Result, abortWith, withUserErrors } from '../common/errors';
import { checkText, isUuid } from '../common/validate';
import type { Principal } from '../auth/principal';
import { actorOf } from '../events/outbox';
import { commitChange, loadState, lockOrder, type OrderState, type StateGroup } from '../orders/order-state';
import type { OrderRecord } from '../orders/records';
import type { ResourcingService } from './resourcing.service';
import { consumeReservation } from './groups';
import { GROUP_COLUMNS, GROUP_FROM, toGroup, type GroupRecord, type GroupRow, type TrackingData } from './records';
import { canTransition, nextStates, OPEN_STATES, type FulfillmentStatusValue } from './state-machine';

/** Targets reachable through advanceFulfillment; REJECTED and CANCELLED have their own mutations. */
const FORWARD: ReadonlySet<FulfillmentStatusValue> = new Set(['ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED', 'READY_FOR_PICKUP', 'DELIVERED', 'PICKED_UP']);

export interface GroupResult {
  group: GroupRecord;
  order: OrderRecord;
}

export class FulfillmentService {
  constructor(
    private readonly db: Database,
    private readonly resourcing: ResourcingService,
  ) {}

  /** Locks the group's order and the group, checks the principal's location and the version, and runs `fn`. */
  private async onGroup(
    principal: Principal,
    groupId: string,
    expectedVersion: number | null | undefined,
    fn: (tx: Tx, order: OrderRecord, group: StateGroup, state: OrderState) => Promise<OrderRecord>,
  ): Promise<Result<GroupResult>> {
    if (!isUuid(groupId)) return fail(userError(UserErrorCode.NOT_FOUND, `No fulfillment group ${groupId}`, ['groupId']));
    return withUserErrors(async () =>
      ok(
        await this.db.transaction(async (tx) => {
          const [ref] = await tx.query<{ order_id: string; location_id: string }>('SELECT order_id, location_id FROM fulfillment_groups WHERE id = $1', [groupId]);
          if (!ref) throw abortWith(UserErrorCode.NOT_FOUND, `No fulfillment group ${groupId}`, ['groupId']);
          if (principal.role === 'STORE' && !principal.locationIds.includes(ref.location_id)) {
            throw abortWith(UserErrorCode.FORBIDDEN_LOCATION, 'This group belongs to a location you do not work for', ['groupId']);
          }
          // Lock order first, then its groups: the order every mutation of an order uses.
          const order = (await lockOrder(tx, ref.order_id))!;
          const state = await loadState(tx, order.id);
          const group = state.groups.find((g) => g.id === groupId);
          if (!group) throw abortWith(UserErrorCode.INVALID_TRANSITION, 'This group belongs to an earlier plan of the order and no longer changes', ['groupId']);
          if (expectedVersion != null && expectedVersion !== group.version) {
            throw abortWith(UserErrorCode.VERSION_CONFLICT, `The group is at version ${group.version}, not ${expectedVersion}`, ['expectedVersion']);
          }
          const after = await fn(tx, order, group, state);
          const [row] = await tx.query<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM ${GROUP_FROM} WHERE g.id = $1`, [groupId]);
          return { group: toGroup(row), order: after };
        }),
      ),
    );
  }

  async advance(
    principal: Principal,
    args: { groupId: string; to: FulfillmentStatusValue; tracking?: TrackingData | null; expectedVersion?: number | null },
  ): Promise<Result<GroupResult>> {
    const { groupId, to, tracking } = args;
    if (tracking) {
      const errors = [
        ...checkText(tracking.carrier, ['tracking', 'carrier'], 100),
        ...checkText(tracking.number, ['tracking', 'number'], 100),
        ...(tracking.url != null && !/^https?:\/\/\S{1,2000}$/.test(tracking.url) ? [userError(UserErrorCode.VALIDATION, 'url must be an http(s) URL', ['tracking', 'url'])] : []),
      ];
      if (errors.length) return fail(...errors);
    }
    return this.onGroup(principal, groupId, args.expectedVersion, async (tx, order, group, state) => {
      if (!FORWARD.has(to)) {
        throw abortWith(UserErrorCode.INVALID_TRANSITION, `${to} is not reached by advanceFulfillment: use ${to === 'REJECTED' ? 'rejectFulfillment' : 'cancelOrder'}`, ['to']);
      }
      if (!canTransition(group.status, to, group.method)) {
        const allowed = nextStates(group.status, group.method).filter((s) => FORWARD.has(s));
        throw abortWith(UserErrorCode.INVALID_TRANSITION, `A ${group.method} group cannot go from ${group.status} to ${to}${allowed.length ? ` (next: ${allowed.join(', ')})` : ''}`, ['to']);
      }
      if (state.openHolds > 0) throw abortWith(UserErrorCode.INVALID_TRANSITION, 'The order is on hold; release its holds first', ['groupId']);
      const actor = actorOf(principal);
      if (to === 'SHIPPED' || to === 'READY_FOR_PICKUP') await consumeReservation(tx, order.id, group, actor);
      await tx.query(
        'UPDATE fulfillment_groups SET status = $2, version = version + 1, updated_at = now(), tracking = COALESCE($3, tracking) WHERE id = $1',
        [groupId, to, tracking ?? null],
        'advance_group',
      );
      return commitChange(tx, order, [{ type: `GROUP_${to}`, status: order.status, fulfillmentGroupId: groupId, locationId: group.locationId, data: tracking ? { tracking } : {} }], actor);
    });
  }

  /** The location declines the group (until PACKED, holds or not): released and re-sourced without it. */
  async reject(principal: Principal, groupId: string, reason: string): Promise<Result<GroupResult>> {
    const errors = checkText(reason, ['reason'], 500);
    if (errors.length) return fail(...errors);
    return this.onGroup(principal, groupId, null, async (tx, order, group, state) => {
      if (!OPEN_STATES.has(group.status)) {
        throw abortWith(UserErrorCode.INVALID_TRANSITION, `A ${group.status} group can no longer be rejected`, ['groupId']);
      }
      return this.resourcing.replan(tx, order, state, {
        end: [group],
        endAs: 'REJECTED',
        excludeLocationIds: [group.locationId],
        actor: actorOf(principal),
        reason,
        eventType: 'GROUP_REJECTED',
      });
    });
  }
}
