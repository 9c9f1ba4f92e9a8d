import { describe, expect, it } from 'vitest';
import { MixtureSampler, createDefensiveSampler } from '../../src/acquisition/adaptive/index.js';
import { floorProposal } from '../../src/acquisition/proposal.js';
import { InputError } from '../../src/errors.js';
import { randomStream } from '../../src/random.js';
import { heavyTailedPool, samplersFor } from './pool.js';

describe('MixtureSampler', () => {
  const n = 12;
  const { candidates } = heavyTailedPool(n, 1);
  const alpha = [0.2, 0.5, 0.3];

  it('draws from Σ α_j q_j over the remaining items (chi-square, 60k seeded draws)', () => {
    const sampler = new MixtureSampler(samplersFor(candidates), alpha);
    const removed = [3, 7];
    const expected = new Float64Array(n);
    const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !removed.includes(i));
    candidates.forEach((values, j) => {
      const q = floorProposal(
        keep.map((i) => values[i]),
        0.1,
        'corrected',
      );
      keep.forEach((i, r) => (expected[i] += alpha[j] * q[r]));
    });
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
    for (const i of keep) chi2 += (counts[i] - draws * expected[i]) ** 2 / (draws * expected[i]);
    // 9 degrees of freedom: P(χ² > 33.7) ≈ 1e-4.
    expect(chi2).toBeLessThan(33.7);
    for (const i of removed) expect(counts[i]).toBe(0);
  });

  it('reports each component probability and removes the item from every component', () => {
    const components = samplersFor(candidates);
    const sampler = new MixtureSampler(components, alpha);
    const before = components.map((c) => Array.from({ length: n }, (_, i) => c.probability(i)));
    const item = sampler.draw(randomStream(61, []));
    components.forEach((c, j) => {
      expect(sampler.lastComponentProbabilities[j]).toBeCloseTo(before[j][item], 15);
      expect(c.remaining).toBe(n - 1);
      expect(c.probability(item)).toBe(0);
    });
    let total = 0;
    for (let i = 0; i < n; i++) total += sampler.probability(i);
    expect(total).toBeCloseTo(1, 12);
  });

  it('rejects weights that are not a distribution over its components', () => {
    expect(() => new MixtureSampler(samplersFor(candidates), [0.5, 0.5])).toThrow(InputError);
    expect(() => new MixtureSampler(samplersFor(candidates), [0.5, 0.6, -0.1])).toThrow(/expected mixture weights ≥ 0, got -0\.1/);
    expect(() => new MixtureSampler(samplersFor(candidates), [0.5, 0.2, 0.2])).toThrow(/summing to 1/);
  });
});

describe('MixtureSampler: what a plain JS call can pass', () => {
  const components = samplersFor(heavyTailedPool(12, 1).candidates);
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      'no components',
      () => new MixtureSampler(undefined as never, [1]),
      /^components: expected at least one component sampler, in an array/,
    ],
    [
      'a null component',
      () => new MixtureSampler([components[0], null as never], [0.5, 0.5]),
      /^components\[1\]: expected a pool sampler \(with draw and size\), got null$/,
    ],
    [
      'value arrays as components',
      () => new MixtureSampler([Float64Array.of(1, 2)] as never, [1]),
      /^components\[0\]: expected a pool sampler/,
    ],
    ['no weights', () => new MixtureSampler(components, undefined as never), /^weights: expected 3 mixture weights/],
    ['a number as weights', () => new MixtureSampler(components, 1 as never), /^weights: expected 3 mixture weights, got 1$/],
  ];
  it.each(cases)('%s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});

describe('createDefensiveSampler', () => {
  it('never gives a remaining item less than λ/remaining, the bound behind its safety', () => {
    const { candidates } = heavyTailedPool(200, 2);
    const sampler = createDefensiveSampler(candidates[2], 0, 0.4);
    const u = randomStream(2, [1]);
    for (let m = 0; m < 150; m++) {
      const remaining = sampler.remaining;
      sampler.draw(u);
      expect(sampler.lastProbability).toBeGreaterThanOrEqual((0.4 / remaining) * (1 - 1e-12));
    }
  });

  it('names λ when it is out of range', () => {
    expect(() => createDefensiveSampler(Float64Array.of(1, 2), 0.1, 1.5)).toThrow(/defensive/);
  });
});
