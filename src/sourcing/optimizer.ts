/**
 * The exact choice step of the planner: which locations ship which units, at least cost
 * under the rule, after filling as many units as stock allows. Pure and synchronous.
 *
 * Cost of a plan = sum over the locations used of a fixed part (per shipment, per shipment
 * and km, less the priority bonus) plus, per unit, a variable part (per unit, per unit and
 * km). For a fixed set of locations the best assignment is greedy: every line takes its
 * units from the set's locations in order of per-unit cost. So the search is over sets of
 * locations: a depth-first branch and bound that adds locations in order of fixed cost and
 * keeps only "tight" sets (every member receives units; every subset of an optimal plan's
 * locations taken in that order is tight too, so nothing optimal is cut). A branch ends
 * when its fixed costs plus the cheapest possible variable cost cannot beat the best plan.
 * Beyond `maxNodes` evaluations (default 20,000) the best plan found is returned, flagged
 * as not proven.
 */

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

export interface OptSolution {
  /** Per candidate index used: units per line. */
  allocation: Map<number, number[]>;
  filled: number;
  cost: number;
}

export interface OptResult {
  best: OptSolution;
  /** The next best plans found (distinct location sets, same fill), cheapest first. */
  alternatives: OptSolution[];
  provenOptimal: boolean;
  nodes: number;
}

export interface OptOptions {
  maxLocations: number | null;
  /** All lines from one location, or nothing. */
  shipComplete: boolean;
  maxNodes?: number;
  alternatives?: number;
}

const EMPTY: OptSolution = { allocation: new Map(), filled: 0, cost: 0 };

/** Better = fills more units, then costs less (ties within 1e-9 keep the first found). */
function better(a: OptSolution, b: OptSolution): boolean {
  return a.filled > b.filled || (a.filled === b.filled && a.cost < b.cost - 1e-9);
}

export function optimize(lines: OptLine[], cands: OptCandidate[], opts: OptOptions): OptResult {
  const n = cands.length;
  const L = lines.length;
  const maxNodes = opts.maxNodes ?? 20_000;
  const keepAlternatives = opts.alternatives ?? 3;
  const demand = lines.map((l) => l.quantity);

  // Per-unit order: the greedy fill of any set follows it.
  const byUnit = [...cands.keys()].sort((x, y) => cands[x].perUnit - cands[y].perUnit || cands[x].key.localeCompare(cands[y].key));
  const unitRank = new Array<number>(n);
  byUnit.forEach((c, r) => (unitRank[c] = r));

  /** Greedy fill of a set (indices sorted by unit rank); null when some member gets nothing. */
  const evaluate = (set: number[]): OptSolution | null => {
    const left = demand.slice();
    const allocation = new Map<number, number[]>();
    let filled = 0;
    let cost = 0;
    for (const c of set) {
      const take = new Array<number>(L).fill(0);
      let units = 0;
      for (let j = 0; j < L; j++) {
        const q = Math.min(left[j], cands[c].available[j]);
        if (q > 0) {
          take[j] = q;
          left[j] -= q;
          units += q;
        }
      }
      if (units === 0) return null;
      allocation.set(c, take);
      filled += units;
      cost += cands[c].fixed + cands[c].perUnit * units;
    }
    return { allocation, filled, cost };
  };

  // The same greedy fill without allocating: the search scores thousands of sets and keeps few.
  const left = new Float64Array(L);
  let scoredFill = 0;
  let scoredCost = 0;
  const score = (set: number[]): boolean => {
    for (let j = 0; j < L; j++) left[j] = demand[j];
    scoredFill = 0;
    scoredCost = 0;
    for (const c of set) {
      const avail = cands[c].available;
      let units = 0;
      for (let j = 0; j < L; j++) {
        const q = left[j] < avail[j] ? left[j] : avail[j];
        if (q > 0) {
          left[j] -= q;
          units += q;
        }
      }
      if (units === 0) return false;
      scoredFill += units;
      scoredCost += cands[c].fixed + cands[c].perUnit * units;
    }
    return true;
  };

  // The most any plan can fill, and the least variable cost of filling that much.
  const maxFill = demand.reduce((sum, q, j) => sum + Math.min(q, cands.reduce((s, c) => s + c.available[j], 0)), 0);
  let varLB = 0;
  for (let j = 0; j < L; j++) {
    let need = Math.min(demand[j], cands.reduce((s, c) => s + c.available[j], 0));
    for (const c of byUnit) {
      if (need === 0) break;
      const q = Math.min(need, cands[c].available[j]);
      varLB += q * cands[c].perUnit;
      need -= q;
    }
  }

  const top: OptSolution[] = [];
  const seen = new Set<string>();
  let best = EMPTY;
  let nodes = 0;
  /** Offers the last scored set: kept when it is the best or among the next best few. */
  const consider = (set: number[]) => {
    const worst = top.length > keepAlternatives ? top[top.length - 1] : null;
    const beatsBest = scoredFill > best.filled || (scoredFill === best.filled && scoredCost < best.cost - 1e-9);
    const beatsTop = !worst || scoredFill > worst.filled || (scoredFill === worst.filled && scoredCost < worst.cost);
    if (!beatsBest && !beatsTop && best !== EMPTY) return;
    const id = [...set].sort((x, y) => x - y).join(',');
    if (seen.has(id)) return;
    seen.add(id);
    const s = evaluate(set)!;
    if (better(s, best)) best = s;
    // keep the cheapest few of the best fill, for the explanation
    top.push(s);
    top.sort((x, y) => y.filled - x.filled || x.cost - y.cost);
    if (top.length > keepAlternatives + 1) top.pop();
  };

  if (opts.shipComplete) {
    for (let c = 0; c < n; c++) {
      if (!demand.every((q, j) => cands[c].available[j] >= q)) continue;
      nodes++;
      if (score([c])) consider([c]);
    }
    const alts = top.filter((s) => s !== best && s.filled === best.filled).slice(0, keepAlternatives);
    return { best, alternatives: alts, provenOptimal: true, nodes };
  }

  const maxK = Math.min(opts.maxLocations ?? n, n);
  // Cheapest fixed cost first; among equals, the location that can ship the most first.
  const supply = cands.map((c) => c.available.reduce((s, a) => s + a, 0));
  const byFixed = [...cands.keys()].sort(
    (x, y) => cands[x].fixed - cands[y].fixed || supply[y] - supply[x] || cands[x].perUnit - cands[y].perUnit || cands[x].key.localeCompare(cands[y].key),
  );
  const position = new Array<number>(n);
  byFixed.forEach((c, i) => (position[c] = i));
  // What one location can ship toward this order, and the largest such amount from position i on.
  const capped = cands.map((c) => c.available.reduce((sum, a, j) => sum + Math.min(a, demand[j]), 0));
  const maxSupplyFrom = new Array<number>(n + 1).fill(0);
  for (let i = n - 1; i >= 0; i--) maxSupplyFrom[i] = Math.max(maxSupplyFrom[i + 1], capped[byFixed[i]]);
  // Sums of non-negative fixed costs in search order, for "k more locations cost at least ..."
  const fixedPrefix = new Array<number>(n + 1).fill(0);
  for (let i = 0; i < n; i++) fixedPrefix[i + 1] = fixedPrefix[i] + Math.max(0, cands[byFixed[i]].fixed);

  /**
   * Lower bound for the branch that holds `set` and may add only candidates after position
   * `i`: the most it can fill, and the least unit cost of filling that, over those locations.
   */
  // Per line, the candidates that hold it, cheapest per unit first.
  const holdersByUnit = demand.map((_, j) => byUnit.filter((c) => cands[c].available[j] > 0));
  const mark = new Int32Array(n);
  let epoch = 0;
  const branchBound = (i: number): { fill: number; variable: number } => {
    let fill = 0;
    let variable = 0;
    epoch++;
    for (const c of set) mark[c] = epoch;
    for (let j = 0; j < L; j++) {
      let need = demand[j];
      for (const c of holdersByUnit[j]) {
        if (need === 0) break;
        if (mark[c] !== epoch && position[c] <= i) continue;
        const q = Math.min(need, cands[c].available[j]);
        fill += q;
        variable += q * cands[c].perUnit;
        need -= q;
      }
    }
    return { fill, variable };
  };
  // Sum of the negative fixed costs from position i on: what adding more locations could still save.
  const negAfter = new Array<number>(n + 1).fill(0);
  for (let i = n - 1; i >= 0; i--) negAfter[i] = negAfter[i + 1] + Math.min(0, cands[byFixed[i]].fixed);

  // Every single location first: a good first bound, and the alternatives a shopper would
  // understand ("all from X instead").
  for (let c = 0; c < n && maxK > 0; c++) {
    nodes++;
    if (score([c])) consider([c]);
  }

  // A greedy cover as a first incumbent: the location that ships the most still needed, the
  // cheaper per unit on ties, until nothing more can be filled. Tight bounds from the start.
  {
    const left = demand.slice();
    const chosen: number[] = [];
    while (chosen.length < maxK) {
      let pick = -1;
      let pickUnits = 0;
      for (let c = 0; c < n; c++) {
        if (chosen.includes(c)) continue;
        let u = 0;
        for (let j = 0; j < L; j++) u += Math.min(left[j], cands[c].available[j]);
        if (u > pickUnits || (u === pickUnits && u > 0 && cands[c].perUnit < cands[pick].perUnit)) [pick, pickUnits] = [c, u];
      }
      if (pick < 0) break;
      chosen.push(pick);
      for (let j = 0; j < L; j++) left[j] -= Math.min(left[j], cands[pick].available[j]);
    }
    if (chosen.length > 1) {
      nodes++;
      chosen.sort((x, y) => unitRank[x] - unitRank[y]);
      if (score(chosen)) consider(chosen);
    }
  }

  /**
   * When the search was cut short: local search from the best plan, dropping one location
   * or swapping one for another (the nearest and the best-supplied first), while that fills
   * as much for less. Bounded; the plan stays flagged as not proven.
   */
  const improveLocally = () => {
    const pool = [...new Set([...byUnit.slice(0, 60), ...[...cands.keys()].sort((x, y) => capped[y] - capped[x]).slice(0, 30)])];
    for (let round = 0; round < 50; round++) {
      const current = [...best.allocation.keys()];
      const before = best;
      const tryOut = (candidate: number[]) => {
        candidate.sort((x, y) => unitRank[x] - unitRank[y]);
        if (score(candidate)) consider(candidate);
      };
      for (const m of current) {
        const rest = current.filter((x) => x !== m);
        if (rest.length) tryOut(rest);
        for (const c of pool) if (!current.includes(c)) tryOut([...rest, c]);
      }
      if (best === before) return;
    }
  };

  let proven = true;
  const set: number[] = []; // members, kept sorted by unit rank
  const dfs = (from: number, fixedSum: number) => {
    if (set.length >= maxK) return;
    for (let i = from; i < n; i++) {
      const c = byFixed[i];
      // Nothing cheaper can follow once the best fills all it can and even this location's fixed cost breaks the bound.
      if (best.filled === maxFill && fixedSum + cands[c].fixed + negAfter[i + 1] + varLB >= best.cost - 1e-9) {
        if (cands[c].fixed >= 0) break;
        continue;
      }
      if (nodes >= maxNodes) {
        proven = false;
        return;
      }
      nodes++;
      const at = insertionPoint(set, c, unitRank);
      set.splice(at, 0, c);
      if (score(set)) {
        const filledHere = scoredFill;
        consider(set);
        if (set.length < maxK && i + 1 < n) {
          // Go deeper only if the branch could still beat the best: fill more, or the same for less.
          const b = branchBound(i);
          // Reaching the branch's fill needs at least this many more locations, the cheapest of them at least:
          const more = filledHere < b.fill ? Math.min(n - i - 1, Math.ceil((b.fill - filledHere) / Math.max(1, maxSupplyFrom[i + 1]))) : 0;
          const extra = fixedPrefix[i + 1 + more] - fixedPrefix[i + 1];
          const lb = fixedSum + cands[c].fixed + extra + negAfter[i + 1] + b.variable;
          if (b.fill > best.filled || (b.fill === best.filled && lb < best.cost - 1e-9)) dfs(i + 1, fixedSum + cands[c].fixed);
        }
      }
      set.splice(at, 1);
      if (!proven) return;
    }
  };
  dfs(0, 0);
  if (!proven) improveLocally();

  const alternatives = top.filter((s) => s !== best && s.filled === best.filled).slice(0, keepAlternatives);
  return { best, alternatives, provenOptimal: proven, nodes };
}

function insertionPoint(set: number[], c: number, rank: number[]): number {
  let i = 0;
  while (i < set.length && rank[set[i]] < rank[c]) i++;
  return i;
}
