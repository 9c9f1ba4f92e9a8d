import { describe, expect, it } from 'vitest';
import {
  accuracy,
  brierLossPerItem,
  crossEntropyLoss,
  differenceBounds,
  expectedBrierLoss,
  expectedZeroOneLoss,
  InputError,
  lossBounds,
  lossPerItem,
  pairedDifferenceBounds,
  softCrossEntropyLoss,
  softLossPerItem,
  softmaxClamp,
  zeroOneLossPerItem,
} from '../../src/index.js';

const scores = { data: Float64Array.of(2, 0, 0, 1), rows: 2, cols: 2 };
const withNaN = { data: Float64Array.of(2, 0, NaN, 1), rows: 2, cols: 2 };
const nested = [
  [2, 0],
  [0, 1],
];
const labels = Int32Array.of(0, 1);
const half = { data: Float64Array.of(0.5, 0.5, 0.5, 0.5), rows: 2, cols: 2 };

describe("the metrics' entry checks", () => {
  it.each([
    ['brierLossPerItem', () => brierLossPerItem(withNaN, labels)],
    ['lossPerItem', () => lossPerItem(withNaN, labels)],
    ['crossEntropyLoss', () => crossEntropyLoss(withNaN, labels)],
    ['expectedBrierLoss', () => expectedBrierLoss(withNaN, half)],
    ['softLossPerItem', () => softLossPerItem(withNaN, half)],
    ['softCrossEntropyLoss', () => softCrossEntropyLoss(withNaN, half)],
  ])('%s refuses a NaN score, naming its row, instead of returning NaN', (_name, call) => {
    expect(call).toThrow(new InputError({ argument: 'scores', expected: 'finite values', received: NaN, row: 1 }));
  });

  it.each([
    ['accuracy', () => accuracy(withNaN, labels)],
    ['zeroOneLossPerItem', () => zeroOneLossPerItem(withNaN, labels)],
    ['expectedZeroOneLoss', () => expectedZeroOneLoss(withNaN, half)],
  ])('%s (argmax-based) refuses a NaN score, which names no most probable class, and takes ±Infinity', (_name, call) => {
    expect(call).toThrow(new InputError({ argument: 'scores', expected: 'numbers, not NaN', received: NaN, row: 1 }));
    const infinite = { data: Float64Array.of(Infinity, 0, -Infinity, 1), rows: 2, cols: 2 };
    expect(accuracy(infinite, labels)).toBe(1);
    expect(Array.from(zeroOneLossPerItem(infinite, labels))).toEqual([0, 0]);
    expect(Array.from(expectedZeroOneLoss(infinite, half))).toEqual([0.5, 0.5]);
  });

  it.each([
    ['accuracy', () => accuracy(nested as never, labels)],
    ['lossPerItem', () => lossPerItem(null as never, labels)],
    ['expectedBrierLoss', () => expectedBrierLoss(nested as never, half)],
    ['expectedZeroOneLoss', () => expectedZeroOneLoss(scores, nested as never)],
    ['softLossPerItem', () => softLossPerItem(nested as never, half)],
    ['softmaxClamp', () => softmaxClamp(nested as never, null, 1e-15)],
    ['lossBounds', () => lossBounds(nested as never, 'zero-one')],
    ['pairedDifferenceBounds', () => pairedDifferenceBounds(scores, null as never, 'zero-one')],
  ])('%s refuses what is not a Matrix (toMatrix converts the other forms), instead of an empty result or a TypeError', (_name, call) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(
      /expected a Matrix \{ data: Float64Array, rows, cols \} \(toMatrix converts nested arrays, readNpy's \{ data, shape \} and ndarrays\)/,
    );
  });

  it('pairedDifferenceBounds names the scores that are not finite, the comparison as comparisonScores', () => {
    expect(() => pairedDifferenceBounds(scores, withNaN, 'cross-entropy')).toThrow(
      new InputError({ argument: 'comparisonScores', expected: 'finite values', received: NaN, row: 1 }),
    );
    expect(() => pairedDifferenceBounds(withNaN, scores, 'cross-entropy')).toThrow(
      new InputError({ argument: 'modelScores', expected: 'finite values', received: NaN, row: 1 }),
    );
  });

  it('lossBounds names the scores it is given, modelScores by default', () => {
    expect(() => lossBounds(withNaN, 'brier', 'comparisonScores')).toThrow(/^comparisonScores \(row 1\): expected finite values, got NaN$/);
    expect(() => lossBounds(withNaN, 'brier')).toThrow(/^modelScores \(row 1\): expected finite values, got NaN$/);
    const spread = { data: Float64Array.of(1e308, -1e308), rows: 1, cols: 2 };
    expect(() => lossBounds(spread, 'cross-entropy', 'comparisonScores')).toThrow(
      /^comparisonScores \(row 0\): expected scores whose loss bounds are finite/,
    );
  });

  it('lossBounds refuses a cross-entropy bound past 2^480/√N, where the error bars overflow, and keeps one just under it', () => {
    const limit = 2 ** 480 / Math.sqrt(2);
    const rows = (spread: number) => ({ data: Float64Array.of(0, 0, 0, -spread), rows: 2, cols: 2 });
    // 1e300 apart: finite bounds whose squares overflow (the bootstrap interval was [−∞, ∞]).
    expect(() => lossBounds(rows(1e300), 'cross-entropy')).toThrow(
      /^modelScores \(row 1\): expected scores whose loss bounds are finite and at most 2\^480\/√N = 2\.21e\+144 for N = 2 \(logits of one row less than that far apart\), got a cross-entropy upper bound of 1\.0\d*e\+300$/,
    );
    expect(() => lossBounds(rows(limit * (1 + 1e-9)), 'cross-entropy')).toThrow(/^modelScores \(row 1\)/);
    const kept = lossBounds(rows(limit * (1 - 1e-9)), 'cross-entropy').upper[1]!;
    expect(Math.abs(kept / (limit * (1 - 1e-9)) - 1)).toBeLessThan(1e-13);
    expect(kept).toBeLessThanOrEqual(limit);
  });

  it('differenceBounds refuses bounds of two lengths, and what is not bounds', () => {
    const two = lossBounds(scores, 'zero-one');
    const three = lossBounds({ data: new Float64Array(6), rows: 3, cols: 2 }, 'zero-one');
    expect(() => differenceBounds(two, three)).toThrow(
      new InputError({ argument: 'second', expected: '2 bounds, one per item of first', received: 3 }),
    );
    expect(() => differenceBounds(null as never, two)).toThrow(/^first: expected loss bounds \{ lower, upper \}/);
    expect(differenceBounds(two, two)).toEqual({ lower: Float64Array.of(-1, -1), upper: Float64Array.of(1, 1) });
  });

  it('still computes finite matrices', () => {
    expect(accuracy(scores, labels)).toBe(1);
    expect(Array.from(zeroOneLossPerItem(scores, labels))).toEqual([0, 0]);
    expect(
      softCrossEntropyLoss({ data: Float64Array.of(0, 0), rows: 1, cols: 2 }, { data: Float64Array.of(0.5, 0.5), rows: 1, cols: 2 }),
    ).toBeCloseTo(Math.LN2, 15);
  });
});
