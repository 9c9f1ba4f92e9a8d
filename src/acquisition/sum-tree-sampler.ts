import { InputError } from '../errors.js';
import { checkClip } from './clip.js';
import type { RandomSource } from '../random.js';
import type { ProposalVariant } from './proposal.js';
import type { PoolSampler } from './sampler.js';
import { blockCount, blockSum, SortedPool, TREE_ARITY, TREE_ARITY_BITS } from './sorted-pool.js';

/**
 * The pool `samplerOnSortedPool` hands to the one constructor call it makes: the public constructor
 * takes plain values, so the internal sorted pool stays out of the public API.
 */
let preparedPool: SortedPool | null = null;

/**
 * A sampler on a pool already sorted and summed (shared between runs and threads), which skips
 * the O(N log N) preparation of `new SumTreeSampler(values, clip, variant)`.
 *
 * @example
 * const pool = SortedPool.prepare(Float64Array.of(1, 1, 2), 0.1);
 * samplerOnSortedPool(pool, 0.1, 'corrected').probability(2); // 0.5, as new SumTreeSampler(pool.weights, 0.1, 'corrected') says
 */
export function samplerOnSortedPool(pool: SortedPool, clip: number, variant: ProposalVariant): SumTreeSampler {
  preparedPool = pool;
  try {
    return new SumTreeSampler(pool.weights, clip, variant);
  } finally {
    preparedPool = null;
  }
}

/** Proposals one rejection-sampling draw may make before it draws from the tree instead. */
const MAX_PROPOSALS = 32;
/** Rejection sampling stops for the rest of a run once its acceptance rate could fall below this. */
const MIN_ACCEPTANCE = 0.25;
/** The farthest (in ranks) the floor threshold may move in one step while rejection sampling recounts the floored items by scanning. */
const MAX_SCAN = 64;

/**
 * Draws from exactly the floored proposal of `ReferenceOrderSampler` (docs/algorithms.md §3), in O(1)
 * expected time per step while it can, and O(log N) otherwise.
 *
 * The proposal over the R remaining items is q ∝ max(τ, w) with the floor τ = clip·W/R (W the
 * remaining value sum). A run starts by rejection sampling: an item is proposed from a static
 * alias table over all items with weights max(w, τ₀) (τ₀ the floor of the full pool), rejected if
 * already drawn, and accepted with probability max(w, τ)/(K·max(w, τ₀)), K = max(1, τ/τ₀), which
 * leaves exactly q. The normaliser of q comes from running sums and from the floored items below
 * the threshold rank, recounted as the threshold moves. Once the acceptance rate could drop below
 * a quarter (the run has drawn much of the pool's value), the threshold jumps far, or a draw makes
 * 32 proposals, the run's removals are applied to an 8-ary sum tree (`SortedPool`) and the rest of
 * the run descends the tree: the floored block (values below τ) is found by binary search, and the
 * draw takes the block or descends the weighted rest. Both paths draw from q; which one runs
 * depends only on the run's own draws.
 *
 * Tree nodes are recomputed from their children rather than updated by subtraction, so no
 * cancellation builds up, and `reset()` puts the removed values back and recomputes the touched
 * nodes the way the pool built them (O(size·log N), not O(N)), which restores them bit for bit:
 * no run depends on the runs before it. The map from uniforms to items differs from the reference
 * order; the distribution is the same (q agrees to ~1e-15).
 *
 * @example
 * const sampler = new SumTreeSampler(Float64Array.of(1, 1, 2), 0.1, 'corrected');
 * const item = sampler.draw(randomStream(0, [0]));
 * sampler.lastProbability; // 0.25 or 0.5, as the proposal says
 */
export class SumTreeSampler implements PoolSampler {
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
  /** 1 for each rank drawn or removed since the last reset. */
  private readonly isRemoved: Uint8Array;
  /** Ranks drawn or removed since the last reset, in order. */
  private readonly removed: Int32Array;
  private removedCount = 0;
  private remainingCount: number;
  /** Cumulative masses of the children of the node `descend` is at: entry c is the mass before child c. */
  private readonly massBefore = new Float64Array(TREE_ARITY);
  /** The shifted masses w + shift of one block of children, for `descend` with a shift. */
  private readonly shiftedBlock = new Float64Array(TREE_ARITY);
  private probabilityOfLast = Number.NaN;
  /** The uniform of the current draw from the tree. */
  private uniform01 = 0;
  /** The cumulative value sum `descend` looks for. */
  private target = 0;

  // Rejection sampling (see the class comment): the static proposal, fixed per sampler, then the run's sums.
  /** Whether runs start by rejection sampling: non-negative values with a positive sum. */
  private readonly rejectionAllowed: boolean;
  /** Whether the current run is rejection sampling (the tree then holds the full pool). */
  private rejecting: boolean;
  /** τ₀, the floor of the full pool, in value units. */
  private readonly staticFloor: number;
  /** Σ max(w, τ₀) over the full pool: the static proposal's mass. */
  private readonly staticMass: number;
  /** Alias table of the static proposal: keep bucket r with this probability, else take `aliasIndex[r]`. */
  private readonly aliasProbability: Float64Array;
  private readonly aliasIndex: Int32Array;
  /** Value sum of the remaining items, kept with its rounding error (Knuth's two-sum). */
  private remainingSum = 0;
  private remainingSumError = 0;
  /** The rank below which `removedBelowCount` and `removedBelowSum` count the removed items. */
  private scanRank = 0;
  private removedBelowCount = 0;
  private removedBelowSum = 0;

  // Per-step state set by `computeStep` (fields, so that a step allocates nothing).
  private floorValue = 0;
  private shift = 0;
  private total = 0;
  private normaliser = 1;
  private firstBlockRank = 0;
  private flooredCount = 0;
  private flooredSum = 0;
  /** Rank below which the tree walk `splitAt` last summed `flooredCount` and `flooredSum`; -1 after a change below it. */
  private splitRank = -1;
  private uniform = false;
  private undefinedProposal = false;

  constructor(
    weights: Float64Array,
    private readonly clip: number,
    private readonly variant: ProposalVariant,
  ) {
    checkClip(clip);
    this.pool = preparedPool ?? SortedPool.prepare(weights, clip);
    preparedPool = null;
    if (variant === 'reference' && this.pool.hasNegative) {
      throw new InputError({
        argument: 'acquisition values',
        expected: 'values ≥ 0 for the reference proposal in O(log N) (its negative shift, B-A1, needs ReferenceOrderSampler)',
        received: this.pool.sorted[0],
      });
    }
    const n = this.pool.weights.length;
    this.size = n;
    this.depth = this.pool.depth;
    this.levelStart = this.pool.levelStart;
    this.levelNodes = this.pool.levelNodes;
    this.leafStart = this.levelStart[this.depth];
    this.sums = this.pool.treeSums.slice();
    this.counts = this.pool.treeCounts.slice();
    this.hasNegative = this.pool.hasNegative;
    this.isRemoved = new Uint8Array(n);
    this.removed = new Int32Array(n);
    this.remainingCount = n;
    this.remainingSum = this.sums[0];
    const tables = this.pool.rejectionTablesFor(clip);
    this.rejectionAllowed = tables !== null;
    this.rejecting = this.rejectionAllowed;
    this.staticFloor = tables?.floor ?? 0;
    this.staticMass = tables?.mass ?? 0;
    this.aliasProbability = tables?.keep ?? new Float64Array(0);
    this.aliasIndex = tables?.alias ?? new Int32Array(0);
  }

  get remaining(): number {
    return this.remainingCount;
  }

  get lastProbability(): number {
    return this.probabilityOfLast;
  }

  draw(random: RandomSource): number {
    this.computeStep();
    // While rejection sampling, the step is always weighted: its mass stays well above zero.
    const rejecting = this.rejecting;
    let rank = rejecting ? this.proposeAndAccept(random) : -1;
    if (rank < 0) {
      // The run has just left rejection sampling: the step again, on the tree.
      if (rejecting) this.computeStep();
      if (this.undefinedProposal || this.uniform) {
        const remaining = this.remainingCount;
        rank = this.kthRemaining(this.undefinedProposal ? 0 : Math.min(Math.floor(random() * remaining), remaining - 1));
        this.probabilityOfLast = this.undefinedProposal ? Number.NaN : 1 / remaining;
        this.removeRank(rank);
        return this.pool.order[rank];
      }
      // Passed in a field: a float argument to a call the compiler does not inline is boxed.
      this.uniform01 = random();
      rank = this.drawFromTree();
    }
    this.probabilityOfLast = this.valueOfRank(rank) / this.normaliser;
    this.removeRank(rank);
    return this.pool.order[rank];
  }

  probability(index: number): number {
    const rank = this.pool.rankOf[index];
    if (rank === undefined || this.isRemoved[rank] === 1) return 0;
    this.computeStep();
    if (this.undefinedProposal) return Number.NaN;
    if (this.uniform) return 1 / this.remainingCount;
    return this.valueOfRank(rank) / this.normaliser;
  }

  remove(index: number): void {
    const rank = this.pool.rankOf[index];
    if (rank === undefined || this.isRemoved[rank] === 1) {
      throw new InputError({ argument: 'index', expected: `a remaining pool item in [0, ${this.size - 1}]`, received: index });
    }
    this.removeRank(rank);
  }

  reset(): void {
    const { removed, removedCount } = this;
    for (let j = 0; j < removedCount; j++) this.isRemoved[removed[j]] = 0;
    if (!this.rejecting) this.restoreTree();
    this.removedCount = 0;
    this.remainingCount = this.size;
    this.splitRank = -1;
    this.rejecting = this.rejectionAllowed;
    this.remainingSum = this.sums[0];
    this.remainingSumError = 0;
    this.removedBelowCount = 0;
    this.removedBelowSum = 0;
  }

  /**
   * Puts the removed leaves' values back and recomputes every node above them from its children,
   * bottom level first, exactly as SortedPool built it: the tree is restored bit for bit, with no
   * float added back, and without reading the pool's (cache-cold) tree. A level with no more nodes
   * than removals is recomputed whole.
   */
  private restoreTree(): void {
    const { sums, counts, depth, levelStart, levelNodes, removed, removedCount } = this;
    const values = this.pool.sorted;
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
  }

  /** Unnormalised proposal value max(c/R, (w + shift)/W') of a remaining rank. */
  private valueOfRank(rank: number): number {
    return Math.max(this.floorValue, (this.pool.sorted[rank] + this.shift) / this.total);
  }

  private computeStep(): void {
    const remaining = this.remainingCount;
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
    if (this.rejecting) {
      // The proposal's mass is at most W·(1 + clip); below this, rejection would accept under a
      // quarter of its proposals (and the running sum would be losing its relative precision).
      const remainingMass = this.remainingSum + this.remainingSumError;
      if (!(remainingMass * (1 + this.clip) >= MIN_ACCEPTANCE * this.staticMass)) this.stopRejecting();
    }
    this.total = (this.rejecting ? this.remainingSum + this.remainingSumError : this.sums[0]) + remaining * this.shift;
    if (!(this.total > 0)) {
      // All remaining values are zero: uniform, except the reference's 0/0 at clip 0 (B-A2).
      this.undefinedProposal = this.variant === 'reference' && this.clip === 0;
      this.uniform = !this.undefinedProposal;
      return;
    }
    // Items with (w + shift)/W' < c/R sit at the floor; they are a prefix in value order.
    this.firstBlockRank = gallopLowerBound(sorted, this.floorValue * this.total - this.shift, this.firstBlockRank);
    if (this.rejecting) {
      if (!this.countFlooredByScan()) {
        this.stopRejecting();
        this.computeStep();
        return;
      }
    } else if (this.firstBlockRank !== this.splitRank) {
      this.splitAt(this.firstBlockRank);
    }
    // The floored items' shifted mass is below clip·W', so the rest's, W' minus it, loses at most
    // a few ulps to cancellation (clip < 1).
    const blockMass = (this.total - (this.flooredSum + this.flooredCount * this.shift)) / this.total;
    this.normaliser = this.flooredCount * this.floorValue + blockMass;
  }

  /**
   * The count and value sum of the remaining items below the threshold rank, from the full pool's
   * prefix sums less the removed items below it, which are recounted over the ranks the threshold
   * moved across (or over the few removals so far). False when that would take too long.
   */
  private countFlooredByScan(): boolean {
    const target = this.firstBlockRank;
    const { isRemoved, removed, removedCount } = this;
    const sorted = this.pool.sorted;
    let rank = this.scanRank;
    if (Math.abs(target - rank) > MAX_SCAN) {
      if (removedCount > MAX_SCAN) return false;
      this.removedBelowCount = 0;
      this.removedBelowSum = 0;
      for (let j = 0; j < removedCount; j++) {
        if (removed[j] < target) {
          this.removedBelowCount++;
          this.removedBelowSum += sorted[removed[j]];
        }
      }
      rank = target;
    }
    for (; rank < target; rank++) {
      if (isRemoved[rank] === 1) {
        this.removedBelowCount++;
        this.removedBelowSum += sorted[rank];
      }
    }
    for (; rank > target; rank--) {
      if (isRemoved[rank - 1] === 1) {
        this.removedBelowCount--;
        this.removedBelowSum -= sorted[rank - 1];
      }
    }
    this.scanRank = target;
    this.flooredCount = target - this.removedBelowCount;
    const prefixSums = this.pool.prefixSums;
    this.flooredSum = this.removedBelowCount === 0 ? prefixSums[target] : prefixSums[target] - this.removedBelowSum;
    return true;
  }

  /**
   * One rejection-sampling draw: a rank distributed as q among the remaining ones, or -1 (after
   * switching to the tree) when the acceptance rate could be below a quarter or the proposals ran
   * out. Uses one or two uniforms per proposal.
   */
  private proposeAndAccept(random: RandomSource): number {
    const { staticFloor, aliasProbability, aliasIndex, isRemoved, size } = this;
    const sorted = this.pool.sorted;
    const floor = this.floorValue * this.total;
    const bound = floor > staticFloor ? floor / staticFloor : 1;
    if (!(this.normaliser * this.total >= MIN_ACCEPTANCE * bound * this.staticMass)) {
      this.stopRejecting();
      return -1;
    }
    for (let proposal = 0; proposal < MAX_PROPOSALS; proposal++) {
      // One uniform picks the bucket and, with its fraction, the alias coin: its 53 bits resolve
      // each item's probability as finely as the tree's inverse CDF does.
      const scaled = random() * size;
      let rank = Math.floor(scaled);
      if (rank >= size) rank = size - 1;
      if (scaled - rank >= aliasProbability[rank]) rank = aliasIndex[rank];
      if (isRemoved[rank] === 1) continue;
      const value = sorted[rank];
      const wanted = value > floor ? value : floor;
      const offered = bound * (value > staticFloor ? value : staticFloor);
      if (wanted === offered ? wanted > 0 : random() * offered < wanted) return rank;
    }
    this.stopRejecting();
    return -1;
  }

  /** Applies the run's removals to the tree; the rest of the run draws from it. */
  private stopRejecting(): void {
    this.rejecting = false;
    for (let j = 0; j < this.removedCount; j++) this.removeFromTree(this.removed[j]);
    this.splitRank = -1;
  }

  /** A draw from the tree with the uniform in `uniform01`, after `computeStep` (weighted case). */
  private drawFromTree(): number {
    // In value units (W' times the proposal's), so that the draw does not wait for the
    // normaliser's division: each floored item spans c/R·W', the weighted block W' − offset.
    const total = this.total;
    const offset = this.flooredSum + this.flooredCount * this.shift;
    const itemFloor = this.floorValue * total;
    const flooredMass = this.flooredCount * itemFloor;
    const x = this.uniform01 * (flooredMass + (total - offset));
    if (x < flooredMass) return this.kthRemaining(Math.min(Math.floor(x / itemFloor), this.flooredCount - 1));
    this.target = x - flooredMass + offset;
    const rank = this.descend();
    // Rounding can land just outside the weighted block: take its nearest remaining item.
    if (rank < this.firstBlockRank) return this.kthRemaining(this.flooredCount);
    if (rank >= this.size || this.isRemoved[rank] === 1) return this.kthRemaining(this.remainingCount - 1);
    return rank;
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

  /** Marks `rank` drawn, in the running sums while rejection sampling, else in the tree. */
  private removeRank(rank: number): void {
    this.isRemoved[rank] = 1;
    this.removed[this.removedCount++] = rank;
    this.remainingCount--;
    if (this.rejecting) {
      const value = this.pool.sorted[rank];
      // Knuth's two-sum of remainingSum − value: the rounding error is kept apart, exactly.
      const sum = this.remainingSum;
      const next = sum - value;
      const part = next - sum;
      this.remainingSumError += sum - (next - part) + (-value - part);
      this.remainingSum = next;
      if (rank < this.scanRank) {
        this.removedBelowCount++;
        this.removedBelowSum += value;
      }
    } else {
      this.removeFromTree(rank);
      if (rank < this.splitRank) this.splitRank = -1;
    }
  }

  /**
   * Zeroes leaf `rank` and recomputes the sums on its path from the children (`blockSum`, the
   * order the pool was built in), so the tree never holds a difference of floats.
   */
  private removeFromTree(rank: number): void {
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
        +(m0 <= target) +
        +(m01 <= target) +
        +(m012 <= target) +
        +(m0123 <= target) +
        +(m01234 <= target) +
        +(m012345 <= target) +
        +(m0123456 <= target);
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
