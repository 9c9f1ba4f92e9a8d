import { describe, expect, it } from 'vitest';
import { CandidateMixture } from '../../src/acquisition/adaptive/index.js';
import { InputError } from '../../src/errors.js';
import { randomStream } from '../../src/random.js';
import { heavyTailedPool } from './pool.js';

/** Σ_j α_j (v_ji + clip·mean(v_j)) / Σ_{remaining} (v_j + clip·mean(v_j)), by enumeration. */
function expectedMixture(candidates: Float64Array[], clip: number, alpha: number[], removed: number[]): Float64Array {
  const n = candidates[0].length;
  const out = new Float64Array(n);
  candidates.forEach((v, j) => {
    const shift = (clip * v.reduce((a, b) => a + b, 0)) / n;
    let total = 0;
    for (let i = 0; i < n; i++) if (!removed.includes(i)) total += v[i] + shift;
    for (let i = 0; i < n; i++) if (!removed.includes(i)) out[i] += (alpha[j] * (v[i] + shift)) / total;
  });
  return out;
}

describe('CandidateMixture', () => {
  const n = 12;
  const { candidates } = heavyTailedPool(n, 1);
  const alpha = [0.2, 0.5, 0.3];

  it('draws from Σ α_j q_j over the remaining items and reports q exactly (chi-square, 60k seeded draws)', () => {
    const sampler = new CandidateMixture(candidates, 0.1, alpha);
    const removed = [3, 7];
    const expected = expectedMixture(candidates, 0.1, alpha, removed);
    const counts = new Float64Array(n);
    const u = randomStream(5, [0]);
    const draws = 60_000;
    for (let d = 0; d < draws; d++) {
      sampler.reset();
      for (const i of removed) sampler.remove(i);
      const item = sampler.draw(u);
      counts[item]++;
      expect(sampler.lastProbability).toBeCloseTo(expected[item], 12);
    }
    let chi2 = 0;
    for (let i = 0; i < n; i++) if (!removed.includes(i)) chi2 += (counts[i] - draws * expected[i]) ** 2 / (draws * expected[i]);
    // 9 degrees of freedom: P(χ² > 33.7) ≈ 1e-4.
    expect(chi2).toBeLessThan(33.7);
    for (const i of removed) expect(counts[i]).toBe(0);
  });

  it('draws a candidate with equal weights (an identity alias table) uniformly over the remaining items (chi-square, 40k seeded draws)', () => {
    const sampler = new CandidateMixture(candidates, 0.1, [1, 0, 0]);
    const removed = [0, 5, 11];
    const counts = new Float64Array(n);
    const u = randomStream(9, [0]);
    const draws = 40_000;
    for (let d = 0; d < draws; d++) {
      sampler.reset();
      for (const i of removed) sampler.remove(i);
      const item = sampler.draw(u);
      counts[item]++;
      expect(sampler.lastProbability).toBeCloseTo(1 / (n - removed.length), 14);
    }
    const expected = draws / (n - removed.length);
    let chi2 = 0;
    for (let i = 0; i < n; i++) if (!removed.includes(i)) chi2 += (counts[i] - expected) ** 2 / expected;
    // 8 degrees of freedom: P(χ² > 31.8) ≈ 1e-4.
    expect(chi2).toBeLessThan(31.8);
    for (const i of removed) expect(counts[i]).toBe(0);
  });

  it('keeps q exact while drawing the whole pool (the scan fallback included) and sums to 1', () => {
    // One item holds nearly all of candidate 1's mass: once it is drawn, alias proposals mostly hit it.
    const values = new Float64Array(50).fill(1e-6);
    values[0] = 1;
    const sampler = new CandidateMixture([new Float64Array(50).fill(1), values], 0, [0.5, 0.5]);
    const u = randomStream(2, [0]);
    const removed: number[] = [];
    for (let m = 0; m < 50; m++) {
      const expected = expectedMixture([new Float64Array(50).fill(1), values], 0, [0.5, 0.5], removed);
      let total = 0;
      for (let i = 0; i < 50; i++) total += sampler.probability(i);
      expect(total).toBeCloseTo(1, 12);
      const item = sampler.draw(u);
      expect(sampler.lastProbability).toBeCloseTo(expected[item], 12);
      removed.push(item);
    }
    expect(new Set(removed).size).toBe(50);
    expect(sampler.remaining).toBe(0);
    expect(() => sampler.draw(u)).toThrow(InputError);
  });

  it('refuses bad candidates, weights and removals', () => {
    expect(() => new CandidateMixture(candidates, 0.1, [0.5, 0.5])).toThrow(InputError);
    expect(() => new CandidateMixture(candidates, 0.1, [0.5, 0.2, 0.2])).toThrow(/summing to 1/);
    expect(() => new CandidateMixture([Float64Array.of(1, -1)], 0.1, [1])).toThrow(
      /^candidates\[0\] \(row 1\): expected finite values ≥ 0, got -1/,
    );
    expect(() => new CandidateMixture([Float64Array.of(1, 1), Float64Array.of(1)], 0.1, [0.5, 0.5])).toThrow(/2 values/);
    expect(() => new CandidateMixture(candidates, 0.1, alpha, new Float64Array(n - 1))).toThrow(/companions/);
    const sampler = new CandidateMixture(candidates, 0.1, alpha);
    sampler.remove(2);
    expect(() => sampler.remove(2)).toThrow(/remaining pool item/);
  });

  it("keeps each item's companion value in its row, without changing the draws", () => {
    const companions = Float64Array.from({ length: n }, (_, i) => 0.5 + i * i);
    const withCompanions = new CandidateMixture(candidates, 0.1, alpha, companions);
    const without = new CandidateMixture(candidates, 0.1, alpha);
    const u = randomStream(4, [0]);
    const v = randomStream(4, [0]);
    for (let m = 0; m < n; m++) {
      expect(withCompanions.draw(u)).toBe(without.draw(v));
      expect(withCompanions.lastProbability).toBe(without.lastProbability);
    }
    for (let i = 0; i < n; i++) {
      expect(withCompanions.companionOf(i)).toBe(companions[i]);
      expect(without.companionOf(i)).toBe(0);
    }
  });
});
