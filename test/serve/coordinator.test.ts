import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { AnnotationCoordinator, checkBrowserIds, ConflictError, LEAVE_GRACE_MS, type PublicState } from '../../src/serve/coordinator.js';
import { MAX_OPEN_TABS, TAB_FORGOTTEN_MS } from '../../src/serve/protocol.js';
import { accuracyInterval, riskInterval } from '../../src/serve/interval.js';
import { plotPlaceholder, progress } from '../../src/serve/estimate-display.js';
import type { IntervalEstimate, SessionEstimate } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

const CLASSES = ['negative', 'positive'];

/**
 * A 50-item session whose target is scored when a label arrives; after `slowDown()` each scoring
 * waits for `release()`, so a test can act while a label is being scored.
 */
async function sessionScoredOnDemand(): Promise<{ session: ActiveTestingSession; slowDown: () => void; release: () => void }> {
  const size = 50;
  const pool = syntheticPool({ poolSize: size, classCount: 2, seed: 4 });
  let slow = false;
  // The scorings held back, oldest first: release() lets the oldest go on, or the next to come
  // when none waits yet (a test may release a scoring that its call has not reached).
  const waiting: (() => void)[] = [];
  let released = 0;
  const session = await ActiveTestingSession.create(null, {
    texts: Array.from({ length: size }, (_, i) => `item ${i}`),
    classes: CLASSES,
    surrogateScores: pool.surrogateScores,
    seed: 1,
    scoreTarget: async ([text]) => {
      const i = Number(text!.slice(5));
      if (slow && released > 0) released--;
      else if (slow) await new Promise<void>((resolve) => waiting.push(resolve));
      return [Array.from(pool.modelScores.data.subarray(2 * i, 2 * i + 2))];
    },
  });
  const release = (): void => {
    const next = waiting.shift();
    if (next === undefined) released++;
    else next();
  };
  return { session, slowDown: () => (slow = true), release };
}

/** A session of `size` items on the synthetic pool, in memory or in a file named `fileName` in a new folder. */
async function poolSession(size = 200, fileName: string | null = null) {
  const pool = syntheticPool({ poolSize: size, classCount: 2, seed: 4 });
  const path = fileName === null ? null : join(mkdtempSync(join(tmpdir(), 'at-coordinator-')), fileName);
  const session = await ActiveTestingSession.create(path, {
    texts: Array.from({ length: size }, (_, i) => `item ${i}`),
    classes: CLASSES,
    modelScores: pool.modelScores,
    surrogateScores: pool.surrogateScores,
    seed: 1,
  });
  return { session, labels: pool.labels, path };
}

describe('AnnotationCoordinator', () => {
  it('refuses a session with an id longer than the page sends back, whose item could never be labelled', async () => {
    const pool = syntheticPool({ poolSize: 3, classCount: 2, seed: 4 });
    const long = 'y'.repeat(1200);
    const session = await ActiveTestingSession.create(null, {
      texts: ['a', 'b', 'c'],
      ids: ['a', long, 'c'],
      classes: CLASSES,
      modelScores: pool.modelScores,
      surrogateScores: pool.surrogateScores,
      seed: 1,
    });
    expect(() => new AnnotationCoordinator(session)).toThrow(
      `session ids: expected ids of at most 1000 characters (3000 bytes as JSON) to label in the browser (\`active-testing label\` takes any), got "${'y'.repeat(60)}"… (a string of 1200 characters) (item 1's id)`,
    );
    expect(() => checkBrowserIds(['a', 'x'.repeat(1000), 'é'.repeat(1000)])).not.toThrow();
    // 600 control characters are 3600 bytes as JSON: the page could not send the id back either.
    expect(() => checkBrowserIds(['a', '\u0001'.repeat(600)])).toThrow(/^session ids: .*\(item 1's id\)$/);
  });

  it("gives each annotator its own item, in the session's proposal order", async () => {
    const { session } = await poolSession();
    const reference = await (await poolSession()).session.next(3);
    const coordinator = new AnnotationCoordinator(session);
    const a = await coordinator.view('a');
    const b = await coordinator.view('b');
    expect(a.item?.id).toBe(reference[0].id);
    expect(b.item?.id).toBe(reference[1].id);
    // Asking again gives the same item, not a new one.
    expect((await coordinator.view('a')).item?.id).toBe(reference[0].id);
    expect(a.state.annotators).toBe(1);
    expect(coordinator.state().annotators).toBe(2);
  });

  it("shows a comparison session's difference in risk (target − comparison) and the comparison model's risk and accuracy with their named intervals, and none without one", async () => {
    const size = 200;
    const pool = syntheticPool({ poolSize: size, classCount: 2, seed: 4 });
    const other = syntheticPool({ poolSize: size, classCount: 2, seed: 9 });
    const session = await ActiveTestingSession.create(null, {
      texts: Array.from({ length: size }, (_, i) => `item ${i}`),
      classes: CLASSES,
      modelScores: pool.modelScores,
      comparisonScores: other.modelScores,
      surrogateScores: pool.surrogateScores,
      seed: 1,
    });
    const coordinator = new AnnotationCoordinator(session);
    for (let k = 0; k < 5; k++) {
      const item = (await coordinator.view('a')).item!;
      await coordinator.label('a', item.id, pool.labels[Number(item.id)]);
    }
    const difference = session.estimate().comparison!.difference;
    expect(coordinator.state().difference).toEqual({
      value: difference.value,
      lower: difference.anytime!.lower,
      upper: difference.anytime!.upper,
      name: '95% confidence sequence (anytime-valid)',
      meaning: expect.stringMatching(/^With 95% probability the true value lies in this interval at every number of labels at once/),
    });
    // Inside its sequence here (about -1.51 in [-3.23, 2.97]), so with no note to read the interval instead.
    expect(difference.anytime!.lower).toBeLessThan(difference.value);
    expect(difference.value).toBeLessThan(difference.anytime!.upper);
    const { risk, accuracy } = session.estimate().comparison!;
    const sequence = { name: '95% confidence sequence (anytime-valid)', meaning: expect.stringMatching(/^With 95% probability/) };
    expect(coordinator.state().comparison).toEqual({
      risk: { value: risk.value, lower: risk.anytime!.lower, upper: risk.anytime!.upper, ...sequence },
      accuracy: {
        value: accuracy.value,
        lower: accuracy.anytime!.lower,
        upper: accuracy.anytime!.upper,
        ...sequence,
        note: expect.stringMatching(/^The estimate lies outside the interval/),
      },
    });
    // The risk inside its sequence here (about 2.07 in [0.49, 4.50]), so with no note; the accuracy,
    // about -0.23 after 5 labels, below its [0.005, 0.86], so with the note to read the interval.
    expect(risk.anytime!.lower).toBeLessThan(risk.value);
    expect(risk.value).toBeLessThan(risk.anytime!.upper);
    expect(accuracy.value).toBeLessThan(accuracy.anytime!.lower);
    const { session: single } = await poolSession();
    expect(new AnnotationCoordinator(single).state().difference).toBeNull();
    expect(new AnnotationCoordinator(single).state().comparison).toBeNull();
  });

  it("shows the session's own variance diagnostic, its verdict included", async () => {
    const { session, labels } = await poolSession();
    const coordinator = new AnnotationCoordinator(session);
    for (let k = 0; k < 5; k++) {
      const item = (await coordinator.view('a')).item!;
      await coordinator.label('a', item.id, labels[Number(item.id)]);
    }
    const estimate = session.estimate();
    const state = coordinator.state();
    expect(state.varianceRatio).toBe(estimate.varianceRatio);
    expect(state.varianceVerdict).toBe(estimate.varianceVerdict);
    expect(['helping', 'hurting', 'no evidence yet']).toContain(state.varianceVerdict);
  });

  it('refuses a label for an item another annotator has or labelled, with a message, and records nothing', async () => {
    const { session, labels } = await poolSession();
    const coordinator = new AnnotationCoordinator(session);
    const a = (await coordinator.view('a')).item!;
    const b = (await coordinator.view('b')).item!;
    await expect(coordinator.label('b', a.id, 0)).rejects.toThrow(new ConflictError(`item ${a.id} is with another annotator`));
    const after = await coordinator.label('a', a.id, labels[Number(a.id)]);
    expect(after.state.recorded).toBe(1);
    await expect(coordinator.label('b', a.id, 0)).rejects.toThrow(`item ${a.id} was already labelled or skipped by another annotator`);
    await expect(coordinator.label('a', a.id, 1 - labels[Number(a.id)])).rejects.toThrow(
      `item ${a.id} was already labelled or skipped (by you)`,
    );
    await expect(coordinator.label('b', b.id, 2)).rejects.toThrow(/label: expected a class index in \[0, 1\]/);
    // A number is reported as the number it is, not as the string it would be (which could be an id).
    await expect(coordinator.label('b', 42, 0)).rejects.toThrow(
      new InputError({ argument: 'id', expected: 'the id of the item shown (a string)', received: 42 }),
    );
    await expect(coordinator.skip('b', 42)).rejects.toThrow('id: expected the id of the item shown (a string), got 42');
    await expect(coordinator.skip('b', [b.id])).rejects.toThrow(`id: expected the id of the item shown (a string), got ["${b.id}"]`);
    // An id longer than any is described, not echoed whole into the one-line message.
    const long = coordinator.label('b', 'x'.repeat(3000), 0);
    await expect(long).rejects.toThrow(InputError);
    await expect(long).rejects.toThrow(
      /^id: expected the id of the item shown \(at most 1000 characters\), got "x{60}"… \(a string of 3000 characters\)$/,
    );
    expect(session.estimate().recorded).toBe(1);
  });

  it('answers a label or skip sent again by the same annotator (a retried save) as the first, writing nothing twice', async () => {
    const { session, path } = await poolSession(50, 'retry.session');
    const coordinator = new AnnotationCoordinator(session);
    const seen: PublicState[] = [];
    coordinator.subscribe((state) => seen.push(state));
    const a = (await coordinator.view('a')).item!;
    const first = await coordinator.label('a', a.id, 1);
    const announced = seen.length;
    const again = await coordinator.label('a', a.id, 1);
    expect(again).toEqual(first);
    expect(seen).toHaveLength(announced);
    const b = first.item!;
    const skipped = await coordinator.skip('a', b.id);
    expect(await coordinator.skip('a', b.id)).toEqual(skipped);
    // A different answer is still refused, as is the same answer from another annotator.
    await expect(coordinator.label('a', a.id, 0)).rejects.toThrow(`item ${a.id} was already labelled or skipped (by you)`);
    await expect(coordinator.label('a', b.id, 1)).rejects.toThrow(`item ${b.id} was already labelled or skipped (by you)`);
    await expect(coordinator.skip('a', a.id)).rejects.toThrow(`item ${a.id} was already labelled or skipped (by you)`);
    await expect(coordinator.label('b', a.id, 1)).rejects.toThrow(`item ${a.id} was already labelled or skipped by another annotator`);
    await session.close();
    const events = readFileSync(path as string, 'utf8')
      .split('\n')
      .slice(1)
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { e: string }).e);
    expect(events.filter((e) => e === 'label')).toHaveLength(1);
    expect(events.filter((e) => e === 'skip')).toHaveLength(1);
  });

  it('names the open items the estimate waits for: those before a recorded label', async () => {
    const { session, labels } = await poolSession();
    const coordinator = new AnnotationCoordinator(session);
    const a = (await coordinator.view('a')).item!;
    const b = (await coordinator.view('b')).item!;
    expect(coordinator.state().waitingFor).toEqual([]);
    const c = (await coordinator.label('b', b.id, labels[Number(b.id)])).item!;
    expect(coordinator.state()).toMatchObject({ labels: 0, recorded: 1, waitingFor: [a.position] });
    await coordinator.label('b', c.id, labels[Number(c.id)]);
    expect(coordinator.state()).toMatchObject({ labels: 0, recorded: 2, waitingFor: [a.position] });
    await coordinator.label('a', a.id, labels[Number(a.id)]);
    expect(coordinator.state()).toMatchObject({ labels: 3, recorded: 3, waitingFor: [] });
    // The estimate jumped from 0 to 3 labels: one point, and still a plot from the first label, not a restart.
    expect(coordinator.state()).toMatchObject({ points: [{ labels: 3 }], plotStartedAt: 0 });
    expect(plotPlaceholder(3, 1, coordinator.state().plotStartedAt, false)).toBe(
      'The plot of the estimate and its interval appears after the next label.',
    );
    // A server started on the session now (a restart) plots from its 3 labels.
    expect(new AnnotationCoordinator(session).state()).toMatchObject({ points: [{ labels: 3 }], plotStartedAt: 3 });
  });

  it('answers without a pass over the whole history while an open item holds the estimate back', async () => {
    // A page keeps its item open (a coffee break) while another labels on: every answer named the
    // items waited for, and an undo its item, from history(), a record per proposal each time
    // (15 ms an answer at 5,000 proposals).
    const { session, labels } = await poolSession();
    const coordinator = new AnnotationCoordinator(session);
    const held = (await coordinator.view('a')).item!;
    let item = (await coordinator.view('b')).item!;
    const history = vi.spyOn(session, 'history');
    for (let n = 0; n < 20; n++) item = (await coordinator.label('b', item.id, labels[Number(item.id)])).item!;
    const undone = await coordinator.undo('b');
    expect(history).not.toHaveBeenCalled();
    history.mockRestore();
    // What the pages show is what history() says.
    const records = session.history();
    const last = records.reduce((found, record, k) => (record.status === 'pending' ? found : k), -1);
    const waited = records.filter((record, k) => record.status === 'pending' && k < last).map((record) => record.position);
    expect(waited).toEqual([held.position]);
    expect(undone.state.waitingFor).toEqual(waited);
    const again = records.find((record) => record.id === undone.item!.id)!;
    expect(undone.item).toEqual({ id: again.id, text: again.text, position: again.position });
    expect(undone.state).toMatchObject({ labels: 0, recorded: 19, pending: 3 });
  });

  it('lets an item go to another annotator once the holder has been idle past the lease', async () => {
    const { session } = await poolSession();
    let now = 0;
    const coordinator = new AnnotationCoordinator(session, {}, 1000, () => now);
    const a = (await coordinator.view('a')).item!;
    now = 1001;
    await coordinator.label('b', a.id, 0);
    expect(session.history().find((p) => p.id === a.id)?.status).toBe('labelled');
    // a's page then gets a new item.
    expect((await coordinator.view('a')).item?.id).not.toBe(a.id);
  });

  /** A coordinator on `session` with a clock the test moves, and the actions it runs later kept until `runLater()`. */
  function withClock(session: ActiveTestingSession) {
    const clock = { now: 0 };
    let pending: { due: number; action: () => void }[] = [];
    const coordinator = new AnnotationCoordinator(
      session,
      {},
      600_000,
      () => clock.now,
      (action, ms) => pending.push({ due: clock.now + ms, action }),
    );
    const states: PublicState[] = [];
    coordinator.subscribe((state) => states.push(state));
    /** Runs the actions that are due by the clock, keeping the others. */
    const runLater = (): void => {
      const due = pending.filter((timer) => timer.due <= clock.now);
      pending = pending.filter((timer) => timer.due > clock.now);
      due.forEach((timer) => timer.action());
    };
    return { coordinator, clock, states, runLater };
  }

  it("gives an item to another annotator once the grace after its annotator's last page closed has passed", async () => {
    const { session, labels } = await poolSession();
    const { coordinator, clock, states, runLater } = withClock(session);
    const held = (await coordinator.view('a')).item!;
    const b = (await coordinator.view('b')).item!;
    await coordinator.label('b', b.id, labels[Number(b.id)]);
    // The estimate waits for a's item, drawn first.
    expect(coordinator.state()).toMatchObject({ recorded: 1, labels: 0, annotators: 2 });
    clock.now = 60_000;
    coordinator.heard('a', 'tab-1');
    await coordinator.leave('a', 'tab-1');
    // Within the grace the item stays a's, a still counts, and nothing is pushed.
    clock.now += LEAVE_GRACE_MS - 1;
    expect((await coordinator.view('c')).item?.id).not.toBe(held.id);
    expect(coordinator.state().annotators).toBe(3);
    const before = states.length;
    runLater();
    expect(states).toHaveLength(before);
    // At its end every page hears that a has gone, and the next annotator to ask gets the item.
    clock.now += 1;
    const pushed = states.length;
    runLater();
    expect(states.length).toBe(pushed + 1);
    expect(states.at(-1)).toMatchObject({ annotators: 2 });
    expect((await coordinator.view('d')).item?.id).toBe(held.id);
    expect((await coordinator.label('d', held.id, labels[Number(held.id)])).state).toMatchObject({ recorded: 2, labels: 2 });
    // a comes back: counted again, and heard of by every page.
    coordinator.heard('a', 'tab-2');
    expect(states.at(-1)).toMatchObject({ annotators: 4 });
  });

  it("draws no new item while one whose annotator's page closed is open: the one left gets it next, as `simulate` would", async () => {
    const { session, labels, path } = await poolSession(50, 'left.session');
    const { coordinator, clock, runLater } = withClock(session);
    coordinator.heard('a', 'tab-a');
    const held = (await coordinator.view('a')).item!;
    coordinator.heard('b', 'tab-b');
    const b = (await coordinator.view('b')).item!;
    await coordinator.leave('a', 'tab-a');
    clock.now += LEAVE_GRACE_MS;
    runLater();
    coordinator.heard('b', 'tab-b');
    const next = await coordinator.label('b', b.id, labels[Number(b.id)]);
    expect(next.item?.id).toBe(held.id);
    expect(next.state).toMatchObject({ recorded: 1, pending: 1 });
    await session.close();
    const events = readFileSync(path as string, 'utf8')
      .split('\n')
      .slice(1)
      .filter((line) => line !== '')
      .map((line) => {
        const { e, i } = JSON.parse(line) as { e: string; i: number };
        return `${e} ${i}`;
      });
    expect(events).toEqual([`propose ${held.id}`, `propose ${b.id}`, `label ${b.id}`]);
  });

  it('draws no new item while one whose lease ended is open', async () => {
    const { session, labels } = await poolSession();
    let now = 0;
    const coordinator = new AnnotationCoordinator(session, {}, 1000, () => now);
    const held = (await coordinator.view('a')).item!;
    const b = (await coordinator.view('b')).item!;
    now = 1001;
    const next = await coordinator.label('b', b.id, labels[Number(b.id)]);
    expect(next.item?.id).toBe(held.id);
    expect(session.history().map((record) => record.id)).toEqual([held.id, b.id]);
  });

  it('keeps the item of a reloaded page, whichever of its leave and its new request comes first', async () => {
    const { session } = await poolSession();
    const { coordinator, clock } = withClock(session);
    coordinator.heard('a', 'tab-1');
    const held = (await coordinator.view('a')).item!;
    // The leave first: the new page's request clears it.
    clock.now = 1000;
    await coordinator.leave('a', 'tab-1');
    coordinator.heard('a', 'tab-2');
    expect((await coordinator.view('a')).item?.id).toBe(held.id);
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('b')).item?.id).not.toBe(held.id);
    // The leave last (it came after the new page's request): from another tab than that request's, it changes nothing.
    coordinator.heard('a', 'tab-3');
    expect((await coordinator.view('a')).item?.id).toBe(held.id);
    await coordinator.leave('a', 'tab-2');
    clock.now += 2 * LEAVE_GRACE_MS;
    expect((await coordinator.view('c')).item?.id).not.toBe(held.id);
    expect(coordinator.state().annotators).toBe(3);
    // A page that was shown (asking for its item) and closed at once leaves.
    await coordinator.leave('a', 'tab-3');
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('d')).item?.id).toBe(held.id);
  });

  it('gives back the item drawn for a label or undo still being saved when the page closed', async () => {
    const { session, slowDown, release } = await sessionScoredOnDemand();
    const { coordinator, clock } = withClock(session);
    coordinator.heard('a', 'tab-1');
    const first = (await coordinator.view('a')).item!;
    slowDown();
    coordinator.heard('a', 'tab-1');
    const labelled = coordinator.label('a', first.id, 0);
    await coordinator.leave('a', 'tab-1');
    release();
    const next = (await labelled).item!;
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('b')).item?.id).toBe(next.id);
    // An undo under way when its page closes: the item it gives back is given on.
    coordinator.heard('b', 'tab-b');
    const labelling = coordinator.label('b', next.id, 1);
    release();
    await labelling;
    coordinator.heard('b', 'tab-b');
    const undoing = coordinator.undo('b');
    await coordinator.leave('b', 'tab-b');
    expect((await undoing).item?.id).toBe(next.id);
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('c')).item?.id).toBe(next.id);
  });

  it('takes the leave of the tab that asked last, and pushes nothing for a browser back within the grace', async () => {
    const { session } = await poolSession();
    const { coordinator, clock, states, runLater } = withClock(session);
    coordinator.heard('a', 'tab-1');
    const held = (await coordinator.view('a')).item!;
    coordinator.heard('a', 'tab-2');
    await coordinator.view('a');
    // tab-2 closed quietly (tab-1 was open), and tab-1, told so, asked again before it closed too.
    coordinator.heard('a', 'tab-1');
    await coordinator.view('a');
    await coordinator.leave('a', 'tab-1');
    clock.now += 1000;
    // Back within the grace (the leave was a reload's): the grace's end pushes nothing.
    coordinator.heard('a', 'tab-3');
    const pushed = states.length;
    clock.now += LEAVE_GRACE_MS;
    runLater();
    expect(states).toHaveLength(pushed);
    expect((await coordinator.view('b')).item?.id).not.toBe(held.id);
    const beforeLeave = states.length;
    await coordinator.leave('a', 'tab-3');
    clock.now += LEAVE_GRACE_MS;
    runLater();
    expect(states).toHaveLength(beforeLeave + 1);
    expect((await coordinator.view('c')).item?.id).toBe(held.id);
  });

  // A closing page's request (a state asked for as it closed) can reach the server after its leave,
  // on another connection: it cleared the leave, and the item waited for its 10-minute lease.
  it("keeps the leave through a late request of the closed tab, and clears it for the tab's page shown again under a new id", async () => {
    const { session } = await poolSession();
    const { coordinator, clock } = withClock(session);
    coordinator.heard('a', 'tab-1');
    const held = (await coordinator.view('a')).item!;
    await coordinator.leave('a', 'tab-1');
    coordinator.heard('a', 'tab-1');
    expect((await coordinator.view('a')).item?.id).toBe(held.id);
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('b')).item?.id).toBe(held.id);
    // b's page closes and the browser shows it again from its back/forward cache, as a new tab id.
    coordinator.heard('b', 'tab-b1');
    await coordinator.leave('b', 'tab-b1');
    coordinator.heard('b', 'tab-b2');
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('c')).item?.id).not.toBe(held.id);
    expect((await coordinator.view('b')).item?.id).toBe(held.id);
  });

  // Each tab of a window closed at once still knew the others as it closed, so none said it was the
  // last: the item waited for its 10-minute lease.
  it('gives the item back when every tab of a window closed at once names the others, whatever the order', async () => {
    for (const order of [
      ['tab-1', 'tab-2', 'tab-3'],
      ['tab-3', 'tab-1', 'tab-2'],
    ]) {
      const { session } = await poolSession();
      const { coordinator, clock, states, runLater } = withClock(session);
      for (const tab of ['tab-1', 'tab-2', 'tab-3']) coordinator.heard('a', tab);
      const held = (await coordinator.view('a')).item!;
      for (const [k, tab] of order.entries()) {
        await coordinator.leave(
          'a',
          tab!,
          order.filter((other) => other !== tab),
        );
        if (k === order.length - 1) break;
        // A tab is left open: the item stays with a, however long the others wait.
        clock.now += LEAVE_GRACE_MS;
        runLater();
        expect((await coordinator.view(`other-${k}`)).item?.id).not.toBe(held.id);
      }
      const pushed = states.length;
      clock.now += LEAVE_GRACE_MS;
      runLater();
      expect(states).toHaveLength(pushed + 1);
      expect((await coordinator.view('next')).item?.id).toBe(held.id);
    }
  });

  it('keeps the item while a tab the closing one named, or one that asked or opened after it, is open', async () => {
    const { session } = await poolSession();
    const { coordinator, clock } = withClock(session);
    coordinator.heard('a', 'tab-1');
    coordinator.heard('a', 'tab-2');
    const held = (await coordinator.view('a')).item!;
    // tab-1 closes naming tab-2, which stays open: nothing happens however long it waits.
    await coordinator.leave('a', 'tab-1', ['tab-2']);
    clock.now += 2 * LEAVE_GRACE_MS;
    expect((await coordinator.view('b')).item?.id).not.toBe(held.id);
    // tab-2 asked last; a tab that asked after it (a reload) counts open until it too has closed.
    coordinator.heard('a', 'tab-3');
    await coordinator.leave('a', 'tab-2');
    clock.now += 2 * LEAVE_GRACE_MS;
    expect((await coordinator.view('c')).item?.id).not.toBe(held.id);
    // A reload whose old page's last request arrived after the new page's first: the new page
    // opened after the old one did, so it counts open all the same.
    coordinator.heard('a', 'tab-4');
    coordinator.heard('a', 'tab-3');
    await coordinator.leave('a', 'tab-3');
    clock.now += 2 * LEAVE_GRACE_MS;
    expect((await coordinator.view('d')).item?.id).not.toBe(held.id);
    await coordinator.leave('a', 'tab-4');
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('e')).item?.id).toBe(held.id);
  });

  it('forgets a tab not heard for as long as the pages forget one: it no longer holds the item back', async () => {
    const { session } = await poolSession();
    const { coordinator, clock } = withClock(session);
    // tab-2 opened and asked after tab-1 did, then crashed: for TAB_FORGOTTEN_MS it counts open.
    coordinator.heard('a', 'tab-1');
    coordinator.heard('a', 'tab-2');
    const held = (await coordinator.view('a')).item!;
    clock.now += TAB_FORGOTTEN_MS;
    await coordinator.leave('a', 'tab-1');
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('b')).item?.id).not.toBe(held.id);
    // Once tab-2 has not been heard for longer, tab-1's next page closing gives the item back.
    coordinator.heard('a', 'tab-3');
    clock.now += 1;
    await coordinator.leave('a', 'tab-3');
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('c')).item?.id).toBe(held.id);
  });

  it('forgets a closed tab after as long: its id asks again as a new page', async () => {
    const { session } = await poolSession();
    const { coordinator, clock } = withClock(session);
    coordinator.heard('a', 'tab-1');
    const held = (await coordinator.view('a')).item!;
    await coordinator.leave('a', 'tab-1');
    clock.now += TAB_FORGOTTEN_MS;
    coordinator.heard('a', 'tab-1');
    expect((await coordinator.view('a')).item?.id).toBe(held.id);
    clock.now += TAB_FORGOTTEN_MS + 1;
    coordinator.heard('a', 'tab-1');
    expect((await coordinator.view('b')).item?.id).not.toBe(held.id);
  });

  it('keeps at most 64 tabs a browser was heard from, forgetting the least recently heard', async () => {
    const { session } = await poolSession();
    const { coordinator } = withClock(session);
    coordinator.heard('a', 'busy');
    for (let k = 0; k < MAX_OPEN_TABS; k++) {
      coordinator.heard('a', `script-${k}`);
      coordinator.heard('a', 'busy');
    }
    // Private, read only here: what a script sending a new id with every request leaves behind.
    const heard = (coordinator as unknown as { tabs: Map<string, { heard: Map<string, { first: number }> }> }).tabs.get('a')!.heard;
    expect(heard.size).toBe(MAX_OPEN_TABS);
    expect(heard.has('script-0')).toBe(false);
    expect(heard.get('busy')?.first).toBe(1);
  });

  it('takes a leave without a tab id (a script) unless a tab it names is open', async () => {
    const { session } = await poolSession();
    const { coordinator, clock } = withClock(session);
    coordinator.heard('a', 'tab-1');
    const held = (await coordinator.view('a')).item!;
    await coordinator.leave('a', undefined, ['tab-1']);
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('b')).item?.id).not.toBe(held.id);
    await coordinator.leave('a', undefined);
    clock.now += LEAVE_GRACE_MS;
    expect((await coordinator.view('c')).item?.id).toBe(held.id);
  });

  it('refuses malformed open tabs, and more than 64', async () => {
    const { session } = await poolSession();
    const { coordinator } = withClock(session);
    await coordinator.view('a');
    await expect(coordinator.leave('a', 'tab-1', ['Tab 2'])).rejects.toThrow(
      'X-Open-Tabs: expected a tab id: 1 to 64 lowercase letters, digits or dashes, got "Tab 2"',
    );
    await expect(
      coordinator.leave(
        'a',
        'tab-1',
        Array.from({ length: 65 }, (_, i) => `t${i}`),
      ),
    ).rejects.toThrow('X-Open-Tabs: expected at most 64 tab ids, got 65');
  });

  // The pages show the stop's message from then on: a state pushed after it told them nothing
  // they could act on (every action is refused).
  it('pushes no state for a browser back after the grace once a failed write has stopped the session', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'at-coordinator-')), 'pool.session');
    const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 4 });
    const session = await ActiveTestingSession.create(path, {
      texts: Array.from({ length: 20 }, (_, i) => `item ${i}`),
      classes: CLASSES,
      modelScores: pool.modelScores,
      surrogateScores: pool.surrogateScores,
      seed: 1,
    });
    const { coordinator, clock, states, runLater } = withClock(session);
    coordinator.heard('a', 'tab-1');
    await coordinator.view('a');
    await coordinator.leave('a', 'tab-1');
    clock.now += LEAVE_GRACE_MS;
    runLater();
    const b = (await coordinator.view('b')).item!;
    unlinkSync(path);
    await expect(coordinator.label('b', b.id, 0)).rejects.toThrow('the session file could not be written on the server');
    const pushed = states.length;
    coordinator.heard('a', 'tab-2');
    expect(states).toHaveLength(pushed);
    await session.close();
  });

  it('forgets a leave of a browser it has not seen, and one repeated; refuses a malformed tab id', async () => {
    const { session } = await poolSession();
    const { coordinator, clock, states, runLater } = withClock(session);
    await coordinator.leave('stranger', 'tab-1');
    await coordinator.view('a');
    const pushed = states.length;
    await coordinator.leave('a', 'tab-1');
    await coordinator.leave('a', 'tab-1');
    // Nothing is pushed before the grace ends (the pages would find nothing new), and once after it.
    expect(states).toHaveLength(pushed);
    clock.now = LEAVE_GRACE_MS;
    runLater();
    expect(states).toHaveLength(pushed + 1);
    expect(states.at(-1)?.annotators).toBe(0);
    await expect(coordinator.leave('a', 'Tab 1')).rejects.toThrow(InputError);
    expect(() => coordinator.heard('a', 'x'.repeat(65))).toThrow(InputError);
    expect(() => coordinator.heard('a', 'ABC-1')).toThrow(
      'X-Tab: expected a tab id: 1 to 64 lowercase letters, digits or dashes, got "ABC-1"',
    );
  });

  it('hands out no more items than --max-labels while an earlier item is open, then the open one once its lease ends', async () => {
    const { session, labels } = await poolSession();
    let now = 0;
    const coordinator = new AnnotationCoordinator(session, { maxLabels: 5 }, 1000, () => now);
    // a opens the page and walks away: the first proposal stays with a, so the estimate waits for it.
    const held = (await coordinator.view('a')).item!;
    let view = await coordinator.view('b');
    const labelled: string[] = [];
    while (view.item) {
      labelled.push(view.item.id);
      view = await coordinator.label('b', view.item.id, labels[Number(view.item.id)]);
    }
    expect(labelled).toHaveLength(4);
    expect(view.state).toMatchObject({ recorded: 4, pending: 1, labels: 0, done: false });
    now = 10;
    const c = (await coordinator.view('c')).item;
    expect(c).toBeNull();
    now = 1001;
    view = await coordinator.view('b');
    expect(view.item?.id).toBe(held.id);
    view = await coordinator.label('b', held.id, labels[Number(held.id)]);
    expect(view.item).toBeNull();
    expect(view.state).toMatchObject({ recorded: 5, labels: 5, done: true });
  });

  it('counts as annotators the browsers seen within the lease, not every browser since the start', async () => {
    const { session, labels } = await poolSession();
    let now = 0;
    const coordinator = new AnnotationCoordinator(session, {}, 1000, () => now);
    const first = (await coordinator.view('a')).item!;
    now = 500;
    expect((await coordinator.view('b')).state.annotators).toBe(2);
    // a is last seen at 0, b at 500: at 1200 only b is within the lease, and a label rebuilds the count.
    now = 1200;
    const b = (await coordinator.view('b')).item!;
    expect((await coordinator.label('b', b.id, labels[Number(b.id)])).state.annotators).toBe(1);
    // a comes back (its lapsed item went to b after b's label) and is counted again.
    const again = (await coordinator.view('a')).item!;
    expect(again.id).not.toBe(first.id);
    expect((await coordinator.label('a', again.id, labels[Number(again.id)])).state.annotators).toBe(2);
    // Later, an undo counts as activity and a malformed answer does not.
    now = 2300;
    expect((await coordinator.undo('a')).state.annotators).toBe(1);
    now = 2400;
    await expect(coordinator.label('c', 42 as never, 0)).rejects.toThrow(InputError);
    const current = (await coordinator.view('a')).item!;
    expect((await coordinator.label('a', current.id, labels[Number(current.id)])).state.annotators).toBe(1);
  });

  it('counts no skip against --max-labels', async () => {
    const { session, labels } = await poolSession();
    const coordinator = new AnnotationCoordinator(session, { maxLabels: 3 });
    let view = await coordinator.view('a');
    view = await coordinator.skip('a', view.item!.id);
    while (view.item) view = await coordinator.label('a', view.item.id, labels[Number(view.item.id)]);
    expect(view.state).toMatchObject({ recorded: 3, skipped: 1, labels: 3, done: true });
  });

  it('pushes the open count with the item just drawn, as the annotator who got it sees it', async () => {
    const { session } = await poolSession();
    const coordinator = new AnnotationCoordinator(session);
    const pushed: PublicState[] = [];
    coordinator.subscribe((state) => pushed.push(state));
    let view = await coordinator.view('a');
    expect(pushed.at(-1)).toEqual(view.state);
    view = await coordinator.label('a', view.item!.id, 0);
    expect(view.state).toMatchObject({ recorded: 1, pending: 1 });
    expect(pushed.at(-1)).toEqual(view.state);
  });

  it("undoes only the annotator's own last action, and gives the item back to them", async () => {
    const { session } = await poolSession();
    const coordinator = new AnnotationCoordinator(session);
    await expect(coordinator.undo('a')).rejects.toThrow('nothing to undo');
    const a = (await coordinator.view('a')).item!;
    await coordinator.view('b');
    await coordinator.label('a', a.id, 1);
    await expect(coordinator.undo('b')).rejects.toThrow(/another annotator/);
    const undone = await coordinator.undo('a');
    expect(undone.item?.id).toBe(a.id);
    expect(undone.state.recorded).toBe(0);
    expect(undone.state.points).toEqual([]);
  });

  it('keeps who labelled across a restart: only that browser may undo it then, and anyone a label nobody is named for', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'at-coordinator-')), 'pool.session');
    const size = 50;
    const pool = syntheticPool({ poolSize: size, classCount: 2, seed: 4 });
    const settings = { texts: Array.from({ length: size }, (_, i) => `item ${i}`), classes: CLASSES, seed: 1 };
    const first = await ActiveTestingSession.create(path, {
      ...settings,
      modelScores: pool.modelScores,
      surrogateScores: pool.surrogateScores,
    });
    const before = new AnnotationCoordinator(first);
    const a = (await before.view('a')).item!;
    await before.label('a', a.id, 1);
    await first.close();

    const reopened = await ActiveTestingSession.open(path);
    const after = new AnnotationCoordinator(reopened);
    const annotator = reopened.lastResolution()?.annotator;
    expect(annotator).toMatch(/^browser [0-9a-f]{16}$/);
    expect(readFileSync(path, 'utf8')).not.toContain('"a":"a"');
    await expect(after.undo('b')).rejects.toThrow(new ConflictError('the last label was made by another annotator; only they can undo it'));
    await expect(after.label('b', a.id, 0)).rejects.toThrow(`item ${a.id} was already labelled or skipped by another annotator`);
    expect((await after.undo('a')).item?.id).toBe(a.id);

    const [item] = await reopened.next();
    await reopened.record(item!.id, 0);
    expect(reopened.lastResolution()).toEqual({ id: item!.id, label: 'negative' });
    expect((await after.undo('b')).state.recorded).toBe(0);
    await reopened.close();
  });

  it('undoes one label for two undos sent at once with the count the page showed, and answers the other with a conflict', async () => {
    const { session } = await poolSession();
    const coordinator = new AnnotationCoordinator(session);
    const first = (await coordinator.view('a')).item!;
    const second = (await coordinator.label('a', first.id, 1)).item!;
    const { state } = await coordinator.label('a', second.id, 0);
    const seen = state.recorded + state.skipped;
    expect(seen).toBe(2);
    const [one, other] = await Promise.allSettled([coordinator.undo('a', seen), coordinator.undo('a', seen)]);
    expect(one).toMatchObject({ status: 'fulfilled', value: { item: { id: second.id }, state: { recorded: 1 } } });
    expect(other).toEqual({
      status: 'rejected',
      reason: new ConflictError(
        'nothing undone: the page showed 2 labels and skips, the session now has 1 (one was undone or added meanwhile)',
      ),
    });
    expect(session.history().filter(({ status }) => status !== 'pending')).toMatchObject([
      { id: first.id, status: 'labelled', label: 'positive' },
    ]);
  });

  it("never undoes the annotator's own label sent after the count its undo names (the target scored on demand)", async () => {
    const { session, slowDown, release } = await sessionScoredOnDemand();
    const coordinator = new AnnotationCoordinator(session);
    const a = (await coordinator.view('a')).item!;
    const next = (await coordinator.label('a', a.id, 1)).item!;
    slowDown();
    // Another tab of the same browser labels the next item while this one, showing 1 label, asks to undo it.
    const labelling = coordinator.label('a', next.id, 0);
    const undoing = coordinator.undo('a', 1);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await labelling;
    await expect(undoing).rejects.toThrow(
      new ConflictError('nothing undone: the page showed 1 label or skip, the session now has 2 (one was undone or added meanwhile)'),
    );
    expect(session.history().filter(({ status }) => status !== 'pending')).toHaveLength(2);
  });

  it('refuses an undo at once when another label began while it waited for the one under way when it came', async () => {
    const { session, slowDown, release } = await sessionScoredOnDemand();
    const coordinator = new AnnotationCoordinator(session);
    const a = (await coordinator.view('a')).item!;
    const b = (await coordinator.view('b')).item!;
    const c = (await coordinator.view('c')).item!;
    await coordinator.label('a', a.id, 1);
    slowDown();
    const labellingB = coordinator.label('b', b.id, 0);
    const undoing = coordinator.undo('a', 1);
    await new Promise((resolve) => setImmediate(resolve));
    // c labels while the undo waits for b's label.
    let labelledC = false;
    const labellingC = coordinator.label('c', c.id, 0).then(() => (labelledC = true));
    // Whether c's label was saved by the time the undo was answered.
    const answered = undoing.then(
      () => ({ undone: true, labelledC }),
      (error: unknown) => ({ error, labelledC }),
    );
    // Held scorings are let go one at a time until both labels are saved.
    const tick = () => new Promise<false>((resolve) => setImmediate(() => resolve(false)));
    for (const labelling of [labellingB, labellingC])
      while ((await Promise.race([labelling.then(() => true), tick()])) === false) release();
    expect(await answered).toEqual({
      error: new ConflictError('nothing undone: another label, skip or undo was being saved meanwhile; ask again'),
      labelledC: false,
    });
    expect(session.history().filter(({ status }) => status !== 'pending')).toHaveLength(3);
  });

  it('never undoes a label another annotator records while the undo waits (the target scored on demand)', async () => {
    const { session, slowDown, release } = await sessionScoredOnDemand();
    const coordinator = new AnnotationCoordinator(session);
    const a = (await coordinator.view('a')).item!;
    const b = (await coordinator.view('b')).item!;
    await coordinator.label('a', a.id, 1);
    slowDown();
    const labelling = coordinator.label('b', b.id, 0);
    const undoing = coordinator.undo('a');
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await labelling;
    await expect(undoing).rejects.toThrow(new ConflictError('the last label was made by another annotator; only they can undo it'));
    expect(session.history().filter(({ status }) => status !== 'pending')).toMatchObject([
      { id: a.id, status: 'labelled' },
      { id: b.id, status: 'labelled' },
    ]);
  });

  it('gives each of several annotators who ask at once an item while a label waits for the target to be scored', async () => {
    const { session, slowDown, release } = await sessionScoredOnDemand();
    const coordinator = new AnnotationCoordinator(session);
    const a = (await coordinator.view('a')).item!;
    slowDown();
    const labelling = coordinator.label('a', a.id, 1);
    // Four pages open while the label is being scored: their requests for an item queue behind it.
    const views = ['b', 'c', 'd', 'e'].map((client) => coordinator.view(client));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await labelling;
    const items = (await Promise.all(views)).map((view) => view.item?.id);
    expect(items.every((id) => id !== undefined)).toBe(true);
    expect(new Set(items).size).toBe(4);
    // The four, and the item a got after its label: nothing else drawn.
    expect(session.estimate().pending).toBe(5);
  });

  it('says which rule stopped the session: the target half-width, or the budget when both hold', async () => {
    for (const [rule, reason] of [
      [{ targetHalfWidth: 100, minLabels: 3 }, 'target-half-width'],
      [{ maxLabels: 3, targetHalfWidth: 100, minLabels: 3 }, 'max-labels'],
    ] as const) {
      const { session, labels } = await poolSession();
      const coordinator = new AnnotationCoordinator(session, rule);
      let view = await coordinator.view('a');
      while (view.item) view = await coordinator.label('a', view.item.id, labels[Number(view.item.id)]);
      expect([view.state.labels, view.state.doneBecause]).toEqual([3, reason]);
    }
  });

  it('shows the fixed-budget and bootstrap intervals, named, once the session stops at its label budget, and only then', async () => {
    const { session, labels } = await poolSession();
    const coordinator = new AnnotationCoordinator(session, { maxLabels: 5 });
    let view = await coordinator.view('a');
    while (view.item) {
      expect(view.state.budgetIntervals).toBeNull();
      view = await coordinator.label('a', view.item.id, labels[Number(view.item.id)]);
    }
    const { risk, accuracy } = session.estimate();
    const fixed = (interval: { lower: number; upper: number }) => ({
      ...interval,
      name: '95% fixed-budget interval',
      meaning: expect.stringMatching(
        /^With 95% probability the true value lies in this interval at this number of labels, when it was chosen before labelling, as the budget \(--max-labels\) was/,
      ),
    });
    const bootstrap = (interval: { lower: number; upper: number }) => ({
      ...interval,
      name: '95% bootstrap interval (approximate)',
      meaning: expect.stringMatching(/^An approximation: /),
    });
    expect(view.state).toMatchObject({ labels: 5, doneBecause: 'max-labels' });
    expect(view.state.budgetIntervals).toEqual({
      accuracy: [fixed(accuracy.fixed!), bootstrap(accuracy.bootstrap)],
      risk: [fixed(risk.fixed!), bootstrap(risk.bootstrap)],
    });
    // A stop on the width is no label count chosen before labelling: the fixed-budget interval does not hold there.
    const other = await poolSession();
    const byWidth = new AnnotationCoordinator(other.session, { maxLabels: 50, targetHalfWidth: 100, minLabels: 3 });
    view = await byWidth.view('a');
    while (view.item) view = await byWidth.label('a', view.item.id, other.labels[Number(view.item.id)]);
    expect(view.state).toMatchObject({ labels: 3, doneBecause: 'target-half-width', budgetIntervals: null });
  });

  it("shows the session's estimate and one plot point per label count, and notifies subscribers", async () => {
    const { session, labels } = await poolSession();
    const coordinator = new AnnotationCoordinator(session, { maxLabels: 5 });
    const seen: number[] = [];
    coordinator.subscribe((state) => seen.push(state.labels));
    let view = await coordinator.view('a');
    while (view.item) view = await coordinator.label('a', view.item.id, labels[Number(view.item.id)]);
    const estimate = session.estimate();
    // Each label, and each new draw after it (the open count changes), the first view's draw too.
    expect(seen).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
    expect(view.state.done).toBe(true);
    expect(view.state.doneBecause).toBe('max-labels');
    expect(view.state.risk.value).toBe(estimate.risk.value);
    expect(view.state.risk.lower).toBe(estimate.risk.anytime!.lower);
    expect(view.state.accuracy.upper).toBe(estimate.accuracy.anytime!.upper);
    expect(view.state.risk.name).toBe('95% confidence sequence (anytime-valid)');
    expect(view.state.points.map((p) => p.labels)).toEqual([1, 2, 3, 4, 5]);
    expect(view.state.points[4]).toEqual({
      labels: 5,
      value: estimate.risk.value,
      lower: estimate.risk.anytime!.lower,
      upper: estimate.risk.anytime!.upper,
    });
    expect(view.state.progress).toEqual({ fraction: 1, text: '5 of 5 labels' });
  });
});

describe('progress toward the stopping rule', () => {
  // A bootstrap far narrower than the sequence, as early in a session: the width rule reads the sequence.
  const estimate = (labels: number, halfWidth: number, recorded = labels) =>
    ({
      labels,
      recorded,
      poolSize: 1000,
      risk: {
        value: 0.3,
        standardError: halfWidth / 100,
        bootstrap: { lower: 0.3, upper: 0.3 },
        anytime: { lower: 0.3 - halfWidth, upper: 0.3 + halfWidth },
      },
    }) as Parameters<typeof progress>[0];

  it("is labels ÷ maxLabels, labels ÷ pool without a rule, and (target ÷ the sequence's half-width)² for a width target", () => {
    expect(progress(estimate(25, 0.1), { maxLabels: 100 }).fraction).toBe(0.25);
    expect(progress(estimate(250, 0.1), {}).fraction).toBe(0.25);
    // Half-width 0.04 against a target of 0.02: a quarter of the labels needed.
    const quarter = progress(estimate(100, 0.04), { targetHalfWidth: 0.02 });
    expect(quarter.fraction).toBeCloseTo(0.25, 12);
    expect(quarter.text).toBe('risk half-width 0.0400, target 0.02 (from 30 labels)');
    // Below minLabels the label count binds.
    expect(progress(estimate(6, 0.001), { targetHalfWidth: 0.02, minLabels: 30 }).fraction).toBeCloseTo(0.2, 12);
    // Any rule stops the session, so the furthest one counts.
    expect(progress(estimate(50, 0.04), { maxLabels: 100, targetHalfWidth: 0.02 }).fraction).toBe(0.5);
  });

  it('says one label or item in the singular', () => {
    expect(progress(estimate(0, 0.1), { maxLabels: 1 }).text).toBe('0 of 1 label');
    expect(progress(estimate(0, 0.1), { targetHalfWidth: 0.02, minLabels: 1 }).text).toBe(
      'risk half-width 0.1000, target 0.02 (from 1 label)',
    );
    expect(progress({ ...estimate(0, 0.1), poolSize: 1 }, {}).text).toBe('0 of 1 item labelled (no stopping rule given)');
  });

  it('names the labels recorded too while the estimate waits for an open item, so that it does not look frozen', () => {
    expect(progress(estimate(3, 0.1, 6), { maxLabels: 40 }).text).toBe('3 of 40 labels in the estimate (6 recorded)');
    expect(progress(estimate(3, 0.1, 6), {}).text).toBe('3 of 1000 items in the estimate (6 recorded; no stopping rule given)');
    expect(progress(estimate(1, 0.1, 2), { targetHalfWidth: 0.02 }).text).toBe(
      'risk half-width 0.1000, target 0.02 (from 30 labels) · 1 label in the estimate (2 recorded)',
    );
    expect(progress(estimate(3, 0.1, 6), { maxLabels: 40, targetHalfWidth: 0.02 }).text).toBe(
      '3 of 40 labels in the estimate (6 recorded) · risk half-width 0.1000, target 0.02 (from 30 labels)',
    );
    // The fraction is the estimate's: the rule counts those labels.
    expect(progress(estimate(3, 0.1, 6), { maxLabels: 40 }).fraction).toBe(3 / 40);
  });
});

describe('the interval the page shows', () => {
  const interval = (value: number, lower: number, upper: number, anytime?: { lower: number; upper: number }) =>
    ({ value, standardError: 0, bootstrap: { lower, upper }, ...(anytime && { anytime }) }) as IntervalEstimate;

  it('is the sequence where there is one, and says to read it when the estimate lies outside it', () => {
    const inside = riskInterval({ risk: interval(0.3, 0.25, 0.35, { lower: 0.1, upper: 0.6 }) } as SessionEstimate);
    expect(inside).toEqual({
      lower: 0.1,
      upper: 0.6,
      name: '95% confidence sequence (anytime-valid)',
      meaning:
        'With 95% probability the true value lies in this interval at every number of labels at once: ' +
        'it stays valid however often you look, and wherever labelling stops.',
    });
    const below = riskInterval({ risk: interval(0.3, 0.25, 0.35, { lower: 0.31, upper: 0.9 }) } as SessionEstimate);
    expect(below).toMatchObject({ lower: 0.31, upper: 0.9 });
    expect(below.note).toMatch(/^The estimate lies outside the interval: .* Read the interval; it holds at 95%\.$/);
    expect(accuracyInterval({ accuracy: interval(0.9, 0.85, 0.95) } as SessionEstimate)).toEqual({
      lower: 0.85,
      upper: 0.95,
      name: '95% bootstrap interval (approximate)',
      meaning: expect.stringMatching(/^An approximation: the true value may lie outside it more often than 1 time in 20/),
    });
  });
});
