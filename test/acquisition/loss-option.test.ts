import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulate/simulate.js';
import { InputError } from '../../src/errors.js';
import { brierLossPerItem, classProbabilities, expectedZeroOneLoss, zeroOneLossPerItem } from '../../src/metrics/index.js';
import { EPS } from '../../src/numerics.js';
import { simulationInput, syntheticPool } from './synthetic-pool.js';

const pool = syntheticPool(400, 3, 11);
const input = simulationInput(pool);

/** Mean and standard error of the final row's estimates over the runs. */
function finalRow(result: Awaited<ReturnType<typeof simulate>>): { mean: number; se: number } {
  const row = result.estimates.subarray((result.rows - 1) * result.runs, result.rows * result.runs);
  const mean = row.reduce((s, v) => s + v, 0) / row.length;
  const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / (row.length - 1);
  return { mean, se: Math.sqrt(variance / row.length) };
}

/** The first draw's proposal with clip c: q ∝ max(c·W/N, v) (W the total value), never 0. */
function flooredProposal(values: ArrayLike<number>, clip: number): number[] {
  const n = values.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += values[i] as number;
  const floored = Array.from(values, (v) => Math.max((clip * total) / n, v));
  const mass = floored.reduce((s, v) => s + v, 0);
  return floored.map((v) => v / mass);
}

describe('simulate --loss', () => {
  it('estimates the error rate without bias under LURE with surrogate expected zero-one acquisition (2000 seeded runs, within 4 SE)', async () => {
    const result = await simulate(input, { loss: 'zero-one', runs: 2000, size: 40, step: 39, threads: 1, bootstrap: 'none', seed: 3 });
    expect(result.options.acquisition).toBe('surrogate-ce');
    const errors = zeroOneLossPerItem(pool.modelScores, pool.labels);
    const errorRate = errors.reduce((s, v) => s + v, 0) / errors.length;
    expect(result.trueRisk).toBeCloseTo(errorRate, 14);
    expect(errorRate).toBeGreaterThan(0.1);
    const { mean, se } = finalRow(result);
    expect(se).toBeGreaterThan(0);
    expect(Math.abs(mean - errorRate)).toBeLessThan(4 * se);
  });

  it('proposes in proportion to the surrogate expected zero-one loss of the target prediction', async () => {
    const result = await simulate(input, { loss: 'zero-one', acquisition: 'surrogate-ce', clip: 0.1, runs: 1, size: 1, threads: 1 });
    const values = expectedZeroOneLoss(pool.modelScores, classProbabilities(pool.surrogateScores, null, EPS, 'stable'));
    const first = result.samples[0] as number;
    expect(result.q[0]).toBeCloseTo(flooredProposal(values, 0.1)[first] as number, 12);
  });

  it('uses the Brier score for true risk and true-loss acquisition', async () => {
    const result = await simulate(input, { loss: 'brier', acquisition: 'true-loss', clip: 0.1, runs: 1, size: 1, threads: 1 });
    const brier = brierLossPerItem(pool.modelScores, pool.labels);
    const total = brier.reduce((s, v) => s + v, 0);
    expect(result.trueRisk).toBeCloseTo(total / brier.length, 14);
    expect(result.q[0]).toBeCloseTo(flooredProposal(brier, 0.1)[result.samples[0] as number] as number, 12);
  });

  it('keeps cross-entropy the default, bit for bit', async () => {
    const options = { acquisition: 'surrogate-ce' as const, runs: 16, size: 20, threads: 1, seed: 1 };
    const implicit = await simulate(input, options);
    const explicit = await simulate(input, { ...options, loss: 'cross-entropy' });
    expect(implicit.options.loss).toBe('cross-entropy');
    expect(explicit.estimates).toEqual(implicit.estimates);
    expect(explicit.trueRisk).toBe(implicit.trueRisk);
  });

  it('refuses surrogate-nll and unknown losses, naming the option', async () => {
    await expect(simulate(input, { loss: 'zero-one', acquisition: 'surrogate-nll', runs: 1, size: 1 })).rejects.toThrow(/surrogate-nll/);
    await expect(simulate(input, { loss: 'hinge' as never, runs: 1, size: 1 })).rejects.toThrow(InputError);
    await expect(simulate(input, { loss: 'hinge' as never, runs: 1, size: 1 })).rejects.toThrow(/loss/);
  });
});
