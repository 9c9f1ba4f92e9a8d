import { InputError, ReceivedKind } from '../errors.js';
import { formatCount } from '../io/format-count.js';
import { CompensatedSum } from './compensated-sum.js';

/**
 * The largest proposal probability `add` accepts: 1, plus the rounding of a normalised weight
 * (the last item of a pool can come out at 1.0000000000000002).
 */
export const MAX_PROBABILITY = 1 + 1e-9;

/**
 * A risk estimate maintained incrementally as labels arrive: each `add` is O(1), and so are
 * `estimate` and the exact bootstrap variance.
 */
export interface RiskEstimator {
  /** Labels added so far (M). */
  readonly count: number;
  /**
   * Adds the m-th acquired item: its loss, the proposal probability q it was drawn with, and its
   * pool index (needed only by estimators with per-item knowledge, such as ASE).
   */
  add(loss: number, q: number, index?: number): void;
  /** The risk estimate after the labels added so far (NaN before the first). */
  estimate(): number;
  /**
   * The bootstrap variance of the estimate in the limit of infinitely many resamples: the
   * variance of the mean of M terms x_m resampled with replacement, `(1/M)·popvar(x)`
   * (docs/algorithms.md §2).
   */
  bootstrapVariance(): number;
  /**
   * Writes the M terms x_m whose mean is the current estimate into `out[0..M)` (O(M)): what a
   * Monte Carlo bootstrap resamples.
   *
   * @throws InputError when `out` is not a Float64Array of at least M entries.
   */
  terms(out: Float64Array): void;
  /** Forgets every label. */
  reset(): void;
}

/**
 * Estimators whose estimate after M labels is the mean of terms `x_m(M) = p_m + κ(M)·r_m`, with
 * p_m and r_m fixed when item m arrives (LURE: p = ℓ, r = ℓ·b_m, κ = N − M; IS and i.i.d.: r = 0).
 * The estimate keeps compensated sums of p and r; the variance keeps sums of squares of p and r
 * centred on their first values, so that clustered terms do not cancel catastrophically.
 *
 * @example
 * class HalfEstimator extends TermMeanEstimator {
 *   protected primaryTerm(loss: number): number { return loss / 2; }
 * }
 */
export abstract class TermMeanEstimator implements RiskEstimator {
  private m = 0;
  private readonly primarySum = new CompensatedSum();
  private readonly secondarySum = new CompensatedSum();
  private primaryCentre = 0;
  private secondaryCentre = 0;
  private centredPrimary = 0;
  private centredSecondary = 0;
  private primarySquares = 0;
  private crossProducts = 0;
  private secondarySquares = 0;
  private primaries = new Float64Array(16);
  /** The loss and proposal probability of the label being added, on their way to `addPending`. */
  private readonly pending = new Float64Array(2);
  /** What `estimate()` or `bootstrapVariance()` returns, on its way from `storeEstimate` or `storeBootstrapVariance`. */
  private readonly result = new Float64Array(1);
  private secondaries = new Float64Array(16);

  get count(): number {
    return this.m;
  }

  /** Largest number of labels this estimator accepts (the pool size, or Infinity). */
  protected get capacity(): number {
    return Infinity;
  }

  /** p_m: the part of the m-th term that does not depend on M. */
  protected abstract primaryTerm(loss: number, q: number, m: number, index: number | undefined): number;

  /** r_m: the part multiplied by κ(M). */
  protected secondaryTerm(_loss: number, _q: number, _m: number, _index: number | undefined): number {
    return 0;
  }

  /** κ(M). */
  protected scale(_labels: number): number {
    return 0;
  }

  /**
   * @throws {InputError} when `loss` is not a finite number, `q` is not a probability in (0, 1],
   * or the estimator already holds as many labels as the pool has items.
   */
  add(loss: number, q: number, index?: number): void {
    // Checked before a typed array would coerce them; `typeof` keeps strings from being coerced.
    if (typeof loss !== 'number' || typeof q !== 'number') throwNotNumbers(loss, q, this.m);
    const pending = this.pending;
    pending[0] = loss;
    pending[1] = q;
    this.addPending(index);
  }

  /**
   * `add(losses[index], probabilities[at], index)`, for a run loop: no float is passed to a call,
   * so none is boxed when the compiler leaves the call un-inlined.
   *
   * @throws {InputError} as `add`.
   * @example
   * lure.addDrawn(losses, item, qs, m); // the loss of pool item `item`, drawn with probability qs[m]
   */
  addDrawn(losses: Float64Array, index: number, probabilities: Float64Array, at: number): void {
    const pending = this.pending;
    pending[0] = losses[index];
    pending[1] = probabilities[at];
    this.addPending(index);
  }

  /** Adds the label whose loss and proposal probability are in `pending`. */
  private addPending(index: number | undefined): void {
    const loss = this.pending[0];
    const q = this.pending[1];
    // One branch to the reporting, which is out of line: the less bytecode this method has, the more
    // of the compiler's inlining budget is left for `secondaryTerm` in a run loop that inlines it (a
    // call left un-inlined boxes its float arguments and result). Capacity as `m >= capacity`: a
    // subclass's capacity that is not a number refuses nothing.
    if (!(Number.isFinite(loss) && q > 0 && q <= MAX_PROBABILITY) || this.m >= this.capacity) this.rejectPending();
    const m = ++this.m;
    const p = this.primaryTerm(loss, q, m, index);
    const r = this.secondaryTerm(loss, q, m, index);
    if (m > this.primaries.length) this.grow();
    this.primaries[m - 1] = p;
    this.secondaries[m - 1] = r;
    this.primarySum.add(p);
    this.secondarySum.add(r);
    if (m === 1) {
      this.primaryCentre = p;
      this.secondaryCentre = r;
    }
    const a = p - this.primaryCentre;
    const d = r - this.secondaryCentre;
    this.centredPrimary += a;
    this.centredSecondary += d;
    this.primarySquares += a * a;
    this.crossProducts += a * d;
    this.secondarySquares += d * d;
  }

  /** Throws the error for the label in `pending` that `addPending` refused, checked in its order. */
  private rejectPending(): never {
    const loss = this.pending[0];
    const q = this.pending[1];
    if (!Number.isFinite(loss)) throwBadLoss(loss, this.m);
    if (!(q > 0 && q <= MAX_PROBABILITY)) throwBadProbability(q, this.m);
    throwOverCapacity(this.capacity, this.m + 1);
  }

  /**
   * The estimate after the labels added so far (NaN before the first).
   *
   * @throws {InputError} when given arguments: the published `estimate(predictions, targets,
   *   acquisition_weights, set_size)` would otherwise return NaN, its arrays ignored.
   * @example
   * const lure = new LUREEstimator(4);
   * lure.add(0.5, 0.25);
   * lure.estimate(); // 0.5
   */
  estimate(...publishedArguments: never[]): number {
    if (publishedArguments.length > 0) throwPublishedEstimate(publishedArguments.length);
    this.storeEstimate(this.result, 0);
    return this.result[0];
  }

  /**
   * Writes the term-mean estimate (what `TermMeanEstimator.estimate()` returns) into
   * `estimates[at]` and, unless `variances` is null, its bootstrap variance into `variances[at]`: a
   * run loop's row, with no float returned from a call. A subclass's override of `estimate()` or
   * `bootstrapVariance()` is not consulted: extend through the term hooks.
   *
   * @example
   * lure.writeEstimates(estimates, variances, row);
   */
  writeEstimates(estimates: Float64Array, variances: Float64Array | null, at: number): void {
    this.storeEstimate(estimates, at);
    if (variances !== null) this.storeBootstrapVariance(variances, at);
  }

  bootstrapVariance(): number {
    this.storeBootstrapVariance(this.result, 0);
    return this.result[0];
  }

  /**
   * `estimate()` into `out[at]`. Stored, not returned: a run loop past its inlining budget calls
   * this without boxing the result, and the NaN of no labels and the estimate meet in no variable
   * (a merge of the two became a boxed value in compiled code).
   */
  private storeEstimate(out: Float64Array, at: number): void {
    const m = this.m;
    if (m === 0) {
      out[at] = NaN;
      return;
    }
    const kappa = this.scale(m);
    const secondary = kappa === 0 ? 0 : kappa * this.secondarySum.value;
    out[at] = (this.primarySum.value + secondary) / m;
  }

  /** `bootstrapVariance()` into `out[at]`, stored for the reasons of `storeEstimate`. */
  private storeBootstrapVariance(out: Float64Array, at: number): void {
    const m = this.m;
    if (m === 0) {
      out[at] = NaN;
      return;
    }
    const kappa = this.scale(m);
    // κ = 0 drops the secondary terms, as in estimate(): 0 times an overflowed sum would be NaN.
    const sum = kappa === 0 ? this.centredPrimary : this.centredPrimary + kappa * this.centredSecondary;
    const squares =
      kappa === 0 ? this.primarySquares : this.primarySquares + 2 * kappa * this.crossProducts + kappa * kappa * this.secondarySquares;
    const mean = sum / m;
    const variance = (squares / m - mean * mean) / m;
    // ∞ − ∞: terms so far apart that their squares overflow, a variance beyond a double, not none.
    if (Number.isNaN(variance)) out[at] = Infinity;
    else out[at] = variance > 0 ? variance : 0;
  }

  terms(out: Float64Array): void {
    // A typed array drops writes past its end: a short one would come back partly filled without a word.
    if (!(out instanceof Float64Array) || out.length < this.m) {
      throw new InputError({ argument: 'out', expected: `a Float64Array of at least ${this.m} entries (one per label)`, received: out });
    }
    const kappa = this.scale(this.m);
    for (let j = 0; j < this.m; j++) out[j] = kappa === 0 ? this.primaries[j] : this.primaries[j] + kappa * this.secondaries[j];
  }

  reset(): void {
    this.m = 0;
    this.primarySum.reset();
    this.secondarySum.reset();
    this.primaryCentre = 0;
    this.secondaryCentre = 0;
    this.centredPrimary = 0;
    this.centredSecondary = 0;
    this.primarySquares = 0;
    this.crossProducts = 0;
    this.secondarySquares = 0;
  }

  private grow(): void {
    const primaries = new Float64Array(this.primaries.length * 2);
    const secondaries = new Float64Array(this.primaries.length * 2);
    primaries.set(this.primaries);
    secondaries.set(this.secondaries);
    this.primaries = primaries;
    this.secondaries = secondaries;
  }
}

/**
 * The error for one label too many, out of line: it keeps `add` small enough for the compiler to
 * inline into a caller's loop, where passing its float arguments costs no allocation.
 */
function throwBadLoss(loss: unknown, row: number): never {
  throw new InputError({ argument: 'loss', expected: 'a finite number', received: ReceivedKind.given(loss), row });
}

/** A non-number loss or probability, reported as `add` checks them: the loss first. */
function throwNotNumbers(loss: unknown, q: unknown, row: number): never {
  if (!Number.isFinite(loss)) throwBadLoss(loss, row);
  throwBadProbability(q, row);
}

function throwBadProbability(q: unknown, row: number): never {
  throw new InputError({ argument: 'q', expected: 'a proposal probability in (0, 1]', received: ReceivedKind.given(q), row });
}

function throwOverCapacity(capacity: number, received: number): never {
  throw new InputError({ argument: 'labels', expected: `at most ${formatCount(capacity, 'label')} (the pool size)`, received });
}

/** Says how the published `estimate(predictions, targets, acquisition_weights, set_size)` is written here. */
function throwPublishedEstimate(count: number): never {
  throw new InputError({
    argument: 'estimate',
    expected:
      "no arguments: add each label with add(loss, q), then call estimate(); the published estimate(predictions, targets, acquisition_weights, set_size) is referenceEstimate('lure' | 'is' | 'iid', losses, q, poolSize)",
    received: new ReceivedKind(formatCount(count, 'argument')),
  });
}
