import { InputError } from '../../errors.js';
import type { RandomSource } from '../../random.js';
import type { PoolSampler } from '../sampler.js';
import { MixtureSampler } from './mixture-sampler.js';

/** How the adaptive mixture moves away from its prior. */
export interface AdaptiveOptions {
  /** The mixture before any label (α₀), one weight per candidate; it should be safe on its own. */
  prior: ArrayLike<number>;
  /** Labels' worth of confidence in the prior: after M labels the mixture is (n₀·α₀ + M·α̂)/(n₀ + M). */
  priorLabels?: number;
  /** Multiplicative-update iterations per refit, starting from the current mixture (few = cautious). */
  iterations?: number;
  /** The candidate that is never given less than `defensiveWeight` (normally the uniform proposal). */
  defensiveCandidate?: number;
  defensiveWeight?: number;
  /**
   * Allow a draw before the losses of earlier draws are observed (a labelling session proposes
   * several items before their labels come back). The losses are still observed in draw order, and
   * each draw uses the losses observed before it, so the proposal stays predictable. Default false:
   * `draw` insists on the previous draw's loss first, as every simulation run provides it.
   */
  deferredLosses?: boolean;
}

export const ADAPTIVE_DEFAULTS = { priorLabels: 200, iterations: 5, defensiveCandidate: 0, defensiveWeight: 0.3 } as const;

/** Refits after labels 8, 12, …, 64, then every 16 labels: O(J·M) each, so O(J·M²/16) per run. */
export function isRefitStep(labels: number): boolean {
  return labels >= 8 && (labels <= 64 ? labels % 4 === 0 : labels % 16 === 0);
}

/**
 * The adaptive proposal (`acquisition: 'adaptive'`): a mixture of candidate proposals whose
 * weights are refitted from the labels acquired so far. The estimated second moment of a mixture a,
 * `Σ_i ℓ_i²/q_a(i)`, is estimated by importance weighting the acquired items,
 * `Ŝ(a) = Σ_t ℓ_t²/(q_t·q_a(i_t))` with q_t the probability item t was drawn with; Ŝ is convex in a
 * and is decreased by multiplicative updates `a_j ← a_j·Σ_t c_t P_tj/p_t² / Σ_t c_t/p_t`
 * (c_t = ℓ_t²/q_t, P_tj = candidate j's probability of item t, p_t = Σ_j a_j P_tj). The fit is shrunk
 * towards the prior and never drops the defensive candidate below its weight.
 *
 * The weights for draw m are computed from labels 1..m−1 only, so the proposal is predictable and
 * LURE stays unbiased (docs/adaptive.md). Call `observe(loss)` with the label's loss after each draw
 * (with `deferredLosses`, possibly after later draws, but always in draw order).
 *
 * @example
 * const sampler = new AdaptiveSampler([uniform, m2, ce], { prior: [0.5, 0.5, 0] });
 * const item = sampler.draw(randomStream(0, [0]));
 * lure.add(loss[item], sampler.lastProbability);
 * sampler.observe(loss[item]);
 */
export class AdaptiveSampler extends MixtureSampler {
  private readonly prior: Float64Array;
  private readonly priorLabels: number;
  private readonly iterations: number;
  private readonly defensiveCandidate: number;
  private readonly defensiveWeight: number;
  private readonly fitted: Float64Array;
  private readonly gradient: Float64Array;
  private readonly current: Float64Array;
  private readonly deferredLosses: boolean;
  /** Per draw, in draw order: c_t = ℓ_t²/q_t once observed, q_t, and every candidate's probability of the item. */
  private costs = new Float64Array(64);
  private drawnProbabilities = new Float64Array(64);
  private candidateProbabilities: Float64Array;
  private drawn = 0;
  private observed = 0;

  constructor(candidates: readonly PoolSampler[], options: AdaptiveOptions) {
    super(candidates, options.prior);
    const J = candidates.length;
    this.prior = Float64Array.from(options.prior);
    this.priorLabels = options.priorLabels ?? ADAPTIVE_DEFAULTS.priorLabels;
    this.iterations = options.iterations ?? ADAPTIVE_DEFAULTS.iterations;
    this.defensiveCandidate = options.defensiveCandidate ?? ADAPTIVE_DEFAULTS.defensiveCandidate;
    this.defensiveWeight = options.defensiveWeight ?? ADAPTIVE_DEFAULTS.defensiveWeight;
    this.deferredLosses = options.deferredLosses ?? false;
    if (!(this.priorLabels > 0)) throw new InputError({ argument: 'priorLabels', expected: 'a positive number', received: this.priorLabels });
    if (!(Number.isInteger(this.iterations) && this.iterations >= 0)) {
      throw new InputError({ argument: 'iterations', expected: 'a non-negative integer', received: this.iterations });
    }
    if (!(Number.isInteger(this.defensiveCandidate) && this.defensiveCandidate >= 0 && this.defensiveCandidate < J)) {
      throw new InputError({ argument: 'defensiveCandidate', expected: `a candidate index in [0, ${J - 1}]`, received: this.defensiveCandidate });
    }
    if (!(this.defensiveWeight >= 0 && this.defensiveWeight <= this.prior[this.defensiveCandidate])) {
      throw new InputError({
        argument: 'defensiveWeight',
        expected: `a weight in [0, ${this.prior[this.defensiveCandidate]}] (at most the prior's weight on the defensive candidate)`,
        received: this.defensiveWeight,
      });
    }
    this.fitted = new Float64Array(J);
    this.gradient = new Float64Array(J);
    this.current = Float64Array.from(this.prior);
    this.candidateProbabilities = new Float64Array(64 * J);
  }

  /** Draws whose loss has not been observed yet. */
  get pendingLosses(): number {
    return this.drawn - this.observed;
  }

  override draw(random: RandomSource): number {
    if (!this.deferredLosses && this.drawn > this.observed) {
      throw new InputError({ argument: 'observe', expected: 'the loss of the previous draw before the next draw' });
    }
    const index = super.draw(random);
    const t = this.drawn++;
    if (t >= this.costs.length) this.grow();
    this.drawnProbabilities[t] = this.lastProbability;
    this.candidateProbabilities.set(this.lastComponentProbabilities, t * this.components.length);
    return index;
  }

  /** Records the loss of the oldest draw not yet observed and, at refit steps, updates the mixture for the next draw. */
  observe(loss: number): void {
    if (!(loss >= 0 && Number.isFinite(loss))) throw new InputError({ argument: 'loss', expected: 'a finite non-negative loss', received: loss });
    const t = this.nextObserved();
    this.costs[t] = (loss * loss) / this.drawnProbabilities[t];
    if (isRefitStep(this.observed)) this.refit();
  }

  /**
   * Passes over the oldest draw not yet observed, whose loss will never be known (a skipped item):
   * it counts as a draw with no loss, which adds nothing to the estimated second moments.
   */
  discard(): void {
    this.costs[this.nextObserved()] = 0;
    if (isRefitStep(this.observed)) this.refit();
  }

  private nextObserved(): number {
    if (this.observed === this.drawn) throw new InputError({ argument: 'observe', expected: 'one call after each draw' });
    return this.observed++;
  }

  override reset(): void {
    super.reset();
    this.drawn = 0;
    this.observed = 0;
    this.current.set(this.prior);
    this.setWeights(this.prior);
  }

  private refit(): void {
    const J = this.components.length;
    const { fitted, gradient, costs, candidateProbabilities: P } = this;
    const m = this.observed;
    // Start from full support: multiplicative updates never revive a zero weight.
    for (let j = 0; j < J; j++) fitted[j] = (this.current[j] + 1 / J) / 2;
    for (let iteration = 0; iteration < this.iterations; iteration++) {
      gradient.fill(0);
      let objective = 0;
      for (let t = 0; t < m; t++) {
        let p = 0;
        for (let j = 0; j < J; j++) p += fitted[j] * P[t * J + j];
        const share = costs[t] / p;
        objective += share;
        const scale = share / p;
        for (let j = 0; j < J; j++) gradient[j] += scale * P[t * J + j];
      }
      if (!(objective > 0)) break; // every acquired loss is 0: no evidence to move on
      for (let j = 0; j < J; j++) fitted[j] *= gradient[j] / objective;
    }
    let total = 0;
    for (let j = 0; j < J; j++) total += fitted[j];
    const shrink = this.priorLabels / (this.priorLabels + m);
    for (let j = 0; j < J; j++) this.current[j] = shrink * this.prior[j] + (1 - shrink) * (fitted[j] / total);
    const d = this.defensiveCandidate;
    if (this.current[d] < this.defensiveWeight) {
      const rest = (1 - this.defensiveWeight) / (1 - this.current[d]);
      for (let j = 0; j < J; j++) this.current[j] = j === d ? this.defensiveWeight : this.current[j] * rest;
    }
    total = 0;
    for (let j = 0; j < J; j++) total += this.current[j];
    for (let j = 0; j < J; j++) this.current[j] /= total;
    this.setWeights(this.current);
  }

  private grow(): void {
    const costs = new Float64Array(this.costs.length * 2);
    costs.set(this.costs);
    this.costs = costs;
    const drawnProbabilities = new Float64Array(this.drawnProbabilities.length * 2);
    drawnProbabilities.set(this.drawnProbabilities);
    this.drawnProbabilities = drawnProbabilities;
    const P = new Float64Array(this.candidateProbabilities.length * 2);
    P.set(this.candidateProbabilities);
    this.candidateProbabilities = P;
  }
}
