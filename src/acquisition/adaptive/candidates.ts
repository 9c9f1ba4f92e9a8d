import { InputError } from '../../errors.js';
import type { Matrix } from '../../matrix.js';
import { clipProbabilities } from '../../metrics/index.js';
import { crossEntropyOfLogs, replaceNaNByMax } from '../../metrics/entropy.js';
import { softmaxAndLogSoftmaxRowInto, softmaxRowInto } from '../../metrics/softmax.js';
import { checkMatrix, checkSameShape, checkTemperature } from '../../metrics/validate.js';
import { EPS } from '../../numerics.js';
import { checkObject } from '../../io/index.js';
import { SumTreeSampler } from '../sum-tree-sampler.js';
import type { PoolSampler } from '../sampler.js';
import { AdaptiveSampler, type AdaptiveOptions } from './adaptive-sampler.js';
import { MixtureSampler } from './mixture-sampler.js';
import { secondMomentRow } from './second-moment.js';

/** One proposal the adaptive mixture may use: a name and its acquisition value per pool item. */
export interface Candidate {
  readonly name: string;
  readonly values: Float64Array;
}

/**
 * Multiples of the base temperature tried by the adaptive candidates: calibrated and softer. Both
 * at 4T were candidates too: without them the error stayed the same within its noise on every pool
 * and real pair measured (docs/adaptive.md), while each candidate costs every label a pass over its
 * shares.
 */
export const CANDIDATE_TEMPERATURE_FACTORS = [1, 2] as const;

/** How many candidates `adaptiveCandidates` returns: uniform, then second moment and cross-entropy at each factor. */
export const ADAPTIVE_CANDIDATE_COUNT = 1 + 2 * CANDIDATE_TEMPERATURE_FACTORS.length;

/**
 * The default candidates of the adaptive proposal: uniform (index 0, the defensive one), then
 * second-moment `√E_π[ℓ²]` and surrogate cross-entropy at T and 2T, T being the calibrated or given
 * surrogate temperature (1 when none). Softer surrogates spread the proposal, which is what an
 * overconfident surrogate needs; which one helps is what the labels tell.
 *
 * @example
 * adaptiveCandidates(f, g, 1).map((c) => c.name);
 * // ['uniform', 'surrogate-m2 T=1', 'surrogate-m2 T=2', 'surrogate-ce T=1', 'surrogate-ce T=2']
 * @throws InputError when a score matrix is not a Matrix of rows × cols values, the two differ in
 * shape, or `temperature` is neither null nor a finite number > 0.
 */
export function adaptiveCandidates(modelScores: Matrix, surrogateScores: Matrix, temperature: number | null = null): Candidate[] {
  return candidatesWithBelief(modelScores, surrogateScores, temperature, null);
}

/** The temperature factor of the base temperature among `CANDIDATE_TEMPERATURE_FACTORS`. */
const BASE_FACTOR = CANDIDATE_TEMPERATURE_FACTORS.indexOf(1);

/**
 * What the candidates compute of each row, handed to a caller as `(row, values)`: the row's K
 * numbers in a scratch array that is overwritten after the call.
 */
export interface CandidateRows {
  /**
   * The surrogate's clipped softmax at the base temperature:
   * `classProbabilities(surrogateScores, temperature, EPS, 'stable')` row by row, bit for bit
   * (dividing by the base 1 when `temperature` is null changes no logit).
   */
  belief?: (row: number, probabilities: Float64Array) => void;
  /** The target's exponentials `exp(f_k − max f)`, its softmax's numerators. */
  targetExps?: (row: number, exps: Float64Array) => void;
}

/**
 * {@link adaptiveCandidates}, handing `hooks` what it computes of each row (`CandidateRows`). A
 * caller that needs something of every row of those numbers (a session's predicted zero-one loss,
 * its cross-entropy bounds) then never builds the N×K probabilities, nor exponentiates the scores again.
 */
export function candidatesWithBelief(
  modelScores: Matrix,
  surrogateScores: Matrix,
  temperature: number | null,
  hooks: CandidateRows | null,
): Candidate[] {
  const base = temperature ?? 1;
  checkTemperature(base);
  checkMatrix(modelScores, 'modelScores');
  checkMatrix(surrogateScores, 'surrogateScores');
  checkSameShape(modelScores, surrogateScores, 'surrogateScores');
  const { rows, cols } = modelScores;
  const temperatures = CANDIDATE_TEMPERATURE_FACTORS.map((factor) => base * factor);
  const secondMoments = temperatures.map(() => new Float64Array(rows));
  const crossEntropies = temperatures.map(() => new Float64Array(rows));
  // Row by row, each value as `secondMomentValues` and the default numerics'
  // `acquisitionValues('surrogate-ce')` compute it (bit for bit), without their N×K probability
  // matrices: at N·K = 10^7 scores each costs about half a second to allocate and fill. The
  // target's row is exponentiated once for its softmax and log-softmax, and its clipped softmax's
  // logs are taken once for every temperature.
  const logTarget = new Float64Array(cols);
  const target = { data: new Float64Array(cols), rows: 1, cols };
  const logClippedTarget = new Float64Array(cols);
  const belief = { data: new Float64Array(cols), rows: 1, cols };
  const scratch = new Float64Array(cols);
  const beliefRows = hooks?.belief ?? null;
  const targetExpRows = hooks?.targetExps ?? null;
  const targetExps = targetExpRows === null ? null : new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    softmaxAndLogSoftmaxRowInto(modelScores, i, null, target.data, logTarget, targetExps);
    if (targetExpRows !== null) targetExpRows(i, targetExps as Float64Array);
    clipProbabilities(target, EPS);
    for (let k = 0; k < cols; k++) logClippedTarget[k] = Math.log(target.data[k]);
    for (let j = 0; j < temperatures.length; j++) {
      softmaxRowInto(surrogateScores, i, temperatures[j], belief.data, 0);
      secondMoments[j][i] = secondMomentRow(logTarget, belief.data);
      clipProbabilities(belief, EPS);
      crossEntropies[j][i] = crossEntropyOfLogs(logClippedTarget, belief.data, 0, cols, scratch);
      if (j === BASE_FACTOR && beliefRows !== null) beliefRows(i, belief.data);
    }
  }
  for (const values of crossEntropies) replaceNaNByMax(values);
  return [
    { name: 'uniform', values: new Float64Array(rows).fill(1) },
    ...secondMoments.map((values, j) => ({ name: `surrogate-m2 T=${temperatures[j]}`, values })),
    ...crossEntropies.map((values, j) => ({ name: `surrogate-ce T=${temperatures[j]}`, values })),
  ];
}

/** The candidate whose values are the surrogate's predicted root mean squared loss √E_π[ℓ²] at the base temperature. */
export const PREDICTION_CANDIDATE = 1;

/**
 * The candidate whose values are the surrogate's expected cross-entropy of the target at the base
 * temperature: `BUILTIN_LOSSES['cross-entropy'].expected` of the target under the surrogate's
 * clipped softmax there, bit for bit (the same rows, and no NaN to replace from finite scores).
 */
export const EXPECTED_LOSS_CANDIDATE = 1 + CANDIDATE_TEMPERATURE_FACTORS.length;

/** The adaptive prior: half uniform, half the second-moment proposal at the base temperature. */
export function adaptivePrior(candidates: readonly Candidate[]): Float64Array {
  const prior = new Float64Array(candidates.length);
  prior[0] = 0.5;
  prior[1] = 0.5;
  return prior;
}

/**
 * The adaptive sampler over `candidates` (uniform first), each spread by `clip` (a share of the
 * candidate's mean value added to every item) as the fixed proposals are floored. Build it once per pool (and thread) and `reset()` it between runs.
 * The second candidate is read as the surrogate's √E_π[ℓ²] (`predictionCandidate`), as
 * `adaptiveCandidates` orders them; with other candidates pass `predictionCandidate: undefined`.
 *
 * @example
 * const sampler = createAdaptiveSampler(adaptiveCandidates(f, g), 0.1);
 * @throws InputError when `candidates` is not a non-empty array of `{ name, values }`, `options` is
 * not an object, or the sampler refuses `clip`, the values or an option.
 */
export function createAdaptiveSampler(
  candidates: readonly Candidate[],
  clip: number,
  options: Partial<AdaptiveOptions> = {},
): AdaptiveSampler {
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw new InputError({
      argument: 'candidates',
      expected: 'at least one candidate { name, values }, in an array',
      received: candidates,
    });
  }
  candidates.forEach((c: unknown, j) => checkObject(c, `candidates[${j}]`, 'a candidate { name, values } (as adaptiveCandidates returns)'));
  checkObject(options, 'options', 'adaptive options { … }');
  return new AdaptiveSampler(
    candidates.map((c) => c.values),
    clip,
    { prior: adaptivePrior(candidates), predictionCandidate: PREDICTION_CANDIDATE, ...options },
  );
}

/**
 * The defensive mixture `(1−λ)·q + λ·uniform` over the remaining items (`defensive: λ`): whatever q
 * is, its importance weights are at most 1/λ times those of random labelling.
 *
 * @example
 * const sampler = createDefensiveSampler(ceValues, 0.1, 0.5);
 */
export function createDefensiveSampler(values: Float64Array, clip: number, lambda: number): PoolSampler {
  if (!(lambda >= 0 && lambda <= 1))
    throw new InputError({ argument: 'defensive', expected: 'a mixture weight λ in [0, 1]', received: lambda });
  return new MixtureSampler(
    [new SumTreeSampler(values, clip, 'corrected'), new SumTreeSampler(new Float64Array(values.length).fill(1), clip, 'corrected')],
    [1 - lambda, lambda],
  );
}
