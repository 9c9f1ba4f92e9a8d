import { access, constants, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError, ReceivedKind } from '../errors.js';

/**
 * Refuses a new session's path whose folder is missing, a file or not writable, before the session
 * is built (and, on the command line, before the pool and the scores are read): the session's lock
 * would otherwise be the first to find out, with a message about the lock file.
 * One expectation for every case, naming the path given, since the session file is created but
 * never its folder. `argument` names the path: `path` in the library, `--session` on the command line.
 *
 * @throws {InputError} naming `argument` and what is wrong with the folder.
 */
export async function checkSessionFolder(path: string, argument: string): Promise<void> {
  const folder = dirname(path);
  const refusal = (why: string): InputError =>
    new InputError({
      argument,
      expected: 'a file in an existing folder that can be written (the session file is created, not its folder)',
      received: ReceivedKind.noted(path, why),
    });
  let isFolder: boolean;
  try {
    isFolder = (await stat(folder)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw refusal(`${folder} does not exist`);
    if (code === 'ENOTDIR') throw refusal(`${folder} lies inside a file`);
    throw refusal(`${folder} cannot be read (${code})`);
  }
  if (!isFolder) throw refusal(`${folder} is a file`);
  try {
    await access(folder, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw refusal(
      `${folder} ${(error as NodeJS.ErrnoException).code === 'EROFS' ? 'is on a read-only file system' : 'is not writable by this user'}`,
    );
  }
}
