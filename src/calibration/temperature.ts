import { InputError } from '../errors.js';
import { matrixView, toLabels, type LabelsInput, type Matrix, type MatrixInput } from '../matrix.js';
import { logSoftmax } from '../metrics/index.js';

/** The fitted temperature and the mean negative log-likelihood it gives on the calibration labels. */
export interface TemperatureFit {
  readonly temperature: number;
  readonly nll: number;
  /**
   * True when the NLL's minimum lies outside 1/T in [1/50, 50] and `temperature` is an end of that
   * range, not a fitted value: 0.02 when the NLL still falls there (separable data, every label its
   * row's unique top class, has no minimum at all; nearly separable data has one beyond it), 50
   * when no sharpening helps (the scores say next to nothing of the labels). A larger or harder
   * calibration set usually fits inside it.
   */
  readonly atBound: boolean;
}

/**
 * A `TemperatureFit` on a calibration set and the number of labelled rows it was fitted on: what
 * `simulate` records of the fit behind a calibrated surrogate temperature
 * (`SimulationResult.calibration`, and `calibration` in `summary.json`).
 */
export interface CalibrationFit extends TemperatureFit {
  readonly rows: number;
}

/** Temperatures a calibrated surrogate may take: wide enough for any LLM surrogate (1/T in [1/50, 50]). */
export const INVERSE_TEMPERATURE_RANGE = [0.02, 50] as const;

/**
 * Fits the surrogate's temperature T by minimising the mean negative log-likelihood
 * `−(1/n) Σ log softmax(g_i/T)[y_i]` of labelled examples the surrogate has not seen. The NLL is
 * convex in 1/T, so a safeguarded Newton search finds its exact minimum, which is then held to
 * 1/T in [1/50, 50] so that the surrogate stays usable (`atBound` says when it was). `nll` is the
 * mean NLL at the returned T.
 *
 * Which labels: a small held-out labelled set, counted in the label budget. An ICL surrogate's own
 * shots are in its prompt, so it is overconfident on them; leave-one-out over the shots would fix
 * that but needs one extra prompt (and pass over the pool) per shot, whereas ~50–200 held-out labels
 * cost nothing but labels and estimate T to a few percent. `simulate`, sessions and grids fit it for
 * you from their `calibration` option; this is the same fit on its own.
 *
 * @example
 * fitTemperature([[2, 0], [0, 2], [2, 0]], [0, 1, 1]).temperature; // 2 / ln 2 ≈ 2.885: the surrogate is overconfident
 * fitTemperature([[3, 0], [0, 3]], [0, 1]); // { temperature: 0.02, atBound: true, … }: separable, T is the search bound
 * @throws InputError when `scores` is not a non-empty finite matrix or `labels` are not one class
 *   index (or one-hot row) per row of it.
 */
export function fitTemperature(scores: MatrixInput, labels: LabelsInput): TemperatureFit {
  const matrix = matrixView(scores, 'scores');
  if (matrix.rows === 0) throw new InputError({ argument: 'scores', expected: 'at least one labelled row', received: 0 });
  const indices = toLabels(labels, 'labels', matrix.rows, matrix.cols);
  const exact = solveTemperature(matrix.data, indices, matrix.cols);
  const [lowest, highest] = INVERSE_TEMPERATURE_RANGE;
  const exactBeta = 1 / exact.temperature;
  const beta = Math.min(highest, Math.max(lowest, exactBeta));
  const temperature = 1 / beta;
  return { temperature, nll: meanNll(matrix, indices, temperature), atBound: beta !== exactBeta };
}

/**
 * The warning for a fit whose temperature is an end of its search range (`TemperatureFit.atBound`),
 * naming the option or grid key of the calibration set it was fitted on: one text for every
 * command that fits a surrogate temperature.
 *
 * @example
 * temperatureBoundWarning('--calibration-scores', fitTemperature([[3, 0], [0, 3]], [0, 1]));
 * // '--calibration-scores: the surrogate temperature T = 0.02 is the end of its search range [0.02, 50], …'
 */
export function temperatureBoundWarning(argument: string, fit: Pick<TemperatureFit, 'temperature'>): string {
  // The range is of 1/T: T's own runs from the inverse of its upper end to the inverse of its lower.
  const [lowestInverse, highestInverse] = INVERSE_TEMPERATURE_RANGE;
  const why =
    fit.temperature < 1
      ? 'the likelihood still rises as T falls below it: the surrogate ranks (nearly) every calibration label first; more or harder calibration labels would fit it'
      : "the likelihood still rises as T grows past it: the surrogate's scores say (almost) nothing of the calibration labels, so a calibrated proposal is close to uniform";
  return `${argument}: the surrogate temperature T = ${fit.temperature} is the end of its search range [${1 / highestInverse}, ${1 / lowestInverse}], not a fitted value: ${why}`;
}

/** Mean `−log softmax(g/T)[y]` over the rows. */
export function meanNll(scores: Matrix, labels: Int32Array, temperature: number): number {
  const logP = logSoftmax(scores, temperature).data;
  let total = 0;
  for (let i = 0; i < scores.rows; i++) total -= logP[i * scores.cols + labels[i]];
  return total / scores.rows;
}

/** The unbounded temperature fit of `solveTemperature`. */
export interface TemperatureSolution {
  /** The temperature T minimising the mean NLL of softmax(scores / T); `Infinity` when no sharpening helps (uniform is best). */
  temperature: number;
  /** The mean NLL at that temperature. */
  loss: number;
  /** The mean NLL at T = 1, for comparison. */
  lossAtOne: number;
  /** True when every item's label is its unique top class: the NLL then falls towards 0 as T → 0, and `temperature` is 0. */
  separable: boolean;
}

/**
 * The temperature that minimises the mean negative log-likelihood on labelled scores, solved
 * exactly: in β = 1/T the NLL `mean_i(logsumexp(β z_i) − β z_{i,y_i})` is convex, with derivative
 * `mean_i(E_p[z_i] − z_{i,y_i})` and second derivative `mean_i(Var_p(z_i))`, so a safeguarded
 * Newton search on the derivative's root converges to machine precision. (The reference runs
 * LBFGS from T = 1.5 instead.)
 *
 * @example
 * solveTemperature(Float32Array.of(2, 0, 0, 2, 2, 0), Int32Array.of(0, 1, 1), 2).temperature; // 2 / ln 2 ≈ 2.885
 */
export function solveTemperature(scores: ArrayLike<number>, labels: Int32Array, numClasses: number): TemperatureSolution {
  const n = labels.length;
  if (n === 0 || scores.length !== n * numClasses) {
    throw new InputError({ argument: 'scores', expected: `a non-empty ${n}×${numClasses} matrix`, received: scores.length });
  }
  const objective = (beta: number) => nllAndDerivatives(scores, labels, numClasses, beta);
  const lossAtOne = objective(1).value;
  if (isSeparable(scores, labels, numClasses)) return { temperature: 0, loss: 0, lossAtOne, separable: true };
  if (objective(0).slope >= 0) return { temperature: Infinity, loss: objective(0).value, lossAtOne, separable: false };
  // Not separable, so some item's label is not its unique top class and the slope turns positive for a finite β.
  let lo = 0;
  let hi = 1;
  while (objective(hi).slope < 0) {
    lo = hi;
    hi *= 2;
  }
  let beta = (lo + hi) / 2;
  for (let iteration = 0; iteration < 200; iteration++) {
    const { slope, curvature } = objective(beta);
    if (slope < 0) lo = beta;
    else hi = beta;
    const newton = curvature > 0 ? beta - slope / curvature : NaN;
    const next = newton > lo && newton < hi ? newton : (lo + hi) / 2;
    if (Math.abs(next - beta) <= 1e-14 * Math.max(1, beta) || hi - lo <= 1e-15 * hi) {
      beta = next;
      break;
    }
    beta = next;
  }
  return { temperature: 1 / beta, loss: objective(beta).value, lossAtOne, separable: false };
}

function isSeparable(scores: ArrayLike<number>, labels: Int32Array, k: number): boolean {
  for (let i = 0; i < labels.length; i++) {
    const zy = scores[i * k + (labels[i] as number)] as number;
    for (let j = 0; j < k; j++) if (j !== labels[i] && (scores[i * k + j] as number) >= zy) return false;
  }
  return true;
}

function nllAndDerivatives(
  scores: ArrayLike<number>,
  labels: Int32Array,
  k: number,
  beta: number,
): { value: number; slope: number; curvature: number } {
  let value = 0;
  let slope = 0;
  let curvature = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = i * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, beta * (scores[row + j] as number));
    let sum = 0;
    let mean = 0;
    let second = 0;
    for (let j = 0; j < k; j++) {
      const z = scores[row + j] as number;
      const w = Math.exp(beta * z - max);
      sum += w;
      mean += w * z;
      second += w * z * z;
    }
    mean /= sum;
    second /= sum;
    const zy = scores[row + (labels[i] as number)] as number;
    value += max + Math.log(sum) - beta * zy;
    slope += mean - zy;
    curvature += Math.max(0, second - mean * mean);
  }
  return { value: value / labels.length, slope: slope / labels.length, curvature: curvature / labels.length };
}
