import { InputError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { logSoftmax } from '../metrics/index.js';

/** The fitted temperature and the mean negative log-likelihood it gives on the calibration labels. */
export interface TemperatureFit {
  readonly temperature: number;
  readonly nll: number;
}

/** Temperatures searched: wide enough for any LLM surrogate (1/T in [1/50, 50]). */
const INVERSE_TEMPERATURE_RANGE = [0.02, 50] as const;

/**
 * Fits the surrogate's temperature T by minimising the mean negative log-likelihood
 * `−(1/n) Σ log softmax(g_i/T)[y_i]` of labelled examples the surrogate has not seen.
 * The NLL is convex in β = 1/T (a log-sum-exp of linear functions minus a linear one), so a
 * golden-section search on β finds the global minimum.
 *
 * Which labels: a small held-out labelled set, counted in the label budget. An ICL surrogate's own
 * shots are in its prompt, so it is overconfident on them; leave-one-out over the shots would fix
 * that but needs one extra prompt (and pass over the pool) per shot, whereas ~50–200 held-out labels
 * cost nothing but labels and estimate T to a few percent.
 *
 * @example
 * const { temperature } = fitTemperature(heldOutScores, heldOutLabels); // e.g. 3.2: overconfident
 */
export function fitTemperature(scores: Matrix, labels: Int32Array, iterations = 60): TemperatureFit {
  if (labels.length !== scores.rows) {
    throw new InputError({ argument: 'calibration labels', expected: `${scores.rows} labels (one per calibration row)`, received: labels.length });
  }
  for (let i = 0; i < labels.length; i++) {
    if (!(Number.isInteger(labels[i]) && labels[i] >= 0 && labels[i] < scores.cols)) {
      throw new InputError({ argument: 'calibration labels', expected: `a class index in [0, ${scores.cols - 1}]`, received: labels[i], row: i });
    }
  }
  if (scores.rows === 0) throw new InputError({ argument: 'calibration scores', expected: 'at least one labelled row', received: 0 });
  const nll = (beta: number): number => meanNll(scores, labels, 1 / beta);
  // Golden-section search on log β (the NLL is unimodal in β, hence in log β).
  const ratio = (Math.sqrt(5) - 1) / 2;
  let lo = Math.log(INVERSE_TEMPERATURE_RANGE[0]);
  let hi = Math.log(INVERSE_TEMPERATURE_RANGE[1]);
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = nll(Math.exp(a));
  let fb = nll(Math.exp(b));
  for (let i = 0; i < iterations; i++) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = nll(Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = nll(Math.exp(b));
    }
  }
  const beta = Math.exp((lo + hi) / 2);
  return { temperature: 1 / beta, nll: nll(beta) };
}

/** Mean `−log softmax(g/T)[y]` over the rows. */
export function meanNll(scores: Matrix, labels: Int32Array, temperature: number): number {
  const logP = logSoftmax(scores, temperature).data;
  let total = 0;
  for (let i = 0; i < scores.rows; i++) total -= logP[i * scores.cols + labels[i]];
  return total / scores.rows;
}
