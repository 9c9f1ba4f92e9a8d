import { describe } from 'vitest';
import { ReferenceOrderSampler } from '../../src/acquisition/reference-order-sampler.js';
import { IidEstimator, ISEstimator, LUREEstimator, type RiskEstimator } from '../../src/estimators/index.js';
import { lureWeights, referenceEstimate, type ReferenceEstimatorName } from '../../src/reference/index.js';
import { crossEntropyLoss, lossPerItem } from '../../src/metrics/index.js';
import { Mismatches, caseFlags, caseValues, replayEveryCase, type Pool } from './fixture-io.js';

function incremental(name: ReferenceEstimatorName, n: number): RiskEstimator {
  if (name === 'lure') return new LUREEstimator(n);
  if (name === 'is') return new ISEstimator(n);
  return new IidEstimator();
}

function replayCase(pool: Pool, c: any, bad: Mismatches): void {
  const { config } = c;
  const n = pool.N;
  const values = caseValues(pool, config);
  bad.values(`${c.id} weights`, values, c.weights);
  bad.value(`${c.id} true_loss_of_pool`, crossEntropyLoss(pool.modelScores, pool.labels), c.true_loss_of_pool);
  const losses = lossPerItem(pool.modelScores, pool.labels);
  const sampler = new ReferenceOrderSampler(values, config.clip_percentage, caseFlags(config).proposal);
  const estimators: ReferenceEstimatorName[] = config.estimators;
  const rows = Math.ceil(config.size / config.step);
  // iidAcquisition.run fills only rows k < size // step (B-A3); the fixtures record that.
  const filledRows = config.acquisition === 'iid' ? Math.floor(config.size / config.step) : rows;
  bad.exact(`${c.id} run count`, c.runs.length, config.runs);
  for (const [r, run] of c.runs.entries()) {
    const label = `${c.id} run ${r}`;
    sampler.reset();
    const fast = estimators.map((e) => incremental(e, n));
    const samples: number[] = [];
    const q: number[] = [];
    const acquiredLosses: number[] = [];
    const perStep: Record<string, number[]> = Object.fromEntries(estimators.map((e) => [e, []]));
    bad.exact(`${label} draws`, run.draws.length, config.size);
    for (let m = 0; m < config.size; m++) {
      const step = run.steps[m];
      bad.exact(`${label} step ${m} n_remaining`, sampler.remaining, step.n_remaining);
      if (step.proposal !== undefined) bad.values(`${label} step ${m} proposal`, sampler.proposal(), step.proposal);
      bad.exact(`${label} step ${m} u`, run.draws[m], step.u);
      const index = sampler.draw(() => run.draws[m]);
      bad.exact(`${label} step ${m} index`, index, step.index);
      bad.exact(`${label} step ${m} pos`, sampler.lastPosition, step.pos);
      bad.value(`${label} step ${m} q`, sampler.lastProbability, step.q);
      samples.push(index);
      q.push(sampler.lastProbability);
      acquiredLosses.push(losses[index]);
      for (const [j, e] of estimators.entries()) {
        const value = referenceEstimate(e, acquiredLosses, q, n);
        perStep[e].push(value);
        bad.value(`${label} ${e} estimate ${m}`, value, run.estimates[e][m]);
        fast[j].add(losses[index], sampler.lastProbability, index);
        // The O(1) form agrees with the O(M) reference form to rounding.
        bad.value(`${label} ${e} incremental estimate ${m}`, fast[j].estimate(), run.estimates[e][m], 1e-9);
      }
      if (run.lure_weights_per_step !== undefined) {
        bad.values(`${label} lure weights at ${m}`, lureWeights(q, n), run.lure_weights_per_step[m]);
      }
    }
    bad.indices(`${label} samples`, samples, run.samples);
    bad.values(`${label} acquisition_weights`, q, run.acquisition_weights);
    if (run.lure_weights_final !== undefined) bad.values(`${label} lure_weights_final`, lureWeights(q, n), run.lure_weights_final);
    for (const e of estimators) {
      const results = Array.from({ length: rows }, (_, k) => (k < filledRows ? perStep[e][k * config.step] : 0));
      bad.values(`${label} ${e} results`, results, run.results[e]);
    }
  }
}

describe('oracle: acquisition fixtures (reference-order sampler)', () => {
  replayEveryCase(/(^|_)acquisition(_.*)?\.json$/, replayCase);
});
