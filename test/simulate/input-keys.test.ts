import { describe, expect, it } from 'vitest';
import { InputError, simulate, syntheticPool } from '../../src/index.js';

const pool = syntheticPool({ poolSize: 50, classCount: 3, seed: 1 });
const options = { runs: 2, size: 10, threads: 1 };

describe("simulate's input and options keys", () => {
  it('refuses a misspelt input key instead of running without the data it names', async () => {
    const input = { modelScores: pool.modelScores, surogateScores: pool.surrogateScores, labels: pool.labels };
    await expect(simulate(input as never, options)).rejects.toThrow(InputError);
    await expect(simulate(input as never, options)).rejects.toMatchObject({
      argument: 'input.surogateScores',
      message: expect.stringContaining('did you mean surrogateScores?') as unknown,
    });
  });

  it('refuses pool data given in the options, where it would be ignored', async () => {
    const otherLabels = Int32Array.from(pool.labels, (y) => (y + 1) % 3);
    await expect(simulate(pool, { ...options, labels: otherLabels } as never)).rejects.toMatchObject({
      name: 'InputError',
      argument: 'labels',
      expected: "to be in simulate's input { modelScores, surrogateScores?, labels } (its first argument), not in its options",
    });
  });

  it('refuses a misspelt key of the calibration set, naming it, rather than saying that its scores are missing', async () => {
    await expect(
      simulate(pool, { ...options, calibration: { score: pool.surrogateScores, labels: pool.labels } } as never),
    ).rejects.toThrow(/^calibration\.score: expected a known option, did you mean scores\? \(valid: scores, labels\)$/);
  });

  it('suggests only options when an option is misspelt', async () => {
    await expect(simulate(pool, { ...options, lables: 1 } as never)).rejects.toThrow(
      /^lables: expected a known option \(valid: (?!.*labels)/,
    );
  });

  it('refuses a callback that is no function and a signal that is no AbortSignal, before any run', async () => {
    // Before, a plain object as the signal failed with "signal.addEventListener is not a function",
    // and a string as the progress callback failed only when called, after the first runs.
    await expect(simulate(pool, { ...options, signal: {} } as never)).rejects.toThrow(/^signal: expected an AbortSignal, got \{\}$/);
    await expect(simulate(pool, { ...options, onProgress: 'log' } as never)).rejects.toThrow(
      /^onProgress: expected a function, called with \(completed runs, total runs\), got "log"$/,
    );
    await expect(simulate(pool, { ...options, onWarning: 1 } as never)).rejects.toThrow(
      /^onWarning: expected a function, called with each warning, got 1$/,
    );
    await expect(simulate(pool, { ...options, random: 0.5 } as never)).rejects.toThrow(
      /^random: expected a function, returning uniforms in \[0, 1\), got 0\.5$/,
    );
    const progress: number[] = [];
    const result = await simulate(pool, { ...options, signal: new AbortController().signal, onProgress: (done) => progress.push(done) });
    expect(result.estimates).toHaveLength(20);
    expect(progress.at(-1)).toBe(2);
  });

  it('still runs the pool as syntheticPool returns it', async () => {
    const result = await simulate(pool, options);
    expect(result.options.acquisition).toBe('adaptive');
    expect(result.estimates).toHaveLength(20);
  });
});
