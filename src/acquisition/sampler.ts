import type { RandomSource } from '../random.js';

/**
 * Draws pool items one at a time, without replacement, from the floored proposal over the items
 * that remain (docs/concepts.md, The proposal). One sampler serves many runs: `reset()` restores the full pool.
 */
export interface PoolSampler {
  /** Pool size N. */
  readonly size: number;
  /** Items not drawn or removed since the last reset. */
  readonly remaining: number;
  /** Proposal probability q of the item returned by the last `draw`. */
  readonly lastProbability: number;
  /**
   * Draws a remaining item with uniforms from `random` (how many is the sampler's business:
   * one for `ReferenceOrderSampler`), removes it and returns its pool index.
   */
  draw(random: RandomSource): number;
  /** Current proposal probability of a remaining item (0 for an item already drawn). */
  probability(index: number): number;
  /** Removes an item from the remaining pool without drawing it. */
  remove(index: number): void;
  /** Restores the full pool. */
  reset(): void;
}
