import { hostname } from 'node:os';
import { ActiveTestingError } from '../errors.js';

/**
 * Another live process holds a session file open for writing, or another session object of this
 * process that was not closed (the message then says so).
 *
 * @example
 * try {
 *   await ActiveTestingSession.open('runs/a.session');
 * } catch (error) {
 *   if (!(error instanceof SessionLockedError)) throw error;
 *   console.error(`labelled elsewhere now: process ${error.pid} on ${error.host}`);
 * }
 */
export class SessionLockedError extends ActiveTestingError {
  override name = 'SessionLockedError';
  constructor(
    readonly path: string,
    readonly pid: number,
    readonly host: string,
  ) {
    super(
      pid === process.pid && host === hostname()
        ? // Another session object of this very process holds it: no other process to look for.
          `${path} is already open for writing in this process (process ${pid}); close() the session that opened it first`
        : `${path} is open for writing by process ${pid} on ${host}; close it there first ` +
            `(if that process is gone from another machine, delete ${path}.lock)`,
    );
  }
}

/**
 * An action that the session's current state does not allow (labelling an item that was not
 * proposed, undo with nothing to undo, ...). Nothing was changed.
 *
 * @example
 * await session.undo(); // SessionStateError on a session with nothing recorded
 */
export class SessionStateError extends ActiveTestingError {
  override name = 'SessionStateError';
}

/**
 * A session file or its lock cannot be created or written (no space, no permission, something else
 * in its place).
 *
 * @example
 * await ActiveTestingSession.create('/mnt/full/a.session', options); // SessionFileError: cannot create the lock file … (ENOSPC)
 */
export class SessionFileError extends ActiveTestingError {
  override name = 'SessionFileError';
}

/**
 * A record could not be written to the session file, so the session closed itself (its memory
 * would be ahead of the file); every later action is refused with this error too. A state error,
 * as the session refuses the action, but one only reopening the session clears.
 *
 * @example
 * // The disk filled up during record(): reopen the file, which holds every label written before.
 * session = await ActiveTestingSession.open(path);
 */
export class SessionWriteError extends SessionStateError {
  override name = 'SessionWriteError';
  constructor(
    /** Why the write failed (the file system's error, or the journal's check). */
    readonly reason: string,
  ) {
    super(`the session file could not be written (${reason}); reopen it to continue`);
  }
}
