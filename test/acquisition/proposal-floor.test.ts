import { describe, expect, it } from 'vitest';
import { candidateMixtureDrawFloor, candidateMixtureFloor, fixedProposalFloor } from '../../src/acquisition/proposal-floor.js';
import { SumTreeSampler } from '../../src/acquisition/sum-tree-sampler.js';
import { ReferenceOrderSampler } from '../../src/acquisition/reference-order-sampler.js';
import { AdaptiveSampler, createDefensiveSampler } from '../../src/acquisition/adaptive/index.js';
import type { PoolSampler } from '../../src/acquisition/sampler.js';
import { randomStream } from '../../src/random.js';

const N = 300;
const skewed = Float64Array.from({ length: N }, (_, i) => (i % 37 === 0 ? 50 : Math.pow(((i * 7919) % N) / N, 4)));
const flat = new Float64Array(N).fill(1);

/**
 * Draws every item of the pool in several seeded runs and returns the smallest ratio q/π over all
 * draws and remaining items (each step checks every remaining item, not just the drawn one).
 */
function smallestRatio(sampler: PoolSampler, floor: Float64Array, observe?: (i: number) => void): number {
  let smallest = Infinity;
  for (let run = 0; run < 3; run++) {
    sampler.reset();
    const u = randomStream(run, [5]);
    const drawn = new Uint8Array(N);
    for (let m = 0; m < N; m++) {
      for (let i = 0; i < N; i++) if (drawn[i] === 0) smallest = Math.min(smallest, sampler.probability(i) / floor[i]);
      const item = sampler.draw(u);
      drawn[item] = 1;
      smallest = Math.min(smallest, sampler.lastProbability / floor[item]);
      observe?.(item);
    }
  }
  return smallest;
}

describe('proposal floors: q ≥ π at every draw, for every remaining item', () => {
  it('holds for the floored fixed proposal, with both samplers, and is tight at the start for clip 0.1', () => {
    for (const clip of [0.001, 0.1, 0.5]) {
      const floor = fixedProposalFloor(skewed, clip)!;
      expect(smallestRatio(new SumTreeSampler(skewed, clip, 'corrected'), floor)).toBeGreaterThanOrEqual(1 - 1e-12);
      expect(smallestRatio(new ReferenceOrderSampler(skewed, clip, 'corrected'), floor)).toBeGreaterThanOrEqual(1 - 1e-12);
    }
    // Within the (1 + clip) of the bound of the first draw's probabilities.
    const sampler = new SumTreeSampler(skewed, 0.1, 'corrected');
    sampler.reset();
    const floor = fixedProposalFloor(skewed, 0.1)!;
    for (let i = 0; i < N; i++) expect(sampler.probability(i) / floor[i]).toBeLessThanOrEqual(1.1 + 1e-12);
    expect(fixedProposalFloor(flat, 0)).toEqual(new Float64Array(N).fill(1 / N));
  });

  it('is w_i/W when every value is at least clip × the largest (random labelling: exactly 1/N)', () => {
    const mild = Float64Array.from({ length: N }, (_, i) => 1 + ((i * 7919) % N) / (N / 2));
    for (const [values, clip] of [
      [flat, 0.1],
      [mild, 0.3],
    ] as const) {
      const floor = fixedProposalFloor(values, clip)!;
      const total = values.reduce((a, v) => a + v, 0);
      for (let i = 0; i < N; i += 17) expect(floor[i]).toBeCloseTo(values[i] / total, 15);
      expect(smallestRatio(new SumTreeSampler(values, clip, 'corrected'), floor)).toBeGreaterThanOrEqual(1 - 1e-12);
      expect(smallestRatio(new ReferenceOrderSampler(values, clip, 'corrected'), floor)).toBeGreaterThanOrEqual(1 - 1e-12);
    }
    // The first draw of random labelling is at its floor: the bound is tight.
    expect(fixedProposalFloor(flat, 0.1)).toEqual(new Float64Array(N).fill(1 / N));
    // Just below the condition the (1 + clip) factor returns: mild's smallest value is 1, its largest just under 3.
    expect(fixedProposalFloor(mild, 0.34)![0]).toBeCloseTo(mild[0] / mild.reduce((a, v) => a + v, 0) / 1.34, 15);
  });

  it('holds for the defensive mixture and for the adaptive mixture, whatever weights it picks', () => {
    const defensive = fixedProposalFloor(skewed, 0.1, 0.3)!;
    expect(smallestRatio(createDefensiveSampler(skewed, 0.1, 0.3), defensive)).toBeGreaterThanOrEqual(1 - 1e-12);
    const candidates = [flat, skewed, Float64Array.from(skewed, (v) => Math.sqrt(v))];
    const floor = candidateMixtureFloor(candidates, 0.1)!;
    const adaptive = new AdaptiveSampler(candidates, 0.1, { prior: Float64Array.of(0.5, 0.5, 0) });
    const losses = Float64Array.from(skewed, (v, i) => (i % 5 === 0 ? 3 : v / 10));
    expect(smallestRatio(adaptive, floor, (i) => adaptive.observe(losses[i]))).toBeGreaterThanOrEqual(1 - 1e-12);
  });

  it('holds for the adaptive mixture with the floor of its defensive share, which is higher on neglected items', () => {
    const candidates = [flat, skewed, Float64Array.from(skewed, (v) => v * v)];
    const plain = candidateMixtureFloor(candidates, 0.1)!;
    const floor = candidateMixtureFloor(candidates, 0.1, { candidate: 0, weight: 0.05 })!;
    const losses = Float64Array.from(skewed, (v, i) => (i % 5 === 0 ? 3 : v / 10));
    for (const prior of [Float64Array.of(0.5, 0.5, 0), Float64Array.of(0.05, 0, 0.95), Float64Array.of(0.2, 0.4, 0.4)]) {
      const adaptive = new AdaptiveSampler(candidates, 0.1, { prior, defensiveWeight: 0.05 });
      expect(smallestRatio(adaptive, floor, (i) => adaptive.observe(losses[i]))).toBeGreaterThanOrEqual(1 - 1e-12);
    }
    // Closed form on the item every non-uniform candidate neglects most: its smallest candidate
    // probability p = (v + clip·mean v)/((1 + clip)·Σ v), and 0.95·p + 0.05/N with the defensive share.
    const neglected = skewed.indexOf(Math.min(...skewed));
    const probability = (values: Float64Array) => {
      const total = values.reduce((a, v) => a + v, 0);
      return (values[neglected] + (0.1 * total) / N) / (1.1 * total);
    };
    const smallest = Math.min(...candidates.map(probability));
    expect(smallest).toBeLessThan(0.1 / N);
    expect(plain[neglected]).toBeCloseTo(smallest, 15);
    expect(floor[neglected] / (0.95 * smallest + 0.05 / N)).toBeCloseTo(1, 12);
    // The mixture that is the defensive candidate alone bounds the items the others favour.
    for (let i = 0; i < N; i++) expect(floor[i]).toBeLessThanOrEqual(1 / N + 1e-15);
    expect(() => candidateMixtureFloor(candidates, 0.1, { candidate: 3, weight: 0.05 })).toThrow(/defensive.candidate/);
    expect(() => candidateMixtureFloor(candidates, 0.1, { candidate: 0, weight: 0 })).toThrow(/defensive.weight/);
  });

  it("gives each draw's floor from the weights it is drawn with: q ≥ it on every remaining item", () => {
    const candidates = [flat, skewed, Float64Array.from(skewed, (v) => Math.sqrt(v))];
    const adaptive = new AdaptiveSampler(candidates, 0.1, { prior: Float64Array.of(0.5, 0.5, 0) });
    const losses = Float64Array.from(skewed, (v, i) => (i % 5 === 0 ? 3 : v / 10));
    const guaranteed = candidateMixtureFloor(candidates, 0.1)!;
    let smallest = Infinity;
    let largestGain = 0;
    for (let run = 0; run < 2; run++) {
      adaptive.reset();
      const u = randomStream(run, [6]);
      const drawn = new Uint8Array(N);
      for (let m = 0; m < N; m++) {
        const floor = candidateMixtureDrawFloor(candidates, 0.1, adaptive.mixture)!;
        for (let i = 0; i < N; i++) {
          if (drawn[i] === 1) continue;
          smallest = Math.min(smallest, adaptive.probability(i) / floor[i]);
          largestGain = Math.max(largestGain, floor[i] / guaranteed[i]);
        }
        const item = adaptive.draw(u);
        drawn[item] = 1;
        adaptive.observe(losses[item]);
      }
    }
    expect(smallest).toBeGreaterThanOrEqual(1 - 1e-12);
    // Far above the guaranteed floor somewhere (the prior's uniform half alone is 5.5× clip/(1 + clip)/N).
    expect(largestGain).toBeGreaterThan(5);
    // Closed form of the documented example.
    const example = candidateMixtureDrawFloor([Float64Array.of(1, 1), Float64Array.of(0, 4)], 0.1, [0.5, 0.5])!;
    expect(example[0]).toBeCloseTo(0.25 + (0.5 * 0.2) / 4.4, 15);
    expect(example[1]).toBeCloseTo(0.25 + (0.5 * 4.2) / 4.4, 15);
    expect(() => candidateMixtureDrawFloor(candidates, 0.1, [1])).toThrow(/weights/);
    expect(candidateMixtureDrawFloor([Float64Array.of(1, -1)], 0.1, [1])).toBeNull();
  });

  it('is null where the proposal has no fixed floor', () => {
    expect(fixedProposalFloor(Float64Array.of(1, -1), 0.1)).toBeNull();
    expect(fixedProposalFloor(Float64Array.of(1, 0), 0)).toBeNull();
    expect(candidateMixtureFloor([Float64Array.of(1, Number.NaN)], 0.1)).toBeNull();
  });
});
