import { appendFileSync, existsSync, mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const N = 40;
const pool = syntheticPool({ poolSize: N, seed: 5 });
const options: CreateSessionOptions = {
  texts: Array.from({ length: N }, (_, i) => `item ${i}`),
  classes: ['a', 'b'],
  modelScores: pool.modelScores,
  surrogateScores: pool.surrogateScores,
  seed: 1,
};
const scratch = () => join(mkdtempSync(join(tmpdir(), 'at-dropped-')), 'pool.session');

/** The descriptors of this process open on `path` (Linux's /proc lists them). */
function descriptorsOn(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // The descriptor readdir itself used, closed since.
    }
  }).length;
}

/** Collects garbage until the session's lock is gone (the registry's callbacks run after a collection), at most 20 rounds. */
async function collectUntilUnlocked(path: string): Promise<void> {
  for (let round = 0; round < 20 && existsSync(`${path}.lock`); round++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Labels the first proposal of a session and drops the session without closing it. */
async function labelOneAndDrop(open: () => Promise<ActiveTestingSession>): Promise<void> {
  const session = await open();
  const [item] = await session.next();
  await session.record(item.id, pool.labels[item.index]);
}

describe('a session dropped without close()', () => {
  it('holds its file and lock while it is reachable', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, options);
    await collectUntilUnlocked(path);
    expect(existsSync(`${path}.lock`)).toBe(true);
    await expect(ActiveTestingSession.open(path)).rejects.toThrow('already open for writing in this process');
    await session.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('releases its lock once collected, so that a long-lived process can open the session again', async () => {
    const path = scratch();
    await labelOneAndDrop(() => ActiveTestingSession.create(path, options));
    await collectUntilUnlocked(path);
    expect(existsSync(`${path}.lock`)).toBe(false);
    await labelOneAndDrop(() => ActiveTestingSession.open(path));
    await collectUntilUnlocked(path);
    expect(existsSync(`${path}.lock`)).toBe(false);
    const reopened = await ActiveTestingSession.open(path);
    expect(reopened.history().map((p) => p.status)).toEqual(['labelled', 'labelled']);
    await reopened.close();
  });

  it.runIf(existsSync('/proc/self/fd'))('closes its file descriptor once collected', async () => {
    const path = scratch();
    await labelOneAndDrop(() => ActiveTestingSession.create(path, options));
    await collectUntilUnlocked(path);
    expect(descriptorsOn(path)).toBe(0);
  });
});

describe('a session whose open fails after its file was opened', () => {
  it.runIf(existsSync('/proc/self/fd'))('closes the file and releases the lock at once, not when collected', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, options);
    const [item] = await session.next();
    await session.record(item!.id, pool.labels[item!.index]!);
    await session.close();
    // A torn last line, as a crash mid-write leaves: opening moves it aside and warns, and an
    // onWarning that throws (warnings taken as errors) fails the open after the file is open.
    appendFileSync(path, '{"kind":"lab');
    const refused = ActiveTestingSession.open(path, {
      onWarning: (message) => {
        throw new Error(`warning taken as an error: ${message}`);
      },
    });
    await expect(refused).rejects.toThrow(/^warning taken as an error: .*is not a complete record/);
    expect(descriptorsOn(path)).toBe(0);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
