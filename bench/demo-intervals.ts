/**
 * `npm run bench:demo-intervals`: the three 95% intervals on the demo pool (`simulate --demo`:
 * N = 10,000, K = 2, seed 0) at 200 labels, for cross-entropy, zero-one and Brier loss, with the
 * demo's two methods (adaptive acquisition + LURE, and random labelling), each sequence with and
 * without the reference bets (`simulationReference`; under the adaptive proposal also with the
 * fixed floor alone instead of each draw's own floor). Prints, per row, the median half-width
 * ratios to the bootstrap's (±1.96σ, finite-population corrected), the coverage at 200 labels
 * (the sequence's: R inside at every label count up to 200 at once), and the floor no valid
 * interval can beat (`unseenHalfWidthFloor`, from the first F runs) as a ratio to the bootstrap's.
 *
 * Options: --runs R (1000) --floor-runs F (10) --losses list (cross-entropy,zero-one,brier).
 */
import { parseArgs } from 'node:util';
import { adaptiveCandidates, createAdaptiveSampler } from '../src/acquisition/adaptive/index.js';
import { SumTreeSampler } from '../src/acquisition/sum-tree-sampler.js';
import { BOOTSTRAP_Z } from '../src/metrics/index.js';
import { finitePopulationFactor } from '../src/estimators/bootstrap.js';
import { BUILTIN_LOSSES, lossBounds, type BuiltinLoss } from '../src/metrics/index.js';
import { RiskConfidenceSequence } from '../src/estimators/confidence-sequence.js';
import { simulationReference } from '../src/simulate/reference.js';
import { simulate } from '../src/simulate/simulate.js';
import { syntheticPool } from '../src/simulate/syntheticPool.js';
import { unseenHalfWidthFloor } from './interval-floor.js';

const LABELS = 200;
const CLIP = 0.1;
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    'floor-runs': { type: 'string', default: '10' },
    losses: { type: 'string', default: 'cross-entropy,zero-one,brier' },
  },
});
const runs = Number(args.runs);
const floorRuns = Number(args['floor-runs']);
const pool = syntheticPool({ poolSize: 10_000, classCount: 2, seed: 0 });
const input = { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: pool.labels };
const n = pool.labels.length;
const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const k = sorted.length;
  return k % 2 === 1 ? sorted[(k - 1) / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
};

async function main(): Promise<void> {
  console.log(`bench:demo-intervals: demo pool (N = ${n}, K = 2), ${runs} runs of ${LABELS} labels, clip ${CLIP}, seed 0\n`);
  console.log(
    '| loss | method | bets | CS ÷ bootstrap | fixed ÷ bootstrap | floor ÷ bootstrap | bootstrap half-width | coverage CS / fixed / bootstrap |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const loss of args.losses.split(',') as BuiltinLoss[]) {
    const losses = BUILTIN_LOSSES[loss].perItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, loss);
    for (const [method, acquisition, estimator] of [
      ['adaptive + LURE', 'adaptive', 'lure'],
      ['random (iid)', 'iid', 'iid'],
    ] as const) {
      // Rows after 1 and after 200 labels: the second is the one reported.
      const result = await simulate(input, {
        acquisition,
        estimator,
        loss,
        runs,
        size: LABELS,
        step: LABELS - 1,
        seed: 0,
        clip: CLIP,
        recordMixtureWeights: true,
      });
      const truth = result.trueRisk;
      const bootstrap: number[] = [];
      let bootstrapCovered = 0;
      for (let r = 0; r < runs; r++) {
        const j = runs + r;
        const half = BOOTSTRAP_Z * Math.sqrt((result.bootstrapVariance as Float64Array)[j] * finitePopulationFactor(LABELS, n));
        bootstrap.push(half);
        if (Math.abs(result.estimates[j] - truth) <= half) bootstrapCovered++;
      }
      const adaptive =
        acquisition === 'adaptive' ? createAdaptiveSampler(adaptiveCandidates(pool.modelScores, pool.surrogateScores), CLIP) : null;
      const sampler = adaptive ?? new SumTreeSampler(new Float64Array(n).fill(1), CLIP, 'corrected');
      const floor = unseenHalfWidthFloor(sampler, adaptive, losses, bounds.upper, LABELS, floorRuns, 0);
      const reference = simulationReference(input, result.options);
      // Each adaptive draw's own floor, from the weights it was drawn with (one array per mixture).
      const weights = result.mixtureWeights;
      const J = weights === null ? 0 : weights.length / (LABELS * runs);
      const floors = new Map<string, Float64Array>();
      const drawFloor = (m: number, r: number): Float64Array | undefined => {
        if (weights === null || !reference?.drawFloor) return undefined;
        const alpha = weights.subarray((m * runs + r) * J, (m * runs + r + 1) * J);
        const key = alpha.join(',');
        let floor = floors.get(key);
        if (floor === undefined) floors.set(key, (floor = reference.drawFloor(alpha)));
        return floor;
      };
      // "reference" is what simulate uses (under the adaptive proposal with each draw's own floor);
      // "reference, fixed floor" bets with the floor of every draw only.
      for (const [bets, options, perDraw] of [
        ['plain', { plannedLabels: LABELS }, false],
        ['reference, fixed floor', reference === null ? { plannedLabels: LABELS } : { reference, plannedLabels: LABELS }, false],
        ['reference', reference === null ? { plannedLabels: LABELS } : { reference, plannedLabels: LABELS }, true],
      ] as const) {
        if (bets === 'reference, fixed floor' && weights === null) continue;
        const sequence = new RiskConfidenceSequence(bounds.lower, bounds.upper, options);
        const halves = { anytime: [] as number[], fixed: [] as number[] };
        const covered = { anytime: 0, fixed: 0 };
        for (let r = 0; r < runs; r++) {
          sequence.reset();
          let alwaysInside = true;
          for (let m = 0; m < LABELS; m++) {
            const index = result.samples[m * runs + r];
            sequence.add(index, losses[index], result.q[m * runs + r], perDraw ? drawFloor(m, r) : undefined);
            const now = sequence.anytime();
            if (!(now.lower <= truth && truth <= now.upper)) alwaysInside = false;
          }
          for (const [kind, interval] of [
            ['anytime', sequence.anytime()],
            ['fixed', sequence.fixed()],
          ] as const) {
            halves[kind].push((interval.upper - interval.lower) / 2);
            if (kind === 'anytime' ? alwaysInside : interval.lower <= truth && truth <= interval.upper) covered[kind]++;
          }
        }
        const b = median(bootstrap);
        const coverage = [covered.anytime, covered.fixed, bootstrapCovered].map((c) => (c / runs).toFixed(3)).join(' / ');
        console.log(
          `| ${loss} | ${method} | ${bets} | ${(median(halves.anytime) / b).toFixed(2)} | ${(median(halves.fixed) / b).toFixed(2)} | ` +
            `${(floor / b).toFixed(2)} | ${b.toFixed(4)} | ${coverage} |`,
        );
      }
    }
  }
}

await main();
