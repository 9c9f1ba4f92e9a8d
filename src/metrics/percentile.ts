import { InputError } from '../errors.js';
import type { Matrix } from '../matrix.js';

/**
 * The q-th percentile (0–100) of `values` with numpy's default `'linear'` method:
 * the sorted values interpolated at position (n − 1)·q/100. NaN if any value is NaN.
 *
 * @example
 * percentile([1, 2, 3, 4], 50); // 2.5
 * percentile([1, 2, 3, 4], 45); // 2.35
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new InputError({ argument: 'q', expected: 'a percentile in [0, 100]', received: q });
  if (values.length === 0) throw new InputError({ argument: 'values', expected: 'at least one value', received: 0 });
  const sorted = Float64Array.from(values).sort();
  return sortedPercentile(sorted, q);
}

/**
 * The median, as `np.median`: the middle value, or the mean of the two middle values. NaN if any value is NaN.
 *
 * @example
 * median([3, 1, 2]);    // 2
 * median([4, 1, 3, 2]); // 2.5
 */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) throw new InputError({ argument: 'values', expected: 'at least one value', received: 0 });
  return sortedMedian(Float64Array.from(values).sort());
}

/**
 * The q-th percentile of each row of a matrix (rows × runs → one value per row), e.g. the 45–55 %
 * band of the squared error across runs.
 *
 * @example
 * rowPercentile({ data: Float64Array.of(1, 2, 3, 4), rows: 1, cols: 4 }, 55); // [2.6500000000000004], as numpy
 */
export function rowPercentile(m: Matrix, q: number): Float64Array {
  if (!(q >= 0 && q <= 100)) throw new InputError({ argument: 'q', expected: 'a percentile in [0, 100]', received: q });
  return reduceSortedRows(m, (row) => sortedPercentile(row, q));
}

/**
 * The median of each row of a matrix (rows × runs → one value per row).
 *
 * @example
 * rowMedian({ data: Float64Array.of(3, 1, 2, 4, 1, 3, 2, 9), rows: 2, cols: 4 }); // [2.5, 2.5]
 */
export function rowMedian(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  const row = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    row.set(m.data.subarray(i * m.cols, (i + 1) * m.cols));
    out[i] = selectedMedian(row);
  }
  return out;
}

/**
 * The median of `values` (reordered in place) by selection, O(n) expected instead of a sort; NaN if
 * any value is. For callers that own a scratch row (`rowMedian` copies each row first).
 *
 * @example
 * selectedMedian(Float64Array.of(4, 1, 3, 2)); // 2.5 (the array is reordered)
 */
export function selectedMedian(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) return Number.NaN;
  const half = n >> 1;
  const upper = select(values, half);
  if (n % 2 === 1) return upper;
  // After selection everything before `half` is ≤ the upper middle: the lower middle is their maximum.
  let lower = values[0];
  for (let i = 1; i < half; i++) if (values[i] > lower) lower = values[i];
  return (lower + upper) / 2;
}

/** Hoare's selection with a median-of-three pivot: puts the k-th smallest at k, smaller ones before it. */
function select(values: Float64Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (right > left) {
    const middle = (left + right) >> 1;
    const a = values[left];
    const b = values[middle];
    const c = values[right];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i++] = values[j];
        values[j--] = swap;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k];
}

function reduceSortedRows(m: Matrix, reduce: (sortedRow: Float64Array) => number): Float64Array {
  const out = new Float64Array(m.rows);
  const row = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    row.set(m.data.subarray(i * m.cols, (i + 1) * m.cols));
    out[i] = reduce(row.sort());
  }
  return out;
}

/** Typed-array sort puts NaN last, so a NaN anywhere shows up at the end. */
function sortedMedian(sorted: Float64Array): number {
  const n = sorted.length;
  if (Number.isNaN(sorted[n - 1])) return Number.NaN;
  const half = n >> 1;
  return n % 2 === 1 ? (sorted[half] as number) : ((sorted[half - 1] as number) + (sorted[half] as number)) / 2;
}

function sortedPercentile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (Number.isNaN(sorted[n - 1])) return Number.NaN;
  const position = (n - 1) * (q / 100);
  if (position >= n - 1) return sorted[n - 1] as number;
  const below = Math.floor(position);
  const a = sorted[below] as number;
  const b = sorted[below + 1] as number;
  const t = position - below;
  // numpy's _lerp: interpolate from the nearer end, which keeps the result monotone in t.
  const difference = b - a;
  return t >= 0.5 ? b - difference * (1 - t) : a + difference * t;
}
