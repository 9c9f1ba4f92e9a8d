import { InputError, withArgumentSuffix } from '../../errors.js';
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
import { checkCalibrationKeys, fitTemperature, type CalibrationFit } from '../../calibration/index.js';
import { ACQUISITIONS, REFERENCELESS_ACQUISITIONS } from '../../options/registry.js';
import { EPS } from '../../numerics.js';
import { samplerOnSortedPool } from '../sum-tree-sampler.js';
import { SortedPool, type SortedPoolArrays } from '../sorted-pool.js';
import { AdaptiveSampler, type AdaptiveOptions } from './adaptive-sampler.js';
import { adaptivePrior, candidatesWithBelief, EXPECTED_LOSS_CANDIDATE, PREDICTION_CANDIDATE, type CandidateRows } from './candidates.js';
import { MixtureSampler } from './mixture-sampler.js';
import { secondMomentValues } from './second-moment.js';

/** The acquisitions that `planProposal` builds a mixture proposal for. */
export type ProposalAcquisition = 'surrogate-m2' | 'adaptive';
/** The acquisition names this module adds to the engine's (`--acquisition surrogate-m2 | adaptive`). */
export const PROPOSAL_ACQUISITIONS = ['surrogate-m2', 'adaptive'] as const satisfies readonly ProposalAcquisition[];

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
  /**
   * The surrogate's class probabilities at the settings' temperature, eps and softmax, where
   * planning computed them (`surrogate-ce`); else null. A session's reference bets need the same
   * N×K matrix (`referenceBasis`), which at N·K = 10^7 takes half a second to build again.
   */
  belief: Matrix | null;
  /**
   * The target's expected loss (the settings' loss) under the surrogate's probabilities at the
   * settings' temperature, where planning computed it: the values of `surrogate-ce` with one
   * target, or adaptive's cross-entropy candidate at the base temperature (the cross-entropy under
   * the default numerics, at eps `EPS`); else null. What the reference bets of a session's and
   * `simulate`'s confidence sequences predict for the target.
   */
  expectedLoss: Float64Array | null;
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
  /**
   * Under `adaptive` with the default numerics at `EPS`, given what the candidates compute of each
   * row (`candidatesWithBelief`): the surrogate's class probabilities at the settings' temperature,
   * `classProbabilities(surrogateScores, temperature, eps, softmax)` a row at a time, bit for bit,
   * and the target's softmax numerators. Not called otherwise.
   */
  candidateRows?: CandidateRows;
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
  if ((REFERENCELESS_ACQUISITIONS as readonly string[]).includes(acquisition) && options.flags.proposal !== 'corrected') {
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
    // The candidates' stable softmax clips probabilities to `EPS`: under other numerics the belief differs.
    const candidateNumerics = options.flags.softmax === 'stable' && options.eps === EPS;
    const candidates = candidatesWithBelief(
      input.modelScores!,
      input.surrogateScores!,
      options.temperature,
      candidateNumerics ? (options.candidateRows ?? null) : null,
    );
    return {
      values: candidates[1].values,
      mixture: { components: [], candidates: candidates.map((c) => c.values), weights: adaptivePrior(candidates), adaptive: true },
      belief: null,
      expectedLoss:
        (options.loss ?? BUILTIN_LOSSES['cross-entropy']).id === 'cross-entropy' && candidateNumerics
          ? candidates[EXPECTED_LOSS_CANDIDATE].values
          : null,
    };
  }
  const { values, belief } = fixedValues(acquisition, input, options);
  // Averaged with a comparison target's in place, the values are no longer the target's expected loss.
  const expectedLoss = belief !== null && input.comparisonScores === undefined ? values : null;
  if (defensive === null) return { values, mixture: null, belief, expectedLoss };
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
    belief,
    expectedLoss,
  };
}

/** The acquisition values of a fixed (non-adaptive) acquisition, and the surrogate's probabilities where they were computed. */
function fixedValues(
  acquisition: AcquisitionFunction | 'surrogate-m2',
  input: ProposalInput,
  options: ProposalSettings,
): { values: Float64Array; belief: Matrix | null } {
  const { size, surrogateScores, comparisonScores } = input;
  const { temperature } = options;
  if (acquisition === 'iid') return { values: new Float64Array(size).fill(1), belief: null };
  // Checked by planProposal: only acquisitions that never read the target's scores go without them.
  const modelScores = input.modelScores as Matrix;
  if (acquisition === 'surrogate-m2') return { values: secondMomentValues(modelScores, surrogateScores!, temperature), belief: null };
  const labels = input.labels ?? (ACQUISITIONS[acquisition].needsLabels ? missingLabels(acquisition) : new Int32Array(size));
  const loss = options.loss ?? BUILTIN_LOSSES['cross-entropy'];
  const otherLoss = loss.id !== 'cross-entropy';
  if (acquisition === 'true-loss' && otherLoss) return { values: loss.perItem(modelScores, labels), belief: null };
  // Under the default numerics the cross-entropy's expected value (whose target floor is `EPS`) is
  // `acquisitionValues`' surrogate-ce bit for bit (no NaN to replace: every probability is clipped
  // to [eps, 1]), from the target's softmax a row at a time: `acquisitionValues` builds both N×K
  // probability matrices.
  const defaultNumerics = options.flags.softmax === 'stable' && options.eps === EPS;
  if (acquisition === 'surrogate-ce' && (otherLoss || comparisonScores !== undefined || defaultNumerics)) {
    const belief = classProbabilities(surrogateScores!, temperature, options.eps, options.flags.softmax);
    const values = loss.expected(modelScores, belief);
    if (comparisonScores === undefined) return { values, belief };
    // Both targets' expected losses count, so the proposal serves both estimates and their difference.
    // A (custom) loss's refusal of one of its rows names the comparison's scores, not the target's.
    const other = withArgumentSuffix(' of comparisonScores', () => loss.expected(comparisonScores, belief));
    for (let i = 0; i < values.length; i++) values[i] = (values[i] + other[i]) / 2;
    return { values, belief };
  }
  // Without target predictions (surrogate-pe, surrogate-nll) the surrogate's scores give the pool's shape.
  const values = acquisitionValues(
    acquisition,
    { modelScores: input.modelScores ?? surrogateScores!, surrogateScores, labels },
    { temperature, eps: options.eps, flags: options.flags },
  );
  return { values, belief: null };
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
  const components = plan.components.map((arrays) => samplerOnSortedPool(new SortedPool(arrays), clip, 'corrected'));
  return new MixtureSampler(components, plan.weights);
}

/**
 * The surrogate temperature's fit on a held-out calibration set (`--calibration-scores`,
 * `--calibration-labels`), whose scores must have `classCount` columns when it is given (the
 * pool's classes): `fitTemperature` and the rows it was fitted on.
 *
 * @example
 * fitCalibrationSet({ scores: heldOutG, labels: heldOutY }, 2); // e.g. { rows: 200, temperature: 3.2, nll: 0.41, atBound: false }
 * @throws InputError when `calibration` has a key besides `scores` and `labels`, the scores are
 * not a finite matrix (of `classCount` columns) or the labels do not match them.
 */
export function fitCalibrationSet(calibration: { scores: MatrixInput; labels: LabelsInput }, classCount?: number): CalibrationFit {
  checkCalibrationKeys(calibration);
  const scores = toMatrix(calibration.scores, 'calibration.scores');
  if (classCount !== undefined && scores.cols !== classCount) {
    throw new InputError({
      argument: 'calibration.scores',
      expected: `scores with ${classCount} columns, one per class of the pool`,
      received: scores.cols,
    });
  }
  const labels = toLabels(calibration.labels, 'calibration.labels', scores.rows, scores.cols);
  return { rows: scores.rows, ...fitTemperature(scores, labels) };
}
