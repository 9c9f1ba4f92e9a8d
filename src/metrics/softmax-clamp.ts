import type { Matrix } from '../matrix.js';
import { pairwiseSum } from './pairwise-sum.js';
import { checkEps, checkMatrix, checkTemperature } from './validate.js';

/**
 * The reference's `softmax_clamp` (docs/reference-bugs.md), operation for operation, for `numerics: 'reference'`.
 * There is no max-subtraction: `exp(x/T)` is clipped to [eps, 1/eps] before normalising, so logits
 * above ln(1/eps) ≈ 34.54 saturate and tie (bug B-M2). With a temperature the normalised
 * probabilities are clipped again and NaNs become 1/eps. Use {@link clippedSoftmax} otherwise.
 *
 * @example
 * softmaxClamp({ data: Float64Array.of(0, Math.log(3)), rows: 1, cols: 2 }, null, 1e-15).data; // [0.25, 0.75]
 * softmaxClamp({ data: Float64Array.of(40, 38), rows: 1, cols: 2 }, null, 1e-15).data;         // [0.5, 0.5]
 */
export function softmaxClamp(m: Matrix, temperature: number | null, eps: number): Matrix {
  // Shape only: the reference's softmax floors a −∞ logit's probability at eps.
  checkMatrix(m, 'logits');
  checkTemperature(temperature);
  checkEps(eps);
  // The reference computes 1/eps, which is 999999999999999.9 for eps = 1e-15, not 1e15.
  const upper = 1 / eps;
  const { rows, cols } = m;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const start = i * cols;
    const end = start + cols;
    for (let j = start; j < end; j++) {
      const x = m.data[j] as number;
      const e = clip(Math.exp(temperature === null ? x : x / temperature), eps, upper);
      out[j] = temperature !== null && Number.isNaN(e) ? upper : e;
    }
    const total = pairwiseSum(out, start, end);
    for (let j = start; j < end; j++) {
      const p = (out[j] as number) / total;
      out[j] = temperature === null ? p : Number.isNaN(p) ? upper : clip(p, eps, upper);
    }
  }
  return { data: out, rows, cols };
}

/** numpy's clip: NaN stays NaN. */
function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
