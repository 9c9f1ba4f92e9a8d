import { join } from 'node:path';
import { InputError, OutputLockedError } from '../errors.js';
import { assertFolderWritable, makeFolders, removeCreatedFolders } from './atomic.js';
import { FileLock } from './lock.js';

/** The lock file of an output folder: one name for every command, so that no two commands write one folder at once. */
export const OUTPUT_LOCK_NAME = '.active-testing.lock';

/**
 * Runs `work` while this process holds the lock of the output folder `dir` (`dir/.active-testing.lock`),
 * so that two runs writing the same folder, of one command or of two, never both pass its checks
 * and then replace each other's results, or mix their files: the second is refused with
 * `OutputLockedError` naming the first. The folder is created to hold the lock; when `work` fails and the folder was made only
 * for the lock, it goes again. A lock left by a process that died is taken over.
 *
 * @example
 * await withOutputLock('runs/a', async () => writeSimulationOutputs('runs/a', result, summary));
 * @throws InputError when the folder cannot be written; OutputLockedError when another live process holds it.
 */
export async function withOutputLock<T>(dir: string, work: () => Promise<T>, argument = '--out'): Promise<T> {
  await assertFolderWritable(dir, argument);
  const created = await makeFolders(dir);
  const lockPath = join(dir, OUTPUT_LOCK_NAME);
  let lock: FileLock;
  try {
    lock = FileLock.acquire(lockPath, {
      locked: ({ pid, host }) => new OutputLockedError(dir, pid, host, lockPath),
      unwritable: (message) => new InputError({ argument, expected: 'a folder that can hold the lock file', received: message }),
    });
  } catch (error) {
    await removeCreatedFolders(dir, created);
    throw error;
  }
  let failed = true;
  try {
    const result = await work();
    failed = false;
    return result;
  } finally {
    lock.release();
    if (failed) await removeCreatedFolders(dir, created);
  }
}
