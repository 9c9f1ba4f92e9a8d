// Labelling-session workflow: active testing with labels that arrive one at a time.
// A session proposes which item to label next, records the answer in a crash-safe journal, and
// keeps a running estimate of the target's risk with a 95% interval. Here an "oracle labeller"
// answers with the pool's true labels, so we can check the estimate against the truth.
//
// Run after `npm run build`: node examples/labelling-session.mjs
// The same on the command line: active-testing label --session FILE ...  (docs/sessions.md)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActiveTestingSession, lossPerItem, syntheticPool } from 'active-testing';

const LABELS = 100;

// 1. The pool: 5,000 unlabelled items with the target's and a surrogate's logits over two classes
//    (a synthetic LLM-like pool; with real data these are the scores `active-testing evaluate` wrote).
//    The true labels are known here only so that the oracle can answer and we can check the result.
const pool = syntheticPool({ poolSize: 5_000, classCount: 2, seed: 3 });
const classes = ['negative', 'positive'];
const texts = Array.from(pool.labels, (_, i) => `review #${i}`);
const trueRisk = lossPerItem(pool.modelScores, pool.labels).reduce((sum, loss) => sum + loss, 0) / pool.labels.length;

// 2. A session lives in one journal file; put it in a temporary folder.
const dir = await mkdtemp(join(tmpdir(), 'active-testing-session-'));
try {
  const session = await ActiveTestingSession.create(join(dir, 'reviews.session'), {
    texts,
    classes,
    modelScores: pool.modelScores,
    surrogateScores: pool.surrogateScores,
    seed: 0,
  });

  // 3. The labelling loop: ask for the next item, have the oracle label it, record the answer.
  //    A person would see item.text; item.probability is the proposal probability it was drawn with.
  const oracle = (item) => classes[pool.labels[item.index]];
  const checkpoints = new Set([10, 25, 50, 100]);
  console.log(`true risk (mean cross-entropy of the target over the pool, normally unknown): ${trueRisk.toFixed(4)}\n`);
  // Each estimate has three 95% intervals: `anytime` (the confidence sequence, valid whenever you
  // stop), `fixed` (valid at a label count fixed in advance) and `bootstrap` (the paper's ±1.96σ,
  // approximate). The table shows the bootstrap's ± next to the estimate, and the sequence. The
  // sequence also uses every unlabelled item's loss bounds, so early on the estimate may lie outside
  // it: read the sequence then. (`anytime` is absent only for a loss without per-item bounds: a
  // custom loss without `bounds`, or the cross-entropy without the target's scores.)
  /** @param {import('active-testing').IntervalEstimate} estimate */
  const sequenceOf = (estimate) => /** @type {import('active-testing').RiskInterval} */ (estimate.anytime);
  console.log(`${'labels  estimate ± bootstrap'.padEnd(34)}${'confidence sequence'.padEnd(20)}accuracy   variance ÷ random`);
  while (!session.done({ maxLabels: LABELS })) {
    const [item] = await session.next();
    await session.record(item.id, oracle(item));
    const estimate = session.estimate();
    if (checkpoints.has(estimate.labels)) {
      const { risk, accuracy } = estimate;
      const halfWidth = risk.bootstrap.upper - risk.value;
      const sequence = sequenceOf(risk);
      console.log(
        `${String(estimate.labels).padStart(6)}  ${risk.value.toFixed(4)} ± ${halfWidth.toFixed(4)}`.padEnd(34) +
          `[${sequence.lower.toFixed(4)}, ${sequence.upper.toFixed(4)}]`.padEnd(20) +
          `${accuracy.value.toFixed(3)}`.padEnd(11) +
          estimate.varianceRatio.toFixed(2),
      );
    }
  }

  // 4. The answer after the budget: the estimate with its interval, whether the truth is inside,
  //    and how much the session saved: its variance ÷ random labelling's (below 1: active testing
  //    helps) and the number of uniformly random labels that would give the same variance.
  const { risk, labels, varianceRatio, equivalentRandomLabels } = session.estimate();
  const { lower, upper } = sequenceOf(risk);
  console.log(
    `\nafter ${labels} labels: risk ${risk.value.toFixed(4)}, 95% confidence sequence [${lower.toFixed(4)}, ${upper.toFixed(4)}], true ${trueRisk.toFixed(4)}: ${lower <= trueRisk && trueRisk <= upper ? 'inside' : 'outside'} it`,
  );
  console.log(
    `variance ÷ random labelling's: ${varianceRatio.toFixed(2)}; random labelling would need about ${Math.round(equivalentRandomLabels)} labels for the same variance`,
  );
  await session.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
