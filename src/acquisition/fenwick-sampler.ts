import { InputError } from '../errors.js';
import { checkClip } from './clip.js';
import type { ProposalVariant } from './proposal.js';
import type { PoolSampler } from './sampler.js';
import { SortedPool } from './sorted-pool.js';

/**
 * Draws from exactly the floored proposal of `ReferenceOrderSampler` in O(log N) per step
 * (ALGORITHMS.md §3). Items are kept in value order in two binary-indexed sum trees (value and
 * count). Each step finds the floored block (values below clip·W/R) by binary search, draws the
 * block or the weighted rest, and descends the trees.
 *
 * Every tree node is recomputed from its children rather than updated by subtraction, so no
 * cancellation builds up, and `reset()` copies the touched nodes back from the pool's untouched
 * tree (O(size·log N), not O(N)), which restores them bit for bit: no run depends on the runs
 * before it. The map from `u` to items differs from the
 * reference order; the distribution is the same (q agrees to ~1e-15).
 *
 * @example
 * const sampler = new FenwickSampler(Float64Array.of(1, 1, 2), 0.1, 'corrected');
 * const item = sampler.draw(0.3);
 * sampler.lastProbability; // 0.25 or 0.5, as the proposal says
 */
export class FenwickSampler implements PoolSampler {
  readonly size: number;
  private readonly pool: SortedPool;
  private readonly sums: Float64Array;
  private readonly counts: Int32Array;
  private readonly leaves: number;
  private readonly depth: number;
  private readonly hasNegative: boolean;
  /** Ranks drawn or removed since the last reset. */
  private readonly removed: Int32Array;
  private removedCount = 0;
  private readonly stamps: Int32Array;
  private generation = 0;
  private probabilityOfLast = Number.NaN;
  // Per-step state set by `computeStep` (fields, so that a step allocates nothing).
  private floorValue = 0;
  private shift = 0;
  private total = 0;
  private normaliser = 1;
  private firstBlockRank = 0;
  private flooredCount = 0;
  private flooredSum = 0;
  private blockSum = 0;
  private uniform = false;
  private undefinedProposal = false;

  constructor(
    weights: Float64Array | SortedPool,
    private readonly clip: number,
    private readonly variant: ProposalVariant,
  ) {
    checkClip(clip);
    this.pool = weights instanceof SortedPool ? weights : SortedPool.prepare(weights);
    if (variant === 'reference' && this.pool.hasNegative) {
      throw new InputError({
        argument: 'acquisition values',
        expected: 'non-negative values for the reference proposal in O(log N) (its negative shift, B-A1, needs ReferenceOrderSampler)',
        received: this.pool.sorted[0],
      });
    }
    this.size = this.pool.weights.length;
    this.sums = this.pool.treeSums.slice();
    this.counts = this.pool.treeCounts.slice();
    this.leaves = this.pool.leaves;
    this.depth = Math.log2(this.leaves);
    this.hasNegative = this.pool.hasNegative;
    this.removed = new Int32Array(this.size);
    this.stamps = new Int32Array(2 * this.leaves);
  }

  get remaining(): number {
    return this.counts[1];
  }

  get lastProbability(): number {
    return this.probabilityOfLast;
  }

  draw(u: number): number {
    this.computeStep();
    const remaining = this.counts[1];
    let rank: number;
    if (this.undefinedProposal) {
      rank = this.kthRemaining(0);
      this.probabilityOfLast = Number.NaN;
    } else if (this.uniform) {
      rank = this.kthRemaining(Math.min(Math.floor(u * remaining), remaining - 1));
      this.probabilityOfLast = 1 / remaining;
    } else {
      const x = u * this.normaliser;
      const flooredMass = this.flooredCount * this.floorValue;
      if (x < flooredMass) {
        rank = this.kthRemaining(Math.min(Math.floor(x / this.floorValue), this.flooredCount - 1));
      } else {
        const offset = this.flooredSum + this.flooredCount * this.shift;
        rank = this.descend((x - flooredMass) * this.total + offset);
        // Rounding can land just outside the weighted block: take its nearest remaining item.
        if (rank < this.firstBlockRank) rank = this.kthRemaining(this.flooredCount);
        else if (rank >= this.size || this.counts[this.leaves + rank] === 0) rank = this.kthRemaining(remaining - 1);
      }
      this.probabilityOfLast = this.valueOfRank(rank) / this.normaliser;
    }
    const index = this.pool.order[rank];
    this.removeRank(rank);
    this.removed[this.removedCount++] = rank;
    return index;
  }

  probability(index: number): number {
    const rank = this.pool.rankOf[index];
    if (rank === undefined || this.counts[this.leaves + rank] === 0) return 0;
    this.computeStep();
    if (this.undefinedProposal) return Number.NaN;
    if (this.uniform) return 1 / this.counts[1];
    return this.valueOfRank(rank) / this.normaliser;
  }

  remove(index: number): void {
    const rank = this.pool.rankOf[index];
    if (rank === undefined || this.counts[this.leaves + rank] === 0) {
      throw new InputError({ argument: 'index', expected: `a remaining pool item in [0, ${this.size - 1}]`, received: index });
    }
    this.removeRank(rank);
    this.removed[this.removedCount++] = rank;
  }

  reset(): void {
    const { sums, counts, leaves, removed, stamps } = this;
    const pristineSums = this.pool.treeSums;
    const pristineCounts = this.pool.treeCounts;
    if (this.generation === 0x3fffffff) {
      stamps.fill(0);
      this.generation = 0;
    }
    const generation = ++this.generation;
    // Copy every touched node back from the pool's untouched tree: bit-for-bit, no float
    // arithmetic. A node already restored in this reset has its whole path to the root restored.
    for (let j = 0; j < this.removedCount; j++) {
      for (let node = leaves + removed[j]; node >= 1 && stamps[node] !== generation; node >>= 1) {
        stamps[node] = generation;
        sums[node] = pristineSums[node];
        counts[node] = pristineCounts[node];
      }
    }
    this.removedCount = 0;
  }

  /** Unnormalised proposal value max(c/R, (w + shift)/W') of a remaining rank. */
  private valueOfRank(rank: number): number {
    return Math.max(this.floorValue, (this.pool.sorted[rank] + this.shift) / this.total);
  }

  private computeStep(): void {
    const remaining = this.counts[1];
    if (remaining === 0) {
      throw new InputError({ argument: 'sampler', expected: 'at least one remaining item to draw', received: 0 });
    }
    const sorted = this.pool.sorted;
    this.floorValue = this.clip / remaining;
    this.undefinedProposal = false;
    this.uniform = false;
    this.shift = 0;
    if (this.hasNegative) {
      // The corrected proposal shifts by −min over the remaining items; equal values are uniform.
      const min = sorted[this.kthRemaining(0)];
      if (min === sorted[this.kthRemaining(remaining - 1)]) {
        this.uniform = true;
        return;
      }
      if (min < 0) this.shift = -min;
    }
    this.total = this.sums[1] + remaining * this.shift;
    if (!(this.total > 0)) {
      // All remaining values are zero: uniform, except the reference's 0/0 at clip 0 (B-A2).
      this.undefinedProposal = this.variant === 'reference' && this.clip === 0;
      this.uniform = !this.undefinedProposal;
      return;
    }
    // Items with (w + shift)/W' < c/R sit at the floor; they are a prefix in value order.
    this.firstBlockRank = gallopLowerBound(sorted, this.floorValue * this.total - this.shift, this.firstBlockRank);
    this.splitAt(this.firstBlockRank);
    const blockCount = remaining - this.flooredCount;
    const blockMass = (this.blockSum + blockCount * this.shift) / this.total;
    this.normaliser = this.flooredCount * this.floorValue + blockMass;
  }

  /**
   * One walk from the root to leaf `rank`: the count and value sum of remaining items below it and
   * the value sum at or above it (each node's sum is exact-ish, so no difference of large sums).
   */
  private splitAt(rank: number): void {
    const { sums, counts } = this;
    let count = 0;
    let below = 0;
    let above = 0;
    if (rank >= this.leaves) {
      this.flooredCount = counts[1];
      this.flooredSum = sums[1];
      this.blockSum = 0;
      return;
    }
    let node = 1;
    for (let bit = this.depth - 1; bit >= 0; bit--) {
      const left = 2 * node;
      if ((rank >> bit) & 1) {
        count += counts[left];
        below += sums[left];
        node = left + 1;
      } else {
        above += sums[left + 1];
        node = left;
      }
    }
    this.flooredCount = count;
    this.flooredSum = below;
    this.blockSum = above + sums[node];
  }

  private removeRank(rank: number): void {
    const { sums, counts } = this;
    let node = this.leaves + rank;
    sums[node] = 0;
    counts[node] = 0;
    for (node >>= 1; node >= 1; node >>= 1) {
      sums[node] = sums[2 * node] + sums[2 * node + 1];
      counts[node]--; // integers: exact
    }
  }

  /** Rank of the k-th (0-based) remaining item in value order. */
  private kthRemaining(k: number): number {
    const counts = this.counts;
    let node = 1;
    while (node < this.leaves) {
      const left = 2 * node;
      if (counts[left] > k) node = left;
      else {
        k -= counts[left];
        node = left + 1;
      }
    }
    return node - this.leaves;
  }

  /** First rank whose cumulative Σ(w + shift) over remaining items exceeds `target`. */
  private descend(target: number): number {
    const { sums, counts, shift, leaves } = this;
    let node = 1;
    if (shift === 0) {
      // Branch-free: the direction at each level is as unpredictable as the draw.
      while (node < leaves) {
        const left = 2 * node;
        const mass = sums[left];
        const right = +(mass <= target);
        target -= right * mass;
        node = left + right;
      }
      return node - leaves;
    }
    while (node < leaves) {
      const left = 2 * node;
      const mass = sums[left] + counts[left] * shift;
      const right = +(mass <= target);
      target -= right * mass;
      node = left + right;
    }
    return node - leaves;
  }
}

/**
 * First index of the ascending `values` that is ≥ `target` (values.length if none), searched by
 * galloping out from `hint`: the floor threshold moves little between steps, so this is O(1)
 * typically and O(log N) at worst.
 */
function gallopLowerBound(values: Float64Array, target: number, hint: number): number {
  const n = values.length;
  let lo: number;
  let hi: number;
  if (hint > n) hint = n;
  if (hint < n && values[hint] < target) {
    // The answer is above hint.
    let stride = 1;
    lo = hint + 1;
    hi = hint + 1;
    while (hi < n && values[hi] < target) {
      lo = hi + 1;
      hi += stride;
      stride *= 2;
    }
    if (hi > n) hi = n;
  } else {
    // The answer is at or below hint.
    let stride = 1;
    hi = hint;
    lo = hint;
    while (lo > 0 && values[lo - 1] >= target) {
      hi = lo - 1;
      lo -= stride;
      stride *= 2;
      if (lo < 0) lo = 0;
    }
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
