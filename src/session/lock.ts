import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { SessionLockedError } from './errors.js';

interface LockOwner {
  pid: number;
  host: string;
}

/** Whether a process with this id exists on this machine (EPERM: it exists but belongs to someone else). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(lockPath: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string') return { pid: owner.pid, host: owner.host };
  } catch {
    // Unreadable or half-written lock: treated as stale below.
  }
  return undefined;
}

/**
 * An exclusive write lock on a session file: `<path>.lock` holding the owner's pid and host.
 * A lock whose process no longer exists on this host is stale and is taken over; a lock held
 * by a live process (this one included) is refused with a `SessionLockedError`.
 */
export class SessionLock {
  private constructor(readonly lockPath: string, private released = false) {}

  /**
   * @example
   * const lock = SessionLock.acquire('run.session');
   * try { ... } finally { lock.release(); }
   */
  static acquire(sessionPath: string): SessionLock {
    const lockPath = `${sessionPath}.lock`;
    const me: LockOwner = { pid: process.pid, host: hostname() };
    const body = JSON.stringify(me);
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, body);
      } finally {
        closeSync(fd);
      }
      return new SessionLock(lockPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(lockPath);
    if (owner && (owner.host !== me.host || processExists(owner.pid))) {
      throw new SessionLockedError(sessionPath, owner.pid, owner.host);
    }
    // Stale: replace it atomically, then check that no other process replaced it at the same time.
    const temporary = `${lockPath}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, body);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, lockPath);
    const now = readOwner(lockPath);
    if (!now || now.pid !== me.pid || now.host !== me.host) {
      throw new SessionLockedError(sessionPath, now?.pid ?? -1, now?.host ?? 'unknown host');
    }
    return new SessionLock(lockPath);
  }

  /** Removes the lock file (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      unlinkSync(this.lockPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
