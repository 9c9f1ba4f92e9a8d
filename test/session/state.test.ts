import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { SessionStateError } from '../../src/session/errors.js';
import { checkRecord } from '../../src/session/records.js';
import { SessionState, type ItemStatus } from '../../src/session/state.js';

const IDS = ['a', 'b', 'c', 'd', 'e'];

/** Everything observable about the state, for exact comparisons. */
function snapshot(state: SessionState) {
  return {
    statuses: IDS.map((_, i) => state.status(i)),
    labels: IDS.map((_, i) => state.label(i)),
    positions: IDS.map((_, i) => state.position(i)),
    proposals: [...state.proposals],
    probabilities: state.proposals.map((_, p) => state.probability(p)),
    recorded: state.recorded,
    skipped: state.skipped,
    pending: state.pending,
    lastResolved: state.lastResolved(),
    pendingItems: state.pendingItems(IDS.length),
  };
}

const U: ItemStatus = 'unproposed';
const P: ItemStatus = 'pending';
const L: ItemStatus = 'labelled';
const S: ItemStatus = 'skipped';

describe('SessionState', () => {
  it('starts with every item unproposed', () => {
    expect(snapshot(new SessionState(IDS, 3))).toEqual({
      statuses: [U, U, U, U, U],
      labels: [-1, -1, -1, -1, -1],
      positions: [-1, -1, -1, -1, -1],
      proposals: [],
      probabilities: [],
      recorded: 0,
      skipped: 0,
      pending: 0,
      lastResolved: undefined,
      pendingItems: [],
    });
  });

  it('proposes, labels and skips in any order, pending items listed in proposal order', () => {
    const state = new SessionState(IDS, 3);
    state.propose(3, 0.25);
    state.propose(0, 0.5);
    state.propose(4, 0.125);
    state.record(0, 2); // the second proposal first: the first stays pending
    state.skip(4);
    expect(snapshot(state)).toEqual({
      statuses: [L, U, U, P, S],
      labels: [2, -1, -1, -1, -1],
      positions: [1, -1, -1, 0, 2],
      proposals: [3, 0, 4],
      probabilities: [0.25, 0.5, 0.125],
      recorded: 1,
      skipped: 1,
      pending: 1,
      lastResolved: 4,
      pendingItems: [3],
    });
    state.record(3, 0);
    expect(snapshot(state)).toMatchObject({ statuses: [L, U, U, L, S], labels: [2, -1, -1, 0, -1], pending: 0, pendingItems: [] });
  });

  it('undoes the last resolution first, back to pending at the same position, down to nothing', () => {
    const state = new SessionState(IDS, 3);
    state.propose(1, 0.2);
    state.propose(2, 0.3);
    state.record(1, 1);
    state.skip(2);
    expect(state.undo()).toEqual({ index: 2, position: 1, label: -1 });
    expect(snapshot(state)).toMatchObject({
      statuses: [U, L, P, U, U],
      skipped: 0,
      recorded: 1,
      pending: 1,
      lastResolved: 1,
      pendingItems: [2],
    });
    expect(state.undo()).toEqual({ index: 1, position: 0, label: 1 });
    expect(snapshot(state)).toMatchObject({
      statuses: [U, P, P, U, U],
      labels: [-1, -1, -1, -1, -1],
      positions: [-1, 0, 1, -1, -1],
      recorded: 0,
      pending: 2,
      lastResolved: undefined,
      pendingItems: [1, 2],
    });
    // Relabelled differently after the undo.
    state.record(1, 0);
    expect(snapshot(state)).toMatchObject({ statuses: [U, L, P, U, U], labels: [-1, 0, -1, -1, -1], lastResolved: 1 });
    expect(() => state.undo()).not.toThrow();
    expect(() => state.undo()).toThrow(SessionStateError);
    expect(() => state.undo()).toThrow('nothing to undo');
  });

  it('lists at most `limit` pending items, and finds an earlier one reopened by an undo', () => {
    const state = new SessionState(IDS, 2);
    for (const index of [4, 3, 2, 1]) state.propose(index, 0.25);
    state.record(4, 1);
    state.record(3, 0);
    expect(state.pendingItems(1)).toEqual([2]);
    expect(state.pendingItems(5)).toEqual([2, 1]);
    state.undo(); // item 3, position 1, before the scan start
    expect(state.pendingItems(2)).toEqual([3, 2]);
    expect(state.pendingItems(5)).toEqual([3, 2, 1]);
  });

  it('refuses transitions the state does not allow, and changes nothing', () => {
    const state = new SessionState(IDS, 3);
    state.propose(0, 0.5);
    state.propose(1, 0.5);
    state.record(0, 1);
    state.skip(1);
    const before = snapshot(state);
    const refusals: Array<[() => void, string]> = [
      [() => state.record(2, 0), 'cannot label item c: it has not been proposed'],
      [() => state.skip(2), 'cannot skip item c: it has not been proposed'],
      [() => state.record(0, 2), 'cannot label item a: it is already labelled (undo first to change it)'],
      [() => state.skip(0), 'cannot skip item a: it is already labelled (undo first to change it)'],
      [() => state.record(1, 0), 'cannot label item b: it is already skipped (undo first to change it)'],
      [() => state.propose(0, 0.1), 'cannot propose item a: it was proposed already'],
    ];
    for (const [action, message] of refusals) {
      expect(action).toThrow(SessionStateError);
      expect(action).toThrow(message);
      expect(snapshot(state)).toEqual(before);
    }
  });

  it('names the pending proposals before a resolved one, through skips, undos and a settled prefix', () => {
    const state = new SessionState(IDS, 3);
    [0, 1, 2, 3, 4].forEach((i) => state.propose(i, 0.2));
    expect(state.waitingPositions()).toEqual([]);
    state.record(2, 1);
    expect(state.waitingPositions()).toEqual([0, 1]);
    state.record(0, 0);
    state.skip(4);
    expect(state.waitingPositions()).toEqual([1, 3]);
    state.undo();
    expect(state.waitingPositions()).toEqual([1]);
    state.record(1, 2);
    expect(state.waitingPositions()).toEqual([]);
    // An undo inside the settled prefix (positions 0 to 2) reopens a position before it.
    state.undo();
    state.undo();
    state.record(3, 0);
    expect(state.waitingPositions()).toEqual([0, 1]);
  });

  it('refuses an item outside the pool and a label outside the classes with an InputError', () => {
    const state = new SessionState(IDS, 3);
    state.propose(0, 1);
    expect(() => state.propose(5, 0.1)).toThrow(InputError);
    expect(() => state.propose(-1, 0.1)).toThrow(/index: expected a pool row in \[0, 4\]/);
    expect(() => state.record(0, 3)).toThrow(/label: expected a class index in \[0, 2\]/);
    expect(() => state.record(0, 0.5)).toThrow(InputError);
    expect(snapshot(state)).toMatchObject({ statuses: [P, U, U, U, U], recorded: 0, pending: 1 });
  });
});

describe('checkRecord', () => {
  const fail = (reason: string): never => {
    throw new Error(reason);
  };
  const check = (value: Record<string, unknown>, sequence = 1, numbered = false) => checkRecord(value, sequence, numbered, 5, 3, fail);

  it('accepts the four record kinds, with or without a sequence number in a file from before checksums', () => {
    expect(check({ s: 1, e: 'propose', i: 4, q: 0.2 })).toEqual({ s: 1, e: 'propose', i: 4, q: 0.2 });
    expect(check({ e: 'label', i: 0, y: 2, f: [0.1, -3, 2] }, 7)).toEqual({ e: 'label', i: 0, y: 2, f: [0.1, -3, 2] });
    expect(check({ s: 3, e: 'skip', i: 1 }, 3).e).toBe('skip');
    expect(check({ s: 4, e: 'undo', i: 1 }, 4).e).toBe('undo');
  });

  it('requires the sequence number in a file whose header has a checksum', () => {
    expect(() => check({ e: 'label', i: 0, y: 2 }, 7, true)).toThrow('record without its sequence number "s" (7 was expected)');
    expect(check({ s: 7, e: 'label', i: 0, y: 2 }, 7, true)).toEqual({ s: 7, e: 'label', i: 0, y: 2 });
  });

  it('names what is wrong with a damaged record', () => {
    expect(() => check({ s: 2, e: 'skip', i: 0 })).toThrow('record number 2 where 1 was expected');
    expect(() => check({ e: 'relabel', i: 0 })).toThrow('unknown record kind "relabel"');
    expect(() => check({ e: 'skip', i: 5 })).toThrow('item 5 is not a pool row in [0, 4]');
    expect(() => check({ e: 'skip', i: '1' })).toThrow('item "1" is not a pool row');
    expect(() => check({ e: 'propose', i: 0, q: 0 })).toThrow('proposal probability 0 is not in (0, 1]');
    expect(() => check({ e: 'propose', i: 0 })).toThrow('proposal probability undefined is not in (0, 1]');
    expect(() => check({ e: 'label', i: 0, y: 3 })).toThrow('label 3 is not a class index in [0, 2]');
    expect(() => check({ e: 'label', i: 0, y: 1, f: [1, 2] })).toThrow('target scores are not 3 finite numbers');
    expect(() => check({ e: 'label', i: 0, y: 1, f: [1, 2, null] })).toThrow('target scores are not 3 finite numbers');
  });
});
