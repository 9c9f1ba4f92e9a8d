// End to end on real SST-2 text: score a pool with a target model (zero-shot) and a surrogate
// (the same kind of model with ICL shots in its prompt), then run active testing on those
// scores and print how well it estimates the target's risk from a few labels.
//
// Run after `npm run build`: node examples/sst2-end-to-end.mjs
// It uses the tiny random test models under test/models, so the accuracies are near chance;
// point TARGET_MODEL / SURROGATE_MODEL at real models (Hub ids or folders) for real numbers.
// The same two scoring steps on the command line:
//   active-testing evaluate --model <target> --data validation.tsv --classes negative,positive --out target
//   active-testing evaluate --model <surrogate> --data validation.tsv --classes negative,positive \
//     --icl-examples 8 --icl-data train.tsv --out surrogate
//   active-testing simulate --model-scores target/scores.npy --surrogate-scores surrogate/scores.npy \
//     --labels target/labels.npy --out runs
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Model, SST2Dataset, runScoringJob, selectIclExamples, simulate, summarizeSimulation } from 'active-testing';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(repoRoot, process.env.ACTIVE_TESTING_SHARED ?? '../shared', 'data/sst2');
const targetPath = process.env.TARGET_MODEL ?? join(repoRoot, 'test/models/tiny-gpt2');
const surrogatePath = process.env.SURROGATE_MODEL ?? join(repoRoot, 'test/models/tiny-llama');
const POOL = 300;
const SHOTS = 8;
const LABELS = 60;
const RUNS = 200;

// 1. Data: the pool is the first 300 validation sentences; ICL shots come from the train split,
//    so they never overlap the pool.
const pool = await SST2Dataset.load(join(dataDir, 'validation.tsv'), { limit: POOL });
const train = await SST2Dataset.load(join(dataDir, 'train.tsv'));
const shotRows = selectIclExamples(train.labels, train.classes.length, SHOTS, 0);
const shots = Array.from(shotRows, (row) => ({ text: train.texts[row], label: train.labels[row] }));
console.log(`pool: ${pool.size} SST-2 sentences, class counts ${pool.classCounts().join('/')}`);

// 2. Target model, zero-shot: the reference's instruction and template.
const target = await Model.fromPretrained(targetPath);
const targetRun = await runScoringJob(target, pool, { batchSize: 16 });
console.log(`target    ${target.id}: accuracy ${targetRun.accuracy.toFixed(3)}, loss ${targetRun.loss.toFixed(4)}`);
await target.dispose();

// 3. Surrogate with ICL: the instruction + shots prefix is encoded once and reused (prefix cache).
const surrogate = await Model.fromPretrained(surrogatePath);
const surrogateRun = await runScoringJob(surrogate, pool, { shots, batchSize: 16 });
console.log(
  `surrogate ${surrogate.id} (${SHOTS} shots): accuracy ${surrogateRun.accuracy.toFixed(3)}, loss ${surrogateRun.loss.toFixed(4)}`,
);
console.log(`first surrogate prompt:\n---\n${surrogateRun.firstPrompt}\n---`);
await surrogate.dispose();

// 4. Active testing: acquire labels where the surrogate expects the target to be wrong, and
//    estimate the target's risk with LURE; repeat over many seeded runs.
const result = await simulate(
  {
    modelScores: { data: targetRun.scores, shape: [pool.size, 2] },
    surrogateScores: { data: surrogateRun.scores, shape: [pool.size, 2] },
    labels: pool.labels,
  },
  { acquisition: 'surrogate-ce', estimator: 'lure', runs: RUNS, size: LABELS, seed: 0 },
);
const summary = summarizeSimulation(result, { poolSize: pool.size, classCount: 2 });

// 5. Summary: the true risk (mean cross-entropy of the target over the pool) against the
//    estimates after a few labels.
console.log(`\ntrue risk ${summary.true_risk.toFixed(4)}; ${RUNS} runs of ${LABELS} labels`);
const rows = result.rows;
for (const labels of [5, 10, 20, 40, LABELS]) {
  const row = Math.min(rows - 1, labels - 1);
  let sum = 0;
  let squared = 0;
  for (let run = 0; run < result.runs; run++) {
    const estimate = result.estimates[row * result.runs + run];
    sum += estimate;
    squared += (estimate - summary.true_risk) ** 2;
  }
  console.log(
    `  ${String(labels).padStart(3)} labels: mean estimate ${(sum / result.runs).toFixed(4)}, MSE ${(squared / result.runs).toExponential(2)}`,
  );
}
