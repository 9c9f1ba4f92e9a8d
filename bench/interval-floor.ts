import type { PoolSampler } from '../src/acquisition/sampler.js';
import type { AdaptiveSampler } from '../src/acquisition/adaptive/index.js';
import { randomStream } from '../src/random.js';

/** P(no raised item drawn) the floor keeps: P(width ≥ F) ≥ P − 2α = 0.55 > 1/2 with α = 0.05. */
const UNSEEN_PROBABILITY = 0.65;

/**
 * A lower bound on the median half-width of **any** valid 95% interval for the pool risk after
 * `labels` draws under `sampler`, from the losses and their upper bounds alone (docs/concepts.md,
 * "What no valid interval can beat"): raise to its upper bound the loss of a set S of items that
 * the proposal rarely draws. Until an item of S is drawn, the labels, the proposal and so any
 * interval are the same as on the real pool, and P(no item of S drawn) ≥ 1 − E[#S drawn]. With
 * E[#S drawn] ≤ 0.35, a valid interval (one that misses the risk of either pool with probability
 * ≤ 0.05) reaches the raised risk in ≥ 60% of runs on the real pool and lies above the true risk
 * in ≤ 5%, so its width is at least F = Σ_S (b_i − ℓ_i)/N in ≥ 55% of runs: its median too. S is chosen greedily by (b_i − ℓ_i)/E[draws of i]; E[draws of i]
 * = Σ_t E[q_t(i)] is estimated from `runs` seeded runs (each step asks the proposal for every
 * remaining item: O(N) per label). Returns F/2.
 */
export function unseenHalfWidthFloor(
  sampler: PoolSampler,
  feedback: AdaptiveSampler | null,
  losses: Float64Array,
  upper: Float64Array,
  labels: number,
  runs: number,
  seed: number,
): number {
  const n = losses.length;
  const expectedDraws = new Float64Array(n);
  for (let r = 0; r < runs; r++) {
    sampler.reset();
    const u = randomStream(seed, [r]);
    for (let m = 0; m < labels; m++) {
      for (let i = 0; i < n; i++) expectedDraws[i] += sampler.probability(i) / runs;
      const item = sampler.draw(u);
      feedback?.observe(losses[item]);
    }
  }
  const excess = (i: number) => upper[i] - losses[i];
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => excess(j) * expectedDraws[i] - excess(i) * expectedDraws[j]);
  const budget = 1 - UNSEEN_PROBABILITY;
  let used = 0;
  let raised = 0;
  for (const i of order) {
    const cost = expectedDraws[i];
    // Whole items only: S must be a set of items.
    if (used + cost > budget) continue;
    used += cost;
    raised += excess(i);
  }
  return raised / n / 2;
}
