import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulate/simulate.js';
import { InputError } from '../../src/errors.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { labelIndices } from '../../src/io/pool-files.js';
import { ActiveTestingSession } from '../../src/session/session.js';

describe('readNpy output plugs into simulate and sessions as it is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'at-npy-sim-'));
  const scores = Float32Array.of(2, 0, 0, 1, 1, 1, 3, -1);
  const labels = BigInt64Array.of(0n, 1n, 1n, 0n);

  it('takes float32 scores and int64 labels from .npy files, giving the result of plain arrays', async () => {
    await writeNpy(join(dir, 'f.npy'), { data: scores, shape: [4, 2], dtype: 'f4' });
    await writeNpy(join(dir, 'y.npy'), { data: labels, shape: [4], dtype: 'i8' });
    const f = await readNpy(join(dir, 'f.npy'));
    const y = await readNpy(join(dir, 'y.npy'));
    const fromFiles = await simulate({ modelScores: f, labels: y }, { runs: 3, size: 4, threads: 1 });
    const nested = [
      [2, 0],
      [0, 1],
      [1, 1],
      [3, -1],
    ];
    const fromArrays = await simulate({ modelScores: nested, labels: [0, 1, 1, 0] }, { runs: 3, size: 4, threads: 1 });
    expect(fromFiles.trueRisk).toBe(fromArrays.trueRisk);
    expect(Array.from(fromFiles.estimates)).toEqual(Array.from(fromArrays.estimates));
    const session = await ActiveTestingSession.create(null, { texts: ['a', 'b', 'c', 'd'], classes: ['x', 'y'], modelScores: f });
    expect(session.settings.acquisition).toBe('iid');
  });

  it('tells a refused 64-bit label by its own digits, not the nearest double', async () => {
    // 2^53 + 1 is no double: read as a number it would print as 2^53, a label nobody wrote.
    const huge = { data: BigInt64Array.of(0n, 1n, 2n ** 53n + 1n, 1n), shape: [4], dtype: 'i8' as const };
    expect(() => labelIndices(huge, '--labels', 4, 2)).toThrow(
      /^--labels \(row 2\): expected a class index in \[0, 1\], got 9007199254740993$/,
    );
    const unsigned = { data: BigUint64Array.of(0n, 2n ** 64n - 1n, 1n, 1n), shape: [4, 1], dtype: 'u8' as const };
    expect(() => labelIndices(unsigned, '--labels', 4, 2)).toThrow(/^--labels \(row 1\): .*got 18446744073709551615$/);
    await expect(simulate({ modelScores: { data: scores, shape: [4, 2] }, labels: huge })).rejects.toThrow(/got 9007199254740993$/);
    expect(Array.from(labelIndices({ data: labels, shape: [4], dtype: 'i8' }, '--labels', 4, 2))).toEqual([0, 1, 1, 0]);
  });

  it('refuses a flat array whose shape is not N×K, naming the argument', async () => {
    await expect(simulate({ modelScores: { data: scores, shape: [8] }, labels: [0, 1, 1, 0] })).rejects.toThrow(
      /^modelScores: expected a 2-D array/,
    );
    await expect(simulate({ modelScores: { data: scores, shape: [4, 2] }, labels: { data: labels, shape: [2, 2] } })).rejects.toThrow(
      InputError,
    );
  });
});
