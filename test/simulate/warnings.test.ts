import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { simulate } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import type { SimulationOptions } from '../../src/simulate/simulation-options.js';

const pool = syntheticPool({ poolSize: 60, classCount: 2, seed: 5 });
const softmaxed = (scores: Float64Array): Float64Array =>
  scores.map((_, j) => {
    const row = j - (j % 2);
    return 1 / (1 + Math.exp(scores[row + 1 - (j % 2)] - scores[j]));
  });
const logits = { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: pool.labels };
const run: Partial<SimulationOptions> = { runs: 2, size: 10, acquisition: 'surrogate-ce', threads: 1 };
const probabilitiesWarning = (argument: string): string =>
  `${argument}: every row is in [0, 1] and sums to 1, as probabilities do; scores are read as logits (a softmax is applied), so pass log-probabilities instead, floored where p is 0 (np.log(np.maximum(p, 1e-12))): −Infinity is refused`;

async function warningsOf(input: typeof logits, options: Partial<SimulationOptions> = {}): Promise<string[]> {
  const warnings: string[] = [];
  await simulate(input, { ...run, ...options, onWarning: (message) => warnings.push(message) });
  return warnings;
}

describe('simulate warns of inputs that are valid but most likely not meant, as the command line does', () => {
  it('names scores whose rows are probabilities by their keys, and says nothing of logits', async () => {
    expect(await warningsOf(logits)).toEqual([]);
    const probabilities = { ...pool.modelScores, data: softmaxed(pool.modelScores.data) };
    expect(await warningsOf({ ...logits, modelScores: probabilities })).toEqual([probabilitiesWarning('modelScores')]);
    expect(await warningsOf({ ...logits, surrogateScores: probabilities })).toEqual([probabilitiesWarning('surrogateScores')]);
  });

  it('warns of a calibration set that is the pool itself, and of a fit at its bound', async () => {
    const separable = { scores: { data: [3, 0, 0, 3], shape: [2, 2] as [number, number] }, labels: [0, 1] };
    expect(await warningsOf(logits, { calibration: separable })).toEqual([
      'calibration: the surrogate temperature T = 0.02 is the end of its search range [0.02, 50], not a fitted value: the likelihood still rises as T falls below it: the surrogate ranks (nearly) every calibration label first; more or harder calibration labels would fit it',
    ]);
    const itself = { scores: pool.surrogateScores, labels: pool.labels };
    const warnings = await warningsOf(logits, { calibration: itself });
    expect(warnings[0]).toMatch(/^calibration: the calibration set is the pool itself \(the surrogate's scores and the pool's labels\)/);
    expect(warnings).toHaveLength(1);
  });

  it('warns of labels per run above the pool size, and labels the whole pool: the estimate is the pool risk', async () => {
    const small = syntheticPool({ poolSize: 20, classCount: 3, seed: 2 });
    const warnings: string[] = [];
    const result = await simulate(small, { ...run, size: 400, onWarning: (message) => warnings.push(message) });
    expect(warnings).toEqual(["size 400 is more than the pool's 20 items: each run labels all 20"]);
    expect(result.size).toBe(20);
    expect(result.labelsPerRow.at(-1)).toBe(20);
    for (const estimate of result.estimates.slice(-result.runs)) expect(estimate).toBeCloseTo(result.trueRisk, 12);
    // The pool size itself is no warning.
    expect(await warningsOf(logits, { size: 60 })).toEqual([]);
    // A step that fits the size given is cut with it: rows after 1 and all 20 labels.
    const stepped = await simulate(small, { ...run, size: 400, step: 300, onWarning: () => {} });
    expect(Array.from(stepped.labelsPerRow)).toEqual([1, 20]);
    const one = syntheticPool({ poolSize: 1, classCount: 2, seed: 2 });
    expect(await warningsOf(one, { size: 5 })).toEqual(["size 5 is more than the pool's 1 item: each run labels all 1"]);
  });

  it('sends them to process warnings by default; an onWarning that is no function is refused', async () => {
    const emitted: string[] = [];
    const listener = (warning: Error): void => void emitted.push(`${warning.name}: ${warning.message}`);
    process.on('warning', listener);
    try {
      await simulate({ ...logits, modelScores: { ...pool.modelScores, data: softmaxed(pool.modelScores.data) } }, run);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(emitted).toEqual([`ActiveTestingWarning: ${probabilitiesWarning('modelScores')}`]);
    const refused = simulate(logits, { ...run, onWarning: 'stderr' as unknown as () => void });
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow('onWarning: expected a function, called with each warning, got "stderr"');
  });
});
