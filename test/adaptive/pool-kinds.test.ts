import { describe, expect, it } from 'vitest';
import { POOLS } from '../../bench/pool-kinds.js';
import { adaptiveCandidates, createAdaptiveSampler } from '../../src/acquisition/adaptive/index.js';
import { LUREEstimator } from '../../src/estimators/index.js';
import { lossPerItem } from '../../src/metrics/index.js';
import { randomStream } from '../../src/random.js';
import { mean } from './pool.js';

const SIZE = 500;
const RUNS = 3000;
const BUDGETS = [10, 50, 200];

describe('adaptive proposal on every pool kind', () => {
  // LURE's mean over seeded runs of the default adaptive proposal, against the pool's exact risk:
  // |z| = |mean − risk| ÷ (sd/√runs) stays below 4 (an unbiased estimator exceeds 4 with probability 6e-5).
  it.each(Object.keys(POOLS))('keeps LURE unbiased on the %s pool: |z| < 4 at 10, 50 and 200 labels', (name) => {
    const pool = POOLS[name].make(SIZE, 3);
    const loss = lossPerItem(pool.modelScores, pool.labels);
    const risk = mean(loss);
    const sampler = createAdaptiveSampler(adaptiveCandidates(pool.modelScores, pool.surrogateScores), 0.1);
    const lure = new LUREEstimator(SIZE);
    const estimates = BUDGETS.map(() => new Float64Array(RUNS));
    for (let r = 0; r < RUNS; r++) {
      sampler.reset();
      lure.reset();
      const u = randomStream(17, [r]);
      for (let m = 1, b = 0; b < BUDGETS.length; m++) {
        const item = sampler.draw(u);
        lure.add(loss[item], sampler.lastProbability);
        sampler.observe(loss[item]);
        if (m === BUDGETS[b]) estimates[b++][r] = lure.estimate();
      }
    }
    for (const row of estimates) {
      const centre = mean(row);
      const sd = Math.sqrt(row.reduce((s, x) => s + (x - centre) ** 2, 0) / (RUNS - 1));
      expect(sd).toBeGreaterThan(0);
      expect(Math.abs(centre - risk) / (sd / Math.sqrt(RUNS))).toBeLessThan(4);
    }
  });
});
