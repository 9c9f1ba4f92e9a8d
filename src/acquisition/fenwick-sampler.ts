import { InputError } from '../errors.js';
import { checkClip } from './clip.js';
import type { ProposalVariant } from './proposal.js';
import type { PoolSampler } from './sampler.js';
import { blockCount, blockSum, SortedPool, TREE_ARITY, TREE_ARITY_BITS } from './sorted-pool.js';

/**
 * Draws from exactly the floored proposal of `ReferenceOrderSampler` in O(log N) per step
 * (ALGORITHMS.md §3). Items are kept in value order in an 8-ary sum tree (`SortedPool`) that
 * holds, per node, the value sum and the count of remaining items below it. Each step finds the
 * floored block (values below clip·W/R) by binary search, draws the block or the weighted rest,
 * and descends the tree.
 *
 * Every tree node is recomputed from its children rather than updated by subtraction, so no
 * cancellation builds up, and `reset()` puts the removed values back and recomputes the touched
 * nodes the way the pool built them (O(size·log N), not O(N)), which restores them bit for bit:
 * no run depends on the runs before it. The map from `u` to items differs from the reference
 * order; the distribution is the same (q agrees to ~1e-15).
 *
 * @example
 * const sampler = new FenwickSampler(Float64Array.of(1, 1, 2), 0.1, 'corrected');
 * const item = sampler.draw(0.3);
 * sampler.lastProbability; // 0.25 or 0.5, as the proposal says
 */
export class FenwickSampler implements PoolSampler {
  readonly size: number;
  private readonly pool: SortedPool;
  /** Value sum of the remaining items below each node (the layout of `SortedPool`). */
  private readonly sums: Float64Array;
  /** Count of the remaining items below each node. */
  private readonly counts: Int32Array;
  private readonly depth: number;
  private readonly levelStart: Int32Array;
  private readonly levelNodes: Int32Array;
  /** Where the leaves start in `sums` and `counts`. */
  private readonly leafStart: number;
  private readonly hasNegative: boolean;
  /** Ranks drawn or removed since the last reset. */
  private readonly removed: Int32Array;
  private removedCount = 0;
  /** Cumulative masses of the children of the node `descend` is at: entry c is the mass before child c. */
  private readonly massBefore = new Float64Array(TREE_ARITY);
  /** The shifted masses w + shift of one block of children, for `descend` with a shift. */
  private readonly shiftedBlock = new Float64Array(TREE_ARITY);
  private probabilityOfLast = Number.NaN;
  /** The uniform of the current `draw`. */
  private uniform01 = 0;
  /** The cumulative value sum `descend` looks for. */
  private target = 0;
  // Per-step state set by `computeStep` (fields, so that a step allocates nothing).
  private floorValue = 0;
  private shift = 0;
  private total = 0;
  private normaliser = 1;
  private firstBlockRank = 0;
  private flooredCount = 0;
  private flooredSum = 0;
  /** Rank below which `flooredCount` and `flooredSum` were last summed; -1 after a change below it. */
  private splitRank = -1;
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
    this.depth = this.pool.depth;
    this.levelStart = this.pool.levelStart;
    this.levelNodes = this.pool.levelNodes;
    this.leafStart = this.levelStart[this.depth];
    this.sums = this.pool.treeSums.slice();
    this.counts = this.pool.treeCounts.slice();
    this.hasNegative = this.pool.hasNegative;
    this.removed = new Int32Array(this.size);
  }

  get remaining(): number {
    return this.counts[0];
  }

  get lastProbability(): number {
    return this.probabilityOfLast;
  }

  draw(u: number): number {
    // The work is in `drawUniform`, which takes no float argument: a float passed to a call the
    // compiler does not inline is boxed (an allocation per step), and this small method is
    // inlined into a caller's loop while `drawUniform` is too big to be.
    this.uniform01 = u;
    return this.drawUniform();
  }

  private drawUniform(): number {
    const u = this.uniform01;
    this.computeStep();
    const remaining = this.counts[0];
    let rank: number;
    if (this.undefinedProposal) {
      rank = this.kthRemaining(0);
      this.probabilityOfLast = Number.NaN;
    } else if (this.uniform) {
      rank = this.kthRemaining(Math.min(Math.floor(u * remaining), remaining - 1));
      this.probabilityOfLast = 1 / remaining;
    } else {
      // In value units (W' times the proposal's), so that the draw does not wait for the
      // normaliser's division: each floored item spans c/R·W', the weighted block W' − offset.
      const total = this.total;
      const offset = this.flooredSum + this.flooredCount * this.shift;
      const itemFloor = this.floorValue * total;
      const flooredMass = this.flooredCount * itemFloor;
      const x = u * (flooredMass + (total - offset));
      if (x < flooredMass) {
        rank = this.kthRemaining(Math.min(Math.floor(x / itemFloor), this.flooredCount - 1));
      } else {
        // Passed in a field, as `draw` passes the uniform.
        this.target = x - flooredMass + offset;
        rank = this.descend();
        // Rounding can land just outside the weighted block: take its nearest remaining item.
        if (rank < this.firstBlockRank) rank = this.kthRemaining(this.flooredCount);
        else if (rank >= this.size || this.counts[this.leafStart + rank] === 0) rank = this.kthRemaining(remaining - 1);
      }
      this.probabilityOfLast = this.valueOfRank(rank) / this.normaliser;
    }
    this.removeRank(rank);
    return this.pool.order[rank];
  }

  probability(index: number): number {
    const rank = this.pool.rankOf[index];
    if (rank === undefined || this.counts[this.leafStart + rank] === 0) return 0;
    this.computeStep();
    if (this.undefinedProposal) return Number.NaN;
    if (this.uniform) return 1 / this.counts[0];
    return this.valueOfRank(rank) / this.normaliser;
  }

  remove(index: number): void {
    const rank = this.pool.rankOf[index];
    if (rank === undefined || this.counts[this.leafStart + rank] === 0) {
      throw new InputError({ argument: 'index', expected: `a remaining pool item in [0, ${this.size - 1}]`, received: index });
    }
    this.removeRank(rank);
  }

  reset(): void {
    const { sums, counts, depth, levelStart, levelNodes, removed, removedCount } = this;
    const values = this.pool.sorted;
    // The removed leaves get their values back, and every node above them is recomputed from its
    // children, bottom level first, exactly as SortedPool built it: the tree is restored bit for
    // bit, with no float added back, and without reading the pool's (cache-cold) tree. A level
    // with no more nodes than removals is recomputed whole.
    for (let j = 0; j < removedCount; j++) {
      sums[this.leafStart + removed[j]] = values[removed[j]];
      counts[this.leafStart + removed[j]] = 1;
    }
    for (let level = depth - 1; level >= 0; level--) {
      const start = levelStart[level];
      const children = levelStart[level + 1];
      const shift = TREE_ARITY_BITS * (depth - level);
      if (levelNodes[level] <= removedCount) {
        for (let node = 0; node < levelNodes[level]; node++) {
          sums[start + node] = blockSum(sums, children + TREE_ARITY * node);
          counts[start + node] = blockCount(counts, children + TREE_ARITY * node);
        }
      } else {
        for (let j = 0; j < removedCount; j++) {
          const node = removed[j] >> shift;
          sums[start + node] = blockSum(sums, children + TREE_ARITY * node);
          counts[start + node] = blockCount(counts, children + TREE_ARITY * node);
        }
      }
    }
    this.removedCount = 0;
    this.splitRank = -1;
  }

  /**
   * Unnormalised proposal value max(c/R, (w + shift)/W') of a remaining rank. A remaining leaf
   * holds its value w, and its line is warm from the walk that found it.
   */
  private valueOfRank(rank: number): number {
    return Math.max(this.floorValue, (this.sums[this.leafStart + rank] + this.shift) / this.total);
  }

  private computeStep(): void {
    const remaining = this.counts[0];
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
    this.total = this.sums[0] + remaining * this.shift;
    if (!(this.total > 0)) {
      // All remaining values are zero: uniform, except the reference's 0/0 at clip 0 (B-A2).
      this.undefinedProposal = this.variant === 'reference' && this.clip === 0;
      this.uniform = !this.undefinedProposal;
      return;
    }
    // Items with (w + shift)/W' < c/R sit at the floor; they are a prefix in value order.
    this.firstBlockRank = gallopLowerBound(sorted, this.floorValue * this.total - this.shift, this.firstBlockRank);
    if (this.firstBlockRank !== this.splitRank) this.splitAt(this.firstBlockRank);
    // The floored items' shifted mass is below clip·W', so the rest's, W' minus it, loses at most
    // a few ulps to cancellation (clip < 1).
    const blockMass = (this.total - (this.flooredSum + this.flooredCount * this.shift)) / this.total;
    this.normaliser = this.flooredCount * this.floorValue + blockMass;
  }

  /**
   * One walk from the root to leaf `rank`: the count and value sum of the remaining items before
   * it, from the nodes left of the path (each node's sum is exact-ish, so no difference of large
   * sums). They change only when the rank moves or an item below it is removed, so the walk is
   * skipped on most steps.
   */
  private splitAt(rank: number): void {
    const { sums, counts, depth, levelStart } = this;
    this.splitRank = rank;
    if (rank >= this.size) {
      this.flooredCount = counts[0];
      this.flooredSum = sums[0];
      return;
    }
    let count = 0;
    let below = 0;
    for (let level = 1; level <= depth; level++) {
      const node = rank >> (TREE_ARITY_BITS * (depth - level));
      const first = levelStart[level] + (node & -TREE_ARITY);
      for (let child = first; child < levelStart[level] + node; child++) {
        count += counts[child];
        below += sums[child];
      }
    }
    this.flooredCount = count;
    this.flooredSum = below;
  }

  /**
   * Zeroes leaf `rank` and recomputes the sums on its path from the children (`blockSum`, the
   * order the pool was built in), so the tree never holds a difference of floats.
   */
  private removeRank(rank: number): void {
    const { sums, counts, depth, levelStart } = this;
    sums[this.leafStart + rank] = 0;
    counts[this.leafStart + rank] = 0;
    let node = rank;
    for (let level = depth - 1; level >= 0; level--) {
      const children = levelStart[level + 1] + (node & -TREE_ARITY);
      node >>= TREE_ARITY_BITS;
      sums[levelStart[level] + node] = blockSum(sums, children);
      counts[levelStart[level] + node]--; // integers: exact
    }
    this.removed[this.removedCount++] = rank;
    if (rank < this.splitRank) this.splitRank = -1;
  }

  /** Rank of the k-th (0-based) remaining item in value order. */
  private kthRemaining(k: number): number {
    const { counts, depth, levelStart } = this;
    let node = 0;
    for (let level = 1; level <= depth; level++) {
      let child = levelStart[level] + TREE_ARITY * node;
      while (counts[child] <= k) k -= counts[child++];
      node = child - levelStart[level];
    }
    return node;
  }

  /**
   * First rank whose cumulative (shifted) value sum over remaining items exceeds `target`. At each
   * level the cumulative masses of the 8 children are formed in a shallow order, and the child is
   * the count of those not above the target: no branch on the draw, whose direction is as
   * unpredictable as the draw itself.
   */
  private descend(): number {
    const { sums, counts, depth, levelStart, shift, massBefore, shiftedBlock } = this;
    let target = this.target;
    let node = 0;
    for (let level = 1; level <= depth; level++) {
      let masses = sums;
      let at = levelStart[level] + TREE_ARITY * node;
      if (shift !== 0) {
        for (let c = 0; c < TREE_ARITY; c++) shiftedBlock[c] = sums[at + c] + counts[at + c] * shift;
        masses = shiftedBlock;
        at = 0;
      }
      const m0 = masses[at];
      const m01 = m0 + masses[at + 1];
      const m012 = m01 + masses[at + 2];
      const m0123 = m01 + (masses[at + 2] + masses[at + 3]);
      const m01234 = m0123 + masses[at + 4];
      const m012345 = m0123 + (masses[at + 4] + masses[at + 5]);
      const m0123456 = m012345 + masses[at + 6];
      massBefore[1] = m0;
      massBefore[2] = m01;
      massBefore[3] = m012;
      massBefore[4] = m0123;
      massBefore[5] = m01234;
      massBefore[6] = m012345;
      massBefore[7] = m0123456;
      const child =
        +(m0 <= target) + +(m01 <= target) + +(m012 <= target) + +(m0123 <= target) +
        +(m01234 <= target) + +(m012345 <= target) + +(m0123456 <= target);
      target -= massBefore[child];
      node = TREE_ARITY * node + child;
    }
    return node;
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
