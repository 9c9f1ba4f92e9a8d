const BLOCK = 128;
const UNROLL = 8;

/**
 * Sums `values[start..end)` exactly as numpy's `np.sum` does for a contiguous float64 array:
 * pairwise summation with blocks of 128 and an 8-way unrolled inner loop. Using the same
 * order of additions is what makes means and row sums agree with the reference bit for bit.
 *
 * @example
 * pairwiseSum([0.1, 0.2, 0.3]); // 0.6000000000000001, as np.sum([0.1, 0.2, 0.3])
 * pairwiseSum(new Float64Array([1, 2, 3, 4]), 1, 3); // 5
 */
export function pairwiseSum(values: ArrayLike<number>, start = 0, end = values.length): number {
  const n = end - start;
  if (n < UNROLL) {
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i] as number;
    return sum;
  }
  if (n <= BLOCK) {
    let r0 = values[start] as number;
    let r1 = values[start + 1] as number;
    let r2 = values[start + 2] as number;
    let r3 = values[start + 3] as number;
    let r4 = values[start + 4] as number;
    let r5 = values[start + 5] as number;
    let r6 = values[start + 6] as number;
    let r7 = values[start + 7] as number;
    const unrolledEnd = start + (n - (n % UNROLL));
    let i = start + UNROLL;
    for (; i < unrolledEnd; i += UNROLL) {
      r0 += values[i] as number;
      r1 += values[i + 1] as number;
      r2 += values[i + 2] as number;
      r3 += values[i + 3] as number;
      r4 += values[i + 4] as number;
      r5 += values[i + 5] as number;
      r6 += values[i + 6] as number;
      r7 += values[i + 7] as number;
    }
    let sum = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < end; i++) sum += values[i] as number;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % UNROLL;
  return pairwiseSum(values, start, start + half) + pairwiseSum(values, start + half, end);
}

/**
 * The mean of `values[start..end)` as numpy's `np.mean` computes it (pairwise sum, then divide).
 *
 * @example
 * pairwiseMean([1, 2, 3, 4]); // 2.5
 */
export function pairwiseMean(values: ArrayLike<number>, start = 0, end = values.length): number {
  return pairwiseSum(values, start, end) / (end - start);
}
