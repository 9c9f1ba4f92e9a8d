import { InputError } from '../errors.js';
import { checkObject } from '../io/check-arguments.js';
import { checkKnownKeys } from '../io/suggest.js';
import { lossLimitText, lossMagnitudeLimit } from '../metrics/loss-bounds.js';

/** A closed interval for the pool risk. */
export interface RiskInterval {
  lower: number;
  upper: number;
}

/** Options of `RiskConfidenceSequence`. */
export interface ConfidenceSequenceOptions {
  /** Error probability of the whole sequence (both sides together); default 0.05. */
  alpha?: number;
  /** Largest betting fraction, in (0, 1); default 0.75. Smaller is safer against bad bets, larger reacts faster. */
  maxBet?: number;
  /**
   * The label count the sequence is tuned for, e.g. the labelling budget: its bets are those of
   * the fixed-budget interval at that count up to it, and shrink as for every count after it, so
   * the sequence is narrowest there (never wider than the fixed-budget interval at that count) and
   * wider at far fewer labels. It stays valid at every count. Default: tuned for every count at
   * once. The fixed-budget interval is solved exactly at that count too, and otherwise does not depend on it.
   */
  plannedLabels?: number;
  /**
   * How far R computed from the same losses evaluated along another path may lie from R computed
   * from the losses given (`LossBounds.evaluationRounding`, which `lossBounds` gives for built-in
   * losses); default 0. Every interval is widened by it, the point at M = N included.
   */
  evaluationRounding?: number;
  /**
   * A prediction of each item's loss and a floor on its proposal probability, both known before
   * labelling; they narrow the interval (most of all the upper side of cross-entropy) without
   * touching its guarantee, which then needs every draw's q ≥ the item's floor.
   */
  reference?: ConfidenceSequenceReference;
}

/** Per-item inputs of the control-variate bets (docs/concepts.md, Reference bets). */
export interface ConfidenceSequenceReference {
  /**
   * A predicted loss per item, any value computed before labelling (e.g. the target's expected
   * loss under the surrogate's probabilities); clamped into the item's bounds.
   */
  predictedLoss: ArrayLike<number>;
  /**
   * π_i > 0 with q ≥ π_i whenever item i can be drawn: a lower bound of its proposal probability
   * over every draw (e.g. `proposalFloor`). A draw with q below its item's floor is refused.
   */
  proposalFloor: ArrayLike<number>;
}

const DEFAULT_ALPHA = 0.05;
const DEFAULT_MAX_BET = 0.75;
/** Prior guess of the variance of Z/S around 1 (weight one pseudo-observation) before any label. */
const PRIOR_VARIANCE = 0.25;
const NEWTON_ITERATIONS = 200;
/**
 * Newton stops once the log-capital exceeds its threshold by at most this: the bound is then still
 * rejected, a hair inside the exact boundary (measured at most 0.02% of the width wider), and the
 * one or two last iterations, each O(M), are saved.
 */
const NEWTON_TOLERANCE = 1e-4;
/**
 * Both bounds are solved exactly (Newton's method, O(M) per step) at label counts that are
 * multiples of a spacing of at most 1/SOLVE_FRACTION of the count (`sequenceSolveSpacing`).
 */
const SOLVE_FRACTION = 10;
/**
 * First step, relative to 1 + |θ|, from an impossible θ at the deterministic bound (see
 * `boundary`): about 250 times the rounding of N·θ − P_s; each further step is 16 times longer.
 */
const ROUNDING_STEP = 2 ** -44;
/**
 * The fixed-budget bound's warm start steps this share (and `ROUNDING_STEP`) past where the tangent
 * of the log-capital reaches the threshold, so that rounding cannot leave it on the unrejected side.
 */
const TANGENT_MARGIN = 1e-3;
/** The range [1/PRODUCT_RANGE, PRODUCT_RANGE] a capital's running product is kept in (see `accumulate`). */
const PRODUCT_RANGE = 2 ** 256;
/** Relative tolerance, in the bound's own units, for a loss lying on the wrong side of its declared bound. */
const BOUND_TOLERANCE = 1e-9;

/**
 * Whether a loss lies within its item's bounds [a, b], up to a relative 1e-9 for rounding: the
 * losses a confidence sequence takes in (`RiskConfidenceSequence.add` refuses the others).
 *
 * @example
 * withinLossBounds(1 + 1e-12, 0, 1); // true
 * withinLossBounds(5, 0, 1); // false
 */
export function withinLossBounds(loss: number, a: number, b: number): boolean {
  const tolerance = BOUND_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
  return loss >= a - tolerance && loss <= b + tolerance;
}
/**
 * Label count the reference bets' cap is tuned for (the cap must be fixed before the first label).
 * Not the planned labels: tuned for 400, the demo's adaptive fixed-budget interval widened from
 * 15.9× to 19.0× the bootstrap's at 400 labels (the predicted width is a heuristic).
 */
const REFERENCE_TUNING_LABELS = 200;
/** Caps tried for the reference, in units of N·π_i (0 is the bet without reference). */
const REFERENCE_CAPS = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];

/**
 * The reference bet's share of the starting capital (the plain bet has the rest). Where the
 * reference is the better bet it needs log(1/0.9) more evidence instead of log 2, which narrowed
 * the intervals on the real pairs and the demo pool by 5–10%; where the plain bet is better (a
 * surrogate that predicts the loss badly) it needs log 10 instead of log 2, which widened those
 * rows by at most 9% (docs/concepts.md, Both bets at once).
 */
export const REFERENCE_SHARE = 0.9;

/** Log-capital of one side's bets at one θ over a prefix of the labels, and its running maximum. */
export interface CapitalState {
  /** Per bet: log K_s(θ) and its slope in θ. */
  logs: Float64Array;
  slopes: Float64Array;
  /** max over prefixes of the log of the (weighted) average capital, and its slope there. */
  best: number;
  bestSlope: number;
  /**
   * max over the prefixes added with a `reachAbove` of (log − reachAbove)/(−slope) where the log
   * of the average capital exceeds it: how far its tangent there stays above that level.
   */
  reach: number;
  rejected: boolean;
}

function capitalState(): CapitalState {
  return { logs: new Float64Array(2), slopes: new Float64Array(2), best: 0, bestSlope: 0, reach: 0, rejected: false };
}

/**
 * Refuses a planned label count above the pool size: no run draws more labels than the pool has,
 * so a sequence tuned for more would be tuned for a count it never reaches.
 *
 * @throws InputError naming `plannedLabels` when it exceeds `poolSize`.
 * @example
 * checkPlannedWithinPool(400, 300); // InputError: plannedLabels: expected at most the pool size 300, got 400
 */
export function checkPlannedWithinPool(plannedLabels: number, poolSize: number): void {
  if (plannedLabels > poolSize) {
    throw new InputError({ argument: 'plannedLabels', expected: `at most the pool size ${poolSize}`, received: plannedLabels });
  }
}

/**
 * The spacing of the label counts at which a confidence sequence's bounds are solved exactly: the
 * largest of 1, 2, 5, 10, 20, 50, … that is at most 1/10 of `labels` (1 below 20 labels, 2 from
 * 20, 5 from 50, 10 from 100, 20 from 200, 50 from 500, …). `RiskConfidenceSequence.anytime()` and
 * `fixed()` solve their bounds at the multiples of it (Newton's work O(M) in all over M labels)
 * and tighten them label by label in between; every multiple of 10 below 200 is one of them, so
 * are 50, 100, 200, 400.
 *
 * @example
 * sequenceSolveSpacing(15); // 1: every count below 20 is solved
 * sequenceSolveSpacing(150); // 10: 150 is solved, 151 is the bound solved at 150 moved by one label
 * @throws InputError when `labels` is not an integer ≥ 0.
 */
export function sequenceSolveSpacing(labels: number): number {
  if (!(Number.isSafeInteger(labels) && labels >= 0)) {
    throw new InputError({ argument: 'labels', expected: 'a label count (an integer ≥ 0)', received: labels });
  }
  let spacing = 1;
  for (let digit = 0; ; digit = (digit + 1) % 3) {
    const next = digit === 1 ? spacing * 2.5 : spacing * 2;
    if (SOLVE_FRACTION * next > labels) return spacing;
    spacing = next;
  }
}

/**
 * One bet of a side: per draw its nonnegative Z_s and the offset P_s of x_s(θ) = N·θ − P_s, and
 * the bet fraction from a running variance estimate of Z/x.
 */
class Bet {
  z = new Float64Array(16);
  prefix = new Float64Array(16);
  /**
   * The bet of draw s before its cap, at scale 1: √(2·log(1/β)/σ̂²) from the variance estimate σ̂²
   * known before draw s; a bet at scale c divides it by √c.
   */
  unitBet = new Float64Array(16);
  /** The anytime bet of each draw (it depends on the draw only, so it is computed once). */
  anytimeBet = new Float64Array(16);
  private squaredDeviations = 0;
  private deviationCount = 0;
  /** Σ_j (Z_j − ρ + D_j + P_j) with P_j = Σ_{k<j} w_k: the running LURE-style estimate of the w total. */
  private shiftedWeightSum = 0;
  /** D_s: the references of the items not labelled yet. */
  private remainingReference: number;
  /** 2·log(1/β), in every bet. */
  private readonly twiceLogThreshold: number;

  constructor(
    threshold: number,
    readonly maxBet: number,
    private readonly referenceTotal: number,
    private readonly plannedLabels: number,
  ) {
    this.remainingReference = referenceTotal;
    this.twiceLogThreshold = 2 * Math.log(threshold);
  }

  /**
   * Records draw s: w ≥ 0, q, the reference d, the side's offset and w total before it, and the
   * draw's range ρ_s ≥ d_i/q_s(i) on every remaining item, fixed before the draw.
   */
  add(s: number, w: number, q: number, d: number, offset: number, total: number, range: number): void {
    if (s === this.z.length) this.grow();
    const centred = (w - d) / q;
    const shift = range - this.remainingReference;
    // The range keeps Z ≥ 0 (d/q ≤ ρ_s); rounding may leave a few ulps below.
    const weighted = Math.max(0, centred + range);
    this.z[s] = weighted;
    this.prefix[s] = offset + total - shift;
    this.unitBet[s] = Math.sqrt((this.twiceLogThreshold * (1 + this.deviationCount)) / (PRIOR_VARIANCE + this.squaredDeviations));
    this.anytimeBet[s] = this.bet(s, this.anytimeScale(s + 1));
    if (s > 0) {
      // Predictable estimate of x_s before this draw: every earlier draw estimated the w total
      // remaining at its own time; subtracting what was labelled since moves it here.
      const remaining = this.shiftedWeightSum / s - total + shift;
      if (remaining > 0) {
        const deviation = weighted / remaining - 1;
        this.squaredDeviations += deviation * deviation;
        this.deviationCount++;
      }
    }
    this.shiftedWeightSum += centred + this.remainingReference + total;
    this.remainingReference -= d;
  }

  reset(): void {
    this.squaredDeviations = 0;
    this.deviationCount = 0;
    this.shiftedWeightSum = 0;
    this.remainingReference = this.referenceTotal;
  }

  /** The bet of draw s at a scale: a fixed budget, or the anytime sequence's `anytimeScale`. */
  private bet(s: number, scale: number): number {
    const fraction = this.unitBet[s] / Math.sqrt(scale);
    return fraction < this.maxBet ? fraction : this.maxBet;
  }

  /**
   * The anytime bet's t·log(1 + t), or with planned labels P the fixed-budget bet's P up to P and
   * t·log(1 + t)/log(1 + P) after it (continuous at P, and growing as the default after it).
   */
  private anytimeScale(t: number): number {
    const planned = this.plannedLabels;
    if (planned === 0) return t * Math.log(1 + t);
    return t <= planned ? planned : (t * Math.log(1 + t)) / Math.log(1 + planned);
  }

  private grow(): void {
    const size = this.z.length * 2;
    const grown = (from: Float64Array): Float64Array<ArrayBuffer> => {
      const to = new Float64Array(size);
      to.set(from);
      return to;
    };
    this.z = grown(this.z);
    this.prefix = grown(this.prefix);
    this.unitBet = grown(this.unitBet);
    this.anytimeBet = grown(this.anytimeBet);
  }
}

/**
 * A bound of one side solved exactly (Newton's method) at a label count, its solve point, and
 * tightened label by label after it as far as the log-capital's tangent at it allows.
 */
class TrackedBound {
  /** The bound solved at `solvedCount` labels, where `tracked` is kept. */
  solved = -Infinity;
  solvedCount = 0;
  /** The bets' log-capital at θ = `solved` over the first `trackedCount` labels (-1: none). */
  readonly tracked = capitalState();
  trackedCount = -1;
  /** The bound at `lastCount` labels: the last count passed through, asked or not. */
  last = -Infinity;
  lastCount = -1;

  reset(): void {
    this.solved = -Infinity;
    this.solvedCount = 0;
    this.trackedCount = -1;
    this.last = -Infinity;
    this.lastCount = -1;
  }
}

/**
 * One side of the confidence sequence: a test of `θ` against a nonnegative per-item quantity w_i
 * (loss − lower bound for the lower side, upper bound − loss for the upper side) whose pool total
 * is `N·θ − offset`. Before draw s the remaining total under H0(θ) is `N·θ − offset − Σ_{j<s} w_j`.
 * The plain bet uses `Z_s = w_s/q_s`, whose conditional mean is at most that total `x_s(θ_true)`
 * (equal when q > 0 on every remaining item). With a reference (d_i ≥ 0, a predicted w_i, and a
 * range ρ ≥ max_i d_i/π_i) a second bet uses `Z_s = (w_s − d_s)/q_s + ρ ≥ 0` against
 * `x_s(θ) − D_s + ρ` (D_s the remaining references' total), of the same conditional mean. Each
 * capital `K_s(θ) = Π_{j≤s} (1 − λ_j + λ_j Z_j/x_j(θ))`, λ_j ∈ [0, 1) predictable and free of θ,
 * is a nonnegative supermartingale under H0, and so is their weighted average (`REFERENCE_SHARE`), whose
 * excursions Ville's inequality bounds: `P(∃s: K_s(θ_true) ≥ 1/β) ≤ β`. Each capital is decreasing
 * and log-convex in θ, hence so is their average, so the rejected θ form a half-line whose end is
 * found by Newton's method from the left (every iterate stays rejected, so stopping early only
 * widens the interval).
 *
 * Both bounds are solved exactly only at solve points (the multiples of `sequenceSolveSpacing(M)`,
 * and for the fixed-budget bound the planned labels too); at the counts in between each is the
 * bound of its last solve point P raised by what the labels since reject there: each new prefix
 * whose log-capital at that bound exceeds log(1/β) rejects every θ up to where its tangent
 * reaches it (its log is convex in θ). Newton's work is O(P) per step once per solve point, the
 * tightening O(1) per label.
 */
class OneSidedCapital {
  private count = 0;
  private total = 0;
  private readonly bets: Bet[];
  private readonly anytimeBound = new TrackedBound();
  /** The fixed-budget bound, its bets tuned for its solve point (the budget). */
  private readonly fixedBound = new TrackedBound();

  constructor(
    private readonly poolSize: number,
    private readonly offset: number,
    private readonly threshold: number,
    maxBet: number,
    private readonly plannedLabels: number,
    reference: { total: number } | null = null,
  ) {
    this.bets = [new Bet(threshold, maxBet, 0, plannedLabels)];
    if (reference !== null) this.bets.push(new Bet(threshold, maxBet, reference.total, plannedLabels));
  }

  get labels(): number {
    return this.count;
  }

  /** Adds one label: its w ≥ 0, its proposal probability q, its reference d and the draw's range (both unused without reference). */
  add(w: number, q: number, d: number, range: number): void {
    const s = this.count;
    this.bets[0].add(s, w, q, 0, this.offset, this.total, 0);
    if (this.bets.length > 1) this.bets[1].add(s, w, q, d, this.offset, this.total, range);
    this.total += w;
    this.count = s + 1;
  }

  /**
   * The anytime sequence's lower bound (labels so far), kept monotone: the smallest θ not
   * rejected as of the last solve point, raised by what the labels since reject. So the bound is
   * the exact one at the solve points and in between at most the exact one, at least that of the
   * solve point. It is computed as if asked after every label (the counts not asked cost O(1)
   * each, and the solve points they pass), so it depends on the labels only, bit for bit, not on
   * the counts it was asked at: Newton's stop and the running maximum depend on where they start.
   */
  anytimeLower(): number {
    const track = this.anytimeBound;
    for (let count = track.lastCount + 1; count <= this.count; count++) {
      const solvePoint = count - (count % sequenceSolveSpacing(count));
      if (solvePoint > track.solvedCount) this.solveAnytime(solvePoint);
      this.tightened(track, 0, Math.max(this.deterministicAt(count), track.solved, track.last), count);
    }
    return track.last;
  }

  /**
   * Smallest θ not rejected by bets tuned to a budget fixed in advance: at a solve point P (the
   * multiples of `sequenceSolveSpacing(M)` and the planned labels) the exact bound of budget P; in
   * between, that bound raised by the labels since, with the same bets (valid at a count fixed in
   * advance whatever budget the bets were tuned for). Computed as if asked after every label, as
   * `anytimeLower` is: each solve starts from the bound of the count before.
   */
  fixedLower(): number {
    const track = this.fixedBound;
    const planned = this.plannedLabels;
    for (let count = track.lastCount + 1; count <= this.count; count++) {
      const spaced = count - (count % sequenceSolveSpacing(count));
      const solvePoint = planned > spaced && planned <= count ? planned : spaced;
      if (solvePoint > track.solvedCount) this.solveFixed(solvePoint);
      this.tightened(track, track.solvedCount, Math.max(this.deterministicAt(count), track.solved), count);
    }
    return track.last;
  }

  /** θ below which the remaining total would be negative: `(offset + Σ w)/N`. */
  deterministicLower(): number {
    return (this.offset + this.total) / this.poolSize;
  }

  reset(): void {
    this.count = 0;
    this.total = 0;
    for (const bet of this.bets) bet.reset();
    this.anytimeBound.reset();
    this.fixedBound.reset();
  }

  /**
   * Raises `least` to the bound of `track`'s solve point moved by the labels since (bets tuned for
   * `budget`; 0: the anytime bets), extending its state to `count` labels, and records it.
   */
  private tightened(track: TrackedBound, budget: number, least: number, count: number): void {
    const tracked = track.tracked;
    let bound = least;
    if (track.trackedCount >= 0 && !tracked.rejected) {
      this.accumulate(track.solved, budget, track.trackedCount, count, tracked, Math.log(this.threshold));
      track.trackedCount = count;
      if (track.solved + tracked.reach > bound) bound = track.solved + tracked.reach;
    }
    track.last = bound;
    track.lastCount = count;
  }

  /** `deterministicLower()` as it was before label `labels`. */
  private deterministicAt(labels: number): number {
    // The plain bet's offset before label `labels` is the deterministic bound's numerator there.
    return (labels === this.count ? this.offset + this.total : this.bets[0].prefix[labels]) / this.poolSize;
  }

  /**
   * Solves the anytime bound over the first `labels` labels: from the bound solved before, its
   * state extended to them (O(1) per label), when the deterministic bound there is not above it;
   * else from the larger of that and the last bound reported.
   */
  private solveAnytime(labels: number): void {
    const track = this.anytimeBound;
    const tracked = track.tracked;
    const deterministic = this.deterministicAt(labels);
    let evaluated = false;
    if (track.trackedCount >= 0 && !tracked.rejected && track.solved >= deterministic) {
      this.accumulate(track.solved, 0, track.trackedCount, labels, tracked, Infinity);
      evaluated = !tracked.rejected;
    }
    const start = evaluated ? track.solved : Math.max(deterministic, track.last);
    this.recordSolve(track, labels, this.boundary(start, 0, labels, tracked, evaluated));
  }

  /**
   * Solves the fixed-budget bound of budget `labels` over the first `labels` labels. Newton starts
   * from the bound at the count before when that θ is still rejected with these bets, else from where
   * the log-capital's tangent there reaches the threshold (rejected too, by convexity), else from
   * the deterministic bound, which saves most of Newton's steps (measured 1.7 evaluations of the
   * capital instead of 5.6 when solved at every count). Every start is rejected, so the result is
   * the same boundary up to Newton's stop.
   */
  private solveFixed(labels: number): void {
    const track = this.fixedBound;
    const tracked = track.tracked;
    const deterministic = this.deterministicAt(labels);
    const previous = track.last;
    const target = Math.log(this.threshold);
    let start = deterministic;
    let evaluated = false;
    if (previous > deterministic) {
      this.evaluate(previous, labels, labels, tracked);
      if (!tracked.rejected && tracked.best > target) {
        start = previous;
        evaluated = true;
      } else if (!tracked.rejected && tracked.bestSlope < 0) {
        // Not rejected there: the boundary lies left of it, and the log-capital being convex, its
        // tangent there lies below it, so θ where the tangent reaches the threshold is rejected.
        const left =
          previous - ((target - tracked.best) / -tracked.bestSlope) * (1 + TANGENT_MARGIN) - ROUNDING_STEP * (1 + Math.abs(previous));
        if (left > deterministic) start = left;
      }
    }
    this.recordSolve(track, labels, this.boundary(start, labels, labels, tracked, evaluated));
  }

  /** Records `bound` as `track`'s bound solved at `labels` labels; `boundary` left its state there. */
  private recordSolve(track: TrackedBound, labels: number, bound: number): void {
    track.solved = bound;
    track.tracked.reach = 0;
    track.trackedCount = labels;
    track.solvedCount = labels;
  }

  /**
   * Newton's method on F(θ) = max_s log K_s(θ) − log(1/β) over the first `labels` labels from
   * `start` (already rejected or at the deterministic bound). F is convex and decreasing, so each
   * Newton step lands at or left of the root: the returned θ is never beyond the exact boundary
   * (it stops within NEWTON_TOLERANCE of the threshold, on the rejected side). `state` receives
   * each evaluation and is left at the returned θ; `evaluated` says it already holds F at `start`.
   */
  private boundary(start: number, budget: number, labels: number, state: CapitalState, evaluated: boolean): number {
    let theta = start;
    const target = Math.log(this.threshold);
    // The last θ found impossible, and whether θ was reached by a step past it rather than by Newton.
    let impossible = start;
    let stepped = false;
    let step = ROUNDING_STEP * (1 + Math.abs(start));
    for (let iteration = 1; ; iteration++) {
      if (!(evaluated && iteration === 1)) this.evaluate(theta, budget, labels, state);
      if (state.rejected) {
        // θ is impossible: a label with w > 0 where the remaining total x_s(θ) ≤ 0. At the
        // deterministic bound that is rounding (a loss a few ulps inside its bound leaves w a few
        // ulps above 0, below what N·θ − P_s resolves), and Newton cannot step from an infinite
        // capital: step right by amounts growing from the rounding scale until it is finite.
        if (iteration === NEWTON_ITERATIONS) return theta;
        impossible = theta;
        theta += step;
        step *= 16;
        stepped = true;
        continue;
      }
      const excess = state.best - target;
      const slope = state.bestSlope;
      if (!(excess > NEWTON_TOLERANCE) || !(slope < 0) || iteration === NEWTON_ITERATIONS) {
        if (!stepped || excess > 0) return theta;
        // The step passed the boundary: it lies between the last impossible θ and this one.
        state.rejected = true;
        return impossible;
      }
      const next = theta - excess / slope;
      if (!(next > theta)) return theta;
      theta = next;
      stepped = false;
    }
  }

  /** Sets `state` to the capital at θ over the first `labels` labels (bets tuned for `budget`; 0: the anytime bets). */
  private evaluate(theta: number, budget: number, labels: number, state: CapitalState): void {
    state.logs.fill(0);
    state.slopes.fill(0);
    state.best = 0;
    state.bestSlope = 0;
    state.rejected = false;
    this.accumulate(theta, budget, 0, labels, state, Infinity);
  }

  /**
   * Extends `state` (each bet's log K_s(θ) over the labels before `from`, the running maximum over
   * prefixes of the log of their average, the empty product included, and the slopes) by the
   * labels from `from` to `to`; `rejected` once a label makes θ impossible (x_s(θ) ≤ 0 with
   * Z_s > 0) or the capital leaves the floating-point range. With a finite `reachAbove`, also the
   * largest tangent step of the new prefixes above it.
   *
   * Each capital is kept as e^base·product, the product multiplied by each label's factor and
   * folded into the base only when it leaves [2^-256, 2^256]; the average is compared with the
   * running maximum in that scale. So a label costs no logarithm (they were most of the time:
   * the capital at a rejected θ grows at most labels, so the maximum moves at most of them).
   */
  private accumulate(theta: number, budget: number, from: number, to: number, state: CapitalState, reachAbove: number): void {
    const n = this.poolSize;
    const { logs, slopes } = state;
    const first = this.bets[0];
    const second = this.bets.length > 1 ? this.bets[1] : first;
    const mixed = this.bets.length > 1;
    // A budget's bets are the unit bets over √budget, capped.
    const budgetFactor = budget > 0 ? 1 / Math.sqrt(budget) : 0;
    let base0 = logs[0];
    let base1 = mixed ? logs[1] : -Infinity;
    let product0 = 1;
    let product1 = 1;
    let slope0 = slopes[0];
    let slope1 = slopes[1];
    // The average capital is e^scale·(weight0·product0 + weight1·product1); the levels it is
    // compared with are in the same units.
    let scale = 0;
    let weight0 = 0;
    let weight1 = 0;
    let bestLevel = 0;
    let reachLevel = 0;
    // The running maximum as e^bestScale·bestValue once a prefix here raised it.
    let bestValue = 0;
    let bestScale = -Infinity;
    let { best, bestSlope, reach } = state;
    let rescale = true;
    // The two bets are written out with their state in locals: a loop over the bets with the state
    // in typed arrays measured 15–40% slower, a function per bet and label 10% slower.
    for (let s = from; s < to && !state.rejected; s++) {
      const x0 = n * theta - first.prefix[s];
      const z0 = first.z[s];
      let lambda0 = first.anytimeBet[s];
      if (budget > 0) {
        lambda0 = first.unitBet[s] * budgetFactor;
        if (lambda0 > first.maxBet) lambda0 = first.maxBet;
      }
      if (z0 === 0) {
        product0 *= 1 - lambda0;
      } else {
        if (!(x0 > 0)) {
          state.rejected = true;
          break;
        }
        const ratio = z0 / x0;
        const factor = 1 - lambda0 + lambda0 * ratio;
        product0 *= factor;
        slope0 -= (n * lambda0 * ratio) / (x0 * factor);
      }
      if (mixed) {
        const x1 = n * theta - second.prefix[s];
        const z1 = second.z[s];
        let lambda1 = second.anytimeBet[s];
        if (budget > 0) {
          lambda1 = second.unitBet[s] * budgetFactor;
          if (lambda1 > second.maxBet) lambda1 = second.maxBet;
        }
        if (z1 === 0) {
          product1 *= 1 - lambda1;
        } else {
          if (!(x1 > 0)) {
            state.rejected = true;
            break;
          }
          const ratio = z1 / x1;
          const factor = 1 - lambda1 + lambda1 * ratio;
          product1 *= factor;
          slope1 -= (n * lambda1 * ratio) / (x1 * factor);
        }
      }
      if (!(product0 <= PRODUCT_RANGE && product0 >= 1 / PRODUCT_RANGE)) {
        base0 += Math.log(product0);
        product0 = 1;
        rescale = true;
      }
      if (!(product1 <= PRODUCT_RANGE && product1 >= 1 / PRODUCT_RANGE)) {
        base1 += Math.log(product1);
        product1 = 1;
        rescale = true;
      }
      if (!(base0 < Infinity && base1 < Infinity)) {
        state.rejected = true;
        break;
      }
      if (rescale) {
        scale = Math.max(base0, base1);
        weight0 = (mixed ? 1 - REFERENCE_SHARE : 1) * Math.exp(base0 - scale);
        weight1 = mixed ? REFERENCE_SHARE * Math.exp(base1 - scale) : 0;
        bestLevel = bestScale === -Infinity ? Math.exp(best - scale) : Math.exp(bestScale - scale) * bestValue;
        reachLevel = Math.exp(reachAbove - scale);
        rescale = false;
      }
      const part0 = weight0 * product0;
      const part1 = weight1 * product1;
      const average = part0 + part1;
      if (!(average > bestLevel) && !(average > reachLevel)) continue;
      const slope = (part0 * slope0 + part1 * slope1) / average;
      if (average > bestLevel) {
        bestLevel = average;
        bestValue = average;
        bestScale = scale;
        bestSlope = slope;
      }
      if (average > reachLevel && slope < 0) {
        const log = scale + Math.log(average);
        if ((log - reachAbove) / -slope > reach) reach = (log - reachAbove) / -slope;
      }
    }
    logs[0] = base0 + Math.log(product0);
    if (mixed) logs[1] = base1 + Math.log(product1);
    slopes[0] = slope0;
    slopes[1] = slope1;
    if (bestScale > -Infinity) best = bestScale + Math.log(bestValue);
    state.best = best;
    state.bestSlope = bestSlope;
    state.reach = reach;
  }
}

/** The options `RiskConfidenceSequence` takes: any other key is refused. */
const CONFIDENCE_SEQUENCE_OPTIONS: readonly (keyof ConfidenceSequenceOptions)[] = [
  'alpha',
  'maxBet',
  'plannedLabels',
  'evaluationRounding',
  'reference',
];

/**
 * An anytime-valid confidence sequence for the pool risk `R = (1/N) Σ ℓ_i` from labels drawn
 * without replacement under any predictable proposal, plus a fixed-budget interval. Each item's
 * loss must lie in known bounds `a_i ≤ ℓ_i ≤ b_i` (from the target's scores, before labelling).
 *
 * `anytime()` holds simultaneously at every label count with probability ≥ 1 − α, so it stays
 * valid under any data-dependent stopping rule (stop when it is narrow enough). `fixed()` is valid
 * at one label count chosen before labelling (a budget), and is usually tighter there. Both are
 * the point R once every item is labelled. Every bound is widened by 2ε·Σ_i max(|a_i|, |b_i|), a
 * bound on floating-point rounding (about 1e-13 for 20 items, 1e-9 for 100,000), so that R summed
 * in any order lies inside; at M = N the interval is the mean of the losses ± 2ε·Σ_i |ℓ_i|. Both
 * are widened by the `evaluationRounding` option as well (the losses' own rounding). With the `reference` option (a predicted loss
 * and a floor of the proposal, e.g. `fixedProposalFloor`) both are narrower, most of all the upper
 * side of cross-entropy, with the same guarantee, and narrower still when each draw also gives
 * its own proposal's floor (`add`'s `drawFloor`). Construction and proof: docs/concepts.md.
 *
 * Both solve their bounds exactly (Newton's method, O(M) per step, a few steps) only at the label
 * counts that are multiples of `sequenceSolveSpacing(M)`, the largest of 1, 2, 5, 10, 20, … at
 * most M/10: every count below 20, every 10th from 100 to 199, every 20th from 200 to 499, and so
 * on; `fixed()` also at `plannedLabels`. At the counts in between each bound is the one solved at
 * the last such count P, tightened by the labels since then as far as their log-capital's tangent
 * allows. The anytime bound lags its exact bound by fewer than M/10 labels and is never outside
 * it, so it never lowers coverage. `fixed()` in between uses the bets of budget P, a budget other
 * than the count, which keeps it valid at that count: its own test, measured within about 1% of
 * the width of the exact bound of budget M on either side. Each is a function of the labels alone,
 * bit for bit, whichever counts it is asked at (the counts not asked are passed through as if
 * they had been), and costs O(1) amortised per label (O(M) in all over M labels).
 *
 * @example
 * const cs = new RiskConfidenceSequence(new Float64Array(4), new Float64Array(4).fill(1));
 * cs.add(2, 1, 0.25); // item 2, loss 1, drawn with probability 0.25
 * cs.anytime(); // { lower: 0.25 − 8ε, upper: 1 + 8ε }: the deterministic bounds, widened for rounding
 * const guided = new RiskConfidenceSequence(new Float64Array(4), new Float64Array(4).fill(1), {
 *   reference: { predictedLoss: [0.1, 0.2, 0.9, 0.1], proposalFloor: fixedProposalFloor([1, 2, 9, 1], 0.1)! },
 * });
 * guided.add(2, 0.8, 0.75, Float64Array.of(0.1, 0.15, 0.75, 0.1)); // with this draw's own floor
 * @throws InputError when the bounds are not finite, past `lossMagnitudeLimit`, out of order, or of different lengths, α / maxBet are out of range, plannedLabels is not an integer in [1, the pool size], or a reference array has the wrong length, a non-finite prediction, a floor outside (0, 1] or floors summing above 1, or `options` has a key it does not take.
 */
export class RiskConfidenceSequence {
  readonly poolSize: number;
  readonly alpha: number;
  private readonly lowerBounds: Float64Array;
  private readonly upperBounds: Float64Array;
  private readonly lowerSide: OneSidedCapital;
  private readonly upperSide: OneSidedCapital;
  private readonly labelled: Uint8Array;
  /** Items added by `addUnobserved`: their losses stay unknown, so the interval is not a point at M = N. */
  private unobserved = 0;
  /** Σ of the labelled losses and of their magnitudes: the point R at M = N and its rounding allowance. */
  private lossTotal = 0;
  private lossMagnitude = 0;
  /**
   * 2ε·Σ_i max(|a_i|, |b_i|) + `evaluationRounding`: at least the rounding error of the bounds'
   * sums plus that of a pool risk summed in any order from losses evaluated along any path, so
   * widening by it keeps R inside in floating point too (at M = N the bounds meet at R up to
   * rounding).
   */
  private readonly roundingMargin: number;
  /** The `evaluationRounding` option: also part of the point's allowance at M = N. */
  private readonly evaluationRounding: number;
  /** Per-item proposal floor and each side's reference d_i; null without reference. */
  private readonly floor: Float64Array | null;
  private readonly lowerReference: Float64Array | null;
  private readonly upperReference: Float64Array | null;
  /** Each side's range ρ = max_i d_i/π_i (0: that side bets without reference). */
  private readonly ranges: Float64Array = new Float64Array(2);
  /** Both sides' range under each per-draw floor passed to `add`, by identity (floors are not to change); held no longer than the floor. */
  private readonly drawRanges = new WeakMap<ArrayLike<number>, Float64Array>();

  constructor(lowerBounds: ArrayLike<number>, upperBounds: ArrayLike<number>, options: ConfidenceSequenceOptions = {}) {
    // A misspelt `alpha` would otherwise give a 95% sequence to a caller who asked for another level.
    checkKnownKeys(options, CONFIDENCE_SEQUENCE_OPTIONS, null);
    // A number or an object without a length (the pool size passed where the bounds belong) has no
    // integer length, and would otherwise build a sequence over an undefined pool.
    const n = typeof lowerBounds === 'object' && lowerBounds !== null ? lowerBounds.length : undefined;
    if (!(Number.isSafeInteger(n) && (n as number) >= 1)) {
      throw new InputError({ argument: 'lowerBounds', expected: 'one bound per pool item (at least one item)', received: n });
    }
    if (typeof upperBounds !== 'object' || upperBounds === null || upperBounds.length !== n) {
      throw new InputError({ argument: 'upperBounds', expected: `${n} bounds, one per pool item`, received: upperBounds?.length });
    }
    const alpha = options.alpha ?? DEFAULT_ALPHA;
    if (!(alpha > 0 && alpha < 1)) throw new InputError({ argument: 'alpha', expected: 'a number in (0, 1)', received: alpha });
    const maxBet = options.maxBet ?? DEFAULT_MAX_BET;
    if (!(maxBet > 0 && maxBet < 1)) throw new InputError({ argument: 'maxBet', expected: 'a number in (0, 1)', received: maxBet });
    const plannedLabels = options.plannedLabels ?? 0;
    if (options.plannedLabels !== undefined && !(Number.isSafeInteger(plannedLabels) && plannedLabels >= 1)) {
      throw new InputError({ argument: 'plannedLabels', expected: 'a label count (an integer ≥ 1)', received: options.plannedLabels });
    }
    if (options.plannedLabels !== undefined) checkPlannedWithinPool(plannedLabels, n);
    const evaluationRounding = options.evaluationRounding ?? 0;
    if (!(Number.isFinite(evaluationRounding) && evaluationRounding >= 0)) {
      throw new InputError({ argument: 'evaluationRounding', expected: 'a finite number ≥ 0', received: options.evaluationRounding });
    }
    this.poolSize = n;
    this.alpha = alpha;
    this.lowerBounds = Float64Array.from(lowerBounds);
    this.upperBounds = Float64Array.from(upperBounds);
    let lowerTotal = 0;
    let upperTotal = 0;
    let magnitude = 0;
    const limit = lossMagnitudeLimit(n);
    for (let i = 0; i < n; i++) {
      const a = this.lowerBounds[i];
      const b = this.upperBounds[i];
      if (!Number.isFinite(a)) throw new InputError({ argument: 'lowerBounds', expected: 'a finite loss bound', received: a, row: i });
      if (!Number.isFinite(b)) throw new InputError({ argument: 'upperBounds', expected: 'a finite loss bound', received: b, row: i });
      if (!(a <= b)) throw new InputError({ argument: 'upperBounds', expected: `a bound ≥ the lower bound ${a}`, received: b, row: i });
      // Past it the sums of the bounds and of the bets' terms overflow: bounds of NaN.
      if (!(Math.abs(a) <= limit && Math.abs(b) <= limit)) {
        const [argument, received] = Math.abs(a) > limit ? ['lowerBounds', a] : ['upperBounds', b];
        throw new InputError({ argument, expected: `a loss bound at most ${lossLimitText(n)} in magnitude`, received, row: i });
      }
      lowerTotal += a;
      upperTotal += b;
      magnitude += Math.max(Math.abs(a), Math.abs(b));
    }
    this.roundingMargin = 2 * Number.EPSILON * magnitude + evaluationRounding;
    this.evaluationRounding = evaluationRounding;
    const threshold = 2 / alpha;
    this.labelled = new Uint8Array(n);
    const reference = options.reference;
    if (reference === undefined) {
      this.floor = null;
      this.lowerReference = null;
      this.upperReference = null;
      this.lowerSide = new OneSidedCapital(n, lowerTotal, threshold, maxBet, plannedLabels);
      this.upperSide = new OneSidedCapital(n, -upperTotal, threshold, maxBet, plannedLabels);
      return;
    }
    checkObject(reference, 'reference', 'a reference { predictedLoss, proposalFloor }');
    const { predictedLoss, proposalFloor } = reference;
    const isList = (value: unknown): boolean => typeof value === 'object' && value !== null;
    // From JavaScript, a misspelt key (`predictedLos`) is named with the one meant, rather than a
    // TypeError where the missing array is read. Only then: a SimulationReference, or an object
    // with more keys, is a reference too (its drawFloor goes to add()).
    if (!(isList(predictedLoss) && isList(proposalFloor)))
      checkKnownKeys({ ...reference, drawFloor: undefined }, ['predictedLoss', 'proposalFloor'], 'reference');
    if (!isList(predictedLoss) || predictedLoss.length !== n) {
      throw new InputError({
        argument: 'predictedLoss',
        expected: `${n} predicted losses, one per pool item`,
        received: isList(predictedLoss) ? predictedLoss.length : predictedLoss,
      });
    }
    if (!isList(proposalFloor) || proposalFloor.length !== n) {
      throw new InputError({
        argument: 'proposalFloor',
        expected: `${n} floors, one per pool item`,
        received: isList(proposalFloor) ? proposalFloor.length : proposalFloor,
      });
    }
    this.floor = Float64Array.from(proposalFloor);
    // Predicted slack above the lower bound and below the upper bound: the ideal reference of each side.
    const lowerSlack = new Float64Array(n);
    const upperSlack = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = predictedLoss[i];
      const floor = this.floor[i];
      if (!Number.isFinite(c))
        throw new InputError({ argument: 'predictedLoss', expected: 'a finite predicted loss', received: c, row: i });
      if (!(floor > 0 && floor <= 1))
        throw new InputError({ argument: 'proposalFloor', expected: 'a probability floor in (0, 1]', received: floor, row: i });
      const a = this.lowerBounds[i];
      const b = this.upperBounds[i];
      const clamped = c < a ? a : c > b ? b : c;
      lowerSlack[i] = clamped - a;
      upperSlack[i] = b - clamped;
    }
    // q sums to 1 over the remaining items at the first draw, so floors summing above 1 cannot all hold.
    const floorTotal = this.floor.reduce((sum, floor) => sum + floor, 0);
    if (!(floorTotal <= 1 + 1e-9)) {
      throw new InputError({ argument: 'proposalFloor', expected: 'floors summing to at most 1', received: floorTotal });
    }
    const lower = cappedReference(lowerSlack, upperSlack, this.floor, alpha, maxBet);
    const upper = cappedReference(upperSlack, lowerSlack, this.floor, alpha, maxBet);
    this.lowerReference = lower.reference;
    this.upperReference = upper.reference;
    this.ranges[0] = lower.range;
    this.ranges[1] = upper.range;
    const share = upperShare(lower, upper, n, alpha, maxBet);
    this.lowerSide = new OneSidedCapital(n, lowerTotal, 1 / (alpha * (1 - share)), maxBet, plannedLabels, lower.range > 0 ? lower : null);
    this.upperSide = new OneSidedCapital(n, -upperTotal, 1 / (alpha * share), maxBet, plannedLabels, upper.range > 0 ? upper : null);
  }

  /** Labels added so far (M). */
  get count(): number {
    return this.lowerSide.labels;
  }

  /**
   * Adds the next labelled item: its pool index, its loss, and the probability q > 0 with which
   * the proposal (fixed before this draw) drew it among the items not yet labelled.
   *
   * With reference bets, `drawFloor` may narrow them: a floor of this draw's proposal, f_i ≤ q(i)
   * for every item not yet labelled (entries of labelled items are ignored), fixed before the draw
   * (e.g. `candidateMixtureDrawFloor` of the mixture weights it was drawn with). Each side's range
   * is then max_i d_i/max(π_i, f_i) instead of max_i d_i/π_i (docs/concepts.md, Predictable
   * range). The range of a floor is computed once (O(N)) and kept with the array: pass the same
   * array again for the same floor, and never change an array once passed. Without it (or without
   * reference) nothing changes.
   *
   * @throws InputError when the index is out of range or repeated, q is not in (0, 1] or below the item's proposal floor or `drawFloor`, the loss is not within the item's bounds, or `drawFloor` has the wrong length or a negative or non-finite entry.
   */
  add(index: number, loss: number, q: number, drawFloor?: ArrayLike<number>): void {
    this.checkIndex(index);
    const a = this.lowerBounds[index];
    const b = this.upperBounds[index];
    if (!withinLossBounds(loss, a, b)) {
      throw new InputError({ argument: 'loss', expected: `a loss within the item's bounds [${a}, ${b}]`, received: loss, row: index });
    }
    const clamped = loss < a ? a : loss > b ? b : loss;
    this.feed(index, clamped - a, b - clamped, q, drawFloor);
    this.lossTotal += clamped;
    this.lossMagnitude += Math.abs(clamped);
  }

  /**
   * Adds a drawn item whose loss will never be known (e.g. skipped by the labeller), as `add`
   * takes a labelled one: each side counts it at the loss least favourable to itself (the lower
   * side at the item's lower bound, the upper side at its upper bound). Each side's capital is then
   * at most what the true loss would have made it, whatever that loss is, so the sequence stays
   * valid for the whole pool's risk, the item included, whatever made its loss unknown; the
   * interval keeps the item's whole range `[a_i, b_i]` and is no longer a point at M = N.
   *
   * @example
   * const cs = new RiskConfidenceSequence([0, 0], [1, 1]);
   * cs.addUnobserved(0, 0.5);
   * cs.add(1, 0, 1);
   * cs.anytime(); // { lower: −4ε, upper: 0.5 + 4ε }: item 0 could have had either loss
   * @throws InputError as `add` does, but for the loss.
   */
  addUnobserved(index: number, q: number, drawFloor?: ArrayLike<number>): void {
    this.checkIndex(index);
    this.unobserved++;
    this.feed(index, 0, 0, q, drawFloor);
  }

  private checkIndex(index: number): void {
    const n = this.poolSize;
    if (!(Number.isInteger(index) && index >= 0 && index < n)) {
      throw new InputError({ argument: 'index', expected: `an integer in [0, ${n - 1}]`, received: index });
    }
    if (this.labelled[index] === 1) throw new InputError({ argument: 'index', expected: 'an item not labelled yet', received: index });
  }

  /** Both sides take draw `index` with their slacks `lowerSlack` = ℓ − a and `upperSlack` = b − ℓ (or 0 for an unknown loss). */
  private feed(index: number, lowerSlack: number, upperSlack: number, q: number, drawFloor: ArrayLike<number> | undefined): void {
    // A last item drawn with certainty can come out a rounding above 1.
    if (!(q > 0 && q <= 1 + 1e-9)) throw new InputError({ argument: 'q', expected: 'a probability in (0, 1]', received: q, row: index });
    const floor = this.floor;
    if (floor !== null && !(q >= floor[index] * (1 - 1e-9))) {
      throw new InputError({
        argument: 'q',
        expected: `a probability ≥ the item's proposal floor ${floor[index]}`,
        received: q,
        row: index,
      });
    }
    let ranges = this.ranges;
    if (floor !== null && drawFloor !== undefined) {
      ranges = this.rangesUnder(drawFloor);
      if (!(q >= drawFloor[index] * (1 - 1e-9))) {
        throw new InputError({ argument: 'q', expected: `a probability ≥ the draw's floor ${drawFloor[index]}`, received: q, row: index });
      }
    }
    this.labelled[index] = 1;
    this.lowerSide.add(lowerSlack, q, this.lowerReference === null ? 0 : this.lowerReference[index], ranges[0]);
    this.upperSide.add(upperSlack, q, this.upperReference === null ? 0 : this.upperReference[index], ranges[1]);
  }

  /**
   * The confidence sequence at the current label count: contains R at every label count at once
   * with probability ≥ 1 − α. Running intersection, so it never widens, except in a run where it
   * has missed R for sure: a side whose bound passes the other side's certain bound
   * (`deterministic()`) falls back on its own, and sides that still cross give the certain interval,
   * so it never collapses to a point that cannot hold R before M = N. Exact at the label counts
   * that are multiples of `sequenceSolveSpacing(M)`, at most M/10 labels stale in between.
   */
  anytime(): RiskInterval {
    return this.interval(this.lowerSide.anytimeLower(), -this.upperSide.anytimeLower());
  }

  /**
   * The fixed-budget interval: valid (probability ≥ 1 − α) at this label count if it was chosen
   * before labelling. Exact at the label counts that are multiples of `sequenceSolveSpacing(M)`
   * and at `plannedLabels`; in between, the last such count's bound moved by the labels since
   * (within about 1% of the exact one). Sides that pass the other's certain bound, or cross, fall
   * back as in `anytime()`.
   */
  fixed(): RiskInterval {
    return this.interval(this.lowerSide.fixedLower(), -this.upperSide.fixedLower());
  }

  /** What is certain without any probability: the labelled losses plus the bounds of the rest. */
  deterministic(): RiskInterval {
    return this.interval(this.lowerSide.deterministicLower(), -this.upperSide.deterministicLower());
  }

  /** Forgets every label. */
  reset(): void {
    this.lowerSide.reset();
    this.upperSide.reset();
    this.labelled.fill(0);
    this.unobserved = 0;
    this.lossTotal = 0;
    this.lossMagnitude = 0;
  }

  /**
   * Both sides' range under a per-draw floor f: max_i d_i/max(π_i, f_i) over every item (the
   * labelled ones only raise it), computed once per array. O(N) the first time, O(1) after.
   */
  private rangesUnder(drawFloor: ArrayLike<number>): Float64Array {
    const known = this.drawRanges.get(drawFloor);
    if (known !== undefined) return known;
    const n = this.poolSize;
    if (drawFloor.length !== n) {
      throw new InputError({ argument: 'drawFloor', expected: `${n} floors, one per pool item`, received: drawFloor.length });
    }
    const floor = this.floor as Float64Array;
    const lower = this.lowerReference as Float64Array;
    const upper = this.upperReference as Float64Array;
    const ranges = new Float64Array(2);
    for (let i = 0; i < n; i++) {
      const f = drawFloor[i];
      if (!(f >= 0 && Number.isFinite(f))) {
        throw new InputError({ argument: 'drawFloor', expected: 'a finite probability floor ≥ 0', received: f, row: i });
      }
      const bound = f > floor[i] ? f : floor[i];
      if (lower[i] / bound > ranges[0]) ranges[0] = lower[i] / bound;
      if (upper[i] / bound > ranges[1]) ranges[1] = upper[i] / bound;
    }
    // A side without reference (cap 0) keeps range 0; the others can only narrow.
    this.drawRanges.set(drawFloor, ranges);
    return ranges;
  }

  private interval(lower: number, upper: number): RiskInterval {
    if (this.count === this.poolSize && this.unobserved === 0) {
      // Every loss is known: R is their mean. Summed here and by the user, in any order, each sum
      // is within ε·Σ|ℓ| of exact (recursive summation), so R lies within 2ε·Σ|ℓ| of this point:
      // from the losses themselves, not their bounds, which may be far larger. The user's losses
      // may also differ from these by their evaluation's rounding: a few ulps of each loss
      // (8ε·mean|ℓ|, which matters below 4 items) and of the scores (`evaluationRounding`).
      const point = this.lossTotal / this.poolSize;
      const allowance =
        2 * Number.EPSILON * this.lossMagnitude + (8 * Number.EPSILON * this.lossMagnitude) / this.poolSize + this.evaluationRounding;
      return { lower: point - allowance, upper: point + allowance };
    }
    const margin = this.roundingMargin;
    // R always lies within what the labels and the bounds make certain, and each side's bound within
    // its own certain bound. A side whose bound passes the other certain bound has therefore rejected
    // R for sure (an event of probability ≤ α): it falls back on its certain bound, rather than cut
    // the interval down to a point that cannot hold R.
    const certainLower = this.lowerSide.deterministicLower();
    const certainUpper = -this.upperSide.deterministicLower();
    const lowerKept = lower > certainUpper ? certainLower : lower;
    const upperKept = upper < certainLower ? certainUpper : upper;
    // Bounds that still cross mean that at least one side has missed R (also probability ≤ α) and
    // the labels do not say which: only the certain interval is left, never a sliver between them.
    if (upperKept < lowerKept) return { lower: certainLower - margin, upper: certainUpper + margin };
    return { lower: lowerKept - margin, upper: upperKept + margin };
  }
}

/**
 * One side's references d_i = min(predicted slack_i, κ·N·π_i) and their range ρ = max_i d_i/π_i ≤ κ·N.
 * The cap κ trades the variance a reference removes against the range it adds (a label can fall
 * d_i/π_i below its reference): it minimises a predicted half-width at a few hundred labels,
 * √(2·log(2/α)·V(κ)/n) + log(2/α)·ρ(κ)/(N·n·maxBet), with V(κ) = Σ_i E(w_i − d_i)²/(N²·π_i)
 * and E(w − d)² = Var w + (c − d)² from the prediction alone (Bhatia–Davis: Var w ≤ c·(B − c)
 * for w ∈ [0, B] of mean c; c the predicted slack, B − c the other side's). The cap uses nothing
 * but the scores and the floors, so it is fixed before the first label.
 */
function cappedReference(
  slack: Float64Array,
  otherSlack: Float64Array,
  floor: Float64Array,
  alpha: number,
  maxBet: number,
): PredictedSide & { reference: Float64Array; total: number } {
  const n = slack.length;
  const log = Math.log(2 / alpha);
  let bestCap = 0;
  let bestWidth = Infinity;
  let bestVariance = 0;
  for (const cap of REFERENCE_CAPS) {
    let variance = 0;
    let range = 0;
    for (let i = 0; i < n; i++) {
      const limit = cap * n * floor[i];
      const d = slack[i] < limit ? slack[i] : limit;
      const bias = slack[i] - d;
      variance += (bias * bias + slack[i] * otherSlack[i]) / floor[i];
      if (d / floor[i] > range) range = d / floor[i];
    }
    const width = predictedHalfWidth({ variance, range }, log, n, maxBet);
    if (width < bestWidth) {
      bestWidth = width;
      bestCap = cap;
      bestVariance = variance;
    }
  }
  const reference = new Float64Array(n);
  let total = 0;
  let range = 0;
  for (let i = 0; i < n; i++) {
    const limit = bestCap * n * floor[i];
    const d = slack[i] < limit ? slack[i] : limit;
    reference[i] = d;
    total += d;
    if (d / floor[i] > range) range = d / floor[i];
  }
  return { reference, total, range, variance: bestVariance };
}

/** What `cappedReference` predicts of one side at its cap: Σ_i E(w_i − d_i)²/π_i and the range. */
interface PredictedSide {
  variance: number;
  range: number;
}

/**
 * A side's predicted half-width at a few hundred labels when it rejects at log-capital `log`:
 * √(2·log·V/(N²·n)) + log·ρ/(N·n·maxBet), the variance term of a bet with the range term of the
 * reference (docs/concepts.md, Reference bets).
 */
function predictedHalfWidth(side: PredictedSide, log: number, n: number, maxBet: number): number {
  const labels = Math.min(n, REFERENCE_TUNING_LABELS);
  return Math.sqrt((2 * log * side.variance) / (n * n * labels)) + (log * side.range) / (n * labels * maxBet);
}

/** The upper side's shares of α that `upperShare` chooses from. */
const UPPER_SHARES = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

/**
 * The upper side's share of α (the lower side has the rest): the one minimising the sum of the two
 * sides' predicted half-widths at a few hundred labels, each at its own threshold log(1/β). A side
 * whose loss can range far above what is predicted (cross-entropy's confident errors) gets more.
 * Like the cap, it uses nothing but the scores and the floors, so it is fixed before the first label.
 */
export function upperShare(lower: PredictedSide, upper: PredictedSide, n: number, alpha: number, maxBet: number): number {
  const width = (side: PredictedSide, log: number) => predictedHalfWidth(side, log, n, maxBet);
  let best = 0.5;
  let bestWidth = width(lower, Math.log(2 / alpha)) + width(upper, Math.log(2 / alpha));
  for (const share of UPPER_SHARES) {
    const total = width(lower, Math.log(1 / (alpha * (1 - share)))) + width(upper, Math.log(1 / (alpha * share)));
    if (total < bestWidth) {
      bestWidth = total;
      best = share;
    }
  }
  return best;
}
