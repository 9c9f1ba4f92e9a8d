import { describe, expect, it } from 'vitest';
import { fitTemperature, meanNll, solveTemperature, temperatureBoundWarning } from '../../src/calibration/index.js';
import { InputError } from '../../src/errors.js';
import { randomStream } from '../../src/random.js';

/** Labels drawn from softmax(z); the surrogate reports `scale·z`, so its right temperature is `scale`. */
function overconfident(n: number, k: number, scale: number, seed: number) {
  const u = randomStream(seed, [0]);
  const data = new Float64Array(n * k);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, () => 2 * (u() - 0.5) * 2);
    const total = z.reduce((s, x) => s + Math.exp(x), 0);
    let draw = u() * total;
    labels[i] = k - 1;
    for (let j = 0; j < k; j++) {
      draw -= Math.exp(z[j]);
      if (draw < 0) {
        labels[i] = j;
        break;
      }
    }
    z.forEach((x, j) => (data[i * k + j] = scale * x));
  }
  return { scores: { data, rows: n, cols: k }, labels };
}

describe('fitTemperature', () => {
  it('recovers the temperature of a 3× overconfident surrogate (20k seeded labels, within 5%)', () => {
    const { scores, labels } = overconfident(20_000, 3, 3, 1);
    const fit = fitTemperature(scores, labels);
    expect(fit.temperature).toBeGreaterThan(3 * 0.95);
    expect(fit.temperature).toBeLessThan(3 * 1.05);
    expect(fit.nll).toBeCloseTo(meanNll(scores, labels, fit.temperature), 12);
  });

  it('finds the minimum: the NLL is higher a little either side', () => {
    const { scores, labels } = overconfident(500, 2, 0.5, 2);
    const { temperature, nll } = fitTemperature(scores, labels);
    expect(temperature).toBeLessThan(1); // an underconfident surrogate is sharpened
    expect(meanNll(scores, labels, temperature * 1.02)).toBeGreaterThan(nll);
    expect(meanNll(scores, labels, temperature / 1.02)).toBeGreaterThan(nll);
  });

  it('is the exact solution of solveTemperature, held to 1/T in [1/50, 50]', () => {
    const { scores, labels } = overconfident(300, 3, 2, 4);
    expect(fitTemperature(scores, labels).temperature).toBe(solveTemperature(scores.data, labels, 3).temperature);
    const separable = { data: Float64Array.of(3, 0, 0, 3), rows: 2, cols: 2 };
    expect(fitTemperature(separable, Int32Array.of(0, 1)).temperature).toBeCloseTo(1 / 50, 15);
    expect(fitTemperature(separable, Int32Array.of(1, 0)).temperature).toBeCloseTo(50, 12);
  });

  it('says when the temperature is an end of its range, not a fitted value (atBound), and only then', () => {
    const separable = { data: Float64Array.of(3, 0, 0, 3), rows: 2, cols: 2 };
    const sharpest = fitTemperature(separable, Int32Array.of(0, 1));
    expect(sharpest.atBound).toBe(true);
    expect(sharpest.temperature).toBe(1 / 50);
    const flattest = fitTemperature(separable, Int32Array.of(1, 0));
    expect(flattest.atBound).toBe(true);
    expect(flattest.temperature).toBe(50);
    // The range printed is T's, [1/50, 50]; at its upper end the scores carry no signal, so more labels would not sharpen it.
    expect(temperatureBoundWarning('--calibration-scores', flattest)).toBe(
      "--calibration-scores: the surrogate temperature T = 50 is the end of its search range [0.02, 50], not a fitted value: the likelihood still rises as T grows past it: the surrogate's scores say (almost) nothing of the calibration labels, so a calibrated proposal is close to uniform",
    );
    const fitted = fitTemperature(
      [
        [2, 0],
        [0, 2],
        [2, 0],
      ],
      [0, 1, 1],
    );
    expect(fitted.atBound).toBe(false);
    expect(fitted.temperature).toBeCloseTo(2 / Math.LN2, 12);
  });

  it('takes the inputs other functions take: the closed form 2/ln 2 from nested arrays, one-hot labels or readNpy-style data', () => {
    // mean NLL = log(1 + e^(−2β)) + 2β/3, whose minimum is at e^(−2β) = 1/2, i.e. T = 2/ln 2.
    const exact = 2 / Math.LN2;
    expect(
      fitTemperature(
        [
          [2, 0],
          [0, 2],
          [2, 0],
        ],
        [0, 1, 1],
      ).temperature,
    ).toBeCloseTo(exact, 12);
    const oneHot = [
      [1, 0],
      [0, 1],
      [0, 1],
    ];
    expect(fitTemperature({ data: Float32Array.of(2, 0, 0, 2, 2, 0), shape: [3, 2] }, oneHot).temperature).toBeCloseTo(exact, 12);
    expect(
      fitTemperature(
        [
          [2, 0],
          [0, 2],
          [2, 0],
        ],
        { data: BigInt64Array.of(0n, 1n, 1n), shape: [3] },
      ).temperature,
    ).toBeCloseTo(exact, 12);
  });

  it('names bad scores, bad labels and their row', () => {
    const scores = { data: Float64Array.of(0, 1, 1, 0), rows: 2, cols: 2 };
    expect(() => fitTemperature(scores, Int32Array.of(0))).toThrow(InputError);
    expect(() => fitTemperature(scores, Int32Array.of(0, 2))).toThrow(/^labels \(row 1\): expected a class index in \[0, 1\], got 2$/);
    expect(() => fitTemperature([[0, Number.NaN]], [0])).toThrow(/^scores/);
    expect(() => fitTemperature([], [])).toThrow(/^scores: expected a non-empty/);
  });
});
