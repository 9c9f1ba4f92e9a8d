import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

function softmaxRow(data: Float64Array, row: number, k: number): number[] {
  const slice = Array.from(data.subarray(row * k, (row + 1) * k));
  const max = Math.max(...slice);
  const exps = slice.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / total);
}

describe('syntheticPool', () => {
  it('is seeded: the same seed gives the same pool, another seed another pool', () => {
    const a = syntheticPool({ poolSize: 500, classCount: 3, seed: 7 });
    const b = syntheticPool({ poolSize: 500, classCount: 3, seed: 7 });
    const c = syntheticPool({ poolSize: 500, classCount: 3, seed: 8 });
    expect(a.modelScores.data).toEqual(b.modelScores.data);
    expect(a.surrogateScores.data).toEqual(b.surrogateScores.data);
    expect(a.labels).toEqual(b.labels);
    expect(a.modelScores.data).not.toEqual(c.modelScores.data);
  });

  it('has the requested shapes, float32-exact logits and labels in range', () => {
    const pool = syntheticPool({ poolSize: 300, classCount: 4 });
    expect([pool.modelScores.rows, pool.modelScores.cols]).toEqual([300, 4]);
    expect([pool.surrogateScores.rows, pool.surrogateScores.cols]).toEqual([300, 4]);
    expect(pool.labels).toHaveLength(300);
    expect(pool.labels.every((y) => y >= 0 && y < 4)).toBe(true);
    expect(new Set(pool.labels).size).toBe(4);
    expect(pool.modelScores.data.every((v) => Math.fround(v) === v)).toBe(true);
    expect(pool.surrogateScores.data.every((v) => Math.fround(v) === v)).toBe(true);
  });

  // Properties that make the pool a fair stand-in for LLM label logits (N = 20,000: the
  // standard error of each rate is below 0.004, so the bands are wide enough for any seed).
  it('looks like an LLM evaluation: large row offsets, a good but imperfect target, an informative surrogate', () => {
    const n = 20_000;
    const k = 2;
    const pool = syntheticPool({ poolSize: n, classCount: k, seed: 3 });
    let correct = 0;
    let largeOffsets = 0;
    const loss = new Float64Array(n);
    const expected = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const f = softmaxRow(pool.modelScores.data, i, k);
      const g = softmaxRow(pool.surrogateScores.data, i, k);
      const y = pool.labels[i]!;
      if (f[y] === Math.max(...f)) correct++;
      if (Math.max(pool.modelScores.data[i * k]!, pool.modelScores.data[i * k + 1]!) > 30) largeOffsets++;
      loss[i] = -Math.log(f[y]!);
      expected[i] = -g.reduce((sum, gk, j) => sum + gk * Math.log(f[j]!), 0);
    }
    expect(correct / n).toBeGreaterThan(0.9);
    expect(correct / n).toBeLessThan(0.97);
    expect(largeOffsets / n).toBeGreaterThan(0.005);
    expect(largeOffsets / n).toBeLessThan(0.02);
    const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    const ml = mean(loss);
    const me = mean(expected);
    let cov = 0;
    let vl = 0;
    let ve = 0;
    for (let i = 0; i < n; i++) {
      cov += (loss[i]! - ml) * (expected[i]! - me);
      vl += (loss[i]! - ml) ** 2;
      ve += (expected[i]! - me) ** 2;
    }
    // The surrogate's expected loss of the target tracks the target's actual loss.
    expect(cov / Math.sqrt(vl * ve)).toBeGreaterThan(0.5);
  });

  it('refuses a misspelt option rather than ignoring it', () => {
    expect(() => syntheticPool({ poolsize: 10 } as Parameters<typeof syntheticPool>[0])).toThrow(
      /^poolsize: expected a known option, did you mean poolSize\?/,
    );
    // The names the counts had before they were renamed point to today's.
    expect(() => syntheticPool({ size: 10, classes: 3 } as Parameters<typeof syntheticPool>[0])).toThrow(
      /^size: expected a known option, did you mean poolSize\?/,
    );
    expect(() => syntheticPool({ classes: 3 } as Parameters<typeof syntheticPool>[0])).toThrow(
      /^classes: expected a known option, did you mean classCount\?/,
    );
  });

  it('rejects a pool size below 1 and fewer than 2 classes', () => {
    expect(() => syntheticPool({ poolSize: 0 })).toThrow(InputError);
    expect(() => syntheticPool({ classCount: 1 })).toThrow(/^classCount: expected an integer ≥ 2, got 1$/);
    expect(() => syntheticPool({ poolSize: 2.5 })).toThrow(/^poolSize: expected an integer ≥ 1, got 2.5$/);
  });

  it.each([NaN, Infinity, -1, 1.5, 1n, ''])('rejects the seed %s as simulate does', (seed) => {
    expect(() => syntheticPool({ poolSize: 5, seed: seed as number })).toThrow(
      /^seed: expected an integer ≥ 0 or a non-empty string, got /,
    );
  });

  it('takes a string seed as simulate does', () => {
    expect(syntheticPool({ poolSize: 5, seed: 'a' as unknown as number }).labels).toEqual(
      syntheticPool({ poolSize: 5, seed: 'a' as unknown as number }).labels,
    );
  });
});

describe('syntheticPool past memory', () => {
  it.each([
    [{ poolSize: 1e12 }, 1e12, 2],
    [{ poolSize: 1000, classCount: 1e9 }, 1000, 1e9],
  ])('refuses %j with the memory it needs, not a RangeError from the allocation', (options, size, classes) => {
    const needed = ((size * (16 * classes + 4)) / 1024 ** 3).toFixed(1);
    expect(() => syntheticPool(options)).toThrow(InputError);
    expect(() => syntheticPool(options)).toThrow(
      new RegExp(
        `^poolSize: expected a pool that fits in memory: ${size} items × ${classes} classes need about ${needed} GiB, this machine has [\\d.]+ GiB, got ${size}$`,
      ),
    );
  });
});
