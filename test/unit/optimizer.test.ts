/** The optimizer against brute force: every subset of locations, on small random instances. */
import fc from 'fast-check';
import { optimize, type OptCandidate } from '../../src/sourcing/optimizer';

/** Least-cost plan by trying every set of locations (each filled greedily by per-unit cost). */
function bruteForce(demand: number[], cands: OptCandidate[], maxLocations: number | null, shipComplete: boolean) {
  let best = { filled: 0, cost: 0 };
  const n = cands.length;
  for (let mask = 1; mask < 1 << n; mask++) {
    const set = [...Array(n).keys()].filter((i) => mask & (1 << i)).sort((a, b) => cands[a].perUnit - cands[b].perUnit);
    if (shipComplete && set.length !== 1) continue;
    if (shipComplete && !demand.every((q, j) => cands[set[0]].available[j] >= q)) continue;
    const left = demand.slice();
    let filled = 0;
    let cost = 0;
    let used = 0;
    for (const c of set) {
      let units = 0;
      demand.forEach((_, j) => {
        const q = Math.min(left[j], cands[c].available[j]);
        left[j] -= q;
        units += q;
      });
      if (units > 0) {
        used++;
        filled += units;
        cost += cands[c].fixed + cands[c].perUnit * units;
      }
    }
    if (maxLocations !== null && used > maxLocations) continue;
    if (filled > best.filled || (filled === best.filled && cost < best.cost - 1e-9)) best = { filled, cost };
  }
  return best;
}

const instance = fc
  .record({ lines: fc.integer({ min: 1, max: 3 }), locations: fc.integer({ min: 1, max: 7 }) })
  .chain(({ lines, locations }) =>
    fc.record({
      demand: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: lines, maxLength: lines }),
      cands: fc.array(
        fc.record({
          fixed: fc.oneof({ weight: 5, arbitrary: fc.double({ min: 1, max: 20, noNaN: true }) }, fc.double({ min: -5, max: 1, noNaN: true })),
          perUnit: fc.double({ min: 0, max: 4, noNaN: true }),
          available: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: lines, maxLength: lines }),
          key: fc.string({ maxLength: 3 }),
        }),
        { minLength: locations, maxLength: locations },
      ),
      maxLocations: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
      shipComplete: fc.boolean(),
    }),
  );

describe('optimize', () => {
  it('matches brute force on small random instances: same fill, same least cost, proven optimal', () => {
    fc.assert(
      fc.property(instance, ({ demand, cands, maxLocations, shipComplete }) => {
        const r = optimize(demand.map((quantity) => ({ quantity })), cands, { maxLocations, shipComplete });
        const expected = bruteForce(demand, cands, maxLocations, shipComplete);
        expect(r.provenOptimal).toBe(true);
        expect(r.best.filled).toBe(expected.filled);
        expect(r.best.cost).toBeCloseTo(expected.cost, 6);
        // the Lagrangian bound from the root (negative fixed costs included) cuts nothing optimal
        const strong = optimize(demand.map((quantity) => ({ quantity })), cands, { maxLocations, shipComplete, strongBoundAfter: 0 });
        expect(strong.best.filled).toBe(expected.filled);
        expect(strong.best.cost).toBeCloseTo(expected.cost, 6);
        // the plan is feasible: never more than available, never more than demanded, within the location limit
        const perLine = demand.map(() => 0);
        for (const [c, take] of r.best.allocation) {
          take.forEach((q, j) => {
            expect(q).toBeLessThanOrEqual(cands[c].available[j]);
            perLine[j] += q;
          });
        }
        perLine.forEach((q, j) => expect(q).toBeLessThanOrEqual(demand[j]));
        if (maxLocations !== null) expect(r.best.allocation.size).toBeLessThanOrEqual(maxLocations);
        if (shipComplete) expect(r.best.allocation.size).toBeLessThanOrEqual(1);
      }),
      { numRuns: 3000, seed: 42 },
    );
  });

  it('matches brute force where the search must work: fragmented stock, several lines, up to 11 locations', () => {
    const fragmented = fc
      .record({ lines: fc.integer({ min: 2, max: 4 }), locations: fc.integer({ min: 6, max: 11 }) })
      .chain(({ lines, locations }) =>
        fc.record({
          demand: fc.array(fc.integer({ min: 2, max: 6 }), { minLength: lines, maxLength: lines }),
          cands: fc.array(
            fc.record({
              fixed: fc.double({ min: 2, max: 12, noNaN: true }),
              perUnit: fc.double({ min: 0, max: 3, noNaN: true }),
              available: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: lines, maxLength: lines }),
              key: fc.string({ maxLength: 2 }),
            }),
            { minLength: locations, maxLength: locations },
          ),
          maxLocations: fc.option(fc.integer({ min: 2, max: 5 }), { nil: null }),
        }),
      );
    let searched = 0;
    fc.assert(
      fc.property(fragmented, ({ demand, cands, maxLocations }) => {
        const r = optimize(demand.map((quantity) => ({ quantity })), cands, { maxLocations, shipComplete: false });
        // and with the Lagrangian bound pruning from the root
        const strong = optimize(demand.map((quantity) => ({ quantity })), cands, { maxLocations, shipComplete: false, strongBoundAfter: 0 });
        const expected = bruteForce(demand, cands, maxLocations, false);
        if (r.nodes > cands.length + 2) searched++;
        for (const x of [r, strong]) {
          expect(x.provenOptimal).toBe(true);
          expect(x.best.filled).toBe(expected.filled);
          expect(x.best.cost).toBeCloseTo(expected.cost, 6);
        }
      }),
      { numRuns: 400, seed: 7 },
    );
    // most of these instances get past the root bound into the branch and bound
    expect(searched).toBeGreaterThan(200);
  });

  it('matches brute force where a costly shipment makes the best plan a pair: many locations, no single one holds every line', () => {
    // fixed cost far above the unit costs (as in the benchmark's cost model): a third
    // location never pays, so the search completes each first location with one more
    const paired = fc
      .record({ lines: fc.integer({ min: 3, max: 6 }), locations: fc.integer({ min: 8, max: 12 }) })
      .chain(({ lines, locations }) =>
        fc.record({
          demand: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: lines, maxLength: lines }),
          cands: fc.array(
            fc.record({
              fixed: fc.oneof({ weight: 9, arbitrary: fc.double({ min: 8, max: 9.5, noNaN: true }) }, fc.double({ min: -1, max: 1, noNaN: true })),
              perUnit: fc.double({ min: 0.4, max: 1.5, noNaN: true }),
              available: fc.array(fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 2 })), { minLength: lines, maxLength: lines }),
              key: fc.string({ maxLength: 2 }),
            }),
            { minLength: locations, maxLength: locations },
          ),
          maxLocations: fc.option(fc.integer({ min: 2, max: 4 }), { nil: null }),
        }),
      );
    let pairs = 0;
    fc.assert(
      fc.property(paired, ({ demand, cands, maxLocations }) => {
        // (an exact tie of unit cost with a negative fixed cost makes the brute force's own
        // fill order matter: both fills are greedy, each breaking ties its own way)
        fc.pre(new Set(cands.map((c) => c.perUnit)).size === cands.length);
        const expected = bruteForce(demand, cands, maxLocations, false);
        for (const strongBoundAfter of [undefined, 0]) {
          const r = optimize(demand.map((quantity) => ({ quantity })), cands, { maxLocations, shipComplete: false, strongBoundAfter });
          expect(r.provenOptimal).toBe(true);
          expect(r.best.filled).toBe(expected.filled);
          expect(r.best.cost).toBeCloseTo(expected.cost, 6);
          if (strongBoundAfter === undefined && r.best.allocation.size === 2) pairs++;
        }
      }),
      { numRuns: 400, seed: 19 },
    );
    // the case this targets is common in these instances
    expect(pairs).toBeGreaterThan(100);
  });

  it('says when its node limit cut the search short, and still returns a feasible plan no better than the proven one', () => {
    // fragmented stock over four lines: the root bound cannot settle it
    let seed = 11;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const cands = Array.from({ length: 40 }, (_, i) => ({
      fixed: 5 + rand() * 10, perUnit: rand() * 3, available: [0, 1, 2, 3].map(() => Math.floor(rand() * 4)), key: `L${i}`,
    }));
    const lines = [7, 9, 6, 8].map((quantity) => ({ quantity }));
    const cut = optimize(lines, cands, { maxLocations: null, shipComplete: false, maxNodes: 5 });
    const full = optimize(lines, cands, { maxLocations: null, shipComplete: false });
    expect(cut.provenOptimal).toBe(false);
    expect(full.provenOptimal).toBe(true);
    expect(cut.best.filled).toBe(full.best.filled);
    expect(cut.best.cost).toBeGreaterThanOrEqual(full.best.cost - 1e-9);
    for (const [c, take] of cut.best.allocation) take.forEach((q, j) => expect(q).toBeLessThanOrEqual(cands[c].available[j]));
  });

  it('does not depend on the order of the candidates, even on exact ties of cost', () => {
    const cands = ['C', 'A', 'D', 'B'].map((key) => ({ fixed: 2, perUnit: 1, available: [1, 1], key }));
    const lines = [{ quantity: 1 }, { quantity: 1 }];
    const keysOf = (cs: typeof cands) => {
      const r = optimize(lines, cs, { maxLocations: null, shipComplete: false });
      return [...r.best.allocation.keys()].map((i) => cs[i].key);
    };
    expect(keysOf(cands)).toEqual(['A']);
    expect(keysOf([...cands].reverse())).toEqual(['A']);
  });
});
