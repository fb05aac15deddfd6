/**
 * The fulfillment group state machine, as data. `advanceFulfillment` walks the forward
 * edges; REJECTED and CANCELLED are reached through their own mutations. SHIPPED belongs to
 * shipping methods and READY_FOR_PICKUP to pickup.
 */
import type { FulfillmentMethodValue as FulfillmentMethod } from '../common/types';

export const FULFILLMENT_STATUSES = [
  'PENDING', 'ACCEPTED', 'PICKING', 'PACKED', 'SHIPPED', 'READY_FOR_PICKUP', 'DELIVERED', 'PICKED_UP', 'REJECTED', 'CANCELLED',
] as const;
export type FulfillmentStatusValue = (typeof FULFILLMENT_STATUSES)[number];

export const GROUP_TRANSITIONS: Record<FulfillmentStatusValue, { to: FulfillmentStatusValue[] }> = {
  PENDING: { to: ['ACCEPTED', 'REJECTED', 'CANCELLED'] },
  ACCEPTED: { to: ['PICKING', 'REJECTED', 'CANCELLED'] },
  PICKING: { to: ['PACKED', 'REJECTED', 'CANCELLED'] },
  PACKED: { to: ['SHIPPED', 'READY_FOR_PICKUP', 'REJECTED', 'CANCELLED'] },
  SHIPPED: { to: ['DELIVERED'] },
  READY_FOR_PICKUP: { to: ['PICKED_UP'] },
  DELIVERED: { to: [] },
  PICKED_UP: { to: [] },
  REJECTED: { to: [] },
  CANCELLED: { to: [] },
};

/** States whose stock has left the location's reservation (it was consumed). */
export const SHIPPED_STATES: ReadonlySet<FulfillmentStatusValue> = new Set(['SHIPPED', 'READY_FOR_PICKUP', 'DELIVERED', 'PICKED_UP']);
/** States that still hold a reservation. */
export const OPEN_STATES: ReadonlySet<FulfillmentStatusValue> = new Set(['PENDING', 'ACCEPTED', 'PICKING', 'PACKED']);
export const DONE_STATES: ReadonlySet<FulfillmentStatusValue> = new Set(['DELIVERED', 'PICKED_UP']);
export const ACCEPTED_STATES: ReadonlySet<FulfillmentStatusValue> = new Set(['ACCEPTED', 'PICKING', 'PACKED']);
export const ENDED_STATES: ReadonlySet<FulfillmentStatusValue> = new Set(['REJECTED', 'CANCELLED']);

function fitsMethod(to: FulfillmentStatusValue, method: FulfillmentMethod): boolean {
  if (to === 'SHIPPED' || to === 'DELIVERED') return method !== 'PICKUP';
  if (to === 'READY_FOR_PICKUP' || to === 'PICKED_UP') return method === 'PICKUP';
  return true;
}

export function canTransition(from: FulfillmentStatusValue, to: FulfillmentStatusValue, method: FulfillmentMethod): boolean {
  return GROUP_TRANSITIONS[from].to.includes(to) && fitsMethod(to, method);
}

export function nextStates(from: FulfillmentStatusValue, method: FulfillmentMethod): FulfillmentStatusValue[] {
  return GROUP_TRANSITIONS[from].to.filter((to) => fitsMethod(to, method));
}

/** Checked once at start-up: every target is a known state and terminal states have no exits. */
export function validateMachine(): void {
  for (const [from, { to }] of Object.entries(GROUP_TRANSITIONS)) {
    for (const t of to) {
      if (!(t in GROUP_TRANSITIONS)) throw new Error(`Fulfillment state ${from} -> unknown ${t}`);
    }
  }
  for (const s of [...DONE_STATES, ...ENDED_STATES]) {
    if (GROUP_TRANSITIONS[s].to.length) throw new Error(`Terminal fulfillment state ${s} has exits`);
  }
}
