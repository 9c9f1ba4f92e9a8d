import { InputError } from '../errors.js';

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
 * solveTemperature(Float32Array.of(2, 0, 0, 2, 2, 0), Int32Array.of(0, 1, 1), 2).temperature; // ≈ 2.07
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

function nllAndDerivatives(scores: ArrayLike<number>, labels: Int32Array, k: number, beta: number): { value: number; slope: number; curvature: number } {
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
