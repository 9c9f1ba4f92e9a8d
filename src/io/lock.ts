import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { faultPoint } from './fault.js';

/** The process that holds a lock. */
export interface LockOwner {
  pid: number;
  host: string;
  /**
   * When the process started (`processStart`), where the system says: with the pid, it tells the
   * owner from a later process given the same pid. Absent in locks written without /proc, and by
   * versions before it was recorded.
   */
  started?: string;
}

/**
 * The errors a lock is refused with, in the words of what it guards (a session file, an output
 * folder): the lock is the same, what the user should do about it is not.
 */
export interface LockErrors {
  /** A live process holds the lock (`pid` -1 when it could not be read back after a lost race). */
  locked(owner: LockOwner): Error;
  /** The lock file cannot be created or replaced; `message` says which file and why. */
  unwritable(message: string): Error;
}

/**
 * The process that holds the lock at `lockPath`, or undefined when there is none or it is stale (its
 * process is gone from this host): what `FileLock.acquire` would refuse as locked.
 *
 * @example
 * lockHolder('runs/grid/.active-testing.lock'); // { pid: 1234, host: 'vm' } while a run writes runs/grid
 */
export function lockHolder(lockPath: string): LockOwner | undefined {
  const owner = readOwner(lockPath);
  return owner && (owner.host !== hostname() || ownerRunning(owner)) ? owner : undefined;
}

/**
 * Whether a process with this id is running on this machine (EPERM: it exists but belongs to
 * someone else). A zombie, a killed process that its parent has not reaped yet (an orphan waits for
 * the init process: a second or more in some containers), writes nothing more: it counts as gone.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** Whether /proc says the process is a zombie (state Z); false where there is no /proc. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (command) state ...": the command may itself hold parentheses, the state follows the last.
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/**
 * When the process `pid` of this machine started, as `<boot id>:<clock ticks since boot>`
 * (/proc/sys/kernel/random/boot_id and field 22 of /proc/<pid>/stat); undefined where /proc
 * does not say. Two processes have the same pid and start only if they are the same process.
 */
export function processStart(pid: number): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (command) " come the state (field 3) and the rest: the start time is field 22.
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
    return boot !== '' && ticks !== undefined && /^\d+$/.test(ticks) ? `${boot}:${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the owner of a lock written on this machine is still running. Its pid alone does not
 * say: after a reboot or a container's restart a new process can be given the same pid (a
 * container's main process is pid 1 each time), and would then be locked out by its own former
 * lock. Where the lock records when its owner started, a process with that pid and another start
 * is someone else.
 */
function ownerRunning(owner: LockOwner): boolean {
  if (owner.pid === process.pid) return ownedByThisProcess(owner);
  if (!processExists(owner.pid)) return false;
  if (owner.started === undefined) return true;
  const started = processStart(owner.pid);
  return started === undefined || started === owner.started;
}

/**
 * Whether a lock names this process. Every lock of this process (any thread, any copy of the
 * library in it) records its start where /proc gives one: a lock naming its pid without that
 * start is a former process's, perhaps written by a version that recorded no start.
 */
function ownedByThisProcess(owner: LockOwner): boolean {
  if (owner.pid !== process.pid || owner.host !== hostname()) return false;
  const mine = processStart(process.pid);
  return mine === undefined || owner.started === mine;
}

function readOwner(lockPath: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string')
      return { pid: owner.pid, host: owner.host, ...(typeof owner.started === 'string' && { started: owner.started }) };
  } catch {
    // Unreadable or half-written lock (only versions before atomic locks left those): stale.
  }
  return undefined;
}

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

function fileError(errors: LockErrors, lockPath: string, action: string, error: unknown): Error {
  return errors.unwritable(`cannot ${action} the lock file ${lockPath} (${code(error) ?? (error as Error).message}); nothing was written`);
}

/** Writes the owner's pid to a new file beside the lock, flushed, so that it can be linked into place complete. */
function writeOwnerFile(errors: LockErrors, lockPath: string, owner: LockOwner): string {
  const temporary = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx');
    try {
      const bytes = Buffer.from(JSON.stringify(owner));
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    removeQuietly(temporary);
    throw fileError(errors, lockPath, 'create', error);
  }
  return temporary;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or never created.
  }
}

/** Links `temporary` to `lockPath`; false when `lockPath` already exists (link never replaces). */
function linkInPlace(errors: LockErrors, temporary: string, lockPath: string): boolean {
  try {
    linkSync(temporary, lockPath);
    return true;
  } catch (error) {
    if (code(error) === 'EEXIST') return false;
    throw fileError(errors, lockPath, 'create', error);
  }
}

/**
 * An exclusive write lock: a lock file (a session's `<path>.lock`, an output folder's) holding the owner's pid and host.
 * The lock file appears complete or not at all: the pid is written to a temporary file that is
 * then hard-linked into place, which fails if a lock exists. A lock whose process no longer
 * exists on this host (its pid gone, or given to a process that started later) is stale and is
 * taken over, also atomically: it is renamed aside (one
 * process wins that rename), checked to be the stale lock that was judged, and the new lock is
 * linked into place. A lock held by a live process (this one included) is refused with the
 * caller's `LockErrors.locked`.
 */
export class FileLock {
  private constructor(
    readonly lockPath: string,
    private released = false,
  ) {}

  /**
   * @example
   * const lock = FileLock.acquire('run.session.lock', sessionLockErrors);
   * try { ... } finally { lock.release(); }
   * @throws the error of `errors.locked` when a live process holds the lock, of `errors.unwritable`
   * when it cannot be created (a folder in its place, no space, no permission).
   */
  static acquire(lockPath: string, errors: LockErrors): FileLock {
    const started = processStart(process.pid);
    const me: LockOwner = { pid: process.pid, host: hostname(), ...(started !== undefined && { started }) };
    removeLeftovers(lockPath);
    const temporary = writeOwnerFile(errors, lockPath, me);
    try {
      faultPoint('lock:written');
      if (linkInPlace(errors, temporary, lockPath)) return new FileLock(lockPath);
      checkIsFile(errors, lockPath);
      const owner = readOwner(lockPath);
      if (owner && (owner.host !== me.host || ownerRunning(owner))) throw errors.locked(owner);
      faultPoint('lock:stale');
      takeOver(errors, lockPath, owner);
      faultPoint('lock:aside');
      if (linkInPlace(errors, temporary, lockPath)) return new FileLock(lockPath);
      const winner = readOwner(lockPath);
      throw errors.locked({ pid: winner?.pid ?? -1, host: winner?.host ?? 'unknown host' });
    } finally {
      removeQuietly(temporary);
    }
  }

  /**
   * Removes the lock file (idempotent), unless it is no longer this process's: a lock that another
   * process took over (this one was judged stale) is left to its new owner.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    const owner = readOwner(this.lockPath);
    if (owner !== undefined && !ownedByThisProcess(owner)) return;
    try {
      unlinkSync(this.lockPath);
    } catch (error) {
      if (code(error) !== 'ENOENT') throw error;
    }
  }
}

/** Leftovers older than this, of a process that no longer exists, are removed: an acquisition takes milliseconds. */
const LEFTOVER_AGE_MS = 60_000;

/**
 * Removes the pid files and moved-aside locks that processes killed in the middle of an
 * acquisition left beside the lock (`<lock>.<pid>.<hex>.tmp` or `.stale`), once old enough that
 * no acquisition in progress, on any machine sharing the folder, can still own them.
 */
function removeLeftovers(lockPath: string): void {
  const folder = dirname(lockPath);
  const prefix = `${basename(lockPath)}.`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return; // An unreadable folder: creating the lock reports the problem.
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{8}\.(tmp|stale)$/.exec(name.slice(prefix.length));
    if (!match || processExists(Number(match[1]))) continue;
    const path = join(folder, name);
    try {
      if (now - statSync(path).mtimeMs > LEFTOVER_AGE_MS) unlinkSync(path);
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

function checkIsFile(errors: LockErrors, lockPath: string): void {
  let isFile: boolean;
  try {
    isFile = lstatSync(lockPath).isFile();
  } catch {
    return; // Gone since: the takeover below finds nothing to move and links.
  }
  if (!isFile) throw errors.unwritable(`${lockPath} is not a lock file (a folder or another kind of file is in its place); remove it`);
}

/**
 * Moves the stale lock aside under a name of this process's own. Only one process can move a
 * given lock file; if what was moved is not the stale lock that was judged (another process took
 * over in between), it is put back and the lock is refused.
 */
function takeOver(errors: LockErrors, lockPath: string, judged: LockOwner | undefined): void {
  const aside = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(lockPath, aside);
  } catch (error) {
    if (code(error) === 'ENOENT') return; // Released or moved by another process: link decides.
    throw fileError(errors, lockPath, 'replace', error);
  }
  const moved = readOwner(aside);
  const same =
    moved === judged ||
    (moved !== undefined &&
      judged !== undefined &&
      moved.pid === judged.pid &&
      moved.host === judged.host &&
      moved.started === judged.started);
  if (!same && moved !== undefined && (moved.host !== hostname() || ownerRunning(moved))) {
    let restored = false;
    try {
      linkSync(aside, lockPath);
      restored = true;
    } catch {
      // Another process linked its lock meanwhile: it holds the lock now.
    }
    removeQuietly(aside);
    if (restored) throw errors.locked(moved);
    const now = readOwner(lockPath);
    throw errors.locked(now ?? moved);
  }
  removeQuietly(aside);
}
