import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { SessionFileError, SessionWriteError } from '../../src/session/errors.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { syntheticSessionOptions } from './session-options.js';

/**
 * A file system remounted read-only on demand (as Linux does after an I/O error): every write,
 * fsync and unlink of the session code then fails with EROFS.
 */
const disk = vi.hoisted(() => ({ readOnly: false }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const guarded =
    <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): R => {
      if (disk.readOnly) throw Object.assign(new Error('EROFS: read-only file system (injected)'), { code: 'EROFS' });
      return call(...args);
    };
  return { ...fs, default: fs, writeSync: guarded(fs.writeSync), fsyncSync: guarded(fs.fsyncSync), unlinkSync: guarded(fs.unlinkSync) };
});

const N = 40;
const { ids, labels, options: poolOptions } = syntheticSessionOptions(N, 2);
const options: CreateSessionOptions = { ...poolOptions, seed: 1 };

async function openSession(): Promise<{ path: string; session: ActiveTestingSession; first: string }> {
  disk.readOnly = false;
  const path = join(mkdtempSync(join(tmpdir(), 'at-erofs-')), 'pool.session');
  const session = await ActiveTestingSession.create(path, options);
  const [item] = await session.next();
  await session.record(item.id, labels[ids.indexOf(item.id)]);
  return { path, session, first: item.id };
}

describe('a session whose file system turns read-only', () => {
  it('refuses the next record with SessionWriteError, not the lock’s unlink error, and keeps every acknowledged label', async () => {
    const { path, session, first } = await openSession();
    const [item] = await session.next();
    disk.readOnly = true;
    const error = await session.record(item.id, 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionWriteError);
    expect((error as Error).message).toMatch(/EROFS/);
    expect(await session.skip(item.id).catch((e: unknown) => e)).toBe(error);
    await session.close();
    disk.readOnly = false;
    // The lock this live process could not remove stays; what the file holds is intact.
    expect(existsSync(`${path}.lock`)).toBe(true);
    const { exportSessionLabels } = await import('../../src/session/export-labels.js');
    expect(exportSessionLabels(path).labels.map((l) => l.id)).toEqual([first]);
  });

  it('close() says in a typed error that the lock could not be removed and the labels are saved', async () => {
    const { path, session } = await openSession();
    disk.readOnly = true;
    const error = await session.close().catch((e: unknown) => e);
    disk.readOnly = false;
    expect(error).toBeInstanceOf(SessionFileError);
    expect((error as Error).message).toBe(
      `cannot remove the lock file ${path}.lock (EROFS); every label is saved, and the next process to open the session takes the lock over once this one has exited`,
    );
    await session.close();
  });
});
