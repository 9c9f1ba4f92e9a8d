import type { Matrix } from '../matrix.js';
import { classProbabilities } from '../metrics/index.js';
import type { NumericsFlags } from '../numerics.js';
import { candidateMixtureDrawFloor, candidateMixtureFloor, fixedProposalFloor } from './proposal-floor.js';

/** The once-per-pool proposal a floor is taken of: the shape of `planProposal`'s plan. */
export interface PlannedProposal {
  values: ArrayLike<number>;
  mixture: {
    /** One proposal per component (a fixed mixture; empty for adaptive), with its values as `weights`. */
    components: readonly { weights: ArrayLike<number> }[];
    /** Acquisition values per candidate (adaptive; empty for a fixed mixture). */
    candidates: readonly ArrayLike<number>[];
    weights: ArrayLike<number>;
    adaptive: boolean;
  } | null;
}

/** The proposal floors the reference bets of a pool's confidence sequences share, whichever loss they predict. */
export interface ReferenceFloors {
  /** A floor of every draw's q under the planned proposal (`fixedProposalFloor`, `candidateMixtureFloor`). */
  proposalFloor: Float64Array;
  /**
   * Under the adaptive proposal, the floor of one draw from the mixture weights it is drawn with
   * (`candidateMixtureDrawFloor`, docs/concepts.md, Predictable range); null for a fixed proposal.
   * The same weights give the same array, so a confidence sequence computes each floor's range once.
   */
  drawFloor: ((weights: ArrayLike<number>) => Float64Array) | null;
}

/** What the reference bets of a pool's confidence sequences share, whichever loss they predict. */
export interface ReferenceBasis extends ReferenceFloors {
  /**
   * The class probabilities the losses are predicted under: the surrogate's (at the temperature)
   * or, without a surrogate, the target's own. A loss's predicted value is `loss.expected(scores, belief)`.
   */
  belief: Matrix;
}

/** Scores and settings the belief is computed from. */
export interface ReferenceBeliefInput {
  modelScores: Matrix;
  surrogateScores?: Matrix;
  /** Temperature of the surrogate; unused without one. */
  temperature: number | null;
  eps: number;
  softmax: NumericsFlags['softmax'];
  /** The belief when the caller has it already at these settings (`ProposalPlan.belief`): not computed again. */
  belief?: Matrix | null;
}

/**
 * The share an adaptive sampler always keeps of one candidate: `ADAPTIVE_DEFAULTS` for the
 * samplers `mixtureSampler` builds from a plan.
 */
export interface DefensiveShare {
  defensiveCandidate: number;
  defensiveWeight: number;
}

/**
 * A floor of every draw's q under a planned proposal: the fixed proposal's own floor, a defensive
 * (fixed) mixture's same mixture of its components' floors, or the adaptive candidates' common
 * floor, higher given the `defensive` share the adaptive sampler keeps (null: whatever its
 * weights). Null when the proposal has no fixed floor (a negative value, or a floor that vanishes).
 *
 * @example
 * plannedProposalFloor({ values: Float64Array.of(0, 4), mixture: null }, 0.1); // [0.05/1.1, 1/1.1]
 */
export function plannedProposalFloor(plan: PlannedProposal, clip: number, defensive: DefensiveShare | null = null): Float64Array | null {
  const { values, mixture } = plan;
  if (mixture === null) return fixedProposalFloor(values, clip);
  if (mixture.adaptive) {
    const share = defensive && { candidate: defensive.defensiveCandidate, weight: defensive.defensiveWeight };
    return candidateMixtureFloor(mixture.candidates, clip, share);
  }
  // A fixed mixture of floored proposals (the defensive one): at least the same mixture of their floors.
  const floor = new Float64Array(values.length);
  for (let j = 0; j < mixture.components.length; j++) {
    const component = fixedProposalFloor(mixture.components[j].weights, clip);
    if (component === null) return null;
    for (let i = 0; i < component.length; i++) floor[i] += mixture.weights[j] * component[i];
  }
  return floor;
}

/**
 * The common part of the reference bets (docs/concepts.md, Reference bets) of `simulate`'s and a
 * session's confidence sequences: the floors of `referenceFloors` and the belief each loss is
 * predicted under (`referenceBelief`). Null when the proposal has no fixed floor: the sequences
 * then bet without reference. O(N·K) after planning, O(N) when given the belief.
 *
 * @example
 * const plan = planProposal('surrogate-ce', { size, modelScores: f, surrogateScores: g }, settings);
 * const basis = referenceBasis(plan, 0.1, { modelScores: f, surrogateScores: g, temperature: null, eps: EPS, softmax: 'stable' }, ADAPTIVE_DEFAULTS);
 * const reference = basis && { predictedLoss: BUILTIN_LOSSES.brier.expected(f, basis.belief), proposalFloor: basis.proposalFloor };
 */
export function referenceBasis(
  plan: PlannedProposal,
  clip: number,
  input: ReferenceBeliefInput,
  defensive: DefensiveShare | null = null,
): ReferenceBasis | null {
  const floors = referenceFloors(plan, clip, defensive);
  return floors && { ...floors, belief: referenceBelief(input) };
}

/**
 * The floor of the planned proposal, and of each adaptive draw, that reference bets take
 * (`defensive`: the adaptive sampler's kept share, as for `plannedProposalFloor`). Null when the
 * proposal has no fixed floor. O(N·J) for J adaptive candidates.
 *
 * @example
 * referenceFloors({ values: Float64Array.of(0, 4), mixture: null }, 0.1); // { proposalFloor: [0.05/1.1, 1/1.1], drawFloor: null }
 */
export function referenceFloors(plan: PlannedProposal, clip: number, defensive: DefensiveShare | null = null): ReferenceFloors | null {
  const proposalFloor = plannedProposalFloor(plan, clip, defensive);
  if (proposalFloor === null) return null;
  const mixture = plan.mixture;
  // The candidates have a floor (the proposal's is not null), so every mixture of them has one.
  if (mixture === null || !mixture.adaptive) return { proposalFloor, drawFloor: null };
  return { proposalFloor, drawFloor: cachedDrawFloor(mixture.candidates, clip) };
}

/**
 * The class probabilities reference bets predict each loss under: the surrogate's at the
 * temperature or, without a surrogate, the target's own; `input.belief` when given. O(N·K).
 *
 * @example
 * const belief = referenceBelief({ modelScores: f, surrogateScores: g, temperature: 2, eps: EPS, softmax: 'stable' });
 */
export function referenceBelief(input: ReferenceBeliefInput): Matrix {
  const { modelScores, surrogateScores, temperature, eps, softmax } = input;
  return (
    input.belief ??
    (surrogateScores === undefined
      ? classProbabilities(modelScores, null, eps, softmax)
      : classProbabilities(surrogateScores, temperature, eps, softmax))
  );
}

/**
 * `candidateMixtureDrawFloor` of candidates that have a floor, kept by the weights it was asked
 * for: a run moves among a few mixtures (a grid of shares), so each floor is computed once and the
 * same array returned for the same weights.
 *
 * @example
 * const drawFloor = cachedDrawFloor(candidates, 0.1);
 * drawFloor([0.5, 0.5, 0, 0, 0]) === drawFloor([0.5, 0.5, 0, 0, 0]); // true
 */
export function cachedDrawFloor(candidates: readonly ArrayLike<number>[], clip: number): (weights: ArrayLike<number>) => Float64Array {
  const floors = new Map<string, Float64Array>();
  return (weights) => {
    const key = Array.prototype.join.call(weights, ',');
    let floor = floors.get(key);
    if (floor === undefined) {
      floor = candidateMixtureDrawFloor(candidates, clip, weights) as Float64Array;
      floors.set(key, floor);
    }
    return floor;
  };
}
