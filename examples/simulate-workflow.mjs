// Simulation workflow: how much does active testing save on a pool whose labels are known?
// Runs the experiment many times on a synthetic LLM-like pool (target and surrogate logits with
// true labels) for three acquisition settings, with the same seeds, and compares them.
//
// Run after `npm run build`: node examples/simulate-workflow.mjs
// The same on the command line, with score files:
//   active-testing simulate --model-scores f.npy --surrogate-scores g.npy --labels y.npy --out runs/adaptive
//   active-testing simulate ... --acquisition surrogate-ce --out runs/ce
//   active-testing simulate ... --acquisition iid --out runs/iid
import { lossPerItem, simulate, summarizeSimulation, syntheticPool } from 'active-testing';

const RUNS = 2000;
const LABELS = 200;
const SHOW_AT = [10, 50, 100, 200];

// 1. The pool: N = 10,000 items, K = 2 classes. The target is a good model; the surrogate is a
//    weaker one whose mistakes correlate with the target's (as an ICL prompt of a small LLM would).
const pool = syntheticPool({ poolSize: 10_000, classCount: 2, seed: 0 });
/** @type {import('active-testing').SimulationInput} */
const input = {
  modelScores: { data: pool.modelScores.data, shape: [pool.modelScores.rows, pool.modelScores.cols] },
  surrogateScores: { data: pool.surrogateScores.data, shape: [pool.surrogateScores.rows, pool.surrogateScores.cols] },
  labels: pool.labels,
};
const losses = lossPerItem(pool.modelScores, pool.labels);

// 2. Three ways to choose which items to label, each run RUNS times with LABELS labels per run:
//    adaptive (the default: a mixture of proposals refitted from the labels), surrogate-ce (the
//    paper's fixed proposal: the surrogate's expected cross-entropy of the target) and iid (random
//    labelling). The first two use the unbiased LURE estimator, iid the plain mean.
/** @type {Record<string, Partial<import('active-testing').SimulationOptions>>} */
const settings = {
  adaptive: { acquisition: 'adaptive', estimator: 'lure' },
  'surrogate-ce': { acquisition: 'surrogate-ce', estimator: 'lure' },
  iid: { acquisition: 'iid', estimator: 'iid' },
};
const summaries = {};
for (const [name, setting] of Object.entries(settings)) {
  const start = performance.now();
  const result = await simulate(input, { ...setting, runs: RUNS, size: LABELS, seed: 1, bootstrap: 'exact' });
  summaries[name] = summarizeSimulation(result, { pool: 'synthetic' }, losses);
  console.log(`${name.padEnd(13)} ${RUNS} runs × ${LABELS} labels in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}
const trueRisk = summaries.iid.true_risk;
console.log(`\ntrue risk (mean cross-entropy of the target over the pool): ${trueRisk.toFixed(5)}`);

// 3. Mean squared error of the estimate across runs, and random labelling's MSE divided by each
//    setting's: a ratio r means random labelling needs about r times as many labels.
const rowOf = (summary, labels) => summary.labels.indexOf(labels);
const pad = (s, n = 14) => String(s).padStart(n);
console.log(`\n${'labels'.padEnd(8)}${pad('MSE iid')}${pad('MSE adaptive')}${pad('MSE sur-ce')}${pad('iid/adaptive')}${pad('iid/sur-ce')}`);
for (const labels of SHOW_AT) {
  const [iid, adaptive, ce] = ['iid', 'adaptive', 'surrogate-ce'].map((name) => summaries[name].mse[rowOf(summaries[name], labels)]);
  console.log(
    `${String(labels).padEnd(8)}${pad(iid.toExponential(2))}${pad(adaptive.toExponential(2))}${pad(ce.toExponential(2))}${pad((iid / adaptive).toFixed(2) + '×')}${pad((iid / ce).toFixed(2) + '×')}`,
  );
}

// 4. The single-run error bar: each run's exact bootstrap variance gives estimate ± 1.96σ; coverage is
//    the fraction of runs whose interval contains the true risk (nominal ≈ 95%). With very few
//    labels the bootstrap underestimates the variance, so coverage starts lower.
console.log(`\ncoverage of estimate ± 1.96σ (bootstrap, approximate) across ${RUNS} runs:`);
console.log(
  `${'labels'.padEnd(8)}${Object.keys(settings)
    .map((name) => pad(name))
    .join('')}`,
);
for (const labels of SHOW_AT) {
  const cells = Object.keys(settings).map((name) => pad(`${(summaries[name].coverage[rowOf(summaries[name], labels)] * 100).toFixed(1)}%`));
  console.log(`${String(labels).padEnd(8)}${cells.join('')}`);
}

// 5. The diagnostic a real labelling run can compute from its own labels: the median run's
//    estimate of its variance ÷ random labelling's (below 1: active testing is helping).
const last = (summary) => summary.variance_ratio.at(-1);
console.log(`\nvariance ÷ random labelling, estimated by each run from its ${LABELS} labels (median over runs):`);
for (const name of ['adaptive', 'surrogate-ce']) console.log(`  ${name.padEnd(13)} ${last(summaries[name]).toFixed(2)}`);
