/**
 * `npm run bench:simulate-coverage`: the intervals exactly as `simulate --interval anytime,fixed`
 * reports them (the library's acquisitions, sequences tuned for the runs' label count, reference
 * bets, each adaptive draw's own floor), on hard pools of every kind, for every loss and
 * acquisition. A row records the estimate after every label (step 1), so the sequence's
 * simultaneous coverage is over every label count up to the budget and the fixed-budget interval's
 * coverage is checked at every budget from 10 labels; the row prints the lowest of those and, when
 * the runs label the whole pool, whether both intervals are the point R there; and how many
 * (row, run) intervals of either kind have zero width before M = N (there should be none).
 *
 * The pools are those of bench/coverage-pools.ts, built with the pool seed.
 *
 * Options: --runs R (400) --n list (1000) --size M (min(400, N)) --kinds list (all)
 * --losses list (cross-entropy,zero-one,brier) --acquisitions list (iid,surrogate-ce,adaptive,defensive)
 * --seed S (pool seed, 11).
 */
import { parseArgs } from 'node:util';
import { BUILTIN_LOSSES, lossBounds, type BuiltinLoss } from '../src/metrics/index.js';
import { simulationIntervals } from '../src/simulate/intervals.js';
import { simulationReference } from '../src/simulate/reference.js';
import { simulate } from '../src/simulate/simulate.js';
import type { SimulationOptions } from '../src/simulate/simulation-options.js';
import { COVERAGE_POOL_KINDS, coveragePool, type CoveragePoolKind } from './coverage-pools.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '400' },
    n: { type: 'string', default: '1000' },
    size: { type: 'string' },
    kinds: { type: 'string', default: COVERAGE_POOL_KINDS.join(',') },
    losses: { type: 'string', default: 'cross-entropy,zero-one,brier' },
    acquisitions: { type: 'string', default: 'iid,surrogate-ce,adaptive,defensive' },
    seed: { type: 'string', default: '11' },
  },
});

const runs = Number(args.runs);
const poolSeed = Number(args.seed);
console.log(`bench:simulate-coverage: ${runs} runs per row, step 1, pool seed ${poolSeed}\n`);
console.log(
  '| N | pool | loss | acquisition | R | CS simultaneous | fixed, lowest from 10 labels (at) | zero widths before M = N | at M = N |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
let lowestCs = 1;
let lowestFixed = 1;
for (const n of args.n.split(',').map(Number)) {
  const size = args.size === undefined ? Math.min(400, n) : Number(args.size);
  for (const kind of args.kinds.split(',') as CoveragePoolKind[]) {
    const pool = coveragePool(kind, n, poolSeed);
    for (const loss of args.losses.split(',') as BuiltinLoss[]) {
      const losses = BUILTIN_LOSSES[loss].perItem(pool.modelScores, pool.labels);
      const bounds = lossBounds(pool.modelScores, loss);
      for (const acquisition of args.acquisitions.split(',')) {
        const options: Partial<SimulationOptions> = {
          acquisition: (acquisition === 'defensive' ? 'surrogate-ce' : acquisition) as SimulationOptions['acquisition'],
          defensive: acquisition === 'defensive' ? 0.5 : null,
          loss,
          runs,
          size,
          step: 1,
          seed: 0,
          threads: 1,
          bootstrap: 'none',
          recordMixtureWeights: acquisition === 'adaptive',
        };
        const result = await simulate(pool, options);
        const [anytime, fixed] = simulationIntervals(
          result,
          losses,
          bounds,
          ['anytime', 'fixed'],
          simulationReference(pool, result.options),
        );
        let lowest = 1;
        let at = '—';
        result.labelsPerRow.forEach((labels, row) => {
          if (labels >= 10 && fixed.coverage[row] < lowest) [lowest, at] = [fixed.coverage[row], String(labels)];
        });
        const last = result.labelsPerRow.length - 1;
        // Zero width before M = N would be an interval that claims certainty it does not have.
        let zeroWidth = 0;
        for (let row = 0; row < result.rows; row++) {
          if (result.labelsPerRow[row] === n) continue;
          for (let j = row * runs; j < (row + 1) * runs; j++)
            if (!(fixed.upper[j] > fixed.lower[j] && anytime.upper[j] > anytime.lower[j])) zeroWidth++;
        }
        // At M = N the interval is R, widened only by the rounding allowance (about 10⁻¹³).
        const point = fixed.coverage[last] === 1 && anytime.coverage[last] === 1 && fixed.medianHalfWidth[last] < 1e-11;
        const atN = size === n ? (point ? 'the point R' : 'NOT the point') : '—';
        // A sequence's simultaneous coverage: null only for the bootstrap.
        const simultaneous = anytime.simultaneousCoverage as number;
        lowestCs = Math.min(lowestCs, simultaneous);
        lowestFixed = Math.min(lowestFixed, lowest);
        console.log(
          `| ${n} | ${kind} | ${loss} | ${acquisition} | ${result.trueRisk.toFixed(4)} | ${simultaneous.toFixed(3)} | ` +
            `${lowest.toFixed(3)} (${at}) | ${zeroWidth} | ${atN} |`,
        );
      }
    }
  }
}
console.log(`\nLowest CS simultaneous coverage ${lowestCs.toFixed(3)}; lowest fixed-budget coverage ${lowestFixed.toFixed(3)}.`);
