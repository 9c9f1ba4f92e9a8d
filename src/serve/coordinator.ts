import { createHash } from 'node:crypto';
import { ActiveTestingError, InputError, ReceivedKind } from '../errors.js';
import { SessionStateError, SessionWriteError } from '../session/errors.js';
import {
  sessionReadsOf,
  type ActiveTestingSession,
  type ProposalRecord,
  type SessionEstimate,
  type SessionReads,
  type StoppingRule,
} from '../session/session.js';
import { formatCount } from '../io/format-count.js';
import { progress } from './estimate-display.js';
import { accuracyInterval, budgetIntervals, displayedEstimate, riskInterval } from './interval.js';
import { MAX_OPEN_TABS, TAB_FORGOTTEN_MS, type ClientView, type PageItem, type PlotPoint, type PublicState } from './protocol.js';
import { stopCause } from '../stopping.js';

export type { ClientView, PageItem, PlotPoint, PublicState } from './protocol.js';

/** An action the session state refuses (another annotator has the item, nothing of yours to undo): HTTP 409. */
export class ConflictError extends SessionStateError {
  override name = 'ConflictError';
}

/**
 * The session closed itself after a failed write, so nothing more can be saved until the server is
 * restarted: HTTP 503 (the server's trouble, not a conflict the annotator can resolve). The message
 * is what every page shows, so it leaves out the file system's reason, which names the session's
 * path on the server; the server's own console prints `operatorMessage`, which gives it.
 */
export class SessionStoppedError extends ActiveTestingError {
  override name = 'SessionStoppedError';
  /** The message with the reason the write failed, for the server's operator. */
  readonly operatorMessage: string;
  constructor(readonly failure: SessionWriteError) {
    const restart = 'so no more labels can be saved: restart `active-testing serve` and open the URL it prints';
    super(`the session file could not be written on the server, ${restart} (the server's console says why)`);
    this.operatorMessage = `the session file could not be written (${failure.reason}), ${restart}`;
  }
}

interface Assignment {
  client: string;
  /** When the annotator last touched it (ms). */
  touched: number;
}

/** The longest item id the page sends back, in characters and as JSON (control characters take 6 bytes there): within the request body limit. */
const MAX_ID_LENGTH = 1000;
const MAX_ID_JSON_BYTES = 3000;

/**
 * Refuses a pool with an id longer than the page sends back: its item could be shown but never
 * labelled or skipped. `serve` checks a pool with it before it creates the session.
 *
 * @throws {InputError} naming the first such item.
 * @example
 * checkBrowserIds(['a', 'x'.repeat(1001)]); // InputError: session ids: expected ids of at most 1000 characters
 */
export function checkBrowserIds(ids: readonly string[]): void {
  const tooLong = ids.findIndex((id) => id.length > MAX_ID_LENGTH || Buffer.byteLength(JSON.stringify(id)) > MAX_ID_JSON_BYTES);
  if (tooLong < 0) return;
  throw new InputError({
    argument: 'session ids',
    expected: `ids of at most ${MAX_ID_LENGTH} characters (${MAX_ID_JSON_BYTES} bytes as JSON) to label in the browser (\`active-testing label\` takes any)`,
    received: ReceivedKind.noted(ids[tooLong], `item ${tooLong}'s id`),
  });
}

/**
 * The annotator name the session file keeps for a browser: a digest of its client id, so that the
 * file does not hold the cookie itself, and the same browser is recognised after a restart.
 */
function annotatorOf(client: string): string {
  return `browser ${createHash('sha256').update(client).digest('hex').slice(0, 16)}`;
}

/** Plot points kept at most; older points are thinned to every other one. */
const MAX_POINTS = 400;

/**
 * How long an item stays with an annotator whose last page closed before another may take it: a
 * reload closes the page, then asks for the item again (after loading the page's script afresh).
 */
export const LEAVE_GRACE_MS = 15_000;

/** A page's tab id as the page sends it (`X-Tab`): lowercase letters, digits and dashes. */
const TAB_ID = /^[a-z0-9-]{1,64}$/;

function checkTab(tab: string, argument = 'X-Tab'): string {
  if (!TAB_ID.test(tab))
    throw new InputError({ argument, expected: 'a tab id: 1 to 64 lowercase letters, digits or dashes', received: tab });
  return tab;
}

/** A browser's tabs as the server knows them: when each live one asked, and when each that said it closed did. */
interface BrowserTabs {
  /**
   * Tab id → the request counter (`heardCount`) at its first and latest requests, and the time of
   * the latest; least recently heard first.
   */
  heard: Map<string, { first: number; order: number; at: number }>;
  /** Tab id → when it said it closed. */
  closed: Map<string, number>;
}

/**
 * Shares one session among several annotators: each gets its own proposal (the session's
 * pending proposals in order, then new draws), an item is with one annotator at a time, and a
 * label for an item someone else has or has labelled is refused. Actions run one at a time in the
 * session, and each resolves only after the session has journaled (fsynced) it.
 *
 * @example
 * const coordinator = new AnnotationCoordinator(session, { maxLabels: 200 });
 * const { item } = await coordinator.view('browser-1');
 * await coordinator.label('browser-1', item.id, 0);
 */
export class AnnotationCoordinator {
  private readonly assignments = new Map<string, Assignment>();
  private readonly itemOf = new Map<string, string>();
  /** When each browser last asked for its view or sent an answer (`now()`), for the annotator count. */
  private readonly lastSeen = new Map<string, number>();
  /** When each annotator's last page closed (`leave`), until their next request. */
  private readonly leftAt = new Map<string, number>();
  /** Each annotator's tabs as their requests and leaves tell (`heard`, `leave`). */
  private readonly tabs = new Map<string, BrowserTabs>();
  /** Requests heard so far: orders the tabs' latest requests. */
  private heardCount = 0;
  private points: PlotPoint[] = [];
  private readonly plotStartedAt: number;
  private version = 0;
  private cached: PublicState | undefined;
  private readonly listeners = new Set<(state: PublicState) => void>();
  private stopped: SessionStoppedError | undefined;
  private readonly stopListeners = new Set<(error: SessionStoppedError) => void>();
  /** The labels, skips and undos sent to the session that it has not finished yet. */
  private readonly writes = new Set<Promise<unknown>>();
  /** The session's reads of one proposal and of those the estimate waits for, made at every answer without a pass over its history. */
  private readonly reads: SessionReads;

  /**
   * @param leaseMs how long an item stays with an annotator who does nothing before another may take it.
   * @param later runs an action after a delay (the end of a leave's grace); a test passes its own clock's.
   * @throws {InputError} when an item's id is longer than the page sends back (`checkBrowserIds`).
   */
  constructor(
    private readonly session: ActiveTestingSession,
    /** The stopping rule the session is labelled to. */
    readonly rule: StoppingRule = {},
    private readonly leaseMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
    private readonly later: (action: () => void, ms: number) => void = (action, ms) => void setTimeout(action, ms).unref(),
  ) {
    checkBrowserIds(session.ids);
    this.reads = sessionReadsOf(session);
    const estimate = session.estimate();
    this.plotStartedAt = estimate.labels;
    this.addPoint(estimate);
  }

  /** Calls `listener` with the new state after every change; returns the unsubscribe function. */
  subscribe(listener: (state: PublicState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` once, when a failed write stops the session; returns the unsubscribe function. */
  onStopped(listener: (error: SessionStoppedError) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  /** The shared state (cached between changes). */
  state(): PublicState {
    this.cached ??= this.buildState();
    return this.cached;
  }

  /** This annotator's view: the item it has, or a new one. */
  async view(client: string): Promise<ClientView> {
    return this.running(async () => {
      this.lastSeen.set(client, this.now());
      const item = await this.itemFor(client);
      return { state: this.state(), item };
    });
  }

  /**
   * Records the label (class index) of an item this annotator has.
   * @throws InputError for a malformed id or class; ConflictError when another annotator has or
   * labelled the item; SessionStoppedError once a failed write has closed the session.
   */
  async label(client: string, id: unknown, label: unknown): Promise<ClientView> {
    return this.running(async () => {
      const itemId = this.checkItem(client, id);
      if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= this.session.classes.length) {
        throw new InputError({
          argument: 'label',
          expected: `a class index in [0, ${this.session.classes.length - 1}]`,
          received: label as number,
        });
      }
      const answer = this.session.classes[label];
      if (!(await this.resolve(client, () => this.session.record(itemId, label, { annotator: annotatorOf(client) }), itemId, answer)))
        return this.unchanged(client);
      return this.afterChange(client, itemId);
    });
  }

  /** Skips an item this annotator has (it leaves the pool). @throws as `label` does. */
  async skip(client: string, id: unknown): Promise<ClientView> {
    return this.running(async () => {
      const itemId = this.checkItem(client, id);
      if (!(await this.resolve(client, () => this.session.skip(itemId, { annotator: annotatorOf(client) }), itemId, null)))
        return this.unchanged(client);
      return this.afterChange(client, itemId);
    });
  }

  /**
   * Undoes the last label or skip of the session when this annotator made it, or when nobody is
   * named for it (one made by `label` or the library); the item comes back to them. Who made a
   * label is kept in the session file, so a restart changes nothing. With `resolved`, the number of
   * labels and skips recorded (`recorded + skipped`) that the annotator saw when asking, it undoes
   * only while that is still the count: an undo sent twice (two tabs, a script sending again) then
   * takes back one label, not two. Without it, it undoes whatever is the annotator's last action.
   * @throws InputError when `resolved` is not a count; ConflictError when there is nothing to undo,
   * the last action was another annotator's, the count is no longer `resolved`, or (with
   * `resolved`) another label, skip or undo began while it waited for those under way when it came;
   * SessionStoppedError once a failed write has closed the session.
   */
  async undo(client: string, resolved?: unknown): Promise<ClientView> {
    return this.running(async () => {
      if (resolved !== undefined) {
        if (typeof resolved !== 'number' || !Number.isInteger(resolved) || resolved < 0)
          throw new InputError({
            argument: 'resolved',
            expected: 'the number of labels and skips recorded when the undo was asked (an integer, 0 or more)',
            received: resolved as number,
          });
        // Checked with no label, skip or undo of this server waiting in the session, and the undo
        // queued in the same step: none can come between the check and the undo. Those under way
        // when it came are waited for once; one begun since would change the count, so it is
        // refused now rather than waited for (annotators labelling all the time would hold it).
        if (this.writes.size > 0) {
          await Promise.allSettled([...this.writes]);
          if (this.writes.size > 0)
            throw new ConflictError('nothing undone: another label, skip or undo was being saved meanwhile; ask again');
        }
        const { recorded, skipped } = this.session.estimate();
        if (recorded + skipped !== resolved)
          throw new ConflictError(
            `nothing undone: the page showed ${formatCount(resolved, 'label or skip', 'labels and skips')}, the session now has ${recorded + skipped} (one was undone or added meanwhile)`,
          );
      }
      const undone = await this.writing(this.session.undo({ annotator: annotatorOf(client) })).catch((error: unknown) => {
        throw error instanceof SessionStateError && !(error instanceof SessionWriteError) ? new ConflictError(error.message) : error;
      });
      this.release(client);
      this.assign(undone.id, client);
      this.lastSeen.set(client, this.now());
      this.changed();
      return { state: this.state(), item: this.pageItem(undone.id) };
    });
  }

  /**
   * Notes a request of this annotator's from page tab `tab` (the page's own id; undefined from a
   * client that sends none), before it is acted on: they are back if their last page had closed.
   * @throws InputError when `tab` is not a tab id.
   */
  heard(client: string, tab: string | undefined): void {
    if (tab !== undefined) {
      checkTab(tab);
      const tabs = this.tabsOf(client);
      // A request of a closed tab, sent before its leave on another connection and arriving after
      // it: the page is gone all the same (a page the browser keeps to go back to, shown again,
      // takes a new tab id).
      if (tabs.closed.has(tab)) return;
      const order = ++this.heardCount;
      const first = tabs.heard.get(tab)?.first ?? order;
      // Taken out and put back: the map stays least recently heard first.
      tabs.heard.delete(tab);
      tabs.heard.set(tab, { first, order, at: this.now() });
      // A script sending a new id with every request would otherwise fill the map for 150 s.
      if (tabs.heard.size > MAX_OPEN_TABS) tabs.heard.delete(tabs.heard.keys().next().value as string);
    }
    // Counted as gone once the grace had passed: then the pages hear that they are back.
    const wasGone = this.gone(client);
    if (this.leftAt.delete(client) && wasGone && this.stopped === undefined) this.changed(false);
  }

  /**
   * Says that this annotator's page tab `tab` has closed, and which other tabs of theirs it knew
   * open (`openTabs`). When no tab of theirs is still open (`stillOpen`), the item they hold (or get
   * from a label still being saved) goes to another annotator once `LEAVE_GRACE_MS` pass without a
   * request of theirs, not when its lease ends, and they no longer count as active; the pages hear
   * of it then. Without `tab` (a script), only the tabs it names count as open.
   * @throws InputError when `tab` or an open tab is not a tab id, or more than 64 are named;
   * SessionStoppedError once a failed write has closed the session.
   */
  async leave(client: string, tab: string | undefined, openTabs: readonly string[] = []): Promise<void> {
    return this.running(async () => {
      if (tab !== undefined) checkTab(tab);
      if (openTabs.length > MAX_OPEN_TABS)
        throw new InputError({ argument: 'X-Open-Tabs', expected: `at most ${MAX_OPEN_TABS} tab ids`, received: openTabs.length });
      for (const open of openTabs) checkTab(open, 'X-Open-Tabs');
      // The tab is noted closed even when the browser has already left: its late requests change nothing.
      const open = this.stillOpen(client, tab, openTabs);
      if (open || !this.lastSeen.has(client) || this.leftAt.has(client)) return;
      const at = this.now();
      this.leftAt.set(client, at);
      this.later(() => {
        if (this.leftAt.get(client) === at && this.stopped === undefined) this.changed(false);
      }, LEAVE_GRACE_MS);
    });
  }

  /**
   * Notes that `tab` closed, and says whether a tab of the browser is still open: one the closing
   * page knew of (`openTabs`), or one heard within `TAB_FORGOTTEN_MS` that asked after the closing
   * tab last did or opened after it did (a reloaded page's, its old page's leave or last request
   * arriving late; a new tab not yet known to the others), and that has not said it closed. The
   * tabs of a window closed at once each name the others: the last leave to arrive finds them all
   * closed. Without `tab`, only `openTabs` count.
   */
  private stillOpen(client: string, tab: string | undefined, openTabs: readonly string[]): boolean {
    const tabs = this.tabsOf(client);
    const closing = tab === undefined ? undefined : (tabs.heard.get(tab) ?? { first: 0, order: 0 });
    if (tab !== undefined) {
      tabs.heard.delete(tab);
      tabs.closed.set(tab, this.now());
      if (tabs.closed.size > MAX_OPEN_TABS) tabs.closed.delete(tabs.closed.keys().next().value as string);
    }
    if (openTabs.some((open) => !tabs.closed.has(open))) return true;
    if (closing === undefined) return false;
    // tabsOf has forgotten the tabs not heard within TAB_FORGOTTEN_MS.
    for (const { first, order } of tabs.heard.values()) if (order > closing.order || first > closing.first) return true;
    return false;
  }

  /** `client`'s tabs, those heard or closed more than `TAB_FORGOTTEN_MS` ago forgotten. */
  private tabsOf(client: string): BrowserTabs {
    let tabs = this.tabs.get(client);
    if (tabs === undefined) {
      tabs = { heard: new Map(), closed: new Map() };
      this.tabs.set(client, tabs);
    }
    const now = this.now();
    for (const [tab, { at }] of tabs.heard) if (now - at > TAB_FORGOTTEN_MS) tabs.heard.delete(tab);
    for (const [tab, at] of tabs.closed) if (now - at > TAB_FORGOTTEN_MS) tabs.closed.delete(tab);
    return tabs;
  }

  /** Whether `client`'s last page closed at least `LEAVE_GRACE_MS` ago, and they have not been back. */
  private gone(client: string): boolean {
    const left = this.leftAt.get(client);
    return left !== undefined && this.now() - left >= LEAVE_GRACE_MS;
  }

  /** Keeps `write` (a label, skip or undo under way in the session) in `writes` until it settles. */
  private writing<T>(write: Promise<T>): Promise<T> {
    this.writes.add(write);
    const settled = (): void => void this.writes.delete(write);
    write.then(settled, settled);
    return write;
  }

  /**
   * Runs an annotator's action unless the session has stopped. A failed write closes the session,
   * so from then on every action, viewing included (the item shown could not be labelled), is
   * refused with one error that says the server must be restarted; the listeners hear of it once.
   */
  private async running<T>(action: () => Promise<T>): Promise<T> {
    if (this.stopped !== undefined) throw this.stopped;
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof SessionWriteError)) throw error;
      if (this.stopped === undefined) {
        this.stopped = new SessionStoppedError(error);
        for (const listener of this.stopListeners) listener(this.stopped);
      }
      throw this.stopped;
    }
  }

  private checkItem(client: string, id: unknown): string {
    if (typeof id !== 'string') throw new InputError({ argument: 'id', expected: 'the id of the item shown (a string)', received: id });
    if (id.length === 0 || id.length > MAX_ID_LENGTH)
      throw new InputError({ argument: 'id', expected: `the id of the item shown (at most ${MAX_ID_LENGTH} characters)`, received: id });
    // A malformed request is no annotator at work; an answer, even one refused below, is.
    this.lastSeen.set(client, this.now());
    const holder = this.assignments.get(id);
    if (holder !== undefined && holder.client !== client && !this.expired(holder)) {
      throw new ConflictError(`item ${id} is with another annotator`);
    }
    return id;
  }

  /**
   * Runs the label or skip `action` for item `id`; returns false, writing nothing, when this
   * annotator already gave this very answer (`answer`: the class name, null for a skip). A page
   * sends an answer again when the first response never came back (a save that timed out is
   * retried): it then gets its view as if the first had answered. A different answer, or one for
   * an item someone else answered, is refused.
   */
  private async resolve(client: string, action: () => Promise<void>, id: string, answer: string | null): Promise<boolean> {
    try {
      await this.writing(action());
      return true;
    } catch (error) {
      if (error instanceof SessionStateError && /already (labelled|skipped)/.test(error.message)) {
        const proposal = this.reads.proposal(id);
        const by = proposal?.annotator;
        const same = answer === null ? proposal?.status === 'skipped' : proposal?.status === 'labelled' && proposal.label === answer;
        if (by === annotatorOf(client) && same) return false;
        const who = by === undefined ? '' : by === annotatorOf(client) ? ' (by you)' : ' by another annotator';
        throw new ConflictError(`item ${id} was already labelled or skipped${who}`);
      }
      throw error;
    }
  }

  /** This annotator's view after an action that changed nothing: the item it has now. */
  private async unchanged(client: string): Promise<ClientView> {
    const item = await this.itemFor(client);
    return { state: this.state(), item };
  }

  private async afterChange(client: string, id: string): Promise<ClientView> {
    const holder = this.assignments.get(id);
    if (holder !== undefined) this.release(holder.client);
    this.changed();
    const item = await this.itemFor(client);
    return { state: this.state(), item };
  }

  /** Announces a new state to every page; `estimateChanged` false for a new draw, which adds no plot point. */
  private changed(estimateChanged = true): void {
    this.version++;
    this.cached = undefined;
    if (estimateChanged) this.addPoint(this.session.estimate());
    const state = this.state();
    for (const listener of this.listeners) listener(state);
  }

  private addPoint(estimate: SessionEstimate): void {
    while (this.points.length > 0 && this.points[this.points.length - 1].labels >= estimate.labels) this.points.pop();
    if (estimate.labels === 0) return;
    const { lower, upper } = riskInterval(estimate);
    this.points.push({ labels: estimate.labels, value: estimate.risk.value, lower, upper });
    if (this.points.length > MAX_POINTS) this.points = this.points.filter((_, i) => i % 2 === 1 || i === this.points.length - 1);
  }

  /**
   * The browsers seen within the lease (10 minutes by default): a count of everyone who ever opened
   * the page would only grow over a long session, and say nothing of who is labelling now.
   */
  private activeAnnotators(): number {
    const now = this.now();
    for (const [client, seen] of this.lastSeen) if (now - seen > this.leaseMs) this.lastSeen.delete(client);
    // Those not seen within the lease hold nothing that has not expired: forgotten with them.
    for (const map of [this.leftAt, this.tabs]) for (const client of map.keys()) if (!this.lastSeen.has(client)) map.delete(client);
    let gone = 0;
    for (const client of this.leftAt.keys()) if (this.gone(client)) gone++;
    return this.lastSeen.size - gone;
  }

  private expired(assignment: Assignment): boolean {
    return this.now() - assignment.touched > this.leaseMs || this.gone(assignment.client);
  }

  /** The assigned items whose annotator may still keep them from another (not `expired`). */
  private heldCount(): number {
    let held = 0;
    for (const assignment of this.assignments.values()) if (!this.expired(assignment)) held++;
    return held;
  }

  private assign(id: string, client: string): void {
    this.assignments.set(id, { client, touched: this.now() });
    this.itemOf.set(client, id);
  }

  private release(client: string): void {
    const id = this.itemOf.get(client);
    if (id === undefined) return;
    this.itemOf.delete(client);
    if (this.assignments.get(id)?.client === client) this.assignments.delete(id);
  }

  private pageItem(id: string): PageItem {
    const proposal = this.reads.proposal(id) as ProposalRecord;
    return { id, text: proposal.text, position: proposal.position };
  }

  private async itemFor(client: string): Promise<PageItem | null> {
    const current = this.itemOf.get(client);
    const held = current === undefined ? undefined : this.assignments.get(current);
    if (current !== undefined && held?.client === client) {
      held.touched = this.now();
      return this.proposalItem(current);
    }
    this.release(client);
    if (this.session.done(this.rule)) return null;
    // Every assigned item is pending, so one more than the items held (those whose lease or page
    // has not lapsed) holds an item nobody may keep from this annotator (unless the pool ran out,
    // or the label budget is spent: see `budgetLeft`). Counting the lapsed ones too would draw an
    // item while one of them is free, spending a draw a single annotator (or `simulate`) would not.
    // Others may take those items while this draw waits its turn in the session (behind a label
    // whose target is being scored), so when none is left, ask again for one more than are held then.
    let asked = 0;
    for (;;) {
      const count = Math.min(this.heldCount() + 1, this.budgetLeft());
      if (count <= asked) return null;
      asked = count;
      const open = this.session.estimate().pending;
      const proposals = await this.session.next(count);
      for (const proposal of proposals) {
        const holder = this.assignments.get(proposal.id);
        if (holder === undefined || this.expired(holder)) {
          if (holder !== undefined) this.itemOf.delete(holder.client);
          this.assign(proposal.id, client);
          // A new draw changes the open count: every page hears of it, or the last state pushed (the
          // one before the draw) would show one open item too few next to the item it shows.
          if (this.session.estimate().pending !== open) this.changed(false);
          const item = { id: proposal.id, text: proposal.text, position: proposal.position };
          this.proposals.set(proposal.id, item);
          return item;
        }
      }
      if (proposals.length < count || this.session.done(this.rule)) return null;
    }
  }

  /**
   * How many items may be handed out now: the open proposals, plus new draws only while the labels
   * recorded and the items open stay within `maxLabels`. The rule counts the labels in the
   * estimate, which waits for the earliest open item, so without this cap an item someone keeps
   * open (a tab left open or closed, for up to the lease) would let the others label past the
   * budget. Skips do not count: they add no label.
   */
  private budgetLeft(): number {
    const { maxLabels } = this.rule;
    if (maxLabels === undefined) return Infinity;
    const { pending, recorded } = this.state();
    return pending + Math.max(0, maxLabels - recorded - pending);
  }

  private readonly proposals = new Map<string, PageItem>();

  private proposalItem(id: string): PageItem {
    let item = this.proposals.get(id);
    if (item === undefined) {
      item = this.pageItem(id);
      this.proposals.set(id, item);
    }
    return item;
  }

  private buildState(): PublicState {
    const estimate = this.session.estimate();
    const risk = riskInterval(estimate);
    const { comparison } = estimate;
    const done = this.session.done(this.rule);
    const doneBecause = !done ? null : stopCause(estimate, this.rule.maxLabels);
    return {
      version: this.version,
      classes: this.session.classes,
      loss: this.session.settings.loss,
      labels: estimate.labels,
      recorded: estimate.recorded,
      skipped: estimate.skipped,
      pending: estimate.pending,
      poolSize: estimate.poolSize,
      risk: { value: estimate.risk.value, ...risk },
      accuracy: { value: estimate.accuracy.value, ...accuracyInterval(estimate) },
      difference: comparison === undefined ? null : displayedEstimate(comparison.difference),
      comparison:
        comparison === undefined ? null : { risk: displayedEstimate(comparison.risk), accuracy: displayedEstimate(comparison.accuracy) },
      // Only at the budget: a stop on the width, or the pool's end, is no label count chosen before labelling.
      budgetIntervals: doneBecause === 'max-labels' ? budgetIntervals(estimate) : null,
      varianceRatio: estimate.varianceRatio,
      varianceVerdict: estimate.varianceVerdict,
      equivalentRandomLabels: estimate.equivalentRandomLabels,
      progress: progress(estimate, this.rule),
      done,
      doneBecause,
      points: this.points,
      plotStartedAt: this.plotStartedAt,
      annotators: this.activeAnnotators(),
      waitingFor: estimate.recorded > estimate.labels ? this.reads.waitingFor() : [],
    };
  }
}
