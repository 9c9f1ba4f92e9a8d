import { InputError } from '../../errors.js';
import type { LabelsInput, MatrixInput } from '../../matrix.js';
import { toLabels, toMatrix } from '../../matrix.js';
import { acquisitionValues, type AcquisitionFunction, type AcquisitionInput, type AcquisitionValueOptions } from '../../metrics/index.js';
import { fitTemperature } from '../../calibration/index.js';
import { SumTreeSampler } from '../sum-tree-sampler.js';
import { SortedPool, type SortedPoolArrays } from '../sorted-pool.js';
import { AdaptiveSampler } from './adaptive-sampler.js';
import { adaptiveCandidates, adaptivePrior } from './candidates.js';
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

/** The engine's once-per-pool proposal: acquisition values, and a mixture when one is asked for. */
export interface ProposalPlan {
  values: Float64Array;
  mixture: MixturePlan | null;
}

/**
 * Acquisition values for any acquisition name, including `surrogate-m2` (√E_π[ℓ²]) and `adaptive`
 * (whose values are its prior's surrogate component), plus the mixture for `adaptive` or for a
 * defensive weight λ (`(1−λ)·q + λ·uniform`). O(J·N log N) for J mixture components.
 * `options.values` replaces a fixed acquisition's values (e.g. the expected loss of another loss).
 *
 * @example
 * const plan = planProposal('surrogate-ce', input, { temperature: null, eps: EPS, flags, defensive: 0.5, clip: 0.1 });
 * plan.mixture?.weights; // [0.5, 0.5]
 */
export function planProposal(
  acquisition: AcquisitionFunction | ProposalAcquisition,
  input: AcquisitionInput,
  options: AcquisitionValueOptions & { defensive: number | null; clip: number; values?: Float64Array },
): ProposalPlan {
  const { defensive } = options;
  if (defensive !== null && !(defensive >= 0 && defensive <= 1)) {
    throw new InputError({ argument: 'defensive', expected: 'a mixture weight λ in [0, 1]', received: defensive });
  }
  if (acquisition === 'adaptive' || acquisition === 'surrogate-m2') {
    if (options.flags.proposal !== 'corrected') {
      throw new InputError({
        argument: 'numerics',
        expected: `'default' for acquisition ${acquisition} (the reference has no such proposal)`,
        received: 'reference',
      });
    }
    if (input.surrogateScores === undefined) {
      throw new InputError({ argument: 'surrogateScores', expected: `surrogate scores (N×K) for acquisition ${acquisition}` });
    }
  }
  if (acquisition === 'adaptive') {
    if (defensive !== null) {
      throw new InputError({
        argument: 'defensive',
        expected: 'no defensive weight with adaptive acquisition (it keeps its own uniform share)',
        received: defensive,
      });
    }
    const candidates = adaptiveCandidates(input.modelScores, input.surrogateScores!, options.temperature);
    return {
      values: candidates[1].values,
      mixture: { components: [], candidates: candidates.map((c) => c.values), weights: adaptivePrior(candidates), adaptive: true },
    };
  }
  const values =
    options.values ??
    (acquisition === 'surrogate-m2'
      ? secondMomentValues(input.modelScores, input.surrogateScores!, options.temperature)
      : acquisitionValues(acquisition, input, options));
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

/** The sampler of a mixture plan (an `AdaptiveSampler` when adaptive: call `observe(loss)` after each draw). */
export function mixtureSampler(plan: MixturePlan, clip: number): MixtureSampler | AdaptiveSampler {
  if (plan.adaptive) return new AdaptiveSampler(plan.candidates, clip, { prior: plan.weights });
  const components = plan.components.map((arrays) => new SumTreeSampler(new SortedPool(arrays), clip, 'corrected'));
  return new MixtureSampler(components, plan.weights);
}

/**
 * The surrogate temperature fitted on a held-out calibration set (`--calibration scores.npy labels.npy`).
 *
 * @example
 * calibratedTemperature({ scores: heldOutG, labels: heldOutY }); // e.g. 3.2
 */
export function calibratedTemperature(calibration: { scores: MatrixInput; labels: LabelsInput }): number {
  const scores = toMatrix(calibration.scores, 'calibration scores');
  const labels = toLabels(calibration.labels, 'calibration labels', scores.rows, scores.cols);
  return fitTemperature(scores, labels).temperature;
}
