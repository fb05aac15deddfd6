import { deriveOrderStatus } from '../../src/orders/status';
import { canTransition, nextStates, validateMachine, FULFILLMENT_STATUSES } from '../../src/fulfillment/state-machine';

describe('deriveOrderStatus', () => {
  const base = { cancelled: false, returned: false, openHolds: 0, groups: [] as never[], unallocatedUnits: 0 };
  it.each([
    [{ groups: ['PENDING'] }, 'ALLOCATED'],
    [{ groups: ['PENDING'], unallocatedUnits: 2 }, 'BACKORDERED'],
    [{ groups: [], unallocatedUnits: 2 }, 'BACKORDERED'],
    [{ groups: ['ACCEPTED', 'PENDING'] }, 'IN_FULFILLMENT'],
    [{ groups: ['PACKED'], unallocatedUnits: 1 }, 'IN_FULFILLMENT'],
    [{ groups: ['SHIPPED', 'PENDING'] }, 'PARTIALLY_FULFILLED'],
    [{ groups: ['SHIPPED'], unallocatedUnits: 1 }, 'PARTIALLY_FULFILLED'],
    [{ groups: ['SHIPPED', 'READY_FOR_PICKUP'] }, 'FULFILLED'],
    [{ groups: ['DELIVERED', 'SHIPPED'] }, 'FULFILLED'],
    [{ groups: ['DELIVERED', 'PICKED_UP', 'CANCELLED'] }, 'COMPLETED'],
    [{ groups: ['REJECTED', 'PENDING'] }, 'ALLOCATED'],
    [{ groups: ['ACCEPTED'], openHolds: 1 }, 'ON_HOLD'],
    [{ groups: ['SHIPPED'], cancelled: true }, 'CANCELLED'],
    [{ groups: ['DELIVERED'], returned: true }, 'RETURNED'],
  ])('%j -> %s', (over, expected) => {
    expect(deriveOrderStatus({ ...base, ...(over as object) })).toBe(expected);
  });
});

describe('fulfillment state machine', () => {
  it('is valid', () => expect(() => validateMachine()).not.toThrow());

  // Spelled out independently of the machine's own table.
  const SHIP: Record<string, string[]> = {
    PENDING: ['ACCEPTED', 'REJECTED', 'CANCELLED'],
    ACCEPTED: ['PICKING', 'REJECTED', 'CANCELLED'],
    PICKING: ['PACKED', 'REJECTED', 'CANCELLED'],
    PACKED: ['SHIPPED', 'REJECTED', 'CANCELLED'],
    SHIPPED: ['DELIVERED'],
    READY_FOR_PICKUP: [],
    DELIVERED: [], PICKED_UP: [], REJECTED: [], CANCELLED: [],
  };
  const PICKUP: Record<string, string[]> = {
    ...SHIP,
    PACKED: ['READY_FOR_PICKUP', 'REJECTED', 'CANCELLED'],
    SHIPPED: [],
    READY_FOR_PICKUP: ['PICKED_UP'],
  };
  it.each([['SHIP', SHIP], ['SAME_DAY', SHIP], ['PICKUP', PICKUP]] as const)('%s transitions', (method, table) => {
    for (const from of FULFILLMENT_STATUSES) {
      expect(nextStates(from, method)).toEqual(table[from]);
      for (const to of FULFILLMENT_STATUSES) expect(canTransition(from, to, method)).toBe(table[from].includes(to));
    }
  });
});
