/**
 * How many faults each file of this suite injects (the issue asks for at least 100 from the
 * session, journal and lock part). Every file reads its count from here, and budget.test.ts sums them.
 */
export const FAULTS = {
  /** ENOSPC or EIO at a random write or fsync of a session append (session-enospc). */
  appendWriteFailures: 60,
  /** ENOSPC or EIO while creating a lock or a session file (session-enospc): 2 library + 1 CLI + 1 create. */
  creationWriteFailures: 4,
  /** SIGKILL during `label --answers` appends, half with a pause inside each record's write (session-kill). */
  appendKills: 20,
  /** Two processes racing for a stale lock with pauses inside the takeover, counted per process (lock-takeover). */
  takeoverRaces: 8,
  /** SIGKILL inside a lock takeover (lock-takeover). */
  takeoverKills: 12,
  /** A folder where the lock goes (lock-takeover). */
  lockIsFolder: 1,
  /** Folders and files the user `nobody` may not write (unwritable). */
  unwritable: 5,
} as const;

export const TOTAL_FAULTS =
  FAULTS.appendWriteFailures +
  FAULTS.creationWriteFailures +
  FAULTS.appendKills +
  2 * FAULTS.takeoverRaces +
  FAULTS.takeoverKills +
  FAULTS.lockIsFolder +
  FAULTS.unwritable;
