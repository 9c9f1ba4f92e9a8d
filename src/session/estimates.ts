import { VarianceRatioToRandom, type VarianceVerdict } from '../acquisition/adaptive/index.js';
import type { ReferenceBasis, ReferenceFloors } from '../acquisition/reference-basis.js';
import { InputError, ReceivedKind } from '../errors.js';
import { checkOption } from '../options/index.js';
import { checkKnownKeys } from '../io/suggest.js';
import { bootstrapHalfWidth, finitePopulationFactor } from '../estimators/bootstrap.js';
import { RiskConfidenceSequence, withinLossBounds, type RiskInterval } from '../estimators/confidence-sequence.js';
import { LUREEstimator } from '../estimators/lure.js';
import type { RiskEstimator } from '../estimators/risk-estimator.js';
import type { Matrix } from '../matrix.js';
import {
  differenceBounds,
  lossBounds,
  lossLimitText,
  lossMagnitudeLimit,
  pairedDifferenceBounds,
  type LossBounds,
} from '../metrics/loss-bounds.js';
import { correctedBootstrapVariance } from '../metrics/bootstrap-quality.js';
import { expectedZeroOneRow } from '../metrics/zero-one-loss.js';
import { lossArgument, ZERO_ONE, type ResolvedLoss } from './loss.js';
import type { SessionState } from './state.js';
import { DEFAULT_MIN_LABELS } from '../stopping.js';

/**
 * An estimate with three 95% intervals, named by what they guarantee:
 * - `anytime`: a confidence sequence, containing the true value at every label count at once
 *   with probability ≥ 95%, so it stays valid whenever you decide to stop (e.g. once it is narrow);
 * - `fixed`: valid (≥ 95%) at this label count if that count was fixed before labelling;
 *   usually narrower than `anytime` there, but not always (its bets are tuned for one count);
 * - `bootstrap`: the paper's approximate ±1.96σ bootstrap interval (with the finite-population
 *   correction), no guarantee: it can be far too narrow when no costly item has been drawn yet.
 * `anytime` and `fixed` are absent when the loss has no known per-item bounds (a custom loss
 * without `bounds`, or the cross-entropy without stored target scores). With skipped items both
 * are for the items not skipped, each skipped loss taken as unknown within its bounds (so they are
 * wider): `anytime` holds whatever the reason for skipping; `fixed` counts skips as draws,
 * so a label budget fixes its count only when the skips are unrelated to the labels.
 */
export interface IntervalEstimate {
  value: number;
  /** Bootstrap standard error, finite-population corrected: exactly 0 once every item is labelled. */
  standardError: number;
  bootstrap: RiskInterval;
  anytime?: RiskInterval;
  fixed?: RiskInterval;
}

/** What `estimate()` returns. Values are NaN before the first label, and when every item was skipped (`poolSize` 0). */
export interface SessionEstimate {
  /** LURE estimate of the target's mean loss over the covered pool. */
  risk: IntervalEstimate;
  /** Accuracy (1 − the LURE estimate of the zero-one loss). */
  accuracy: IntervalEstimate;
  /** Labels in the estimate: those of the longest prefix of proposals that are all labelled or skipped. */
  labels: number;
  /** Labels recorded in total (later ones wait for an earlier pending proposal). */
  recorded: number;
  /** Items skipped: excluded from the pool. */
  skipped: number;
  /** Items proposed and not yet labelled or skipped. */
  pending: number;
  /** Items the estimate covers: the pool less the skipped items. */
  poolSize: number;
  /**
   * How many uniformly random labels (drawn without replacement) would give the same variance:
   * the m with σ̂²/m·(N−m)/(N−1) = Var, σ̂² the per-item loss variance over the pool estimated by
   * LURE from the session's labels; rounded, and at least 1. Above `labels` exactly when
   * `varianceRatio` is below 1. NaN before the second label (one label estimates no spread), and where the labels estimate no
   * spread of the loss while the session's variance is not 0 (early, when LURE's estimate lies
   * outside the loss's range): no number of random labels matches it then.
   */
  equivalentRandomLabels: number;
  /**
   * "Is active testing helping here?": the risk's variance ÷ the variance random labelling would
   * have had with as many labels, both estimated from the session's labels (`VarianceRatioToRandom`).
   * Below 1 active testing is helping. NaN where there is nothing to compare: before the second
   * label (one label's variance is 0 under any proposal), once every item is labelled, and while every labelled loss is the same under
   * uniform draws (under another proposal LURE's weights give the estimated spread a value even then).
   */
  varianceRatio: number;
  /**
   * The diagnostic's reading with its own uncertainty: `'no evidence yet'` until labels the proposal
   * under-sampled (importance weight above 1) pin the ratio on one side of 1, and `'helping'` only
   * once the target was wrong on one of them (`VarianceRatioToRandom.verdict`).
   */
  varianceVerdict: VarianceVerdict;
  /** With a comparison target: its risk and accuracy, and the paired difference target − comparison. */
  comparison?: { risk: IntervalEstimate; accuracy: IntervalEstimate; difference: IntervalEstimate };
}

/** When `done()` says to stop. Any rule that holds stops the session; the pool running out always does. */
export interface StoppingRule {
  /** Stop at this many labels in the estimate. */
  maxLabels?: number;
  /**
   * Stop once the half-width of the risk's confidence sequence (`risk.anytime`) is at most this.
   * The sequence holds at every label count at once, so stopping on it keeps its 95% guarantee.
   *
   * @throws InputError from `done()` when the loss has no per-item bounds (no confidence sequence).
   */
  targetHalfWidth?: number;
  /**
   * Labels needed before `targetHalfWidth` can stop the session; default 30 (`DEFAULT_MIN_LABELS`).
   *
   * @throws InputError from `done()` when given without `targetHalfWidth`.
   */
  minLabels?: number;
}

/** One quantity estimated by LURE from the labelled items (the loss, its square, the zero-one loss, ...). */
class Track {
  readonly values: Float64Array;
  estimator: RiskEstimator;
  /**
   * The confidence sequence over the whole pool, skipped items included as losses never known
   * (`addUnobserved`), or null without per-item bounds.
   */
  sequence: RiskConfidenceSequence | null = null;
  /** Σ of the skipped items' lower and upper bounds: what turns the whole pool's interval into the covered items'. */
  skippedBounds = { lower: 0, upper: 0 };
  /**
   * @param bounds - per-item bounds of the quantity; null: no confidence sequence.
   * @param prediction - its predicted value per item, for the sequence's reference bets; null: none.
   */
  constructor(
    n: number,
    readonly bounds: LossBounds | null = null,
    readonly prediction: Float64Array | null = null,
  ) {
    this.values = new Float64Array(n);
    this.estimator = new LUREEstimator(n);
  }
}

/** The approximate bootstrap interval `value ± 1.96σ`, σ finite-population corrected (and widened for rounding, `bootstrapHalfWidth`). */
function interval(track: Track, poolSize: number, skipped: number): IntervalEstimate {
  const { estimator, sequence } = track;
  const empty = { lower: NaN, upper: NaN };
  if (estimator.count === 0) {
    return {
      value: NaN,
      standardError: NaN,
      bootstrap: empty,
      ...(sequence ? { anytime: empty, fixed: empty } : {}),
    };
  }
  const value = estimator.estimate();
  const bootstrapVariance = Math.max(0, estimator.bootstrapVariance());
  const standardError = Math.sqrt(correctedBootstrapVariance(bootstrapVariance, finitePopulationFactor(estimator.count, poolSize)));
  // Widened for the losses' evaluation rounding as the sequences are: at M = N it holds R computed from the scores along another path too.
  const half = bootstrapHalfWidth(bootstrapVariance, estimator.count, poolSize, value) + (track.bounds?.evaluationRounding ?? 0);
  const result: IntervalEstimate = { value, standardError, bootstrap: { lower: value - half, upper: value + half } };
  if (sequence) {
    result.anytime = coveredInterval(sequence, track.skippedBounds, sequence.anytime(), poolSize, skipped);
    result.fixed = coveredInterval(sequence, track.skippedBounds, sequence.fixed(), poolSize, skipped);
  }
  return result;
}

/**
 * The interval of the items not skipped, from one of the whole pool (N items, the skipped ones
 * counted as losses never known): N·R = (poolSize)·R_covered + Σ_skipped ℓ, and each skipped ℓ
 * lies within its bounds, so R_covered ∈ [(N·lower − Σ b)/poolSize, (N·upper − Σ a)/poolSize],
 * intersected with what the labels make certain for the covered items alone (a point once they
 * are all labelled). Valid whatever made the skipped losses unknown; the whole pool's interval
 * itself when nothing is skipped. `skippedBounds`: Σ a and Σ b over the skipped items.
 */
function coveredInterval(
  sequence: RiskConfidenceSequence,
  skippedBounds: Readonly<{ lower: number; upper: number }>,
  whole: RiskInterval,
  poolSize: number,
  skipped: number,
): RiskInterval {
  if (skipped === 0) return whole;
  const n = sequence.poolSize;
  const { lower: skippedLower, upper: skippedUpper } = skippedBounds;
  const certain = sequence.deterministic();
  // The certain bounds count each skipped item at its own bound: take that back out.
  const certainLower = (n * certain.lower - skippedLower) / poolSize;
  const certainUpper = (n * certain.upper - skippedUpper) / poolSize;
  const lower = Math.max((n * whole.lower - skippedUpper) / poolSize, certainLower);
  const upper = Math.min((n * whole.upper - skippedLower) / poolSize, certainUpper);
  // Ends that cross mean the whole pool's sequence has missed (probability ≤ α): the certain interval.
  return upper < lower ? { lower: certainLower, upper: certainUpper } : { lower, upper };
}

/** Per item max(|a|, |b|) of the first bounds plus that of the second, and their total (`SessionEstimates.differenceRounding`). */
function pairMagnitude(first: LossBounds, second: LossBounds): { perItem: Float64Array; total: number; labelled: number } {
  const n = first.lower.length;
  const perItem = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    perItem[i] =
      Math.max(Math.abs(first.lower[i]), Math.abs(first.upper[i])) + Math.max(Math.abs(second.lower[i]), Math.abs(second.upper[i]));
    total += perItem[i];
  }
  return { perItem, total, labelled: 0 };
}

/** `estimate` with each of its intervals widened by `by` on each side. */
function widened(estimate: IntervalEstimate, by: number): IntervalEstimate {
  if (by === 0) return estimate;
  const widen = (i: RiskInterval): RiskInterval => ({ lower: i.lower - by, upper: i.upper + by });
  return {
    ...estimate,
    bootstrap: widen(estimate.bootstrap),
    ...(estimate.anytime ? { anytime: widen(estimate.anytime) } : {}),
    ...(estimate.fixed ? { fixed: widen(estimate.fixed) } : {}),
  };
}

/**
 * The accuracy's interval from the error rate's, within [0, 1]: the error rate's may reach past
 * its range (the bootstrap's ±1.96σ near 0 or 1, the sequences' rounding allowance of a few ulps),
 * which for an accuracy would read as impossible values such as -0.0015 or "-0.0000". Both ends
 * are cut, so an error-rate interval wholly above 1 (LURE's estimate after a label drawn with
 * probability below 1/N, with no width yet) gives [0, 0] rather than an inverted interval.
 */
function complement(interval: RiskInterval): RiskInterval {
  return { lower: withinUnit(1 - interval.upper), upper: withinUnit(1 - interval.lower) };
}

function withinUnit(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function asAccuracy(errorRate: IntervalEstimate): IntervalEstimate {
  const { anytime, fixed } = errorRate;
  return {
    value: 1 - errorRate.value,
    standardError: errorRate.standardError,
    bootstrap: complement(errorRate.bootstrap),
    ...(anytime ? { anytime: complement(anytime) } : {}),
    ...(fixed ? { fixed: complement(fixed) } : {}),
  };
}

/** Zero-one bounds: every item's loss is 0 or 1. */
function zeroOneBounds(n: number): LossBounds {
  return { lower: new Float64Array(n), upper: new Float64Array(n).fill(1) };
}

/**
 * The target's expected zero-one loss (`BUILTIN_LOSSES['zero-one'].expected`), bit for bit,
 * gathered from the belief's rows as a proposal hands them over (`CandidateRows.belief`).
 *
 * @example
 * const zeroOne = new ExpectedZeroOne(targetScores);
 * const plan = sessionProposal(settings, pool, loss, { belief: zeroOne.rows });
 * zeroOne.values(); // null unless every row was handed over
 */
export class ExpectedZeroOne {
  private readonly out: Float64Array;
  private seen = 0;

  constructor(private readonly scores: Matrix) {
    this.out = new Float64Array(scores.rows);
  }

  /** Takes row `row` of the belief. */
  readonly rows = (row: number, probabilities: Float64Array): void => {
    this.out[row] = expectedZeroOneRow(this.scores, row, probabilities, 0);
    this.seen++;
  };

  /** The expected zero-one loss of every item, or null when some row was not handed over. */
  values(): Float64Array | null {
    return this.seen === this.out.length ? this.out : null;
  }
}

/**
 * Per-item bounds of the session's loss from a target's scores, known before labelling: built-in
 * losses from the scores (zero-one and Brier need none), a custom loss from its `bounds`; null
 * when unknown (no confidence sequence then).
 */
function sessionLossBounds(loss: ResolvedLoss, n: number, scores: Matrix | undefined, argument: string): LossBounds | null {
  const id = loss.id;
  if (id === 'zero-one') return zeroOneBounds(n);
  if (id === 'brier' && scores === undefined) return { lower: new Float64Array(n), upper: new Float64Array(n).fill(2) };
  if (scores === undefined) return null;
  if (id === 'cross-entropy' || id === 'brier') return lossBounds(scores, id, argument);
  return loss.bounds ? loss.bounds(scores) : null;
}

/**
 * The predicted difference target − comparison: the difference of the two predicted losses, the
 * belief's expected value of the per-item difference; null without one of them or without bounds.
 */
function differencePrediction(
  bounds: LossBounds | null,
  target: Float64Array | null,
  comparison: Float64Array | null,
): Float64Array | null {
  if (bounds === null || target === null || comparison === null) return null;
  const out = new Float64Array(target.length);
  for (let i = 0; i < out.length; i++) out[i] = target[i] - comparison[i];
  return out;
}

function row(m: Matrix, i: number): Matrix {
  return { data: m.data.subarray(i * m.cols, (i + 1) * m.cols), rows: 1, cols: m.cols };
}

/**
 * A session's estimates, from its labels and proposal probabilities in proposal order: LURE with a
 * finite-population-corrected bootstrap error bar and confidence sequences for the risk, the
 * zero-one loss (accuracy) and, with a comparison target, its risk, accuracy and the paired
 * difference; the variance-ratio diagnostic; and `done()`'s stopping rule. The estimators take
 * the longest prefix of proposals that are all resolved, lazily, and are rebuilt over the items not
 * skipped after a skip or an undo inside that prefix. Reads the `SessionState`; changes nothing in it.
 *
 * @example
 * const estimates = new SessionEstimates(state, loss, targetScores, undefined);
 * state.record(index, y);
 * estimates.labelled(index, y, targetRow);
 * estimates.estimate().risk.value;
 */
export class SessionEstimates {
  private readonly n: number;
  /** Whether the target's scores are known for the whole pool (not scored on demand). */
  private readonly targetScored: boolean;
  private readonly tracks: { loss: Track; zeroOne: Track; comparison?: { loss: Track; zeroOne: Track; difference: Track } };
  private diagnostic: VarianceRatioToRandom;
  /** Proposals fed to the estimators (all resolved). */
  private fed = 0;
  /** `SessionState.skipChanges` when the estimators last took the skipped items in. */
  private fedSkipChanges = 0;
  /** Set when an undo reopened a proposal the estimators had already taken in. */
  private stale = false;
  /**
   * The proposal floor of the sequences' reference bets, or null (they bet without). Its belief
   * (N×K class probabilities, 80 MB at 100,000 items and 100 classes) is only read to predict the
   * losses when the tracks are built, so it is not kept.
   */
  private readonly reference: ReferenceFloors | null;
  /** Each proposal's own floor over the pool (adaptive proposal with reference bets), by position; one array per distinct mixture. */
  private readonly drawFloors: (Float64Array | undefined)[] = [];
  /**
   * With a comparison whose difference has a sequence: per item, the largest size the two losses
   * the difference is taken of can have, max(|a|, |b|) of each target's bounds, summed; and their
   * total over the pool with each labelled item's bound size replaced by its two losses' sizes
   * (`roundingAllowance`). Null otherwise.
   */
  private readonly pairMagnitude: { perItem: Float64Array; total: number; labelled: number } | null;

  /**
   * @param targetScores - the target's scores when known for the whole pool (its loss bounds come from them).
   * @param comparisonScores - a second target's scores, for a paired comparison.
   * @param reference - the proposal's floor and the belief the losses are predicted under, for the
   *   sequences' reference bets (`referenceBasis`); null (or without `targetScores`): no reference.
   *   Its belief may be null where `predicted` holds every prediction the tracks need.
   * @param plannedLabels - the label count the sequences are tuned for; null: every count at once.
   * @param predicted - the target's expected loss and expected zero-one loss under the
   *   reference's belief, and its loss bounds, where they were computed already
   *   (`ProposalPlan.expectedLoss`, the proposal's rows); null: computed here.
   */
  constructor(
    private readonly state: SessionState,
    private readonly loss: ResolvedLoss,
    targetScores: Matrix | undefined,
    private readonly comparisonScores: Matrix | undefined,
    reference: (ReferenceFloors & { belief: ReferenceBasis['belief'] | null }) | null = null,
    private readonly plannedLabels: number | null = null,
    predicted: { loss: Float64Array | null; zeroOne: Float64Array | null; bounds?: LossBounds | null } = { loss: null, zeroOne: null },
  ) {
    const n = state.size;
    this.n = n;
    this.diagnostic = new VarianceRatioToRandom(n);
    // Predictions need every item's target scores: a target scored on demand bets without reference.
    this.targetScored = targetScores !== undefined;
    const basis = targetScores === undefined ? null : reference;
    this.reference = basis && { proposalFloor: basis.proposalFloor, drawFloor: basis.drawFloor };
    const belief = basis?.belief ?? null;
    const targetBounds = predicted.bounds ?? sessionLossBounds(loss, n, targetScores, 'modelScores');
    const comparisonBounds = comparisonScores ? sessionLossBounds(loss, n, comparisonScores, 'comparisonScores') : null;
    const pairBounds = comparisonScores ? this.differenceBounds(targetScores, targetBounds, comparisonBounds) : null;
    const lossPrediction = this.predict(loss, targetScores, targetBounds, belief, predicted.loss);
    const comparisonPrediction = this.predict(loss, comparisonScores, comparisonBounds, belief);
    // Under the zero-one loss the accuracy's prediction is the loss's own (a pass over N×K saved).
    // One pair of arrays for every zero-one track: nothing writes to bounds (a sequence keeps its own copy).
    const zeroOne = zeroOneBounds(n);
    const zeroOnePrediction = loss === ZERO_ONE ? lossPrediction : this.predict(ZERO_ONE, targetScores, zeroOne, belief, predicted.zeroOne);
    this.pairMagnitude = pairBounds && targetBounds && comparisonBounds ? pairMagnitude(targetBounds, comparisonBounds) : null;
    this.tracks = {
      loss: new Track(n, targetBounds, lossPrediction),
      zeroOne: new Track(n, zeroOne, zeroOnePrediction),
      comparison: comparisonScores
        ? {
            loss: new Track(n, comparisonBounds, comparisonPrediction),
            zeroOne: new Track(n, zeroOne, this.predict(ZERO_ONE, comparisonScores, zeroOne, belief)),
            difference: new Track(n, pairBounds, differencePrediction(pairBounds, lossPrediction, comparisonPrediction)),
          }
        : undefined,
    };
    this.resetSequences();
  }

  /**
   * A loss's expected value of a target's scores under the reference's belief, for a sequence's
   * reference bets (`known` when already computed); null without a reference, scores or bounds (no
   * sequence to bet in, or no reference).
   */
  private predict(
    loss: ResolvedLoss,
    scores: Matrix | undefined,
    bounds: LossBounds | null,
    belief: Matrix | null,
    known: Float64Array | null = null,
  ): Float64Array | null {
    if (this.reference === null || scores === undefined || bounds === null) return null;
    if (known !== null) return known;
    if (belief === null) throw new Error('a prediction needs the reference belief, and none was given');
    return loss.expected(scores, belief);
  }

  /** Per-item bounds of target loss − comparison loss: exact over the K labels for built-in losses. */
  private differenceBounds(
    target: Matrix | undefined,
    targetBounds: LossBounds | null,
    comparisonBounds: LossBounds | null,
  ): LossBounds | null {
    const id = this.loss.id;
    if (target !== undefined && this.comparisonScores && (id === 'cross-entropy' || id === 'zero-one' || id === 'brier')) {
      return pairedDifferenceBounds(target, this.comparisonScores, id);
    }
    if (!(targetBounds && comparisonBounds)) return null;
    const bounds = differenceBounds(targetBounds, comparisonBounds);
    // Each side within the limit, their difference can reach twice it: refused here under the
    // loss's name, not deep inside the difference's sequence under its own argument names.
    const limit = lossMagnitudeLimit(this.n);
    for (let i = 0; i < this.n; i++) {
      if (!(Math.abs(bounds.lower[i]) <= limit && Math.abs(bounds.upper[i]) <= limit)) {
        throw new InputError({
          argument: `${lossArgument(this.loss)} bounds`,
          expected: `bounds whose difference target − comparison is at most ${lossLimitText(this.n)} in magnitude (two sides within it can reach twice it)`,
          received: new ReceivedKind(`a difference in [${bounds.lower[i]}, ${bounds.upper[i]}]`),
          row: i,
        });
      }
    }
    return bounds;
  }

  /**
   * Notes the mixture weights the proposal at `position` was drawn with (null for a fixed
   * proposal): its own floor narrows the sequences' reference bets (docs/concepts.md, Predictable range).
   */
  drawnWith(position: number, weights: Float64Array | null): void {
    const drawFloor = this.reference?.drawFloor;
    if (weights === null || drawFloor == null) return;
    this.drawFloors[position] = drawFloor(weights);
  }

  /**
   * Confidence sequences over the whole pool with no label yet (again after an undo inside the
   * fed prefix), and the skipped items' bound totals that turn their intervals into the covered
   * items'. A track's bounds and reference never change, so a sequence is built once and then
   * `reset`: the same sequence as a new one, without its O(N) set-up (at N = 10^5, a fifth of a
   * second that every estimate after an undo took).
   */
  private resetSequences(): void {
    const plannedLabels = this.plannedLabels ?? undefined;
    for (const track of this.allTracks()) {
      const { bounds } = track;
      if (bounds === null) continue;
      if (track.sequence === null) {
        const evaluationRounding = bounds.evaluationRounding ?? 0;
        track.sequence = new RiskConfidenceSequence(
          bounds.lower,
          bounds.upper,
          this.reference === null || track.prediction === null
            ? { plannedLabels, evaluationRounding }
            : {
                plannedLabels,
                evaluationRounding,
                reference: { predictedLoss: track.prediction, proposalFloor: this.reference.proposalFloor },
              },
        );
      } else track.sequence.reset();
    }
    this.sumSkippedBounds();
  }

  /** Each track's totals of the skipped items' lower and upper bounds, summed in pool order. */
  private sumSkippedBounds(): void {
    for (const track of this.allTracks()) {
      const { bounds } = track;
      if (bounds === null) continue;
      track.skippedBounds = { lower: 0, upper: 0 };
      for (let i = 0; i < this.n; i++) {
        if (this.state.status(i) !== 'skipped') continue;
        track.skippedBounds.lower += bounds.lower[i];
        track.skippedBounds.upper += bounds.upper[i];
      }
    }
  }

  private allTracks(): Track[] {
    const { loss, zeroOne, comparison } = this.tracks;
    return comparison ? [loss, zeroOne, comparison.loss, comparison.zeroOne, comparison.difference] : [loss, zeroOne];
  }

  /**
   * Refuses, before it is recorded (or replayed), a label whose loss the session cannot take in: a
   * custom loss's `itemLoss` that is not a finite number for it, or lies outside the item's
   * declared bounds (the confidence sequences could not take it in), or, without bounds, past
   * `lossMagnitudeLimit` (the error bars could not), for the target and the comparison alike, or
   * (with `checkDifference`) whose difference lies outside its own bounds; with `nonNegative`
   * (adaptive acquisition, whose sampler takes only losses ≥ 0) a negative target loss. Checked
   * here because `labelled` runs after the label is journaled: a loss refused there would leave in
   * the file a label no replay can take.
   *
   * @throws {InputError} naming the loss, the item's row, its bounds and the loss.
   */
  checkLabel(index: number, y: number, targetRow: Matrix, nonNegative: boolean, checkDifference: boolean): void {
    const { loss, comparison } = this.tracks;
    // The comparison's refusals say so: its row's scores are not the target's.
    const checks: [Track, Matrix, string][] = [[loss, targetRow, '']];
    if (comparison && this.comparisonScores) checks.push([comparison.loss, row(this.comparisonScores, index), ' of comparisonScores']);
    const values: number[] = [];
    for (const [track, scores, of] of checks) {
      const value = this.lossOfRow(scores, index, y, of);
      values.push(value);
      if (track.bounds !== null) {
        const a = track.bounds.lower[index];
        const b = track.bounds.upper[index];
        if (!withinLossBounds(value, a, b)) {
          throw new InputError({
            argument: `${lossArgument(this.loss)}${of}`,
            expected: `a loss within the item's bounds [${a}, ${b}]`,
            received: value,
            row: index,
          });
        }
      } else if (!(Math.abs(value) <= lossMagnitudeLimit(this.n))) {
        // Bounds within the limit were checked up front; without them (a custom loss without
        // `bounds`, a target scored on demand) the loss is first known here.
        throw new InputError({
          argument: `${lossArgument(this.loss)}${of}`,
          expected: `a loss at most ${lossLimitText(this.n)} in magnitude`,
          received: value,
          row: index,
        });
      }
      if (nonNegative && track === loss && !(value >= 0)) {
        throw new InputError({
          argument: lossArgument(this.loss),
          expected: 'a loss ≥ 0 under adaptive acquisition (it learns from the losses of the labels; surrogate-ce takes a negative loss)',
          received: value,
          row: index,
        });
      }
    }
    // Each loss within a relative 1e-9 of its own bounds can still put their difference past its
    // bounds' 1e-9: the difference's sequence would refuse it at every estimate.
    const bounds = comparison?.difference.bounds;
    if (bounds && checkDifference) {
      const difference = values[0] - values[1];
      const a = bounds.lower[index];
      const b = bounds.upper[index];
      if (!withinLossBounds(difference, a, b)) {
        throw new InputError({
          argument: `${lossArgument(this.loss)}, target − comparisonScores`,
          expected: `a loss difference within the item's bounds [${a}, ${b}]`,
          received: difference,
          row: index,
        });
      }
    }
  }

  /**
   * The session loss of label `y` for the 1×K `scores` of item `index`; a custom loss's refusal
   * names the item's row, not the row's 0, and `of` the scores (empty for the target's).
   */
  private lossOfRow(scores: Matrix, index: number, y: number, of: string): number {
    try {
      return this.loss.perItem(scores, Int32Array.of(y))[0];
    } catch (error) {
      if (!(error instanceof InputError) || error.row !== 0) throw error;
      throw error.withArgument(`${error.argument}${of}`).atRow(index);
    }
  }

  /**
   * The first item whose lower bound of the target's loss is negative, and that bound; null when
   * there is none or no bounds: adaptive acquisition refuses such a loss when the session is created.
   */
  firstNegativeBound(): { row: number; lower: number } | null {
    const bounds = this.tracks.loss.bounds;
    if (bounds === null) return null;
    const row = bounds.lower.findIndex((a) => a < 0);
    return row === -1 ? null : { row, lower: bounds.lower[row] };
  }

  /** Takes in the label `y` of item `index`, whose target scores are `targetRow` (1×K). */
  labelled(index: number, y: number, targetRow: Matrix): void {
    const labels = Int32Array.of(y);
    const { loss, zeroOne, comparison } = this.tracks;
    const value = this.loss.perItem(targetRow, labels)[0];
    loss.values[index] = value;
    zeroOne.values[index] = ZERO_ONE.perItem(targetRow, labels)[0];
    if (comparison && this.comparisonScores) {
      const other = row(this.comparisonScores, index);
      comparison.loss.values[index] = this.loss.perItem(other, labels)[0];
      comparison.zeroOne.values[index] = ZERO_ONE.perItem(other, labels)[0];
      comparison.difference.values[index] = value - comparison.loss.values[index];
    }
  }

  /** Notes that an undo reopened the proposal at `position`: estimators that took it in are rebuilt. */
  reopened(position: number): void {
    if (position < this.fed) {
      this.fed = 0;
      this.stale = true;
    }
  }

  /** The session loss of labelled item `index` (the adaptive sampler learns from it). */
  lossOf(index: number): number {
    return this.tracks.loss.values[index];
  }

  /**
   * Brings the estimators up to the longest resolved prefix, rebuilding them after an undo inside
   * it or a new skip. A skip resolves a pending item, at or after the fed prefix's end, so the
   * sequences (over the whole pool, skips included as losses never known, their bounds functions
   * of what they took in) have taken in nothing it changes: only the LURE estimators and the
   * diagnostic, whose pool shrinks, take the prefix in again.
   */
  private update(): void {
    try {
      this.feed();
    } catch (error) {
      // A label refused part-way (a loss outside its bounds, in a file written before `record`
      // refused it) leaves some estimators holding it and the prefix not moved past it: rebuilt
      // from the start next time, so that an undo of it takes it out of them all.
      this.stale = true;
      throw error;
    }
  }

  /** `update`'s work: the estimators and sequences brought up to the longest resolved prefix. */
  private feed(): void {
    const { state } = this;
    const tracks = this.allTracks();
    if (this.stale) {
      this.resetEstimators();
      this.resetSequences();
      if (this.pairMagnitude) this.pairMagnitude.labelled = 0;
      this.fed = 0;
      this.stale = false;
    } else if (this.fedSkipChanges !== state.skipChanges) {
      this.resetEstimators();
      this.sumSkippedBounds();
      for (let position = 0; position < this.fed; position++) {
        const index = state.proposals[position];
        if (state.status(index) === 'labelled') this.addToEstimators(tracks, index, state.probability(position));
      }
    }
    const proposals = state.proposals;
    while (this.fed < proposals.length) {
      const index = proposals[this.fed];
      const status = state.status(index);
      if (status === 'pending') break;
      const q = state.probability(this.fed);
      const floor = this.drawFloors[this.fed];
      if (status === 'labelled') {
        this.addToEstimators(tracks, index, q);
        for (const track of tracks) track.sequence?.add(index, track.values[index], q, floor);
        const { comparison } = this.tracks;
        if (this.pairMagnitude && comparison) {
          const sizes = Math.abs(this.tracks.loss.values[index]) + Math.abs(comparison.loss.values[index]);
          this.pairMagnitude.labelled += sizes - this.pairMagnitude.perItem[index];
        }
      } else {
        // Skipped: it leaves the estimate's pool, and the sequences keep it as a loss never known.
        for (const track of tracks) track.sequence?.addUnobserved(index, q, floor);
      }
      this.fed++;
    }
  }

  /** LURE estimators and the diagnostic over the items not skipped, with no label yet. */
  private resetEstimators(): void {
    // With every item skipped no label can come: the estimators stay empty (their values NaN,
    // the covered pool 0), but need a size of at least 1.
    const poolSize = Math.max(1, this.n - this.state.skipped);
    for (const track of this.allTracks()) track.estimator = new LUREEstimator(poolSize);
    this.diagnostic = new VarianceRatioToRandom(poolSize);
    this.fedSkipChanges = this.state.skipChanges;
  }

  /** Takes labelled item `index`, drawn with probability `q`, into the LURE estimators and the diagnostic. */
  private addToEstimators(tracks: Track[], index: number, q: number): void {
    for (const track of tracks) track.estimator.add(track.values[index], q);
    this.diagnostic.add(this.tracks.loss.values[index], q, this.tracks.zeroOne.values[index] === 1);
  }

  /** The session's `estimate()`. */
  estimate(): SessionEstimate {
    this.update();
    const { loss, zeroOne, comparison } = this.tracks;
    const poolSize = this.n - this.state.skipped;
    const { skipped } = this.state;
    const risk = interval(loss, poolSize, skipped);
    const labels = loss.estimator.count;
    const variance = risk.standardError * risk.standardError;
    // One definition with varianceRatio (the same σ̂² and finite-population correction), so the two
    // agree. At least 1: under half a label means a single random label already does as well.
    const equivalent = Math.min(poolSize, Math.max(1, Math.round(this.diagnostic.equivalentLabels(variance, risk.value))));
    return {
      risk,
      accuracy: asAccuracy(interval(zeroOne, poolSize, skipped)),
      labels,
      recorded: this.state.recorded,
      skipped: this.state.skipped,
      pending: this.state.pending,
      poolSize,
      equivalentRandomLabels: labels === 0 ? NaN : equivalent,
      varianceRatio: this.diagnostic.ratio(variance, risk.value),
      varianceVerdict: this.diagnostic.verdict(variance, risk.value),
      // Absent, not undefined, without a comparison: `comparison?:` says so to a caller that
      // checks `'comparison' in estimate` (or compiles with exactOptionalPropertyTypes).
      ...(comparison && {
        comparison: {
          risk: interval(comparison.loss, poolSize, skipped),
          accuracy: asAccuracy(interval(comparison.zeroOne, poolSize, skipped)),
          difference: widened(interval(comparison.difference, poolSize, skipped), this.differenceRounding(poolSize)),
        },
      }),
    };
  }

  /**
   * How far the difference's intervals are widened for rounding. The sequence allows for the
   * rounding of sums of the differences, 2ε·Σ|ℓ₁ − ℓ₂|, but a user checks them against R₁ − R₂,
   * each risk summed from its own losses, and each difference ℓ₁ − ℓ₂ is itself rounded at the
   * size of ℓ₁ and ℓ₂: where the two targets nearly agree, that error is far larger than the
   * differences (on 20 items labelled to the end, with logits within ±0.05 of each other, the
   * point missed R₁ − R₂ by a few 10⁻¹⁸ in 40–60% of the sessions). So they are widened by
   * 2ε·Σ(|ℓ₁| + |ℓ₂|), as the sequence widens a risk by 2ε·Σ|ℓ|: the losses of the labelled items
   * and the largest the bounds allow for the others, scaled to the covered pool (a relative 2ε·N
   * of their mean size, 4·10⁻¹¹ at N = 100,000).
   */
  private differenceRounding(poolSize: number): number {
    const magnitude = this.pairMagnitude;
    if (magnitude === null || poolSize === 0) return 0;
    return ((2 * Number.EPSILON * (magnitude.total + magnitude.labelled)) / poolSize) * this.n;
  }

  /**
   * The session's `done(rule)`; `exhausted`: no item is left to propose.
   *
   * @throws {InputError} when a rule's value is out of range (as the CLI's `--max-labels`,
   * `--target-half-width` and `--min-labels`), `minLabels` is given without `targetHalfWidth`, or
   * `targetHalfWidth` is set but the loss has no per-item bounds.
   */
  done(rule: StoppingRule, exhausted: boolean): boolean {
    const names = ['maxLabels', 'targetHalfWidth', 'minLabels'] as const;
    checkKnownKeys(rule, names, null);
    for (const name of names) checkOption(name, rule[name], 'label');
    const { maxLabels, targetHalfWidth, minLabels = DEFAULT_MIN_LABELS } = rule;
    // minLabels only delays a stop on the width: alone it would read as a rule that is not one.
    if (rule.minLabels !== undefined && targetHalfWidth === undefined) {
      throw new InputError({
        argument: 'minLabels',
        expected: 'targetHalfWidth as well (minLabels is the labels needed before the width may stop the session)',
        received: rule.minLabels,
      });
    }
    if (targetHalfWidth !== undefined && this.tracks.loss.bounds === null) {
      // The bounds of the cross-entropy and of a custom loss come from the target's scores: a
      // session scoring the target on demand has none for the items not labelled yet.
      const needs = [
        ...(this.loss.id.startsWith('custom:') && !this.loss.bounds ? ['a custom loss with `bounds`'] : []),
        ...(this.targetScored ? [] : ['modelScores (this session scores the target on demand)']),
      ];
      throw new InputError({
        argument: 'targetHalfWidth',
        expected: `per-item loss bounds known before labelling, to stop on the confidence sequence: ${needs.join(' and ')}, or the zero-one or Brier loss`,
        received: this.loss.id,
      });
    }
    // Only what the rules read: the full estimate() would also solve every other interval.
    this.update();
    const labels = this.tracks.loss.estimator.count;
    if (exhausted && this.state.pending === 0) return true;
    if (maxLabels !== undefined && labels >= maxLabels) return true;
    const { loss } = this.tracks;
    const sequence = loss.sequence;
    if (targetHalfWidth !== undefined && labels >= minLabels && sequence !== null && labels > 0) {
      const anytime = coveredInterval(sequence, loss.skippedBounds, sequence.anytime(), this.n - this.state.skipped, this.state.skipped);
      return (anytime.upper - anytime.lower) / 2 <= targetHalfWidth;
    }
    return false;
  }
}
