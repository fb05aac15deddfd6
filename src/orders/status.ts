/**
 * The order status, derived from its open holds, its active plan's groups and unallocated
 * units, and whether it was cancelled or returned, so that order and groups never disagree.
 * Stored on the order for filtering; recomputed by this one function after every change.
 */
import { ACCEPTED_STATES, DONE_STATES, ENDED_STATES, SHIPPED_STATES, type FulfillmentStatusValue } from '../fulfillment/state-machine';

export const ORDER_STATUSES = [
  'PLACED', 'ON_HOLD', 'ALLOCATED', 'BACKORDERED', 'IN_FULFILLMENT', 'PARTIALLY_FULFILLED', 'FULFILLED', 'COMPLETED', 'CANCELLED', 'RETURNED',
] as const;
export type OrderStatusValue = (typeof ORDER_STATUSES)[number];

export interface StatusInputs {
  cancelled: boolean;
  returned: boolean;
  openHolds: number;
  /** Statuses of the active plan's groups. */
  groups: FulfillmentStatusValue[];
  /** Units of the active plan that no location holds. */
  unallocatedUnits: number;
}

export function deriveOrderStatus(s: StatusInputs): OrderStatusValue {
  if (s.cancelled) return 'CANCELLED';
  if (s.returned) return 'RETURNED';
  if (s.openHolds > 0) return 'ON_HOLD';
  const live = s.groups.filter((g) => !ENDED_STATES.has(g));
  const shipped = live.filter((g) => SHIPPED_STATES.has(g)).length;
  const complete = s.unallocatedUnits === 0 && live.length > 0;
  if (complete && live.every((g) => DONE_STATES.has(g))) return 'COMPLETED';
  if (complete && shipped === live.length) return 'FULFILLED';
  if (shipped > 0) return 'PARTIALLY_FULFILLED';
  if (live.some((g) => ACCEPTED_STATES.has(g))) return 'IN_FULFILLMENT';
  if (s.unallocatedUnits > 0) return 'BACKORDERED';
  return live.length > 0 ? 'ALLOCATED' : 'BACKORDERED';
}
