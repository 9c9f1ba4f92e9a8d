import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { loadExperimentConfig, withPoolSize, type SizedSetting } from '../../src/experiment/config.js';
import { runExperiment, simulationOptionsFor } from '../../src/experiment/experiment.js';
import { encodeNpy } from '../../src/io/npy.js';
import { simulate } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { writeGrid } from './pool-files.js';

/** The paths `readNpy` was asked for, and how many times the pool's fingerprint was computed. */
const reads: string[] = [];
let fingerprints = 0;
vi.mock('../../src/io/npy.js', async (original) => {
  const npy = await original<typeof import('../../src/io/npy.js')>();
  return {
    ...npy,
    readNpy: (path: string) => {
      reads.push(path);
      return npy.readNpy(path);
    },
  };
});
vi.mock('../../src/simulate/outputs.js', async (original) => {
  const outputs = await original<typeof import('../../src/simulate/outputs.js')>();
  return {
    ...outputs,
    poolFingerprint: (...args: Parameters<typeof outputs.poolFingerprint>) => {
      fingerprints++;
      return outputs.poolFingerprint(...args);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'at-experiment-shared-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A grid over the synthetic pool with a second surrogate (the first one's scores halved) and settings without a surrogate. */
function twoSurrogateGrid(dir: string, secondShape?: [number, number]): string {
  const configPath = writeGrid(dir, { size: 300, runs: 20, labels: 30 });
  const pool = syntheticPool({ poolSize: 300, seed: 7 });
  const [rows, cols] = secondShape ?? [pool.surrogateScores.rows, pool.surrogateScores.cols];
  const half = Float64Array.from({ length: rows * cols }, (_, i) => (pool.surrogateScores.data[i] ?? 0) / 2);
  writeFileSync(join(dir, 'surrogate-b.npy'), encodeNpy({ data: half, shape: [rows, cols], dtype: 'f8' }));
  const grid = JSON.parse(readFileSync(configPath, 'utf8'));
  grid.surrogates.b = { scores: 'surrogate-b.npy' };
  grid.settings = [
    { acquisition: 'iid' },
    { acquisition: 'surrogate-ce', surrogate: 'icl' },
    { acquisition: 'surrogate-ce', surrogate: 'b' },
    { acquisition: 'self-entropy' },
  ];
  writeFileSync(configPath, JSON.stringify(grid));
  return configPath;
}

describe('runExperiment with several surrogates', () => {
  it('reads the target scores and labels once and fingerprints the pool once, with the results of separate simulations', async () => {
    const dir = join(root, 'inputs');
    const config = loadExperimentConfig(twoSurrogateGrid(dir));
    reads.length = 0;
    fingerprints = 0;
    await runExperiment(config, { out: join(root, 'grid'), threads: 1 });
    const names = reads.map((path) => path.slice(dir.length + 1));
    expect(names.filter((name) => name === 'target.npy')).toHaveLength(1);
    expect(names.filter((name) => name === 'labels.npy')).toHaveLength(1);
    expect(names.filter((name) => name.startsWith('surrogate'))).toHaveLength(2);
    expect(fingerprints).toBe(1);

    // Each setting's estimates are those of simulate on its own pool, to the bit, and every
    // summary carries the one fingerprint.
    const pool = syntheticPool({ poolSize: 300, seed: 7 });
    const b = Float64Array.from(pool.surrogateScores.data, (v) => v / 2);
    const summaries = config.settings.map((s) => JSON.parse(readFileSync(join(root, 'grid', s.folder, 'summary.json'), 'utf8')));
    expect(new Set(summaries.map((s) => s.config.poolFingerprint)).size).toBe(1);
    for (const [i, setting] of config.settings.entries()) {
      const surrogateScores = setting.surrogate === 'b' ? { data: b, rows: 300, cols: 2 } : pool.surrogateScores;
      const expected = await simulate(
        { modelScores: pool.modelScores, labels: pool.labels, ...(setting.surrogateScores ? { surrogateScores } : {}) },
        simulationOptionsFor(withPoolSize(config, 300), setting as SizedSetting, 1),
      );
      const written = readFileSync(join(root, 'grid', setting.folder, 'estimates.npy'));
      expect(
        Buffer.from(written).equals(Buffer.from(encodeNpy({ data: expected.estimates, rows: expected.rows, cols: expected.runs }))),
        setting.name,
      ).toBe(true);
      expect(summaries[i].mse).toHaveLength(expected.rows);
    }
  });

  it('refuses a later surrogate whose shape is not the target scores', async () => {
    const config = loadExperimentConfig(twoSurrogateGrid(join(root, 'bad'), [299, 2]));
    const error = await runExperiment(config, { out: join(root, 'bad-grid'), threads: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(
      /surrogates\.b\.scores: expected the shape of modelScores, \(300, 2\), got "?shape \(299, 2\)"?/,
    );
    expect(existsSync(join(root, 'bad-grid', 'random-i.i.d.'))).toBe(false);
  });
});
