import { InputError } from '../errors.js';
import { SessionStateError } from './errors.js';

/** Where an item of a session's pool stands. */
export type ItemStatus = 'unproposed' | 'pending' | 'labelled' | 'skipped';

/** What an undo cleared: the item, its place among the proposals, and its label (-1 for a skip). */
export interface Reopened {
  index: number;
  position: number;
  label: number;
}

const UNPROPOSED = 0;
const PENDING = 1;
const LABELLED = 2;
const SKIPPED = 3;
const STATUS_NAMES: readonly ItemStatus[] = ['unproposed', 'pending', 'labelled', 'skipped'];

/**
 * The labelling state of a session's pool, and nothing else: which items were proposed and in
 * what order (with each one's proposal probability), which are labelled (and with which class),
 * skipped or still pending, and the stack of resolutions that `undo` pops. Every transition
 * checks that the state allows it and changes nothing when it throws. No I/O, no randomness, no
 * estimates: the session journals each transition, draws the proposals, and estimates from here.
 *
 * Transitions: `propose` (unproposed → pending), `record` and `skip` (pending → labelled or
 * skipped, pushed on the resolution stack), `undo` (pops the last resolution: back to pending).
 *
 * @example
 * const state = new SessionState(['a', 'b', 'c'], 2);
 * state.propose(1, 0.5);
 * state.record(1, 0);
 * state.undo(); // { index: 1, position: 0, label: 0 }; item 'b' is pending again
 */
export class SessionState {
  /** Pool size N. */
  readonly size: number;
  private readonly codes: Uint8Array;
  private readonly labels: Int32Array;
  private readonly positions: Int32Array;
  private readonly order: number[] = [];
  private readonly probabilities: number[] = [];
  /** Items labelled or skipped, in the order it happened (undo pops). */
  private readonly resolutions: number[] = [];
  private skippedCount = 0;
  private skipChangeCount = 0;
  private recordedCount = 0;
  /** A prefix of the proposals known to be all resolved (where scans for pending items start). */
  private settled = 0;

  /**
   * @param ids - the items' ids, which error messages name.
   * @param classCount - K: labels are class indices in [0, K).
   */
  constructor(
    private readonly ids: readonly string[],
    private readonly classCount: number,
  ) {
    this.size = ids.length;
    this.codes = new Uint8Array(this.size);
    this.labels = new Int32Array(this.size).fill(-1);
    this.positions = new Int32Array(this.size).fill(-1);
  }

  /** Where item `index` stands. */
  status(index: number): ItemStatus {
    return STATUS_NAMES[this.codes[index]];
  }

  /** The class index of a labelled item; -1 otherwise. */
  label(index: number): number {
    return this.labels[index];
  }

  /** The item's 0-based draw number; -1 while unproposed. */
  position(index: number): number {
    return this.positions[index];
  }

  /** The items in the order they were proposed. */
  get proposals(): readonly number[] {
    return this.order;
  }

  /** The proposal probability of draw number `position`. */
  probability(position: number): number {
    return this.probabilities[position];
  }

  /** Labels in effect. */
  get recorded(): number {
    return this.recordedCount;
  }

  /** Items skipped (out of the pool). */
  get skipped(): number {
    return this.skippedCount;
  }

  /**
   * Skips and undone skips so far: changes whenever the set of skipped items does, which their
   * count alone does not tell (undo one skip, skip another item).
   */
  get skipChanges(): number {
    return this.skipChangeCount;
  }

  /** Items proposed and not yet labelled or skipped. */
  get pending(): number {
    return this.order.length - this.recordedCount - this.skippedCount;
  }

  /**
   * Records that item `index` was drawn with proposal probability `probability`.
   *
   * @throws {SessionStateError} when the item was proposed already.
   */
  propose(index: number, probability: number): void {
    this.checkIndex(index);
    if (this.codes[index] !== UNPROPOSED) throw new SessionStateError(`cannot propose item ${this.ids[index]}: it was proposed already`);
    this.positions[index] = this.order.length;
    this.order.push(index);
    this.probabilities.push(probability);
    this.codes[index] = PENDING;
  }

  /**
   * Throws unless item `index` is pending, so that `action` ('label', 'skip') may resolve it.
   *
   * @throws {SessionStateError} naming the item and why not.
   */
  checkResolvable(index: number, action: string): void {
    this.checkIndex(index);
    const code = this.codes[index];
    if (code === PENDING) return;
    const id = this.ids[index];
    if (code === UNPROPOSED) throw new SessionStateError(`cannot ${action} item ${id}: it has not been proposed`);
    throw new SessionStateError(
      `cannot ${action} item ${id}: it is already ${code === LABELLED ? 'labelled' : 'skipped'} (undo first to change it)`,
    );
  }

  /**
   * Labels pending item `index` with class `label`.
   *
   * @throws {SessionStateError} when the item is not pending.
   * @throws {InputError} when `label` is not a class index.
   */
  record(index: number, label: number): void {
    this.checkResolvable(index, 'label');
    if (!(Number.isInteger(label) && label >= 0 && label < this.classCount)) {
      throw new InputError({ argument: 'label', expected: `a class index in [0, ${this.classCount - 1}]`, received: label });
    }
    this.codes[index] = LABELLED;
    this.labels[index] = label;
    this.resolutions.push(index);
    this.recordedCount++;
  }

  /**
   * Skips pending item `index`: it leaves the pool.
   *
   * @throws {SessionStateError} when the item is not pending.
   */
  skip(index: number): void {
    this.checkResolvable(index, 'skip');
    this.codes[index] = SKIPPED;
    this.resolutions.push(index);
    this.skippedCount++;
    this.skipChangeCount++;
  }

  /** The item `undo` would reopen: the last label or skip in effect, or undefined. */
  lastResolved(): number | undefined {
    return this.resolutions[this.resolutions.length - 1];
  }

  /**
   * Reopens the last labelled or skipped item: it is pending again, at its old position.
   *
   * @throws {SessionStateError} when nothing is labelled or skipped.
   */
  undo(): Reopened {
    const index = this.resolutions.pop();
    if (index === undefined) throw new SessionStateError('nothing to undo');
    const label = this.labels[index];
    if (this.codes[index] === SKIPPED) {
      this.skippedCount--;
      this.skipChangeCount++;
    } else this.recordedCount--;
    this.codes[index] = PENDING;
    this.labels[index] = -1;
    const position = this.positions[index];
    if (position < this.settled) this.settled = position;
    return { index, position, label };
  }

  /** The first `limit` pending items, in proposal order. */
  pendingItems(limit: number): number[] {
    this.settle();
    const out: number[] = [];
    for (let p = this.settled; p < this.order.length && out.length < limit; p++) {
      const index = this.order[p];
      if (this.codes[index] === PENDING) out.push(index);
    }
    return out;
  }

  /**
   * The positions of the pending proposals that precede a labelled or skipped one, in order: those
   * the estimate waits for. Scans only the proposals after the resolved prefix, in the state's own
   * arrays, so a page asking after every label costs no record per proposal.
   */
  waitingPositions(): number[] {
    this.settle();
    const pending: number[] = [];
    let lastResolved = -1;
    for (let p = this.settled; p < this.order.length; p++) {
      if (this.codes[this.order[p]] === PENDING) pending.push(p);
      else lastResolved = p;
    }
    return pending.filter((p) => p < lastResolved);
  }

  /** Moves `settled` past the proposals resolved since. */
  private settle(): void {
    while (this.settled < this.order.length && this.codes[this.order[this.settled]] !== PENDING) this.settled++;
  }

  private checkIndex(index: number): void {
    if (!(Number.isInteger(index) && index >= 0 && index < this.size)) {
      throw new InputError({ argument: 'index', expected: `a pool row in [0, ${this.size - 1}]`, received: index });
    }
  }
}
