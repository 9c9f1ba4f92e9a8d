import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { matrixView, toLabels, toMatrix } from '../src/matrix.js';

const expected = Float64Array.from([1, 2, 3, 4, 5, 6]);

describe('toMatrix', () => {
  it('reads every supported form into the same row-major matrix', () => {
    const forms = [
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [Float32Array.from([1, 2]), Float32Array.from([3, 4]), Float32Array.from([5, 6])],
      { data: [1, 2, 3, 4, 5, 6], shape: [3, 2] as const },
      // Flat typed arrays with a shape, as readNpy returns them: every dtype it reads, int64 included.
      ...[Float64Array, Float32Array, Int32Array, Int8Array, Uint16Array].map((Type) => ({
        data: Type.from([1, 2, 3, 4, 5, 6]),
        shape: [3, 2],
      })),
      { data: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]), shape: [3, 2] },
      { data: Float64Array.from([1, 2, 3, 4, 5, 6]), rows: 3, cols: 2 },
      ndarray(Float64Array.from([1, 2, 3, 4, 5, 6]), [3, 2]),
      ndarray(Float64Array.from([1, 3, 5, 2, 4, 6]), [3, 2], [1, 3]),
    ];
    for (const form of forms) {
      const m = toMatrix(form, 'scores');
      expect([m.rows, m.cols]).toEqual([3, 2]);
      expect(m.data).toEqual(expected);
    }
  });

  it('names the argument and the row of a non-finite score', () => {
    const error = (() => {
      try {
        toMatrix(
          [
            [0, 1],
            [Number.NaN, 1],
          ],
          'modelScores',
        );
      } catch (e) {
        return e;
      }
    })() as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.argument).toBe('modelScores');
    expect(error.row).toBe(1);
    expect(error.message).toBe('modelScores (row 1): expected finite values, got NaN');
  });

  it('refuses ragged rows, one class, an empty pool and a wrong flat length', () => {
    expect(() => toMatrix([[0, 1], [2]], 'f')).toThrow(/f \(row 1\): expected 2 values per row/);
    expect(() => toMatrix([[0], [1]], 'f')).toThrow(/at least 2 classes/);
    expect(() => toMatrix([], 'f')).toThrow(/non-empty pool/);
    expect(() => toMatrix({ data: [1, 2, 3], shape: [2, 2] }, 'f')).toThrow(/4 values for shape/);
    expect(() => toMatrix({ data: Float32Array.of(0, 1, 2, Number.POSITIVE_INFINITY), shape: [2, 2] }, 'f')).toThrow(
      /f \(row 1\): expected finite values, got Infinity/,
    );
  });

  it('says why −Infinity (log 0, a class ruled out) is refused and what to give instead', () => {
    expect(() => toMatrix({ data: Float64Array.of(0, -1, Number.NEGATIVE_INFINITY, 0), shape: [2, 2] }, 'f')).toThrow(
      'f (row 1): expected finite values (−Infinity rules a class out, an infinite cross-entropy where it is the label: give it a finite floor, e.g. log-probabilities clipped at log(1e-12) ≈ −27.6), got -Infinity',
    );
  });

  it('copies a flat typed array: the matrix does not share its memory', () => {
    const data = Float64Array.of(1, 2, 3, 4);
    const m = toMatrix({ data, shape: [2, 2] }, 'f');
    data[0] = 9;
    expect(m.data[0]).toBe(1);
  });
});

describe('matrixView', () => {
  it('shares a Float64Array given with a shape or as a Matrix, and copies any other form', () => {
    const data = Float64Array.of(1, 2, 3, 4, 5, 6);
    expect(matrixView({ data, shape: [3, 2] }, 'f').data).toBe(data);
    expect(matrixView({ data, rows: 3, cols: 2 }, 'f').data).toBe(data);
    expect(matrixView({ data, shape: [3, 2] }, 'f')).toEqual({ data: expected, rows: 3, cols: 2 });
    const single = Float32Array.of(1, 2, 3, 4, 5, 6);
    const converted = matrixView({ data: single, shape: [3, 2] }, 'f');
    expect(converted.data).toBeInstanceOf(Float64Array);
    expect(converted.data).toEqual(expected);
    expect(matrixView(ndarray(data, [3, 2]), 'f').data).not.toBe(data);
  });

  it('checks what toMatrix checks', () => {
    expect(() => matrixView({ data: Float64Array.of(0, 1, Number.NaN, 1), shape: [2, 2] }, 'g')).toThrow(
      /g \(row 1\): expected finite values, got NaN/,
    );
    expect(() => matrixView({ data: Float64Array.of(0, 1, 2), shape: [2, 2] }, 'g')).toThrow(/4 values for shape/);
    expect(() => matrixView({ data: Float64Array.of(0, 1), shape: [2, 1] }, 'g')).toThrow(/at least 2 classes/);
  });

  it('refuses missing scores and a file path with an InputError naming the argument', () => {
    for (const input of [undefined, null, 'scores.npy', 3]) {
      expect(() => toMatrix(input as never, 'modelScores')).toThrow(InputError);
      expect(() => toMatrix(input as never, 'modelScores')).toThrow(/^modelScores: expected an N×K array of scores/);
    }
  });
});

describe('toLabels', () => {
  it('reads class indices, booleans, one-hot rows and ndarrays', () => {
    const want = Int32Array.from([1, 0, 2]);
    expect(toLabels([1, 0, 2], 'y', 3, 3)).toEqual(want);
    expect(
      toLabels(
        [
          [0, 1, 0],
          [1, 0, 0],
          [0, 0, 1],
        ],
        'y',
        3,
        3,
      ),
    ).toEqual(want);
    expect(toLabels(ndarray(Int32Array.from([1, 0, 2])), 'y', 3, 3)).toEqual(want);
    expect(toLabels(ndarray(Float64Array.from([0, 1, 0, 1, 0, 0, 0, 0, 1]), [3, 3]), 'y', 3, 3)).toEqual(want);
    // A column of class indices (N×1), as a pool's .npy labels file may hold it.
    expect(toLabels([[1], [0], [2]], 'y', 3, 3)).toEqual(want);
    expect(toLabels({ data: Int32Array.from([1, 0, 2]), shape: [3, 1] }, 'y', 3, 3)).toEqual(want);
    expect(toLabels(ndarray(Int32Array.from([1, 0, 2]), [3, 1]), 'y', 3, 3)).toEqual(want);
    expect(() => toLabels([[1], [3], [2]], 'y', 3, 3)).toThrow('y (row 1): expected a class index in [0, 2], got 3');
  });

  it('refuses labels out of range, wrong counts and rows that are not one-hot', () => {
    expect(() => toLabels([0, 2], 'labels', 2, 2)).toThrow('labels (row 1): expected a class index in [0, 1], got 2');
    expect(() => toLabels([0.5, 1], 'labels', 2, 2)).toThrow(/row 0/);
    expect(() => toLabels([0, 1, 1], 'labels', 2, 2)).toThrow('labels: expected 2 labels, one per row of the scores, got 3');
    // Scores of 5 items saved 2×5: the 5 labels are as many as the scores' columns.
    expect(() => toLabels([0, 1, 1, 0, 1], 'labels', 2, 5)).toThrow(
      'labels: expected 2 labels, one per row of the scores, got 5 (as many as the scores have columns: are the scores 2×5 with the items in their columns? give them 5×2, one row per item)',
    );
    // Scores of 100 items and 2 classes beside 2 labels: the labels are at fault, not the scores.
    expect(() => toLabels([0, 1], 'labels', 100, 2)).toThrow(/^labels: expected 100 labels, one per row of the scores, got 2$/);
    expect(() =>
      toLabels(
        [
          [1, 1],
          [0, 1],
        ],
        'labels',
        2,
        2,
      ),
    ).toThrow(/row 0\): expected a one-hot row/);
  });

  it('refuses missing labels and a file path with an InputError naming the argument', () => {
    for (const input of [undefined, null, 'labels.npy']) {
      expect(() => toLabels(input as never, 'labels', 3, 2)).toThrow(InputError);
      expect(() => toLabels(input as never, 'labels', 3, 2)).toThrow(/^labels: expected class indices \(N\) or one-hot rows/);
    }
  });
});

describe('toMatrix given what is not an N×K array', () => {
  it('says a flat array needs its shape, instead of "expected 0 values per row"', () => {
    expect(() => toMatrix([1, 2, 3, 4] as never, 'modelScores')).toThrow(
      'modelScores: expected an N×K array of scores (nested arrays, { data, shape } as readNpy returns, an ndarray or a Matrix); a flat array needs its shape, { data, shape: [N, K] }, got a flat array of 4 values',
    );
    expect(() => toMatrix(Float64Array.of(1, 2, 3, 4) as never, 'modelScores')).toThrow(/got a flat Float64Array of 4 values$/);
  });

  it('refuses an object that is no array, and names the scores when no argument is given', () => {
    expect(() => toMatrix({} as never)).toThrow(
      new InputError({
        argument: 'scores',
        expected: 'an N×K array of scores (nested arrays, { data, shape } as readNpy returns, an ndarray or a Matrix)',
        received: {},
      }),
    );
  });

  it('still reads nested rows', () => {
    expect(
      toMatrix([
        [1, 2],
        [3, 4],
      ]),
    ).toEqual({ data: Float64Array.of(1, 2, 3, 4), rows: 2, cols: 2 });
  });
});

describe('values that are not numbers', () => {
  // A JSON round trip writes NaN as null, and a CSV's empty cell reads as "": converted by
  // Float64Array or Number they would be the score 0 or the class 0, without a word.
  it('refuses null, strings and booleans among scores in every plain-array form, naming the row', () => {
    expect(() =>
      toMatrix(
        [
          [1, 2],
          [null, 1],
        ] as never,
        'modelScores',
      ),
    ).toThrow(new InputError({ argument: 'modelScores', expected: 'numbers', received: null, row: 1 }));
    expect(() =>
      toMatrix(
        [
          [1, '2'],
          [3, 4],
        ] as never,
        'f',
      ),
    ).toThrow('f (row 0): expected numbers, got "2"');
    expect(() =>
      toMatrix(
        [
          [true, 2],
          [3, 4],
        ] as never,
        'f',
      ),
    ).toThrow('f (row 0): expected numbers, got true');
    expect(() => toMatrix({ data: [1, 2, 3, null], shape: [2, 2] } as never, 'f')).toThrow('f (row 1): expected numbers, got null');
    expect(() => toMatrix({ data: [1, null, 3, 4], rows: 2, cols: 2 } as never, 'f')).toThrow('f (row 0): expected numbers, got null');
    expect(() => toMatrix(ndarray([1, 2, null, 4] as never, [2, 2]), 'f')).toThrow('f (row 1): expected numbers, got null');
  });

  it('reads an ndarray of bigints (int64 data) as numbers, and refuses a missing row', () => {
    expect(toMatrix(ndarray(BigInt64Array.of(1n, 2n, 3n, 4n) as never, [2, 2]), 'f').data).toEqual(Float64Array.of(1, 2, 3, 4));
    expect(() => toMatrix([[1, 2], null] as never, 'f')).toThrow(
      new InputError({ argument: 'f', expected: '2 values per row', received: null, row: 1 }),
    );
  });

  it('refuses null, strings and missing rows among labels instead of reading class 0 or throwing a TypeError', () => {
    expect(() => toLabels(['', '1'] as never, 'labels', 2, 2)).toThrow('labels (row 0): expected a class index in [0, 1], got ""');
    expect(() => toLabels(['0', '1'] as never, 'labels', 2, 2)).toThrow(
      'labels (row 0): expected a class index in [0, 1], got "0" (class indices are numbers: did you mean 0?)',
    );
    expect(() => toLabels(['neg', 'pos'] as never, 'labels', 2, 2)).toThrow(
      'labels (row 0): expected a class index in [0, 1], got "neg" (class indices are numbers: map each class name to its index)',
    );
    expect(() => toLabels([' 1', '0'] as never, 'labels', 2, 2)).toThrow(
      'labels (row 0): expected a class index in [0, 1], got " 1" (class indices are numbers: did you mean 1?)',
    );
    expect(() => toLabels(['7', '1'] as never, 'labels', 2, 2)).toThrow(
      'labels (row 0): expected a class index in [0, 1], got "7" (class indices are numbers)',
    );
    expect(() => toLabels([0, null] as never, 'labels', 2, 2)).toThrow('labels (row 1): expected a class index in [0, 1], got null');
    expect(() => toLabels({ data: [0, null], shape: [2] } as never, 'labels', 2, 2)).toThrow(
      'labels (row 1): expected a class index in [0, 1], got null',
    );
    expect(() => toLabels(ndarray([0, null] as never, [2]), 'labels', 2, 2)).toThrow(
      'labels (row 1): expected a class index in [0, 1], got null',
    );
    expect(() => toLabels([[1, 0], null] as never, 'labels', 2, 2)).toThrow(
      'labels (row 1): expected a one-hot row of length 2, as row 0, got null',
    );
  });

  it('still reads booleans and bigints as class indices, and int64 one-hot rows', () => {
    expect(toLabels([false, true] as never, 'labels', 2, 2)).toEqual(Int32Array.of(0, 1));
    expect(toLabels(BigInt64Array.of(1n, 0n) as never, 'labels', 2, 2)).toEqual(Int32Array.of(1, 0));
    expect(toLabels({ data: BigInt64Array.of(0n, 1n, 1n, 0n), shape: [2, 2] }, 'labels', 2, 2)).toEqual(Int32Array.of(1, 0));
    // Named as stored, not rounded to the nearest double.
    expect(() => toLabels(BigInt64Array.of(0n, 9007199254740993n) as never, 'labels', 2, 2)).toThrow(
      'labels (row 1): expected a class index in [0, 1], got 9007199254740993',
    );
    expect(() => toLabels(Float32Array.of(0, Number.NaN), 'labels', 2, 2)).toThrow(
      'labels (row 1): expected a class index in [0, 1], got NaN',
    );
  });

  it('refuses labels that mix one-hot rows with class indices', () => {
    // [1] after a one-hot row would be read as class 1 of a column of indices.
    expect(() => toLabels([[1, 0], [1]], 'labels', 2, 2)).toThrow('labels (row 1): expected a one-hot row of length 2, as row 0, got [1]');
    expect(() => toLabels([[1], [0, 1]], 'labels', 2, 2)).toThrow(
      'labels (row 1): expected a class index in a row of its own, as row 0, got [0, 1]',
    );
    expect(() => toLabels([0, [0, 1]] as never, 'labels', 2, 2)).toThrow('labels (row 1): expected a class index, as row 0, got [0, 1]');
    expect(() => toLabels([[0, 1], 1] as never, 'labels', 2, 2)).toThrow(
      'labels (row 1): expected a one-hot row of length 2, as row 0, got 1',
    );
  });
});
