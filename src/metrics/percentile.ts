import { InputError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { checkArrayLike } from '../io/index.js';

/**
 * The q-th percentile (0–100) of `values` with numpy's default `'linear'` method:
 * the sorted values interpolated at position (n − 1)·q/100. NaN if any value is NaN.
 *
 * @example
 * percentile([1, 2, 3, 4], 50); // 2.5
 * percentile([1, 2, 3, 4], 45); // 2.35
 * @throws InputError when `values` is not a non-empty array or `q` is outside [0, 100].
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  checkArrayLike(values, 'values');
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
 * @throws InputError when `values` is not a non-empty array.
 */
export function median(values: ArrayLike<number>): number {
  checkArrayLike(values, 'values');
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
 * Several percentiles (0–100) of each row of a matrix, each row sorted once: `rowPercentiles(m,
 * [45, 55])` equals `[rowPercentile(m, 45), rowPercentile(m, 55)]` to the bit, at the cost of one.
 *
 * @example
 * rowPercentiles({ data: Float64Array.of(1, 2, 3, 4), rows: 1, cols: 4 }, [45, 55]); // [[2.35], [2.6500000000000004]]
 */
export function rowPercentiles(m: Matrix, qs: readonly number[]): Float64Array[] {
  for (const q of qs) {
    if (!(q >= 0 && q <= 100)) throw new InputError({ argument: 'q', expected: 'a percentile in [0, 100]', received: q });
  }
  const out = qs.map(() => new Float64Array(m.rows));
  const row = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    row.set(m.data.subarray(i * m.cols, (i + 1) * m.cols));
    row.sort();
    for (let j = 0; j < qs.length; j++) out[j]![i] = sortedPercentile(row, qs[j]!);
  }
  return out;
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
 * any value is. For callers that own a scratch row (`rowMedian` copies each row first). Long rows
 * first narrow the search to a band around the median (`medianInBand`).
 *
 * @example
 * selectedMedian(Float64Array.of(4, 1, 3, 2)); // 2.5 (the array is reordered)
 */
export function selectedMedian(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  if (n >= BANDED_MEDIAN_MIN_LENGTH) {
    const inBand = medianInBand(values);
    if (inBand !== null) return inBand;
  }
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) return Number.NaN;
  const half = n >> 1;
  const upper = select(values, half, 0, n - 1);
  if (n % 2 === 1) return upper;
  // After selection everything before `half` is ≤ the upper middle: the lower middle is their maximum.
  return (maximum(values, 0, half) + upper) / 2;
}

/** Rows at least this long try `medianInBand` first. */
const BANDED_MEDIAN_MIN_LENGTH = 1024;
/** Values sampled, evenly spaced, to place the band. */
const BAND_SAMPLE = 128;
/** Half the band's width in sample ranks: about 2.8 standard deviations of the rank of the median in the sample. */
const BAND_HALF_WIDTH = 16;
/** `medianInBand`'s sample, reused: the function runs once per row of a summary. */
const bandSample = new Float64Array(BAND_SAMPLE);

/**
 * The median by selection in a band around it: the band's ends are sample quantiles around the
 * sample's median; one branch-free pass moves the values inside it to the front (a swap per value,
 * so `values` stays a permutation) and counts those below; selection then runs on the band alone,
 * about a quarter of the row. Branch-free, because the comparisons with the ends are what a
 * partition mispredicts. NaN when any value is NaN (it is in no count); null when the middle lies
 * outside the band (the caller then selects in the whole row).
 */
function medianInBand(values: Float64Array): number | null {
  const n = values.length;
  const sample = bandSample;
  for (let j = 0; j < BAND_SAMPLE; j++) sample[j] = values[Math.floor(((2 * j + 1) * n) / (2 * BAND_SAMPLE))];
  // The two ranks by selection, the second among what the first left above it: a sort of the
  // sample cost as much as the pass over the row.
  const lowRank = BAND_SAMPLE / 2 - BAND_HALF_WIDTH;
  const highRank = BAND_SAMPLE / 2 + BAND_HALF_WIDTH - 1;
  const low = select(sample, lowRank, 0, BAND_SAMPLE - 1);
  const high = select(sample, highRank, lowRank + 1, BAND_SAMPLE - 1);
  let below = 0;
  let above = 0;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    const isInside = +(value >= low) & +(value <= high);
    below += +(value < low);
    above += +(value > high);
    values[i] = values[inside];
    values[inside] = value;
    inside += isInside;
  }
  // A NaN (in the row, or at an end of the band) is neither below, above nor inside.
  if (below + above + inside !== n) return Number.NaN;
  const half = n >> 1;
  const first = n % 2 === 1 ? half : half - 1;
  if (first < below || half >= below + inside) return null;
  const upper = select(values, half - below, 0, inside - 1);
  if (n % 2 === 1) return upper;
  return (maximum(values, 0, half - below) + upper) / 2;
}

/** The largest of `values[from..to)` (to > from). */
function maximum(values: Float64Array, from: number, to: number): number {
  let largest = values[from];
  for (let i = from + 1; i < to; i++) if (values[i] > largest) largest = values[i];
  return largest;
}

/** Hoare's selection with a median-of-three pivot in `values[left..right]`: puts the k-th smallest at k, smaller ones before it. */
function select(values: Float64Array, k: number, left: number, right: number): number {
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
