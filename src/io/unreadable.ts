import { FileFormatError } from '../errors.js';
import { isSystemError, SYSTEM_ERROR_REASONS } from './system-errors.js';

/**
 * The error for a file that could not be read: a failed system call as its plain reason and code
 * (its own message would repeat the path), any other error by its message and any code. `what` names the file's
 * kind where the path alone would not say it.
 *
 * @example
 * unreadableFile('absent.npy', Object.assign(new Error(), { code: 'ENOENT', syscall: 'open' })).message; // "absent.npy: cannot read: no such file (ENOENT)"
 * unreadableFile('x.session', Object.assign(new Error(), { code: 'EACCES', syscall: 'open' }), 'the session file').message; // "x.session: cannot read the session file: permission denied (EACCES)"
 */
export function unreadableFile(path: string, error: unknown, what?: string): FileFormatError {
  return new FileFormatError(path, `cannot read${what === undefined ? '' : ` ${what}`}: ${readFailure(error)}`);
}

/**
 * A failed system call by its plain reason and code, its own message repeating the path; any other error by its message.
 *
 * @example
 * readFailure(Object.assign(new Error(), { code: 'EISDIR', syscall: 'read' })); // "a folder, not a file (EISDIR)"
 */
export function readFailure(error: unknown): string {
  if (isSystemError(error)) {
    const reason = SYSTEM_ERROR_REASONS[error.code];
    return reason === undefined ? error.code : `${reason} (${error.code})`;
  }
  const { message, code } = error as NodeJS.ErrnoException;
  return typeof code === 'string' ? `${message} (${code})` : message;
}
