import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { EPS } from '../../src/numerics.js';
import {
  accuracy,
  brierLossPerItem,
  BUILTIN_LOSSES,
  clippedSoftmax,
  crossEntropyLoss,
  expectedBrierLoss,
  lossBounds,
  lossPerItem,
  pairedDifferenceBounds,
  predictiveEntropy,
  rowCrossEntropy,
  softCrossEntropyLoss,
  softLossPerItem,
  stableSoftmax,
} from '../../src/metrics/index.js';
import { randomStream } from '../../src/random.js';
import { matrix } from '../helpers/matrix.js';

const f = matrix([
  [0, Math.log(3)],
  [0, 0],
  [Math.log(4), 0],
]);
const y = Int32Array.of(1, 0, 1);

describe('lossPerItem and crossEntropyLoss', () => {
  it('is −log of the label probability', () => {
    const l = lossPerItem(f, y);
    expect(l[0]).toBeCloseTo(-Math.log(0.75), 15);
    expect(l[1]).toBeCloseTo(Math.LN2, 15);
    expect(l[2]).toBeCloseTo(Math.log(5), 15);
  });

  it('averages over rows, and with weights averages w·ℓ over rows (not divided by Σw)', () => {
    const l = [-Math.log(0.75), Math.LN2, Math.log(5)];
    expect(crossEntropyLoss(f, y)).toBeCloseTo((l[0]! + l[1]! + l[2]!) / 3, 15);
    expect(crossEntropyLoss(f, y, [3, 0, 0])).toBeCloseTo(l[0]!, 15);
    expect(crossEntropyLoss(f, y, [2, 0, 1])).toBeCloseTo((2 * l[0]! + l[2]!) / 3, 15);
  });

  it('is −log of stableSoftmax’s label probability bit for bit, row by row, at any temperature', () => {
    const u = randomStream(6, [1]);
    const rows = 300;
    const cols = 37;
    const scores = { data: Float64Array.from({ length: rows * cols }, () => (u() - 0.5) * 40), rows, cols };
    const labels = Int32Array.from({ length: rows }, () => Math.floor(u() * cols));
    for (const temperature of [null, 0.3, 1, 7]) {
      const p = stableSoftmax(scores, temperature).data;
      const expected = Float64Array.from(labels, (label, i) => -Math.log(p[i * cols + label]!));
      expect(lossPerItem(scores, labels, temperature)).toEqual(expected);
    }
    expect(() => lossPerItem(scores, labels, 0)).toThrow(/temperature/);
  });

  it('applies a temperature to the scores', () => {
    const g = matrix([[0, 2 * Math.log(3)]]);
    expect(crossEntropyLoss(g, Int32Array.of(1), undefined, 2)).toBeCloseTo(-Math.log(0.75), 15);
  });

  it('is finite for logits 800 / 0, where the label probability underflows to 0', () => {
    const g = matrix([[800, 0]]);
    expect(lossPerItem(g, Int32Array.of(0))[0]).toBeCloseTo(0, 300);
    expect(lossPerItem(g, Int32Array.of(1))[0]).toBe(800);
    expect(
      crossEntropyLoss(
        matrix([
          [800, 0],
          [0, 0],
        ]),
        Int32Array.of(1, 0),
      ),
    ).toBeCloseTo((800 + Math.LN2) / 2, 12);
  });

  it('is exact where the label probability is subnormal (logit gaps of about 708 to 745)', () => {
    // e^−742 ≈ 5e−323 keeps about 4 significant bits: its log was off by up to a few percent, and the
    // loss fell outside the item's bounds (lossBounds, exact log-sum-exp).
    for (const gap of [708.5, 720, 740, 742.8, 744.5]) {
      const g = matrix([[gap, 0]]);
      expect(lossPerItem(g, Int32Array.of(1))[0]).toBeCloseTo(gap, 10);
      expect(lossPerItem(g, Int32Array.of(1))[0]).toBeLessThanOrEqual(lossBounds(g, 'cross-entropy').upper[0]!);
    }
    // Above the smallest normal double the log of the probability, as the reference computes it.
    expect(lossPerItem(matrix([[700, 0]]), Int32Array.of(1))[0]).toBe(-Math.log(1 / (1 + Math.exp(700))));
  });

  it('names the argument, the row and the expectation for bad labels and weights', () => {
    expect(() => lossPerItem(f, Int32Array.of(1, 0))).toThrow(/labels: expected 3 labels/);
    const error = (() => {
      try {
        lossPerItem(f, Int32Array.of(1, 2, 0));
      } catch (e) {
        return e as InputError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error!.row).toBe(1);
    expect(error!.argument).toBe('labels');
    expect(() => crossEntropyLoss(f, y, [1, 2])).toThrow(/weights/);
  });
});

describe('soft targets', () => {
  it('the loss against probabilities is −Σ t log p', () => {
    const t = matrix([
      [0.5, 0.5],
      [0.2, 0.8],
      [1, 0],
    ]);
    const e = softLossPerItem(f, t);
    expect(e[0]).toBeCloseTo(-(0.5 * Math.log(0.25) + 0.5 * Math.log(0.75)), 15);
    expect(e[1]).toBeCloseTo(Math.LN2, 15);
    expect(e[2]).toBeCloseTo(-Math.log(0.8), 15);
    expect(softCrossEntropyLoss(f, t)).toBeCloseTo((e[0]! + e[1]! + e[2]!) / 3, 15);
  });

  it('one-hot targets give the hard-label loss', () => {
    const oneHot = matrix([
      [0, 1],
      [1, 0],
      [0, 1],
    ]);
    expect(softCrossEntropyLoss(f, oneHot)).toBeCloseTo(crossEntropyLoss(f, y), 15);
  });

  it('is finite and exact where a probability underflows or is subnormal', () => {
    const far = matrix([
      [800, 0],
      [800, 0],
      [800, 0],
      [742.8, 0],
    ]);
    const t = matrix([
      [1, 0], // the underflowed class has no target weight: 0, not 0·log 0 = NaN
      [0, 1],
      [0.5, 0.5],
      [0, 1], // e^−742.8 is subnormal
    ]);
    const e = softLossPerItem(far, t);
    expect(e[0]).toBeCloseTo(0, 15);
    expect(e[1]).toBe(800);
    expect(e[2]).toBe(400);
    expect(e[3]).toBeCloseTo(742.8, 10);
  });

  it('rejects targets of another shape', () => {
    expect(() => softLossPerItem(f, matrix([[0.5, 0.5]]))).toThrow(/targets: expected shape \[3, 2\]/);
  });
});

describe('predictiveEntropy and rowCrossEntropy', () => {
  it('is ln K for equal logits and near 0 for a confident row', () => {
    const h = predictiveEntropy(matrix([[1, 1, 1, 1]]));
    expect(h[0]).toBeCloseTo(Math.log(4), 15);
    expect(predictiveEntropy(matrix([[800, 0]]))[0]).toBeLessThan(1e-12);
  });

  it('a temperature flattens the distribution (entropy rises towards ln K)', () => {
    const cold = predictiveEntropy(matrix([[2, 0]]))[0]!;
    const warm = predictiveEntropy(matrix([[2, 0]]), { temperature: 4 })[0]!;
    const p = 1 / (1 + Math.exp(-0.5));
    expect(warm).toBeCloseTo(-(p * Math.log(p) + (1 - p) * Math.log(1 - p)), 14);
    expect(warm).toBeGreaterThan(cold);
  });

  it("'clamp' reproduces the reference's saturation at logits 40 / 38 (maximum entropy)", () => {
    expect(predictiveEntropy(matrix([[40, 38]]), { softmax: 'clamp' })[0]).toBeCloseTo(Math.LN2, 15);
    expect(predictiveEntropy(matrix([[40, 38]]))[0]).toBeLessThan(0.4);
  });

  it('replaces NaN rows by the largest finite value when asked', () => {
    const p = matrix([
      [0.5, 0.5],
      [Number.NaN, 1],
    ]);
    expect(Array.from(rowCrossEntropy(p, p, true))).toEqual([Math.LN2, Math.LN2]);
    expect(Number.isNaN(rowCrossEntropy(p, p, false)[1])).toBe(true);
  });
});

describe('accuracy', () => {
  it('counts argmax hits, ties going to the lowest class', () => {
    const scores = matrix([
      [1, 1],
      [0, 2],
      [3, 1],
    ]);
    expect(accuracy(scores, Int32Array.of(1, 1, 1))).toBe(1 / 3);
    expect(accuracy(scores, Int32Array.of(0, 1, 0))).toBe(1);
  });
});

describe('the loss forms computed a row at a time', () => {
  const u = randomStream(8, [2]);
  const rows = 200;
  const cols = 23;
  const draw = (scale: number) => ({ data: Float64Array.from({ length: rows * cols }, () => (u() - 0.5) * scale), rows, cols });
  const scores = draw(60);
  const other = draw(60);
  const labels = Int32Array.from({ length: rows }, () => Math.floor(u() * cols));
  // Probabilities below the clip (1e-15) and rows that saturate, so that the clip matters.
  const belief = clippedSoftmax(draw(90), 0.5, EPS);
  const p = stableSoftmax(scores).data;
  const r = stableSoftmax(other).data;
  const row = (data: Float64Array, i: number) => data.subarray(i * cols, (i + 1) * cols);
  const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

  it("cross-entropy's expected loss is rowCrossEntropy of the clipped softmax, bit for bit", () => {
    expect(BUILTIN_LOSSES['cross-entropy'].expected(scores, belief)).toEqual(
      rowCrossEntropy(clippedSoftmax(scores, null, EPS), belief, false),
    );
    expect(() => BUILTIN_LOSSES['cross-entropy'].expected(scores, { data: new Float64Array(cols), rows: 1, cols })).toThrow(InputError);
  });

  it("Brier's loss, expected loss and bounds are their formulas over stableSoftmax, bit for bit", () => {
    const loss = Float64Array.from(labels, (label, i) => sum(Array.from(row(p, i), (v, k) => (v - (k === label ? 1 : 0)) ** 2)));
    expect(brierLossPerItem(scores, labels)).toEqual(loss);
    const expected = Float64Array.from({ length: rows }, (_, i) => {
      const [pi, pr] = [row(belief.data, i), row(p, i)];
      let [squares, cross, mass] = [0, 0, 0];
      for (let k = 0; k < cols; k++) [squares, cross, mass] = [squares + pr[k]! ** 2, cross + pi[k]! * pr[k]!, mass + pi[k]!];
      return mass * squares - 2 * cross + mass;
    });
    expect(expectedBrierLoss(scores, belief)).toEqual(expected);
    const { lower, upper } = lossBounds(scores, 'brier');
    for (let i = 0; i < rows; i++) {
      const pr = row(p, i);
      let squares = 0;
      for (const v of pr) squares += v * v;
      const [low, high] = [squares - 2 * Math.max(...pr) + 1, squares - 2 * Math.min(...pr) + 1];
      expect(lower[i]).toBe(Math.max(0, low - 2 ** -48 * (1 + Math.abs(low))));
      expect(upper[i]).toBe(high + 2 ** -48 * (1 + Math.abs(high)));
    }
  });

  it("the paired cross-entropy difference's bounds are lse f − lse g − (f_k − g_k), bit for bit, for logits under 1e6", () => {
    const { lower, upper } = pairedDifferenceBounds(scores, other, 'cross-entropy');
    const firstLow = lossBounds(scores, 'cross-entropy').lower;
    const lse = (values: Float64Array) => {
      const max = Math.max(...values);
      let total = 0;
      for (const v of values) total += Math.exp(v - max);
      return max + Math.log(total);
    };
    for (let i = 0; i < rows; i++) {
      const [fi, gi] = [row(scores.data, i), row(other.data, i)];
      const constant = lse(fi) - lse(gi);
      const d = Array.from(fi, (v, k) => constant - (v - gi[k]!));
      const [low, high] = [Math.min(...d), Math.max(...d)];
      const slack = 2 ** -48 * (1 + Math.abs(low) + Math.abs(high) + firstLow[i]!);
      expect([lower[i], upper[i]]).toEqual([low - slack, high + slack]);
    }
  });

  it('the paired cross-entropy bounds hold the loss differences of huge logits, where lse f rounds the loss away', () => {
    const huge = matrix([
      [1e308, 1e308, 1e308],
      [1e300, 1e300, 1e300],
      [1e150, 1e150 + 1e140, 1e150],
      [1e17, 1e17, 1e17 + 16],
      [1e7, 1e7 + 0.5, 1e7 - 3],
      [-1e300, -1e300, -1e300],
    ]);
    const ordinary = matrix(Array.from({ length: huge.rows }, (_, i) => [Math.sin(i) * 3, Math.cos(i) * 2, i / 4]));
    for (const [first, second] of [
      [ordinary, huge],
      [huge, ordinary],
      [huge, huge],
    ]) {
      const { lower, upper } = pairedDifferenceBounds(first, second, 'cross-entropy');
      for (let i = 0; i < huge.rows; i++) {
        const one = (m: typeof huge, k: number) =>
          lossPerItem({ data: m.data.subarray(i * 3, i * 3 + 3), rows: 1, cols: 3 }, Int32Array.of(k))[0]!;
        const d = [0, 1, 2].map((k) => one(first, k) - one(second, k));
        const [low, high] = [Math.min(...d), Math.max(...d)];
        // Within the bounds' own slack, relative to the losses: no rounding of the logits' size.
        const slack = 1e-13 * (1 + Math.abs(low) + Math.abs(high));
        expect(lower[i]).toBeLessThanOrEqual(low);
        expect(upper[i]).toBeGreaterThanOrEqual(high);
        expect(low - lower[i]!).toBeLessThan(slack);
        expect(upper[i]! - high).toBeLessThan(slack);
      }
    }
    // Equal logits: every loss is log 3, so the difference against [0, 0, 0] is 0 at every label.
    const equal = pairedDifferenceBounds(matrix([[0, 0, 0]]), matrix([[1e308, 1e308, 1e308]]), 'cross-entropy');
    expect(Math.abs(equal.lower[0]!)).toBeLessThan(1e-14);
    expect(Math.abs(equal.upper[0]!)).toBeLessThan(1e-14);
  });

  it("the paired Brier difference's bounds use both softmaxes, bit for bit", () => {
    const { lower, upper } = pairedDifferenceBounds(scores, other, 'brier');
    const firstLow = lossBounds(scores, 'brier').lower;
    for (let i = 0; i < rows; i++) {
      const [pr, rr] = [row(p, i), row(r, i)];
      let constant = 0;
      for (let k = 0; k < cols; k++) constant += pr[k]! * pr[k]! - rr[k]! * rr[k]!;
      const d = Array.from(pr, (v, k) => constant - 2 * (v - rr[k]!));
      const [low, high] = [Math.min(...d), Math.max(...d)];
      const slack = 2 ** -48 * (1 + Math.abs(low) + Math.abs(high) + firstLow[i]!);
      expect([lower[i], upper[i]]).toEqual([low - slack, high + slack]);
    }
  });
});
