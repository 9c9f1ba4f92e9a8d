/**
 * `npm run bench:session-intervals`: a session's confidence sequences with and without the
 * reference bets, on the demo pool (`simulate --demo`: N = 10,000, K = 2, seed 0). Runs R sessions
 * (seeds 0 … R−1) fed the true labels up to 200 labels, and prints per acquisition and loss the
 * median half-width at 200 labels of the session's `anytime` interval (with the reference), of
 * the same sequence built without reference from the same draws (what sessions reported before),
 * and of the bootstrap interval; and how often each sequence contains the pool's true value at
 * every label count up to 200 (checked at every 10th label and at 200).
 *
 * Options: --runs R (100) --acquisitions list (adaptive,surrogate-ce) --losses list (cross-entropy,zero-one,brier)
 * --planned P (the sessions' `plannedLabels`, and the sequence without reference tuned the same; default none).
 */
import { parseArgs } from 'node:util';
import { RiskConfidenceSequence } from '../src/estimators/confidence-sequence.js';
import { BUILTIN_LOSSES, lossBounds, type BuiltinLoss } from '../src/metrics/index.js';
import { ActiveTestingSession } from '../src/session/session.js';
import { syntheticPool } from '../src/simulate/syntheticPool.js';

const LABELS = 200;
const CHECK_EVERY = 10;
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    acquisitions: { type: 'string', default: 'adaptive,surrogate-ce' },
    losses: { type: 'string', default: 'cross-entropy,zero-one,brier' },
    planned: { type: 'string' },
  },
});
const runs = Number(args.runs);
const plannedLabels = args.planned === undefined ? undefined : Number(args.planned);
const pool = syntheticPool({ poolSize: 10_000, classCount: 2, seed: 0 });
const n = pool.labels.length;
const ids = Array.from({ length: n }, (_, i) => `item${i}`);
const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const k = sorted.length;
  return k % 2 === 1 ? sorted[(k - 1) / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
};
const halfWidth = (interval: { lower: number; upper: number }): number => (interval.upper - interval.lower) / 2;
const contains = (interval: { lower: number; upper: number }, value: number): boolean => interval.lower <= value && value <= interval.upper;

console.log(
  '| acquisition | loss | CS half-width before | after | after/before | bootstrap | CS/bootstrap after | coverage before | after |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const acquisition of args.acquisitions.split(',') as ('adaptive' | 'surrogate-ce')[]) {
  for (const loss of args.losses.split(',') as BuiltinLoss[]) {
    if (acquisition === 'adaptive' && loss !== 'cross-entropy') continue; // adaptive estimates the cross-entropy
    const losses = BUILTIN_LOSSES[loss].perItem(pool.modelScores, pool.labels);
    const truth = losses.reduce((sum, value) => sum + value, 0) / n;
    const bounds = lossBounds(pool.modelScores, loss);
    const before: number[] = [];
    const after: number[] = [];
    const bootstrap: number[] = [];
    let coveredBefore = 0;
    let coveredAfter = 0;
    for (let seed = 0; seed < runs; seed++) {
      const session = await ActiveTestingSession.create(null, {
        texts: ids,
        ids,
        classes: ['a', 'b'],
        modelScores: pool.modelScores,
        surrogateScores: pool.surrogateScores,
        plannedLabels,
        acquisition,
        loss,
        seed,
      });
      const plain = new RiskConfidenceSequence(bounds.lower, bounds.upper, { plannedLabels });
      let holdsBefore = true;
      let holdsAfter = true;
      for (let m = 1; m <= LABELS; m++) {
        const [item] = await session.next();
        await session.record(item.id, pool.labels[item.index]);
        plain.add(item.index, losses[item.index], item.probability);
        if (m % CHECK_EVERY === 0) {
          holdsBefore &&= contains(plain.anytime(), truth);
          holdsAfter &&= contains(session.estimate().risk.anytime!, truth);
        }
      }
      const estimate = session.estimate();
      after.push(halfWidth(estimate.risk.anytime!));
      before.push(halfWidth(plain.anytime()));
      bootstrap.push(halfWidth(estimate.risk.bootstrap));
      if (holdsBefore) coveredBefore++;
      if (holdsAfter) coveredAfter++;
    }
    const [b, a, s] = [median(before), median(after), median(bootstrap)];
    console.log(
      `| ${acquisition} | ${loss} | ${b.toFixed(4)} | ${a.toFixed(4)} | ${(a / b).toFixed(2)} | ${s.toFixed(4)} | ${(a / s).toFixed(2)} | ${(coveredBefore / runs).toFixed(3)} | ${(coveredAfter / runs).toFixed(3)} |`,
    );
  }
}
