import { InputError } from '../../errors.js';
import type { RandomSource } from '../../random.js';
import { checkObject } from '../../io/index.js';
import { checkKnownKeys } from '../../io/suggest.js';
import { CandidateMixture } from './candidate-mixture.js';
import { checkCandidateValues } from '../proposal-floor.js';
import { checkMixtureWeights } from './mixture-sampler.js';

/** How the adaptive mixture chooses its proposal from the labels. */
export interface AdaptiveOptions {
  /** The mixture before the first `warmup` labels, one weight per candidate; it should be safe on its own. */
  prior: ArrayLike<number>;
  /** The candidate every mixture keeps a share of (normally the uniform proposal). */
  defensiveCandidate?: number;
  /** The smallest share the defensive candidate is ever given (> 0 keeps q > 0 on every remaining item). */
  defensiveWeight?: number;
  /** Defensive shares tried with each other candidate, besides the defensive candidate alone; each ≥ `defensiveWeight`, in any order. */
  shares?: ArrayLike<number>;
  /** Standard errors added to each mixture's estimated second moment before comparing (the upper confidence bound). */
  confidence?: number;
  /**
   * Weight of the unseen-tail term `tailPenalty·Ŝ(defensive)/(λ·m)` added to each bound: a mixture
   * with defensive share λ can be up to 1/λ times worse than the defensive proposal on items the
   * run has not yet seen, a risk that shrinks as labels accumulate.
   */
  tailPenalty?: number;
  /**
   * Pseudo-labels in each error bar whose squared difference is Ŝ(defensive)², the defensive
   * candidate's estimated second moment squared: a handful of labels that happen to agree cannot
   * make a mixture look certain (heavy-tailed differences show their tail only later).
   */
  spreadPriorLabels?: number;
  /** Labels drawn from the prior before the labels choose the mixture. */
  warmup?: number;
  /**
   * The candidate whose value is the surrogate's prediction of each item's root mean squared loss,
   * `√E_π[ℓ²]` (the second-moment candidate). With it, each candidate's unseen-tail term is scaled
   * by how much worse the surrogate predicted the second moment of that candidate's sharpest mixture
   * than the defensive candidate's, on the labels so far: below 1 for a surrogate that overstates the
   * loss where it is confident, above 1 for an overconfident one (docs/adaptive.md). Without it the
   * factor is 1.
   */
  predictionCandidate?: number;
  /**
   * Allow a draw before the losses of earlier draws are observed (a labelling session proposes
   * several items before their labels come back). The losses are still observed in draw order, and
   * each draw uses the losses observed before it, so the proposal stays predictable. Default false:
   * `draw` insists on the previous draw's loss first, as every simulation run provides it.
   */
  deferredLosses?: boolean;
}

/** The mixture is chosen after every label up to this many, then every `CHOOSE_EVERY` labels. */
const CHOOSE_EVERY_LABEL_UNTIL = 32;
const CHOOSE_EVERY = 8;
/** Indices in `boundTerms`: the pseudo-labels' squared differences, the labels of the spread (m + pseudo-labels), and 1/m. */
const BOUND_PSEUDO_SPREAD = 0;
const BOUND_SPREAD_LABELS = 1;
const BOUND_INVERSE_M = 2;
/** The calibration factor of the unseen-tail term is kept within [1/8, 8]: one surprising label cannot silence or swamp the term. */
const MAX_CALIBRATION_FACTOR = 8;

/** The defaults of the optional `AdaptiveOptions`. */
export const ADAPTIVE_DEFAULTS = {
  defensiveCandidate: 0,
  defensiveWeight: 0.05,
  shares: [0.05, 0.1, 0.2, 0.5],
  confidence: 1,
  tailPenalty: 0.5,
  spreadPriorLabels: 10,
  warmup: 5,
} as const;

const ADAPTIVE_OPTIONS = [
  'prior',
  'defensiveCandidate',
  'defensiveWeight',
  'shares',
  'confidence',
  'tailPenalty',
  'spreadPriorLabels',
  'warmup',
  'predictionCandidate',
  'deferredLosses',
] satisfies (keyof AdaptiveOptions)[];

/**
 * The adaptive proposal (`acquisition: 'adaptive'`): a mixture `(1−λ)·q_j + λ·q_0` of one candidate
 * proposal q_j with the defensive (uniform) one q_0, or q_0 alone, chosen before every draw from the
 * labels acquired so far. For every such mixture a on a grid (each candidate j × each share λ), the
 * per-step second moment that drives LURE's variance, `S(a) = Σ_i ℓ_i²/q_a(i)`, is estimated by
 * importance weighting the acquired items, `Ŝ(a) = mean_t x_t(a)` with `x_t(a) = ℓ_t²/(q_t·q_a(i_t))`
 * (q_t the probability item t was drawn with): O(J·L) per label for J candidates and L shares,
 * nothing per refit. Every mixture is compared with a reference, the prior's mixture (½ uniform +
 * ½ second moment by default), which the run keeps until the labels show, with a paired upper
 * confidence bound, that another mixture has a smaller second moment:
 * `Ŝ(a) − Ŝ(ref) + confidence·se(x(a) − x(ref)) + tailPenalty·Ŝ(q_0)/(λ·m)`. Pairing removes each
 * label's cost, which both share, from the error bar, so a surrogate whose proposals predict the
 * loss is trusted after a few dozen labels; one label the surrogate did not expect raises the
 * difference and its error bar at once.
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
  private readonly spreadPriorLabels: number;
  private readonly warmup: number;
  private readonly deferredLosses: boolean;
  /**
   * Per grid mixture (candidate-major, then share; the last entry is the defensive candidate alone):
   * Σ x_t, and Σ (x_t − x_t(reference))².
   */
  private readonly sums: Float64Array;
  private readonly differenceSquares: Float64Array;
  private readonly chosen: Float64Array;
  /** The grid mixture the last `choose` picked; −1 while the run still draws from the prior. */
  private choice = -1;
  /** Per share λ, the unseen-tail term tail/λ of the current `choose`. */
  private readonly tailOverShare: Float64Array;
  /** The grid mixture the others are compared with: the prior's, if it is on the grid, else the defensive candidate alone. */
  private readonly reference: number;
  /** The reference's candidate (−1: the defensive candidate alone) and defensive share. */
  private readonly referenceCandidate: number;
  private readonly referenceShare: number;
  /**
   * Per draw, in draw order: q_t, and (with deferred losses) every candidate's probability of the
   * item; otherwise the loss comes before the next draw, which reads them from the last draw.
   */
  private drawnProbabilities = new Float64Array(64);
  private candidateProbabilities: Float64Array;
  private drawnItems = new Int32Array(64);
  /** Whether each item's companion value (`companionOf`) is its predicted squared loss E_π[ℓ²]; without a prediction candidate it is 0. */
  private readonly predicts: boolean;
  /**
   * Per candidate, Σ_t (E_π[ℓ²]/q_t)/q_a(i_t) for its mixture with the smallest defensive share (the
   * defensive candidate: alone): the second moment the surrogate predicts, estimated on the same labels.
   */
  private readonly predictedSums: Float64Array;
  /** Per candidate, the calibration factor of this `choose` (1 without a prediction candidate). */
  private readonly tailFactor: Float64Array;
  /** The terms of `upperBound` that `choose` computes once: see the BOUND_ indices. */
  private readonly boundTerms = new Float64Array(3);
  /** The loss `observe` was given, on its way to `recordObservedLoss`. */
  private readonly observedLoss = new Float64Array(1);
  private drawn = 0;
  private observed = 0;
  /** Observed labels with a positive loss. */
  private informative = 0;

  constructor(candidates: readonly Float64Array[], clip: number, options: AdaptiveOptions) {
    // Before the base class reads them: there a missing prior is named as its `weights`.
    checkCandidateValues(candidates);
    checkObject(options, 'options', 'adaptive options { prior, … }');
    // A misspelt tuning knob (`warmUp`) would otherwise leave its default in place without a word.
    checkKnownKeys(options, ADAPTIVE_OPTIONS, null);
    checkMixtureWeights(options.prior, candidates.length, 'prior');
    super(candidates, clip, options.prior, predictedSquaredLosses(candidates, options.predictionCandidate));
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
    // In ascending order: the first share of each candidate is its sharpest mixture.
    const shares = Float64Array.from(options.shares ?? ADAPTIVE_DEFAULTS.shares).sort();
    shares.forEach((share, s) => {
      if (!(share >= this.defensiveWeight && share <= 1)) {
        throw new InputError({ argument: 'shares', expected: `defensive shares in [defensiveWeight, 1]`, received: share, row: s });
      }
    });
    this.shares = shares;
    if (!(this.confidence >= 0 && Number.isFinite(this.confidence))) {
      throw new InputError({
        argument: 'confidence',
        expected: 'a finite number of standard errors ≥ 0',
        received: this.confidence,
      });
    }
    if (!(this.tailPenalty >= 0 && Number.isFinite(this.tailPenalty))) {
      throw new InputError({ argument: 'tailPenalty', expected: 'a finite weight ≥ 0', received: this.tailPenalty });
    }
    this.spreadPriorLabels = options.spreadPriorLabels ?? ADAPTIVE_DEFAULTS.spreadPriorLabels;
    if (!(this.spreadPriorLabels >= 0 && Number.isFinite(this.spreadPriorLabels))) {
      throw new InputError({
        argument: 'spreadPriorLabels',
        expected: 'a finite number of pseudo-labels ≥ 0',
        received: this.spreadPriorLabels,
      });
    }
    if (!(Number.isInteger(this.warmup) && this.warmup >= 0)) {
      throw new InputError({ argument: 'warmup', expected: 'a label count (an integer ≥ 0)', received: this.warmup });
    }
    const L = shares.length;
    const grid = J * L + 1;
    this.sums = new Float64Array(grid);
    this.differenceSquares = new Float64Array(grid);
    this.chosen = new Float64Array(J);
    this.tailOverShare = new Float64Array(shares.length);
    this.candidateProbabilities = new Float64Array(this.deferredLosses ? 64 * J : 0);
    this.reference = referenceMixture(this.prior, this.defensiveCandidate, shares);
    this.referenceCandidate = this.reference === grid - 1 ? -1 : Math.floor(this.reference / L);
    this.referenceShare = this.reference === grid - 1 ? 1 : shares[this.reference % L];
    this.tailFactor = new Float64Array(J).fill(1);
    this.predictedSums = new Float64Array(J);
    this.predicts = options.predictionCandidate !== undefined;
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
    this.drawnItems[t] = index;
    if (this.deferredLosses) {
      const J = this.candidateCount;
      for (let j = 0, at = t * J; j < J; j++, at++) this.candidateProbabilities[at] = this.lastComponentProbabilities[j];
    }
    return index;
  }

  /** Records the loss of the oldest draw not yet observed and chooses the mixture for the next draw. O(J·L). */
  observe(loss: number): void {
    // Small enough for the compiler to inline into a caller's loop: the loss travels to the work
    // in a typed array, as a raw double; passed as an argument to a call not inlined, it would be boxed.
    if (typeof loss !== 'number') rejectLoss(loss);
    this.observedLoss[0] = loss;
    this.recordObservedLoss();
  }

  /**
   * `observe(losses[index])`, for a run loop: no float is passed to a call, so none is boxed when
   * the compiler leaves the call un-inlined.
   *
   * @example
   * sampler.observeDrawn(losses, item); // after drawing pool item `item`
   * @throws {InputError} as `observe`.
   */
  observeDrawn(losses: Float64Array, index: number): void {
    this.observedLoss[0] = losses[index];
    this.recordObservedLoss();
  }

  private recordObservedLoss(): void {
    const loss = this.observedLoss[0];
    if (!(loss >= 0 && Number.isFinite(loss))) rejectLoss(loss);
    const t = this.nextObserved();
    const P = this.deferredLosses ? this.candidateProbabilities : this.lastComponentProbabilities;
    const at = this.deferredLosses ? t * this.candidateCount : 0;
    const predicted = this.companionOf(this.drawnItems[t]);
    if (loss > 0) this.informative++;
    const square = loss * loss;
    const predictedShare = predicted / square;
    // A finite share implies a positive square; otherwise (a zero or vanishing loss) the prediction goes apart.
    if (predictedShare < Infinity) {
      this.accumulate(P, at, square / this.drawnProbabilities[t], predictedShare);
    } else {
      if (square > 0) this.accumulate(P, at, square / this.drawnProbabilities[t], 0);
      if (predicted > 0) this.accumulatePrediction(P, at, predicted / this.drawnProbabilities[t]);
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
    this.differenceSquares.fill(0);
    this.predictedSums.fill(0);
    this.tailFactor.fill(1);
    this.choice = -1;
    this.setWeights(this.prior);
  }

  /**
   * Adds x_t(a) = cost/q_a(i_t) for every grid mixture a (cost = ℓ_t²/q_t), and the square of its
   * difference from the reference mixture's x_t; `P[at + j]` is candidate j's probability of i_t.
   * With a prediction candidate, `predictedShare` = `E_π[ℓ²](i_t)/ℓ_t²` turns each sharpest mixture's
   * x_t into its predicted counterpart (see `predictedSums`) without another division.
   */
  private accumulate(P: Float64Array, at: number, cost: number, predictedShare: number): void {
    const J = this.candidateCount;
    const { shares, sums, differenceSquares, defensiveCandidate, reference, predictedSums } = this;
    const L = shares.length;
    const defensive = P[at + defensiveCandidate];
    const defensiveX = cost / defensive;
    let referenceX = defensiveX;
    if (reference < J * L) {
      const own = P[at + this.referenceCandidate];
      referenceX = cost / (own + this.referenceShare * (defensive - own));
    }
    for (let j = 0; j < J; j++) {
      if (j === defensiveCandidate) continue;
      const own = P[at + j];
      const gap = defensive - own;
      const sharpest = cost / (own + shares[0] * gap);
      predictedSums[j] += sharpest * predictedShare;
      let a = j * L;
      sums[a] += sharpest;
      differenceSquares[a] += (sharpest - referenceX) * (sharpest - referenceX);
      for (let s = 1; s < L; s++) {
        a++;
        const x = cost / (own + shares[s] * gap);
        sums[a] += x;
        const difference = x - referenceX;
        differenceSquares[a] += difference * difference;
      }
    }
    predictedSums[defensiveCandidate] += defensiveX * predictedShare;
    sums[J * L] += defensiveX;
    differenceSquares[J * L] += (defensiveX - referenceX) * (defensiveX - referenceX);
  }

  /** For a label with zero loss: adds the predicted cost's x_t(a) for each candidate's sharpest mixture (see `predictedSums`). */
  private accumulatePrediction(P: Float64Array, at: number, predictedCost: number): void {
    const J = this.candidateCount;
    const { predictedSums, defensiveCandidate } = this;
    const share = this.shares[0];
    const defensive = P[at + defensiveCandidate];
    for (let j = 0; j < J; j++) {
      const own = P[at + j];
      predictedSums[j] += j === defensiveCandidate ? predictedCost / defensive : predictedCost / (own + share * (defensive - own));
    }
  }

  /**
   * Per candidate j, how much worse the surrogate predicts the second moment of j's sharpest mixture
   * than the defensive candidate's, on the labels so far: `(Ŝ(a_j)/Ŝ_π(a_j)) / (Ŝ(q_0)/Ŝ_π(q_0))`,
   * Ŝ_π being the same importance-weighted estimate with the predicted squared loss E_π[ℓ²] in place
   * of ℓ². A calibrated surrogate reads about 1; an overconfident one above 1 (the loss it did not
   * predict sits where the sharp mixture gives little probability); an underconfident one below 1.
   */
  private calibrationFactors(): void {
    const J = this.candidateCount;
    const { predictedSums, sums, defensiveCandidate, tailFactor } = this;
    const L = this.shares.length;
    const defensiveRatio = sums[J * L] / predictedSums[defensiveCandidate];
    for (let j = 0; j < J; j++) {
      if (j === defensiveCandidate) continue;
      const ratio = sums[j * L] / predictedSums[j] / defensiveRatio;
      tailFactor[j] =
        Number.isFinite(ratio) && ratio > 0 ? Math.min(Math.max(ratio, 1 / MAX_CALIBRATION_FACTOR), MAX_CALIBRATION_FACTOR) : 1;
    }
  }

  /**
   * Sets the weights of the grid mixture with the smallest upper confidence bound on its second
   * moment's excess over the reference mixture's (the prior during warm-up or before any
   * evidence): after every label up to 32, then every 8 labels. The bound is paired: the error bar
   * is that of the mean difference x_t(a) − x_t(reference), which is far smaller than either
   * mean's, because both share each label's cost.
   *
   * The winner is the smallest bound, ties going to the reference, then the defensive candidate
   * alone, then grid order. The previous choice is bounded first: its bound is usually close to the
   * best, so most mixtures fall out on their floor (the bound before the error bar), which costs
   * no square root.
   */
  private choose(): void {
    const m = this.observed;
    if (m < this.warmup || this.informative === 0 || (m > CHOOSE_EVERY_LABEL_UNTIL && m % CHOOSE_EVERY !== 0)) return;
    const J = this.candidateCount;
    const { shares, sums, defensiveCandidate, reference, spreadPriorLabels, tailOverShare } = this;
    const L = shares.length;
    const defensiveAlone = J * L;
    const referenceSum = sums[reference];
    const tail = (this.tailPenalty * sums[defensiveAlone]) / (m * m);
    const inverseM = 1 / m;
    const uniformMean = sums[defensiveAlone] * inverseM;
    const bounds = this.boundTerms;
    bounds[BOUND_PSEUDO_SPREAD] = spreadPriorLabels * uniformMean * uniformMean;
    bounds[BOUND_SPREAD_LABELS] = m + spreadPriorLabels;
    bounds[BOUND_INVERSE_M] = inverseM;
    // The unseen-tail term of a mixture with defensive share λ is tail/λ; the defensive candidate alone has none.
    for (let s = 0; s < L; s++) tailOverShare[s] = tail / shares[s];
    if (this.predicts) this.calibrationFactors();
    const { tailFactor } = this;
    let best = reference;
    let bestRank = -2;
    let bestBound = reference === defensiveAlone ? 0 : tailOverShare[reference % L] * tailFactor[this.referenceCandidate];
    const previous = this.choice;
    if (previous >= 0 && previous !== reference) {
      const excess = (sums[previous] - referenceSum) * inverseM;
      const floor = previous === defensiveAlone ? excess : excess + tailOverShare[previous % L] * tailFactor[Math.floor(previous / L)];
      if (floor < bestBound) {
        const bound = this.upperBound(previous, excess, floor);
        if (bound < bestBound) {
          best = previous;
          bestRank = previous === defensiveAlone ? -1 : previous;
          bestBound = bound;
        }
      }
    }
    // A mixture of rank r beats the best so far if its bound is smaller, or equal with r first;
    // the error bar only adds, so one whose floor cannot do so needs no square root.
    if (reference !== defensiveAlone && previous !== defensiveAlone) {
      const excess = (sums[defensiveAlone] - referenceSum) * inverseM;
      if (excess < bestBound || (excess === bestBound && bestRank > -1)) {
        const bound = this.upperBound(defensiveAlone, excess, excess);
        if (bound < bestBound || (bound === bestBound && bestRank > -1)) {
          best = defensiveAlone;
          bestRank = -1;
          bestBound = bound;
        }
      }
    }
    for (let j = 0; j < J; j++) {
      if (j === defensiveCandidate) continue;
      const candidateTail = tailFactor[j];
      for (let s = 0, a = j * L; s < L; s++, a++) {
        if (a === reference || a === previous) continue;
        const excess = (sums[a] - referenceSum) * inverseM;
        const floor = excess + tailOverShare[s] * candidateTail;
        if (floor > bestBound || (floor === bestBound && a > bestRank)) continue;
        const bound = this.upperBound(a, excess, floor);
        if (bound < bestBound || (bound === bestBound && a < bestRank)) {
          best = a;
          bestRank = a;
          bestBound = bound;
        }
      }
    }
    if (best === this.choice) return;
    this.choice = best;
    const weights = this.chosen;
    weights.fill(0);
    if (best === defensiveAlone) {
      weights[defensiveCandidate] = 1;
    } else {
      weights[defensiveCandidate] = shares[best % L];
      weights[Math.floor(best / L)] = 1 - shares[best % L];
    }
    this.setWeights(weights);
  }

  /**
   * Mixture a's upper confidence bound: its floor (excess and unseen-tail term) plus `confidence`
   * standard errors. Small enough for the compiler to inline at each call in `choose`; the floats
   * that `choose` computes once go in `boundTerms` (arguments of a call not inlined are boxed).
   */
  private upperBound(a: number, excess: number, floor: number): number {
    const bounds = this.boundTerms;
    const spread = (this.differenceSquares[a] + bounds[BOUND_PSEUDO_SPREAD]) / bounds[BOUND_SPREAD_LABELS] - excess * excess;
    return floor + this.confidence * Math.sqrt(Math.max(spread, 0) * bounds[BOUND_INVERSE_M]);
  }

  private grow(): void {
    const drawnProbabilities = new Float64Array(this.drawnProbabilities.length * 2);
    drawnProbabilities.set(this.drawnProbabilities);
    this.drawnProbabilities = drawnProbabilities;
    const drawnItems = new Int32Array(this.drawnItems.length * 2);
    drawnItems.set(this.drawnItems);
    this.drawnItems = drawnItems;
    const P = new Float64Array(this.candidateProbabilities.length * 2);
    P.set(this.candidateProbabilities);
    this.candidateProbabilities = P;
  }
}

function rejectLoss(loss: unknown): never {
  throw new InputError({ argument: 'loss', expected: 'a finite loss ≥ 0', received: loss });
}

/**
 * Per item, the prediction candidate's value squared (E_π[ℓ²]), kept in each item's row of the
 * mixture so that `observe` reads it from the cache line the draw has loaded; null without one.
 */
function predictedSquaredLosses(candidates: readonly Float64Array[], prediction: number | undefined): Float64Array | null {
  if (prediction === undefined) return null;
  const J = candidates.length;
  if (!(Number.isInteger(prediction) && prediction >= 0 && prediction < J)) {
    throw new InputError({ argument: 'predictionCandidate', expected: `a candidate index in [0, ${J - 1}]`, received: prediction });
  }
  return candidates[prediction].map((v) => v * v);
}

/** The grid index of `prior` (candidate-major, then share; J·L for the defensive candidate alone). */
function referenceMixture(prior: Float64Array, defensiveCandidate: number, shares: Float64Array): number {
  const J = prior.length;
  const L = shares.length;
  const others = [...prior.keys()].filter((j) => j !== defensiveCandidate && prior[j] > 0);
  if (others.length !== 1) return J * L;
  const s = shares.indexOf(prior[defensiveCandidate]);
  return s < 0 ? J * L : others[0] * L + s;
}
