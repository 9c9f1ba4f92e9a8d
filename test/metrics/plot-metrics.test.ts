import { describe, expect, it } from 'vitest';
import {
  allErrorsFrame,
  bias,
  bootstrapMse,
  coverage,
  errorSummary,
  labelsAtRows,
  logMse,
  meanBias,
  meanLogMse,
  meanVariance,
  median,
  medianSe,
  mse,
  percentile,
  rowMedian,
  rowPercentile,
  rowPercentiles,
  se,
  sma,
  variance,
} from '../../src/metrics/index.js';
import { barplotValues, relativeError, relativeLabellingCost } from '../../src/reference/index.js';
import { InputError } from '../../src/errors.js';
import { matrix } from '../helpers/matrix.js';
import { randomStream } from '../../src/random.js';
import { selectedMedian } from '../../src/metrics/percentile.js';

const list = (a: ArrayLike<number>) => Array.from(a);

describe('error summaries of a results matrix (rows × runs)', () => {
  const pred = matrix([
    [1, 3, 5],
    [2, 2, 8],
  ]);

  it('entry-wise: se, bias, logMse, variance', () => {
    expect(list(se(pred, 2).data)).toEqual([1, 1, 9, 0, 0, 36]);
    expect(list(bias(pred, 2).data)).toEqual([-1, 1, 3, 0, 0, 6]);
    expect(list(logMse(pred, 2).data)).toEqual([0, 0, Math.log(9), -Infinity, -Infinity, Math.log(36)]);
    expect(list(variance(pred).data)).toEqual([4, 0, 4, 4, 4, 16]);
  });

  it('per row: mse, medianSe, meanBias, meanVariance, meanLogMse', () => {
    expect(list(mse(pred, 2))).toEqual([11 / 3, 12]);
    expect(list(medianSe(pred, 2))).toEqual([1, 0]);
    expect(list(meanBias(pred, 2))).toEqual([1, 2]);
    expect(list(meanVariance(pred))).toEqual([8 / 3, 8]);
    expect(meanLogMse(pred, 2)[0]).toBeCloseTo(Math.log(9) / 3, 15);
    expect(meanLogMse(pred, 2)[1]).toBe(-Infinity);
    expect(list(errorSummary(pred, 2, 'medianSe'))).toEqual([1, 0]);
  });

  it('labels behind each row are k·step + 1', () => {
    expect(list(labelsAtRows(4, 3))).toEqual([1, 4, 7, 10]);
    expect(() => labelsAtRows(4, 0)).toThrow(/step/);
  });
});

describe('percentile and median (numpy linear method)', () => {
  it('matches numpy', () => {
    // np.percentile values from numpy 1.24.
    expect(percentile([1, 2, 3, 4], 45)).toBe(2.35);
    expect(percentile([1, 2, 3, 4], 55)).toBe(2.6500000000000004);
    expect(percentile([0.3, 0.1, 0.7, 0.2, 0.9], 45)).toBe(0.28);
    expect(percentile([0.3, 0.1, 0.7, 0.2, 0.9], 55)).toBe(0.38000000000000006);
    expect(
      percentile(
        Array.from({ length: 10 }, (_, i) => i / 7),
        45,
      ),
    ).toBe(0.5785714285714285);
    expect(percentile([5], 45)).toBe(5);
    expect(percentile([1, 2], 100)).toBe(2);
    expect(median([0.3, 0.1, 0.7, 0.2])).toBe(0.25);
    expect(median([3, 1, 2])).toBe(2);
  });

  it('is NaN when a value is NaN, and rejects q outside [0, 100] or no values', () => {
    expect(median([1, Number.NaN, 2])).toBeNaN();
    expect(percentile([1, Number.NaN], 10)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(/q/);
    expect(() => median([])).toThrow(/values/);
  });

  it('per row', () => {
    const m = matrix([
      [4, 1, 3, 2],
      [1, 2, 3, 4],
    ]);
    expect(list(rowMedian(m))).toEqual([2.5, 2.5]);
    expect(list(rowPercentile(m, 45))).toEqual([2.35, 2.35]);
  });

  it('several per row from one sort each: the same bits as one rowPercentile per q, NaN rows included', () => {
    const u = randomStream(20261205, [0]);
    const rows = 7;
    const cols = 1001;
    const data = Float64Array.from({ length: rows * cols }, () => (u() < 0.3 ? Math.floor(u() * 3) : u() - 0.5));
    data[3 * cols + 17] = Number.NaN;
    const m = { data, rows, cols };
    const qs = [0, 45, 50, 55, 100];
    const together = rowPercentiles(m, qs);
    qs.forEach((q, j) => expect(list(together[j]!)).toEqual(list(rowPercentile(m, q))));
    expect(Number.isNaN(together[1]![3])).toBe(true);
    expect(() => rowPercentiles(m, [45, 101])).toThrow(/q: expected a percentile in \[0, 100\], got 101/);
  });

  it('by selection equals the sorted median: seeded rows of odd and even lengths, with ties, zeros of both signs and NaN', () => {
    const u = randomStream(20261203, [0]);
    // Equal as numbers: −0 and +0 alike (selection does not order them, and JSON writes both as 0); NaN with NaN.
    const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
    let nans = 0;
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(u() * 40);
      // Few distinct values half the time, so that ties sit at the middle.
      const distinct = u() < 0.5 ? 3 : 1e9;
      const values = Float64Array.from({ length: n }, () => {
        const x = Math.floor(u() * distinct) - 1;
        return x === 0 && u() < 0.5 ? -0 : x * (1 + u());
      });
      if (trial % 10 === 0) values[Math.floor(u() * n)] = Number.NaN;
      const expected = median(values);
      if (Number.isNaN(expected)) nans++;
      expect(same(selectedMedian(values.slice()), expected), `${values.join(', ')}`).toBe(true);
      expect(same(rowMedian({ data: values, rows: 1, cols: n })[0], expected)).toBe(true);
    }
    expect(nans).toBe(30);
  });

  it('by selection equals the sorted median on long rows: in the band, outside it (sorted, few distinct values) and with NaN', () => {
    const u = randomStream(20261204, [0]);
    const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
    const rows: Float64Array[] = [];
    for (let trial = 0; trial < 60; trial++) {
      const n = 1024 + Math.floor(u() * 3000);
      const distinct = trial % 3 === 0 ? 4 : 1e9;
      const row = Float64Array.from({ length: n }, () => (Math.floor(u() * distinct) - distinct / 2) * (1 + u()) ** 3);
      if (trial % 5 === 0) row[Math.floor(u() * n)] = Number.NaN;
      rows.push(row);
    }
    // Sorted rows, one value, and rows whose evenly spaced sample (every 16th value from the 8th at
    // n = 2048) holds only the largest values: there the band misses the middle.
    const ascending = Float64Array.from({ length: 2048 }, (_, i) => i);
    const periodic = Float64Array.from({ length: 2048 }, (_, i) => (i % 16 === 8 ? 1e6 + i : i));
    rows.push(ascending, ascending.slice().reverse(), new Float64Array(1500).fill(7), periodic, periodic.slice(0, 2047));
    for (const row of rows) {
      const expected = median(row);
      expect(same(selectedMedian(row.slice()), expected)).toBe(true);
      expect(same(rowMedian({ data: row, rows: 1, cols: row.length })[0], expected)).toBe(true);
    }
    expect(rows.filter((row) => Number.isNaN(median(row))).length).toBe(12);
  });
});

describe('sma', () => {
  it('is a trailing mean shortened at the start', () => {
    expect(list(sma([1, 2, 3, 4], 2))).toEqual([1, 1.5, 2.5, 3.5]);
    expect(list(sma([1, 2, 3, 4], 10))).toEqual([1, 1.5, 2, 2.5]);
    const m = sma(
      matrix([
        [1, 10],
        [3, 30],
        [5, 50],
      ]),
      2,
    );
    expect(list(m.data)).toEqual([1, 10, 2, 20, 4, 40]);
  });

  it('rejects a window that is not an integer ≥ 1', () => {
    expect(() => sma([1, 2], 0)).toThrow(/^length: expected a window length \(an integer ≥ 1\), got 0$/);
    expect(() => sma([1, 2], 1.5)).toThrow(/length/);
  });
});

describe('comparisons with random labelling', () => {
  // Single-run matrices make the per-row mse equal the squared error.
  const iid = matrix([[4], [3], [2], [1]]).data.map(Math.sqrt);
  const iidMatrix = { data: iid, rows: 4, cols: 1 };
  const pred = { data: Float64Array.of(2, 1, 1, 0.5).map(Math.sqrt), rows: 4, cols: 1 };

  it('relativeError is loss(pred)/loss(iid) per row, at labels k·step + 1 (or 0-based positions)', () => {
    const curve = relativeError(pred, iidMatrix, 0, { step: 5 });
    expect(curve.values[0]).toBeCloseTo(0.5, 15);
    expect(curve.values[3]).toBeCloseTo(0.5, 15);
    expect(curve.values[1]).toBeCloseTo(1 / 3, 15);
    expect(list(curve.x)).toEqual([1, 6, 11, 16]);
    expect(list(relativeError(pred, iidMatrix, 0, { xAxis: 'reference', xlim: 2 }).x)).toEqual([0, 1]);
  });

  it('relativeLabellingCost: labels needed to match random labelling, as a fraction of the budget', () => {
    // iid errors 4,3,2,1; pred errors 2,1,1,0.5: matching iid at budget 1 (error 4) takes 1 label, at
    // budget 2 (3) 1 label, at budget 3 (2) 1 label, at budget 4 (1) 2 labels.
    const curve = relativeLabellingCost(pred, iidMatrix, 0);
    expect(curve.values[0]).toBeCloseTo(1, 15);
    expect(curve.values[1]).toBeCloseTo(1 / 2, 15);
    expect(curve.values[2]).toBeCloseTo(1 / 3, 15);
    expect(curve.values[3]).toBeCloseTo(2 / 4, 15);
    expect(list(curve.x)).toEqual([1, 2, 3, 4]);
  });

  it('relativeLabellingCost drops budgets never matched; x keeps the budgets (reference re-indexes, B-V3)', () => {
    const worse = { data: Float64Array.of(5, 5, 2.5, 2.5).map(Math.sqrt), rows: 4, cols: 1 };
    // Errors 5, 5, 2.5, 2.5 against iid 4, 3, 2, 1: budgets 0 and 1 are matched at row 2 (21 labels), 2 and 3 never.
    const corrected = relativeLabellingCost(worse, iidMatrix, 0, { step: 10 });
    expect(list(corrected.x)).toEqual([1, 11]);
    expect(corrected.values[0]).toBeCloseTo(21, 13);
    expect(corrected.values[1]).toBeCloseTo(21 / 11, 14);
    expect(list(relativeLabellingCost(worse, iidMatrix, 0, { xAxis: 'reference' }).x)).toEqual([0, 1]);
  });

  it("both take a simulation's labels per row, whose last row is after all its labels", () => {
    // Rows at 1, 11, 21 and, the step skipping it, 25 labels (a simulation's labelsPerRow at size 25, step 10).
    const labelsPerRow = Int32Array.of(1, 11, 21, 25);
    expect(list(relativeError(pred, iidMatrix, 0, { step: labelsPerRow }).x)).toEqual([1, 11, 21, 25]);
    expect(list(relativeError(pred, iidMatrix, 0, { step: labelsPerRow, xlim: 2 }).x)).toEqual([1, 11]);
    const cost = relativeLabellingCost(pred, iidMatrix, 0, { step: labelsPerRow });
    expect(list(cost.x)).toEqual([1, 11, 21, 25]);
    // Random labelling's error at 25 labels (1) is first matched by the method at row 1 (11 labels).
    expect(cost.values[3]).toBeCloseTo(11 / 25, 15);
    expect(() => relativeError(pred, iidMatrix, 0, { step: [1, 11] })).toThrow(
      "step: expected an integer ≥ 1 (labels between rows) or the labels behind each of pred's 4 rows, whole numbers ≥ 1 rising row by row, got 2 labels",
    );
  });

  it('barplotValues: first rows reaching iid error at each threshold, as differences over the last threshold', () => {
    // iid error at 2 labels is 3: pred (2, 1, 1, 0.5) is below it from row 0; iid at 4 labels is 1: row 1.
    expect(list(barplotValues(pred, iidMatrix, 0, [2, 4]))).toEqual([0, 0.25]);
    expect(list(barplotValues(pred, iidMatrix, 0, [1, 2, 3, 4], 'medianSe'))).toEqual([0, 0, 0, 0.25]);
    expect(() => barplotValues(pred, iidMatrix, 0, [5])).toThrow(/thresholds\[0\]/);
  });

  it('rejects matrices with different row counts', () => {
    expect(() => relativeError(pred, matrix([[1]]), 0)).toThrow(/iid/);
  });
});

describe('bootstrap quality and the long error table', () => {
  it('coverage counts runs whose ±1.96σ interval (or another multiple of σ) holds the target', () => {
    const estimates = matrix([[1, 2, 1.5, 3]]);
    const variances = matrix([[0.25, 0.04, 0, 0.5]]);
    // 1.96σ: 1 ± 0.98 yes; 2 ± 0.392 no; 1.5 ± 0 yes (bounds included); 3 ± 1.39 no. At 3σ all four hold it.
    expect(list(coverage(estimates, variances, 1.5))).toEqual([0.5]);
    // The default is the bootstrap's 1.96, not 2: 1 ± 1.96 misses 2.97, 1 ± 2 holds it.
    expect(list(coverage(matrix([[1]]), matrix([[1]]), 2.97))).toEqual([0]);
    expect(list(coverage(matrix([[1]]), matrix([[1]]), 2.97, 2))).toEqual([1]);
    expect(list(coverage(estimates, variances, 1.5, 3))).toEqual([1]);
    expect(list(coverage(matrix([[1], [3], [1]]), matrix([[1], [0], [1]]), 1.5, 2, 2))).toEqual([1, 0.5, 0.5]);
  });

  it('bootstrapMse is the median squared gap between bootstrap variance and actual squared error', () => {
    expect(list(bootstrapMse(matrix([[1, 2]]), matrix([[0.25, 1]]), 1))).toEqual([0.03125]);
    expect(() => bootstrapMse(matrix([[1, 2]]), matrix([[1]]), 1)).toThrow(/bootstrapVariance/);
  });

  it('allErrorsFrame lists every (row, run) at its label count', () => {
    const frame = allErrorsFrame(
      matrix([
        [1, 3],
        [2, 2],
      ]),
      2,
      5,
    );
    expect(list(frame.labels)).toEqual([1, 1, 6, 6]);
    expect(list(frame.squaredError)).toEqual([1, 1, 0, 0]);
    expect(list(frame.logSquaredError)).toEqual([0, 0, -Infinity, -Infinity]);
    // A simulation's rows as it recorded them (its labelsPerRow), the last one after all its labels.
    const pred = matrix([
      [1, 3],
      [2, 2],
      [0, 4],
    ]);
    expect(list(allErrorsFrame(pred, 2, Int32Array.of(1, 6, 8)).labels)).toEqual([1, 1, 6, 6, 8, 8]);
    expect(() => allErrorsFrame(pred, 2, [1, 6])).toThrow(
      "step: expected an integer ≥ 1 (labels between rows) or the labels behind each of pred's 3 rows, whole numbers ≥ 1 rising row by row, got 2 labels",
    );
    for (const [labels, bad] of [
      [[NaN, 6, 8], 'step[0]'],
      [[1, -3, 8], 'step[1]'],
      [[1, 6, 6], 'step[2]'],
      [[0, 6, 8], 'step[0]'],
      [[1, 6.5, 8], 'step[1]'],
    ] as const) {
      expect(() => allErrorsFrame(pred, 2, labels)).toThrow(new RegExp(`^${bad.replace(/[[\]]/g, '\\$&')}: expected`));
    }
  });
});

describe('rowMedian by selection', () => {
  it('equals the middle of the sorted row (mean of the two middles when even) on seeded rows with ties, and NaN with a NaN', () => {
    const u = randomStream(17, [0]);
    for (const cols of [1, 2, 3, 10, 11, 257, 1000]) {
      const rows = 6;
      const data = new Float64Array(rows * cols);
      for (let i = 0; i < data.length; i++) data[i] = i % 7 === 0 ? Math.floor(u() * 4) : u() * 10 - 5;
      const medians = rowMedian({ data, rows, cols });
      for (let r = 0; r < rows; r++) {
        const sorted = data.slice(r * cols, (r + 1) * cols).sort();
        const half = cols >> 1;
        expect(medians[r]).toBe(cols % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2);
      }
    }
    expect(rowMedian({ data: Float64Array.of(1, Number.NaN, 3), rows: 1, cols: 3 })[0]).toBeNaN();
  });
});

describe('error metrics refuse what a plain JS call can pass', () => {
  const good = matrix([[1, 3]]);
  const short = { data: Float64Array.of(1, 2, 3), rows: 2, cols: 2 };
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['se of null', () => se(null as never, 2), /^pred: expected a Matrix \{ data: Float64Array, rows, cols \}/],
    ['mse of nested arrays', () => mse([[1, 2]] as never, 2), /^pred: expected a Matrix/],
    ['medianSe with data ≠ rows·cols', () => medianSe(short, 2), /^pred: expected 4 values in data for 2×2, got 3$/],
    ['bias with a NaN target', () => bias(good, Number.NaN), /^target: expected a finite number, got NaN$/],
    ['meanBias with a string target', () => meanBias(good, '2' as never), /^target: expected a finite number, got "2"$/],
    ['logMse with fractional rows', () => logMse({ data: Float64Array.of(1, 2), rows: 0.5, cols: 4 }, 2), /^pred: expected a Matrix/],
    ['meanLogMse of a short matrix', () => meanLogMse(short, 2), /^pred: expected 4 values/],
    ['variance of undefined', () => variance(undefined as never), /^pred: expected a Matrix/],
    ['meanVariance of a plain-array matrix', () => meanVariance({ data: [1, 2], rows: 1, cols: 2 } as never), /^pred: expected a Matrix/],
    ['coverage of a non-matrix', () => coverage({} as never, good, 2), /^estimates: expected a Matrix/],
    ['coverage with a short variance', () => coverage(short, short, 2), /^estimates: expected 4 values/],
    ['coverage with Infinity as the target', () => coverage(good, good, Infinity), /^target: expected a finite number, got Infinity$/],
    [
      'coverage with a NaN multiplier',
      () => coverage(good, good, 2, Number.NaN),
      /^confidenceInterval: expected a finite number, got NaN$/,
    ],
    ['bootstrapMse with a non-matrix variance', () => bootstrapMse(good, 1 as never, 2), /^bootstrapVariance: expected a Matrix/],
    ['bootstrapMse with a NaN target', () => bootstrapMse(good, good, Number.NaN), /^target: expected a finite number/],
  ];
  it.each(cases)('%s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});
