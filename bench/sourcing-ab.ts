/**
 * The planner of this build against another build's, in one process, alternating batches:
 * this machine's speed swings by up to 4x within minutes, which no figure taken minutes
 * apart survives, but both builds see the same swings here.
 *
 *   git worktree add /tmp/base <rev> && (cd /tmp/base && npm ci && npm run build)
 *   BENCH_AB_BASELINE=/tmp/base/dist npm run bench:sourcing:ab
 *
 * Each build plans the same generated orders (its own bench/sourcing-data builds the tables)
 * over several rounds, in chunks of 100 orders that both builds plan back to back; prints mean
 * microseconds per plan for both, the speed-up, the median and quartiles of the chunks'
 * speed-ups (steadier than the mean on this machine), and whether
 * both chose the same number of shipments. BENCH_NETWORKS (one, e.g. 5+500), BENCH_ORDERS
 * (default 1,500), BENCH_ROUNDS (default 8).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';

interface Build {
  name: string;
  planFromTable: (request: unknown, table: unknown, rule: unknown) => { shipmentCount: number };
  sample: { request: unknown; table: unknown; rule: unknown }[];
}

const [wh, st] = (process.env.BENCH_NETWORKS ?? '5+500').split('+').map(Number);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const baseline = process.env.BENCH_AB_BASELINE;
if (!baseline) {
  process.stderr.write('BENCH_AB_BASELINE must name the dist/ folder of the build to compare with\n');
  process.exit(2);
}

function load(name: string, dist: string): Build {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const planner = require(path.join(dist, 'src', 'sourcing', 'planner.js'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const data = require(path.join(dist, 'bench', 'sourcing-data.js'));
  const rand = data.prng(7 + wh * 7919 + st);
  const net = data.buildNetwork(`${wh}+${st}`, wh, st, false, rand);
  const sample = Array.from({ length: ORDERS }, (_, i) => {
    const o = data.makeOrder(net, 'realistic', rand, i);
    return { request: o.request, table: o.table(), rule: o.rule };
  });
  return { name, planFromTable: planner.planFromTable, sample };
}

const builds = [load('baseline', path.resolve(baseline)), load('this build', path.resolve(__dirname, '..'))];
const CHUNK = 100;
/** Plans orders [from, from + CHUNK) with one build: milliseconds and shipments. */
const run = (b: Build, from: number): [number, number] => {
  const t0 = performance.now();
  let shipments = 0;
  for (let i = from; i < Math.min(from + CHUNK, b.sample.length); i++) {
    const s = b.sample[i];
    shipments += b.planFromTable(s.request, s.table, s.rule).shipmentCount;
  }
  return [performance.now() - t0, shipments];
};
for (const b of builds) for (let from = 0; from < ORDERS; from += CHUNK) run(b, from); // warm-up
// Chunks of 100 orders, each planned by both builds back to back (which goes first
// alternates): the ratio of each pair sees the same moment of the machine, and the median of
// the ratios ignores the pairs a pause or a neighbour hit.
const ms = [0, 0];
const shipments = [0, 0];
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  process.stderr.write(`\rround ${r + 1}/${ROUNDS}`);
  for (let from = 0, k = 0; from < ORDERS; from += CHUNK, k++) {
    const t = [0, 0];
    const order = (r + k) % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const [ms1, s] = run(builds[i], from);
      t[i] = ms1;
      ms[i] += ms1;
      shipments[i] += s;
    }
    ratios.push(t[0] / t[1]);
  }
}
process.stderr.write('\n');
ratios.sort((a, b) => a - b);
const perPlan = ms.map((t) => Math.round(((t * 1000) / (ROUNDS * ORDERS)) * 10) / 10);
console.log(
  JSON.stringify({
    bench: 'sourcing-ab', network: `${wh}+${st}`, orders: ORDERS, rounds: ROUNDS,
    baselineUsPerPlan: perPlan[0], thisUsPerPlan: perPlan[1], speedup: Math.round((ms[0] / ms[1]) * 1000) / 1000,
    medianChunkSpeedup: Math.round(ratios[ratios.length >> 1] * 1000) / 1000,
    chunkSpeedupQuartiles: [ratios[ratios.length >> 2], ratios[(3 * ratios.length) >> 2]].map((x) => Math.round(x * 1000) / 1000),
    sameShipments: shipments[0] === shipments[1],
  }),
);
