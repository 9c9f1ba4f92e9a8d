import { InputError } from '../../errors.js';
import type { LabelsInput, Matrix, MatrixInput } from '../../matrix.js';
import { toLabels, toMatrix } from '../../matrix.js';
import {
  acquisitionValues,
  BUILTIN_LOSSES,
  classProbabilities,
  type AcquisitionFunction,
  type AcquisitionValueOptions,
  type LossFunctions,
} from '../../metrics/index.js';
import { fitTemperature } from '../../calibration/index.js';
import { ACQUISITIONS } from '../../options/registry.js';
import { SumTreeSampler } from '../sum-tree-sampler.js';
import { SortedPool, type SortedPoolArrays } from '../sorted-pool.js';
import { AdaptiveSampler, type AdaptiveOptions } from './adaptive-sampler.js';
import { adaptiveCandidates, adaptivePrior, PREDICTION_CANDIDATE } from './candidates.js';
import { MixtureSampler } from './mixture-sampler.js';
import { secondMomentValues } from './second-moment.js';

/** The acquisition names this module adds to the engine's (`--acquisition surrogate-m2 | adaptive`). */
export const PROPOSAL_ACQUISITIONS = ['surrogate-m2', 'adaptive'] as const;
export type ProposalAcquisition = (typeof PROPOSAL_ACQUISITIONS)[number];

/** A mixture proposal in structured-clone form, so that worker threads can rebuild its sampler. */
export interface MixturePlan {
  /** One sorted pool per component (fixed mixtures; empty for adaptive). */
  components: SortedPoolArrays[];
  /** Acquisition values per candidate (adaptive; empty for fixed mixtures). */
  candidates: Float64Array[];
  /** Fixed mixture weights, or the adaptive prior. */
  weights: Float64Array;
  adaptive: boolean;
}

/** The once-per-pool proposal: acquisition values, and a mixture when one is asked for. */
export interface ProposalPlan {
  values: Float64Array;
  mixture: MixturePlan | null;
}

/** The pool a proposal is planned for. */
export interface ProposalInput {
  /** Pool size N. */
  size: number;
  /** The target's logits (N×K); absent only for a session that scores its target on demand (acquisitions that do not read them). */
  modelScores?: Matrix;
  /** The surrogate's logits (N×K), for the surrogate acquisitions and `adaptive`. */
  surrogateScores?: Matrix;
  /** A second target (a paired session): `surrogate-ce` then serves both, with the mean of their expected losses. */
  comparisonScores?: Matrix;
  /** The pool's labels, read only by the oracle acquisitions of simulations (`needsLabels` in the registry). */
  labels?: Int32Array;
}

/** How a proposal is planned: the numerics of the values, the floor, the defensive weight and the loss. */
export interface ProposalSettings extends AcquisitionValueOptions {
  defensive: number | null;
  clip: number;
  /**
   * The estimated loss: `surrogate-ce` is the surrogate's expected value of it and `true-loss` the
   * loss itself. Default (and for the cross-entropy) the acquisition functions' own values.
   */
  loss?: LossFunctions;
}

/**
 * The one place that turns an acquisition into a proposal, for `simulate` and for sessions alike:
 * the acquisition values of a fixed acquisition (including `surrogate-m2`, √E_π[ℓ²], and the
 * expected value of another loss), or `adaptive`'s candidates (its values are its prior's
 * surrogate component), plus the mixture for `adaptive` or for a defensive weight λ
 * (`(1−λ)·q + λ·uniform`). The samplers built from the plan may differ (an engine's shared
 * sorted pool, a session's own sum tree); the proposal they draw from is this one.
 * O(J·N log N) for J mixture components.
 *
 * @example
 * const plan = planProposal('surrogate-ce', { size: 3, modelScores: f, surrogateScores: g }, { temperature: null, eps: EPS, flags, defensive: 0.5, clip: 0.1 });
 * plan.mixture?.weights; // [0.5, 0.5]
 * @throws {InputError} when the acquisition lacks the scores it reads, or takes no defensive weight or reference numerics.
 */
export function planProposal(
  acquisition: AcquisitionFunction | ProposalAcquisition,
  input: ProposalInput,
  options: ProposalSettings,
): ProposalPlan {
  const { defensive } = options;
  if (defensive !== null && !(defensive >= 0 && defensive <= 1)) {
    throw new InputError({ argument: 'defensive', expected: 'a mixture weight λ in [0, 1]', received: defensive });
  }
  const entry = ACQUISITIONS[acquisition];
  if (input.modelScores === undefined && entry.needsTarget) {
    throw new InputError({ argument: 'modelScores', expected: `target scores (N×K) for acquisition ${acquisition}` });
  }
  if (entry.needsSurrogate && input.surrogateScores === undefined) {
    throw new InputError({ argument: 'surrogateScores', expected: `surrogate scores (N×K) for acquisition ${acquisition}` });
  }
  if ((acquisition === 'adaptive' || acquisition === 'surrogate-m2') && options.flags.proposal !== 'corrected') {
    throw new InputError({
      argument: 'numerics',
      expected: `'default' for acquisition ${acquisition} (the reference has no such proposal)`,
      received: 'reference',
    });
  }
  if (acquisition === 'adaptive') {
    if (defensive !== null) {
      throw new InputError({
        argument: 'defensive',
        expected: 'no defensive weight with adaptive acquisition (it keeps its own uniform share)',
        received: defensive,
      });
    }
    const candidates = adaptiveCandidates(input.modelScores!, input.surrogateScores!, options.temperature);
    return {
      values: candidates[1].values,
      mixture: { components: [], candidates: candidates.map((c) => c.values), weights: adaptivePrior(candidates), adaptive: true },
    };
  }
  const values = fixedValues(acquisition, input, options);
  if (defensive === null) return { values, mixture: null };
  if (options.flags.proposal !== 'corrected') {
    throw new InputError({ argument: 'numerics', expected: "'default' with a defensive mixture", received: 'reference' });
  }
  const uniform = new Float64Array(values.length).fill(1);
  return {
    values,
    mixture: {
      components: [SortedPool.prepare(values, options.clip).toArrays(), SortedPool.prepare(uniform, options.clip).toArrays()],
      candidates: [],
      weights: Float64Array.of(1 - defensive, defensive),
      adaptive: false,
    },
  };
}

/** The acquisition values of a fixed (non-adaptive) acquisition. */
function fixedValues(acquisition: AcquisitionFunction | 'surrogate-m2', input: ProposalInput, options: ProposalSettings): Float64Array {
  const { size, surrogateScores, comparisonScores } = input;
  const { temperature } = options;
  if (acquisition === 'iid') return new Float64Array(size).fill(1);
  // Checked by planProposal: only acquisitions that never read the target's scores go without them.
  const modelScores = input.modelScores as Matrix;
  if (acquisition === 'surrogate-m2') return secondMomentValues(modelScores, surrogateScores!, temperature);
  const labels = input.labels ?? (ACQUISITIONS[acquisition].needsLabels ? missingLabels(acquisition) : new Int32Array(size));
  const loss = options.loss ?? BUILTIN_LOSSES['cross-entropy'];
  const otherLoss = loss.id !== 'cross-entropy';
  if (acquisition === 'true-loss' && otherLoss) return loss.perItem(modelScores, labels);
  if (acquisition === 'surrogate-ce' && (otherLoss || comparisonScores !== undefined)) {
    const belief = classProbabilities(surrogateScores!, temperature, options.eps, options.flags.softmax);
    const values = loss.expected(modelScores, belief);
    if (comparisonScores === undefined) return values;
    // Both targets' expected losses count, so the proposal serves both estimates and their difference.
    const other = loss.expected(comparisonScores, belief);
    for (let i = 0; i < values.length; i++) values[i] = (values[i] + other[i]) / 2;
    return values;
  }
  // Without target predictions (surrogate-pe, surrogate-nll) the surrogate's scores give the pool's shape.
  return acquisitionValues(acquisition, { modelScores: input.modelScores ?? surrogateScores!, surrogateScores, labels }, options);
}

function missingLabels(acquisition: string): never {
  throw new InputError({ argument: 'labels', expected: `the pool's labels for acquisition ${acquisition}` });
}

/**
 * The sampler of a mixture plan (an `AdaptiveSampler` when adaptive: call `observe(loss)` after
 * each draw); `adaptiveOptions` reach the adaptive sampler (a session defers its losses).
 */
export function mixtureSampler(
  plan: MixturePlan,
  clip: number,
  adaptiveOptions: Partial<AdaptiveOptions> = {},
): MixtureSampler | AdaptiveSampler {
  if (plan.adaptive)
    return new AdaptiveSampler(plan.candidates, clip, {
      predictionCandidate: PREDICTION_CANDIDATE,
      ...adaptiveOptions,
      prior: plan.weights,
    });
  const components = plan.components.map((arrays) => new SumTreeSampler(new SortedPool(arrays), clip, 'corrected'));
  return new MixtureSampler(components, plan.weights);
}

/**
 * The surrogate temperature fitted on a held-out calibration set (`--calibration-scores`,
 * `--calibration-labels`), whose scores must have `classCount` columns when it is given (the
 * pool's classes).
 *
 * @example
 * calibratedTemperature({ scores: heldOutG, labels: heldOutY }, 2); // e.g. 3.2
 * @throws InputError when the scores are not a finite matrix (of `classCount` columns) or the labels do not match them.
 */
export function calibratedTemperature(calibration: { scores: MatrixInput; labels: LabelsInput }, classCount?: number): number {
  const scores = toMatrix(calibration.scores, 'calibration.scores');
  if (classCount !== undefined && scores.cols !== classCount) {
    throw new InputError({
      argument: 'calibration.scores',
      expected: `scores with ${classCount} columns, one per class of the pool`,
      received: scores.cols,
    });
  }
  const labels = toLabels(calibration.labels, 'calibration.labels', scores.rows, scores.cols);
  return fitTemperature(scores, labels).temperature;
}
