import type { Matrix } from '../../matrix.js';
import { logSoftmax, stableSoftmax } from '../../metrics/index.js';
import { InputError } from '../../errors.js';

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
 */
export function secondMomentValues(modelScores: Matrix, surrogateScores: Matrix, temperature: number | null = null): Float64Array {
  if (surrogateScores.rows !== modelScores.rows || surrogateScores.cols !== modelScores.cols) {
    throw new InputError({
      argument: 'surrogateScores',
      expected: `the target's shape ${modelScores.rows}×${modelScores.cols}`,
      received: `${surrogateScores.rows}×${surrogateScores.cols}`,
    });
  }
  return secondMomentOf(logSoftmax(modelScores), stableSoftmax(surrogateScores, temperature));
}

/** `secondMomentValues` from the target's log-softmax and the surrogate's softmax, both already computed. */
export function secondMomentOf(logTarget: Matrix, belief: Matrix): Float64Array {
  const { rows, cols } = logTarget;
  const logP = logTarget.data;
  const pi = belief.data;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let moment = 0;
    for (let k = i * cols; k < (i + 1) * cols; k++) moment += pi[k] * logP[k] * logP[k];
    out[i] = Math.sqrt(moment);
  }
  return out;
}
