import { InputError } from '../errors.js';

/**
 * Refuses a `path` that is not a non-empty string before any file is touched: node:fs reads a
 * number as an open file descriptor (`readFileSync(0)` reads stdin) and throws a bare TypeError
 * on `null` or an object.
 *
 * @throws {InputError} naming `argument`.
 * @example
 * checkPath(5, 'path'); // InputError: path: expected a file path (a non-empty string), got 5
 */
export function checkPath(path: unknown, argument = 'path'): asserts path is string {
  if (typeof path !== 'string' || path === '')
    throw new InputError({ argument, expected: 'a file path (a non-empty string)', received: path });
}
