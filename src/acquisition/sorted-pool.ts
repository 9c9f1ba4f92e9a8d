import { InputError } from '../errors.js';

/**
 * The once-per-pool work behind `FenwickSampler`: the items sorted by acquisition value and the
 * initial sum tree over them. Built once (O(N log N)) and shared by every run and thread; its
 * arrays are plain typed arrays, so they can be sent to workers (or live in a SharedArrayBuffer).
 *
 * @example
 * const pool = SortedPool.prepare(Float64Array.of(0.3, 0.1, 0.2));
 * pool.order; // Int32Array [1, 2, 0]
 */
export class SortedPool {
  /** Leaves in the sum tree: the smallest power of two ≥ N. */
  readonly leaves: number;

  constructor(
    /** Acquisition value per pool item. */
    readonly weights: Float64Array,
    /** Pool index of each rank (ascending value, ties by index). */
    readonly order: Int32Array,
    /** Rank of each pool index. */
    readonly rankOf: Int32Array,
    /** Values in rank order. */
    readonly sorted: Float64Array,
    /** Sum tree over `sorted` (node i = node 2i + node 2i+1, leaves at `leaves + rank`). */
    readonly treeSums: Float64Array,
    /** Count tree over the ranks (1 per item). */
    readonly treeCounts: Int32Array,
  ) {
    this.leaves = treeSums.length / 2;
  }

  /** Sorts the values and builds the trees. Values must be finite. */
  static prepare(weights: Float64Array, argument = 'acquisition values'): SortedPool {
    const n = weights.length;
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
    let leaves = 1;
    while (leaves < n) leaves *= 2;
    const treeSums = new Float64Array(2 * leaves);
    const treeCounts = new Int32Array(2 * leaves);
    treeSums.set(sorted, leaves);
    treeCounts.fill(1, leaves, leaves + n);
    for (let node = leaves - 1; node >= 1; node--) {
      treeSums[node] = treeSums[2 * node] + treeSums[2 * node + 1];
      treeCounts[node] = treeCounts[2 * node] + treeCounts[2 * node + 1];
    }
    return new SortedPool(weights, order, rankOf, sorted, treeSums, treeCounts);
  }

  /** Rebuilds a pool from arrays received from another thread. */
  static fromArrays(arrays: SortedPoolArrays): SortedPool {
    return new SortedPool(arrays.weights, arrays.order, arrays.rankOf, arrays.sorted, arrays.treeSums, arrays.treeCounts);
  }

  /** The arrays, for `postMessage`. */
  toArrays(): SortedPoolArrays {
    const { weights, order, rankOf, sorted, treeSums, treeCounts } = this;
    return { weights, order, rankOf, sorted, treeSums, treeCounts };
  }

  /** Whether any value is negative (the reference proposal's shift, B-A1, then needs the O(N) sampler). */
  get hasNegative(): boolean {
    return this.sorted[0] < 0;
  }
}

/** The structured-clone form of a `SortedPool`. */
export interface SortedPoolArrays {
  weights: Float64Array;
  order: Int32Array;
  rankOf: Int32Array;
  sorted: Float64Array;
  treeSums: Float64Array;
  treeCounts: Int32Array;
}

const DIGIT_BITS = 16;
const DIGITS = 1 << DIGIT_BITS;

/**
 * Indices of `values` in ascending order, ties by index: an LSD radix sort over the IEEE bits
 * mapped to unsigned order (four stable 16-bit passes). O(N), several times faster than a
 * comparator sort at N = 1e6.
 */
function sortOrder(values: Float64Array): Int32Array {
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
