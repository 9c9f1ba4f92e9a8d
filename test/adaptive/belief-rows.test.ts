import { describe, expect, it } from 'vitest';
import { adaptiveCandidates, planProposal } from '../../src/acquisition/adaptive/index.js';
import { candidatesWithBelief } from '../../src/acquisition/adaptive/candidates.js';
import type { Matrix } from '../../src/matrix.js';
import { classProbabilities } from '../../src/metrics/probabilities.js';
import { expectedZeroOneLoss } from '../../src/metrics/zero-one-loss.js';
import { EPS, NUMERICS_FLAGS } from '../../src/numerics.js';
import { randomStream } from '../../src/random.js';
import { CrossEntropyBoundsRows, lossBounds, lossMagnitudeLimit } from '../../src/metrics/loss-bounds.js';
import { ExpectedZeroOne } from '../../src/session/estimates.js';

/** Logits of n×k spread by `scale` (large scales drive probabilities to the clip at EPS and to 1). */
function logits(n: number, k: number, scale: number, seed: number): Matrix {
  const u = randomStream(seed, [0]);
  const data = new Float64Array(n * k);
  for (let j = 0; j < data.length; j++) data[j] = scale * (u() - 0.5);
  return { data, rows: n, cols: k };
}

/** Every row the hook was handed, copied (it reuses its array), as one N×K matrix. */
function beliefRowsOf(f: Matrix, g: Matrix, temperature: number | null): { rows: Float64Array; seen: number[] } {
  const rows = new Float64Array(g.rows * g.cols);
  const seen: number[] = [];
  candidatesWithBelief(f, g, temperature, {
    belief: (row, probabilities) => {
      rows.set(probabilities, row * g.cols);
      seen.push(row);
    },
  });
  return { rows, seen };
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.prototype.every.call(a, (x: number, j: number) => Object.is(x, b[j]));

describe('the adaptive candidates’ belief rows', () => {
  for (const [k, scale, temperature] of [
    [2, 8, null],
    [7, 6, null],
    [100, 10, null],
    [5, 4, 1.7],
    [3, 4, 0.3],
    [4, 120, null],
  ] as const) {
    it(`are classProbabilities(g, T, EPS, 'stable') bit for bit (K = ${k}, scale ${scale}, T = ${temperature})`, () => {
      const f = logits(60, k, scale, 1);
      const g = logits(60, k, scale, 2);
      const { rows, seen } = beliefRowsOf(f, g, temperature);
      expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(sameBits(rows, classProbabilities(g, temperature, EPS, 'stable').data)).toBe(true);
    });
  }

  it('leave the candidates as adaptiveCandidates computes them', () => {
    const f = logits(50, 4, 6, 3);
    const g = logits(50, 4, 6, 4);
    const plain = adaptiveCandidates(f, g, 2);
    const hooked = candidatesWithBelief(f, g, 2, { belief: () => {}, targetExps: () => {} });
    expect(hooked.map((c) => c.name)).toEqual(plain.map((c) => c.name));
    hooked.forEach((c, j) => expect(sameBits(c.values, plain[j].values)).toBe(true));
  });

  it('reach planProposal’s candidateRows under the default numerics only', () => {
    const input = { size: 40, modelScores: logits(40, 3, 4, 5), surrogateScores: logits(40, 3, 4, 6) };
    const settings = { temperature: null, eps: EPS, defensive: null, clip: 0.1 };
    let calls = 0;
    planProposal('adaptive', input, { ...settings, flags: NUMERICS_FLAGS.default, candidateRows: { belief: () => calls++ } });
    expect(calls).toBe(40);
    calls = 0;
    planProposal('adaptive', input, { ...settings, eps: 1e-6, flags: NUMERICS_FLAGS.default, candidateRows: { belief: () => calls++ } });
    planProposal('surrogate-ce', input, { ...settings, flags: NUMERICS_FLAGS.default, candidateRows: { belief: () => calls++ } });
    expect(calls).toBe(0);
  });

  it('give a session its expected zero-one loss bit for bit, and none until every row came', () => {
    const f = logits(80, 6, 9, 7);
    const g = logits(80, 6, 9, 8);
    const zeroOne = new ExpectedZeroOne(f);
    expect(zeroOne.values()).toBeNull();
    candidatesWithBelief(f, g, null, { belief: zeroOne.rows });
    const expected = expectedZeroOneLoss(f, classProbabilities(g, null, EPS, 'stable'));
    expect(sameBits(zeroOne.values() as Float64Array, expected)).toBe(true);
  });

  it('give a session its cross-entropy bounds bit for bit, and none until every row came', () => {
    for (const [k, scale] of [
      [2, 8],
      [100, 10],
      [4, 120],
    ] as const) {
      const f = logits(70, k, scale, 9);
      const bounds = new CrossEntropyBoundsRows(f);
      expect(bounds.bounds()).toBeNull();
      candidatesWithBelief(f, logits(70, k, scale, 10), null, { targetExps: bounds.rows });
      const expected = lossBounds(f, 'cross-entropy');
      const got = bounds.bounds();
      expect(got).not.toBeNull();
      expect(sameBits(got!.lower, expected.lower) && sameBits(got!.upper, expected.upper)).toBe(true);
    }
  });

  it('refuse a row whose bound is not finite before any row is handed over, as lossBounds does', () => {
    const f: Matrix = { data: Float64Array.of(0, 1, 1e308, -1e308), rows: 2, cols: 2 };
    const message = /^modelScores \(row 1\): expected scores whose loss bounds are finite and at most 2\^480\/√N/;
    expect(() => new CrossEntropyBoundsRows(f)).toThrow(message);
    expect(() => lossBounds(f, 'cross-entropy')).toThrow(message);
  });

  it('leave a bound past the limit only by its rounding to lossBounds, which refuses it', () => {
    // Logits exactly the limit apart pass the rows' spread check; log 2 on top puts the bound past it.
    const limit = lossMagnitudeLimit(2);
    const f: Matrix = { data: Float64Array.of(0, 1, limit, 0), rows: 2, cols: 2 };
    const bounds = new CrossEntropyBoundsRows(f);
    candidatesWithBelief(f, { data: Float64Array.of(0, 1, 1, 0), rows: 2, cols: 2 }, null, { targetExps: bounds.rows });
    expect(bounds.bounds()).toBeNull();
    expect(() => lossBounds(f, 'cross-entropy')).toThrow(/loss bounds are finite and at most/);
  });
});
