/**
 * The exact choice step of the planner: which locations ship which units, at least cost
 * under the rule, after filling as many units as stock allows. Pure and synchronous.
 *
 * Cost of a plan = sum over the locations used of a fixed part (per shipment, per shipment
 * and km, less the priority bonus) plus, per unit, a variable part (per unit, per unit and
 * km). For a fixed set of locations the best assignment is greedy: every line takes its
 * units from the set's locations in order of per-unit cost. So the search is over sets of
 * locations in which every member ships something.
 *
 * 1. Incumbents: every single location, and two greedy covers (most units first; least
 *    cost per unit first).
 * 2. A lower bound at the root, found without sorting: the larger of (a) two fixed costs
 *    plus the cheapest per-unit fill (every single location has been priced, so any other
 *    plan uses two locations at least), and (b) the cheapest fill when each location's
 *    fixed cost is spread over the most units it could ship (its "amortized" unit cost; a
 *    plan pays at least that for each unit). Most orders are proven optimal here, in time
 *    linear in the candidates.
 * 3. Otherwise a depth-first branch and bound that branches on the line that is still short
 *    with the fewest locations able to supply it: one child per such location (taking it,
 *    after excluding the ones before it), and one where the line stays short. Sets that fill
 *    everything they can branch over the locations that could still lower the cost. The
 *    children partition the space, so no set is visited twice. Each node is pruned by the
 *    most its subtree can fill and the bounds of step 2 over its remaining locations; a
 *    child that would still leave a line short pays one more fixed cost, and a child that
 *    leaves nothing short, when any superset would cost too much, is scored without a
 *    subtree. Once the search runs long, the Lagrangian bound (the strength of the LP
 *    relaxation, prices improved by subgradient steps and kept from node to node) joins in.
 * 4. Beyond `maxNodes` nodes (default 20,000) the best plan found is improved by a
 *    Lagrangian heuristic (the sets the prices open, completed greedily) and local search
 *    (drop or swap one location), and returned flagged as not proven.
 *
 * Ties of cost (within 1e-9) go to the plan whose sorted location keys come first, so the
 * answer does not depend on the order of the candidates.
 */

import { Scratch } from './scratch';

export interface OptLine {
  quantity: number;
}

export interface OptCandidate {
  /** Cost of using the location at all. May be negative (a large priority bonus). */
  fixed: number;
  /** Cost per unit shipped from it. */
  perUnit: number;
  /** Units available per line, in line order. */
  available: number[];
  /** Stable tie-break (e.g. the location code). */
  key: string;
}

/** The same input as parallel arrays: what the planner builds without an object per candidate. */
export interface OptProblem {
  /** Units wanted per line. */
  demand: ArrayLike<number>;
  fixed: ArrayLike<number>;
  perUnit: ArrayLike<number>;
  /** Units available, candidate-major: candidate c, line j at c * lines + j. */
  available: ArrayLike<number>;
  keys: string[];
  /** The number of candidates, when `keys` is a longer reused array (default keys.length). */
  size?: number;
  /** The caller vouches that `available` is an Int32Array of whole units within 0 and each line's demand: used as it is. */
  capped?: boolean;
  /**
   * What indexAvailability would compute from a capped `available`, when the caller built it
   * in the same pass (the planner's screen): per candidate its units, per line the total and
   * the holders in index order (line j's at lineHolders[j * stride ..]).
   */
  index?: AvailabilityIndex;
}

export interface AvailabilityIndex {
  cap: Int32Array;
  lineTotal: Float64Array;
  holderCount: Int32Array;
  lineHolders: Int32Array;
  /** Row length of lineHolders (at least the number of candidates). */
  stride: number;
}

export interface OptSolution {
  /** Per candidate index used: units per line. */
  allocation: Map<number, number[]>;
  filled: number;
  cost: number;
}

/** A plan offered as an alternative: which locations, and what it fills and costs. */
export interface OptAlternative {
  /** Candidate indexes, each shipping something. */
  locations: number[];
  filled: number;
  cost: number;
}

export interface OptResult {
  best: OptSolution;
  /** The next best plans found (distinct location sets, same fill), cheapest first. */
  alternatives: OptAlternative[];
  provenOptimal: boolean;
  nodes: number;
}

export interface OptOptions {
  maxLocations: number | null;
  /** All lines from one location, or nothing. */
  shipComplete: boolean;
  maxNodes?: number;
  alternatives?: number;
  /** Search nodes before the Lagrangian bound joins the quick ones (default 64; 0: from the root). */
  strongBoundAfter?: number;
}

const EPS = 1e-9;

/** The solver's working arrays, reused from plan to plan (see scratch.ts). */
const scratch = new Scratch();

/** Object-per-candidate entry point (tests, small callers). */
export function optimize(lines: OptLine[], cands: OptCandidate[], opts: OptOptions): OptResult {
  const L = lines.length;
  const available = new Int32Array(cands.length * L);
  cands.forEach((c, i) => c.available.forEach((a, j) => (available[i * L + j] = a)));
  return solve(
    {
      demand: lines.map((l) => l.quantity),
      fixed: cands.map((c) => c.fixed),
      perUnit: cands.map((c) => c.perUnit),
      available,
      keys: cands.map((c) => c.key),
    },
    opts,
  );
}

interface Found {
  /** Members, sorted by unit order. */
  set: number[];
  filled: number;
  cost: number;
  id: string;
}

export function solve(problem: OptProblem, opts: OptOptions): OptResult {
  const L = problem.demand.length;
  const n = problem.size ?? problem.keys.length;
  const keys = problem.keys;
  const maxNodes = opts.maxNodes ?? 20_000;
  const keepAlternatives = opts.alternatives ?? 3;
  const maxK = opts.maxLocations === null ? n : Math.min(opts.maxLocations, n);

  const demand = scratch.i32(0, L, false);
  for (let j = 0; j < L; j++) demand[j] = Math.max(0, Math.floor(problem.demand[j]));
  const fixed = problem.fixed instanceof Float64Array ? problem.fixed : Float64Array.from(problem.fixed);
  const perUnit = problem.perUnit instanceof Float64Array ? problem.perUnit : Float64Array.from(problem.perUnit);
  // Availability capped at demand; what each location can ship toward the order; per line, who holds it.
  let avail: Int32Array;
  let cap: Int32Array;
  let lineTotal: Float64Array;
  let holderCount: Int32Array;
  // Per line, the locations holding it, in index order: line j's at lineHolders[j * stride ..], holderCount[j] of them.
  let lineHolders: Int32Array;
  let stride = n;
  if (problem.capped && problem.available instanceof Int32Array && problem.index) {
    avail = problem.available;
    ({ cap, lineTotal, holderCount, lineHolders, stride } = problem.index);
  } else {
    if (problem.capped && problem.available instanceof Int32Array) {
      avail = problem.available;
    } else {
      avail = scratch.i32(1, n * L, false);
      capAvailability(problem.available, demand, n, L, avail);
    }
    cap = scratch.i32(2, n, false);
    lineTotal = scratch.f64(0, L);
    holderCount = scratch.i32(3, L);
    lineHolders = scratch.i32(5, n * L, false);
    indexAvailability(avail, n, L, cap, lineTotal, holderCount, lineHolders);
  }
  let maxFill = 0;
  for (let j = 0; j < L; j++) maxFill += Math.min(demand[j], lineTotal[j]);
  // A location's cost per unit with its fixed cost spread over the most units it can ship
  // (filled in with the singles below).
  const amort = scratch.f64(1, n, false);

  /** Unit order: cheaper per unit first, then key. */
  const unitBefore = (x: number, y: number): boolean => perUnit[x] < perUnit[y] || (perUnit[x] === perUnit[y] && (keys[x] < keys[y] || (keys[x] === keys[y] && x < y)));
  const byUnit = (x: number, y: number): number => (unitBefore(x, y) ? -1 : x === y ? 0 : 1);

  // ---- scoring a set (members sorted by unit order): greedy fill, rejected when a member ships nothing
  const left = scratch.f64(2, L, false);
  let scoredFill = 0;
  let scoredCost = 0;
  const score = (set: number[]): boolean => {
    for (let j = 0; j < L; j++) left[j] = demand[j];
    scoredFill = 0;
    scoredCost = 0;
    for (const c of set) {
      const base = c * L;
      let units = 0;
      for (let j = 0; j < L; j++) {
        const a = avail[base + j];
        const q = left[j] < a ? left[j] : a;
        if (q > 0) {
          left[j] -= q;
          units += q;
        }
      }
      if (units === 0) return false;
      scoredFill += units;
      scoredCost += fixed[c] + perUnit[c] * units;
    }
    return true;
  };
  const allocate = (set: number[]): OptSolution => {
    const rest = Array.from(demand);
    const allocation = new Map<number, number[]>();
    let filled = 0;
    let cost = 0;
    for (const c of set) {
      const take = new Array<number>(L).fill(0);
      let units = 0;
      for (let j = 0; j < L; j++) {
        const q = Math.min(rest[j], avail[c * L + j]);
        take[j] = q;
        rest[j] -= q;
        units += q;
      }
      allocation.set(c, take);
      filled += units;
      cost += fixed[c] + perUnit[c] * units;
    }
    return { allocation, filled, cost };
  };

  // ---- the best plans found
  const idOf = (set: number[]): string =>
    set.length === 1 ? keys[set[0]] + '\u0001' + set[0] : set.map((c) => keys[c]).sort().join('\u0000') + '\u0001' + [...set].sort((a, b) => a - b).join(',');
  /** a before b: fills more, or costs less, or (a tie) its keys come first. */
  const ahead = (fa: number, ca: number, ida: () => string, b: Found): boolean =>
    fa > b.filled || (fa === b.filled && (ca < b.cost - EPS || (ca <= b.cost + EPS && ida() < b.id)));
  const top: Found[] = []; // best first, at most keepAlternatives + 1
  let best: Found | null = null;
  /** Offers the set just scored (scoredFill, scoredCost). */
  const consider = (set: number[]) => {
    if (top.length > keepAlternatives) {
      // the common case, decided without the set's id: clearly behind the last kept plan
      const worst = top[top.length - 1];
      if (scoredFill < worst.filled || (scoredFill === worst.filled && scoredCost > worst.cost + EPS)) return;
    }
    const id = idOf(set);
    if (top.length > keepAlternatives && !ahead(scoredFill, scoredCost, () => id, top[top.length - 1])) return;
    if (top.some((f) => f.id === id)) return;
    const f: Found = { set: [...set], filled: scoredFill, cost: scoredCost, id };
    let at = top.length;
    while (at > 0 && ahead(f.filled, f.cost, () => f.id, top[at - 1])) at--;
    top.splice(at, 0, f);
    if (top.length > keepAlternatives + 1) top.pop();
    best = top[0];
  };
  /** Could a plan filling `fill` at cost at least `lb` still beat the best? */
  const promising = (fill: number, lb: number): boolean => best === null || fill > best.filled || (fill === best.filled && lb < best.cost - EPS);

  let nodes = 0;
  const result = (proven: boolean): OptResult => {
    const b = best;
    // Plain loops: arrays from filter/slice/map came back with varying element kinds, and the
    // caller's reads of them sent it out of optimized code again and again (--trace-deopt).
    const alternatives: OptAlternative[] = [];
    if (b !== null) {
      for (let k = 0; k < top.length && alternatives.length < keepAlternatives; k++) {
        const f = top[k];
        if (f !== b && f.filled === b.filled) alternatives.push({ locations: f.set, filled: f.filled, cost: f.cost });
      }
    }
    return {
      best: b ? allocate(b.set) : { allocation: new Map(), filled: 0, cost: 0 },
      alternatives,
      provenOptimal: proven,
      nodes,
    };
  };

  if (maxFill === 0 || maxK <= 0) return result(true);

  // ---- ship complete: one location with everything
  if (opts.shipComplete) {
    const one = [0];
    for (let c = 0; c < n; c++) {
      let all = true;
      for (let j = 0; j < L && all; j++) all = avail[c * L + j] >= demand[j];
      if (!all) continue;
      nodes++;
      one[0] = c;
      scoredFill = cap[c];
      scoredCost = fixed[c] + perUnit[c] * cap[c];
      consider(one);
    }
    return result(true);
  }

  let negTotal = 0; // the negative fixed costs' sum
  let minFixed = Infinity; // the two least fixed costs
  let minFixed2 = Infinity;
  // ---- incumbents: every single location ("all from X instead" is also the alternative a shopper understands)
  // First, with numbers only, the fill and cost of the (keepAlternatives + 1)-th best single;
  // then only the singles not clearly behind it are offered (a set behind that many others
  // by more than EPS cannot be kept, whatever its key): the same plans kept, without building
  // an id and a record for most of the hundreds of singles.
  {
    const keep = keepAlternatives + 1;
    const kFill = new Float64Array(keep).fill(-1);
    const kCost = new Float64Array(keep).fill(Infinity);
    // one pass: each location's amortized unit cost, the fixed costs the root bound needs,
    // and the best singles' fill and cost
    for (let c = 0; c < n; c++) {
      const fill = cap[c];
      const f = fixed[c];
      if (fill === 0) {
        amort[c] = perUnit[c];
        continue;
      }
      amort[c] = perUnit[c] + (f >= 0 ? f / fill : f);
      if (f < 0) negTotal += f;
      if (f < minFixed) {
        minFixed2 = minFixed;
        minFixed = f;
      } else if (f < minFixed2) minFixed2 = f;
      nodes++;
      const cost = f + perUnit[c] * fill;
      let at = keep;
      while (at > 0 && (fill > kFill[at - 1] || (fill === kFill[at - 1] && cost < kCost[at - 1]))) at--;
      if (at === keep) continue;
      for (let i = keep - 1; i > at; i--) {
        kFill[i] = kFill[i - 1];
        kCost[i] = kCost[i - 1];
      }
      kFill[at] = fill;
      kCost[at] = cost;
    }
    const lastFill = kFill[keep - 1];
    const lastCost = kCost[keep - 1];
    const one = [0];
    for (let c = 0; c < n; c++) {
      const fill = cap[c];
      if (fill === 0 || fill < lastFill) continue;
      const cost = fixed[c] + perUnit[c] * fill;
      if (fill === lastFill && cost > lastCost + EPS) continue;
      scoredFill = fill;
      scoredCost = cost;
      one[0] = c;
      consider(one);
    }
  }

  // ---- the root bound, without sorting: (a) one location's fixed cost + cheapest per-unit fill; (b) amortized fill
  const picked = scratch.i32(7, n); // stamp of the selection in progress
  let stamp = 0;
  /** Least cost of filling `need` units of line j, weight per unit from `w`: repeated minimum for a few picks, else a sort. */
  const cheapestFill = (j: number, need: number, w: Float64Array): number => {
    stamp++;
    let cost = 0;
    const from = j * stride;
    const to = from + holderCount[j];
    for (let picks = 0; need > 0; picks++) {
      if (picks === 4) return cost + sortedFill(j, need, w);
      let m = -1;
      let mw = Infinity;
      for (let k = from; k < to; k++) {
        const c = lineHolders[k];
        if (w[c] < mw && picked[c] !== stamp) [m, mw] = [c, w[c]];
      }
      if (m < 0) break;
      picked[m] = stamp;
      const q = Math.min(need, avail[m * L + j]);
      cost += q * mw;
      need -= q;
    }
    return cost;
  };
  /** The same, sorting the line's holders not yet picked. */
  const sortedFill = (j: number, need: number, w: Float64Array): number => {
    const hs: number[] = [];
    for (let k = j * stride; k < j * stride + holderCount[j]; k++) if (picked[lineHolders[k]] !== stamp) hs.push(lineHolders[k]);
    hs.sort((x, y) => w[x] - w[y]);
    let cost = 0;
    for (const c of hs) {
      if (need <= 0) break;
      const q = Math.min(need, avail[c * L + j]);
      cost += q * w[c];
      need -= q;
    }
    return cost;
  };
  {
    let varP = 0;
    let varA = 0;
    for (let j = 0; j < L; j++) {
      const target = Math.min(demand[j], lineTotal[j]);
      if (target === 0) continue;
      // Mostly one holder, the cheapest, has the units: both cheapest holders in one scan, and
      // the full selection only for a weight whose cheapest holder falls short.
      let mP = -1;
      let mA = -1;
      let wP = Infinity;
      let wA = Infinity;
      for (let k = j * stride, end = k + holderCount[j]; k < end; k++) {
        const c = lineHolders[k];
        if (perUnit[c] < wP) {
          mP = c;
          wP = perUnit[c];
        }
        if (amort[c] < wA) {
          mA = c;
          wA = amort[c];
        }
      }
      varP += avail[mP * L + j] >= target ? target * wP : cheapestFill(j, target, perUnit);
      varA += avail[mA * L + j] >= target ? target * wA : cheapestFill(j, target, amort);
    }
    // Every single location was scored above, so only plans of two or more locations remain:
    // they pay two fixed costs at least.
    const rootLB = Math.max(negTotal + Math.max(0, minFixed) + Math.max(0, minFixed2 === Infinity ? 0 : minFixed2) + varP, varA);
    if (best !== null && (best as Found).filled === maxFill && (best as Found).cost <= rootLB + EPS) return result(true);
  }

  // ---- more incumbents: greedy covers (most units still needed; least cost per unit needed)
  const greedyCover = (byRatio: boolean) => {
    const rest = Array.from(demand);
    const chosen: number[] = [];
    const inSet = new Uint8Array(n);
    while (chosen.length < maxK) {
      let pick = -1;
      let pickScore = Infinity;
      for (let c = 0; c < n; c++) {
        if (inSet[c]) continue;
        let u = 0;
        for (let j = 0; j < L; j++) u += Math.min(rest[j], avail[c * L + j]);
        if (u === 0) continue;
        const s = byRatio ? (fixed[c] + perUnit[c] * u) / u : -u + perUnit[c] * 1e-6;
        if (s < pickScore || (s === pickScore && unitBefore(c, pick))) [pick, pickScore] = [c, s];
      }
      if (pick < 0) break;
      chosen.push(pick);
      inSet[pick] = 1;
      for (let j = 0; j < L; j++) rest[j] -= Math.min(rest[j], avail[pick * L + j]);
    }
    if (chosen.length > 1) {
      nodes++;
      chosen.sort(byUnit);
      if (score(chosen)) consider(chosen);
    }
  };
  greedyCover(false);
  greedyCover(true);

  // ---- branch and bound
  // Per line, its holders cheapest per unit first, and cheapest amortized first: filtered out
  // of two sorts of all candidates (only the values matter to the bounds walking them).
  const orderP = [...Array(n).keys()].filter((c) => cap[c] > 0).sort((x, y) => perUnit[x] - perUnit[y]);
  const orderA = [...orderP].sort((x, y) => amort[x] - amort[y]);
  const holders: Int32Array[] = [];
  const holdersA: Int32Array[] = [];
  // and the least fixed cost of any holder: what one more location for a short line costs at least
  const minFixedLine = new Float64Array(L).fill(Infinity);
  for (let j = 0; j < L; j++) {
    const hp = new Int32Array(holderCount[j]);
    const ha = new Int32Array(holderCount[j]);
    let kp = 0;
    let ka = 0;
    for (const c of orderP) {
      if (avail[c * L + j] > 0) {
        hp[kp++] = c;
        if (fixed[c] < minFixedLine[j]) minFixedLine[j] = fixed[c];
      }
    }
    for (const c of orderA) if (avail[c * L + j] > 0) ha[ka++] = c;
    holders.push(hp);
    holdersA.push(ha);
  }
  const ALLOWED = 0;
  const IN = 1;
  const OUT = 2;
  const state = new Uint8Array(n);
  for (let c = 0; c < n; c++) if (cap[c] === 0) state[c] = OUT;
  const cover = new Float64Array(L); // units the set holds per line (uncapped sum, at most demand each)
  const allowedSupply = new Float64Array(L);
  const allowedCount = new Int32Array(L);
  for (let c = 0; c < n; c++) {
    if (state[c] !== ALLOWED) continue;
    for (let j = 0; j < L; j++) {
      const a = avail[c * L + j];
      if (a > 0) {
        allowedSupply[j] += a;
        allowedCount[j]++;
      }
    }
  }
  let negAllowed = negTotal;
  let fixedSum = 0;
  const set: number[] = [];
  const leave = (c: number) => {
    for (let j = 0; j < L; j++) {
      const a = avail[c * L + j];
      if (a > 0) {
        allowedSupply[j] -= a;
        allowedCount[j]--;
      }
    }
    if (fixed[c] < 0) negAllowed -= fixed[c];
  };
  const rejoin = (c: number) => {
    for (let j = 0; j < L; j++) {
      const a = avail[c * L + j];
      if (a > 0) {
        allowedSupply[j] += a;
        allowedCount[j]++;
      }
    }
    if (fixed[c] < 0) negAllowed += fixed[c];
  };
  const add = (c: number) => {
    leave(c);
    state[c] = IN;
    for (let j = 0; j < L; j++) cover[j] += avail[c * L + j];
    fixedSum += fixed[c];
    let at = set.length;
    while (at > 0 && unitBefore(c, set[at - 1])) at--;
    set.splice(at, 0, c);
  };
  const remove = (c: number) => {
    set.splice(set.indexOf(c), 1);
    fixedSum -= fixed[c];
    for (let j = 0; j < L; j++) cover[j] -= avail[c * L + j];
    state[c] = ALLOWED;
    rejoin(c);
  };
  const forbid = (c: number) => {
    leave(c);
    state[c] = OUT;
  };
  const allow = (c: number) => {
    state[c] = ALLOWED;
    rejoin(c);
  };

  const target = new Float64Array(L);
  /** Set by subtreeBound: the members' and allowed locations' cheapest unit-cost fill of the targets. */
  let boundVarP = 0;
  /** Least cost of any plan in the subtree (its members plus allowed locations), filling `target` per line. */
  const subtreeBound = (): number => {
    let varP = 0;
    let varA = 0;
    let needOne = 0;
    for (let j = 0; j < L; j++) {
      const t = target[j];
      if (t === 0) continue;
      // (a) members and allowed locations at their unit cost
      let need = t;
      const hs = holders[j];
      for (let k = 0; k < hs.length && need > 0; k++) {
        const c = hs[k];
        if (state[c] === OUT) continue;
        const q = Math.min(need, avail[c * L + j]);
        varP += q * perUnit[c];
        need -= q;
      }
      // (b) members at their unit cost, allowed locations at their amortized cost, merged
      need = t;
      const ha = holdersA[j];
      let m = 0;
      let k = 0;
      while (need > 0) {
        while (m < set.length && avail[set[m] * L + j] === 0) m++;
        while (k < ha.length && state[ha[k]] !== ALLOWED) k++;
        const fromSet = m < set.length;
        const fromRest = k < ha.length;
        if (!fromSet && !fromRest) break;
        let c: number;
        let w: number;
        if (fromSet && (!fromRest || perUnit[set[m]] <= amort[ha[k]])) {
          c = set[m++];
          w = perUnit[c];
        } else {
          c = ha[k++];
          w = amort[c];
        }
        const q = Math.min(need, avail[c * L + j]);
        varA += q * w;
        need -= q;
      }
      // a line the members cannot fill needs one more location
      if (cover[j] < t && minFixedLine[j] > needOne) needOne = minFixedLine[j];
    }
    boundVarP = varP;
    return fixedSum + Math.max(negAllowed + needOne + varP, varA);
  };

  /**
   * The Lagrangian bound of the subtree (the strength of its LP relaxation): price each unit
   * of line j at lambda[j] and drop the fill constraints; then each location is used alone
   * if that pays, and any prices give a lower bound. Subgradient steps toward the best cost
   * found improve the prices; they are kept from node to node as a warm start. Returns the
   * best bound reached, early once it prunes.
   */
  const lambda = new Float64Array(L);
  const grad = new Float64Array(L);
  // per location: its reduced cost under the prices, and whether the relaxation takes it
  // (stamped per iteration: only the locations some price reaches are touched)
  let reducedOf = new Float64Array(0);
  let touched = new Int32Array(0);
  let touchedAt = new Int32Array(0);
  let takenAt = new Int32Array(0);
  let pass = 0;
  let live = new Int32Array(0);
  const liveFrom = new Int32Array(L + 1);
  // the locations whose fixed cost is negative: the relaxation may take them at any prices
  const negFixed: number[] = [];
  let lambdaReady = false;
  let stepScale = 1;
  const lagrangeBound = (iterations: number): number => {
    const ub = (best as Found | null)?.cost ?? Infinity;
    if (!lambdaReady) {
      reducedOf = new Float64Array(n);
      touched = new Int32Array(n);
      touchedAt = new Int32Array(n);
      takenAt = new Int32Array(n);
      let holdings = 0;
      for (let j = 0; j < L; j++) holdings += holders[j].length;
      live = new Int32Array(holdings);
      for (let c = 0; c < n; c++) if (cap[c] > 0 && fixed[c] < 0) negFixed.push(c);
      // start from each line's most expensive amortized unit cost among its holders' first units
      for (let j = 0; j < L; j++) {
        const ha = holdersA[j];
        lambda[j] = ha.length ? amort[ha[Math.min(ha.length - 1, Math.max(0, Math.ceil(target[j] / 2)))]] : 0;
      }
      lambdaReady = true;
    }
    // Per line, the holders not ruled out here (cheapest per unit first): the iterations walk
    // these, not the ones the search has forbidden, which deep in it are most of the cheap ones.
    let len = 0;
    for (let j = 0; j < L; j++) {
      const hs = holders[j];
      liveFrom[j] = len;
      for (let k = 0; k < hs.length; k++) if (state[hs[k]] !== OUT) live[len++] = hs[k];
    }
    liveFrom[L] = len;
    let bestBound = -Infinity;
    for (let it = 0; it < iterations; it++) {
      let value = fixedSum;
      for (let j = 0; j < L; j++) {
        value += lambda[j] * target[j];
        grad[j] = target[j];
      }
      // A location's reduced cost is the sum over the lines it holds below their price: walk
      // each line's holders cheapest per unit first and stop at the price (stock is sparse and
      // the prices sit among the cheap holders), in line order as a pass per location would.
      pass++;
      let nt = 0;
      for (const c of negFixed) {
        if (state[c] === OUT) continue;
        touchedAt[c] = pass;
        reducedOf[c] = 0;
        touched[nt++] = c;
      }
      for (let j = 0; j < L; j++) {
        const lam = lambda[j];
        for (let k = liveFrom[j], end = liveFrom[j + 1]; k < end; k++) {
          const c = live[k];
          const pc = perUnit[c];
          if (pc >= lam) break;
          if (touchedAt[c] !== pass) {
            touchedAt[c] = pass;
            reducedOf[c] = 0;
            touched[nt++] = c;
          }
          reducedOf[c] += avail[c * L + j] * (pc - lam);
        }
      }
      // Members count their reduced cost; others are taken when it outweighs their fixed cost.
      // (A member no price reaches adds nothing.)
      for (let i = 0; i < nt; i++) {
        const c = touched[i];
        const reduced = reducedOf[c];
        if (state[c] === IN) value += reduced;
        else if (fixed[c] + reduced < 0) value += fixed[c] + reduced;
        else continue;
        takenAt[c] = pass;
      }
      for (let j = 0; j < L; j++) {
        const lam = lambda[j];
        for (let k = liveFrom[j], end = liveFrom[j + 1]; k < end; k++) {
          const c = live[k];
          if (perUnit[c] >= lam) break;
          if (takenAt[c] === pass) grad[j] -= avail[c * L + j];
        }
      }
      if (value > bestBound) bestBound = value;
      if (bestBound >= ub - EPS) return bestBound;
      let norm = 0;
      for (let j = 0; j < L; j++) norm += grad[j] * grad[j];
      if (norm === 0) return bestBound; // the prices are optimal
      const step = (stepScale * (ub - value)) / norm;
      for (let j = 0; j < L; j++) lambda[j] += step * grad[j];
      stepScale = Math.max(0.05, stepScale * 0.95);
    }
    return bestBound;
  };

  let proven = true;
  const lagrangeFrom = opts.strongBoundAfter === 0 ? -1 : nodes + (opts.strongBoundAfter ?? 64);
  // In completeWithOne the walk it would save is often cheaper than the bound's iterations
  // (an order of 10 popular lines at 505 locations: 14 ms with it, 2.8 ms without); only in
  // a search long enough to near the node limit does it pay (the adversarial mix: the same
  // plans, and without it some of them worse when the limit is reached).
  const lagrangeLate = opts.strongBoundAfter === 0 ? -1 : 2000;
  const useful = new Float64Array(n);
  /** Explores the subtree of the current set and state; `scored`: the set was already offered. */
  const visit = (scored: boolean) => {
    if (nodes >= maxNodes) {
      proven = false;
      return;
    }
    nodes++;
    if (!scored && set.length > 0 && score(set)) consider(set);
    if (set.length >= maxK) return;
    let fillUB = 0;
    for (let j = 0; j < L; j++) {
      target[j] = Math.min(demand[j], cover[j] + allowedSupply[j]);
      fillUB += target[j];
    }
    if (!promising(fillUB, -Infinity)) return;
    // With the best fill within reach only a cheaper plan matters: bound the cost, here and per child.
    const costMatters = best !== null && fillUB === (best as Found).filled;
    if (costMatters && !promising(fillUB, subtreeBound())) return;
    const varP = boundVarP;
    // Where the quick bounds leave a gap and the search is not over quickly, the stronger one.
    if (costMatters && nodes > lagrangeFrom && !promising(fillUB, lagrangeBound(lambdaReady ? 10 : 40))) return;

    // the short line with the fewest allowed holders
    let line = -1;
    for (let j = 0; j < L; j++) {
      if (cover[j] < target[j] && (line < 0 || allowedCount[j] < allowedCount[line] || (allowedCount[j] === allowedCount[line] && target[j] - cover[j] > target[line] - cover[line]))) line = j;
    }
    const children: number[] = [];
    if (line >= 0) {
      // its allowed holders, cheapest per useful unit first
      const hs = holders[line];
      for (let k = 0; k < hs.length; k++) {
        const c = hs[k];
        if (state[c] !== ALLOWED) continue;
        let u = 0;
        for (let j = 0; j < L; j++) {
          const short = demand[j] - cover[j];
          if (short > 0) u += Math.min(short, avail[c * L + j]);
        }
        useful[c] = (fixed[c] + perUnit[c] * u) / u;
        children.push(c);
      }
      children.sort((x, y) => useful[x] - useful[y] || byUnit(x, y));
    } else {
      // everything fillable is held: only a location that ships some unit cheaper can lower the cost
      for (let c = 0; c < n; c++) {
        if (state[c] !== ALLOWED) continue;
        let cheaper = false;
        for (let m = 0; m < set.length && !cheaper; m++) {
          const s = set[m];
          if (perUnit[c] < perUnit[s]) for (let j = 0; j < L && !cheaper; j++) cheaper = avail[c * L + j] > 0 && avail[s * L + j] > 0;
        }
        if (cheaper || fixed[c] < 0) children.push(c);
      }
      children.sort((x, y) => fixed[x] - fixed[y] || byUnit(x, y));
    }
    let done = 0;
    for (const c of children) {
      // A child pays its fixed cost on top of what every plan here pays at least, and one
      // more location's if a line stays short with it.
      let bounded = false; // nothing in the child's subtree can beat the best
      let leaf = false; // only the child's set itself can
      let lastOne = false; // only the child's set with one more location can
      if (costMatters) {
        let more = 0;
        for (let j = 0; j < L; j++) if (cover[j] + avail[c * L + j] < target[j] && minFixedLine[j] > more) more = minFixedLine[j];
        const lb = fixedSum + fixed[c] + negAllowed - Math.min(0, fixed[c]) + more + varP;
        bounded = !promising(fillUB, lb);
        // Any superset with one more location than it needs pays too much: it is a leaf (it
        // leaves nothing short) or needs exactly one more location (it leaves a line short).
        const noSpare = !bounded && !promising(fillUB, lb + Math.max(0, minFixed));
        leaf = noSpare && more === 0;
        lastOne = noSpare && more > 0;
      }
      if (bounded) {
        if (line < 0 && fixed[c] >= 0) break; // sorted by fixed cost: the rest cost no less
      } else {
        add(c);
        if (leaf) {
          nodes++;
          if (score(set)) consider(set);
        } else if (lastOne) completeWithOne(fillUB, varP);
        else visit(false);
        remove(c);
      }
      forbid(c);
      done++;
      if (!proven) break;
    }
    // the branch where the line stays short (the improving branch needs none: its sets exist above)
    if (proven && line >= 0) visit(true);
    for (let i = done - 1; i >= 0; i--) allow(children[i]);
  };
  /**
   * The subtree of a set that leaves a line short when no plan in it may hold more than one
   * more location: score the set with each allowed location that fills every line to its
   * target (walking the holders of the short line with the fewest), instead of branching.
   * `varP`: a lower bound on the subtree's per-unit cost.
   */
  const completeWithOne = (fillUB: number, varP: number) => {
    nodes++;
    if (set.length >= maxK) return;
    // the subtree's bounds first, as a search node's (its targets, then the quick bounds and,
    // once the search has run long, lagrangeLate, the Lagrangian one): most such subtrees end here
    let reach = 0;
    for (let j = 0; j < L; j++) {
      target[j] = Math.min(demand[j], cover[j] + allowedSupply[j]);
      reach += target[j];
    }
    if (reach < fillUB) return;
    if (!promising(fillUB, subtreeBound())) return;
    if (boundVarP > varP) varP = boundVarP;
    if (nodes > lagrangeLate && !promising(fillUB, lagrangeBound(lambdaReady ? 10 : 40))) return;
    let line = -1;
    for (let j = 0; j < L; j++) if (cover[j] < target[j] && (line < 0 || allowedCount[j] < allowedCount[line])) line = j;
    if (line < 0) return;
    // The one more location ships every unit the members leave short, and the rest is at best
    // as cheap per unit as it or the cheapest member: a bound that grows with its unit cost,
    // so the walk (cheapest per unit first) stops at the first location it rules out.
    let shortUnits = 0;
    let cheapestMember = Infinity;
    for (let j = 0; j < L; j++) if (cover[j] < target[j]) shortUnits += target[j] - cover[j];
    for (let m = 0; m < set.length; m++) if (perUnit[set[m]] < cheapestMember) cheapestMember = perUnit[set[m]];
    const hs = holders[line];
    for (let k = 0; k < hs.length; k++) {
      const g = hs[k];
      const p = perUnit[g];
      const varLB = Math.max(varP, p * shortUnits + (p < cheapestMember ? p : cheapestMember) * (fillUB - shortUnits));
      if (!promising(fillUB, fixedSum + Math.min(minFixed, 0) + varLB)) break;
      if (state[g] !== ALLOWED) continue;
      if (!promising(fillUB, fixedSum + fixed[g] + varLB)) continue;
      let fills = true;
      for (let j = 0; j < L && fills; j++) fills = cover[j] + avail[g * L + j] >= target[j];
      if (!fills) continue;
      // each set scored counts as a search node (as a leaf does), so the node limit bounds this walk too
      if (nodes >= maxNodes) {
        proven = false;
        return;
      }
      nodes++;
      // scored in place: g joins the members in unit order (the search's state is untouched)
      let at = set.length;
      while (at > 0 && unitBefore(g, set[at - 1])) at--;
      set.splice(at, 0, g);
      if (score(set)) consider(set);
      set.splice(at, 1);
    }
  };
  visit(true);

  if (!proven) {
    lagrangeHeuristic(80);
    improveLocally();
  }
  return result(proven);

  /**
   * When the search was cut short: the sets the Lagrangian prices open (every location whose
   * fixed cost its priced units repay), completed greedily where a line is still short,
   * are scored as plans; the prices move toward the best cost as in the bound.
   */
  function lagrangeHeuristic(iterations: number): void {
    for (let j = 0; j < L; j++) target[j] = Math.min(demand[j], lineTotal[j]);
    if (!lambdaReady) lagrangeBound(1);
    const open: number[] = [];
    const short = new Float64Array(L);
    let scale = 1;
    for (let it = 0; it < iterations && best !== null; it++) {
      const ub = (best as Found).cost;
      let value = 0;
      open.length = 0;
      for (let j = 0; j < L; j++) {
        value += lambda[j] * target[j];
        grad[j] = target[j];
      }
      for (let c = 0; c < n; c++) {
        if (cap[c] === 0) continue;
        let reduced = 0;
        for (let j = 0; j < L; j++) {
          const a = avail[c * L + j];
          if (a > 0 && perUnit[c] < lambda[j]) reduced += a * (perUnit[c] - lambda[j]);
        }
        if (fixed[c] + reduced >= 0) continue;
        value += fixed[c] + reduced;
        open.push(c);
        for (let j = 0; j < L; j++) if (avail[c * L + j] > 0 && perUnit[c] < lambda[j]) grad[j] -= avail[c * L + j];
      }
      // complete: for each short line, its cheapest amortized holders not yet open
      for (let j = 0; j < L; j++) short[j] = target[j];
      for (const c of open) for (let j = 0; j < L; j++) short[j] -= avail[c * L + j];
      for (let j = 0; j < L && open.length < maxK; j++) {
        const ha = holdersA[j];
        for (let k = 0; k < ha.length && short[j] > 0 && open.length < maxK; k++) {
          const c = ha[k];
          if (open.includes(c)) continue;
          open.push(c);
          for (let i = 0; i < L; i++) short[i] -= avail[c * L + i];
        }
      }
      if (open.length > 0 && open.length <= maxK) {
        const candidate = [...open].sort(byUnit);
        // drop members the greedy fill leaves idle, then score
        if (score(candidate) || pruneIdle(candidate)) consider(candidate);
        nodes++;
      }
      let norm = 0;
      for (let j = 0; j < L; j++) norm += grad[j] * grad[j];
      if (norm === 0 || value >= ub - EPS) break;
      const step = (scale * (ub - value)) / norm;
      for (let j = 0; j < L; j++) lambda[j] += step * grad[j];
      scale = Math.max(0.02, scale * 0.97);
    }
  }

  /** Removes the members a set's greedy fill gives nothing, then scores it; false if nothing is left. */
  function pruneIdle(set: number[]): boolean {
    for (let j = 0; j < L; j++) left[j] = demand[j];
    const keep: number[] = [];
    for (const c of set) {
      let units = 0;
      for (let j = 0; j < L; j++) {
        const q = Math.min(left[j], avail[c * L + j]);
        left[j] -= q;
        units += q;
      }
      if (units > 0) keep.push(c);
    }
    set.length = 0;
    set.push(...keep);
    return set.length > 0 && score(set);
  }

  /**
   * When the search was cut short: local search from the best plan, dropping one location
   * or swapping one for another (the cheapest per unit and the best-supplied first), while
   * that fills as much for less. Bounded; the plan stays flagged as not proven.
   */
  function improveLocally(): void {
    const all = [...Array(n).keys()].filter((c) => cap[c] > 0);
    const pool = [
      ...new Set([
        ...[...all].sort(byUnit).slice(0, 60),
        ...[...all].sort((x, y) => amort[x] - amort[y] || byUnit(x, y)).slice(0, 40),
        ...[...all].sort((x, y) => cap[y] - cap[x] || byUnit(x, y)).slice(0, 30),
      ]),
    ];
    for (let round = 0; round < 50 && best !== null; round++) {
      const current = [...(best as Found).set];
      const before = best;
      const tryOut = (candidate: number[]) => {
        candidate.sort(byUnit);
        if (score(candidate) || pruneIdle(candidate)) consider(candidate);
      };
      for (const m of current) {
        const rest = current.filter((x) => x !== m);
        if (rest.length) tryOut(rest);
        for (const c of pool) if (!current.includes(c)) tryOut([...rest, c]);
      }
      if (best === before) return;
    }
  }
}

// The set-up loops, outside solve's closures so that V8 compiles them as tight loops.

/** Availability capped at demand, in whole units. */
function capAvailability(src: ArrayLike<number>, demand: Int32Array, n: number, L: number, avail: Int32Array): void {
  for (let c = 0, base = 0; c < n; c++, base += L) {
    for (let j = 0; j < L; j++) {
      const v = src[base + j];
      const d = demand[j];
      avail[base + j] = v >= d ? d : v > 0 ? Math.floor(v) : 0;
    }
  }
}

/** In one pass: per candidate the units it can ship; per line the total, and its holders (in index order, at j * n). */
function indexAvailability(avail: Int32Array, n: number, L: number, cap: Int32Array, lineTotal: Float64Array, holderCount: Int32Array, lineHolders: Int32Array): void {
  for (let c = 0, base = 0; c < n; c++, base += L) {
    let s = 0;
    for (let j = 0; j < L; j++) {
      const a = avail[base + j];
      if (a > 0) {
        s += a;
        lineTotal[j] += a;
        lineHolders[j * n + holderCount[j]++] = c;
      }
    }
    cap[c] = s;
  }
}
