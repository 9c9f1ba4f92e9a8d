import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCalibrationSet, loadSimulationPool } from '../../src/index.js';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
if (!hasNumpy) console.warn('NOTICE: skipping the pool files written by numpy (no python3 with numpy)');

const dir = mkdtempSync(join(tmpdir(), 'pool-numpy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Writes the pool files with numpy itself, in the layouts users save them in, and prints what numpy
 * reads back from each: scores as float64 row-major values, labels as class indices.
 */
const WRITE_POOL = `
import json, sys, numpy as np
out = sys.argv[1]
scores = np.array([[0.25, -1.5, 2.0], [3.0, 0.125, -0.75], [-2.5, 1.0, 0.5], [1e-3, -4.0, 7.25]])
labels = np.array([2, 0, 1, 1])
files = {
    'f4': scores.astype('<f4'), 'f8_big': scores.astype('>f8'), 'f4_big_fortran': np.asfortranarray(scores.astype('>f4')),
    'f2': scores.astype('<f2'), 'f8_v2': scores, 'f8_v3': scores,
    'y_i4': labels.astype('<i4'), 'y_i8': labels.astype('<i8'), 'y_u1': labels.astype('u1'), 'y_i8_big': labels.astype('>i8'),
    'y_onehot_fortran': np.asfortranarray(np.eye(3, dtype='u1')[labels]), 'y_bool': labels == 1,
    'y_f8': labels.astype('f8'), 'y_f4_column': labels.astype('f4').reshape(-1, 1), 'y_column': labels.reshape(-1, 1),
    'y_object': labels.astype(object), 'y_f8_nan': np.where(np.arange(4) == 2, np.nan, labels), 'y_f8_half': labels + 0.5,
    'f8_nan': np.where(np.arange(12).reshape(4, 3) == 7, np.nan, scores), 'f8_empty': np.zeros((0, 3)), 'y_empty': np.zeros(0, 'i8'),
    'y_row': labels.reshape(1, -1),
}
for name, array in files.items():
    with open(f'{out}/{name}.npy', 'wb') as f:
        version = {'f8_v2': (2, 0), 'f8_v3': (3, 0)}.get(name)
        np.lib.format.write_array(f, array, version=version, allow_pickle=name == 'y_object')
read = {name: np.load(f'{out}/{name}.npy', allow_pickle=name == 'y_object') for name in files}
print(json.dumps({name: a.astype('f8').ravel().tolist() for name, a in read.items() if name not in ('y_object', 'f8_nan', 'y_f8_nan')}))
`;

describe.skipIf(!hasNumpy)('pool files written by numpy', () => {
  const written = spawnSync(PYTHON, ['-c', WRITE_POOL, dir], { encoding: 'utf8' });
  const numpy = (hasNumpy ? JSON.parse(written.stdout) : {}) as Record<string, number[]>;
  const file = (name: string): string => join(dir, `${name}.npy`);

  it('are read as numpy reads them, whatever the dtype, byte order, memory order and format version', async () => {
    expect(written.stderr).toBe('');
    for (const scores of ['f4', 'f8_big', 'f4_big_fortran', 'f2', 'f8_v2', 'f8_v3']) {
      for (const labels of ['y_i4', 'y_i8', 'y_u1', 'y_i8_big', 'y_onehot_fortran']) {
        const pool = await loadSimulationPool({ modelScores: file(scores), labels: file(labels) });
        expect([pool.modelScores.rows, pool.modelScores.cols]).toEqual([4, 3]);
        expect(Array.from(pool.modelScores.data)).toEqual(numpy[scores]);
        expect(Array.from(pool.labels)).toEqual([2, 0, 1, 1]);
      }
    }
    const bool = await loadSimulationPool({ modelScores: file('f8_v2'), labels: file('y_bool') });
    expect(Array.from(bool.labels)).toEqual(numpy.y_bool);
  });

  it('take a column of class indices (N×1, as a one-column DataFrame gives) as the indices', async () => {
    const pool = await loadSimulationPool({ modelScores: file('f8_v2'), labels: file('y_column') });
    expect(Array.from(pool.labels)).toEqual(numpy.y_column);
    expect(Array.from(pool.labels)).toEqual([2, 0, 1, 1]);
  });

  it('take float class indices that are whole numbers (a label column that went through float) as the indices', async () => {
    for (const labels of ['y_f8', 'y_f4_column']) {
      const pool = await loadSimulationPool({ modelScores: file('f8_v2'), labels: file(labels) });
      expect(Array.from(pool.labels)).toEqual(numpy[labels]);
      expect(Array.from(pool.labels)).toEqual([2, 0, 1, 1]);
    }
  });

  it.each([
    ['NaN labels', 'f8_v2', 'y_f8_nan', `labels: ${file('y_f8_nan')}: row 2 (counting from 0): expected a class index in [0, 2], got NaN`],
    [
      'fractional labels',
      'f8_v2',
      'y_f8_half',
      `labels: ${file('y_f8_half')}: row 0 (counting from 0): expected a class index in [0, 2], got 2.5`,
    ],
    ['object labels', 'f8_v2', 'y_object', `labels: ${file('y_object')}: not a readable .npy file: unsupported dtype '|O'`],
    ['a NaN score', 'f8_nan', 'y_i8', `modelScores: ${file('f8_nan')}: row 2 (counting from 0): expected finite values, got NaN`],
    ['an empty pool', 'f8_empty', 'y_empty', 'modelScores: expected a non-empty pool (N ≥ 1 rows), got 0'],
    // y[None] or a transposed column: its message named only one-hot rows, as if indices were not taken.
    [
      'a row of labels (1×N)',
      'f8_v2',
      'y_row',
      'labels: expected class indices, shape (4) or (4, 1), or one-hot rows, shape (4, 3), got shape (1, 4)',
    ],
  ])('refuse %s, naming the option', async (_, scores, labels, message) => {
    await expect(loadSimulationPool({ modelScores: file(scores), labels: file(labels) })).rejects.toThrow(message);
  });

  it('refuse a NaN surrogate or calibration score, naming the option, the file and its row', async () => {
    await expect(loadSimulationPool({ modelScores: file('f8_v2'), surrogateScores: file('f8_nan'), labels: file('y_i8') })).rejects.toThrow(
      `surrogateScores: ${file('f8_nan')}: row 2 (counting from 0): expected finite values, got NaN`,
    );
    await expect(loadCalibrationSet(file('f8_nan'), file('y_i8'))).rejects.toThrow(
      `calibration.scores: ${file('f8_nan')}: row 2 (counting from 0): expected finite values, got NaN`,
    );
    // Named by the library's key by default; the command line passes its flags.
    await expect(
      loadCalibrationSet(file('f8_nan'), file('y_i8'), { scores: '--calibration-scores', labels: '--calibration-labels' }),
    ).rejects.toThrow(`--calibration-scores: ${file('f8_nan')}: row 2`);
  });
});
