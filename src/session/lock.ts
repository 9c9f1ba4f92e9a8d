import { FileLock } from '../io/lock.js';
import { SessionFileError, SessionLockedError } from './errors.js';

/**
 * Takes the exclusive write lock of a session file, `<path>.lock` (see `FileLock`).
 *
 * @example
 * const lock = acquireSessionLock('run.session');
 * try { ... } finally { lock.release(); }
 * @throws {SessionLockedError} when a live process holds the lock.
 * @throws {SessionFileError} when the lock cannot be created (a folder in its place, no space, no permission).
 */
export function acquireSessionLock(sessionPath: string): FileLock {
  return FileLock.acquire(`${sessionPath}.lock`, {
    locked: ({ pid, host }) => new SessionLockedError(sessionPath, pid, host),
    unwritable: (message) => new SessionFileError(message),
  });
}
