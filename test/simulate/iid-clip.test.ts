import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { encodeNpy, readNpy } from '../../src/io/npy.js';
import { simulate, type SimulationResult } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

// Random labelling's proposal is uniform at any clip, and the help says iid ignores --clip: its
// draws must not depend on it. A pool this large (N = 10,000, K = 10, with surrogate scores) is
// one where the samplers' arithmetic once let the clip steer the draws from the first labels.
const N = 10_000;
const K = 10;
const RUNS = 50;
const SIZE = 300;
const SEED = 4;
const pool = syntheticPool({ poolSize: N, classCount: K, seed: 12 });
const input = { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: pool.labels };

function iid(clip: number): Promise<SimulationResult> {
  return simulate(input, { acquisition: 'iid', clip, runs: RUNS, size: SIZE, seed: SEED, threads: 1, bootstrap: 'none' });
}

describe('random labelling ignores the clip', () => {
  let atDefault: SimulationResult;
  beforeAll(async () => {
    atDefault = await iid(0.1);
  });

  it('simulate draws the same items with the same probabilities at clip 0.1 and 0.9', async () => {
    const wide = await iid(0.9);
    expect(Array.from(wide.samples)).toEqual(Array.from(atDefault.samples));
    expect(Array.from(wide.q)).toEqual(Array.from(atDefault.q));
    expect(Array.from(wide.estimates)).toEqual(Array.from(atDefault.estimates));
  });

  describe("an experiment grid's iid setting", () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-iid-clip-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("draws simulate's samples for the same seed", async () => {
      const scores = (m: { data: Float64Array; rows: number; cols: number }) =>
        encodeNpy({ data: m.data, shape: [m.rows, m.cols], dtype: 'f8' });
      writeFileSync(join(dir, 'target.npy'), scores(pool.modelScores));
      writeFileSync(join(dir, 'surrogate.npy'), scores(pool.surrogateScores));
      writeFileSync(join(dir, 'labels.npy'), encodeNpy({ data: pool.labels, shape: [N], dtype: 'i4' }));
      const config = {
        modelScores: 'target.npy',
        labels: 'labels.npy',
        surrogates: { s: { scores: 'surrogate.npy' } },
        runs: RUNS,
        size: SIZE,
        seed: SEED,
        bootstrap: 'none',
        settings: [{ acquisition: 'iid', name: 'iid' }],
      };
      writeFileSync(join(dir, 'grid.json'), JSON.stringify(config));
      const grid = loadExperimentConfig(join(dir, 'grid.json'));
      // The grid runs random labelling at clip 0, whatever simulate's clip is.
      expect(grid.settings[0].clip).toBe(0);
      const [result] = await runExperiment(grid, { out: join(dir, 'out'), threads: 1 });
      const samples = await readNpy(join(result.folder, 'samples.npy'));
      expect(samples.shape).toEqual([SIZE, RUNS]);
      expect(Array.from(samples.data as BigInt64Array, Number)).toEqual(Array.from(atDefault.samples));
      const q = await readNpy(join(result.folder, 'q.npy'));
      expect(Array.from(q.data as Float64Array)).toEqual(Array.from(atDefault.q));
    });

    it("keeps the clip given under the reference numerics, whose published sampler reads it, as simulate's", async () => {
      const config = {
        modelScores: 'target.npy',
        labels: 'labels.npy',
        runs: 4,
        size: 30,
        seed: SEED,
        bootstrap: 'none',
        numerics: 'reference',
        settings: [{ acquisition: 'iid', name: 'iid', clip: 0.9 }],
      };
      writeFileSync(join(dir, 'reference.json'), JSON.stringify(config));
      const grid = loadExperimentConfig(join(dir, 'reference.json'));
      expect(grid.settings[0].clip).toBe(0.9);
      const [result] = await runExperiment(grid, { out: join(dir, 'reference'), threads: 1 });
      const options = { acquisition: 'iid', runs: 4, size: 30, seed: SEED, threads: 1, bootstrap: 'none', numerics: 'reference' } as const;
      const atClip = await simulate({ modelScores: pool.modelScores, labels: pool.labels }, { ...options, clip: 0.9 });
      expect(atClip.options.clip).toBe(0.9);
      const samples = await readNpy(join(result.folder, 'samples.npy'));
      expect(Array.from(samples.data as BigInt64Array, Number)).toEqual(Array.from(atClip.samples));
    });
  });
});
