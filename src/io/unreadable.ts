import { FileFormatError } from '../errors.js';

/** Plain reasons for the system errors a read most often meets. */
const SYSTEM_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/**
 * The error for a file that could not be read: a system error as its plain reason and code (its
 * own message would repeat the path), any other error by its message. `what` names the file's
 * kind where the path alone would not say it.
 *
 * @example
 * unreadableFile('absent.npy', Object.assign(new Error(), { code: 'ENOENT' })).message; // "absent.npy: cannot read: no such file (ENOENT)"
 * unreadableFile('x.session', Object.assign(new Error(), { code: 'EACCES' }), 'the session file').message; // "x.session: cannot read the session file: permission denied (EACCES)"
 */
export function unreadableFile(path: string, error: unknown, what?: string): FileFormatError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === undefined ? (error as Error).message : SYSTEM_REASONS[code] === undefined ? code : `${SYSTEM_REASONS[code]} (${code})`;
  return new FileFormatError(path, `cannot read${what === undefined ? '' : ` ${what}`}: ${reason}`);
}
