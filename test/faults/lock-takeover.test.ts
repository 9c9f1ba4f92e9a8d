import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomStream } from '../../src/random.js';
import { SessionFileError } from '../../src/session/errors.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { runCliCaptured } from '../helpers/cli.js';
import { FAULTS } from './budget.js';
import { checkAcknowledged, deadPid, runCli, sessionWithAnswers, STACK_LINE } from './children.js';

const RACES = FAULTS.takeoverRaces;
const TAKEOVER_KILLS = FAULTS.takeoverKills;
const LOCKED = /^active-testing label: \S+ is open for writing by process \d+ on \S+; close it there first \(.*\)\n$/;

describe('lock takeover under injected delays and kills', () => {
  it(`lets exactly one of two processes take over a stale lock, ${RACES} races with pauses inside the takeover`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-fault-lock-'));
    const { session, answers } = await sessionWithAnswers(dir, 300, 5);
    const acknowledged = new Map<string, string>();
    let refusals = 0;
    for (let race = 0; race < RACES; race++) {
      writeFileSync(`${session}.lock`, JSON.stringify({ pid: deadPid(), host: hostname() }));
      // Both processes judge the lock stale during the first pause, then race to move it aside and link their own.
      const delays = race % 2 === 0 ? 'lock:stale=60,lock:aside=30' : 'lock:written=40,lock:stale=40';
      const args = ['label', '--session', session, '--answers', answers, '--max-labels', String(2 * race + 2)];
      const runs = await Promise.all([runCli(args, delays, null), runCli(args, delays, null)]);
      for (const run of runs) {
        for (const [id, label] of run.acknowledged) acknowledged.set(id, label);
        expect(run.stderr).not.toMatch(STACK_LINE);
        if (run.code !== 0) {
          expect(run.stderr).toMatch(LOCKED);
          expect(run.acknowledged.size).toBe(0);
          refusals++;
        }
      }
      expect(existsSync(`${session}.lock`)).toBe(false);
      await checkAcknowledged(session, acknowledged);
    }
    expect(refusals).toBeGreaterThanOrEqual(RACES / 2);
  });

  it(`leaves a lock that the next process takes over, over ${TAKEOVER_KILLS} kills inside the takeover`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-fault-lock-'));
    const { session, answers } = await sessionWithAnswers(dir, 300, 6);
    const random = randomStream(9, []);
    const acknowledged = new Map<string, string>();
    let kills = 0;
    for (let attempt = 0; attempt < TAKEOVER_KILLS; attempt++) {
      writeFileSync(`${session}.lock`, JSON.stringify({ pid: deadPid(), host: hostname() }));
      const run = await runCli(
        ['label', '--session', session, '--answers', answers, '--max-labels', String(2 * attempt + 2)],
        'lock:written=50,lock:stale=50,lock:aside=50',
        {
          afterLabels: 0,
          jitterMs: 150 + Math.floor(random() * 250),
        },
      );
      if (run.killed) kills++;
      for (const [id, label] of run.acknowledged) acknowledged.set(id, label);
      expect(run.stderr).not.toMatch(STACK_LINE);
      await checkAcknowledged(session, acknowledged);
    }
    expect(kills).toBeGreaterThanOrEqual(TAKEOVER_KILLS / 2);
    expect(readdirSync(dir).filter((name) => name.endsWith('.lock'))).toEqual([]);
  });

  it('a folder where the lock goes is a one-line error, and it is left alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-fault-lock-'));
    const { session, answers } = await sessionWithAnswers(dir, 20, 7);
    mkdirSync(`${session}.lock`);
    const error = await ActiveTestingSession.open(session).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionFileError);
    const run = await runCliCaptured(['label', '--session', session, '--answers', answers]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `active-testing label: ${session}.lock is not a lock file (a folder or another kind of file is in its place); remove it`,
    );
    expect(existsSync(`${session}.lock`)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['answers.tsv', 'pool.session', 'pool.session.lock']);
  });
});
