import { InputError } from '../errors.js';

/*
 * Checks of an argument's kind at a public entry point, in the base layer so that every layer uses
 * the same ones: from JavaScript a wrong kind would otherwise fail with a TypeError far inside.
 */

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

/**
 * Refuses a `value` that is not a string (any string passes, the empty one too): from JavaScript,
 * `null` or a number would otherwise fail with a TypeError where a string method is first called.
 *
 * @throws {InputError} naming `argument`, with `expected` (default "a string").
 * @example
 * checkString(42, 'template'); // InputError: template: expected a string, got 42
 */
export function checkString(value: unknown, argument: string, expected = 'a string'): asserts value is string {
  if (typeof value !== 'string') throw new InputError({ argument, expected, received: value });
}

/**
 * Refuses a `value` that is not a plain object: from JavaScript, `null` or a missing argument would
 * otherwise fail with a TypeError where it is first read, and an array would pass as keys `0`, `1`….
 *
 * @throws {InputError} naming `argument`, with `expected` (default "an options object { … }").
 * @example
 * checkObject(null, 'options'); // InputError: options: expected an options object { … }, got null
 */
export function checkObject(value: unknown, argument: string, expected = 'an options object { … }'): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError({ argument, expected, received: value });
}

/**
 * Refuses a `value` that is not a list (an array, a typed array or another object with an integer
 * `length`): from JavaScript, `null` or a missing argument would otherwise fail with a TypeError
 * where its length is first read.
 *
 * @throws {InputError} naming `argument`, with `expected` (default "an array of numbers").
 * @example
 * checkArrayLike(null, 'values'); // InputError: values: expected an array of numbers, got null
 */
export function checkArrayLike(value: unknown, argument: string, expected = 'an array of numbers'): asserts value is ArrayLike<unknown> {
  const length = typeof value === 'object' && value !== null ? (value as { length?: unknown }).length : undefined;
  if (!(typeof length === 'number' && Number.isSafeInteger(length) && length >= 0))
    throw new InputError({ argument, expected, received: value });
}

/**
 * Refuses a `value` that is not an array: a function that calls array methods on its argument
 * (`map`, `filter`, `for…of`) would otherwise fail with a TypeError on an object that only has a
 * `length`, such as `{ length: 1 }`, where `checkArrayLike` lets it through.
 *
 * @throws {InputError} naming `argument`, with `expected` (default "an array").
 * @example
 * checkArray({ length: 1 }, 'points'); // InputError: points: expected an array, got {"length":1}
 */
export function checkArray(value: unknown, argument: string, expected = 'an array'): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw new InputError({ argument, expected, received: value });
}
