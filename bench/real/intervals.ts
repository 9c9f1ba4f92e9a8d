/**
 * `npm run bench:real-intervals`: the width and coverage of the three 95% intervals on the
 * `bench:real` pairs. For each pair and proposal (random, the default adaptive one, and a
 * defensive mixture) it runs R acquisitions of 200 labels with LURE and reports, at 200 labels,
 * the median half-width of the anytime-valid confidence sequence, of the fixed-budget interval
 * (both with the reference bets: the surrogate's expected loss and the proposal's floor) and of
 * the approximate bootstrap interval (±1.96σ, finite-population corrected), the two ratios to
 * the bootstrap's, the floor no valid interval can beat on that pool and proposal (as a ratio to
 * the bootstrap's half-width; `unseenHalfWidthFloor`, from the first F runs), and each interval's
 * coverage of the true risk; the sequence's is its simultaneous coverage (R inside at every label
 * count up to 200: a run whose sides cross reports the deterministic interval from then on, which
 * may hold R again after the sequence missed it).
 *
 * Options: --runs R (400) --floor-runs F (20) --seed s (0) --pairs substring (all) --data DIR (../shared/data).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { BOOTSTRAP_Z } from '../../src/metrics/index.js';
import { finitePopulationFactor } from '../../src/estimators/bootstrap.js';
import { RiskConfidenceSequence } from '../../src/estimators/confidence-sequence.js';
import { LUREEstimator } from '../../src/estimators/index.js';
import { lossBounds, lossPerItem } from '../../src/metrics/index.js';
import { randomStream } from '../../src/random.js';
import { realPairs } from './pairs.js';
import { benchProposals, isAdaptive } from './proposals.js';
import { unseenHalfWidthFloor } from '../interval-floor.js';

const LABELS = 200;
const KINDS = ['anytime', 'fixed', 'bootstrap'] as const;
const PROPOSALS = ['random', 'adaptive', 'defensive λ=0.5 CE'];

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '400' },
    'floor-runs': { type: 'string', default: '20' },
    seed: { type: 'string', default: '0' },
    pairs: { type: 'string', default: '' },
    data: { type: 'string', default: resolve(import.meta.dirname, '../../', process.env.ACTIVE_TESTING_SHARED ?? '../shared', 'data') },
  },
});
const runs = Number(args.runs);
const floorRuns = Number(args['floor-runs']);
const seed = Number(args.seed);
if (!existsSync(args.data)) {
  console.error(`bench:real-intervals needs the real data in ${args.data} (set ACTIVE_TESTING_SHARED or --data)`);
  process.exit(1);
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** One floor array per distinct mixture weights, so each sequence computes a floor's range once. */
const drawFloors = {
  cache: new Map<string, Float64Array>(),
  of(weights: Float64Array, floorOf: (weights: ArrayLike<number>) => Float64Array): Float64Array {
    const key = weights.join(',');
    let floor = this.cache.get(key);
    if (floor === undefined) {
      floor = floorOf(weights);
      this.cache.set(key, floor);
    }
    return floor;
  },
};

const started = performance.now();
const pairs = realPairs(args.data).filter((p) => p.name.includes(args.pairs));
console.log(`bench:real-intervals: ${pairs.length} pairs, ${runs} runs of ${LABELS} labels, LURE, clip 0.1, seed ${seed}\n`);
console.log(
  '| pair | proposal | R | CS half-width | fixed | bootstrap | CS ÷ bootstrap | fixed ÷ bootstrap | floor ÷ bootstrap | coverage CS / fixed / bootstrap |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const pair of pairs) {
  const modelScores = { data: pair.targetLogits.data, rows: pair.targetLogits.shape[0], cols: pair.targetLogits.shape[1] };
  const loss = lossPerItem(modelScores, pair.labels);
  const bounds = lossBounds(modelScores, 'cross-entropy');
  const n = loss.length;
  const truth = loss.reduce((s, l) => s + l, 0) / n;
  const { proposals, predictedLoss } = benchProposals(pair);
  for (const proposal of proposals.filter((p) => PROPOSALS.includes(p.name))) {
    const { sampler, proposalFloor, drawFloor } = proposal;
    const feedback = isAdaptive(sampler) ? sampler : null;
    const lure = new LUREEstimator(n);
    // Tuned for the runs' label count, as simulate tunes its sequences for --size.
    const reference =
      proposalFloor === null ? { plannedLabels: LABELS } : { reference: { predictedLoss, proposalFloor }, plannedLabels: LABELS };
    drawFloors.cache.clear();
    const sequence = new RiskConfidenceSequence(bounds.lower, bounds.upper, reference);
    const halves = Object.fromEntries(KINDS.map((k) => [k, new Float64Array(runs)])) as Record<(typeof KINDS)[number], Float64Array>;
    const covered = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<(typeof KINDS)[number], number>;
    for (let r = 0; r < runs; r++) {
      sampler.reset();
      lure.reset();
      sequence.reset();
      const u = randomStream(seed, [r]);
      let alwaysInside = true;
      for (let m = 1; m <= LABELS; m++) {
        // The adaptive draw's own floor, from the weights it is about to be drawn with (one array per mixture).
        const floor = feedback === null || drawFloor === undefined ? undefined : drawFloors.of(feedback.mixture, drawFloor);
        const item = sampler.draw(u);
        const q = sampler.lastProbability;
        lure.add(loss[item], q);
        sequence.add(item, loss[item], q, floor);
        feedback?.observe(loss[item]);
        const now = sequence.anytime();
        if (!(now.lower <= truth && truth <= now.upper)) alwaysInside = false;
      }
      const estimate = lure.estimate();
      const half = BOOTSTRAP_Z * Math.sqrt(lure.bootstrapVariance() * finitePopulationFactor(LABELS, n));
      const intervals = {
        anytime: sequence.anytime(),
        fixed: sequence.fixed(),
        bootstrap: { lower: estimate - half, upper: estimate + half },
      };
      for (const kind of KINDS) {
        const { lower, upper } = intervals[kind];
        halves[kind][r] = (upper - lower) / 2;
        if (kind === 'anytime' ? alwaysInside : lower <= truth && truth <= upper) covered[kind]++;
      }
    }
    const [cs, fixed, bootstrap] = KINDS.map((k) => median(halves[k]));
    const floor = unseenHalfWidthFloor(sampler, feedback, loss, bounds.upper, LABELS, floorRuns, seed);
    const coverage = KINDS.map((k) => (covered[k] / runs).toFixed(3)).join(' / ');
    console.log(
      `| ${pair.name} | ${proposal.name} | ${truth.toFixed(4)} | ${cs.toFixed(4)} | ${fixed.toFixed(4)} | ${bootstrap.toFixed(4)} | ` +
        `${(cs / bootstrap).toFixed(2)} | ${(fixed / bootstrap).toFixed(2)} | ${(floor / bootstrap).toFixed(2)} | ${coverage} |`,
    );
  }
}
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
