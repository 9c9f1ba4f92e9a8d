import { describe, expect, it } from 'vitest';
import { aliasTable } from '../../src/acquisition/alias-table.js';
import { randomStream } from '../../src/random.js';

/** The probability of each index under the table: its own bucket's keep share plus what other buckets alias to it. */
function probabilities(keep: Float64Array, alias: Int32Array): Float64Array {
  const n = keep.length;
  const p = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    p[r] += keep[r] / n;
    if (alias[r] !== r) p[alias[r]] += (1 - keep[r]) / n;
  }
  return p;
}

describe('aliasTable', () => {
  it('splits a bucket between two indices as the example says', () => {
    const { keep, alias } = aliasTable(Float64Array.of(1, 3), 4);
    expect(Array.from(keep)).toEqual([0.5, 1]);
    expect(Array.from(alias)).toEqual([1, 1]);
  });

  it('gives every index its weight’s share within 1e-12, zeros included', () => {
    const u = randomStream(5, []);
    for (const n of [1, 2, 7, 100, 1000]) {
      const weights = Float64Array.from({ length: n }, () => (u() < 0.2 ? 0 : u() ** 3));
      if (weights.every((w) => w === 0)) weights[0] = 1;
      const mass = weights.reduce((a, b) => a + b, 0);
      const { keep, alias } = aliasTable(weights, mass);
      const p = probabilities(keep, alias);
      for (let i = 0; i < n; i++) {
        expect(Math.abs(p[i]! - weights[i]! / mass)).toBeLessThan(1e-12);
        if (weights[i] === 0) expect(p[i]).toBeLessThan(1e-15);
      }
    }
  });
});
