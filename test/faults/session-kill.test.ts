import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomStream } from '../../src/random.js';
import { FAULTS } from './budget.js';
import { checkAcknowledged, runCli, sessionWithAnswers, STACK_LINE } from './children.js';

const KILLS = FAULTS.appendKills;

describe('SIGKILL during session appends', () => {
  it(`keeps every acknowledged label and an openable journal over ${KILLS} kills, half of them inside a record's write`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-fault-kill-'));
    const { session, answers } = await sessionWithAnswers(dir, 400, 3);
    const random = randomStream(31, []);
    const acknowledged = new Map<string, string>();
    let kills = 0;
    let setAside = 0;
    for (let attempt = 0; attempt < KILLS; attempt++) {
      // A 6 ms pause between the two halves of each record's write (the env hook) makes kills land mid-record.
      const delays = attempt % 2 === 0 ? 'journal:append=6' : '';
      const afterLabels = Math.floor(random() * 6);
      const jitterMs = afterLabels === 0 ? Math.floor(random() * 400) : Math.floor(random() * 8);
      const run = await runCli(['label', '--session', session, '--answers', answers], delays, { afterLabels, jitterMs });
      for (const [id, label] of run.acknowledged) acknowledged.set(id, label);
      if (run.killed) kills++;
      expect(run.stderr).not.toMatch(STACK_LINE);
      const { warnings } = await checkAcknowledged(session, acknowledged);
      setAside += warnings.length;
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS - 2);
    expect(acknowledged.size).toBeGreaterThan(10);
    // Kills inside a record's write left torn lines, moved aside, never deleted: one side file per warning.
    expect(setAside).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((name) => name.includes('.torn-'))).toHaveLength(setAside);
  });
});
