import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulate/index.js';
import type { EstimatorName } from '../../src/simulate/index.js';
import { readFixture } from '../metrics/fixture-helpers.js';
import { Mismatches, acquisitionName, oracleFixtureFiles, readPools } from './fixture-io.js';

/**
 * The engine end to end: `simulate` with the recorded draws injected (reference-order sampler,
 * `numerics: 'reference'`) reproduces every reference-semantics acquisition case: indices exactly,
 * and the estimates of the O(1) incremental estimators within the README's 1e-12.
 * Cases with `corrected` variants mix the reference softmax with bug fixes, which no public
 * `numerics` setting does; acquisition.test.ts replays those.
 */
describe('oracle: acquisition fixtures through simulate()', () => {
  for (const file of oracleFixtureFiles(/(^|_)acquisition(_.*)?\.json$/)) {
    const { cases } = readFixture(file.dir, file.name) as { cases: any[] };
    const referenceCases = cases.filter((c) => c.config.value_variant === undefined && c.config.pmf_variant === undefined);
    if (referenceCases.length === 0) continue;
    it(`${file.label}: every reference case through the engine`, async () => {
      const pools = readPools(file.dir);
      const bad = new Mismatches();
      for (const c of referenceCases) {
        const pool = pools.get(c.pool);
        if (pool === undefined) throw new Error(`${file.label}: ${c.id} names unknown pool ${c.pool}`);
        const { config } = c;
        const draws: number[] = c.runs.flatMap((run: any) => run.draws);
        for (const estimator of config.estimators as EstimatorName[]) {
          let next = 0;
          const result = await simulate(
            {
              modelScores: { data: pool.modelScores.data, shape: [pool.N, pool.K] },
              surrogateScores: pool.surrogateScores && { data: pool.surrogateScores.data, shape: [pool.N, pool.K] },
              labels: pool.labels,
            },
            {
              acquisition: acquisitionName(config.acquisition),
              estimator,
              clip: config.clip_percentage,
              temperature: config.temperature,
              size: config.size,
              step: config.step,
              runs: config.runs,
              eps: config.eps,
              numerics: 'reference',
              bootstrap: 'none',
              random: () => draws[next++],
            },
          );
          bad.exact(`${c.id} draws used`, next, draws.length);
          bad.value(`${c.id} true risk`, result.trueRisk, c.true_loss_of_pool);
          for (const [r, run] of c.runs.entries()) {
            const column = (values: ArrayLike<number>, length: number) => Array.from({ length }, (_, k) => values[k * config.runs + r]);
            bad.indices(`${c.id} run ${r} samples`, column(result.samples, config.size), run.samples);
            bad.values(`${c.id} run ${r} q`, column(result.q, config.size), run.acquisition_weights);
            bad.values(`${c.id} run ${r} ${estimator} results`, column(result.estimates, result.rows), run.results[estimator], 1e-12);
          }
        }
      }
      expect(bad.list.slice(0, 20)).toEqual([]);
      expect(referenceCases.length).toBeGreaterThan(0);
      expect(bad.checked).toBeGreaterThan(referenceCases.length);
    });
  }
});
