import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuiltinLoss } from '../../src/metrics/index.js';
import type { SessionAcquisition } from '../../src/session/header.js';
import { ActiveTestingSession, type Proposal } from '../../src/session/session.js';
import { simulate } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

// Pins a session's exact output on a small many-class pool: the proposals, the estimates after every
// label, skip and undo (values and every interval) and after a reopen, and the bytes of the session
// file but its header's checksum (a function of the rest, which test/session/session-faults.test.ts checks).
// The start-up work a session does on large pools (proposal values, loss bounds, the reference bets'
// belief and predictions) is optimised for speed; this proves such changes leave every bit as it was.
const N = 150;
const K = 7;
const LABELS = 40;
const pool = syntheticPool({ poolSize: N, classCount: K, seed: 5 });
const comparison = syntheticPool({ poolSize: N, classCount: K, seed: 6 });
const texts = Array.from({ length: N }, (_, i) => `item ${i}`);
const classes = Array.from({ length: K }, (_, k) => `class ${k}`);
const dir = mkdtempSync(join(tmpdir(), 'at-pinned-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Every number a session reports, in a fixed order, as exact decimal text (`String` round-trips doubles). */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' ? String(v) : v));
}

interface Case {
  acquisition?: SessionAcquisition;
  loss: BuiltinLoss;
  temperature?: number;
  defensive?: number;
  comparison?: boolean;
}

const CASES: Array<[string, Case, { proposals: string; estimates: string; file: string }]> = [
  [
    'adaptive (default), cross-entropy',
    { loss: 'cross-entropy' },
    { proposals: 'fb8c971f55b71abb', estimates: 'd5fafec22f391d77', file: '250f7e2c14cab654' },
  ],
  [
    'adaptive at temperature 1.5, cross-entropy',
    { loss: 'cross-entropy', temperature: 1.5 },
    { proposals: '12a5f778de2097a4', estimates: '01736af7a8fe1818', file: '6dbe1022f0779af8' },
  ],
  [
    'surrogate-ce, cross-entropy',
    { acquisition: 'surrogate-ce', loss: 'cross-entropy' },
    { proposals: 'da4d7d6a70147a40', estimates: 'b0d8a21cee7fc7aa', file: 'b7b3d76e5c987324' },
  ],
  [
    'surrogate-ce, zero-one (default)',
    { loss: 'zero-one' },
    { proposals: '4b8c6c29f0d0f325', estimates: '213f62be1b1eee6c', file: 'aa041c0001a6689b' },
  ],
  [
    'surrogate-ce, brier, T = 2',
    { loss: 'brier', temperature: 2 },
    { proposals: '846802b26d7066eb', estimates: 'dccfc7aab534b6a4', file: 'b592f9cadf940665' },
  ],
  [
    'surrogate-ce, defensive 0.3, cross-entropy',
    { loss: 'cross-entropy', defensive: 0.3 },
    { proposals: '09b95cd3d2c0f4a0', estimates: '7bf11b63250cb9ec', file: '235e2a6db5fc8a5b' },
  ],
  [
    'surrogate-ce with a comparison, cross-entropy',
    { loss: 'cross-entropy', comparison: true },
    { proposals: 'ec25d5640359e9c8', estimates: '666caab99ac50ab5', file: 'cc396249963a419b' },
  ],
  [
    'surrogate-ce with a comparison, zero-one',
    { loss: 'zero-one', comparison: true },
    { proposals: 'ce114fae7dfaf62c', estimates: 'ee29af622930a034', file: '4bb767e1ceb04421' },
  ],
];

describe('a session on a many-class pool is pinned bit for bit', () => {
  it.each(CASES)('%s', async (name, setting, pinned) => {
    const path = join(dir, `${name.replace(/\W+/g, '-')}.session`);
    const session = await ActiveTestingSession.create(path, {
      texts,
      classes,
      modelScores: pool.modelScores,
      surrogateScores: pool.surrogateScores,
      ...(setting.comparison && { comparisonScores: comparison.modelScores }),
      loss: setting.loss,
      ...(setting.acquisition && { acquisition: setting.acquisition }),
      ...(setting.temperature !== undefined && { temperature: setting.temperature }),
      ...(setting.defensive !== undefined && { defensive: setting.defensive }),
      seed: 3,
    });
    const estimates = [];
    for (let m = 0; m < LABELS; m++) {
      const [item] = await session.next();
      if (m % 9 === 4) await session.skip(item.id);
      else await session.record(item.id, pool.labels[item.index]);
      estimates.push(session.estimate());
      if (m % 13 === 7) {
        await session.undo();
        estimates.push(session.estimate());
        await session.record(item.id, pool.labels[item.index]);
        estimates.push(session.estimate());
      }
    }
    const proposals = session.history().map((p) => `${p.index}:${p.probability}`);
    await session.close();
    const reopened = await ActiveTestingSession.open(path);
    // Read once after the replay, the same as the live session read after every label, bit for bit.
    expect(reopened.estimate()).toEqual(estimates[estimates.length - 1]);
    estimates.push(reopened.estimate());
    const [next] = await reopened.next();
    await reopened.record(next.id, pool.labels[next.index]);
    await reopened.close();
    // Hashes of the exact decimal texts: a change shows here as a new hash (the diff prints it).
    const file = readFileSync(path, 'utf8');
    // The header's checksum and each record's check left out: the file as pinned before records carried checks.
    const records = file.split('\n').length - 2;
    const withoutChecksum = file.replace(/,"checksum":"sha256:[0-9a-f]{64}"\}\n/, '}\n').replace(/,"c":"[0-9a-f]{8}"\}\n/g, '}\n');
    expect(withoutChecksum.length).toBe(file.length - ',"checksum":"sha256:"'.length - 64 - records * ',"c":"01234567"'.length);
    const actual = { proposals: sha256(proposals.join(',')), estimates: sha256(fingerprint(estimates)), file: sha256(withoutChecksum) };
    expect(actual).toEqual(pinned);
  });
});

describe('a session file written by an earlier version replays as written', () => {
  // Written before random labelling drew at clip 0 whatever its clip (N = 200, K = 2, the default
  // clip 0.1, seed 0, 40 labels): its header's clip 0.1 keeps the draws it made, which part from
  // clip 0's at the 26th.
  const fixture = join(import.meta.dirname, '../fixtures/sessions/iid-clip-0.1.session');
  const recorded = [
    69, 30, 150, 137, 57, 89, 199, 109, 128, 67, 154, 19, 181, 122, 73, 91, 183, 18, 135, 27, 53, 95, 3, 33, 8, 23, 146, 161, 29, 71, 108,
    99, 24, 93, 38, 75, 58, 115, 83, 157,
  ];

  it('iid at clip 0.1: the journal replays, and the next draw is the one that version made', async () => {
    const path = join(dir, 'iid-clip-0.1.session');
    copyFileSync(fixture, path);
    const session = await ActiveTestingSession.open(path);
    expect(session.settings).toMatchObject({ acquisition: 'iid', clip: 0.1, seed: 0 });
    expect(session.history().map((p) => p.index)).toEqual(recorded);
    const [next] = await session.next();
    expect({ index: next.index, probability: next.probability }).toEqual({ index: 16, probability: 1 / 160 });
    await session.close();
  });

  it('a new session with the same options records clip 0 and draws as simulate does', async () => {
    const old = syntheticPool({ poolSize: 200, classCount: 2, seed: 41 });
    const simulated = await simulate(
      { modelScores: old.modelScores, labels: old.labels },
      { acquisition: 'iid', runs: 1, size: recorded.length, seed: 0, threads: 1 },
    );
    const session = await ActiveTestingSession.create(null, {
      texts: Array.from({ length: 200 }, (_, i) => `item ${i}`),
      classes: ['a', 'b'],
      modelScores: old.modelScores,
      acquisition: 'iid',
      seed: 0,
    });
    expect(session.settings.clip).toBe(0);
    const drawn = [];
    for (let m = 0; m < recorded.length; m++) {
      const [item] = await session.next();
      drawn.push(item.index);
      await session.record(item.id, old.labels[item.index]);
    }
    await session.close();
    expect(drawn).toEqual(Array.from(simulated.samples));
    expect(drawn.slice(0, 25)).toEqual(recorded.slice(0, 25));
    expect(drawn).not.toEqual(recorded);
  });
});

describe("next(k)'s batch is pinned", () => {
  // A batch of 300 after an out-of-order labelling: the items still waiting come first, in
  // proposal order, then the new draws. Pinned as the version that rescanned the waiting items
  // after every draw returned it, so that a faster way to gather the batch keeps every bit.
  const size = 400;
  const batchPool = syntheticPool({ poolSize: size, classCount: 3, seed: 17 });
  const batchOptions = {
    texts: Array.from({ length: size }, (_, i) => `item ${i}`),
    classes: ['a', 'b', 'c'],
    modelScores: batchPool.modelScores,
    surrogateScores: batchPool.surrogateScores,
    seed: 4,
  };

  /** A session whose first 10 proposals have those at positions 1, 3, 4 and 7 labelled: 6 wait. */
  async function started(path: string): Promise<ActiveTestingSession> {
    const session = await ActiveTestingSession.create(path, batchOptions);
    const first = await session.next(10);
    for (const position of [1, 3, 4, 7]) await session.record(first[position].id, batchPool.labels[first[position].index]);
    return session;
  }

  it('the waiting items and then 294 draws, each with its position and probability, and the journal', async () => {
    const path = join(dir, 'batch.session');
    const session = await started(path);
    const batch = await session.next(300);
    await session.close();
    const text = batch.map((p) => `${p.id}|${p.index}|${p.position}|${p.probability}|${p.text}`);
    expect(batch.slice(0, 8).map((p) => [p.index, p.position])).toEqual([
      [307, 0],
      [97, 2],
      [200, 5],
      [82, 6],
      [266, 8],
      [48, 9],
      [9, 10],
      [121, 11],
    ]);
    expect(batch.length).toBe(300);
    expect(text[299]).toBe('166|166|303|0.010902181991358655|item 166');
    expect({ batch: sha256(text.join('\n')), file: sha256(readFileSync(path)) }).toEqual({
      batch: '233c3eeeeb13175c',
      file: '4fdaefc62e43582a',
    });
  });

  it('the same batch as one gathered by a call per draw', async () => {
    const whole = await started(join(dir, 'whole.session'));
    const batch = await whole.next(300);
    await whole.close();
    const stepwise = await started(join(dir, 'stepwise.session'));
    let last: Proposal[] = [];
    for (let k = 7; k <= 300; k++) last = await stepwise.next(k);
    await stepwise.close();
    expect(last).toEqual(batch);
    expect(readFileSync(join(dir, 'stepwise.session'))).toEqual(readFileSync(join(dir, 'whole.session')));
  });
});
