import { lstatSync, realpathSync } from 'node:fs';
import { FileLock } from '../io/lock.js';
import { SessionFileError, SessionLockedError } from './errors.js';

/**
 * The path a session file's lock is named after: the file itself, also when `sessionPath` is a
 * symbolic link to it. Named after the link, the lock would let one process write through the link
 * while another writes through the file's own name, and the second to open would cut the first's
 * record in progress as a torn line, an acknowledged label with it. The path as given otherwise (a
 * file that does not exist yet is being created, by that path).
 */
function lockedPath(sessionPath: string): string {
  try {
    return lstatSync(sessionPath).isSymbolicLink() ? realpathSync(sessionPath) : sessionPath;
  } catch {
    return sessionPath;
  }
}

/**
 * Takes the exclusive write lock of a session file, `<path>.lock` beside the file itself (when
 * `sessionPath` is a symbolic link, beside the file it leads to; see `FileLock`).
 *
 * @example
 * const lock = acquireSessionLock('run.session');
 * try { ... } finally { lock.release(); }
 * @throws {SessionLockedError} when a live process holds the lock.
 * @throws {SessionFileError} when the lock cannot be created (a folder in its place, no space, no permission).
 */
export function acquireSessionLock(sessionPath: string): FileLock {
  const path = lockedPath(sessionPath);
  return FileLock.acquire(`${path}.lock`, {
    locked: ({ pid, host }) => new SessionLockedError(path, pid, host),
    unwritable: (message) => new SessionFileError(message),
  });
}
