import { ADAPTIVE_DEFAULTS } from '../acquisition/adaptive/index.js';
import { referenceBelief, referenceFloors } from '../acquisition/reference-basis.js';
import { ActiveTestingError, FileFormatError, InputError, ReceivedKind, warningsTo, withArgumentSuffix } from '../errors.js';
import type { FileLock } from '../io/lock.js';
import { toMatrix, type Matrix } from '../matrix.js';
import { EPS, NUMERICS_FLAGS } from '../numerics.js';
import { checkObject, checkPath } from '../io/index.js';
import { probabilitiesWarnings } from '../io/pool-files.js';
import { formatCount } from '../io/format-count.js';
import { temperatureBoundWarning } from '../calibration/temperature.js';
import { checkKnownKeys, meantHint } from '../io/suggest.js';
import { CrossEntropyBoundsRows, lossBounds } from '../metrics/loss-bounds.js';
import { SessionFileError, SessionStateError, SessionWriteError } from './errors.js';
import { checkSessionFolder } from './folder.js';
import { ExpectedZeroOne, SessionEstimates, type SessionEstimate, type StoppingRule } from './estimates.js';
import {
  buildHeader,
  checkHeader,
  headerLineChunks,
  headerLineParser,
  readScores,
  recoveryHint,
  storedMatrix,
  type SessionHeader,
  type SessionOptions,
  type TargetScorer,
} from './header.js';
import { FileJournal, MemoryJournal, removeKilledCreations, type JournalSink } from './journal.js';
import { acquireSessionLock } from './lock.js';
import { resolveLoss, restoreLoss, ZERO_ONE, type CustomLoss, type ResolvedLoss } from './loss.js';
import { SessionProposer, sessionProposal, sessionSampler } from './proposer.js';
import { checkRecord, isAnnotator, MAX_ANNOTATOR_LENGTH, type JournalRecord } from './records.js';
import { SessionState } from './state.js';

export { type IntervalEstimate, type SessionEstimate, type StoppingRule } from './estimates.js';
export type { RiskInterval } from '../estimators/confidence-sequence.js';

/** How to open an existing session file. */
export interface OpenSessionOptions {
  /** Scores the target on demand (sessions created without target scores). */
  scoreTarget?: TargetScorer;
  /** The custom loss the session was created with (built-in losses are restored by name; another loss is refused). */
  loss?: CustomLoss;
  /** Receives warnings such as a dropped torn last line; default `process.emitWarning`. */
  onWarning?: (message: string) => void;
  /**
   * Reads the file without opening it for labelling: no lock is taken (another process may be
   * labelling the session meanwhile, e.g. `serve`) and nothing is written (an unreadable last line,
   * a write in progress or torn by a crash, is passed over where it is, with a warning). The session shows the file
   * as it was read: `estimate`, `done`, `history`; `next`, `record`, `skip` and `undo` are refused.
   */
  readOnly?: boolean;
}

/** Extra options for a new session. */
export interface CreateSessionOptions extends SessionOptions {
  /** Scores the target on demand when `modelScores` are omitted ("no target predictions" mode). */
  scoreTarget?: TargetScorer;
  /**
   * Receives warnings of inputs that are valid but most likely not meant: scores whose rows are
   * probabilities (read as logits), a calibration fit at the end of its search range; default
   * `process.emitWarning`.
   */
  onWarning?: (message: string) => void;
}

/** The score matrices of a session's file (undefined: it has none of that kind). */
export interface StoredScores {
  targetScores: Matrix | undefined;
  comparisonScores: Matrix | undefined;
  surrogateScores: Matrix | undefined;
}

/** What `openSessionChecked` checks before the file is written to, by the options object it passes to `open`. */
const checksBeforeWriting = new WeakMap<OpenSessionOptions, (session: ActiveTestingSession) => void | Promise<void>>();

/**
 * Opens the session file at `path` as `ActiveTestingSession.open` does, and runs `check` on the
 * replayed session before anything is written to the file (an unreadable last line moved aside, a
 * newline added): a command refused for its other inputs (an answers file, settings the session
 * was not created with) leaves the file as it found it. `check` must only read the session: a
 * label recorded there would reach the journal in memory before the file is ready for it.
 *
 * @example
 * const session = await openSessionChecked('a.session', {}, (s) => {
 *   if (s.classes.length !== 2) throw new InputError({ argument: 'session', expected: 'two classes' });
 * });
 * @throws what `check` throws (the lock released, the file untouched), or what `open` throws.
 */
export function openSessionChecked(
  path: string,
  options: OpenSessionOptions,
  check: (session: ActiveTestingSession) => void | Promise<void>,
): Promise<ActiveTestingSession> {
  const checked = { ...options };
  checksBeforeWriting.set(checked, check);
  return ActiveTestingSession.open(path, checked);
}

/** The type of the process warnings a session emits without an `onWarning`. */
const SESSION_WARNING = 'ActiveTestingSessionWarning';

/** The stored scores of each session: not a public field, as the arrays are the session's own and a caller could write to them. */
const storedScores = new WeakMap<ActiveTestingSession, StoredScores>();

/**
 * What a new session's inputs are warned of: valid, but most likely not what was meant. Scores
 * whose rows are probabilities are read as logits (their softmax is nearly uniform); a calibration
 * fit at an end of its search range is not fitted by its labels; planned labels above the pool
 * size are a plan to label the whole pool.
 */
function creationWarnings(session: ActiveTestingSession, options: CreateSessionOptions): string[] {
  const { calibration } = options;
  const { targetScores, comparisonScores, surrogateScores } = sessionStoredScores(session);
  const warnings = probabilitiesWarnings({
    modelScores: targetScores,
    comparisonScores,
    surrogateScores,
    'calibration.scores': calibration && readScores(calibration.scores, 'calibration.scores'),
  });
  const fit = session.settings.calibration;
  if (fit?.atBound === true) warnings.push(temperatureBoundWarning('calibration', fit));
  const { plannedLabels } = options;
  const n = session.ids.length;
  if (typeof plannedLabels === 'number' && plannedLabels > n)
    warnings.push(
      `plannedLabels: ${plannedLabels} is more than the pool's ${formatCount(n, 'item')}: the sequences are tuned for all ${n}`,
    );
  return warnings;
}

/**
 * The scores `session` was created with, as its file stores them: the very arrays the session
 * uses, not copies, so they must only be read (the CLI compares them with the scores given to
 * resume it, without reading the file's header again).
 */
export function sessionStoredScores(session: ActiveTestingSession): StoredScores {
  return storedScores.get(session) as StoredScores;
}

/**
 * Reads of a session that `serve` makes at every answer, each without building `history()`, whose
 * record per proposal cost 15 ms an answer at 5,000 proposals: not public, as `history()` says the
 * same.
 */
export interface SessionReads {
  /** The proposal of the item with this id, as `history()` lists it; undefined when it was not proposed (or is no id). */
  proposal(id: string): ProposalRecord | undefined;
  /** The positions of the pending proposals that precede a labelled or skipped one (the estimate waits for them), in order. */
  waitingFor(): number[];
}

const sessionReads = new WeakMap<ActiveTestingSession, SessionReads>();

/**
 * `session`'s `SessionReads`.
 *
 * @example
 * sessionReadsOf(session).proposal('s12')?.position; // as history().find((p) => p.id === 's12')?.position
 */
export function sessionReadsOf(session: ActiveTestingSession): SessionReads {
  return sessionReads.get(session) as SessionReads;
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

/** What one recorded action was, as `undo()` reports it. */
export interface Resolution {
  id: string;
  /** The class name, or null for a skip. */
  label: string | null;
  /** Who labelled or skipped it, when `record` or `skip` was told. */
  annotator?: string;
}

/** One proposal and what became of it. */
export interface ProposalRecord extends Proposal {
  status: 'pending' | 'labelled' | 'skipped';
  /** The class name once labelled. */
  label?: string;
  /** Who labelled or skipped it, when `record` or `skip` was told. */
  annotator?: string;
}

/** Options of `record`, `skip` and `undo`. */
export interface ResolveOptions {
  /**
   * Who labels or skips the item (1 to 200 characters), kept with it in the journal and reported
   * by `lastResolution()`, `undo()` and `history()`, across restarts; e.g. `serve` lets only
   * the browser that made a label undo it.
   */
  annotator?: string;
}

/** The errors of `checkReplayedLoss`: a replay passes them on as they are, not as a damaged file's. */
const replayedLossErrors = new WeakSet<object>();

/**
 * Closes the file and releases the lock of a session that was dropped without `close()`, once the
 * garbage collector has collected it: in a long-lived process (a server, a notebook kernel) its
 * descriptor and lock would otherwise stay until the process exits, and the session could not be
 * opened there again ("already open for writing in this process"). Unreachable, the session can
 * write nothing more; `close()` and a failed write unregister it.
 */
const droppedSessions = new FinalizationRegistry<{ journal: JournalSink; lock: FileLock }>(({ journal, lock }) => {
  // Nobody is left to tell of a failure here, and a throw would end the process: a close failing
  // (a deferred EIO) loses nothing, every record was fsynced when written; a lock left behind (a
  // file system turned read-only) names this process, so the next to open the session takes it
  // over once this one has exited.
  try {
    journal.close();
  } catch {
    // As above.
  }
  try {
    lock.release();
  } catch {
    // As above.
  }
});

/** Passed by `create` and `open` only: the constructor is private, but JavaScript can still call it. */
const CONSTRUCT = Symbol('ActiveTestingSession.construct');

/**
 * Active testing with real labels: proposes which pool items to label, takes the labels as they
 * come, and estimates the target's risk (and accuracy) with LURE, a bootstrap error bar and a 95%
 * interval at any time. The proposals are the draws `simulate` makes for run 0 with the same seed,
 * so a session fed the true labels reproduces simulate's LURE estimate exactly (for iid proposals,
 * simulate's default estimator is the sample mean, equal to LURE only up to rounding).
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
 *   if (item === undefined) break; // none left: every item is labelled or skipped
 *   await session.record(item.id, await askPerson(item.text));
 * }
 * const { accuracy } = session.estimate(); // accuracy.value, accuracy.anytime.lower, accuracy.anytime.upper
 * await session.close();
 */
export class ActiveTestingSession {
  readonly classes: readonly string[];
  readonly ids: readonly string[];
  readonly texts: readonly string[];
  /** The resolved settings as stored in the session file. */
  readonly settings: Readonly<Omit<SessionHeader, 'ids' | 'texts' | 'classes' | 'targetScores' | 'comparisonScores' | 'surrogateScores'>>;

  private readonly k: number;
  private readonly indexOf = new Map<string, number>();
  /** The target's scores: all of them when given, else the rows scored so far (`targetKnown`). */
  private readonly target: Matrix;
  private readonly targetKnown: Uint8Array;
  private readonly state: SessionState;
  private readonly estimates: SessionEstimates;
  private readonly proposer: SessionProposer;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The failed write that closed the session, if one did. */
  private failure: SessionWriteError | undefined;
  /** Opened with `readOnly`: every mutation is refused. */
  private readOnly = false;
  /** Records in the journal: the next one written is number `sequence + 1`. */
  private sequence = 0;
  /** Who labelled or skipped each resolved item, where `record` or `skip` was told. */
  private readonly annotators = new Map<number, string>();

  private constructor(
    token: typeof CONSTRUCT,
    header: SessionHeader,
    loss: ResolvedLoss,
    private journal: JournalSink,
    private readonly scoreTarget: TargetScorer | undefined,
    private readonly lock: FileLock | undefined,
  ) {
    // From JavaScript the constructor is reachable: a call there would fail far inside on its arguments.
    if (token !== CONSTRUCT)
      throw new ActiveTestingError(
        'ActiveTestingSession is not constructed with new: start a session with ActiveTestingSession.create(path, options) or reopen one with ActiveTestingSession.open(path)',
      );
    const { ids, texts, classes, targetScores, comparisonScores, surrogateScores, ...settings } = header;
    this.ids = ids;
    this.texts = texts;
    this.classes = classes;
    this.settings = settings;
    const n = ids.length;
    this.k = classes.length;
    ids.forEach((id, i) => this.indexOf.set(id, i));
    const known = storedMatrix(targetScores);
    this.target = known ?? { data: new Float64Array(n * this.k), rows: n, cols: this.k };
    this.targetKnown = new Uint8Array(n).fill(known ? 1 : 0);
    const comparison = storedMatrix(comparisonScores);
    this.state = new SessionState(ids, this.k);
    const surrogate = storedMatrix(surrogateScores);
    storedScores.set(this, { targetScores: known, comparisonScores: comparison, surrogateScores: surrogate });
    sessionReads.set(this, {
      proposal: (id) => {
        const index = this.indexOf.get(id);
        return index === undefined || this.state.position(index) === -1 ? undefined : this.proposalRecord(index);
      },
      waitingFor: () => this.state.waitingPositions(),
    });
    // A custom loss's bounds are checked before the proposal computes its N·K losses: a bound the
    // session refuses costs no more than the bounds (the estimates read them back, not again).
    if (known !== undefined) loss.bounds?.(known);
    if (comparison !== undefined) withArgumentSuffix(' of comparisonScores', () => loss.bounds?.(comparison));
    // The accuracy's reference bets predict the zero-one loss under the surrogate's probabilities,
    // which the adaptive candidates compute a row at a time: taken from there (bit for bit the
    // same rows), the session never builds those N×K probabilities again. With a comparison the
    // comparison's predictions need them all the same. The cross-entropy's bounds sum the
    // exponentials of the target's softmax, which the candidates compute too.
    const adaptive = known !== undefined && settings.acquisition === 'adaptive';
    const zeroOne = adaptive && comparison === undefined ? new ExpectedZeroOne(known) : null;
    const bounds = adaptive && loss.id === 'cross-entropy' ? new CrossEntropyBoundsRows(known) : null;
    // Other proposals compute no exponentials the bounds could take: computed here all the same,
    // before the proposal, so that scores past the loss magnitude limit are refused first.
    const boundsFirst = known !== undefined && loss.id === 'cross-entropy' && bounds === null ? lossBounds(known, 'cross-entropy') : null;
    const plan = sessionProposal(
      settings,
      { size: n, modelScores: known, surrogateScores: surrogate, comparisonScores: comparison },
      loss,
      { ...(zeroOne && { belief: zeroOne.rows }), ...(bounds && { targetExps: bounds.rows }) },
    );
    const predicted = { loss: plan.expectedLoss, zeroOne: zeroOne?.values() ?? null, bounds: bounds?.bounds() ?? boundsFirst };
    // The sequences bet with the proposal's floor and the same predictions as simulate's (`simulationReference`).
    // The session's adaptive sampler (`mixtureSampler`) keeps the default defensive share.
    const floors = known === undefined ? null : referenceFloors(plan, settings.clip, ADAPTIVE_DEFAULTS);
    const beliefNeeded = predicted.loss === null || (predicted.zeroOne === null && loss !== ZERO_ONE) || comparison !== undefined;
    const reference = floors && {
      ...floors,
      belief: beliefNeeded
        ? referenceBelief({
            modelScores: known as Matrix,
            surrogateScores: surrogate,
            temperature: settings.temperature,
            eps: EPS,
            softmax: NUMERICS_FLAGS.default.softmax,
            belief: plan.belief,
          })
        : null,
    };
    this.estimates = new SessionEstimates(this.state, loss, known, comparison, reference, settings.plannedLabels ?? null, predicted);
    this.proposer = new SessionProposer(sessionSampler(plan, settings.clip), settings.seed);
  }

  /**
   * Starts a new session in a file (refusing an existing one), or in memory when `path` is null.
   *
   * @example
   * const session = await ActiveTestingSession.create('pool.session', {
   *   texts, classes: ['negative', 'positive'], surrogateScores, scoreTarget: (t) => model.score(t),
   *   acquisition: 'surrogate-pe',
   * });
   * @throws {InputError} for an option or a pool the session refuses (e.g. a custom loss's bound that
   * is not finite), or a `path` whose folder is missing or may not be written; nothing is written then.
   * @throws {OutputExistsError} when the file exists.
   * @throws {SessionFileError} when the file or its lock cannot be written all the same (a full disk).
   */
  static async create(path: string | null, options: CreateSessionOptions): Promise<ActiveTestingSession> {
    checkObject(options, 'options');
    const warn = warningsTo(options, SESSION_WARNING);
    if (path !== null) {
      checkPath(path);
      await checkSessionFolder(path, 'path');
    }
    const loss = resolveLoss(options.loss ?? 'cross-entropy');
    const header = buildHeader(options, loss.id, options.scoreTarget !== undefined);
    if (path === null) {
      const session = new ActiveTestingSession(CONSTRUCT, header, loss, new MemoryJournal(), options.scoreTarget, undefined).checkNew();
      creationWarnings(session, options).forEach(warn);
      return session;
    }
    const lock = acquireSessionLock(path);
    try {
      await removeKilledCreations(path);
      // Built before its file: a pool the session refuses (e.g. a loss bound that is not finite) leaves nothing on disk.
      const session = new ActiveTestingSession(CONSTRUCT, header, loss, new MemoryJournal(), options.scoreTarget, lock).checkNew();
      // Before the file too: an `onWarning` that throws (warnings taken as errors) leaves nothing either.
      creationWarnings(session, options).forEach(warn);
      session.attach(FileJournal.create(path, header, headerLineChunks), lock);
      return session;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /**
   * What a new session refuses once its loss bounds are known: under adaptive acquisition, a loss
   * whose bounds reach below 0 (its sampler takes only losses ≥ 0, so the first negative label
   * would stop every later proposal).
   *
   * @throws {InputError} naming the loss's bounds and the first item whose lower bound is negative.
   */
  private checkNew(): this {
    const negative = this.settings.acquisition === 'adaptive' ? this.estimates.firstNegativeBound() : null;
    if (negative !== null) {
      throw new InputError({
        argument: `loss ${this.settings.loss.replace(/^custom:/, '')} bounds`,
        expected: 'lower bounds ≥ 0 under adaptive acquisition (it learns only from losses ≥ 0; surrogate-ce takes a negative loss)',
        received: negative.lower,
        row: negative.row,
      });
    }
    return this;
  }

  /**
   * Reopens a session file for writing, replaying its journal: the state, random stream included,
   * is exactly as it was, so the next proposal is the one the session would have made. The
   * header's checksum is checked (only files of format version 1, from before checksums, have
   * none), and every record (types, ranges, sequence) as it is replayed. A last record without its
   * newline is kept; an unreadable last line (a crash during a write) is moved to a side file
   * next to the session file (`<path>.torn-1`, ...) with a warning.
   *
   * With `readOnly: true` it reads the file as it stands, taking no lock and writing nothing, for
   * an estimate of a session that another process is labelling (or of a file it may not write).
   *
   * @example
   * const session = await ActiveTestingSession.open('pool.session');
   * const [item] = await session.next(); // the same item as before the crash
   * const { risk } = (await ActiveTestingSession.open('pool.session', { readOnly: true })).estimate();
   * @throws {SessionLockedError} when another live process has the session open (not with `readOnly`).
   * @throws {FileFormatError} when the file is damaged or its header cannot be replayed; the
   * message says how to export its labels anyway (`exportSessionLabels`).
   */
  static async open(path: string, options: OpenSessionOptions = {}): Promise<ActiveTestingSession> {
    checkPath(path);
    checkKnownKeys(options, ['scoreTarget', 'loss', 'onWarning', 'readOnly'] satisfies (keyof OpenSessionOptions)[], null);
    if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') {
      throw new InputError({ argument: 'readOnly', expected: 'true or false', received: options.readOnly });
    }
    const warn = warningsTo(options, SESSION_WARNING);
    if (options.readOnly === true) return ActiveTestingSession.read(path, options, warn);
    const lock = acquireSessionLock(path);
    try {
      await removeKilledCreations(path);
      const contents = FileJournal.read(path, headerLineParser);
      const header = checkHeader(contents.header, path, contents.checksummed);
      const loss = restoreLoss(header.loss, options.loss, path);
      const session = new ActiveTestingSession(CONSTRUCT, header, loss, new MemoryJournal(), options.scoreTarget, lock);
      contents.records.forEach((record, index) => session.replay(record, contents.checksummed, path, index + 2));
      await checksBeforeWriting.get(options)?.(session);
      const { journal, sideFile } = FileJournal.openForAppend(path, contents);
      try {
        if (sideFile !== undefined) {
          warn(
            `${path}: its last line (${contents.tail.length} bytes) is not a complete record, as a write interrupted by a crash ` +
              `leaves it; it was moved to ${sideFile}, and the ${contents.records.length} complete records are kept`,
          );
        }
      } catch (error) {
        // An `onWarning` that throws (warnings taken as errors): no session, so no file left open.
        journal.close();
        throw error;
      }
      session.attach(journal, lock);
      return session;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** `open` with `readOnly`: the file replayed as read, without a lock, a repair or a journal to write to. */
  private static read(path: string, options: OpenSessionOptions, warn: (message: string) => void): ActiveTestingSession {
    const contents = FileJournal.read(path, headerLineParser);
    const header = checkHeader(contents.header, path, contents.checksummed);
    const session = new ActiveTestingSession(
      CONSTRUCT,
      header,
      restoreLoss(header.loss, options.loss, path),
      new MemoryJournal(),
      options.scoreTarget,
      undefined,
    );
    contents.records.forEach((record, index) => session.replay(record, contents.checksummed, path, index + 2));
    session.readOnly = true;
    if (contents.tornLine) {
      warn(
        `${path}: its last line (${contents.tail.length} bytes) is not a complete record, as a write in progress or one cut ` +
          `by a crash leaves it; the ${contents.records.length} complete records are read, and the file is left as it is`,
      );
    }
    return session;
  }

  /** Replays one record of the file at `path`, on its `line`; `numbered`: the file numbers every record (its header has a checksum). */
  private replay(value: Record<string, unknown>, numbered: boolean, path: string, line: number): void {
    const fail = (reason: string): never => {
      throw new FileFormatError(path, `line ${line}: ${reason}; the session cannot be replayed; ${recoveryHint(path)}`);
    };
    const record = checkRecord(value, line - 1, numbered, this.state.size, this.k, fail);
    this.sequence++;
    try {
      switch (record.e) {
        case 'propose': {
          const drawn = this.draw();
          const probability = this.state.probability(this.state.position(drawn));
          if (drawn !== record.i || probability !== record.q) {
            const found =
              drawn !== record.i
                ? `recorded proposal ${record.i} but the stream draws ${drawn}`
                : `recorded proposal ${record.i} with probability ${record.q} but the stream's is ${probability}`;
            // An adaptive proposal learns from the labels before it: a label edited by hand shows only here, lines later.
            const edited =
              this.settings.acquisition === 'adaptive'
                ? ', or a record before this line was edited (an adaptive proposal depends on every label before it)'
                : ', or it was edited';
            // surrogate-ce proposes by the expected loss, adaptive learns from the losses: another
            // custom loss under the same name moves the draws, and it is the likeliest cause.
            const loss =
              this.settings.loss.startsWith('custom:') &&
              (this.settings.acquisition === 'surrogate-ce' || this.settings.acquisition === 'adaptive')
                ? `, or the custom loss given to open is not the "${this.settings.loss.slice('custom:'.length)}" it was created with`
                : '';
            fail(`${found} (the file was written for another pool or seed, or by a build whose proposal differs${edited}${loss})`);
          }
          break;
        }
        case 'label':
          this.state.checkResolvable(record.i, 'label');
          if (record.f !== undefined) this.setTargetRow(record.i, toMatrix([record.f], 'scores'));
          this.checkReplayedLoss(record.i, record.y, path, line);
          this.applyLabel(record.i, record.y, record.a);
          break;
        case 'skip':
          this.applySkip(record.i, record.a);
          break;
        case 'undo':
          if (this.state.lastResolved() !== record.i) fail('undo of an item that was not the last one labelled');
          this.applyUndo();
          break;
      }
    } catch (error) {
      if (error instanceof FileFormatError || replayedLossErrors.has(error as object)) throw error;
      fail((error as Error).message);
    }
  }

  /**
   * Refuses, as `record` would have, a journaled label whose loss the custom loss given to `open`
   * cannot take (it throws, or gives no finite number or one outside its declared bounds): the file
   * is sound, the loss is not the one it was created with. Checked at `open`, not left to the first
   * `estimate`, `done` or `next`, which would each throw. A negative loss under adaptive acquisition
   * is not refused here: a label undone since was never learned from, and files written before
   * `record` refused it hold such labels. Nor is a loss difference outside its bounds, which only a
   * loss at the edge of its own bounds gives and files written before `record` refused it hold:
   * refused at `open`, blamed on the loss, the label could not even be undone.
   */
  private checkReplayedLoss(index: number, y: number, path: string, line: number): void {
    if (!this.settings.loss.startsWith('custom:')) return;
    try {
      this.estimates.checkLabel(index, y, this.targetRow(index), false, false);
    } catch (error) {
      const refused = new InputError({
        argument: 'loss',
        expected: `the custom loss "${this.settings.loss.slice('custom:'.length)}" that ${path} was created with: the loss given refuses the label on its line ${line} (${(error as Error).message})`,
      });
      replayedLossErrors.add(refused);
      throw refused;
    }
  }

  /** Writes the session's records to `journal` from now on; the session holds it and `lock` until it is closed or collected. */
  private attach(journal: FileJournal, lock: FileLock): void {
    this.journal = journal;
    droppedSessions.register(this, { journal, lock }, this);
  }

  /** Runs mutations one at a time, in call order. */
  private exclusive<T>(action: () => T | Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (this.closed) throw this.failure ?? new SessionStateError('the session is closed');
      if (this.readOnly)
        throw new SessionStateError('the session was opened read-only (readOnly: true): open it without readOnly to label it');
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
      this.failure = new SessionWriteError((error as Error).message);
      droppedSessions.unregister(this);
      this.journal.close();
      try {
        this.lock?.release();
      } catch {
        // The failed write is what the caller must hear (on a read-only file system the lock
        // cannot be removed either); the next process takes the lock over once this one exits.
      }
      throw this.failure;
    }
  }

  /** Draws the next proposal into the state; returns the item. */
  private draw(): number {
    const { index, probability, weights } = this.proposer.draw(this.state, (i) => this.estimates.lossOf(i));
    this.state.propose(index, probability);
    this.estimates.drawnWith(this.state.position(index), weights);
    return index;
  }

  private proposal(index: number): Proposal {
    const position = this.state.position(index);
    return { id: this.ids[index], index, text: this.texts[index], probability: this.state.probability(position), position };
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
      const pending = this.state.pendingItems(k);
      // Fewer than k found means every waiting item is in the list, and a draw is proposed last:
      // appending it is the rescan's answer without the rescan (which made a batch O(k²)).
      while (pending.length < k && this.proposer.remaining > 0) {
        const index = this.draw();
        this.write({ e: 'propose', i: index, q: this.state.probability(this.state.position(index)) });
        pending.push(index);
      }
      return pending.map((index) => this.proposal(index));
    });
  }

  private resolveId(id: string): number {
    const index = this.indexOf.get(id);
    if (index === undefined) {
      // `undefined` too is said, which an InputError otherwise leaves out; a number that is an
      // id as a string is most likely the item's `index` or an id read as a number.
      const asString = typeof id === 'number' || typeof id === 'bigint' ? String(id) : undefined;
      throw new InputError({
        argument: 'id',
        expected: 'the id of a pool item',
        received:
          id === undefined
            ? new ReceivedKind('undefined')
            : asString !== undefined && this.indexOf.has(asString)
              ? ReceivedKind.noted(id, `ids are strings: did you mean "${asString}"?`)
              : id,
      });
    }
    return index;
  }

  private checkClass(label: unknown): number {
    if (typeof label === 'number' && Number.isInteger(label) && label >= 0 && label < this.k) return label;
    // An int64 label as `readNpy` gives it (a BigInt64Array's element).
    if (typeof label === 'bigint' && label >= 0n && label < BigInt(this.k)) return Number(label);
    if (typeof label === 'string') {
      const index = this.classes.indexOf(label);
      if (index !== -1) return index;
    }
    // A class index read from a file or a form arrives as a string ("2"), which names no class:
    // told only "or index in [0, 2], got "2"", the caller sees an index in range refused.
    const index = typeof label === 'string' && /^\d+$/.test(label) ? Number(label) : undefined;
    throw new InputError({
      argument: 'label',
      expected: `a class name (${this.classes.join(', ')}) or index in [0, ${this.k - 1}]${meantHint(label, this.classes)}`,
      received:
        index !== undefined && index < this.k ? ReceivedKind.noted(label, `class indices are numbers: did you mean ${index}?`) : label,
    });
  }

  private setTargetRow(index: number, scores: Matrix): void {
    if (scores.rows !== 1 || scores.cols !== this.k) throw this.targetRowError(index, `the shape ${scores.rows}×${scores.cols}`);
    this.target.data.set(scores.data, index * this.k);
    this.targetKnown[index] = 1;
  }

  /** The refusal of the scorer's answer for the item at `index`, which should have been one row of K scores. */
  private targetRowError(index: number, received: string): InputError {
    return new InputError({
      argument: 'scoreTarget',
      expected: `1×${this.k} scores for item ${this.ids[index]}`,
      received: new ReceivedKind(received),
    });
  }

  /** Undoes `setTargetRow` for scores that were never journaled. */
  private forgetTargetRow(index: number): void {
    this.target.data.fill(0, index * this.k, (index + 1) * this.k);
    this.targetKnown[index] = 0;
  }

  /**
   * Records the label of a proposed item (class name or index; a bigint index too, as an int64
   * label array read by `readNpy` holds). Labelling an item that was not
   * proposed, one already labelled, an unknown class, or a label whose loss lies outside a custom
   * loss's declared bounds throws and changes nothing. Without target
   * scores the target is scored on this item first. Resolves once the label is on disk.
   */
  record(id: string, label: string | number | bigint, options: ResolveOptions = {}): Promise<void> {
    return this.exclusive(async () => {
      const { annotator } = checkResolveOptions(options);
      const index = this.resolveId(id);
      this.state.checkResolvable(index, 'label');
      const y = this.checkClass(label);
      let scores: number[] | undefined;
      if (!this.targetKnown[index]) {
        if (!this.scoreTarget)
          throw new InputError({ argument: 'scoreTarget', expected: 'a target scorer: this session has no target scores' });
        const answer = await this.scoreTarget([this.texts[index]]);
        // `readScores` would call an answer without rows an empty pool; the scorer was asked for one item.
        if (answeredRows(answer) === 0) throw this.targetRowError(index, 'no rows');
        const scored = readScores(answer, 'scoreTarget');
        this.setTargetRow(index, scored);
        scores = Array.from(scored.data);
      }
      try {
        this.estimates.checkLabel(index, y, this.targetRow(index), this.settings.acquisition === 'adaptive', true);
      } catch (error) {
        // Scores not journaled are not known: the next label of the item scores it again and
        // writes them with it, where a replay finds them.
        if (scores !== undefined) this.forgetTargetRow(index);
        throw error;
      }
      this.write({ e: 'label', i: index, y, ...(scores && { f: scores }), ...(annotator !== undefined && { a: annotator }) });
      this.applyLabel(index, y, annotator);
    });
  }

  /** Skips a proposed item that cannot be labelled: it leaves the pool, and the estimate then covers the remaining items. */
  skip(id: string, options: ResolveOptions = {}): Promise<void> {
    return this.exclusive(() => {
      const { annotator } = checkResolveOptions(options);
      const index = this.resolveId(id);
      this.state.checkResolvable(index, 'skip');
      this.write({ e: 'skip', i: index, ...(annotator !== undefined && { a: annotator }) });
      this.applySkip(index, annotator);
    });
  }

  /**
   * Clears the last recorded label (or skip): the item is pending again and is proposed again by
   * `next()`; the random stream is not rewound. Returns what was undone. With `annotator`, only
   * a label or skip that annotator made, or one nobody is named for, is undone: the check and the
   * undo are one step, so a label another annotator records meanwhile is never taken back.
   *
   * @throws SessionStateError when there is nothing to undo, or the last label is another annotator's.
   */
  undo(options: ResolveOptions = {}): Promise<Resolution> {
    return this.exclusive(() => {
      const { annotator } = checkResolveOptions(options);
      const index = this.state.lastResolved();
      if (index === undefined) throw new SessionStateError('nothing to undo');
      const resolution = this.resolution(index);
      if (annotator !== undefined && resolution.annotator !== undefined && resolution.annotator !== annotator)
        throw new SessionStateError('the last label was made by another annotator; only they can undo it');
      this.write({ e: 'undo', i: index });
      this.applyUndo();
      return resolution;
    });
  }

  private targetRow(index: number): Matrix {
    return { data: this.target.data.subarray(index * this.k, (index + 1) * this.k), rows: 1, cols: this.k };
  }

  private applyLabel(index: number, y: number, annotator: string | undefined): void {
    this.state.record(index, y);
    this.estimates.labelled(index, y, this.targetRow(index));
    if (annotator !== undefined) this.annotators.set(index, annotator);
  }

  private applySkip(index: number, annotator: string | undefined): void {
    this.state.skip(index);
    if (annotator !== undefined) this.annotators.set(index, annotator);
  }

  private applyUndo(): void {
    const index = this.state.lastResolved();
    const { position } = this.state.undo();
    this.estimates.reopened(position);
    if (index !== undefined) this.annotators.delete(index);
  }

  private resolution(index: number): Resolution {
    const annotator = this.annotators.get(index);
    return {
      id: this.ids[index],
      label: this.state.status(index) === 'labelled' ? this.classes[this.state.label(index)] : null,
      ...(annotator !== undefined && { annotator }),
    };
  }

  /**
   * The LURE estimates over the longest prefix of proposals that are all labelled (or skipped),
   * each with its three 95% intervals (`anytime`, `fixed`, `bootstrap`: `IntervalEstimate` says what
   * each guarantees), for the risk and for accuracy (and, with a comparison target, for the
   * difference of the two risks).
   *
   * @example
   * const { risk, accuracy, labels } = session.estimate();
   * console.log(`${labels} labels: accuracy ${accuracy.value}, 95% sequence [${accuracy.anytime?.lower}, ${accuracy.anytime?.upper}]`);
   */
  estimate(): SessionEstimate {
    return this.estimates.estimate();
  }

  /**
   * Whether to stop: a rule of `rule` holds, or every item has been labelled or skipped. The width
   * rule reads the confidence sequence, never the bootstrap, so a run of cheap items (a bootstrap
   * σ of 0) cannot stop it, and stopping keeps the sequence's 95% guarantee.
   *
   * @example
   * while (!session.done({ maxLabels: 500, targetHalfWidth: 0.02 })) { ... }
   * @throws InputError when a rule's value is out of range, `minLabels` is given without
   * `targetHalfWidth`, or `targetHalfWidth` is set but the loss has no per-item bounds.
   */
  done(rule: StoppingRule = {}): boolean {
    return this.estimates.done(rule, this.proposer.remaining === 0);
  }

  /**
   * What `undo()` would clear now: the last label or skip still in effect, or undefined when there
   * is none. Read-only (to undo only one's own label, pass `annotator` to `undo`).
   *
   * @example
   * const last = session.lastResolution(); // { id: 's12', label: 'positive' }, or null label for a skip
   */
  lastResolution(): Resolution | undefined {
    const index = this.state.lastResolved();
    return index === undefined ? undefined : this.resolution(index);
  }

  /** Every proposal so far, in order, with its status. */
  history(): ProposalRecord[] {
    return this.state.proposals.map((index) => this.proposalRecord(index));
  }

  /** The proposal of item `index` (proposed) with its status, as `history()` lists it. */
  private proposalRecord(index: number): ProposalRecord {
    const status = this.state.status(index) as ProposalRecord['status'];
    const annotator = this.annotators.get(index);
    return {
      ...this.proposal(index),
      status,
      ...(status === 'labelled' && { label: this.classes[this.state.label(index)] }),
      ...(annotator !== undefined && { annotator }),
    };
  }

  /**
   * Closes the journal and releases the lock (after any mutation in progress). Safe to call twice.
   *
   * @throws {SessionFileError} when the lock file cannot be removed (a file system turned
   * read-only); the session is closed all the same, and every label is saved.
   */
  async close(): Promise<void> {
    await this.queue;
    if (this.closed) return;
    this.closed = true;
    droppedSessions.unregister(this);
    this.journal.close();
    try {
      this.lock?.release();
    } catch (error) {
      const lock = this.lock as FileLock;
      throw new SessionFileError(
        `cannot remove the lock file ${lock.lockPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
          'every label is saved, and the next process to open the session takes the lock over once this one has exited',
      );
    }
  }
}

/** `options` of `record`/`skip`, checked. @throws InputError for an annotator that is not a string of 1 to 200 characters. */
function checkResolveOptions(options: ResolveOptions): ResolveOptions {
  // A misspelt annotator would record the label as nobody's, and let undo take back another annotator's.
  checkKnownKeys(options, ['annotator'] satisfies (keyof ResolveOptions)[], null);
  const { annotator } = options;
  if (annotator !== undefined && !isAnnotator(annotator))
    throw new InputError({ argument: 'annotator', expected: `a name of 1 to ${MAX_ANNOTATOR_LENGTH} characters`, received: annotator });
  return options;
}

/** The rows of a scorer's answer where its form shows them without reading it (nested arrays, a shape, a Matrix). */
function answeredRows(answer: unknown): number | undefined {
  if (Array.isArray(answer)) return answer.length;
  if (typeof answer !== 'object' || answer === null) return undefined;
  if ('rows' in answer && typeof answer.rows === 'number') return answer.rows;
  if ('shape' in answer && Array.isArray(answer.shape)) return answer.shape[0] as number;
  return undefined;
}
