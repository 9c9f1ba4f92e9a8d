import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import type { Matrix } from '../../src/matrix.js';
import { EPS } from '../../src/numerics.js';
import { classProbabilities, clippedSoftmax, logSoftmax, pairwiseSum, softmaxClamp, stableSoftmax } from '../../src/metrics/index.js';

const row = (...values: number[]): Matrix => ({ data: Float64Array.from(values), rows: 1, cols: values.length });

describe('pairwiseSum', () => {
  // Values and sums computed with numpy 1.24 (np.sum) and Python's sequential sum.
  const values = Float64Array.from({ length: 1000 }, (_, i) => (i * 0.1 + 1 / (i + 1)) * (-1) ** i * 10 ** ((i % 7) - 3));

  it('reproduces np.sum bit for bit, which differs from a left-to-right sum', () => {
    expect(pairwiseSum(values)).toBe(-54176.56629945655);
    let sequential = 0;
    for (const v of values) sequential += v;
    expect(sequential).toBe(-54176.56629945661);
  });

  it('sums a sub-range as np.sum of the slice', () => {
    expect(pairwiseSum(values, 3, 200)).toBe(-8841.080219261392);
    expect(pairwiseSum([1, 2, 3], 1, 1)).toBe(0);
    expect(pairwiseSum([0.1, 0.2, 0.3])).toBe(0.6000000000000001);
  });
});

describe('stableSoftmax and logSoftmax', () => {
  it('softmax of [0, ln 3] is [1/4, 3/4]', () => {
    const p = stableSoftmax(row(0, Math.log(3))).data;
    expect(p[0]).toBeCloseTo(0.25, 15);
    expect(p[1]).toBeCloseTo(0.75, 15);
  });

  it('temperature divides the logits: [0, 2 ln 3] at T = 2 is [1/4, 3/4]', () => {
    const p = stableSoftmax(row(0, 2 * Math.log(3)), 2).data;
    expect(p[0]).toBeCloseTo(0.25, 15);
    const lp = logSoftmax(row(0, 2 * Math.log(3)), 2).data;
    expect(lp[1]).toBeCloseTo(Math.log(0.75), 15);
  });

  it('stays finite for logits 800 / 0 (exp(800) overflows)', () => {
    expect(Array.from(stableSoftmax(row(800, 0)).data)).toEqual([1, 0]);
    expect(Array.from(logSoftmax(row(800, 0)).data)).toEqual([0, -800]);
    expect(Array.from(logSoftmax(row(-800, -800)).data)).toEqual([-Math.LN2, -Math.LN2]);
  });

  it('works row by row', () => {
    const m = { data: Float64Array.of(0, 0, 1, 1, 5, 5), rows: 3, cols: 2 };
    expect(Array.from(stableSoftmax(m).data)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('rejects a non-positive or non-finite temperature, naming it', () => {
    for (const t of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => stableSoftmax(row(0, 1), t)).toThrow(InputError);
    }
    expect(() => logSoftmax(row(0, 1), 0)).toThrow(/temperature/);
  });
});

describe('softmaxClamp (reference)', () => {
  it('agrees with the softmax for moderate logits', () => {
    const p = softmaxClamp(row(0, Math.log(3)), null, EPS).data;
    expect(p[0]).toBeCloseTo(0.25, 15);
    expect(p[1]).toBeCloseTo(0.75, 15);
  });

  it('saturates above ln(1/eps) ≈ 34.54: [40, 38] ties at [0.5, 0.5] (bug B-M2)', () => {
    expect(Array.from(softmaxClamp(row(40, 38), null, EPS).data)).toEqual([0.5, 0.5]);
  });

  it('clips exp at 1/eps = 999999999999999.9, not 1e15', () => {
    expect(1 / EPS).toBe(999999999999999.9);
    const p = softmaxClamp(row(800, 0), null, EPS).data;
    expect(p[0]).toBe(999999999999999.9 / (999999999999999.9 + 1));
    expect(p[1]).toBe(1 / (999999999999999.9 + 1));
  });

  it('with a temperature, clips the probabilities again at eps', () => {
    const p = softmaxClamp(row(Number.NEGATIVE_INFINITY, 1), 2, EPS).data;
    expect(p[0]).toBe(EPS);
  });

  it('rejects eps outside (0, 1)', () => {
    expect(() => softmaxClamp(row(0, 1), null, 0)).toThrow(/eps/);
    expect(() => softmaxClamp(row(0, 1), null, 1)).toThrow(InputError);
  });
});

describe('clippedSoftmax and classProbabilities', () => {
  it('floors probabilities at eps and keeps the true ranking of saturating logits', () => {
    expect(Array.from(clippedSoftmax(row(800, 0), null, EPS).data)).toEqual([1, EPS]);
    const stable = classProbabilities(row(40, 38), null, EPS, 'stable').data;
    expect(stable[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(Array.from(classProbabilities(row(40, 38), null, EPS, 'clamp').data)).toEqual([0.5, 0.5]);
  });
});

describe('softmax entry checks', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['stableSoftmax of null', () => stableSoftmax(null as never), /^logits: expected a Matrix \{ data: Float64Array, rows, cols \}/],
    [
      'stableSoftmax with data ≠ rows·cols',
      () => stableSoftmax({ data: Float64Array.of(0, 1, 2), rows: 2, cols: 2 }),
      /^logits: expected 4 values in data for 2×2, got 3$/,
    ],
    ['stableSoftmax of a NaN logit', () => stableSoftmax(row(0, Number.NaN)), /^logits \(row 0\): expected finite values, got NaN$/],
    [
      'stableSoftmax of +Infinity',
      () => stableSoftmax({ data: Float64Array.of(0, 1, Infinity, 0), rows: 2, cols: 2 }),
      /^logits \(row 1\): expected finite values, got Infinity$/,
    ],
    ['logSoftmax of −Infinity', () => logSoftmax(row(-Infinity, 0)), /^logits \(row 0\): expected finite values, got -Infinity$/],
    ['logSoftmax of nested arrays', () => logSoftmax([[0, 1]] as never), /^logits: expected a Matrix/],
    [
      'clippedSoftmax with data ≠ rows·cols',
      () => clippedSoftmax({ data: Float64Array.of(0), rows: 1, cols: 2 }, null, EPS),
      /^logits: expected 2 values/,
    ],
    ['clippedSoftmax with eps 0', () => clippedSoftmax(row(0, 0), null, 0), /^eps: expected a number in \(0, 1\), got 0$/],
  ];
  it.each(cases)('%s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});
