/**
 * `npm run bench:cs-pools`: coverage and width of the confidence sequence (with reference bets)
 * and of the fixed-budget interval on the hard pools of the coverage tests
 * (test/estimators/cs-pools.ts: 1,000 items, seed 3), every kind × loss × acquisition, R seeded
 * runs of 400 labels. Prints, per row, the sequence's simultaneous coverage over labels 1–400, the
 * fixed-budget coverage at 10/50/100/200/400 labels, and the median half-width ratios to the
 * bootstrap's at 200 labels (runs whose bootstrap σ is 0 left out), with reference bets and, in
 * parentheses, without.
 *
 * Options: --runs R (100) --losses list (cross-entropy,zero-one,brier) --acquisitions list
 * (iid,surrogate,adaptive,defensive) --planned P (the label count the sequences are tuned for, as
 * `simulate` tunes them for --size; default none: tuned for every count, as a session without
 * `plannedLabels`).
 */
import { parseArgs } from 'node:util';
import { csPool, runOnce, type Acquisition, type PoolKind } from '../test/estimators/cs-pools.js';
import type { BuiltinLoss } from '../src/metrics/index.js';

const COUNTS = [10, 50, 100, 200, 400];
const AT_200 = COUNTS.indexOf(200);
const KINDS: PoolKind[] = ['ordinary', 'rare-known', 'rare-unknown', 'overconfident', 'anti-correlated', 'heavy-tailed', 'k10', 'k100'];
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    losses: { type: 'string', default: 'cross-entropy,zero-one,brier' },
    acquisitions: { type: 'string', default: 'iid,surrogate,adaptive,defensive' },
    planned: { type: 'string' },
  },
});
const planned = args.planned === undefined ? undefined : Number(args.planned);
const ACQUISITIONS = args.acquisitions.split(',') as Acquisition[];
const runs = Number(args.runs);
const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const k = sorted.length;
  return k === 0 ? Number.NaN : k % 2 === 1 ? sorted[(k - 1) / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
};
const half = (i: { lower: number; upper: number }): number => (i.upper - i.lower) / 2;

console.log(
  '| pool | loss | acquisition | R | CS simultaneous coverage (labels 1–400) | fixed-budget coverage at 10/50/100/200/400 | CS ÷ bootstrap at 200 (without reference) | fixed ÷ bootstrap at 200 (without) |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const kind of KINDS) {
  for (const loss of args.losses.split(',') as BuiltinLoss[]) {
    const pool = csPool(kind, 1000, loss, 3);
    for (const acquisition of ACQUISITIONS) {
      let simultaneous = 0;
      const fixedCovered = COUNTS.map(() => 0);
      const widths = {
        cs: [] as number[],
        fixed: [] as number[],
        plainCs: [] as number[],
        plainFixed: [] as number[],
        bootstrap: [] as number[],
      };
      for (let r = 0; r < runs; r++) {
        const record = runOnce(pool, acquisition, COUNTS, 1000 + r, 1e-3, true, planned);
        if (record.anytimeAlwaysCovered) simultaneous++;
        record.fixed.forEach((f, j) => {
          if (f.lower <= pool.risk && pool.risk <= f.upper) fixedCovered[j]++;
        });
        const bootstrap = record.bootstrapHalfWidth[AT_200];
        if (!(bootstrap > 0)) continue;
        const plain = runOnce(pool, acquisition, [200], 1000 + r, 1e-3, false, planned);
        widths.cs.push(half(record.anytime[AT_200]));
        widths.fixed.push(half(record.fixed[AT_200]));
        widths.plainCs.push(half(plain.anytime[0]));
        widths.plainFixed.push(half(plain.fixed[0]));
        widths.bootstrap.push(bootstrap);
      }
      const b = median(widths.bootstrap);
      const ratio = (w: number[]): string => (median(w) / b).toFixed(2);
      console.log(
        `| ${kind} | ${loss} | ${acquisition} | ${pool.risk.toFixed(4)} | ${(simultaneous / runs).toFixed(3)} | ` +
          `${fixedCovered.map((c) => (c / runs).toFixed(2)).join('/')} | ${ratio(widths.cs)} (${ratio(widths.plainCs)}) | ` +
          `${ratio(widths.fixed)} (${ratio(widths.plainFixed)}) |`,
      );
    }
  }
}
