import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { InputError } from '../../src/errors.js';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';
import { writeGrid } from './pool-files.js';

const root = mkdtempSync(join(tmpdir(), 'at-experiment-loss-limit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Scores whose losses pass 2^480/√N are refused by every simulation; an experiment refused them
// only in its first setting, after writing experiment.json, which left a folder that holds nothing.
describe('an experiment on scores past the loss magnitude limit', () => {
  it.each(['default', 'reference'] as const)('is refused before anything is written (%s numerics)', async (numerics) => {
    const dir = join(root, numerics);
    const configPath = writeGrid(dir, { size: 60, runs: 4, labels: 10, extra: { numerics } });
    const target = parseNpy(readFileSync(join(dir, 'target.npy')));
    const labels = parseNpy(readFileSync(join(dir, 'labels.npy'))).data as Int32Array;
    const scores = Float64Array.from(target.data as Float64Array);
    const cols = target.shape[1] as number;
    // A logit of −1e300 on item 5's label: its cross-entropy is about 1e300.
    scores[5 * cols + labels[5]] = -1e300;
    writeFileSync(join(dir, 'target.npy'), encodeNpy({ data: scores, shape: [60, cols], dtype: 'f8' }));
    const out = join(dir, 'out');
    const run = runExperiment(loadExperimentConfig(configPath), { out, threads: 1 });
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(/^modelScores \(row 5\): expected scores whose loss/);
    expect(existsSync(join(out, 'experiment.json'))).toBe(false);
  });
});
