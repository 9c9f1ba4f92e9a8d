import { InputError } from '../../errors.js';
import type { RandomSource } from '../../random.js';
import { CandidateMixture } from './candidate-mixture.js';

/** How the adaptive mixture chooses its proposal from the labels. */
export interface AdaptiveOptions {
  /** The mixture before the first `warmup` labels, one weight per candidate; it should be safe on its own. */
  prior: ArrayLike<number>;
  /** The candidate every mixture keeps a share of (normally the uniform proposal). */
  defensiveCandidate?: number;
  /** The smallest share the defensive candidate is ever given (> 0 keeps q > 0 on every remaining item). */
  defensiveWeight?: number;
  /** Defensive shares tried with each other candidate, besides the defensive candidate alone; each ≥ `defensiveWeight`. */
  shares?: ArrayLike<number>;
  /** Standard errors added to each mixture's estimated second moment before comparing (the upper confidence bound). */
  confidence?: number;
  /**
   * Weight of the unseen-tail term `tailPenalty·Ŝ(defensive)/(λ·m)` added to each bound: a mixture
   * with defensive share λ can be up to 1/λ times worse than the defensive proposal on items the
   * run has not yet seen, a risk that shrinks as labels accumulate.
   */
  tailPenalty?: number;
  /** Labels drawn from the prior before the labels choose the mixture. */
  warmup?: number;
  /**
   * Allow a draw before the losses of earlier draws are observed (a labelling session proposes
   * several items before their labels come back). The losses are still observed in draw order, and
   * each draw uses the losses observed before it, so the proposal stays predictable. Default false:
   * `draw` insists on the previous draw's loss first, as every simulation run provides it.
   */
  deferredLosses?: boolean;
}

export const ADAPTIVE_DEFAULTS = {
  defensiveCandidate: 0,
  defensiveWeight: 0.05,
  shares: [0.05, 0.1, 0.2, 0.35, 0.5],
  confidence: 1,
  tailPenalty: 0.5,
  warmup: 5,
} as const;

/**
 * The adaptive proposal (`acquisition: 'adaptive'`): a mixture `(1−λ)·q_j + λ·q_0` of one candidate
 * proposal q_j with the defensive (uniform) one q_0, or q_0 alone, chosen before every draw from the
 * labels acquired so far. For every such mixture a on a grid (each candidate j × each share λ), the
 * per-step second moment that drives LURE's variance, `S(a) = Σ_i ℓ_i²/q_a(i)`, is estimated by
 * importance weighting the acquired items, `Ŝ(a) = mean_t x_t(a)` with `x_t(a) = ℓ_t²/(q_t·q_a(i_t))`
 * (q_t the probability item t was drawn with), together with its standard error from the running
 * sum of x_t(a)²: O(J·L) per label for J candidates and L shares, nothing per refit. The next draw
 * uses the mixture with the smallest upper bound `Ŝ(a) + confidence·se(a)`: a surrogate whose
 * proposals predict the loss has small, steady x_t and is trusted after a few labels; one label the
 * surrogate did not expect (a large x_t) raises both its estimate and its error bar at once.
 *
 * The weights for draw m are computed from labels 1..m−1 only, so the proposal is predictable and
 * LURE stays unbiased (docs/adaptive.md); the defensive share never falls below `defensiveWeight`.
 * Call `observe(loss)` with the label's loss after each draw (with `deferredLosses`, possibly after
 * later draws, but always in draw order).
 *
 * @example
 * const sampler = new AdaptiveSampler([ones, m2Values, ceValues], 0.1, { prior: [0.5, 0.5, 0] });
 * const item = sampler.draw(randomStream(0, [0]));
 * lure.add(loss[item], sampler.lastProbability);
 * sampler.observe(loss[item]);
 * @throws {InputError} on options outside their ranges.
 */
export class AdaptiveSampler extends CandidateMixture {
  private readonly prior: Float64Array;
  private readonly defensiveCandidate: number;
  private readonly defensiveWeight: number;
  private readonly shares: Float64Array;
  private readonly confidence: number;
  private readonly tailPenalty: number;
  private readonly warmup: number;
  private readonly deferredLosses: boolean;
  /** Per grid mixture (candidate-major, then share; the last entry is the defensive candidate alone): Σ x_t and Σ x_t². */
  private readonly sums: Float64Array;
  private readonly squareSums: Float64Array;
  private readonly chosen: Float64Array;
  /** Per draw, in draw order: q_t, and every candidate's probability of the item. */
  private drawnProbabilities = new Float64Array(64);
  private candidateProbabilities: Float64Array;
  private drawn = 0;
  private observed = 0;
  /** Observed labels with a positive loss. */
  private informative = 0;

  constructor(candidates: readonly Float64Array[], clip: number, options: AdaptiveOptions) {
    super(candidates, clip, options.prior);
    const J = candidates.length;
    this.prior = Float64Array.from(options.prior);
    this.defensiveCandidate = options.defensiveCandidate ?? ADAPTIVE_DEFAULTS.defensiveCandidate;
    this.defensiveWeight = options.defensiveWeight ?? ADAPTIVE_DEFAULTS.defensiveWeight;
    this.confidence = options.confidence ?? ADAPTIVE_DEFAULTS.confidence;
    this.tailPenalty = options.tailPenalty ?? ADAPTIVE_DEFAULTS.tailPenalty;
    this.warmup = options.warmup ?? ADAPTIVE_DEFAULTS.warmup;
    this.deferredLosses = options.deferredLosses ?? false;
    if (!(Number.isInteger(this.defensiveCandidate) && this.defensiveCandidate >= 0 && this.defensiveCandidate < J)) {
      throw new InputError({
        argument: 'defensiveCandidate',
        expected: `a candidate index in [0, ${J - 1}]`,
        received: this.defensiveCandidate,
      });
    }
    if (!(this.defensiveWeight > 0 && this.defensiveWeight <= this.prior[this.defensiveCandidate])) {
      throw new InputError({
        argument: 'defensiveWeight',
        expected: `a weight in (0, ${this.prior[this.defensiveCandidate]}] (at most the prior's weight on the defensive candidate)`,
        received: this.defensiveWeight,
      });
    }
    const shares = Float64Array.from(options.shares ?? ADAPTIVE_DEFAULTS.shares);
    shares.forEach((share, s) => {
      if (!(share >= this.defensiveWeight && share <= 1)) {
        throw new InputError({ argument: 'shares', expected: `defensive shares in [defensiveWeight, 1]`, received: share, row: s });
      }
    });
    this.shares = shares;
    if (!(this.confidence >= 0 && Number.isFinite(this.confidence))) {
      throw new InputError({
        argument: 'confidence',
        expected: 'a finite non-negative number of standard errors',
        received: this.confidence,
      });
    }
    if (!(this.tailPenalty >= 0 && Number.isFinite(this.tailPenalty))) {
      throw new InputError({ argument: 'tailPenalty', expected: 'a finite non-negative weight', received: this.tailPenalty });
    }
    if (!(Number.isInteger(this.warmup) && this.warmup >= 0)) {
      throw new InputError({ argument: 'warmup', expected: 'a non-negative integer number of labels', received: this.warmup });
    }
    const grid = J * shares.length + 1;
    this.sums = new Float64Array(grid);
    this.squareSums = new Float64Array(grid);
    this.chosen = new Float64Array(J);
    this.candidateProbabilities = new Float64Array(64 * J);
  }

  /** Draws whose loss has not been observed yet. */
  get pendingLosses(): number {
    return this.drawn - this.observed;
  }

  /** Observed labels with a positive loss: before the first, the labels say nothing about any proposal. */
  get informativeLabels(): number {
    return this.informative;
  }

  override draw(random: RandomSource): number {
    if (!this.deferredLosses && this.drawn > this.observed) {
      throw new InputError({ argument: 'observe', expected: 'the loss of the previous draw before the next draw' });
    }
    const index = super.draw(random);
    const t = this.drawn++;
    if (t >= this.drawnProbabilities.length) this.grow();
    this.drawnProbabilities[t] = this.lastProbability;
    this.candidateProbabilities.set(this.lastComponentProbabilities, t * this.candidateCount);
    return index;
  }

  /** Records the loss of the oldest draw not yet observed and chooses the mixture for the next draw. O(J·L). */
  observe(loss: number): void {
    if (!(loss >= 0 && Number.isFinite(loss)))
      throw new InputError({ argument: 'loss', expected: 'a finite non-negative loss', received: loss });
    const t = this.nextObserved();
    if (loss > 0) {
      this.informative++;
      this.accumulate(t, (loss * loss) / this.drawnProbabilities[t]);
    }
    this.choose();
  }

  /**
   * Passes over the oldest draw not yet observed, whose loss will never be known (a skipped item):
   * it counts as a draw with no loss, which adds nothing to the estimated second moments.
   */
  discard(): void {
    this.nextObserved();
    this.choose();
  }

  private nextObserved(): number {
    if (this.observed === this.drawn) throw new InputError({ argument: 'observe', expected: 'one call after each draw' });
    return this.observed++;
  }

  override reset(): void {
    super.reset();
    this.drawn = 0;
    this.observed = 0;
    this.informative = 0;
    this.sums.fill(0);
    this.squareSums.fill(0);
    this.setWeights(this.prior);
  }

  /** Adds x_t(a) = cost/q_a(i_t) for every grid mixture a; cost = ℓ_t²/q_t. */
  private accumulate(t: number, cost: number): void {
    const J = this.candidateCount;
    const { shares, sums, squareSums, candidateProbabilities: P, defensiveCandidate } = this;
    const L = shares.length;
    const defensive = P[t * J + defensiveCandidate];
    for (let j = 0; j < J; j++) {
      if (j === defensiveCandidate) continue;
      const own = P[t * J + j];
      for (let s = 0, a = j * L; s < L; s++, a++) {
        const x = cost / (own + shares[s] * (defensive - own));
        sums[a] += x;
        squareSums[a] += x * x;
      }
    }
    const x = cost / defensive;
    sums[J * L] += x;
    squareSums[J * L] += x * x;
  }

  /**
   * Sets the weights of the grid mixture with the smallest upper confidence bound (the prior during
   * warm-up or before any evidence): after every label up to 64, then every 4 labels.
   */
  private choose(): void {
    const m = this.observed;
    if (m < this.warmup || this.informative === 0 || (m > 64 && m % 4 !== 0)) return;
    const J = this.candidateCount;
    const { shares, sums, squareSums, confidence, defensiveCandidate } = this;
    const L = shares.length;
    const tail = (this.tailPenalty * sums[J * L]) / (m * m);
    const inverseM = 1 / m;
    let bestCandidate = -1;
    let bestShare = 1;
    let bestBound =
      sums[J * L] * inverseM + confidence * Math.sqrt(Math.max(squareSums[J * L] * inverseM - (sums[J * L] * inverseM) ** 2, 0) * inverseM);
    for (let j = 0; j < J; j++) {
      if (j === defensiveCandidate) continue;
      for (let s = 0, a = j * L; s < L; s++, a++) {
        const mean = sums[a] * inverseM;
        const bound = mean + confidence * Math.sqrt(Math.max(squareSums[a] * inverseM - mean * mean, 0) * inverseM) + tail / shares[s];
        if (bound < bestBound) {
          bestBound = bound;
          bestCandidate = j;
          bestShare = shares[s];
        }
      }
    }
    const weights = this.chosen;
    weights.fill(0);
    weights[defensiveCandidate] = bestShare;
    if (bestCandidate >= 0) weights[bestCandidate] = 1 - bestShare;
    this.setWeights(weights);
  }

  private grow(): void {
    const drawnProbabilities = new Float64Array(this.drawnProbabilities.length * 2);
    drawnProbabilities.set(this.drawnProbabilities);
    this.drawnProbabilities = drawnProbabilities;
    const P = new Float64Array(this.candidateProbabilities.length * 2);
    P.set(this.candidateProbabilities);
    this.candidateProbabilities = P;
  }
}
