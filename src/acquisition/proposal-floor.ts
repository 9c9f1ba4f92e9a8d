import { InputError } from '../errors.js';
import { checkArrayLike } from '../io/index.js';

/**
 * A floor π_i ≤ q of every draw of item i under the floored proposal over the remaining items,
 * q ∝ max(τ, w) with τ = clip·W_R/R (`SumTreeSampler`, `ReferenceOrderSampler`): the normaliser
 * Σ_remaining max(τ, w) is at most (1 + clip)·W_R ≤ (1 + clip)·W, so
 * q_i ≥ max(w_i/W, clip/N)/(1 + clip). When every value is at least clip × the largest (uniform
 * values, as random labelling's), τ, at most clip × the largest remaining value, never exceeds
 * any value: the normaliser is W_R ≤ W and q_i ≥ w_i/W. With a defensive weight λ (the mixture
 * (1 − λ)·q + λ·q_uniform of two such proposals, `createDefensiveSampler`) the floor is the same
 * mixture of both floors, the uniform one 1/N. A confidence sequence's reference bets rely on it
 * (`RiskConfidenceSequence`, option `reference`). Null when a value is negative (the proposal then
 * shifts every weight by the remaining minimum, which has no fixed floor) or a floor would be 0.
 *
 * @example
 * fixedProposalFloor(Float64Array.of(0, 4), 0.1); // [0.05/1.1, 1/1.1]
 * fixedProposalFloor(Float64Array.of(1, 3), 0.1); // [0.25, 0.75]: 1 ≥ 0.1·3, the floor τ never binds
 * @throws InputError when `values` is not an array.
 */
export function fixedProposalFloor(values: ArrayLike<number>, clip: number, defensive = 0): Float64Array | null {
  checkArrayLike(values, 'values');
  const n = values.length;
  const uniform = 1 / n;
  let total = 0;
  let smallest = Infinity;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!(v >= 0 && Number.isFinite(v))) return null;
    total += v;
    if (v < smallest) smallest = v;
    if (v > largest) largest = v;
  }
  const unfloored = smallest >= clip * largest;
  const floor = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // All values 0: the proposal is uniform over the remaining items, q ≥ 1/N.
    const share = !(total > 0) ? uniform : unfloored ? values[i] / total : Math.max(values[i] / total, clip / n) / (1 + clip);
    // The uniform proposal's values are all equal: its own floor is 1/N.
    const mixed = (1 - defensive) * share + defensive * uniform;
    if (!(mixed > 0)) return null;
    floor[i] = mixed;
  }
  return floor;
}

/**
 * A floor of every draw's q under any mixture Σ_j α_j q_j of candidate proposals, whatever the
 * weights α (adaptive ones included): q_j(i) = w_ji/Σ_remaining w_j with the static weights
 * w_ji = v_ji + clip·mean(v_j) (`CandidateMixture`) is at least p_j(i) = w_ji/Σ_all w_j, and a
 * mixture is at least its smallest component. With `defensive` (a candidate whose weight never
 * falls below `weight`, as `AdaptiveSampler` keeps its defensive share) the floor is higher:
 * Σ_j α_j p_j(i) ≥ α_d·p_d(i) + (1 − α_d)·min_j p_j(i), which over α_d ∈ [weight, 1] is least at an
 * end, so π_i = min(p_d(i), min_j ((1 − weight)·p_j(i) + weight·p_d(i))). Null when a value is
 * negative or a floor would be 0.
 *
 * @throws InputError when `candidates` is not a non-empty array of value arrays, or `defensive` names
 * no candidate or its weight is not in (0, 1].
 * @example
 * candidateMixtureFloor([Float64Array.of(1, 1), Float64Array.of(0, 4)], 0.1); // [min(0.5, 0.2/4.4), 0.5]
 * candidateMixtureFloor([Float64Array.of(1, 1), Float64Array.of(0, 4)], 0.1, { candidate: 0, weight: 0.5 }); // [0.25 + 0.5·0.2/4.4, 0.5]
 */
export function candidateMixtureFloor(
  candidates: readonly ArrayLike<number>[],
  clip: number,
  defensive: { candidate: number; weight: number } | null = null,
): Float64Array | null {
  checkCandidateValues(candidates);
  if (defensive !== null) {
    const { candidate, weight } = defensive;
    if (!(Number.isInteger(candidate) && candidate >= 0 && candidate < candidates.length)) {
      throw new InputError({
        argument: 'defensive.candidate',
        expected: `a candidate index in [0, ${candidates.length - 1}]`,
        received: candidate,
      });
    }
    if (!(weight > 0 && weight <= 1))
      throw new InputError({ argument: 'defensive.weight', expected: 'a weight in (0, 1]', received: weight });
  }
  const n = candidates[0]?.length ?? 0;
  const floor = new Float64Array(n).fill(Infinity);
  const spreads: Array<{ shift: number; mass: number }> = [];
  for (const values of candidates) {
    const spread = spreadCandidate(values, clip);
    if (spread === null) return null;
    spreads.push(spread);
  }
  const share = defensive === null ? 0 : defensive.weight;
  const kept = defensive === null ? null : candidates[defensive.candidate];
  const keptSpread = defensive === null ? null : spreads[defensive.candidate];
  for (let j = 0; j < candidates.length; j++) {
    const values = candidates[j];
    const { shift, mass } = spreads[j];
    for (let i = 0; i < n; i++) {
      let p = (values[i] + shift) / mass;
      if (kept !== null && keptSpread !== null) {
        const own = (kept[i] + keptSpread.shift) / keptSpread.mass;
        p = Math.min(own, (1 - share) * p + share * own);
      }
      if (p < floor[i]) floor[i] = p;
    }
  }
  for (let i = 0; i < n; i++) if (!(floor[i] > 0 && floor[i] <= 1)) return null;
  return floor;
}

/**
 * A floor of one draw's q under the candidate mixture Σ_j α_j q_j with the weights α it is drawn
 * with: Σ_j α_j·w_ji/Σ_all w_j ≤ Σ_j α_j·w_ji/Σ_remaining w_j = q(i) for every remaining item,
 * whichever items were drawn before. Far above `candidateMixtureFloor` on the items the mixture
 * favours; a confidence sequence's reference bets take it per draw (`RiskConfidenceSequence.add`,
 * argument `drawFloor`). Null when a value is negative or not finite. O(N·J).
 *
 * @example
 * candidateMixtureDrawFloor([Float64Array.of(1, 1), Float64Array.of(0, 4)], 0.1, [0.5, 0.5]); // [0.25 + 0.5·0.2/4.4, 0.25 + 0.5·4.2/4.4]
 * @throws InputError when `candidates` is not a non-empty array of value arrays, or `weights` not
 * one weight per candidate.
 */
export function candidateMixtureDrawFloor(
  candidates: readonly ArrayLike<number>[],
  clip: number,
  weights: ArrayLike<number>,
): Float64Array | null {
  checkCandidateValues(candidates);
  checkArrayLike(weights, 'weights', 'an array of mixture weights, one per candidate');
  if (weights.length !== candidates.length) {
    throw new InputError({
      argument: 'weights',
      expected: `${candidates.length} mixture weights, one per candidate`,
      received: weights.length,
    });
  }
  const n = candidates[0]?.length ?? 0;
  const floor = new Float64Array(n);
  for (let j = 0; j < candidates.length; j++) {
    const values = candidates[j];
    const spread = spreadCandidate(values, clip);
    if (spread === null) return null;
    if (!(weights[j] > 0)) continue;
    const scale = weights[j] / spread.mass;
    for (let i = 0; i < n; i++) floor[i] += scale * (values[i] + spread.shift);
  }
  return floor;
}

/** A candidate's static weights v_i + shift (`CandidateMixture`) and their total; null for a negative or non-finite value. */
function spreadCandidate(values: ArrayLike<number>, clip: number): { shift: number; mass: number } | null {
  const n = values.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!(values[i] >= 0 && Number.isFinite(values[i]))) return null;
    total += values[i];
  }
  // All zero: the candidate is uniform.
  const shift = total > 0 ? (clip * total) / n : 1;
  return { shift, mass: total + shift * n };
}

/**
 * Throws unless `candidates` is a non-empty array of per-item value arrays: the shape of the
 * argument, checked once per sampler or floor (the values are checked where they are read).
 */
export function checkCandidateValues(candidates: readonly ArrayLike<number>[]): void {
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw new InputError({ argument: 'candidates', expected: 'at least one candidate, in an array', received: candidates });
  }
  candidates.forEach((v: unknown, j) => {
    if (typeof v !== 'object' || v === null || typeof (v as ArrayLike<number>).length !== 'number') {
      throw new InputError({ argument: `candidates[${j}]`, expected: 'one value per pool item (a Float64Array)', received: v });
    }
  });
}
