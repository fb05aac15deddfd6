import { groupCost, planSourcing, type CandidateLocation, type PlanRequest } from '../../src/sourcing/planner';
import type { RuleRecord } from '../../src/sourcing/rules';
import { haversineKm } from '../../src/common/geo';

const rule = (over: Partial<RuleRecord> = {}): RuleRecord => ({
  id: 'rule-1', name: 'Default', enabled: true, priority: 0, version: 3, isDefault: true,
  match: { channels: [], methods: [], countryCodes: [] },
  candidates: { locationTypes: [], maxDistanceKm: null, excludeLocationIds: [] },
  cost: { perShipment: 5, perUnit: 0.25, perUnitKm: 0.002, perShipmentKm: 0.01, priorityWeight: 0.5, zones: [] },
  constraints: { maxShipments: null, shipComplete: false, respectCapacity: true, useSafetyStock: false },
  fallback: 'BACKORDER', acceptanceDeadlineMinutes: null, remorseHoldMinutes: null,
  ...over,
});

let n = 0;
const loc = (stock: Record<string, number>, over: Partial<CandidateLocation> = {}): CandidateLocation => ({
  id: over.id ?? `L${++n}`, code: over.code ?? `C${n}`, type: 'WAREHOUSE', geo: { lat: 40, lng: -74 }, methods: ['SHIP', 'PICKUP', 'SAME_DAY'],
  active: true, priority: 0, dailyCapacity: null, groupsToday: 0,
  stock: new Map(Object.entries(stock).map(([sku, onHand]) => [sku, { onHand, reserved: 0, safetyStock: 0 }])),
  ...over,
});

const req = (lines: [string, number][], over: Partial<PlanRequest> = {}): PlanRequest => ({
  method: 'SHIP', destination: { lat: 40.75, lng: -73.99 }, pickupLocationId: null, shipComplete: false,
  lines: lines.map(([sku, quantity], i) => ({ orderLineId: `ol${i}`, sku, quantity })),
  ...over,
});

describe('planSourcing', () => {
  it('takes the nearest location that ships everything', () => {
    const near = loc({ A: 5, B: 5 }, { geo: { lat: 40.7, lng: -74 } });
    const far = loc({ A: 5, B: 5 }, { geo: { lat: 34, lng: -118 } });
    const plan = planSourcing(req([['A', 2], ['B', 1]]), [far, near], rule());
    expect(plan.groups.map((g) => g.locationId)).toEqual([near.id]);
    expect(plan.unallocated).toEqual([]);
    expect(plan.alternatives.map((a) => a.locationIds)).toEqual([[far.id]]);
    expect(plan.provenOptimal).toBe(true);
    expect(plan.ruleVersion).toBe(3);
  });

  it('computes the cost model of the design per group', () => {
    const l = loc({ A: 10 }, { priority: 2, geo: { lat: 41, lng: -74 } });
    const km = haversineKm({ lat: 41, lng: -74 }, { lat: 40.75, lng: -73.99 });
    const plan = planSourcing(req([['A', 3]]), [l], rule());
    expect(plan.objective).toBeCloseTo(5 + 0.01 * km + 3 * (0.25 + 0.002 * km) - 0.5 * 2, 3);
    expect(groupCost(rule(), 3, km, 2)).toBeCloseTo(plan.objective, 3);
  });

  it('splits when no location has everything, taking each unit where it costs least, backordering the rest', () => {
    const a = loc({ A: 2, B: 1 }, { geo: { lat: 40.7, lng: -74 } });
    const b = loc({ B: 5 }, { geo: { lat: 41, lng: -75 } });
    const plan = planSourcing(req([['A', 3], ['B', 4]]), [a, b], rule());
    // a is nearer, so its units are cheaper: it ships its B too; b ships the rest of B.
    expect(plan.groups.map((g) => [g.locationId, g.lines.map((l) => [l.sku, l.quantity])])).toEqual([
      [a.id, [['A', 2], ['B', 1]]],
      [b.id, [['B', 3]]],
    ]);
    expect(plan.provenOptimal).toBe(true);
    expect(plan.unallocated).toEqual([{ orderLineId: 'ol0', sku: 'A', quantity: 1 }]);
  });

  it('with shipComplete and no single location, allocates nothing (one parcel later)', () => {
    const plan = planSourcing(req([['A', 1], ['B', 1]], { shipComplete: true }), [loc({ A: 1 }), loc({ B: 1 })], rule());
    expect(plan.groups).toEqual([]);
    expect(plan.unallocated).toHaveLength(2);
  });

  it('explains every exclusion', () => {
    const cands = [
      loc({ A: 5 }, { id: 'inactive', active: false }),
      loc({ A: 5 }, { id: 'nomethod', methods: ['PICKUP'] }),
      loc({ A: 5 }, { id: 'far', geo: { lat: 10, lng: 10 } }),
      loc({ A: 5 }, { id: 'full', dailyCapacity: 3, groupsToday: 3 }),
      loc({ A: 0 }, { id: 'empty' }),
      loc({ A: 5 }, { id: 'excluded' }),
      loc({ A: 5 }, { id: 'ok' }),
    ];
    const plan = planSourcing(req([['A', 1]], { excludeLocationIds: ['excluded'] }), cands, rule({ candidates: { locationTypes: [], maxDistanceKm: 500, excludeLocationIds: [] } }));
    expect(plan.excluded).toEqual([
      { locationId: 'inactive', reason: 'INACTIVE' },
      { locationId: 'nomethod', reason: 'METHOD' },
      { locationId: 'far', reason: 'DISTANCE' },
      { locationId: 'full', reason: 'CAPACITY' },
      { locationId: 'empty', reason: 'NO_STOCK' },
      { locationId: 'excluded', reason: 'EXCLUDED' },
    ]);
    expect(plan.groups.map((g) => g.locationId)).toEqual(['ok']);
  });

  it('cannot honour a distance limit without a destination: every candidate is too far', () => {
    const r = rule({ candidates: { locationTypes: [], maxDistanceKm: 15, excludeLocationIds: [] } });
    const plan = planSourcing(req([['A', 1]], { destination: null }), [loc({ A: 5 }, { id: 'x' })], r);
    expect(plan.groups).toEqual([]);
    expect(plan.excluded).toEqual([{ locationId: 'x', reason: 'DISTANCE' }]);
  });

  it('respects safety stock unless the rule allows using it', () => {
    const l = loc({}, {});
    l.stock.set('A', { onHand: 5, reserved: 1, safetyStock: 2 });
    // available = 5 on hand - 1 reserved - 2 safety stock = 2
    expect(planSourcing(req([['A', 2]]), [l], rule()).unallocated).toEqual([]);
    expect(planSourcing(req([['A', 3]]), [l], rule()).unallocated).toEqual([{ orderLineId: 'ol0', sku: 'A', quantity: 1 }]);
    const lenient = rule({ constraints: { maxShipments: null, shipComplete: false, respectCapacity: true, useSafetyStock: true } });
    expect(planSourcing(req([['A', 4]]), [l], lenient).unallocated).toEqual([]);
    expect(planSourcing(req([['A', 5]]), [l], lenient).unallocated).toEqual([{ orderLineId: 'ol0', sku: 'A', quantity: 1 }]);
  });

  it('sources a pickup only at the pickup location, at distance 0', () => {
    const store = loc({ A: 1 }, { id: 'store' });
    const other = loc({ A: 9 }, { id: 'other' });
    const plan = planSourcing(req([['A', 2]], { method: 'PICKUP', pickupLocationId: 'store', destination: store.geo }), [other, store], rule());
    expect(plan.groups.map((g) => [g.locationId, g.distanceKm])).toEqual([['store', 0]]);
    expect(plan.unallocated).toEqual([{ orderLineId: 'ol0', sku: 'A', quantity: 1 }]);
    expect(plan.excluded).toEqual([]);
  });

  it('adds the zone table\'s surcharges by distance band and leaves out what lies beyond the last band', () => {
    const zoned = rule({ cost: { perShipment: 5, perUnit: 0.25, perUnitKm: 0, perShipmentKm: 0, priorityWeight: 0, zones: [{ upToKm: 50, perShipment: 1, perUnit: 0.1 }, { upToKm: 500, perShipment: 4, perUnit: 0.3 }] } });
    const near = loc({ A: 5 }, { geo: { lat: 40.7, lng: -74 } }); // about 6 km
    const mid = loc({ A: 5 }, { geo: { lat: 42.36, lng: -71.06 } }); // Boston, about 300 km
    const far = loc({ A: 5 }, { geo: { lat: 34, lng: -118 } }); // Los Angeles
    expect(groupCost(zoned, 2, 6, 0)).toBeCloseTo(5 + 1 + 2 * (0.25 + 0.1), 9);
    expect(groupCost(zoned, 2, 300, 0)).toBeCloseTo(5 + 4 + 2 * (0.25 + 0.3), 9);
    const plan = planSourcing(req([['A', 2]]), [far, mid, near], zoned);
    expect(plan.groups.map((g) => g.locationId)).toEqual([near.id]);
    expect(plan.objective).toBeCloseTo(5 + 1 + 2 * 0.35, 4);
    expect(plan.alternatives.map((a) => a.objective)).toEqual([5 + 4 + 2 * 0.55]);
    expect(plan.excluded).toEqual([{ locationId: far.id, reason: 'DISTANCE' }]);
    // an open last band reaches everything
    const open = rule({ cost: { ...zoned.cost, zones: [...zoned.cost.zones, { upToKm: null, perShipment: 9, perUnit: 1 }] } });
    expect(planSourcing(req([['A', 2]]), [far], open).groups.map((g) => g.locationId)).toEqual([far.id]);
  });

  it('stops at maxShipments', () => {
    const plan = planSourcing(req([['A', 1], ['B', 1], ['C', 1]]), [loc({ A: 1 }), loc({ B: 1 }), loc({ C: 1 })], rule({ constraints: { maxShipments: 2, shipComplete: false, respectCapacity: true, useSafetyStock: false } }));
    expect(plan.shipmentCount).toBe(2);
    expect(plan.unallocated).toHaveLength(1);
  });
});
