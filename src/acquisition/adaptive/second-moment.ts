import type { Matrix } from '../../matrix.js';
import { logSoftmaxRowInto, softmaxRowInto } from '../../metrics/softmax.js';
import { checkMatrix, checkTemperature } from '../../metrics/validate.js';
import { InputError, ReceivedKind } from '../../errors.js';

/**
 * The second-moment acquisition value `√E_π[ℓ²]` of every pool item (`surrogate-m2`): with the
 * target's loss `ℓ_k = −log p_f(k)` if the label were k and the surrogate's belief `π = softmax(g/T)`,
 * `√(Σ_k π_k ℓ_k²)`. The variance-minimising proposal is q ∝ |ℓ| (the oracle), so q ∝ √E[ℓ²] is
 * its best guess under the surrogate, whereas the cross-entropy E_π[ℓ] undersamples items that the
 * surrogate is confidently wrong about.
 *
 * @example
 * const f = { data: Float64Array.of(0, 0), rows: 1, cols: 2 };
 * secondMomentValues(f, f); // [ln 2]: both labels cost ln 2
 * @throws {InputError} when `modelScores` or `surrogateScores` is not a matrix, their shapes differ,
 * or `temperature` is neither a finite number > 0 nor null.
 */
export function secondMomentValues(modelScores: Matrix, surrogateScores: Matrix, temperature: number | null = null): Float64Array {
  checkMatrix(modelScores, 'modelScores');
  checkMatrix(surrogateScores, 'surrogateScores');
  if (surrogateScores.rows !== modelScores.rows || surrogateScores.cols !== modelScores.cols) {
    throw new InputError({
      argument: 'surrogateScores',
      expected: `the target's shape ${modelScores.rows}×${modelScores.cols}`,
      received: new ReceivedKind(`the shape ${surrogateScores.rows}×${surrogateScores.cols}`),
    });
  }
  checkTemperature(temperature);
  const { rows, cols } = modelScores;
  const logTarget = new Float64Array(cols);
  const belief = new Float64Array(cols);
  const exps = new Float64Array(cols);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    logSoftmaxRowInto(modelScores, i, null, logTarget, 0, exps);
    softmaxRowInto(surrogateScores, i, temperature, belief, 0);
    out[i] = secondMomentRow(logTarget, belief);
  }
  return out;
}

/** One row of `secondMomentValues`: `√(Σ_k π_k ℓ_k²)` from the target's log-softmax row −ℓ and the surrogate's softmax row π. */
export function secondMomentRow(logTarget: Float64Array, belief: Float64Array): number {
  let moment = 0;
  for (let k = 0; k < logTarget.length; k++) moment += belief[k] * logTarget[k] * logTarget[k];
  if (moment < Infinity) return Math.sqrt(moment);
  // A loss above about 1e154 (finite logits that far apart) squares to infinity: scale by the largest.
  let largest = 0;
  for (let k = 0; k < logTarget.length; k++) largest = Math.max(largest, Math.abs(logTarget[k]));
  let scaled = 0;
  for (let k = 0; k < logTarget.length; k++) scaled += belief[k] * (logTarget[k] / largest) ** 2;
  return largest * Math.sqrt(scaled);
}
