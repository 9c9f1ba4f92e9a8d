import { adaptiveCandidates, createAdaptiveSampler, createDefensiveSampler, secondMomentValues, VarianceRatioToRandom, type AdaptiveSampler, type VarianceVerdict } from '../acquisition/adaptive/index.js';
import { FenwickSampler } from '../acquisition/fenwick-sampler.js';
import type { PoolSampler } from '../acquisition/sampler.js';
import { FileFormatError, InputError } from '../errors.js';
import { LUREEstimator } from '../estimators/lure.js';
import type { RiskEstimator } from '../estimators/risk-estimator.js';
import { toMatrix, type Matrix } from '../matrix.js';
import { classProbabilities } from '../metrics/probabilities.js';
import { predictiveEntropy } from '../metrics/entropy.js';
import { EPS, NUMERICS_FLAGS } from '../numerics.js';
import { randomStream, type RandomSource } from '../random.js';
import { SessionStateError } from './errors.js';
import {
  buildHeader,
  checkHeader,
  readScores,
  storedMatrix,
  type SessionAcquisition,
  type SessionHeader,
  type SessionOptions,
  type TargetScorer,
} from './header.js';
import { FileJournal, MemoryJournal, type JournalSink } from './journal.js';
import { SessionLock } from './lock.js';
import { resolveLoss, ZERO_ONE, type CustomLoss, type ResolvedLoss, type SessionLoss } from './loss.js';

/** Half-width multiplier of the reported 95% interval. */
export const Z_95 = 1.96;

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
  /** Scores the target on demand when `targetScores` are omitted ("no target predictions" mode). */
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

/** An estimate with its bootstrap standard error and 95% interval (±1.96σ). */
export interface IntervalEstimate {
  value: number;
  standardError: number;
  lower: number;
  upper: number;
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
   * How many uniformly random labels would give the same interval width: σ̂²/Var, with σ̂² the
   * per-item loss variance over the pool, itself estimated by LURE from the session's labels.
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
   * Stop once the risk's 95% interval half-width is at most this. This is optional stopping: it
   * lowers the interval's coverage slightly (see docs/sessions.md), so it only applies from `minLabels` on.
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
  constructor(n: number) {
    this.values = new Float64Array(n);
    this.estimator = new LUREEstimator(n);
  }
}

function interval(estimator: RiskEstimator): IntervalEstimate {
  if (estimator.count === 0) return { value: NaN, standardError: NaN, lower: NaN, upper: NaN };
  const value = estimator.estimate();
  const standardError = Math.sqrt(Math.max(0, estimator.bootstrapVariance()));
  return { value, standardError, lower: value - Z_95 * standardError, upper: value + Z_95 * standardError };
}

function asAccuracy(errorRate: IntervalEstimate): IntervalEstimate {
  return { value: 1 - errorRate.value, standardError: errorRate.standardError, lower: 1 - errorRate.upper, upper: 1 - errorRate.lower };
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
 *   texts, classes: ['negative', 'positive'], targetScores, surrogateScores, seed: 0,
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
  private readonly tracks: { loss: Track; lossSquared: Track; zeroOne: Track; comparison?: { loss: Track; zeroOne: Track; difference: Track } };
  /** Proposals fed to the estimators (all resolved), and the skip count they were built with. */
  private fed = 0;
  private fedSkips = 0;
  /** Set when an undo reopened a proposal the estimators had already taken in. */
  private stale = false;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    header: SessionHeader,
    loss: ResolvedLoss,
    private readonly journal: JournalSink,
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
    this.tracks = {
      loss: new Track(this.n),
      lossSquared: new Track(this.n),
      zeroOne: new Track(this.n),
      comparison: this.comparison ? { loss: new Track(this.n), zeroOne: new Track(this.n), difference: new Track(this.n) } : undefined,
    };
  }

  private fixedSampler(values: Float64Array): PoolSampler {
    const { clip, defensive } = this.settings;
    return defensive == null ? new FenwickSampler(values, clip, NUMERICS_FLAGS.default.proposal) : createDefensiveSampler(values, clip, defensive);
  }

  private acquisitionValues(acquisition: Exclude<SessionAcquisition, 'adaptive'>, target: Matrix | undefined, surrogate: Matrix | undefined): Float64Array {
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
   * is exactly as it was, so the next proposal is the one the session would have made. A torn last
   * line (a crash during a write) is dropped with a warning.
   *
   * @example
   * const session = await ActiveTestingSession.open('pool.session');
   * const [item] = await session.next(); // the same item as before the crash
   */
  static async open(path: string, options: OpenSessionOptions = {}): Promise<ActiveTestingSession> {
    const lock = SessionLock.acquire(path);
    try {
      const contents = FileJournal.read(path);
      const header = checkHeader(contents.header, path);
      const loss = restoreLoss(header.loss, options.loss, path);
      if (contents.tornLine) {
        (options.onWarning ?? ((message) => process.emitWarning(message, 'ActiveTestingSessionWarning')))(
          `${path}: dropped a torn last line (a write interrupted by a crash); no acknowledged record is lost`,
        );
      }
      const journal = FileJournal.openForAppend(path, contents.validLength);
      const session = new ActiveTestingSession(header, loss, journal, options.scoreTarget, lock);
      try {
        contents.records.forEach((record, line) => session.replay(record as JournalRecord, path, line + 2));
      } catch (error) {
        journal.close();
        throw error;
      }
      return session;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  private replay(record: JournalRecord, path: string, line: number): void {
    const fail = (reason: string): never => {
      throw new FileFormatError(path, `line ${line}: ${reason}; the file does not match its own pool and seed`);
    };
    try {
      switch (record.e) {
        case 'propose': {
          const drawn = this.draw();
          if (drawn.index !== record.i || drawn.probability !== record.q) fail(`recorded proposal ${record.i} but the stream draws ${drawn.index}`);
          break;
        }
        case 'label':
          this.checkResolvable(this.itemIndexOf(record.i), 'label');
          this.checkClass(record.y);
          if (record.f !== undefined) this.setTargetRow(record.i, toMatrix([record.f], 'scores'));
          this.applyLabel(record.i, record.y);
          break;
        case 'skip':
          this.checkResolvable(this.itemIndexOf(record.i), 'skip');
          this.applySkip(record.i);
          break;
        case 'undo':
          if (this.resolutions[this.resolutions.length - 1] !== record.i) fail('undo of an item that was not the last one labelled');
          this.applyUndo();
          break;
        default:
          fail('unknown record');
      }
    } catch (error) {
      if (error instanceof FileFormatError) throw error;
      fail((error as Error).message);
    }
  }

  private itemIndexOf(index: unknown): number {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= this.n) throw new InputError({ argument: 'item', expected: `a pool row in [0, ${this.n - 1}]`, received: index as number });
    return index;
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
      this.journal.append(record);
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
    throw new SessionStateError(`cannot ${action} item ${id}: it is already ${state === ItemState.Labelled ? 'labelled' : 'skipped'} (undo first to change it)`);
  }

  private checkClass(label: unknown): number {
    if (typeof label === 'number' && Number.isInteger(label) && label >= 0 && label < this.k) return label;
    if (typeof label === 'string') {
      const index = this.classes.indexOf(label);
      if (index !== -1) return index;
    }
    throw new InputError({ argument: 'label', expected: `a class name (${this.classes.join(', ')}) or index in [0, ${this.k - 1}]`, received: label as string });
  }

  private setTargetRow(index: number, scores: Matrix): void {
    if (scores.rows !== 1 || scores.cols !== this.k) {
      throw new InputError({ argument: 'scoreTarget', expected: `1×${this.k} scores for item ${this.ids[index]}`, received: `${scores.rows}×${scores.cols}` });
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
        if (!this.scoreTarget) throw new InputError({ argument: 'scoreTarget', expected: 'a target scorer: this session has no target scores' });
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
    const { loss, lossSquared, zeroOne, comparison } = this.tracks;
    const value = this.loss.perItem(scores, labels)[0];
    loss.values[index] = value;
    lossSquared.values[index] = value * value;
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
    const { loss, lossSquared, zeroOne, comparison } = this.tracks;
    return comparison ? [loss, lossSquared, zeroOne, comparison.loss, comparison.zeroOne, comparison.difference] : [loss, lossSquared, zeroOne];
  }

  /** Brings the estimators up to the longest resolved prefix, rebuilding them after an undo inside it or a new skip. */
  private updateEstimators(): void {
    const tracks = this.allTracks();
    if (this.stale || this.fedSkips !== this.skippedCount) {
      const poolSize = this.n - this.skippedCount;
      for (const track of tracks) track.estimator = new LUREEstimator(poolSize);
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
        for (const track of tracks) track.estimator.add(track.values[index], q);
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
    const { loss, lossSquared, zeroOne, comparison } = this.tracks;
    const risk = interval(loss.estimator);
    const labels = loss.estimator.count;
    const poolSize = this.n - this.skippedCount;
    const lossVariance = Math.max(0, lossSquared.estimator.count > 0 ? lossSquared.estimator.estimate() - risk.value * risk.value : NaN);
    const variance = risk.standardError * risk.standardError;
    const equivalent = variance > 0 ? Math.min(poolSize, Math.ceil(lossVariance / variance)) : labels;
    let pending = 0;
    for (let p = this.fed; p < this.proposed.length; p++) if (this.state[this.proposed[p]] === ItemState.Pending) pending++;
    return {
      risk,
      accuracy: asAccuracy(interval(zeroOne.estimator)),
      labels,
      recorded: this.recordedCount,
      skipped: this.skippedCount,
      pending,
      poolSize,
      equivalentRandomLabels: labels === 0 ? NaN : equivalent,
      varianceRatio: this.diagnostic.ratio(variance, risk.value),
      varianceVerdict: this.diagnostic.verdict(variance, risk.value),
      comparison: comparison
        ? { risk: interval(comparison.loss.estimator), accuracy: asAccuracy(interval(comparison.zeroOne.estimator)), difference: interval(comparison.difference.estimator) }
        : undefined,
    };
  }

  /** Whether to stop: a rule of `rule` holds, or every item has been labelled or skipped. */
  done(rule: StoppingRule = {}): boolean {
    const { maxLabels, targetHalfWidth, minLabels = 30 } = rule;
    const estimate = this.estimate();
    if (this.sampler.remaining === 0 && estimate.pending === 0) return true;
    if (maxLabels !== undefined && estimate.labels >= maxLabels) return true;
    if (targetHalfWidth !== undefined && estimate.labels >= minLabels) return Z_95 * estimate.risk.standardError <= targetHalfWidth;
    return false;
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

function restoreLoss(id: string, custom: CustomLoss | undefined, path: string): ResolvedLoss {
  if (!id.startsWith('custom:')) return resolveLoss(id as SessionLoss);
  const name = id.slice('custom:'.length);
  if (!custom || custom.name !== name) {
    throw new InputError({ argument: 'loss', expected: `the custom loss "${name}" that ${path} was created with`, received: custom?.name });
  }
  return resolveLoss(custom);
}
