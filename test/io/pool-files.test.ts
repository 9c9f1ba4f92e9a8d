import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { loadSimulationPool, rowsAreProbabilities } from '../../src/io/pool-files.js';

const matrix = (rows: number[][]) => ({ data: Float64Array.from(rows.flat()), rows: rows.length, cols: rows[0]?.length ?? 0 });

describe('rowsAreProbabilities: scores that are most likely probabilities given for logits', () => {
  it('is true for probabilities rounded to 3 decimals, whose rows sum to 1 within K·5e-4 (K·6e-4 taken, at most 0.01)', () => {
    // 0.3333 + 0.3333 + 0.3333 and the like: rounded, the sums miss 1 by up to K/2 units of the last decimal.
    expect(
      rowsAreProbabilities(
        matrix([
          [0.334, 0.334, 0.333],
          [0.667, 0.334, 0],
        ]),
      ),
    ).toBe(true);
    expect(rowsAreProbabilities(matrix([[0.9, 0.101]]))).toBe(true);
    expect(rowsAreProbabilities(matrix([[0.9, 0.1013]]))).toBe(false); // 1.3e-3 > 2·6e-4
    const wide = Array.from({ length: 40 }, (_, k) => (k === 0 ? 0.6 : 0.4 / 39));
    expect(rowsAreProbabilities(matrix([wide.map((p, k) => (k === 0 ? p + 0.0099 : p))]))).toBe(true);
    expect(rowsAreProbabilities(matrix([wide.map((p, k) => (k === 0 ? p + 0.0101 : p))]))).toBe(false); // the cap of 0.01
  });

  it('is true when every row is in [0, 1] and sums to 1 within 1e-6, one row not uniform', () => {
    expect(
      rowsAreProbabilities(
        matrix([
          [0.9, 0.1],
          [0, 1],
          [0.5, 0.5],
        ]),
      ),
    ).toBe(true);
    expect(rowsAreProbabilities(matrix([[0.2, 0.3, 0.5 + 9e-7]]))).toBe(true);
  });

  it('is false when one row is not a distribution, wherever it is', () => {
    expect(
      rowsAreProbabilities(
        matrix([
          [0.9, 0.1],
          [0.2, 0.8],
          [0.2, 0.3],
        ]),
      ),
    ).toBe(false); // the last row sums to 0.5
    expect(rowsAreProbabilities(matrix([[0.2, 0.3, 0.5 + 2e-3]]))).toBe(false);
    expect(
      rowsAreProbabilities(
        matrix([
          [1.5, -0.5],
          [0.5, 0.5],
        ]),
      ),
    ).toBe(false); // sums to 1, outside [0, 1]
    expect(
      rowsAreProbabilities(
        matrix([
          [2.2, 0],
          [-1, 0.4],
        ]),
      ),
    ).toBe(false); // logits
    expect(rowsAreProbabilities(matrix([[Math.log(0.9), Math.log(0.1)]]))).toBe(false); // log-probabilities
    expect(rowsAreProbabilities({ data: new Float64Array(0), rows: 0, cols: 2 })).toBe(false);
  });

  it('is false for uniform rows, whose softmax is themselves, and true once one row is not uniform', () => {
    const third = 1 / 3;
    expect(
      rowsAreProbabilities(
        matrix([
          [third, third, third],
          [third, third, third],
        ]),
      ),
    ).toBe(false);
    expect(
      rowsAreProbabilities(
        matrix([
          [third, third, third],
          [0.2, 0.2, 0.6],
        ]),
      ),
    ).toBe(true);
  });

  it('takes float32 probabilities over many classes, which sum to 1 only within K float32 roundings', () => {
    const k = 1000;
    const row = Float32Array.from({ length: k }, (_, j) => 1 + (j % 7));
    const total = row.reduce((s, v) => s + v, 0);
    const probabilities = Float64Array.from(row, (v) => Math.fround(Math.fround(v / total) * 1.00001)); // off by 1e-5 in all
    expect(Math.abs(probabilities.reduce((s, v) => s + v, 0) - 1)).toBeGreaterThan(1e-6);
    expect(rowsAreProbabilities({ data: probabilities, rows: 1, cols: k })).toBe(true);
    expect(rowsAreProbabilities({ data: probabilities.map((v) => v * 1.02), rows: 1, cols: k })).toBe(false);
  });
});

describe('loadSimulationPool: target scores saved transposed (K×N)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pool-transposed-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses the scores, saying to save their transpose, rather than the labels for their count', async () => {
    const file = (name: string) => join(dir, name);
    // Five items, two classes: the logits saved as np.stack([class0, class1]), 2×5.
    await writeNpy(file('f.npy'), { data: Float64Array.of(0.1, 2, -1, 0.5, 3, 1, -2, 0.3, 0, 1), shape: [2, 5], dtype: 'f8' });
    await writeNpy(file('y.npy'), { data: Int32Array.of(1, 0, 0, 1, 0), shape: [5], dtype: 'i4' });
    await writeNpy(file('y-onehot.npy'), { data: Float32Array.of(0, 1, 1, 0, 1, 0, 0, 1, 1, 0), shape: [5, 2], dtype: 'f4' });
    for (const labels of ['y.npy', 'y-onehot.npy']) {
      await expect(
        loadSimulationPool({ modelScores: file('f.npy'), labels: file(labels) }, { modelScores: '--model-scores', labels: '--labels' }),
      ).rejects.toThrow(
        '--model-scores: expected one row per item, shape (5, 2) for the 5 labels of --labels, got shape (2, 5), the items in its columns: save the transpose, scores.T',
      );
    }
    // Scores of the right shape are read; labels of another count are still the labels' fault.
    await writeNpy(file('f-rows.npy'), { data: new Float64Array(10), shape: [5, 2], dtype: 'f8' });
    await expect(loadSimulationPool({ modelScores: file('f-rows.npy'), labels: file('y.npy') })).resolves.toMatchObject({
      labels: Int32Array.of(1, 0, 0, 1, 0),
    });
    // Scores taller than wide beside as many labels as classes: the labels are at fault.
    await writeNpy(file('y-2.npy'), { data: Int32Array.of(1, 0), shape: [2], dtype: 'i4' });
    await expect(loadSimulationPool({ modelScores: file('f-rows.npy'), labels: file('y-2.npy') })).rejects.toThrow(
      /^labels: expected 5 labels, one per row of the scores, got 2$/,
    );
    await writeNpy(file('y-3.npy'), { data: Int32Array.of(1, 0, 1), shape: [3], dtype: 'i4' });
    await expect(loadSimulationPool({ modelScores: file('f.npy'), labels: file('y-3.npy') })).rejects.toThrow(
      'labels: expected 2 labels, one per row of the scores, got 3',
    );
  });
});
