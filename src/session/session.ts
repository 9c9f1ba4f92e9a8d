import {
  adaptiveCandidates,
  createAdaptiveSampler,
  createDefensiveSampler,
  secondMomentValues,
  VarianceRatioToRandom,
  type AdaptiveSampler,
  type VarianceVerdict,
} from '../acquisition/adaptive/index.js';
import { SumTreeSampler } from '../acquisition/sum-tree-sampler.js';
import type { PoolSampler } from '../acquisition/sampler.js';
import { FileFormatError, InputError } from '../errors.js';
import { BOOTSTRAP_Z, finitePopulationFactor } from '../estimators/bootstrap.js';
import { RiskConfidenceSequence, type RiskInterval } from '../estimators/confidence-sequence.js';
import { LUREEstimator } from '../estimators/lure.js';
import { MAX_PROBABILITY, type RiskEstimator } from '../estimators/risk-estimator.js';
import { toMatrix, type Matrix } from '../matrix.js';
import { classProbabilities } from '../metrics/probabilities.js';
import { predictiveEntropy } from '../metrics/entropy.js';
import { differenceBounds, lossBounds, pairedDifferenceBounds, type LossBounds } from '../metrics/loss-bounds.js';
import { EPS, NUMERICS_FLAGS } from '../numerics.js';
import { randomStream, type RandomSource } from '../random.js';
import { SessionStateError } from './errors.js';
import {
  buildHeader,
  checkHeader,
  readScores,
  recoveryHint,
  storedMatrix,
  type SessionAcquisition,
  type SessionHeader,
  type SessionOptions,
  type TargetScorer,
} from './header.js';
import { FileJournal, MemoryJournal, type JournalSink } from './journal.js';
import { SessionLock } from './lock.js';
import { resolveLoss, ZERO_ONE, type CustomLoss, type ResolvedLoss, type SessionLoss } from './loss.js';

/** Half-width multiplier of the approximate (bootstrap) 95% interval: the paper's ±1.96σ. */
export const Z_95 = BOOTSTRAP_Z;

export type { RiskInterval } from '../estimators/confidence-sequence.js';

/** How to open an existing session file. */
export interface OpenSessionOptions {
  /** Scores the target on demand (sessions created without target scores). */
  scoreTarget?: TargetScorer;
  /** The custom loss the session was created with (built-in losses are restored by name). */
  loss?: CustomLoss;
  /** Receives warnings such as a dropped torn last line; default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** Extra options for a new session. */
export interface CreateSessionOptions extends SessionOptions {
  /** Scores the target on demand when `modelScores` are omitted ("no target predictions" mode). */
  scoreTarget?: TargetScorer;
}

/** An item proposed for labelling. */
export interface Proposal {
  id: string;
  /** Row of the item in the pool. */
  index: number;
  text: string;
  /** Its proposal probability q among the items remaining when it was drawn. */
  probability: number;
  /** 0-based draw number. */
  position: number;
}

/**
 * An estimate with three 95% intervals, named by what they guarantee:
 * - `anytime`: a confidence sequence, containing the true value at every label count at once
 *   with probability ≥ 95%, so it stays valid whenever you decide to stop (e.g. once it is narrow);
 * - `fixedBudget`: valid (≥ 95%) at this label count if that count was fixed before labelling;
 * - `bootstrap`: the paper's approximate ±1.96σ bootstrap interval (with the finite-population
 *   correction), no guarantee: it can be far too narrow when no costly item has been drawn yet.
 * `anytime` and `fixedBudget` are absent when the loss has no known per-item bounds (a custom loss
 * without `bounds`, or the cross-entropy without stored target scores).
 */
export interface IntervalEstimate {
  value: number;
  /** Bootstrap standard error, finite-population corrected: exactly 0 once every item is labelled. */
  standardError: number;
  /** The bootstrap interval's ends (same as `bootstrap`), kept for compatibility. */
  lower: number;
  upper: number;
  bootstrap: RiskInterval;
  anytime?: RiskInterval;
  fixedBudget?: RiskInterval;
}

/** What `estimate()` returns. Values are NaN before the first label. */
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
   * LURE from the session's labels. Above `labels` exactly when `varianceRatio` is below 1.
   */
  equivalentRandomLabels: number;
  /**
   * "Is active testing helping here?": the risk's variance ÷ the variance random labelling would
   * have had with as many labels, both estimated from the session's labels (`VarianceRatioToRandom`).
   * Below 1 active testing is helping. NaN before the first label.
   */
  varianceRatio: number;
  /**
   * The diagnostic's reading with its own uncertainty: `'no evidence yet'` until labels the proposal
   * under-sampled (importance weight above 1) pin the ratio on one side of 1 (`VarianceRatioToRandom.verdict`).
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
  /** Labels needed before `targetHalfWidth` can stop the session; default 30. */
  minLabels?: number;
}

/** What one recorded action was, as `undo()` reports it. */
export interface Resolution {
  id: string;
  /** The class name, or null for a skip. */
  label: string | null;
}

/** One proposal and what became of it. */
export interface ProposalRecord extends Proposal {
  status: 'pending' | 'labelled' | 'skipped';
  /** The class name once labelled. */
  label?: string;
}

type JournalRecord =
  | { e: 'propose'; i: number; q: number }
  | { e: 'label'; i: number; y: number; f?: number[] }
  | { e: 'skip'; i: number }
  | { e: 'undo'; i: number };

const enum ItemState {
  Unproposed = 0,
  Pending = 1,
  Labelled = 2,
  Skipped = 3,
}

/** One quantity estimated by LURE from the labelled items (the loss, its square, the zero-one loss, ...). */
class Track {
  readonly values: Float64Array;
  estimator: RiskEstimator;
  /** The confidence sequence over the covered items, or null without per-item bounds. */
  sequence: RiskConfidenceSequence | null = null;
  constructor(
    n: number,
    readonly bounds: LossBounds | null = null,
  ) {
    this.values = new Float64Array(n);
    this.estimator = new LUREEstimator(n);
  }
}

/** The approximate bootstrap interval `value ± 1.96σ`, σ finite-population corrected. */
function interval(track: Track, poolSize: number): IntervalEstimate {
  const { estimator, sequence } = track;
  const empty = { lower: NaN, upper: NaN };
  if (estimator.count === 0) {
    return {
      value: NaN,
      standardError: NaN,
      lower: NaN,
      upper: NaN,
      bootstrap: empty,
      ...(sequence ? { anytime: empty, fixedBudget: empty } : {}),
    };
  }
  const value = estimator.estimate();
  const variance = Math.max(0, estimator.bootstrapVariance()) * finitePopulationFactor(estimator.count, poolSize);
  const standardError = Math.sqrt(variance);
  const lower = value - Z_95 * standardError;
  const upper = value + Z_95 * standardError;
  const result: IntervalEstimate = { value, standardError, lower, upper, bootstrap: { lower, upper } };
  if (sequence) {
    result.anytime = sequence.anytime();
    result.fixedBudget = sequence.fixed();
  }
  return result;
}

function complement(interval: RiskInterval): RiskInterval {
  return { lower: 1 - interval.upper, upper: 1 - interval.lower };
}

function asAccuracy(errorRate: IntervalEstimate): IntervalEstimate {
  const { anytime, fixedBudget } = errorRate;
  return {
    value: 1 - errorRate.value,
    standardError: errorRate.standardError,
    lower: 1 - errorRate.upper,
    upper: 1 - errorRate.lower,
    bootstrap: complement(errorRate.bootstrap),
    ...(anytime ? { anytime: complement(anytime) } : {}),
    ...(fixedBudget ? { fixedBudget: complement(fixedBudget) } : {}),
  };
}

/** Zero-one bounds: every item's loss is 0 or 1. */
function zeroOneBounds(n: number): LossBounds {
  return { lower: new Float64Array(n), upper: new Float64Array(n).fill(1) };
}

function row(m: Matrix, i: number): Matrix {
  return { data: m.data.subarray(i * m.cols, (i + 1) * m.cols), rows: 1, cols: m.cols };
}

/**
 * Active testing with real labels: proposes which pool items to label, takes the labels as they
 * come, and estimates the target's risk (and accuracy) with LURE, a bootstrap error bar and a 95%
 * interval at any time. The proposals are the draws `simulate` makes for run 0 with the same seed,
 * so a session fed the true labels reproduces simulate's estimate exactly.
 *
 * A session lives in a file: every proposal and label is appended to a journal and flushed before
 * the call returns, and `open` restores the exact state, random stream included. One process at a
 * time may write a session (a lock file guards it).
 *
 * @example
 * const session = await ActiveTestingSession.create('sst2.session', {
 *   texts, classes: ['negative', 'positive'], modelScores, surrogateScores, seed: 0,
 * });
 * while (!session.done({ maxLabels: 200, targetHalfWidth: 0.02 })) {
 *   const [item] = await session.next();
 *   await session.record(item.id, await askPerson(item.text));
 * }
 * const { accuracy } = session.estimate(); // accuracy.value, accuracy.lower, accuracy.upper
 * session.close();
 */
export class ActiveTestingSession {
  readonly classes: readonly string[];
  readonly ids: readonly string[];
  readonly texts: readonly string[];
  /** The resolved settings as stored in the session file. */
  readonly settings: Readonly<Omit<SessionHeader, 'ids' | 'texts' | 'classes' | 'targetScores' | 'comparisonScores' | 'surrogateScores'>>;

  private readonly n: number;
  private readonly k: number;
  private readonly indexOf = new Map<string, number>();
  private readonly target: Matrix;
  private readonly targetKnown: Uint8Array;
  private readonly comparison: Matrix | undefined;
  private readonly loss: ResolvedLoss;
  private readonly sampler: PoolSampler;
  /** The adaptive sampler (acquisition `adaptive`), which learns from each label in draw order. */
  private readonly adaptive: AdaptiveSampler | null;
  /** Proposals whose outcome (a loss, or a skip) the adaptive sampler has taken. */
  private learned = 0;
  private readonly random: RandomSource;
  private readonly state: Uint8Array;
  private readonly label: Int32Array;
  private readonly positionOf: Int32Array;
  private readonly proposed: number[] = [];
  private readonly probability: number[] = [];
  /** Items labelled or skipped, in the order it happened (undo pops). */
  private readonly resolutions: number[] = [];
  private skippedCount = 0;
  private recordedCount = 0;
  private diagnostic: VarianceRatioToRandom;
  /** Position of each pool item among the items not skipped (−1 for a skipped item): the confidence sequences' indices. */
  private coveredIndex = new Int32Array(0);
  private readonly tracks: { loss: Track; zeroOne: Track; comparison?: { loss: Track; zeroOne: Track; difference: Track } };
  /** Proposals fed to the estimators (all resolved), and the skip count they were built with. */
  private fed = 0;
  private fedSkips = 0;
  /** Set when an undo reopened a proposal the estimators had already taken in. */
  private stale = false;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Records in the journal: the next one written is number `sequence + 1`. */
  private sequence = 0;

  private constructor(
    header: SessionHeader,
    loss: ResolvedLoss,
    private journal: JournalSink,
    private readonly scoreTarget: TargetScorer | undefined,
    private readonly lock: SessionLock | undefined,
  ) {
    const { ids, texts, classes, targetScores, comparisonScores, surrogateScores, ...settings } = header;
    this.ids = ids;
    this.texts = texts;
    this.classes = classes;
    this.settings = settings;
    this.n = ids.length;
    this.k = classes.length;
    ids.forEach((id, i) => this.indexOf.set(id, i));
    this.loss = loss;
    const known = storedMatrix(targetScores);
    this.target = known ?? { data: new Float64Array(this.n * this.k), rows: this.n, cols: this.k };
    this.targetKnown = new Uint8Array(this.n).fill(known ? 1 : 0);
    this.comparison = storedMatrix(comparisonScores);
    const surrogate = storedMatrix(surrogateScores);
    const { acquisition } = settings;
    if (acquisition === 'adaptive') {
      const candidates = adaptiveCandidates(known as Matrix, surrogate as Matrix, settings.temperature);
      this.adaptive = createAdaptiveSampler(candidates, settings.clip, { deferredLosses: true });
      this.sampler = this.adaptive;
    } else {
      this.adaptive = null;
      this.sampler = this.fixedSampler(this.acquisitionValues(acquisition, known, surrogate));
    }
    this.random = randomStream(settings.seed, [0]);
    this.state = new Uint8Array(this.n);
    this.label = new Int32Array(this.n).fill(-1);
    this.positionOf = new Int32Array(this.n).fill(-1);
    this.diagnostic = new VarianceRatioToRandom(this.n);
    const targetBounds = this.lossBounds(known);
    const comparisonBounds = this.comparison ? this.lossBounds(this.comparison) : null;
    this.tracks = {
      loss: new Track(this.n, targetBounds),
      zeroOne: new Track(this.n, zeroOneBounds(this.n)),
      comparison: this.comparison
        ? {
            loss: new Track(this.n, comparisonBounds),
            zeroOne: new Track(this.n, zeroOneBounds(this.n)),
            difference: new Track(this.n, this.differenceBounds(known, targetBounds, comparisonBounds)),
          }
        : undefined,
    };
    this.rebuildSequences();
  }

  /**
   * Per-item bounds of the session's loss from a target's scores, known before labelling: built-in
   * losses from the scores (zero-one and Brier need none), a custom loss from its `bounds`; null
   * when unknown (no confidence sequence then).
   */
  private lossBounds(scores: Matrix | undefined): LossBounds | null {
    const id = this.loss.id;
    if (id === 'zero-one') return zeroOneBounds(this.n);
    if (id === 'brier' && scores === undefined) return { lower: new Float64Array(this.n), upper: new Float64Array(this.n).fill(2) };
    if (scores === undefined) return null;
    if (id === 'cross-entropy' || id === 'brier') return lossBounds(scores, id);
    return this.loss.bounds ? this.loss.bounds(scores) : null;
  }

  /** Per-item bounds of target loss − comparison loss: exact over the K labels for built-in losses. */
  private differenceBounds(
    target: Matrix | undefined,
    targetBounds: LossBounds | null,
    comparisonBounds: LossBounds | null,
  ): LossBounds | null {
    const id = this.loss.id;
    if (target !== undefined && this.comparison && (id === 'cross-entropy' || id === 'zero-one' || id === 'brier')) {
      return pairedDifferenceBounds(target, this.comparison, id);
    }
    return targetBounds && comparisonBounds ? differenceBounds(targetBounds, comparisonBounds) : null;
  }

  /** New confidence sequences over the items not skipped (after a skip, or an undo inside the fed prefix). */
  private rebuildSequences(): void {
    const covered = new Int32Array(this.n).fill(-1);
    let count = 0;
    for (let i = 0; i < this.n; i++) if (this.state[i] !== ItemState.Skipped) covered[i] = count++;
    this.coveredIndex = covered;
    for (const track of this.allTracks()) {
      if (track.bounds === null || count === 0) {
        track.sequence = null;
        continue;
      }
      const lower = new Float64Array(count);
      const upper = new Float64Array(count);
      for (let i = 0; i < this.n; i++) {
        if (covered[i] < 0) continue;
        lower[covered[i]] = track.bounds.lower[i];
        upper[covered[i]] = track.bounds.upper[i];
      }
      track.sequence = new RiskConfidenceSequence(lower, upper);
    }
  }

  private fixedSampler(values: Float64Array): PoolSampler {
    const { clip, defensive } = this.settings;
    return defensive == null
      ? new SumTreeSampler(values, clip, NUMERICS_FLAGS.default.proposal)
      : createDefensiveSampler(values, clip, defensive);
  }

  private acquisitionValues(
    acquisition: Exclude<SessionAcquisition, 'adaptive'>,
    target: Matrix | undefined,
    surrogate: Matrix | undefined,
  ): Float64Array {
    const temperature = this.settings.temperature;
    const softmax = NUMERICS_FLAGS.default.softmax;
    switch (acquisition) {
      case 'surrogate-m2':
        return secondMomentValues(target as Matrix, surrogate as Matrix, temperature);
      case 'iid':
        return new Float64Array(this.n).fill(1);
      case 'surrogate-pe':
        return predictiveEntropy(surrogate as Matrix, { temperature, softmax });
      case 'self-entropy':
        return predictiveEntropy(target as Matrix, { temperature, softmax });
      case 'surrogate-ce': {
        const pi = classProbabilities(surrogate as Matrix, temperature, EPS, softmax);
        const values = this.loss.expected(target as Matrix, pi);
        if (this.comparison) {
          // Both targets' expected losses count, so the proposal serves both estimates and their difference.
          const other = this.loss.expected(this.comparison, pi);
          for (let i = 0; i < values.length; i++) values[i] = (values[i] + other[i]) / 2;
        }
        return values;
      }
    }
  }

  /**
   * Starts a new session in a file (refusing an existing one), or in memory when `path` is null.
   *
   * @example
   * const session = await ActiveTestingSession.create('pool.session', {
   *   texts, classes: ['negative', 'positive'], surrogateScores, scoreTarget: (t) => model.score(t),
   *   acquisition: 'surrogate-pe',
   * });
   */
  static async create(path: string | null, options: CreateSessionOptions): Promise<ActiveTestingSession> {
    const loss = resolveLoss(options.loss ?? 'cross-entropy');
    const header = buildHeader(options, loss.id, options.scoreTarget !== undefined);
    if (path === null) return new ActiveTestingSession(header, loss, new MemoryJournal(), options.scoreTarget, undefined);
    const lock = SessionLock.acquire(path);
    try {
      const journal = FileJournal.create(path, header);
      return new ActiveTestingSession(header, loss, journal, options.scoreTarget, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /**
   * Reopens a session file for writing, replaying its journal: the state, random stream included,
   * is exactly as it was, so the next proposal is the one the session would have made. Every
   * record is checked (types, ranges, sequence) as it is replayed. A last record without its
   * newline is kept; an unreadable last line (a crash during a write) is moved to a side file
   * next to the session file (`<path>.torn-1`, ...) with a warning.
   *
   * @example
   * const session = await ActiveTestingSession.open('pool.session');
   * const [item] = await session.next(); // the same item as before the crash
   * @throws {SessionLockedError} when another live process has the session open.
   * @throws {FileFormatError} when the file is damaged or its header cannot be replayed; the
   * message says how to export its labels anyway (`exportSessionLabels`).
   */
  static async open(path: string, options: OpenSessionOptions = {}): Promise<ActiveTestingSession> {
    const lock = SessionLock.acquire(path);
    try {
      const contents = FileJournal.read(path);
      const header = checkHeader(contents.header, path);
      const loss = restoreLoss(header.loss, options.loss, path);
      const session = new ActiveTestingSession(header, loss, new MemoryJournal(), options.scoreTarget, lock);
      contents.records.forEach((record, index) => session.replay(record, path, index + 2));
      const { journal, sideFile } = FileJournal.openForAppend(path, contents);
      session.journal = journal;
      if (sideFile !== undefined) {
        (options.onWarning ?? ((message) => process.emitWarning(message, 'ActiveTestingSessionWarning')))(
          `${path}: its last line (${contents.tail.length} bytes) is not a complete record, as a write interrupted by a crash ` +
            `leaves it; it was moved to ${sideFile}, and the ${contents.records.length} complete records are kept`,
        );
      }
      return session;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  private replay(value: Record<string, unknown>, path: string, line: number): void {
    const fail = (reason: string): never => {
      throw new FileFormatError(path, `line ${line}: ${reason}; the session cannot be replayed; ${recoveryHint(path)}`);
    };
    const record = checkRecord(value, line - 1, this.n, this.k, fail);
    this.sequence++;
    try {
      switch (record.e) {
        case 'propose': {
          const drawn = this.draw();
          if (drawn.index !== record.i || drawn.probability !== record.q)
            fail(`recorded proposal ${record.i} but the stream draws ${drawn.index} (the file does not match its own pool and seed)`);
          break;
        }
        case 'label':
          this.checkResolvable(record.i, 'label');
          if (record.f !== undefined) this.setTargetRow(record.i, toMatrix([record.f], 'scores'));
          this.applyLabel(record.i, record.y);
          break;
        case 'skip':
          this.checkResolvable(record.i, 'skip');
          this.applySkip(record.i);
          break;
        case 'undo':
          if (this.resolutions[this.resolutions.length - 1] !== record.i) fail('undo of an item that was not the last one labelled');
          this.applyUndo();
          break;
      }
    } catch (error) {
      if (error instanceof FileFormatError) throw error;
      fail((error as Error).message);
    }
  }

  /** Runs mutations one at a time, in call order. */
  private exclusive<T>(action: () => T | Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.closed) throw new SessionStateError('the session is closed');
      return action();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Journals a record; a failed write leaves memory ahead of the file, so the session closes itself. */
  private write(record: JournalRecord): void {
    try {
      this.journal.append({ s: this.sequence + 1, ...record }, this.sequence + 1);
      this.sequence++;
    } catch (error) {
      this.closed = true;
      this.journal.close();
      this.lock?.release();
      throw new SessionStateError(`the session file could not be written (${(error as Error).message}); reopen it to continue`);
    }
  }

  /**
   * Gives the adaptive sampler the outcome of every proposal, in draw order, up to the first one
   * still pending. Called before each draw, so the proposal for draw m uses exactly the labels of
   * earlier draws recorded by then: it is predictable, and LURE stays unbiased (docs/adaptive.md).
   * A label undone after it was taught stays taught (it only steered later proposals).
   */
  private teach(adaptive: AdaptiveSampler): void {
    while (this.learned < this.proposed.length) {
      const index = this.proposed[this.learned];
      const state = this.state[index];
      if (state === ItemState.Pending) break;
      if (state === ItemState.Labelled) adaptive.observe(this.tracks.loss.values[index]);
      else adaptive.discard();
      this.learned++;
    }
  }

  private draw(): { index: number; probability: number } {
    if (this.adaptive !== null) this.teach(this.adaptive);
    const index = this.sampler.draw(this.random);
    const probability = this.sampler.lastProbability;
    this.positionOf[index] = this.proposed.length;
    this.proposed.push(index);
    this.probability.push(probability);
    this.state[index] = ItemState.Pending;
    return { index, probability };
  }

  private proposal(index: number): Proposal {
    const position = this.positionOf[index];
    return { id: this.ids[index], index, text: this.texts[index], probability: this.probability[position], position };
  }

  private pendingItems(limit: number): number[] {
    const out: number[] = [];
    for (let p = this.fed; p < this.proposed.length && out.length < limit; p++) {
      const index = this.proposed[p];
      if (this.state[index] === ItemState.Pending) out.push(index);
    }
    return out;
  }

  /**
   * The next `k` items to label: items proposed earlier and not yet labelled come first (after an
   * undo or a restart), then new draws from the proposal, made in sequence without replacement
   * and journaled before they are returned. Fewer than `k` once the pool runs out. Under adaptive
   * acquisition all k draws use the labels recorded before the call (docs/sessions.md).
   */
  next(k = 1): Promise<Proposal[]> {
    if (!Number.isInteger(k) || k < 1) return Promise.reject(new InputError({ argument: 'k', expected: 'an integer ≥ 1', received: k }));
    return this.exclusive(() => {
      // Advancing the estimators also moves the scan start past every resolved proposal.
      this.updateEstimators();
      let pending = this.pendingItems(k);
      while (pending.length < k && this.sampler.remaining > 0) {
        const { index, probability } = this.draw();
        this.write({ e: 'propose', i: index, q: probability });
        pending = this.pendingItems(k);
      }
      return pending.map((index) => this.proposal(index));
    });
  }

  private resolveId(id: string): number {
    const index = this.indexOf.get(id);
    if (index === undefined) throw new InputError({ argument: 'id', expected: 'the id of a pool item', received: id });
    return index;
  }

  private checkResolvable(index: number, action: string): void {
    const state = this.state[index];
    if (state === ItemState.Pending) return;
    const id = this.ids[index];
    if (state === ItemState.Unproposed) throw new SessionStateError(`cannot ${action} item ${id}: it has not been proposed`);
    throw new SessionStateError(
      `cannot ${action} item ${id}: it is already ${state === ItemState.Labelled ? 'labelled' : 'skipped'} (undo first to change it)`,
    );
  }

  private checkClass(label: unknown): number {
    if (typeof label === 'number' && Number.isInteger(label) && label >= 0 && label < this.k) return label;
    if (typeof label === 'string') {
      const index = this.classes.indexOf(label);
      if (index !== -1) return index;
    }
    throw new InputError({
      argument: 'label',
      expected: `a class name (${this.classes.join(', ')}) or index in [0, ${this.k - 1}]`,
      received: label as string,
    });
  }

  private setTargetRow(index: number, scores: Matrix): void {
    if (scores.rows !== 1 || scores.cols !== this.k) {
      throw new InputError({
        argument: 'scoreTarget',
        expected: `1×${this.k} scores for item ${this.ids[index]}`,
        received: `${scores.rows}×${scores.cols}`,
      });
    }
    this.target.data.set(scores.data, index * this.k);
    this.targetKnown[index] = 1;
  }

  /**
   * Records the label of a proposed item (class name or index). Labelling an item that was not
   * proposed, one already labelled, or an unknown class throws and changes nothing. Without target
   * scores the target is scored on this item first. Resolves once the label is on disk.
   */
  record(id: string, label: string | number): Promise<void> {
    return this.exclusive(async () => {
      const index = this.resolveId(id);
      this.checkResolvable(index, 'label');
      const y = this.checkClass(label);
      let scores: number[] | undefined;
      if (!this.targetKnown[index]) {
        if (!this.scoreTarget)
          throw new InputError({ argument: 'scoreTarget', expected: 'a target scorer: this session has no target scores' });
        const scored = readScores(await this.scoreTarget([this.texts[index]]), 'scoreTarget');
        this.setTargetRow(index, scored);
        scores = Array.from(scored.data);
      }
      this.write(scores ? { e: 'label', i: index, y, f: scores } : { e: 'label', i: index, y });
      this.applyLabel(index, y);
    });
  }

  /** Skips a proposed item that cannot be labelled: it leaves the pool, and the estimate then covers the remaining items. */
  skip(id: string): Promise<void> {
    return this.exclusive(() => {
      const index = this.resolveId(id);
      this.checkResolvable(index, 'skip');
      this.write({ e: 'skip', i: index });
      this.applySkip(index);
    });
  }

  /**
   * Clears the last recorded label (or skip): the item is pending again and is proposed again by
   * `next()`; the random stream is not rewound. Returns what was undone.
   */
  undo(): Promise<Resolution> {
    return this.exclusive(() => {
      const index = this.resolutions[this.resolutions.length - 1];
      if (index === undefined) throw new SessionStateError('nothing to undo');
      const label = this.state[index] === ItemState.Labelled ? this.classes[this.label[index]] : null;
      this.write({ e: 'undo', i: index });
      this.applyUndo();
      return { id: this.ids[index], label };
    });
  }

  private applyLabel(index: number, y: number): void {
    this.state[index] = ItemState.Labelled;
    this.label[index] = y;
    this.resolutions.push(index);
    this.recordedCount++;
    const labels = Int32Array.of(y);
    const scores = row(this.target, index);
    const { loss, zeroOne, comparison } = this.tracks;
    const value = this.loss.perItem(scores, labels)[0];
    loss.values[index] = value;
    zeroOne.values[index] = ZERO_ONE.perItem(scores, labels)[0];
    if (comparison && this.comparison) {
      const other = row(this.comparison, index);
      comparison.loss.values[index] = this.loss.perItem(other, labels)[0];
      comparison.zeroOne.values[index] = ZERO_ONE.perItem(other, labels)[0];
      comparison.difference.values[index] = value - comparison.loss.values[index];
    }
  }

  private applySkip(index: number): void {
    this.state[index] = ItemState.Skipped;
    this.resolutions.push(index);
    this.skippedCount++;
  }

  private applyUndo(): void {
    const index = this.resolutions.pop() as number;
    if (this.state[index] === ItemState.Skipped) this.skippedCount--;
    else this.recordedCount--;
    this.state[index] = ItemState.Pending;
    this.label[index] = -1;
    if (this.positionOf[index] < this.fed) {
      this.fed = 0;
      this.stale = true;
    }
  }

  private allTracks(): Track[] {
    const { loss, zeroOne, comparison } = this.tracks;
    return comparison ? [loss, zeroOne, comparison.loss, comparison.zeroOne, comparison.difference] : [loss, zeroOne];
  }

  /** Brings the estimators up to the longest resolved prefix, rebuilding them after an undo inside it or a new skip. */
  private updateEstimators(): void {
    const tracks = this.allTracks();
    if (this.stale || this.fedSkips !== this.skippedCount) {
      const poolSize = this.n - this.skippedCount;
      for (const track of tracks) track.estimator = new LUREEstimator(poolSize);
      this.rebuildSequences();
      this.diagnostic = new VarianceRatioToRandom(poolSize);
      this.fed = 0;
      this.fedSkips = this.skippedCount;
      this.stale = false;
    }
    while (this.fed < this.proposed.length) {
      const index = this.proposed[this.fed];
      const state = this.state[index];
      if (state === ItemState.Pending) break;
      if (state === ItemState.Labelled) {
        const q = this.probability[this.fed];
        for (const track of tracks) {
          track.estimator.add(track.values[index], q);
          track.sequence?.add(this.coveredIndex[index], track.values[index], q);
        }
        this.diagnostic.add(this.tracks.loss.values[index], q);
      }
      this.fed++;
    }
  }

  /**
   * The LURE estimates over the longest prefix of proposals that are all labelled (or skipped),
   * with bootstrap standard errors and 95% intervals, for the risk and for accuracy (and, with a
   * comparison target, for the difference of the two risks).
   *
   * @example
   * const { risk, accuracy, labels } = session.estimate();
   * console.log(`${labels} labels: accuracy ${accuracy.value} [${accuracy.lower}, ${accuracy.upper}]`);
   */
  estimate(): SessionEstimate {
    this.updateEstimators();
    const { loss, zeroOne, comparison } = this.tracks;
    const poolSize = this.n - this.skippedCount;
    const risk = interval(loss, poolSize);
    const labels = loss.estimator.count;
    const variance = risk.standardError * risk.standardError;
    // One definition with varianceRatio (the same σ̂² and finite-population correction), so the two agree.
    const equivalent = Math.min(poolSize, Math.round(this.diagnostic.equivalentLabels(variance, risk.value)));
    const pending = this.pendingCount();
    return {
      risk,
      accuracy: asAccuracy(interval(zeroOne, poolSize)),
      labels,
      recorded: this.recordedCount,
      skipped: this.skippedCount,
      pending,
      poolSize,
      equivalentRandomLabels: labels === 0 ? NaN : equivalent,
      varianceRatio: this.diagnostic.ratio(variance, risk.value),
      varianceVerdict: this.diagnostic.verdict(variance, risk.value),
      comparison: comparison
        ? {
            risk: interval(comparison.loss, poolSize),
            accuracy: asAccuracy(interval(comparison.zeroOne, poolSize)),
            difference: interval(comparison.difference, poolSize),
          }
        : undefined,
    };
  }

  /**
   * Whether to stop: a rule of `rule` holds, or every item has been labelled or skipped. The width
   * rule reads the confidence sequence, never the bootstrap, so a run of cheap items (a bootstrap
   * σ of 0) cannot stop it, and stopping keeps the sequence's 95% guarantee.
   *
   * @example
   * while (!session.done({ maxLabels: 500, targetHalfWidth: 0.02 })) { ... }
   * @throws InputError when `targetHalfWidth` is set but the loss has no per-item bounds.
   */
  done(rule: StoppingRule = {}): boolean {
    const { maxLabels, targetHalfWidth, minLabels = 30 } = rule;
    if (targetHalfWidth !== undefined && this.tracks.loss.bounds === null) {
      throw new InputError({
        argument: 'targetHalfWidth',
        expected:
          'a loss with per-item bounds (a built-in loss with target scores, or a custom loss with `bounds`) to stop on its confidence sequence',
        received: this.loss.id,
      });
    }
    // Only what the rules read: the full estimate() would also solve every other interval.
    this.updateEstimators();
    const labels = this.tracks.loss.estimator.count;
    if (this.sampler.remaining === 0 && this.pendingCount() === 0) return true;
    if (maxLabels !== undefined && labels >= maxLabels) return true;
    const sequence = this.tracks.loss.sequence;
    if (targetHalfWidth !== undefined && labels >= minLabels && sequence !== null && labels > 0) {
      const anytime = sequence.anytime();
      return (anytime.upper - anytime.lower) / 2 <= targetHalfWidth;
    }
    return false;
  }

  /** Items proposed after the fed prefix and still waiting for a label or skip. */
  private pendingCount(): number {
    let pending = 0;
    for (let p = this.fed; p < this.proposed.length; p++) if (this.state[this.proposed[p]] === ItemState.Pending) pending++;
    return pending;
  }

  /**
   * What `undo()` would clear now: the last label or skip still in effect, or undefined when there
   * is none. Read-only; lets a caller check whose action it was before undoing it.
   *
   * @example
   * const last = session.lastResolution(); // { id: 's12', label: 'positive' }, or null label for a skip
   */
  lastResolution(): Resolution | undefined {
    const index = this.resolutions[this.resolutions.length - 1];
    if (index === undefined) return undefined;
    return { id: this.ids[index], label: this.state[index] === ItemState.Labelled ? this.classes[this.label[index]] : null };
  }

  /** Every proposal so far, in order, with its status. */
  history(): ProposalRecord[] {
    return this.proposed.map((index) => {
      const state = this.state[index];
      const status = state === ItemState.Labelled ? 'labelled' : state === ItemState.Skipped ? 'skipped' : 'pending';
      return { ...this.proposal(index), status, ...(state === ItemState.Labelled ? { label: this.classes[this.label[index]] } : {}) };
    });
  }

  /** Closes the journal and releases the lock (after any mutation in progress). Safe to call twice. */
  async close(): Promise<void> {
    await this.queue;
    if (this.closed) return;
    this.closed = true;
    this.journal.close();
    this.lock?.release();
  }
}

/**
 * Checks one journal record's fields (types and ranges) before it is replayed; `sequence` is the
 * number it must carry when it has one (files written before sequence numbers have none).
 */
function checkRecord(
  value: Record<string, unknown>,
  sequence: number,
  n: number,
  k: number,
  fail: (reason: string) => never,
): JournalRecord {
  const { e, i, s } = value;
  if (s !== undefined && s !== sequence)
    fail(`record number ${String(s)} where ${sequence} was expected (records are missing, repeated or out of order)`);
  if (typeof e !== 'string' || !['propose', 'label', 'skip', 'undo'].includes(e))
    fail(`unknown record kind ${JSON.stringify(e) ?? 'undefined'}`);
  if (!(Number.isInteger(i) && (i as number) >= 0 && (i as number) < n))
    fail(`item ${JSON.stringify(i) ?? 'undefined'} is not a pool row in [0, ${n - 1}]`);
  if (e === 'propose') {
    const q = value.q;
    if (!(typeof q === 'number' && q > 0 && q <= MAX_PROBABILITY))
      fail(`proposal probability ${JSON.stringify(q) ?? 'undefined'} is not in (0, 1]`);
  }
  if (e === 'label') {
    const { y, f } = value;
    if (!(Number.isInteger(y) && (y as number) >= 0 && (y as number) < k))
      fail(`label ${JSON.stringify(y) ?? 'undefined'} is not a class index in [0, ${k - 1}]`);
    if (f !== undefined && !(Array.isArray(f) && f.length === k && f.every((x) => typeof x === 'number' && Number.isFinite(x))))
      fail(`target scores are not ${k} finite numbers`);
  }
  return value as unknown as JournalRecord;
}

function restoreLoss(id: string, custom: CustomLoss | undefined, path: string): ResolvedLoss {
  if (!id.startsWith('custom:')) return resolveLoss(id as SessionLoss);
  const name = id.slice('custom:'.length);
  if (!custom || custom.name !== name) {
    throw new InputError({ argument: 'loss', expected: `the custom loss "${name}" that ${path} was created with`, received: custom?.name });
  }
  return resolveLoss(custom);
}
