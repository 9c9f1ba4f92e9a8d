import { InputError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import type { NumericsFlags } from '../numerics.js';
import { rowCrossEntropy } from './entropy.js';
import { classProbabilities } from './probabilities.js';
import { softmaxRows } from './softmax.js';
import { checkEps, checkLabels, checkMatrix, checkSameShape } from './validate.js';
import { checkObject } from '../io/index.js';
import { checkChoice, checkKnownKeys } from '../io/suggest.js';

/** The acquisition functions (docs/concepts.md): which per-item value the proposal is proportional to. */
export type AcquisitionFunction = 'iid' | 'true-loss' | 'self-entropy' | 'surrogate-ce' | 'surrogate-pe' | 'surrogate-nll';

/** Every acquisition function, in the order the CLI lists them. */
export const ACQUISITION_FUNCTIONS: readonly AcquisitionFunction[] = [
  'iid',
  'true-loss',
  'self-entropy',
  'surrogate-ce',
  'surrogate-pe',
  'surrogate-nll',
];

/** What the acquisition values are computed from. */
export interface AcquisitionInput {
  /** Target-model logits f (N×K). */
  modelScores: Matrix;
  /** Surrogate logits g (N×K); required by the `surrogate-*` functions. */
  surrogateScores?: Matrix;
  /** Class index per pool item (read by true-loss and surrogate-nll only: oracle-style functions). */
  labels: Int32Array;
}

/** How the acquisition values are computed. */
export interface AcquisitionValueOptions {
  /** Divides the surrogate's logits (surrogate-*) or the target's (self-entropy); null for none. */
  temperature: number | null;
  /** Probability floor; the reference uses 1e-15. */
  eps: number;
  /** `softmax` and `nll` choose between the reference's behaviour and the corrected one. */
  flags: NumericsFlags;
}

/**
 * The acquisition value of every pool item (the reference's `get_weights`), computed once per pool:
 * - `iid`: 1;
 * - `true-loss`: the target's true loss `−log clip(softmax(f)[y], eps, 1/eps)` (the oracle proposal);
 * - `self-entropy`: the entropy of the target's predictive distribution at temperature T;
 * - `surrogate-ce`: `−Σ_k π_g(k) log π_f(k)`, the surrogate's expected loss of the target (T on g only);
 * - `surrogate-pe`: the entropy of the surrogate at temperature T;
 * - `surrogate-nll`: `−log π_g(y)` with `flags.nll === 'true'`; with `'reference'` the cross-entropy
 *   against softmaxed one-hot labels (bug B-M1). It reads the labels, so it is an oracle-style ablation.
 *
 * `flags.softmax` picks the reference's softmax_clamp or the corrected stable softmax for π.
 *
 * @example
 * acquisitionValues('surrogate-ce', { modelScores: f, surrogateScores: g, labels: y },
 *   { temperature: null, eps: EPS, flags: NUMERICS_FLAGS.default }); // Float64Array(N)
 * @throws InputError when `input`, `options` or `options.flags` is not an object, a score matrix
 * is not a Matrix of rows × cols values or the two differ in shape, a label is not a class index
 * of its row, or `eps` or `temperature` is out of range.
 */
export function acquisitionValues(kind: AcquisitionFunction, input: AcquisitionInput, options: AcquisitionValueOptions): Float64Array {
  checkObject(input, 'input', 'scores { modelScores, surrogateScores?, labels }');
  checkObject(options, 'options', 'options { temperature, eps, flags }');
  checkKnownKeys(options, ['temperature', 'eps', 'flags'] satisfies (keyof AcquisitionValueOptions)[], null);
  checkChoice(kind, ACQUISITION_FUNCTIONS, 'acquisition');
  checkObject(options.flags, 'flags', 'numerics flags (e.g. NUMERICS_FLAGS.default)');
  const { modelScores, labels } = input;
  checkMatrix(modelScores, 'modelScores');
  const { temperature, eps, flags } = options;
  checkEps(eps);
  checkLabels(modelScores, labels);
  const probabilities = (logits: Matrix, t: number | null): Matrix => classProbabilities(logits, t, eps, flags.softmax);
  switch (kind) {
    case 'iid':
      return new Float64Array(modelScores.rows).fill(1);
    case 'true-loss':
      return trueLoss(modelScores, labels, eps);
    case 'self-entropy': {
      const p = probabilities(modelScores, temperature);
      return rowCrossEntropy(p, p, temperature !== null);
    }
    case 'surrogate-ce': {
      const g = surrogate(input);
      return rowCrossEntropy(probabilities(modelScores, null), probabilities(g, temperature), temperature !== null);
    }
    case 'surrogate-pe': {
      const p = probabilities(surrogate(input), temperature);
      return rowCrossEntropy(p, p, temperature !== null);
    }
    case 'surrogate-nll': {
      const p = probabilities(surrogate(input), temperature);
      if (flags.nll === 'true') return labelNegativeLog(p, labels);
      return rowCrossEntropy(p, probabilities(oneHot(labels, p.cols), null), temperature !== null);
    }
  }
}

function surrogate(input: AcquisitionInput): Matrix {
  if (input.surrogateScores === undefined) {
    throw new InputError({ argument: 'surrogateScores', expected: 'surrogate scores (N×K) for a surrogate-* acquisition function' });
  }
  checkMatrix(input.surrogateScores, 'surrogateScores');
  checkSameShape(input.modelScores, input.surrogateScores, 'surrogateScores');
  return input.surrogateScores;
}

function trueLoss(scores: Matrix, labels: Int32Array, eps: number): Float64Array {
  const p = softmaxRows(scores, null).data;
  const upper = 1 / eps;
  const out = new Float64Array(scores.rows);
  for (let i = 0; i < scores.rows; i++) {
    const py = p[i * scores.cols + (labels[i] as number)] as number;
    out[i] = -Math.log(py < eps ? eps : py > upper ? upper : py);
  }
  return out;
}

function labelNegativeLog(p: Matrix, labels: Int32Array): Float64Array {
  const out = new Float64Array(p.rows);
  for (let i = 0; i < p.rows; i++) out[i] = -Math.log(p.data[i * p.cols + (labels[i] as number)] as number);
  return out;
}

function oneHot(labels: Int32Array, cols: number): Matrix {
  const data = new Float64Array(labels.length * cols);
  for (let i = 0; i < labels.length; i++) data[i * cols + (labels[i] as number)] = 1;
  return { data, rows: labels.length, cols };
}
