import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ActiveTestingError } from '../../src/errors.js';
import { randomStream } from '../../src/random.js';
import { SessionFileError, SessionStateError } from '../../src/session/errors.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { runCliCaptured } from '../helpers/cli.js';
import { FAULTS } from './budget.js';
import { syntheticSessionOptions } from './session-options.js';

/**
 * A file system that runs out of space on demand: `failAfter` counts down the writes and fsyncs
 * of the session code; the call that takes it to 0 fails with ENOSPC (or EIO).
 */
const disk = vi.hoisted(() => ({ failAfter: Infinity, code: 'ENOSPC', failures: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const faulty =
    <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): R => {
      if (--disk.failAfter === 0) {
        disk.failures++;
        throw Object.assign(new Error(`${disk.code}: injected fault, write`), { code: disk.code });
      }
      return call(...args);
    };
  return { ...fs, default: fs, writeSync: faulty(fs.writeSync), fsyncSync: faulty(fs.fsyncSync) };
});

const N = 150;
const { ids, labels, options: poolOptions } = syntheticSessionOptions(N, 8);
const options: CreateSessionOptions = { ...poolOptions, seed: 6 };
const scratch = () => join(mkdtempSync(join(tmpdir(), 'at-enospc-')), 'pool.session');
const INJECTED_APPEND_FAULTS = FAULTS.appendWriteFailures;

describe('session appends on a full disk', () => {
  it(`loses no acknowledged label and leaves an openable journal, over ${INJECTED_APPEND_FAULTS} injected write failures`, async () => {
    const points = randomStream(14, []);
    const path = scratch();
    await (await ActiveTestingSession.create(path, options)).close();
    const acknowledged = new Map<string, number>();
    let refused = 0;
    for (let fault = 0; fault < INJECTED_APPEND_FAULTS; fault++) {
      const session = await ActiveTestingSession.open(path, { onWarning: () => undefined });
      disk.code = fault % 3 === 2 ? 'EIO' : 'ENOSPC';
      disk.failAfter = 1 + Math.floor(points() * 8);
      try {
        for (;;) {
          const [item] = await session.next();
          if (item === undefined) break;
          const label = labels[item.index];
          await session.record(item.id, label);
          acknowledged.set(item.id, label);
        }
      } catch (error) {
        expect(error).toBeInstanceOf(SessionStateError);
        expect((error as Error).message).toMatch(/could not be written \((ENOSPC|EIO)\b.*reopen it to continue/);
        refused++;
      }
      disk.failAfter = Infinity;
      await session.close();
      expect(existsSync(`${path}.lock`)).toBe(false);
      const reopened = await ActiveTestingSession.open(path, { onWarning: () => undefined });
      const labelled = new Map(
        reopened
          .history()
          .filter((h) => h.status === 'labelled')
          .map((h) => [h.id, h.label]),
      );
      for (const [id, label] of acknowledged) expect(labelled.get(id)).toBe(options.classes[label]);
      await reopened.close();
    }
    expect(refused).toBe(INJECTED_APPEND_FAULTS);
    expect(acknowledged.size).toBeGreaterThan(20);
  });

  it('a lock that cannot be written for lack of space leaves no lock file and is one line on the CLI', async () => {
    const path = scratch();
    await (await ActiveTestingSession.create(path, options)).close();
    for (const code of ['ENOSPC', 'EIO']) {
      disk.code = code;
      disk.failAfter = 1;
      const error = await ActiveTestingSession.open(path).catch((e: unknown) => e);
      disk.failAfter = Infinity;
      expect(error).toBeInstanceOf(SessionFileError);
      expect((error as Error).message).toBe(`cannot create the lock file ${path}.lock (${code}); nothing was written`);
      expect(readdirSync(dirname(path))).toEqual(['pool.session']);
    }
    const answers = join(mkdtempSync(join(tmpdir(), 'at-enospc-')), 'answers.tsv');
    writeFileSync(answers, `id\tlabel\n${ids.map((id, i) => `${id}\t${labels[i]}`).join('\n')}\n`);
    disk.code = 'ENOSPC';
    disk.failAfter = 1;
    const run = await runCliCaptured(['label', '--session', path, '--answers', answers]);
    disk.failAfter = Infinity;
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`active-testing label: cannot create the lock file ${path}.lock (ENOSPC); nothing was written`);
    expect(readdirSync(dirname(path))).toEqual(['pool.session']);
  });

  it('creating a session file on a full disk is one line, leaves no file behind and frees the lock', async () => {
    const path = scratch();
    disk.code = 'ENOSPC';
    disk.failAfter = 3; // lock pid write, lock fsync, then the header write fails
    const error = await ActiveTestingSession.create(path, options).catch((e: unknown) => e);
    disk.failAfter = Infinity;
    expect(error).toBeInstanceOf(ActiveTestingError);
    expect((error as Error).message).toBe(`cannot create the session file ${path} (ENOSPC)`);
    expect(readdirSync(dirname(path))).toEqual([]);
  });
});
