import { LUREEstimator } from '../../src/estimators/index.js';
import { VarianceRatioToRandom } from '../../src/acquisition/adaptive/index.js';
import type { PoolSampler } from '../../src/acquisition/sampler.js';
import { randomStream } from '../../src/random.js';
import { isAdaptive } from './proposals.js';

/** Estimates of every run at each budget, and each run's own variance-ratio diagnostic at the last budget. */
export interface RunTable {
  /** `estimates[b * runs + r]`: run r's LURE estimate after `budgets[b]` labels. */
  readonly estimates: Float64Array;
  /** Run r's estimated variance ratio to random labelling at the last budget. */
  readonly diagnostic: Float64Array;
}

/**
 * Runs `runs` independent acquisitions of `max(budgets)` labels with LURE. Run r draws its
 * uniforms from `randomStream(seed, [r])` whatever the proposal, so proposals are compared with
 * common random numbers.
 */
export function simulateRuns(sampler: PoolSampler, loss: Float64Array, budgets: readonly number[], runs: number, seed: number): RunTable {
  const size = Math.max(...budgets);
  const estimates = new Float64Array(budgets.length * runs);
  const diagnostic = new Float64Array(runs);
  const lure = new LUREEstimator(loss.length);
  const ratio = new VarianceRatioToRandom(loss.length);
  const feedback = isAdaptive(sampler) ? sampler : null;
  for (let r = 0; r < runs; r++) {
    sampler.reset();
    lure.reset();
    ratio.reset();
    const u = randomStream(seed, [r]);
    let b = 0;
    for (let m = 1; m <= size; m++) {
      const item = sampler.draw(u);
      const q = sampler.lastProbability;
      lure.add(loss[item], q);
      ratio.add(loss[item], q);
      feedback?.observe(loss[item]);
      if (m === budgets[b]) estimates[b++ * runs + r] = lure.estimate();
    }
    diagnostic[r] = ratio.ratio(lure.bootstrapVariance(), lure.estimate());
  }
  return { estimates, diagnostic };
}
