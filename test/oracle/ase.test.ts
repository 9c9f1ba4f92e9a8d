import { describe, expect, it } from 'vitest';
import { ActiveSurrogateEstimator, type AseMode } from '../../src/ase/index.js';
import { expectClose, readFixture, readPools, type FixturePool } from '../metrics/fixture-helpers.js';
import { oracleFixtureFiles } from './fixture-io.js';

/** Whether the reference's get_estimate(mode, S) changes the caller's surrogate scores: pe/nll copy f[S] over g[S]. */
function referenceOverwritesSurrogate(pool: FixturePool, mode: AseMode, samples: number[]): boolean {
  if (mode === 'ce') return false;
  const k = pool.K;
  return samples.some((i) =>
    Array.from({ length: k }, (_, j) => i * k + j).some((j) => pool.modelScores.data[j] !== pool.surrogateScores.data[j]),
  );
}

describe.each(oracleFixtureFiles(/^ase\.json$/))('oracle replay: $label (reference numerics)', (file) => {
  const cases: any[] = readFixture(file.dir, file.name).cases;
  const pools = readPools(file.dir);
  let replayed = 0;

  cases.forEach((c, index) => {
    const what = `${index} ${c.pool} ${c.fn}${c.mode ? ` ${c.mode}` : ''}${c.samples_idx ? ` S=[${c.samples_idx}]` : ''}${
      c.temperature !== undefined ? ` T=${c.temperature}` : ''
    }`;
    it(what, () => {
      const pool = pools.get(c.pool);
      expect(pool, `pool ${c.pool}`).toBeDefined();
      const { modelScores, surrogateScores, labels } = pool!;
      const before = [modelScores.data.slice(), surrogateScores.data.slice(), labels.slice()];
      const ase = new ActiveSurrogateEstimator(
        { modelScores, surrogateScores },
        { temperature: c.temperature ?? null, mode: (c.mode ?? 'ce') as AseMode, numerics: 'reference', poolLabels: labels },
      );
      if (c.fn === 'zero_shot_estimate') {
        expectClose(ase.zeroShotEstimate(), c.out, what);
      } else if (c.fn === 'get_estimate') {
        // The reference's pe/nll branches write f[S] into the caller's surrogate scores; the flag records
        // it. We compute the same value on untouched inputs, and the flag must be what that write implies.
        const samples: number[] = c.samples_idx;
        expectClose(
          ase.estimate(
            samples,
            samples.map((i) => labels[i]!),
          ),
          c.out,
          what,
        );
        expect(c.surrogate_scores_mutated).toBe(referenceOverwritesSurrogate(pool!, c.mode, c.samples_idx));
      } else {
        expect.fail(`${what}: no replay for ASE function ${c.fn}`);
      }
      expect([modelScores.data, surrogateScores.data, labels]).toEqual(before);
      replayed++;
    });
  });

  it('replayed every case', () => {
    expect(cases.length).toBeGreaterThan(0);
    expect(replayed).toBe(cases.length);
  });
});
