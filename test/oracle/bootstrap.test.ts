import { describe, expect, it } from 'vitest';
import { lossPerItem } from '../../src/metrics/index.js';
import { ORACLE_FIXTURES, sharedAvailable } from '../helpers/shared.js';
import { RecordedDraws, replayBootstrapRun } from './bootstrap-replay.js';
import { Mismatches, caseValues, fixtureFiles, readFixture, readPools } from './fixture-io.js';

describe.skipIf(!sharedAvailable(ORACLE_FIXTURES))('oracle: bootstrap fixtures', () => {
  const pools = readPools();
  for (const file of fixtureFiles(/^bootstrap.*\.json$/)) {
    it(`${file}: replays every case`, () => {
      const { cases } = readFixture<{ cases: any[] }>(file);
      const bad = new Mismatches();
      let replayed = 0;
      for (const c of cases) {
        const pool = pools.get(c.pool);
        if (pool === undefined) throw new Error(`${file}: ${c.id} names unknown pool ${c.pool}`);
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
        replayed++;
      }
      expect(bad.list.slice(0, 20)).toEqual([]);
      expect(replayed).toBe(cases.length);
      expect(bad.checked).toBeGreaterThan(cases.length);
    });
  }
});
