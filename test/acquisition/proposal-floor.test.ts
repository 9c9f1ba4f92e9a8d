import { describe, expect, it } from 'vitest';
import { candidateMixtureFloor, fixedProposalFloor } from '../../src/acquisition/proposal-floor.js';
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

  it('holds for the defensive mixture and for the adaptive mixture, whatever weights it picks', () => {
    const defensive = fixedProposalFloor(skewed, 0.1, 0.3)!;
    expect(smallestRatio(createDefensiveSampler(skewed, 0.1, 0.3), defensive)).toBeGreaterThanOrEqual(1 - 1e-12);
    const candidates = [flat, skewed, Float64Array.from(skewed, (v) => Math.sqrt(v))];
    const floor = candidateMixtureFloor(candidates, 0.1)!;
    const adaptive = new AdaptiveSampler(candidates, 0.1, { prior: Float64Array.of(0.5, 0.5, 0) });
    const losses = Float64Array.from(skewed, (v, i) => (i % 5 === 0 ? 3 : v / 10));
    expect(smallestRatio(adaptive, floor, (i) => adaptive.observe(losses[i]))).toBeGreaterThanOrEqual(1 - 1e-12);
  });

  it('is null where the proposal has no fixed floor', () => {
    expect(fixedProposalFloor(Float64Array.of(1, -1), 0.1)).toBeNull();
    expect(fixedProposalFloor(Float64Array.of(1, 0), 0)).toBeNull();
    expect(candidateMixtureFloor([Float64Array.of(1, Number.NaN)], 0.1)).toBeNull();
  });
});
