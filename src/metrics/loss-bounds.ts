import { InputError, ReceivedKind } from '../errors.js';
import { checkMatrix } from './validate.js';
import type { Matrix } from '../matrix.js';
import type { BuiltinLoss } from './builtin-losses.js';
import { softmaxRowInto } from './softmax.js';
import { predictedClass } from './zero-one-loss.js';

/** Per-item loss bounds `lower[i] ≤ ℓ_i ≤ upper[i]`, whatever the item's label turns out to be. */
export interface LossBounds {
  lower: Float64Array;
  upper: Float64Array;
  /**
   * How far the pool risk, averaged from losses evaluated along another path than this library's
   * (another shift of the logits, another order of operations), may lie from the risk of the losses
   * this library computes (`lossEvaluationRounding`); absent: 0. Confidence sequences built on these
   * bounds widen by it, so that once every item is labelled their point holds R computed either way.
   */
  evaluationRounding?: number;
}

/**
 * How many ulps of each row's scale (|max_k f_ik| + log K) one loss evaluation may differ by from
 * another: cross-entropy `logsumexp(f) − f_y` rounds at the size of |logsumexp f| (the shift by the
 * largest logit, plus up to log K) and of |f_y| ≤ |max f| + log K + ℓ, in each of the two
 * evaluations compared (the part at the loss's own size, ℓ, is allowed for by
 * `RiskConfidenceSequence` from the losses themselves); Brier's probabilities carry the rounding
 * of `f_k − logsumexp f` as a relative error, at most that much again. A logit far below the
 * largest (a masked class) adds nothing: its exponential is 0 on every path.
 */
const EVALUATION_ULPS = 8;

/**
 * `LossBounds.evaluationRounding` of a built-in loss from the target's scores:
 * `8ε · mean_i(|max_k f_ik| + log K)` for cross-entropy and Brier, 0 for zero-one (exact). A loss
 * is rounded at the size of the logits it is computed from, not at its own size: a confident right
 * answer with logits near 100 has a loss near 10⁻⁴⁴ computed with an error near 10⁻¹⁴, so a pool
 * risk summed from another evaluation can miss this library's by far more than the sums' rounding.
 * For evaluations in double precision (float32 rounds 2⁻²⁴, not 2⁻⁵³).
 *
 * @example
 * lossEvaluationRounding({ data: Float64Array.of(100, 0), rows: 1, cols: 2 }, 'cross-entropy'); // 8ε·(100 + log 2) ≈ 1.8e-13
 */
export function lossEvaluationRounding(scores: Matrix, loss: BuiltinLoss): number {
  if (loss === 'zero-one' || scores.rows === 0) return 0;
  const { rows, cols, data } = scores;
  // The mean as a sum of shares: a sum of logits near 1e308 would overflow.
  let mean = 0;
  for (let i = 0; i < rows; i++) {
    let largest = -Infinity;
    for (let k = i * cols; k < (i + 1) * cols; k++) if (data[k] > largest) largest = data[k];
    mean += Math.abs(largest) / rows;
  }
  return EVALUATION_ULPS * Number.EPSILON * (mean + Math.log(cols));
}

/**
 * Widening of each bound, relative to its size (about 3.6e-15): a few ulps, so that a right answer's
 * loss lies on its lower bound up to rounding. A wider slack (it was 1e-12) is slack a confidence
 * sequence must treat as real: after a pool's last error is labelled, the right answers left still
 * carry it, and the sequence's bound could then land that far past R.
 */
const ROUNDING_SLACK = 2 ** -48;

/**
 * The largest magnitude a loss or a loss bound may have in a pool of `poolSize` items, 2⁴⁸⁰/√N
 * (about 3.1e144/√N: 9.9e142 at N = 1,000). The estimators sum the squares of importance-weighted
 * losses over up to N labels (the bootstrap's variance, the standard error, simulate's squared
 * errors) and the confidence sequences sum N bounds: below the limit each sum stays under the
 * largest double (about 2¹⁰²⁴) for weights up to 2³⁰, more than any proposal with a clip of 1e-9 or
 * more gives (at most 1 + (1 + clip)/clip), so every interval is finite. Sessions, `simulate` and
 * `RiskConfidenceSequence` refuse larger ones up front, rather than give an interval of ±∞ or NaN.
 *
 * @example
 * lossMagnitudeLimit(1000); // ≈ 9.87e142
 */
export function lossMagnitudeLimit(poolSize: number): number {
  return 2 ** 480 / Math.sqrt(poolSize);
}

/** The limit as the refusals word it: `2^480/√N = 9.87e+142 for N = 1000`. */
export function lossLimitText(poolSize: number): string {
  return `2^480/√N = ${lossMagnitudeLimit(poolSize).toPrecision(3)} for N = ${poolSize}`;
}

/**
 * The range of each item's loss over the K labels it could have, from the target's scores alone
 * (known before labelling): cross-entropy `[−log max_k p_k, −log min_k p_k]`, zero-one `[0, 1]`,
 * Brier `[Σp² − 2 max p + 1, Σp² − 2 min p + 1]`, with `p = softmax(f)`. Each bound is widened by
 * a relative 2⁻⁴⁸ (a few ulps). The per-item loss, computed along a different path, can still lie
 * outside by rounding (measured up to a relative 2e-12); `RiskConfidenceSequence` and sessions
 * take losses within a relative 1e-9 of their bounds (`withinLossBounds`) and clamp them.
 *
 * @param argument - the name errors give the scores: 'modelScores' unless they are another target's.
 * @example
 * lossBounds({ data: Float64Array.of(0, Math.log(3)), rows: 1, cols: 2 }, 'cross-entropy'); // { lower: [−ln 0.75], upper: [ln 4], evaluationRounding: 8ε·ln 6 }
 * @throws InputError when a score is not finite, a row's bound is past `lossMagnitudeLimit` (logits
 * of one row about 1e142 apart at N = 1,000) or the loss has no built-in bounds.
 */
export function lossBounds(scores: Matrix, loss: BuiltinLoss, argument = 'modelScores'): LossBounds {
  checkMatrix(scores, argument, true);
  const { rows, cols, data } = scores;
  const lower = new Float64Array(rows);
  const upper = new Float64Array(rows);
  if (loss === 'zero-one') {
    upper.fill(1);
    return { lower, upper };
  }
  if (loss !== 'cross-entropy' && loss !== 'brier') {
    throw new InputError({
      argument: 'loss',
      expected: "'cross-entropy', 'zero-one' or 'brier' (a custom loss must declare its own bounds)",
      received: loss,
    });
  }
  // Brier needs the softmax, a row at a time.
  const p = loss === 'brier' ? new Float64Array(cols) : null;
  const range = new Float64Array(2);
  const limit = lossMagnitudeLimit(rows);
  for (let i = 0; i < rows; i++) {
    const start = i * cols;
    let low: number;
    let high: number;
    if (p === null) {
      // −log p_k = logsumexp(f) − f_k: extreme at the largest and smallest logit.
      rowRangeInto(data, start, cols, range);
      const max = range[0] as number;
      const min = range[1] as number;
      let total = 0;
      for (let k = 0; k < cols; k++) total += Math.exp(data[start + k] - max);
      const logTotal = Math.log(total);
      low = logTotal;
      high = logTotal + (max - min);
    } else {
      softmaxRowInto(scores, i, null, p, 0);
      let squares = 0;
      let max = -Infinity;
      let min = Infinity;
      for (let k = 0; k < cols; k++) {
        const v = p[k];
        squares += v * v;
        if (v > max) max = v;
        if (v < min) min = v;
      }
      low = squares - 2 * max + 1;
      high = squares - 2 * min + 1;
    }
    widenedInto(lower, upper, i, low, high);
    // Finite logits can spread past the largest double (1e308 and −1e308), and far less apart
    // already make the estimators' sums of squares overflow (lossMagnitudeLimit). The bounds are
    // at least 0: the upper one is the magnitude.
    if (!(upper[i] <= limit)) {
      throw new InputError({
        argument,
        expected: `scores whose loss bounds are finite and at most ${lossLimitText(rows)} (logits of one row less than that far apart)`,
        received: new ReceivedKind(`a ${loss} upper bound of ${upper[i]}`),
        row: i,
      });
    }
  }
  return { lower, upper, evaluationRounding: lossEvaluationRounding(scores, loss) };
}

/** The largest and the smallest of the `cols` numbers of `data` from `start`, into `range[0]` and `range[1]`. */
function rowRangeInto(data: Float64Array, start: number, cols: number, range: Float64Array): void {
  let max = -Infinity;
  let min = Infinity;
  for (let k = 0; k < cols; k++) {
    const v = data[start + k];
    if (v > max) max = v;
    if (v < min) min = v;
  }
  range[0] = max;
  range[1] = min;
}

/** Bounds `[low, high]` of item `i`, widened by their rounding slack, into `lower` and `upper`. */
function widenedInto(lower: Float64Array, upper: Float64Array, i: number, low: number, high: number): void {
  lower[i] = Math.max(0, low - ROUNDING_SLACK * (1 + Math.abs(low)));
  upper[i] = high + ROUNDING_SLACK * (1 + Math.abs(high));
}

/**
 * `lossBounds(scores, 'cross-entropy')`, bit for bit, gathered a row at a time from the
 * exponentials `exp(f_k − max f)` of each row of `scores` (a softmax computes them: the adaptive
 * candidates hand them over), so that the bounds cost no exponential of their own.
 *
 * @example
 * const bounds = new CrossEntropyBoundsRows(f);
 * candidatesWithBelief(f, g, null, { targetExps: bounds.rows });
 * bounds.bounds(); // lossBounds(f, 'cross-entropy'), or null
 */
export class CrossEntropyBoundsRows {
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  private seen = 0;
  private finite = true;
  private readonly range = new Float64Array(2);
  private readonly limit: number;

  /**
   * @throws InputError as `lossBounds` where a row's logits lie further apart than
   *   `lossMagnitudeLimit` (its upper bound is at least that spread): refused before the work that
   *   hands the rows over, not after it.
   */
  constructor(private readonly scores: Matrix) {
    this.lower = new Float64Array(scores.rows);
    this.upper = new Float64Array(scores.rows);
    this.limit = lossMagnitudeLimit(scores.rows);
    const { data, rows, cols } = scores;
    for (let i = 0; i < rows; i++) {
      rowRangeInto(data, i * cols, cols, this.range);
      if (!((this.range[0] as number) - (this.range[1] as number) <= this.limit)) lossBounds(scores, 'cross-entropy');
    }
  }

  /** Takes row `row`'s exponentials `exp(f_k − max f)`. */
  readonly rows = (row: number, exps: Float64Array): void => {
    const { data, cols } = this.scores;
    rowRangeInto(data, row * cols, cols, this.range);
    const max = this.range[0] as number;
    const min = this.range[1] as number;
    // Summed in order, as lossBounds sums them (a softmax sums them pairwise).
    let total = 0;
    for (let k = 0; k < cols; k++) total += exps[k];
    const logTotal = Math.log(total);
    widenedInto(this.lower, this.upper, row, logTotal, logTotal + (max - min));
    if (!(this.upper[row] <= this.limit)) this.finite = false;
    this.seen++;
  };

  /**
   * The bounds of every row, or null when a row was not handed over or its bound is past
   * `lossMagnitudeLimit` (`lossBounds` then computes them, and refuses such a row).
   */
  bounds(): LossBounds | null {
    if (!(this.finite && this.seen === this.lower.length)) return null;
    return { lower: this.lower, upper: this.upper, evaluationRounding: lossEvaluationRounding(this.scores, 'cross-entropy') };
  }
}

/**
 * Bounds of the per-item difference of two losses, `ℓᴬ_i − ℓᴮ_i ∈ [aᴬ_i − bᴮ_i, bᴬ_i − aᴮ_i]`: what a
 * confidence sequence for a paired comparison needs.
 *
 * @example
 * differenceBounds({ lower: Float64Array.of(0), upper: Float64Array.of(1) }, { lower: Float64Array.of(0), upper: Float64Array.of(1) }); // { lower: [−1], upper: [1] }
 */
export function differenceBounds(first: LossBounds, second: LossBounds): LossBounds {
  checkLossBounds(first, 'first');
  checkLossBounds(second, 'second');
  const n = first.lower.length;
  if (second.lower.length !== n) {
    throw new InputError({ argument: 'second', expected: `${n} bounds, one per item of first`, received: second.lower.length });
  }
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lower[i] = first.lower[i] - second.upper[i];
    upper[i] = first.upper[i] - second.lower[i];
  }
  return withEvaluationRounding({ lower, upper }, (first.evaluationRounding ?? 0) + (second.evaluationRounding ?? 0));
}

/** `bounds` with its `evaluationRounding` where that is not 0 (bounds without one keep their shape). */
function withEvaluationRounding(bounds: LossBounds, evaluationRounding: number): LossBounds {
  return evaluationRounding === 0 ? bounds : { ...bounds, evaluationRounding };
}

/** Throws unless `bounds` holds as many lower as upper bounds, in Float64Arrays. */
function checkLossBounds(bounds: unknown, argument: string): asserts bounds is LossBounds {
  const { lower, upper } = (typeof bounds === 'object' && bounds !== null ? bounds : {}) as Partial<LossBounds>;
  if (!(lower instanceof Float64Array && upper instanceof Float64Array && lower.length === upper.length)) {
    throw new InputError({
      argument,
      expected: 'loss bounds { lower, upper }: Float64Arrays of one length, as lossBounds returns',
      received: bounds,
    });
  }
}

/**
 * Exact per-item bounds of `ℓ(f, k) − ℓ(g, k)` over the K labels k, for two targets' scores f and g
 * on the same items: much tighter than the crossed bounds when the targets agree (zero-one: 0 for
 * every item both predict alike). Cross-entropy: `lse f − lse g − (f_k − g_k)`, or for a row with a
 * logit past 1e6 the difference of the two losses, each relative to its row's largest logit (as
 * `lossPerItem` takes it); Brier: `Σp² − Σr² − 2(p_k − r_k)` with p, r the softmaxes. Each bound
 * is widened by a relative 2⁻⁴⁸.
 *
 * @example
 * const f = { data: Float64Array.of(2, 0), rows: 1, cols: 2 };
 * pairedDifferenceBounds(f, f, 'cross-entropy'); // lower ≈ upper ≈ 0
 * @throws InputError when the shapes differ, a score is not finite or a bound overflows.
 */
export function pairedDifferenceBounds(first: Matrix, second: Matrix, loss: BuiltinLoss): LossBounds {
  checkMatrix(first, 'modelScores');
  checkMatrix(second, 'comparisonScores', true);
  if (first.rows !== second.rows || first.cols !== second.cols) {
    throw new InputError({
      argument: 'comparisonScores',
      expected: `the shape [${first.rows}, ${first.cols}]`,
      received: new ReceivedKind(`the shape [${second.rows}, ${second.cols}]`),
    });
  }
  const { lower: firstLow, evaluationRounding: firstRounding = 0 } = lossBounds(first, loss);
  const { rows, cols } = first;
  const lower = new Float64Array(rows);
  const upper = new Float64Array(rows);
  // Brier needs both softmaxes, a row at a time.
  const p = loss === 'brier' ? new Float64Array(cols) : null;
  const r = loss === 'brier' ? new Float64Array(cols) : null;
  const range = new Float64Array(2);
  for (let i = 0; i < rows; i++) {
    let low = Infinity;
    let high = -Infinity;
    if (loss === 'zero-one') {
      const a = predictedClass(first, i);
      const b = predictedClass(second, i);
      low = a === b ? 0 : -1;
      high = a === b ? 0 : 1;
    } else {
      const start = i * cols;
      let constant = 0;
      let shifted: { first: ShiftedRow; second: ShiftedRow } | null = null;
      if (p !== null && r !== null) {
        softmaxRowInto(first, i, null, p, 0);
        softmaxRowInto(second, i, null, r, 0);
        for (let k = 0; k < cols; k++) constant += p[k] * p[k] - r[k] * r[k];
      } else if (
        largestMagnitude(first.data, start, cols, range) < SHIFTED_FROM &&
        largestMagnitude(second.data, start, cols, range) < SHIFTED_FROM
      ) {
        constant = logSumExp(first.data, start, cols) - logSumExp(second.data, start, cols);
      } else {
        shifted = { first: shiftedRow(first.data, start, cols), second: shiftedRow(second.data, start, cols) };
      }
      for (let k = 0; k < cols; k++) {
        const d =
          p !== null && r !== null
            ? constant - 2 * (p[k] - r[k])
            : shifted !== null
              ? shiftedLoss(shifted.first, first.data, start + k) - shiftedLoss(shifted.second, second.data, start + k)
              : constant - (first.data[start + k] - second.data[start + k]);
        if (d < low) low = d;
        if (d > high) high = d;
      }
    }
    const slack = ROUNDING_SLACK * (1 + Math.abs(low) + Math.abs(high) + firstLow[i]);
    lower[i] = low - slack;
    upper[i] = high + slack;
    if (!(Number.isFinite(lower[i]) && Number.isFinite(upper[i]))) {
      throw new InputError({
        argument: 'comparisonScores',
        expected: "scores whose loss differences from the target's are finite (logits less than about 1e308 apart)",
        received: new ReceivedKind(`loss differences in [${lower[i]}, ${upper[i]}]`),
        row: i,
      });
    }
  }
  return withEvaluationRounding({ lower, upper }, firstRounding + lossEvaluationRounding(second, loss));
}

/**
 * Largest |logit| of a row below which its paired cross-entropy bounds take the form
 * `lse f − lse g − (f_k − g_k)`, kept there bit for bit. That form rounds by a few ulps of the
 * logits themselves, within the 1e-9 that sessions allow a loss past its bounds only up to about
 * here; beyond, `lse` loses the loss altogether (1e308 + log 2 is 1e308: bounds of 0 where the
 * loss is log 2). Such rows take each loss as a softmax takes it (`shiftedLoss`).
 */
const SHIFTED_FROM = 1e6;

/** The largest |x| of the `length` numbers of `data` from `start` (`range` is scratch). */
function largestMagnitude(data: Float64Array, start: number, length: number, range: Float64Array): number {
  rowRangeInto(data, start, length, range);
  return Math.max(Math.abs(range[0] as number), Math.abs(range[1] as number));
}

/** A row's largest logit and `log Σ_j exp(x_j − max)`. */
interface ShiftedRow {
  max: number;
  logTotal: number;
}

function shiftedRow(data: Float64Array, start: number, length: number): ShiftedRow {
  let max = -Infinity;
  for (let k = 0; k < length; k++) if (data[start + k] > max) max = data[start + k];
  let total = 0;
  for (let k = 0; k < length; k++) total += Math.exp(data[start + k] - max);
  return { max, logTotal: Math.log(total) };
}

/**
 * The cross-entropy at the class whose logit is `data[at]`, `log Σ_j exp(x_j − max) − (x_k − max)`,
 * relative to the row's largest logit as `lossPerItem` takes it: its rounding does not grow with
 * the logits, so it agrees with the loss a label is given.
 */
function shiftedLoss(row: ShiftedRow, data: Float64Array, at: number): number {
  return row.logTotal - (data[at] - row.max);
}

function logSumExp(data: Float64Array, start: number, length: number): number {
  let max = -Infinity;
  for (let k = 0; k < length; k++) if (data[start + k] > max) max = data[start + k];
  let total = 0;
  for (let k = 0; k < length; k++) total += Math.exp(data[start + k] - max);
  return max + Math.log(total);
}
