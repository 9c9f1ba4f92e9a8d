import { describe } from 'vitest';
import { populationVarianceInPlace } from '../../src/estimators/index.js';
import { coverage, crossEntropyLoss, lossPerItem } from '../../src/metrics/index.js';
import { RecordedDraws, replayBootstrapRun } from './bootstrap-replay.js';
import { caseValues, replayEveryCase } from './fixture-io.js';

describe('oracle: coverage fixtures', () => {
  replayEveryCase(/^coverage.*\.json$/, (pool, c, bad) => {
    const { size, n_runs: runs } = c.config;
    const values = caseValues(pool, c.config);
    bad.values(`${c.id} weights`, values, c.weights);
    const target = crossEntropyLoss(pool.modelScores, pool.labels);
    bad.value(`${c.id} target`, target, c.target);
    const losses = lossPerItem(pool.modelScores, pool.labels);
    // Runs share both streams, one after the other (oracle README, "Coverage").
    const draws = new RecordedDraws(c.draws);
    const bootstrapDraws = new RecordedDraws(c.bootstrap_draws);
    const estimates = new Float64Array(size * runs);
    const variances = new Float64Array(size * runs);
    for (let r = 0; r < runs; r++) {
      const run = replayBootstrapRun(values, losses, { ...c.config, step: 1 }, draws.next, bootstrapDraws.next);
      for (let m = 0; m < size; m++) {
        estimates[m * runs + r] = run.results[m];
        variances[m * runs + r] = populationVarianceInPlace(Float64Array.from(run.replicates[m]));
        bad.exact(`${c.id} samples[${m}][${r}]`, run.samples[m], c.samples[m][r]);
      }
    }
    bad.exact(`${c.id} draws used`, draws.exhausted, true);
    bad.exact(`${c.id} bootstrap draws used`, bootstrapDraws.exhausted, true);
    bad.values(`${c.id} estimated_loss`, estimates, c.estimated_loss.flat());
    bad.values(`${c.id} estimated_variance`, variances, c.estimated_variance.flat());
    for (const [smoothing, expected] of Object.entries<number[]>(c.coverage_ci2)) {
      const actual = coverage(
        { data: estimates, rows: size, cols: runs },
        { data: variances, rows: size, cols: runs },
        target,
        2,
        Number(smoothing),
      );
      bad.values(`${c.id} coverage (smoothing ${smoothing})`, actual, expected);
    }
  });
});
