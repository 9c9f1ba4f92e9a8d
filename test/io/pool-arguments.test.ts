import { describe, expect, it } from 'vitest';
import { InputError, loadSimulationPool, runExperiment } from '../../src/index.js';

describe('loadSimulationPool and runExperiment given no object', () => {
  it('loadSimulationPool refuses null, and names a missing file by its key', async () => {
    await expect(loadSimulationPool(null as never)).rejects.toThrow(
      new InputError({ argument: 'files', expected: 'the pool files { modelScores, surrogateScores?, labels }', received: null }),
    );
    await expect(loadSimulationPool({ modelScores: 'f.npy', label: 'y.npy' } as never, { labels: 'labels' })).rejects.toThrow(
      new InputError({ argument: 'labels', expected: 'a file path (a non-empty string)' }),
    );
  });

  it('runExperiment refuses a null grid instead of a TypeError', async () => {
    await expect(runExperiment(null as never, { out: 'never-written' })).rejects.toThrow(
      /^grid: expected a grid as resolveExperimentConfig or loadExperimentConfig returns it, got null$/,
    );
  });
});
