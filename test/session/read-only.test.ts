import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { SessionLockedError, SessionStateError } from '../../src/session/errors.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { CLASSES, CLI, writePoolFiles } from './cli-pool.js';

const run = (args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });

/** A session of 60 items labelled 12 times (with a skip), left open by this process: its lock is held. */
async function labelledSession(): Promise<{ path: string; writer: ActiveTestingSession; dir: string }> {
  const files = await writePoolFiles(60, 4);
  const path = join(files.dir, 'served.session');
  const writer = await ActiveTestingSession.create(path, {
    texts: files.texts,
    ids: files.ids,
    classes: CLASSES,
    modelScores: files.pool.modelScores,
    surrogateScores: files.pool.surrogateScores,
    seed: 3,
  });
  for (let m = 0; m < 12; m++) {
    const [item] = await writer.next();
    if (m === 5) await writer.skip(item.id);
    else await writer.record(item.id, files.pool.labels[item.index]);
  }
  return { path, writer, dir: files.dir };
}

describe('ActiveTestingSession.open with readOnly', () => {
  it('reads a session another opener holds, as that opener sees it, and writes nothing', async () => {
    const { path, writer, dir } = await labelledSession();
    try {
      await expect(ActiveTestingSession.open(path)).rejects.toThrow(SessionLockedError);
      const before = readFileSync(path);
      const folder = readdirSync(dir).sort();
      const reader = await ActiveTestingSession.open(path, { readOnly: true });
      expect(reader.estimate()).toEqual(writer.estimate());
      expect(reader.history()).toEqual(writer.history());
      for (const mutation of [() => reader.next(), () => reader.record('s0', 0), () => reader.skip('s0'), () => reader.undo()]) {
        await expect(mutation()).rejects.toThrow(
          new SessionStateError('the session was opened read-only (readOnly: true): open it without readOnly to label it'),
        );
      }
      await reader.close();
      // The writer goes on labelling: its lock was never touched.
      const [item] = await writer.next();
      await writer.record(item.id, 1);
      expect(readFileSync(path).length).toBeGreaterThan(before.length);
      expect(readdirSync(dir).sort()).toEqual(folder);
    } finally {
      await writer.close();
    }
  });

  it('passes over a last line in progress where it is, with a warning, reading the complete records', async () => {
    const { path, writer, dir } = await labelledSession();
    const estimate = writer.estimate();
    await writer.close();
    appendFileSync(path, '{"e":"label","i":');
    const torn = readFileSync(path);
    const warnings: string[] = [];
    const reader = await ActiveTestingSession.open(path, { readOnly: true, onWarning: (message) => warnings.push(message) });
    expect(reader.estimate()).toEqual(estimate);
    await reader.close();
    expect(readFileSync(path)).toEqual(torn);
    expect(readdirSync(dir).filter((name) => name.includes('.torn'))).toEqual([]);
    expect(warnings).toEqual([
      `${path}: its last line (17 bytes) is not a complete record, as a write in progress or one cut by a crash leaves it; ` +
        'the 24 complete records are read, and the file is left as it is',
    ]);
  });

  it('refuses a readOnly that is not a boolean', async () => {
    const { path, writer } = await labelledSession();
    await writer.close();
    await expect(ActiveTestingSession.open(path, { readOnly: 'yes' as unknown as boolean })).rejects.toThrow(
      new InputError({ argument: 'readOnly', expected: 'true or false', received: 'yes' }),
    );
  });
});

describe('active-testing label --estimate', () => {
  it('prints the estimate of a session another process labels, the summary label prints, and stops', async () => {
    const { path, writer } = await labelledSession();
    try {
      const shown = run(['label', '--session', path, '--estimate']);
      expect(shown.stderr).toBe('');
      expect(shown.status).toBe(0);
      const estimate = writer.estimate();
      expect(shown.stdout).toContain(
        `Labels: ${estimate.labels} in the estimate (${estimate.recorded} recorded); the estimate covers 59 of 60 items (1 skipped)`,
      );
      expect(shown.stdout).toContain(
        `Risk (cross-entropy): ${estimate.risk.value.toFixed(4)}  anytime-valid 95% [${(estimate.risk.anytime?.lower as number).toFixed(4)}, `,
      );
      const refused = run(['label', '--session', path, '--estimate', '--max-labels', '20']);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(
        "active-testing label: --estimate prints the session's estimate and stops: it takes no --max-labels\n",
      );
    } finally {
      await writer.close();
    }
  });
});
