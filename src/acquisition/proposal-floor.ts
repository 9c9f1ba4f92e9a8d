/**
 * A floor π_i ≤ q of every draw of item i under the floored proposal over the remaining items,
 * q ∝ max(τ, w) with τ = clip·W_R/R (`SumTreeSampler`, `ReferenceOrderSampler`): the normaliser
 * Σ_remaining max(τ, w) is at most (1 + clip)·W_R ≤ (1 + clip)·W, so
 * q_i ≥ max(w_i/W, clip/N)/(1 + clip). With a defensive weight λ (the mixture
 * (1 − λ)·q + λ·q_uniform of two such proposals, `createDefensiveSampler`) the floor is the same
 * mixture of both floors. A confidence sequence's reference bets rely on it
 * (`RiskConfidenceSequence`, option `reference`). Null when a value is negative (the proposal then
 * shifts every weight by the remaining minimum, which has no fixed floor) or a floor would be 0.
 *
 * @example
 * fixedProposalFloor(Float64Array.of(1, 3), 0.1); // [0.25/1.1, 0.75/1.1]
 */
export function fixedProposalFloor(values: ArrayLike<number>, clip: number, defensive = 0): Float64Array | null {
  const n = values.length;
  const uniform = 1 / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!(values[i] >= 0 && Number.isFinite(values[i]))) return null;
    total += values[i];
  }
  const floor = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // All values 0: the proposal is uniform over the remaining items, q ≥ 1/N.
    const share = total > 0 ? Math.max(values[i] / total, clip / n) / (1 + clip) : uniform;
    // The uniform proposal's own floor is max(1/N, clip/N)/(1 + clip) = 1/(N·(1 + clip)).
    const mixed = (1 - defensive) * share + (defensive * uniform) / (1 + clip);
    if (!(mixed > 0)) return null;
    floor[i] = mixed;
  }
  return floor;
}

/**
 * A floor of every draw's q under any mixture Σ_j α_j q_j of candidate proposals, whatever the
 * weights α (adaptive ones included): q_j(i) = w_ji/Σ_remaining w_j with the static weights
 * w_ji = v_ji + clip·mean(v_j) (`CandidateMixture`) is at least w_ji/Σ_all w_j, and a mixture is at
 * least its smallest component. Null when a value is negative or a floor would be 0.
 *
 * @example
 * candidateMixtureFloor([Float64Array.of(1, 1), Float64Array.of(0, 4)], 0.1); // [min(0.5, 0.2/4.4), 0.5]
 */
export function candidateMixtureFloor(candidates: readonly ArrayLike<number>[], clip: number): Float64Array | null {
  const n = candidates[0]?.length ?? 0;
  const floor = new Float64Array(n).fill(Infinity);
  for (const values of candidates) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!(values[i] >= 0 && Number.isFinite(values[i]))) return null;
      total += values[i];
    }
    // All zero: the candidate is uniform.
    const shift = total > 0 ? (clip * total) / n : 1;
    const mass = total + shift * n;
    for (let i = 0; i < n; i++) floor[i] = Math.min(floor[i], (values[i] + shift) / mass);
  }
  for (let i = 0; i < n; i++) if (!(floor[i] > 0 && floor[i] <= 1)) return null;
  return floor;
}
