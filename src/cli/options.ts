import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Parsed option values, by long name. */
export type OptionValues = Record<string, string | boolean | undefined>;

/**
 * Parses `--name value` / `--flag` options strictly (no positionals, no unknown options); any
 * problem is a `UsageError` (exit code 2).
 *
 * @example
 * const values = parseOptions(['--runs', '10'], { runs: { type: 'string' } }); // { runs: '10' }
 */
export function parseOptions(argv: string[], options: OptionSpecs): OptionValues {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as OptionValues;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function raw(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  if (typeof value === 'boolean') throw new UsageError(`--${name} takes a value`);
  return value;
}

/** The value of a required option, or a `UsageError` saying it is missing. */
export function requiredString(values: OptionValues, name: string): string {
  const value = raw(values, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** An optional integer option; `undefined` when absent. Range checks are left to the code that uses it. */
export function integerOption(values: OptionValues, name: string): number | undefined {
  const value = raw(values, name);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(number)) throw new UsageError(`--${name}: expected an integer, got "${value}"`);
  return number;
}

/** An optional finite number option; `undefined` when absent. */
export function numberOption(values: OptionValues, name: string): number | undefined {
  const value = raw(values, name);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new UsageError(`--${name}: expected a number, got "${value}"`);
  return number;
}

/** An optional option restricted to `choices`; `undefined` when absent. */
export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const value = raw(values, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name}: expected one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** Whether a boolean flag was given. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}
