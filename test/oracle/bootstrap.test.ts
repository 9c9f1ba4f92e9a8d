import { describe } from 'vitest';
import { lossPerItem } from '../../src/metrics/index.js';
import { RecordedDraws, replayBootstrapRun } from './bootstrap-replay.js';
import { caseValues, replayEveryCase } from './fixture-io.js';

describe('oracle: bootstrap fixtures', () => {
  replayEveryCase(/^bootstrap.*\.json$/, (pool, c, bad) => {
    const values = caseValues(pool, c.config);
    bad.values(`${c.id} weights`, values, c.weights);
    const draws = new RecordedDraws(c.draws);
    const bootstrapDraws = new RecordedDraws(c.bootstrap_draws);
    const run = replayBootstrapRun(values, lossPerItem(pool.modelScores, pool.labels), c.config, draws.next, bootstrapDraws.next);
    bad.exact(`${c.id} draws used`, draws.exhausted, true);
    bad.exact(`${c.id} bootstrap draws used`, bootstrapDraws.exhausted, true);
    bad.indices(`${c.id} samples`, run.samples, c.samples);
    bad.values(`${c.id} acquisition_weights`, run.q, c.acquisition_weights);
    bad.values(`${c.id} results`, run.results, c.results);
    for (const [m, row] of c.bootstrap_results.entries()) bad.values(`${c.id} bootstrap_results[${m}]`, run.replicates[m], row);
    for (const [m, step] of (c.bootstrap_indices ?? []).entries()) {
      for (const [i, picks] of step.entries()) bad.indices(`${c.id} bootstrap_indices[${m}][${i}]`, run.picks[m][i], picks);
    }
  });
});
