import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError, UsageError } from '../errors.js';
import { closestName } from '../options/suggest.js';
import {
  cliFlag,
  cliOptionsIn,
  optionNames,
  parseIntegerText,
  parseNumberText,
  parseOptionText,
  unknownFlagHint,
  type OptionContext,
} from '../options/schema.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

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
  checkFlagNames(argv, options);
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as OptionValues;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Refuses an unknown `--flag` with a "did you mean" suggestion, before `parseArgs` says less. */
function checkFlagNames(argv: readonly string[], options: OptionSpecs): void {
  const valid = Object.keys(options).map((name) => `--${name}`);
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return;
    if (!token.startsWith('--')) continue;
    const [flag, inlineValue] = token.split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = options[flag.slice(2)];
    if (spec === undefined) throw new UsageError(`unknown option ${flag}: ${unknownFlagHint(flag, valid)}`);
    if (spec.type === 'string' && inlineValue === undefined) i++;
  }
}

/**
 * The `parseArgs` specs of the options of `context` that the option schema gives a flag, plus the
 * command's own (`--out`, `--force`, ...).
 *
 * @example
 * schemaFlags('simulate', { out: { type: 'string' } })['model-scores']; // { type: 'string' }
 */
export function schemaFlags(context: OptionContext, own: OptionSpecs, names?: readonly string[]): OptionSpecs {
  const specs: OptionSpecs = {};
  for (const d of cliOptionsIn(context))
    if (names === undefined || names.includes(d.name)) specs[cliFlag(d.name).slice(2)] = { type: 'string' };
  return { ...specs, ...own };
}

/**
 * The schema options of `context` given on the command line, by their TypeScript names, parsed
 * and checked by the schema (file options come back as paths). Absent ones are left out.
 *
 * @throws {UsageError} on malformed or out-of-range values (exit code 2).
 * @example
 * schemaValues({ runs: '10', clip: '0.2' }, 'simulate'); // { runs: 10, clip: 0.2 }
 */
export function schemaValues(values: OptionValues, context: OptionContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of cliOptionsIn(context)) {
    const flag = cliFlag(d.name).slice(2);
    const text = raw(values, flag);
    if (text !== undefined) out[d.name] = parseOptionText(d.name, text, context);
  }
  return out;
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

/**
 * An optional integer option, at least `min` when given; `undefined` when absent. Decimal digits
 * only: `0x10`, `1e3`, ` 5` and empty text are usage errors, as is a value below `min`.
 */
export function integerOption(values: OptionValues, name: string, min = -Infinity): number | undefined {
  const value = raw(values, name);
  if (value === undefined) return undefined;
  const number = parseIntegerText(value, `--${name}`);
  if (number < min) throw new UsageError(`--${name}: expected an integer ≥ ${min}, got "${value}"`);
  return number;
}

/** An optional finite decimal number option; `undefined` when absent (`0x10`, ` 5`, `Infinity` and empty text are usage errors). */
export function numberOption(values: OptionValues, name: string): number | undefined {
  const value = raw(values, name);
  if (value === undefined) return undefined;
  return parseNumberText(value, `--${name}`);
}

/** An optional option restricted to `choices`; `undefined` when absent. */
export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[]): T | undefined {
  const value = raw(values, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name}: expected one of ${choices.join(', ')}, got "${value}"${hint(value, choices)}`);
  }
  return value as T;
}

function hint(value: string, choices: readonly string[]): string {
  const closest = closestName(value, choices);
  return closest === undefined ? '' : ` (did you mean ${closest}?)`;
}

/** Whether a boolean flag was given. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/**
 * Runs `work` and re-labels an `InputError` about a schema option of `context` with its
 * command-line flag (`clip` → `--clip`), so that errors name what the user typed.
 *
 * @example
 * await withFlagNames('simulate', () => resolveSimulationOptions({ size: 10_000 }, 100, false)); // InputError: --size: …
 */
export async function withFlagNames<T>(context: OptionContext, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const flagName =
      error.argument === 'calibration'
        ? '--calibration-scores'
        : optionNames(context).includes(error.argument)
          ? cliFlag(error.argument)
          : undefined;
    if (flagName === undefined) throw error;
    throw new InputError({ argument: flagName, expected: error.expected, received: error.received, row: error.row });
  }
}
