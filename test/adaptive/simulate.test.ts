import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulate/simulate.js';
import { summarizeSimulation } from '../../src/simulate/outputs.js';
import { fitTemperature } from '../../src/calibration/index.js';
import { InputError } from '../../src/errors.js';
import type { Matrix } from '../../src/matrix.js';
import { randomStream } from '../../src/random.js';

/** A seeded 2-class pool whose surrogate is a 4× overconfident copy of the truth. */
function pool(n: number, seed: number) {
  const u = randomStream(seed, [0]);
  const f = new Float64Array(2 * n);
  const g = new Float64Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = 3 * (u() - 0.5);
    labels[i] = u() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    f[2 * i + 1] = z + (u() - 0.5);
    g[2 * i + 1] = 4 * z;
  }
  const matrix = (data: Float64Array) => ({ data, shape: [n, 2] as [number, number] });
  return { modelScores: matrix(f), surrogateScores: matrix(g), surrogateMatrix: { data: g, rows: n, cols: 2 } as Matrix, labels };
}

const { surrogateMatrix: _matrix, ...input } = pool(1500, 1);

describe('simulate with the new proposals', () => {
  // Equal numbers from 1 and 3 threads: test/cli/simulate.test.ts, through the built CLI, where the
  // workers start soon enough to take tiles (in this process a run this small ends before they would).
  it('runs adaptive acquisition with LURE unbiased (800 runs, |z| < 4 at 10, 50 and 150 labels)', async () => {
    const one = await simulate(input, { acquisition: 'adaptive', runs: 800, size: 150, step: 1, seed: 3, threads: 1 });
    for (const labels of [10, 50, 150]) {
      const row = one.estimates.subarray((labels - 1) * one.runs, labels * one.runs);
      const mean = row.reduce((s, x) => s + x, 0) / row.length;
      const sd = Math.sqrt(row.reduce((s, x) => s + (x - mean) ** 2, 0) / (row.length - 1));
      expect(Math.abs(mean - one.trueRisk) / (sd / Math.sqrt(row.length))).toBeLessThan(4);
    }
  });

  it('keeps at least λ/remaining under every draw of a defensive mixture', async () => {
    const result = await simulate(input, { acquisition: 'surrogate-ce', defensive: 0.4, runs: 20, size: 100, threads: 1 });
    for (let m = 0; m < result.size; m++) {
      for (let r = 0; r < result.runs; r++) expect(result.q[m * result.runs + r]).toBeGreaterThanOrEqual((0.4 / (1500 - m)) * (1 - 1e-12));
    }
    expect(result.options.defensive).toBe(0.4);
  });

  it('fits the surrogate temperature on a calibration set and resolves it into the options', async () => {
    const heldOut = pool(2000, 2);
    const result = await simulate(input, {
      acquisition: 'surrogate-m2',
      calibration: { scores: heldOut.surrogateScores, labels: heldOut.labels },
      runs: 5,
      size: 20,
      threads: 1,
    });
    expect(result.options.temperature).toBeCloseTo(fitTemperature(heldOut.surrogateMatrix, heldOut.labels).temperature, 12);
    expect(result.options.temperature).toBeGreaterThan(2.5); // the surrogate is 4× overconfident
    await expect(
      simulate(input, { calibration: { scores: heldOut.surrogateScores, labels: heldOut.labels }, temperature: 2 }),
    ).rejects.toThrow(/calibration/);
  });

  it('records the calibration fit in its result and summary: atBound on separable data, not on ordinary data', async () => {
    const heldOut = pool(2000, 2);
    const options = { acquisition: 'surrogate-ce' as const, runs: 3, size: 10, threads: 1 };
    const ordinary = await simulate(input, { ...options, calibration: { scores: heldOut.surrogateScores, labels: heldOut.labels } });
    const fit = fitTemperature(heldOut.surrogateMatrix, heldOut.labels);
    expect(fit.atBound).toBe(false);
    expect(ordinary.calibration).toEqual({ rows: 2000, temperature: fit.temperature, nll: fit.nll, atBound: false });
    expect(ordinary.options.temperature).toBe(fit.temperature);
    expect(summarizeSimulation(ordinary, {}).calibration).toEqual({
      rows: 2000,
      temperature: fit.temperature,
      nll: fit.nll,
      at_bound: false,
    });

    // Every label its row's top class: the likelihood rises without end as T → 0, and T is the search bound.
    const separable = {
      scores: [
        [3, 0],
        [0, 3],
        [3, 0],
        [0, 3],
      ],
      labels: [0, 1, 0, 1],
    };
    const bound = await simulate(input, { ...options, calibration: separable });
    const boundFit = fitTemperature(separable.scores, separable.labels);
    expect(bound.calibration).toEqual({ rows: 4, temperature: 0.02, nll: boundFit.nll, atBound: true });
    expect(bound.options.temperature).toBe(0.02);
    expect(summarizeSimulation(bound, {}).calibration).toEqual({ rows: 4, temperature: 0.02, nll: boundFit.nll, at_bound: true });

    const uncalibrated = await simulate(input, { ...options, temperature: 2 });
    expect(uncalibrated.calibration).toBeNull();
    expect(summarizeSimulation(uncalibrated, {})).not.toHaveProperty('calibration');
  });

  it('names the option at fault', async () => {
    const { surrogateScores: _omitted, ...noSurrogate } = input;
    await expect(simulate(noSurrogate, { acquisition: 'adaptive' })).rejects.toThrow(/surrogateScores/);
    await expect(simulate(input, { defensive: 2 })).rejects.toThrow(InputError);
    await expect(simulate(input, { acquisition: 'adaptive', numerics: 'reference' })).rejects.toThrow(/numerics/);
  });
});
