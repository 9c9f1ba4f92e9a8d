import { describe, expect, it } from 'vitest';
import { BUILTIN_LOSSES, classProbabilities } from '../../src/metrics/index.js';
import { EPS, NUMERICS_FLAGS } from '../../src/numerics.js';
import { simulationReference } from '../../src/simulate/reference.js';
import type { SimulationOptions } from '../../src/simulate/simulation-options.js';
import { simulationInput, syntheticPool } from '../acquisition/synthetic-pool.js';

describe('simulationReference', () => {
  it("predicts each item's loss bit for bit as the surrogate's fresh belief does, whether or not planning computed it", () => {
    const pool = syntheticPool(300, 3, 4);
    const input = simulationInput(pool);
    // Planning computes the prediction for surrogate-ce and for adaptive under the cross-entropy at
    // eps EPS; the reference computes the others itself, adaptive's at another eps included.
    const settings: Partial<SimulationOptions>[] = [
      { acquisition: 'surrogate-ce', loss: 'cross-entropy' },
      { acquisition: 'surrogate-ce', loss: 'brier', temperature: 2 },
      { acquisition: 'surrogate-ce', loss: 'zero-one', defensive: 0.3 },
      { acquisition: 'surrogate-ce', loss: 'brier', numerics: 'reference' },
      { acquisition: 'adaptive', loss: 'cross-entropy', temperature: 0.5 },
      { acquisition: 'adaptive', loss: 'cross-entropy', eps: 0.1 },
      { acquisition: 'adaptive', loss: 'brier' },
      { acquisition: 'iid', loss: 'zero-one' },
    ];
    for (const options of settings) {
      const reference = simulationReference(input, { ...options, size: 50 } as SimulationOptions);
      const belief = classProbabilities(
        pool.surrogateScores,
        options.temperature ?? null,
        options.eps ?? EPS,
        NUMERICS_FLAGS[options.numerics ?? 'default'].softmax,
      );
      const expected = BUILTIN_LOSSES[options.loss!].expected(pool.modelScores, belief);
      expect(reference!.predictedLoss, JSON.stringify(options)).toEqual(expected);
    }
  });
});
