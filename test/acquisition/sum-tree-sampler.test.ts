import { describe, expect, it } from 'vitest';
import { samplerOnSortedPool, SumTreeSampler } from '../../src/acquisition/sum-tree-sampler.js';
import { floorProposal } from '../../src/acquisition/proposal.js';
import { ReferenceOrderSampler } from '../../src/acquisition/reference-order-sampler.js';
import { SortedPool } from '../../src/acquisition/sorted-pool.js';
import { InputError } from '../../src/errors.js';
import { randomStream } from '../../src/random.js';

function weightsOf(n: number, seed: number, shape: (u: number) => number): Float64Array {
  const u = randomStream(seed, []);
  return Float64Array.from({ length: n }, () => shape(u()));
}

/** Upper 0.1 % point of chi-square with df degrees of freedom (Wilson–Hilferty). */
function chiSquareCritical(df: number): number {
  const z = 3.0902;
  return df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
}

describe('SumTreeSampler', () => {
  const cases: [string, Float64Array, number, 'reference' | 'corrected'][] = [
    ['skewed values, clip 0.1', weightsOf(500, 1, (u) => u ** 4), 0.1, 'reference'],
    ['skewed values, clip 0', weightsOf(500, 2, (u) => u ** 4), 0, 'reference'],
    ['a third zeros, clip 0.01', weightsOf(300, 3, (u) => (u < 0.33 ? 0 : u)), 0.01, 'corrected'],
    ['negative values, corrected shift', weightsOf(300, 4, (u) => u - 0.7), 0.1, 'corrected'],
    ['huge range', weightsOf(300, 5, (u) => Math.exp(40 * u)), 0.1, 'reference'],
  ];

  for (const [name, weights, clip, variant] of cases) {
    it(`gives q equal to the O(N) proposal within 1e-12 at every step (${name})`, () => {
      const fast = new SumTreeSampler(weights, clip, variant);
      const exact = new ReferenceOrderSampler(weights, clip, variant);
      const u = randomStream(7, []);
      let worst = 0;
      for (let run = 0; run < 3; run++) {
        fast.reset();
        exact.reset();
        for (let m = 0; m < weights.length; m++) {
          const probe = Math.floor(u() * weights.length);
          const expectedProbe = exact.probability(probe);
          const actualProbe = fast.probability(probe);
          worst = Math.max(worst, Math.abs(actualProbe - expectedProbe) / Math.max(expectedProbe, 1e-300));
          const index = fast.draw(u);
          const expected = exact.probability(index);
          expect(expected).toBeGreaterThan(0);
          worst = Math.max(worst, Math.abs(fast.lastProbability - expected) / expected);
          exact.remove(index);
        }
        expect(fast.remaining).toBe(0);
      }
      expect(worst).toBeLessThan(1e-12);
    });
  }

  it('keeps q equal to the O(N) proposal through random mixes of draws, removals and resets (seeded pools of every shape)', () => {
    const u = randomStream(41, []);
    const shapes: ((x: number) => number)[] = [
      (x) => x,
      (x) => x ** 6,
      (x) => (x < 0.5 ? 0 : x),
      (x) => Math.exp(30 * x),
      (x) => Math.round(4 * x) / 4,
      (x) => (x < 0.05 ? 50 : 0.01 * x),
    ];
    let worst = 0;
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + Math.floor(u() * 300);
      const shape = shapes[trial % shapes.length]!;
      const weights = Float64Array.from({ length: n }, () => shape(u()));
      const clip = [0, 0.01, 0.1, 0.5, 0.9][trial % 5]!;
      const fast = new SumTreeSampler(weights, clip, 'corrected');
      const exact = new ReferenceOrderSampler(weights, clip, 'corrected');
      for (let run = 0; run < 2; run++) {
        fast.reset();
        exact.reset();
        const steps = Math.floor(u() * n) + 1;
        for (let m = 0; m < steps; m++) {
          if (u() < 0.3) {
            // Remove a random remaining item without drawing it.
            let index = Math.floor(u() * n);
            while (exact.probability(index) === 0 && fast.probability(index) === 0) index = (index + 1) % n;
            fast.remove(index);
            exact.remove(index);
            continue;
          }
          const index = fast.draw(u);
          const expected = exact.probability(index);
          expect(expected).toBeGreaterThan(0);
          worst = Math.max(worst, Math.abs(fast.lastProbability - expected) / expected);
          exact.remove(index);
        }
        expect(fast.remaining).toBe(exact.remaining);
      }
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('draws the first item with the proposal’s frequencies (chi-square)', () => {
    const weights = Float64Array.of(0, 0.5, 1, 2, 3, 0.01, 8, 0.2, 4, 1.5);
    const clip = 0.1;
    const p = floorProposal(weights, clip, 'corrected');
    const sampler = new SumTreeSampler(weights, clip, 'corrected');
    const u = randomStream(11, []);
    const trials = 40_000;
    const counts = new Float64Array(weights.length);
    for (let t = 0; t < trials; t++) {
      sampler.reset();
      counts[sampler.draw(u)]++;
    }
    let chi = 0;
    for (let i = 0; i < weights.length; i++) chi += (counts[i] - trials * p[i]) ** 2 / (trials * p[i]);
    expect(chi).toBeLessThan(chiSquareCritical(weights.length - 1));
  });

  it('draws ordered pairs without replacement with the sequential proposal’s frequencies (chi-square)', () => {
    const weights = Float64Array.of(0.1, 3, 1, 0, 2, 0.5);
    const clip = 0.2;
    const n = weights.length;
    const expected: number[] = [];
    const first = floorProposal(weights, clip, 'reference');
    for (let i = 0; i < n; i++) {
      const rest = Array.from(weights).filter((_, j) => j !== i);
      const second = floorProposal(rest, clip, 'reference');
      for (let j = 0; j < n; j++) if (j !== i) expected[i * n + j] = first[i] * second[j < i ? j : j - 1];
    }
    const sampler = new SumTreeSampler(weights, clip, 'reference');
    const u = randomStream(12, []);
    const trials = 60_000;
    const counts = new Float64Array(n * n);
    for (let t = 0; t < trials; t++) {
      sampler.reset();
      const i = sampler.draw(u);
      counts[i * n + sampler.draw(u)]++;
    }
    let chi = 0;
    let cells = 0;
    for (let c = 0; c < n * n; c++) {
      if (expected[c] === undefined) {
        expect(counts[c]).toBe(0);
        continue;
      }
      chi += (counts[c] - trials * expected[c]) ** 2 / (trials * expected[c]);
      cells++;
    }
    expect(chi).toBeLessThan(chiSquareCritical(cells - 1));
  });

  it('draws with the proposal’s frequencies by rejection after removals move the floor up or down (chi-square)', () => {
    // 10 items near 1 and 30 near 0, which sit at the floor.
    const weights = weightsOf(40, 31, (u) => u).map((u, i) => (i % 4 === 0 ? 0.5 + u : 0.001 * u));
    const byValue = Array.from(weights.keys()).sort((a, b) => weights[a] - weights[b]);
    const scenarios: [string, number[]][] = [
      // 25 remain: the floor is 1.6 times the full pool's, so the floored items need the bound K.
      ['floor raised: 15 of the low items removed', byValue.slice(0, 15)],
      ['floor lowered: the 2 highest removed', byValue.slice(-2)],
    ];
    for (const [, removed] of scenarios) {
      const clip = 0.2;
      const remaining = Array.from(weights.keys()).filter((i) => !removed.includes(i));
      const p = floorProposal(
        remaining.map((i) => weights[i]),
        clip,
        'corrected',
      );
      const sampler = new SumTreeSampler(weights, clip, 'corrected');
      const stream = randomStream(32, []);
      let uniforms = 0;
      const u = () => {
        uniforms++;
        return stream();
      };
      const trials = 30_000;
      const counts = new Float64Array(weights.length);
      for (let t = 0; t < trials; t++) {
        sampler.reset();
        for (const i of removed) sampler.remove(i);
        counts[sampler.draw(u)]++;
      }
      // The tree takes exactly one uniform per draw; rejection sampling takes more whenever it
      // rejects or tests a proposal.
      expect(uniforms / trials).toBeGreaterThan(1.2);
      let chi = 0;
      remaining.forEach((i, k) => (chi += (counts[i] - trials * p[k]) ** 2 / (trials * p[k])));
      for (const i of removed) expect(counts[i]).toBe(0);
      expect(chi).toBeLessThan(chiSquareCritical(remaining.length - 1));
    }
  });

  it('restores the pool bit for bit on reset: the same uniforms give the same items and q', () => {
    const weights = weightsOf(1000, 21, (u) => u ** 2);
    const pool = SortedPool.prepare(weights);
    const sampler = samplerOnSortedPool(pool, 0.1, 'corrected');
    const record = (from: SumTreeSampler = sampler) => {
      const u = randomStream(22, []);
      return Array.from({ length: 600 }, () => [from.draw(u), from.lastProbability]);
    };
    const first = record();
    for (let run = 0; run < 20; run++) {
      sampler.reset();
      record();
    }
    sampler.reset();
    expect(record()).toEqual(first);
    // A fresh sampler on the shared pool agrees too.
    const fresh = samplerOnSortedPool(pool, 0.1, 'corrected');
    expect(record(fresh)).toEqual(first);
    // So does the public constructor, which prepares its own pool from the plain values.
    expect(record(new SumTreeSampler(weights, 0.1, 'corrected'))).toEqual(first);
    // The shared pool is handed to that one sampler only: the next one reads its own values.
    const other = new SumTreeSampler(Float64Array.of(1, 3), 0.1, 'corrected');
    expect([other.size, other.probability(1)]).toEqual([2, 0.75]);
  });

  it('falls back to uniform for all-zero values, and reproduces the reference’s NaN at clip 0', () => {
    const zeros = new Float64Array(4);
    const corrected = new SumTreeSampler(zeros, 0, 'corrected');
    const drawn = corrected.draw(() => 0.6);
    expect(corrected.lastProbability).toBe(0.25);
    for (let i = 0; i < 4; i++) expect(corrected.probability(i)).toBe(i === drawn ? 0 : 1 / 3);
    const reference = new SumTreeSampler(zeros, 0, 'reference');
    reference.draw(() => 0.3);
    expect(reference.lastProbability).toBeNaN();
    const clipped = new SumTreeSampler(zeros, 0.1, 'reference');
    clipped.draw(() => 0.3);
    expect(clipped.lastProbability).toBe(0.25);
  });

  it('never draws a zero-value item at clip 0 while positive ones remain', () => {
    const weights = Float64Array.of(0, 1, 0, 2, 0, 3);
    const sampler = new SumTreeSampler(weights, 0, 'corrected');
    const u = randomStream(3, []);
    for (let run = 0; run < 200; run++) {
      sampler.reset();
      const firstThree = [sampler.draw(u), sampler.draw(u), sampler.draw(u)].sort();
      expect(firstThree).toEqual([1, 3, 5]);
      sampler.draw(u);
      expect(sampler.lastProbability).toBeCloseTo(1 / 3, 15);
    }
  });

  it('goes uniform once only zero values remain, however the running sums rounded', () => {
    const weights = Float64Array.of(0.1, 0, 0.7, 0, 0.2, 0, 1 / 3, 1e-9);
    for (const clip of [0.1, 0]) {
      const sampler = new SumTreeSampler(weights, clip, 'corrected');
      for (const i of [0, 2, 4, 6, 7]) sampler.remove(i);
      for (const i of [1, 3, 5]) expect(sampler.probability(i)).toBe(1 / 3);
      expect([1, 3, 5]).toContain(sampler.draw(randomStream(1, [])));
      expect(sampler.lastProbability).toBe(1 / 3);
    }
  });

  it('handles a pool of one', () => {
    const sampler = new SumTreeSampler(Float64Array.of(0.4), 0.1, 'reference');
    expect(sampler.draw(() => 0.99)).toBe(0);
    expect(sampler.lastProbability).toBe(1);
  });

  it('rejects bad input with InputError', () => {
    const sampler = new SumTreeSampler(Float64Array.of(1, 2), 0.1, 'reference');
    sampler.draw(() => 0.5);
    sampler.draw(() => 0.5);
    expect(() => sampler.draw(() => 0.5)).toThrow(InputError);
    sampler.reset();
    sampler.remove(1);
    expect(() => sampler.remove(1)).toThrow(InputError);
    expect(() => sampler.remove(7)).toThrow(InputError);
    expect(() => new SumTreeSampler(Float64Array.of(1, 2), 1, 'reference')).toThrow(/^clip/);
    expect(() => new SumTreeSampler(Float64Array.of(1, -2), 0.1, 'reference')).toThrow(
      /^acquisition values: expected values ≥ 0 for the reference proposal/,
    );
    expect(() => new SumTreeSampler(Float64Array.of(1, Number.NaN), 0.1, 'corrected')).toThrow(/row 1/);
    expect(() => new SumTreeSampler(new Float64Array(0), 0.1, 'corrected')).toThrow(InputError);
  });
});

describe('ReferenceOrderSampler', () => {
  it('maps u through the CDF in ascending index order and restores on reset', () => {
    const sampler = new ReferenceOrderSampler(Float64Array.of(1, 1, 2), 0.1, 'reference');
    expect(sampler.draw(() => 0.6)).toBe(2);
    expect(sampler.lastProbability).toBe(0.5);
    expect(sampler.lastPosition).toBe(2);
    expect(Array.from(sampler.proposal())).toEqual([0.5, 0.5]);
    expect(sampler.draw(() => 0.6)).toBe(1);
    sampler.reset();
    expect(sampler.remaining).toBe(3);
    expect(sampler.draw(() => 0.1)).toBe(0);
  });
});

describe('SortedPool.prepare', () => {
  /** The order a stable comparison sort gives: ascending value, ties (−0 with +0 included) by index. */
  function stableOrder(values: Float64Array): number[] {
    return Array.from(values.keys()).sort((a, b) => values[a] - values[b] || a - b);
  }

  // Repeated values, signed zeros and negatives; below and above the length where the radix sort takes over.
  for (const n of [1, 7, 5000, 70_000]) {
    it(`orders ${n} values ascending, ties by index, as a stable comparison sort does`, () => {
      const values = weightsOf(n, 30 + n, (u) => (u < 0.1 ? -0 : u < 0.2 ? 0 : u < 0.3 ? 0.5 : Math.round((u - 0.6) * 1000) / 7));
      const pool = SortedPool.prepare(values);
      const expected = stableOrder(values);
      expect(Array.from(pool.order)).toEqual(expected);
      for (let r = 0; r < n; r++) expect(pool.rankOf[expected[r]!]).toBe(r);
    });
  }
});
