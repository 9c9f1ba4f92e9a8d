import { describe, expect, it } from 'vitest';
import { adaptiveCandidates, secondMomentValues } from '../../src/acquisition/adaptive/index.js';
import { InputError } from '../../src/errors.js';
import { acquisitionValues } from '../../src/metrics/index.js';
import { EPS, NUMERICS_FLAGS } from '../../src/numerics.js';
import { randomStream } from '../../src/random.js';
import { matrix } from '../helpers/matrix.js';

describe('secondMomentValues (surrogate-m2)', () => {
  // Target row: p = [1/4, 3/4], so ℓ = [ln 4, ln 4/3]. Surrogate: π = [0.8, 0.2] at T = 1.
  const f = matrix([
    [0, Math.log(3)],
    [5, 5],
  ]);
  const g = matrix([
    [Math.log(4), 0],
    [1, 0],
  ]);

  it('is √(Σ_k π_k ℓ_k²) in closed form', () => {
    const values = secondMomentValues(f, g);
    expect(values[0]).toBeCloseTo(Math.sqrt(0.8 * Math.log(4) ** 2 + 0.2 * Math.log(4 / 3) ** 2), 14);
    expect(values[1]).toBeCloseTo(Math.log(2), 14); // both labels cost ln 2
  });

  it('applies the temperature to the surrogate only (T = 2 turns [ln 4, 0] into π = [2/3, 1/3])', () => {
    const values = secondMomentValues(f, g, 2);
    expect(values[0]).toBeCloseTo(Math.sqrt((2 / 3) * Math.log(4) ** 2 + (1 / 3) * Math.log(4 / 3) ** 2), 14);
  });

  it('is at least the cross-entropy value E_π[ℓ] (Jensen), with equality when ℓ is constant', () => {
    const ce = acquisitionValues(
      'surrogate-ce',
      { modelScores: f, surrogateScores: g, labels: Int32Array.of(0, 0) },
      { temperature: null, eps: EPS, flags: NUMERICS_FLAGS.default },
    );
    const m2 = secondMomentValues(f, g);
    expect(m2[0]).toBeGreaterThan(ce[0]);
    expect(m2[1]).toBeCloseTo(ce[1], 14);
  });

  it('stays finite where the loss squared overflows (finite logits 1e200 apart)', () => {
    // ℓ = [0, 1e200] (up to rounding) under π = [1/2, 1/2]: √(½·1e400) = 1e200/√2.
    const values = secondMomentValues(matrix([[1e200, 0]]), matrix([[0, 0]]));
    expect(values[0] / (1e200 / Math.SQRT2)).toBeCloseTo(1, 14);
  });

  it('names the surrogate when the shapes differ', () => {
    expect(() => secondMomentValues(f, matrix([[0, 0]]))).toThrow(InputError);
  });
});

describe('adaptiveCandidates', () => {
  it('equals each candidate computed on its own, bit for bit, at T and 2T', () => {
    const u = randomStream(4, [2]);
    const rows = 200;
    const cols = 7;
    // Logit gaps up to 80 put some probabilities below the clip eps = 1e-15.
    const scores = () => ({ data: Float64Array.from({ length: rows * cols }, () => (u() - 0.5) * 80), rows, cols });
    const f = scores();
    const g = scores();
    // A surrogate row with an infinite logit has NaN probabilities: the cross-entropy candidates
    // replace its value by their largest, as acquisitionValues does.
    g.data[3 * cols + 2] = Infinity;
    for (const temperature of [null, 0.7, 3]) {
      const base = temperature ?? 1;
      const candidates = adaptiveCandidates(f, g, temperature);
      expect(candidates.map((c) => c.name)).toEqual([
        'uniform',
        `surrogate-m2 T=${base}`,
        `surrogate-m2 T=${2 * base}`,
        `surrogate-ce T=${base}`,
        `surrogate-ce T=${2 * base}`,
      ]);
      expect(Array.from(candidates[0].values)).toEqual(new Array(rows).fill(1));
      const ce = (t: number) =>
        acquisitionValues(
          'surrogate-ce',
          { modelScores: f, surrogateScores: g, labels: new Int32Array(rows) },
          { temperature: t, eps: EPS, flags: NUMERICS_FLAGS.default },
        );
      expect(candidates[1].values).toEqual(secondMomentValues(f, g, base));
      expect(candidates[2].values).toEqual(secondMomentValues(f, g, 2 * base));
      expect(candidates[3].values).toEqual(ce(base));
      expect(candidates[4].values).toEqual(ce(2 * base));
      expect(Number.isNaN(candidates[1].values[3])).toBe(true);
      expect(candidates[3].values[3]).toBe(Math.max(...candidates[3].values.filter((v, i) => i !== 3)));
    }
  });

  it('names the argument: a surrogate of another shape, a temperature that is not > 0', () => {
    const f = matrix([[0, 1]]);
    expect(() => adaptiveCandidates(f, matrix([[0, 0, 0]]))).toThrow(/surrogateScores/);
    expect(() => adaptiveCandidates(f, f, 0)).toThrow(/temperature/);
    expect(() => adaptiveCandidates(f, f, Number.NaN)).toThrow(InputError);
  });

  it.each([
    ['nested arrays as model scores', () => adaptiveCandidates([[0, 1]] as never, matrix([[0, 1]])), /^modelScores: expected a Matrix/],
    ['no surrogate', () => adaptiveCandidates(matrix([[0, 1]]), undefined as never), /^surrogateScores: expected a Matrix/],
    [
      'a short matrix',
      () => adaptiveCandidates({ data: Float64Array.of(0), rows: 1, cols: 2 }, matrix([[0, 1]])),
      /^modelScores: expected 2 values in data for 1×2, got 1$/,
    ],
  ] as Array<[string, () => unknown, RegExp]>)('refuses %s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});
