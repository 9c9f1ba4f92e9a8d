import { InputError } from '../errors.js';
import { pairwiseSum } from '../metrics/index.js';
import { aliasTable } from './alias-table.js';

/** log₂ of the children per node of the sum tree. */
export const TREE_ARITY_BITS = 3;
/** Children per node of the sum tree: eight doubles, one 64-byte cache line. */
export const TREE_ARITY = 1 << TREE_ARITY_BITS;

/**
 * The static proposal `SumTreeSampler` rejection-samples from, for one clip: weights max(w, τ₀)
 * over the full pool (τ₀ = clip·W/N, the full pool's floor), their sum, and their alias table.
 */
export interface RejectionTables {
  clip: number;
  /** τ₀, in value units. */
  floor: number;
  /** Σ max(w, τ₀). */
  mass: number;
  /** Alias table over ranks (`aliasTable`). */
  keep: Float64Array;
  alias: Int32Array;
}

/** The structured-clone form of a `SortedPool`: every array it holds. */
export interface SortedPoolArrays {
  /** Acquisition value per pool item. */
  weights: Float64Array;
  /** Pool index of each rank (ascending value, ties by index). */
  order: Int32Array;
  /** Rank of each pool index. */
  rankOf: Int32Array;
  /** Values in rank order. */
  sorted: Float64Array;
  /** prefixSums[k]: the value sum of ranks below k (length N + 1). */
  prefixSums: Float64Array;
  /** Sum tree over `sorted` (layout: `treeLayout`). */
  treeSums: Float64Array;
  /** Count tree over the ranks (1 per item). */
  treeCounts: Int32Array;
  /** The rejection sampler's tables for the clip the pool was prepared with, or null. */
  rejection: RejectionTables | null;
}

/**
 * The once-per-pool work behind `SumTreeSampler`: the items sorted by acquisition value, their
 * prefix sums, the initial sum tree over them and, given a clip, the rejection sampler's static
 * proposal. Built once (O(N log N)) and shared by every run and thread; its arrays are plain typed
 * arrays, so they can be sent to workers (or live in a SharedArrayBuffer).
 *
 * The tree is 8-ary, stored level by level from the root (level 0) to the leaves (level `depth`,
 * the values in rank order): node j of a level has its children at 8j … 8j + 7 of the next, one
 * cache line, so a walk from the root touches log₈ N lines instead of log₂ N. Each node holds the
 * value sum (`blockSum`, in a fixed order) and the item count of its children.
 *
 * @example
 * const pool = SortedPool.prepare(Float64Array.of(0.3, 0.1, 0.2), 0.1);
 * pool.order; // Int32Array [1, 2, 0]
 */
export class SortedPool implements SortedPoolArrays {
  readonly weights: Float64Array;
  readonly order: Int32Array;
  readonly rankOf: Int32Array;
  readonly sorted: Float64Array;
  readonly prefixSums: Float64Array;
  readonly treeSums: Float64Array;
  readonly treeCounts: Int32Array;
  readonly rejection: RejectionTables | null;
  /** Levels below the root; the leaves are level `depth`. */
  readonly depth: number;
  /** Where each level starts in the tree arrays (length depth + 2: the last entry is their length). */
  readonly levelStart: Int32Array;
  /** Nodes in use per level (the rest of a level is zero padding up to whole blocks). */
  readonly levelNodes: Int32Array;

  constructor(arrays: SortedPoolArrays) {
    ({
      weights: this.weights,
      order: this.order,
      rankOf: this.rankOf,
      sorted: this.sorted,
      prefixSums: this.prefixSums,
      treeSums: this.treeSums,
      treeCounts: this.treeCounts,
      rejection: this.rejection,
    } = arrays);
    const layout = treeLayout(this.weights.length);
    this.depth = layout.depth;
    this.levelStart = layout.levelStart;
    this.levelNodes = layout.levelNodes;
  }

  /**
   * Sorts the values and builds the prefix sums and trees; with `clip`, also the rejection
   * sampler's tables for that clip. Values must be finite.
   */
  static prepare(weights: Float64Array, clip?: number): SortedPool {
    const n = weights.length;
    const argument = 'acquisition values';
    if (n === 0) throw new InputError({ argument, expected: 'a non-empty pool', received: 0 });
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(weights[i])) throw new InputError({ argument, expected: 'finite values', received: weights[i], row: i });
    }
    const order = sortOrder(weights);
    const rankOf = new Int32Array(n);
    const sorted = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      rankOf[order[r]] = r;
      sorted[r] = weights[order[r]];
    }
    const { depth, levelStart, levelNodes } = treeLayout(n);
    const treeSums = new Float64Array(levelStart[depth + 1]);
    const treeCounts = new Int32Array(levelStart[depth + 1]);
    treeSums.set(sorted, levelStart[depth]);
    treeCounts.fill(1, levelStart[depth], levelStart[depth] + n);
    for (let level = depth - 1; level >= 0; level--) {
      for (let node = 0; node < levelNodes[level]; node++) {
        const children = levelStart[level + 1] + TREE_ARITY * node;
        treeSums[levelStart[level] + node] = blockSum(treeSums, children);
        treeCounts[levelStart[level] + node] = blockCount(treeCounts, children);
      }
    }
    const rejection = clip === undefined ? null : rejectionTables(sorted, treeSums[0], clip);
    return new SortedPool({ weights, order, rankOf, sorted, prefixSums: compensatedPrefixSums(sorted), treeSums, treeCounts, rejection });
  }

  /** The arrays, for `postMessage`. */
  toArrays(): SortedPoolArrays {
    const { weights, order, rankOf, sorted, prefixSums, treeSums, treeCounts, rejection } = this;
    return { weights, order, rankOf, sorted, prefixSums, treeSums, treeCounts, rejection };
  }

  /** Whether any value is negative (the reference proposal's shift, B-A1, then needs the O(N) sampler). */
  get hasNegative(): boolean {
    return this.sorted[0] < 0;
  }

  /**
   * The rejection sampler's tables for `clip`: the prepared ones, else built now (O(N)); null when
   * the pool cannot be rejection-sampled (a negative value, or no positive one).
   */
  rejectionTablesFor(clip: number): RejectionTables | null {
    if (this.rejection !== null && this.rejection.clip === clip) return this.rejection;
    return rejectionTables(this.sorted, this.treeSums[0], clip);
  }
}

/** The static proposal of `RejectionTables` for values in rank order with sum `total`. */
function rejectionTables(sorted: Float64Array, total: number, clip: number): RejectionTables | null {
  if (sorted[0] < 0 || !(total > 0)) return null;
  const floor = (clip / sorted.length) * total;
  // A loop rather than `map`: it runs once per pool, before the compiler has warmed up, where a
  // call per item costs more than the loop's own work.
  const weights = new Float64Array(sorted.length);
  for (let r = 0; r < sorted.length; r++) weights[r] = Math.max(sorted[r], floor);
  const mass = pairwiseSum(weights);
  return { clip, floor, mass, ...aliasTable(weights, mass) };
}

/** prefix[k] = Σ values[0..k), each rounded once from a compensated running sum (length n + 1). */
function compensatedPrefixSums(values: Float64Array): Float64Array {
  const prefix = new Float64Array(values.length + 1);
  let sum = 0;
  let error = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const next = sum + x;
    const part = next - sum;
    error += sum - (next - part) + (x - part);
    sum = next;
    prefix[i + 1] = sum + error;
  }
  return prefix;
}

/**
 * The sum of the block of 8 children at `start`, always in this order, so that recomputing a node
 * after its children are restored gives back its value bit for bit.
 */
export function blockSum(sums: Float64Array, start: number): number {
  return (
    sums[start] +
    sums[start + 1] +
    (sums[start + 2] + sums[start + 3]) +
    (sums[start + 4] + sums[start + 5] + (sums[start + 6] + sums[start + 7]))
  );
}

/** The item count of the block of 8 children at `start`. */
export function blockCount(counts: Int32Array, start: number): number {
  return (
    counts[start] +
    counts[start + 1] +
    counts[start + 2] +
    counts[start + 3] +
    counts[start + 4] +
    counts[start + 5] +
    counts[start + 6] +
    counts[start + 7]
  );
}

/** The shape of the 8-ary tree over n leaves: levels, where each starts, and nodes in use per level. */
function treeLayout(n: number): { depth: number; levelStart: Int32Array; levelNodes: Int32Array } {
  const nodes = [n];
  while (nodes[0] > 1) nodes.unshift(Math.ceil(nodes[0] / TREE_ARITY));
  const depth = nodes.length - 1;
  const levelStart = new Int32Array(depth + 2);
  // Above a single leaf, the root level is padded to a whole block, so that every block starts on
  // a multiple of 8.
  levelStart[1] = depth === 0 ? 1 : TREE_ARITY;
  for (let level = 1; level <= depth; level++) levelStart[level + 1] = levelStart[level] + TREE_ARITY * nodes[level - 1];
  return { depth, levelStart, levelNodes: Int32Array.from(nodes) };
}

const DIGIT_BITS = 16;
const DIGITS = 1 << DIGIT_BITS;
/**
 * Pools this large or larger are ordered by the radix sort; smaller ones by the native sort and a
 * search per item: the radix sort's four passes over 65,536 buckets cost more than the whole of
 * the other at N = 1e4 when it runs once, before the compiler has warmed up (about 30 ms against 5).
 */
const RADIX_SORT_MIN_LENGTH = DIGITS;

/** Indices of `values` in ascending order, ties by index (−0 ties with +0). Values must be finite. */
function sortOrder(values: Float64Array): Int32Array {
  return values.length < RADIX_SORT_MIN_LENGTH ? searchSortOrder(values) : radixSortOrder(values);
}

/**
 * `sortOrder` by the engine's native sort of a copy of the values, then for each index in turn a
 * binary search for the first rank of its value: equal values take their ranks in index order.
 * O(N log N), with nothing to compile but the search loop.
 */
function searchSortOrder(values: Float64Array): Int32Array {
  const n = values.length;
  const sorted = new Float64Array(values).sort();
  // How many items have been given ranks from each first rank on.
  const placed = new Int32Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    let low = 0;
    let high = n;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (sorted[middle] < value) low = middle + 1;
      else high = middle;
    }
    order[low + placed[low]++] = i;
  }
  return order;
}

/**
 * `sortOrder` by an LSD radix sort over the IEEE bits mapped to unsigned order (four stable 16-bit
 * passes). O(N), several times faster than a comparator sort at N = 1e6.
 */
function radixSortOrder(values: Float64Array): Int32Array {
  const n = values.length;
  const bits = new Float64Array(n);
  for (let i = 0; i < n; i++) bits[i] = values[i] === 0 ? 0 : values[i]; // −0 sorts with +0
  const words = new Uint32Array(bits.buffer);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1];
    const l = words[2 * i];
    // Negative numbers: flip every bit; non-negative: flip the sign bit.
    const negative = h >>> 31 === 1;
    hi[i] = negative ? ~h >>> 0 : (h | 0x80000000) >>> 0;
    lo[i] = negative ? ~l >>> 0 : l;
  }
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let nextLo = new Uint32Array(n);
  let nextHi = new Uint32Array(n);
  let nextOrder = new Int32Array(n);
  const counts = new Uint32Array(DIGITS);
  for (let pass = 0; pass < 4; pass++) {
    const source = pass < 2 ? lo : hi;
    const shift = (pass % 2) * DIGIT_BITS;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(source[i] >>> shift) & (DIGITS - 1)]++;
    if (counts[(source[0] >>> shift) & (DIGITS - 1)] === n) continue; // one digit value: nothing to do
    let offset = 0;
    for (let d = 0; d < DIGITS; d++) {
      const c = counts[d];
      counts[d] = offset;
      offset += c;
    }
    for (let i = 0; i < n; i++) {
      const target = counts[(source[i] >>> shift) & (DIGITS - 1)]++;
      nextLo[target] = lo[i];
      nextHi[target] = hi[i];
      nextOrder[target] = order[i];
    }
    [lo, nextLo] = [nextLo, lo];
    [hi, nextHi] = [nextHi, hi];
    [order, nextOrder] = [nextOrder, order];
  }
  return order;
}
