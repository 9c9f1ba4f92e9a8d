import { describe, expect, it } from 'vitest';
import { InputError, loadSimulationPool, runExperiment } from '../../src/index.js';

describe('loadSimulationPool and runExperiment given no object', () => {
  it('loadSimulationPool refuses null, and names a missing file by its key', async () => {
    await expect(loadSimulationPool(null as never)).rejects.toThrow(
      new InputError({ argument: 'files', expected: 'the pool files { modelScores, surrogateScores?, labels }', received: null }),
    );
    await expect(loadSimulationPool({ modelScores: 'f.npy' } as never)).rejects.toThrow(
      new InputError({ argument: 'labels', expected: 'a file path (a non-empty string)' }),
    );
  });

  it('loadSimulationPool refuses a misspelt key, optional or required, by its library name', async () => {
    // A misspelt optional key once left the pool without a surrogate, and simulate fell back to iid.
    await expect(
      loadSimulationPool({ modelScores: 'in/model.npy', labels: 'in/labels.npy', surogateScores: 'in/sur.npy' } as never),
    ).rejects.toThrow(
      /^files\.surogateScores: expected a known option, did you mean surrogateScores\? \(valid: modelScores, surrogateScores, labels\)$/,
    );
    await expect(loadSimulationPool({ modelScore: 'in/model.npy', labels: 'in/labels.npy' } as never)).rejects.toThrow(
      /^files\.modelScore: expected a known option, did you mean modelScores\?/,
    );
    await expect(loadSimulationPool({ modelScores: '', labels: 'in/labels.npy' })).rejects.toThrow(
      /^modelScores: expected a file path \(a non-empty string\)/,
    );
  });

  it('runExperiment refuses a null grid instead of a TypeError', async () => {
    await expect(runExperiment(null as never, { out: 'never-written' })).rejects.toThrow(
      /^grid: expected a grid as resolveExperimentConfig or loadExperimentConfig returns it, got null$/,
    );
  });
});
