import { describe, expect, it } from 'vitest';
import { ActiveTestingSession, InputError, simulate } from '../../src/index.js';
import { ReceivedKind } from '../../src/errors.js';
import { matrixView, toLabels, toMatrix } from '../../src/matrix.js';

// 4 items of 2 classes, flat, as a scoring result or readNpy holds them.
const data = Float64Array.of(2, 0, 0, 2, 1, 0, 0, 1);
const labels = [0, 1, 0, 1];
const SCORES_SHAPE = 'a list of sizes [N, K], each an integer ≥ 0 (a Matrix { data, rows, cols } needs no shape)';
const LABELS_SHAPE = 'a list of sizes [N] or [N, K], each an integer ≥ 0';

describe('the shape of flat scores and labels', () => {
  it('refuses a missing shape by its argument, not with a TypeError', async () => {
    // `{ data: m.data, shape: m.shape }` from a Matrix, which has rows and cols: shape is undefined.
    for (const read of [toMatrix, matrixView]) {
      expect(() => read({ data, shape: undefined } as never, 'modelScores')).toThrow(
        new InputError({ argument: 'modelScores.shape', expected: SCORES_SHAPE, received: new ReceivedKind('undefined') }),
      );
      expect(() => read({ data, shape: undefined } as never, 'modelScores')).toThrow(
        `modelScores.shape: expected ${SCORES_SHAPE}, got undefined`,
      );
      expect(() => read({ data, shape: null } as never, 'surrogateScores')).toThrow(
        `surrogateScores.shape: expected ${SCORES_SHAPE}, got null`,
      );
    }
    expect(() => toLabels({ data: labels, shape: undefined } as never, 'labels', 4, 2)).toThrow(
      `labels.shape: expected ${LABELS_SHAPE}, got undefined`,
    );
  });

  it('refuses sizes that are not integers ≥ 0 up front, strings included', () => {
    for (const shape of [['4', '2'], [Number.NaN, 2], [-4, -2], [2.5, 2], [4, Infinity], { 0: 4, 1: 2, length: 2 }]) {
      expect(() => toMatrix({ data, shape } as never, 'modelScores')).toThrow(/^modelScores\.shape: expected a list of sizes \[N, K\]/);
    }
    expect(() => toMatrix({ data, shape: ['4', '2'] } as never, 'modelScores')).toThrow(
      `modelScores.shape: expected ${SCORES_SHAPE}, got ["4", "2"]`,
    );
    for (const shape of [['4'], [-4], [4.5], [Number.NaN]]) {
      expect(() => toLabels({ data: labels, shape } as never, 'labels', 4, 2)).toThrow(
        /^labels\.shape: expected a list of sizes \[N\] or \[N, K\]/,
      );
    }
    // An ndarray-like object is read by its shape too.
    const ndarrayLike = { shape: ['4', '2'], stride: [2, 1], get: () => 0 };
    expect(() => toMatrix(ndarrayLike as never, 'modelScores')).toThrow(/^modelScores\.shape: expected a list of sizes/);
    expect(() => toLabels(ndarrayLike as never, 'labels', 4, 2)).toThrow(/^labels\.shape: expected a list of sizes/);
  });

  it('still refuses a shape that does not fit the data, and reads one that does', () => {
    expect(() => toMatrix({ data, shape: [3, 2] }, 'modelScores')).toThrow('modelScores: expected 6 values for shape [3, 2], got 8');
    expect(() => toMatrix({ data, shape: [8] }, 'modelScores')).toThrow('modelScores: expected a 2-D array (N×K), got shape [8]');
    expect(toMatrix({ data, shape: [4, 2] }, 'modelScores')).toEqual({ data, rows: 4, cols: 2 });
    expect(toLabels({ data: Int32Array.from(labels), shape: [4] }, 'labels', 4, 2)).toEqual(Int32Array.from(labels));
  });

  it('reads a shape given as a typed array, as ndarray libraries hold it', () => {
    expect(toMatrix({ data, shape: Int32Array.of(4, 2) } as never, 'modelScores')).toEqual({ data, rows: 4, cols: 2 });
    expect(toLabels({ data: Int32Array.from(labels), shape: Uint32Array.of(4) } as never, 'labels', 4, 2)).toEqual(Int32Array.from(labels));
    const ndarrayLike = { shape: Int32Array.of(4, 2), stride: [2, 1], get: (i: number, k: number) => data[i * 2 + k] };
    expect(toMatrix(ndarrayLike as never, 'modelScores')).toEqual({ data, rows: 4, cols: 2 });
    expect(() => toMatrix({ data, shape: new DataView(new ArrayBuffer(8)) } as never, 'modelScores')).toThrow(
      /^modelScores\.shape: expected/,
    );
  });

  it('simulate and ActiveTestingSession.create name the input whose shape is missing', async () => {
    const pool = { modelScores: { data, shape: [4, 2] }, labels };
    await expect(simulate({ ...pool, modelScores: { data, shape: undefined } as never }, { runs: 1 })).rejects.toThrow(
      `modelScores.shape: expected ${SCORES_SHAPE}, got undefined`,
    );
    await expect(simulate({ ...pool, modelScores: { data, shape: ['4', '2'] } as never }, { runs: 1 })).rejects.toThrow(
      /^modelScores\.shape: /,
    );
    await expect(simulate({ ...pool, surrogateScores: { data, shape: null } as never }, { runs: 1 })).rejects.toThrow(
      /^surrogateScores\.shape: /,
    );
    await expect(simulate({ ...pool, labels: { data: labels, shape: ['4'] } as never }, { runs: 1 })).rejects.toThrow(/^labels\.shape: /);
    await expect(
      simulate(
        { ...pool, surrogateScores: pool.modelScores },
        { runs: 1, calibration: { scores: { data, shape: undefined } as never, labels } },
      ),
    ).rejects.toThrow(/\.shape: expected a list of sizes \[N, K\]/);
    const session = { texts: ['a', 'b', 'c', 'd'], classes: ['x', 'y'] };
    await expect(ActiveTestingSession.create(null, { ...session, modelScores: { data, shape: undefined } as never })).rejects.toThrow(
      `modelScores.shape: expected ${SCORES_SHAPE}, got undefined`,
    );
  });
});
