/**
 * The slowest plans of one benchmark network and mix, with what made them slow: lines,
 * candidates, search nodes. For `node --cpu-prof` too. Same options as bench/sourcing.ts
 * (BENCH_NETWORKS takes one network here, BENCH_WARMUP likewise); BENCH_SLOWEST: how many to
 * list (default 10).
 */
import { performance } from 'node:perf_hooks';
import { planFromTable } from '../src/sourcing/planner';
import { buildNetwork, makeOrder, prng } from './sourcing-data';

const SEED = Number(process.env.BENCH_SEED ?? 7);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 2000);
const MIX = (process.env.BENCH_MIXES ?? 'realistic') as 'realistic' | 'adversarial';
const [wh, st] = (process.env.BENCH_NETWORKS ?? '5+500').split('+').map(Number);
const SLOWEST = Number(process.env.BENCH_SLOWEST ?? 10);

const rand = prng(SEED + wh * 7919 + st + (MIX === 'adversarial' ? 1 : 0));
const net = buildNetwork(`${wh}+${st}`, wh, st, MIX === 'adversarial', rand);
const orders = Array.from({ length: ORDERS }, (_, i) => makeOrder(net, MIX, rand, i));
// warm up on other orders of the same network and mix, as bench/sourcing.ts does
const warmRand = prng(SEED * 104729 + wh * 7919 + st + (MIX === 'adversarial' ? 1 : 0));
for (let i = 0; i < Number(process.env.BENCH_WARMUP ?? (MIX === 'realistic' ? 2000 : 100)); i++) {
  const o = makeOrder(net, MIX, warmRand, i);
  planFromTable(o.request, o.table(), o.rule);
}
const timed = orders.map((o, i) => {
  const table = o.table();
  const stats = { nodes: 0, eligible: 0 };
  const t0 = performance.now();
  const p = planFromTable(o.request, table, o.rule, { stats });
  const ms = performance.now() - t0;
  return { i, ms, lines: o.request.lines.length, units: o.request.lines.reduce((s, l) => s + l.quantity, 0), candidates: table.size, ...stats, method: o.request.method, shipments: p.shipmentCount, proven: p.provenOptimal };
});
timed.sort((a, b) => b.ms - a.ms);
for (const t of timed.slice(0, SLOWEST)) console.log(JSON.stringify({ ...t, ms: Math.round(t.ms * 1000) / 1000 }));
// Where the time goes, by line count.
const byLines = new Map<number, { n: number; ms: number; nodes: number }>();
for (const t of timed) {
  const b = byLines.get(t.lines) ?? { n: 0, ms: 0, nodes: 0 };
  b.n++;
  b.ms += t.ms;
  b.nodes += t.nodes;
  byLines.set(t.lines, b);
}
const totalMs = timed.reduce((s, t) => s + t.ms, 0);
for (const [lines, b] of [...byLines].sort((x, y) => x[0] - y[0])) {
  console.log(JSON.stringify({ lines, orders: b.n, meanMs: Math.round((b.ms / b.n) * 1000) / 1000, meanNodes: Math.round(b.nodes / b.n), shareOfTime: Math.round((1000 * b.ms) / totalMs) / 10 }));
}

// Steady state: the first 300 orders' tables prepared once, each planned 10 times in a loop
// (no table building or garbage from it in between): the planner's own rate.
{
  const sample = orders.slice(0, 300).map((o) => ({ o, table: o.table() }));
  for (const { o, table } of sample) planFromTable(o.request, table, o.rule);
  const t0 = performance.now();
  for (let r = 0; r < 10; r++) for (const { o, table } of sample) planFromTable(o.request, table, o.rule);
  const us = ((performance.now() - t0) * 1000) / (10 * sample.length);
  console.log(JSON.stringify({ steadyState: true, orders: sample.length, repeats: 10, microsecondsPerPlan: Math.round(us * 10) / 10, plansPerSecond: Math.round(1e6 / us) }));
}
