import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { meantHint } from '../io/suggest.js';
import {
  cliFlag,
  commandLineExpectation,
  commandOptions,
  OPTION_DECLARATIONS,
  optionNames,
  parseOptionText,
  unknownFlagHint,
  type CommandName,
  type OptionContext,
} from '../options/schema.js';
import { ACQUISITIONS, ESTIMATORS, type AcquisitionName, type EstimatorName } from '../options/registry.js';

/**
 * A flag's `parseArgs` spec, and for a flag with a value what that value must be (`expects`: the
 * schema's words, `an integer ≥ 1`), which a flag given without one is told.
 */
export type FlagSpec = NonNullable<ParseArgsConfig['options']>[string] & { expects?: string };

export type OptionSpecs = Record<string, FlagSpec>;

/** The start of a negative number (`-1.5`, `-.5`): a value, where any other `-x` after a flag is another option. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/** Parsed option values, by long name. */
export type OptionValues = Record<string, string | boolean | undefined>;

/**
 * Parses `--name value` / `--flag` options strictly (no positionals, no unknown options); any
 * problem is a `UsageError` (exit code 2). A value may be a negative number (`--clip -0.1`), so
 * that the option's own check, not the parser, says what is wrong with it.
 *
 * @example
 * const values = parseOptions(['--runs', '10'], { runs: { type: 'string' } }); // { runs: '10' }
 */
export function parseOptions(argv: string[], options: OptionSpecs): OptionValues {
  const given = withNegativeValues(argv, options);
  checkFlagNames(given, options);
  const spaced = withSpacedChoices(given, options);
  const args = joinRepeatedLists(spaced.args);
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as OptionValues;
  } catch (error) {
    throw new UsageError(parseArgsRefusal(error as Error & { code?: string }, given, spaced.unexpected));
  }
}

/**
 * `parseArgs`'s refusal in the words of the other usage errors (`Unknown option '-x'` becomes
 * `unknown option -x: …`), naming the argument it quotes; any other refusal as it is. `args` are
 * the arguments as given (before `joinRepeatedLists`); `unexpected` is where among them the
 * argument refused as unexpected stands (`withSpacedChoices`), for a hint about a misspelt choice
 * (-1: none, as where positionals are allowed).
 */
export function parseArgsRefusal(error: Error & { code?: string }, args: readonly string[], unexpected = -1): string {
  const quoted = /'([^']*)'/.exec(error.message)?.[1];
  if (quoted === undefined) return error.message;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      // Spaced values of a choice list were taken as its values (withSpacedChoices): this is none.
      return `unexpected argument ${JSON.stringify(quoted)}: this command takes only options, each with its value (--name value)${afterChoicesHint(args, unexpected)}`;
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      // Long options are refused earlier (checkFlagNames), with a suggestion; this is a short one.
      return `unknown option ${quoted}: options are written in full, with two dashes (--name)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const given = args.find((arg) => arg.startsWith(`${quoted}=`));
      return given === undefined ? error.message : `${quoted} takes no value, got ${JSON.stringify(given.slice(quoted.length + 1))}`;
    }
    default:
      return error.message;
  }
}

/** Arguments given after a list option's value as if they were more of its values, and how to give them. */
export interface StrayListValues {
  /** The first of them. */
  stray: string;
  /** The list option (`--thresholds`). */
  flag: string;
  /** How to give them: `give --thresholds's values comma-separated (--thresholds 50,100) or repeat --thresholds`. */
  hint: string;
}

/**
 * The first argument that is neither an option nor an option's value and follows a list option's
 * value as a value that list takes, with the ones after it that are too (`--thresholds 50 100`,
 * as a shell user may write it): undefined where there is none. A list takes a value it names
 * among its choices, or a whole number where it counts; a list of free names (`--classes a,b
 * data.csv`) cannot tell its values from a forgotten option's, and takes none here.
 *
 * @example
 * strayListValues(['--thresholds', '50', '100', 'runs/a'], commandFlags('report'))?.hint; // "give --thresholds's values comma-separated (--thresholds 50,100) or repeat --thresholds"
 */
export function strayListValues(args: readonly string[], options: OptionSpecs): StrayListValues | undefined {
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') return undefined;
    if (isOption(token)) {
      const [flag, inlineValue] = token.split(/=(.*)/s, 2) as [string, string | undefined];
      if (inlineValue === undefined && options[flag.slice(2)]?.type === 'string') i++;
      continue;
    }
    const found = listValuesAt(args, i);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `strayListValues` for the argument at `i`, which is neither an option nor an option's value. */
function listValuesAt(args: readonly string[], i: number): StrayListValues | undefined {
  // The flag whose value comes just before it, written `--list=v` or `--list v`.
  const flag = [args[i - 1], args[i - 2]].find((arg) => arg?.startsWith('--'))?.split('=', 1)[0];
  if (flag === undefined || !isListFlag(flag)) return undefined;
  const strays = [];
  for (let j = i; j < args.length && !isOption(args[j]!) && listTakes(flag, args[j]!); j++) strays.push(args[j]!);
  if (strays.length === 0) return undefined;
  const given = joinRepeatedLists(args.slice(0, i))
    .filter((arg) => arg.startsWith(`${flag}=`))
    .flatMap((arg) => arg.slice(flag.length + 1).split(','));
  const values = [...new Set([...given, ...strays])].filter((value) => value !== '');
  return { stray: strays[0]!, flag, hint: `give ${flag}'s values comma-separated (${flag} ${values.join(',')}) or repeat ${flag}` };
}

/** `args` with spaced choices written as flags, and where the first argument they leave unexpected stands. */
export interface SpacedChoices {
  /** `--interval anytime fixed` as `--interval anytime --interval=fixed`. */
  args: string[];
  /**
   * Where in the arguments as given stands the first that is neither an option, an option's value
   * nor a spaced choice: the one `parseArgs` refuses as unexpected; -1 where none is.
   */
  unexpected: number;
}

/**
 * `args` (checked by `checkFlagNames`) with the arguments that follow a choice list's value and
 * are among its choices written as more of its flags: `--interval anytime fixed bootstrap`, as a
 * shell user may write it (and argparse's `nargs='+'` reads it), is `--interval anytime --interval
 * fixed --interval bootstrap`, which `joinRepeatedLists` joins. These commands take no other
 * arguments, so such a value cannot be meant as anything else; an argument that is not a choice
 * stays, refused as unexpected, and where the first of them stands is kept for the refusal's hint.
 * A list of free names or counts (`--classes a,b data.csv`) cannot tell its values from a
 * forgotten option's, and takes none this way.
 *
 * @example
 * withSpacedChoices(['--interval', 'anytime,', 'fixed'], commandFlags('simulate')).args; // ['--interval', 'anytime,fixed']
 * withSpacedChoices(['--interval', 'anytime', 'fixed', '--runs', '5'], commandFlags('simulate')).args; // ['--interval', 'anytime', '--interval=fixed', '--runs', '5']
 * withSpacedChoices(['--interval', 'anytime', 'fxed'], commandFlags('simulate')).unexpected; // 2
 */
export function withSpacedChoices(args: readonly string[], options: OptionSpecs): SpacedChoices {
  const out: string[] = [];
  let unexpected = -1;
  // The choice list whose value (or spaced choice) is the argument just read.
  let list: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') {
      // parseArgs reads every argument after `--` as a positional.
      if (unexpected === -1 && i + 1 < args.length) unexpected = i + 1;
      out.push(...args.slice(i));
      break;
    }
    if (isOption(token)) {
      const [flag, inlineValue] = token.split(/=(.*)/s, 2) as [string, string | undefined];
      out.push(token);
      if (inlineValue === undefined && options[flag.slice(2)]?.type === 'string' && i + 1 < args.length) out.push(args[++i]!);
      list = hasChoices(flag) ? flag : undefined;
      continue;
    }
    if (list !== undefined && takesAll(list, token)) {
      // Next to a comma or after an empty `--interval=` (`--interval anytime, fixed` or `anytime
      // ,fixed`, split by the shell at the space), the choices continue that value.
      const last = out.length - 1;
      if (out[last]!.endsWith(',') || token.startsWith(',') || out[last] === `${list}=`) out[last] += token;
      else out.push(`${list}=${token}`);
      continue;
    }
    if (unexpected === -1) unexpected = i;
    list = undefined;
    out.push(token);
  }
  return { args: out, unexpected };
}

/**
 * Where the argument refused as unexpected, at `at` in `args`, comes right after a choice list's
 * values and looks like a misspelt choice (`--interval anytime fxed`): the list's choices, and
 * the one it may mean; '' otherwise (a forgotten `--out` before a folder is no choice).
 */
function afterChoicesHint(args: readonly string[], at: number): string {
  const stray = args[at];
  if (stray === undefined) return '';
  // The flag of the values it follows: an option's own value is never refused as unexpected, so
  // the stray stands after that value (`--interval fxed fxed`) or after spaced choices.
  let i = at - 1;
  while (i >= 0 && !isOption(args[i]!)) i--;
  if (i < 0) return '';
  const flag = args[i]!.split('=', 1)[0]!;
  const spec = OPTION_DECLARATIONS.find((d) => cliFlag(d.name) === flag)?.value;
  const choices = spec?.kind === 'list' ? spec.choices : undefined;
  if (choices === undefined) return '';
  const meant = meantHint(stray, choices);
  return meant === '' ? '' : `; ${flag} takes ${choices.join(', ')}${meant}`;
}

/** Whether `token` is one or more of the choices of `list`, comma-separated (`fixed`, `fixed,`, `,fixed,bootstrap`). */
function takesAll(list: string, token: string): boolean {
  const values = token.split(',').filter((value) => value !== '');
  return values.length > 0 && values.every((value) => listTakes(list, value));
}

/** Whether `flag` is a list option whose values are named choices (`--interval`). */
function hasChoices(flag: string): boolean {
  const spec = OPTION_DECLARATIONS.find((d) => cliFlag(d.name) === flag)?.value;
  return spec?.kind === 'list' && spec.choices !== undefined;
}

/** Whether `arg` is an option (`--name`, `-x`), as `parseArgs` reads it: a lone `-` is an argument. */
function isOption(arg: string): boolean {
  return arg.startsWith('-') && arg !== '-';
}

/** `argv` with each `--name -1.5` of a valued option written `--name=-1.5`, which `parseArgs` takes as a value. */
export function withNegativeValues(argv: readonly string[], options: OptionSpecs): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const next = argv[i + 1];
    const valued = token.startsWith('--') && !token.includes('=') && options[token.slice(2)]?.type === 'string';
    if (valued && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      args.push(`${token}=${next}`);
      i++;
    } else {
      args.push(token);
    }
  }
  return args;
}

/**
 * Refuses an unknown `--flag` with a "did you mean" suggestion, before `parseArgs` says less; a
 * flag without its value (last, or followed by another option), saying what the value must be;
 * and an option with one value given twice: `parseArgs` keeps the last, so `--runs 10 --runs 1000`
 * would silently run something other than what was typed. A list option may be repeated
 * (`joinRepeatedLists` joins its values).
 *
 * @throws {UsageError} naming the flag and the closest valid one, the flag and what its value must
 * be, or the repeated flag.
 */
export function checkFlagNames(argv: readonly string[], options: OptionSpecs): void {
  const valid = Object.keys(options).map((name) => `--${name}`);
  const valued = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return;
    if (!token.startsWith('--')) continue;
    const [flag, inlineValue] = token.split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = options[flag.slice(2)];
    if (spec === undefined) {
      const hint = unknownFlagHint(flag, valid);
      throw new UsageError(`unknown option ${flag}${hint.startsWith('(') ? ' ' : ': '}${hint}`);
    }
    if (spec.type !== 'string') continue;
    if (inlineValue === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.length > 1 && next.startsWith('-') && !NEGATIVE_NUMBER.test(next))) {
        const after = next === undefined ? '' : ` before ${next}`;
        throw new UsageError(`${flag}: expected ${spec.expects ?? 'a value'}, got nothing${after}`);
      }
    }
    if (valued.has(flag) && !isListFlag(flag)) throw new UsageError(`${flag} is given twice: give it once`);
    valued.add(flag);
    if (inlineValue === undefined) i++;
  }
}

/**
 * `args` (checked by `checkFlagNames`) with each list option given more than once written once,
 * its values joined in order: `--interval anytime --interval fixed` is `--interval=anytime,fixed`,
 * as `parseArgs` would otherwise keep only the last. A value given twice is then refused by the
 * option's own check, as within one comma-separated list.
 *
 * @example
 * joinRepeatedLists(['--interval', 'anytime', '--runs', '5', '--interval=fixed']); // ['--interval=anytime,fixed', '--runs', '5']
 */
export function joinRepeatedLists(args: readonly string[]): string[] {
  const joined: string[] = [];
  const listAt = new Map<string, number>();
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') {
      joined.push(...args.slice(i));
      break;
    }
    const [flag, inlineValue] = token.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!token.startsWith('--') || !isListFlag(flag)) {
      joined.push(token);
      continue;
    }
    const value = inlineValue ?? args[++i]!;
    const at = listAt.get(flag);
    if (at === undefined) {
      listAt.set(flag, joined.length);
      joined.push(`${flag}=${value}`);
    } else {
      joined[at] += `,${value}`;
    }
  }
  return joined;
}

/** Whether `flag` (`--interval`) is a list option, whose values may be given over several flags. */
function isListFlag(flag: string): boolean {
  return OPTION_DECLARATIONS.some((d) => cliFlag(d.name) === flag && d.value.kind === 'list');
}

/** Whether the list option `flag` takes `value`: one of its named choices, or a whole number where it counts. */
function listTakes(flag: string, value: string): boolean {
  const spec = OPTION_DECLARATIONS.find((d) => cliFlag(d.name) === flag)?.value;
  if (spec?.kind !== 'list') return false;
  return spec.choices !== undefined ? spec.choices.includes(value) : spec.item === 'counts' && /^\d+$/.test(value);
}

/**
 * The `parseArgs` specs of every flag of `command`, from the option schema: a value for each, with
 * what it must be, none for the on/off flags.
 *
 * @example
 * commandFlags('simulate').runs; // { type: 'string', expects: 'an integer ≥ 1' }
 * commandFlags('simulate').force; // { type: 'boolean' }
 */
export function commandFlags(command: CommandName): OptionSpecs {
  const specs: OptionSpecs = {};
  for (const { declaration: d, context } of commandOptions(command))
    specs[cliFlag(d.name).slice(2)] =
      d.value.kind === 'flag' ? { type: 'boolean' } : { type: 'string', expects: commandLineExpectation(d, context) };
  return specs;
}

/**
 * The flags of `command` given on the command line, by their TypeScript names, parsed and checked
 * by the schema (on/off flags are `true`, file options come back as paths, lists as arrays).
 * Absent ones are left out.
 *
 * @throws {UsageError} on malformed or out-of-range values (exit code 2).
 * @example
 * commandValues({ runs: '10', clip: '0.2', force: true }, 'simulate'); // { runs: 10, clip: 0.2, force: true }
 */
export function commandValues(values: OptionValues, command: CommandName): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { declaration: d, context } of commandOptions(command)) {
    const flagName = cliFlag(d.name).slice(2);
    if (d.value.kind === 'flag') {
      if (values[flagName] === true) out[d.name] = true;
      continue;
    }
    const text = raw(values, flagName);
    if (text !== undefined) out[d.name] = parseOptionText(d.name, text, context);
  }
  return out;
}

/**
 * The options of `context`'s options object (or grid) given on the command line, as
 * `commandValues` parses them: what a command passes on to the library.
 *
 * @example
 * schemaValues(commandValues(values, 'simulate'), 'simulate'); // { runs: 10, clip: 0.2 } (no out, force)
 */
export function schemaValues(given: Record<string, unknown>, context: OptionContext): Record<string, unknown> {
  const names = optionNames(context);
  return Object.fromEntries(Object.entries(given).filter(([name]) => names.includes(name)));
}

/**
 * Refuses, in one line, the flags of `names` (TypeScript names) missing from `commandValues`'
 * results, all of them, in the order of `names`: the order the command's help lists them.
 *
 * @throws {UsageError} "--model, --data and --out are required" ("--out is required" for one).
 * @example
 * checkRequired({ out: 'o' }, ['model', 'data', 'out']); // UsageError: --model and --data are required
 */
export function checkRequired(given: Record<string, unknown>, names: readonly string[]): void {
  const missing = names.filter((name) => given[name] === undefined).map(cliFlag);
  if (missing.length === 0) return;
  const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}`;
  throw new UsageError(`${list} ${missing.length === 1 ? 'is' : 'are'} required`);
}

/**
 * Refuses an acquisition or estimator that reads the surrogate's scores when `--surrogate-scores`
 * is not given: a required option missing (exit 2), told before any input is read. The values are
 * `commandValues`' results, whose names the option schema has already checked.
 *
 * @throws {UsageError} "--surrogate-scores is required for --acquisition surrogate-ce".
 * @example
 * checkSurrogateGiven({ acquisition: 'adaptive' }); // UsageError: --surrogate-scores is required for --acquisition adaptive
 */
export function checkSurrogateGiven(given: Record<string, unknown>): void {
  if (given.surrogateScores !== undefined) return;
  const acquisition = given.acquisition as AcquisitionName | undefined;
  if (acquisition !== undefined && ACQUISITIONS[acquisition].needsSurrogate) {
    throw new UsageError(`--surrogate-scores is required for --acquisition ${acquisition}`);
  }
  const estimator = given.estimator as EstimatorName | undefined;
  if (estimator !== undefined && ESTIMATORS[estimator].needsSurrogate) {
    throw new UsageError(`--surrogate-scores is required for --estimator ${estimator}`);
  }
}

/**
 * The value of a required flag among `commandValues`' results.
 *
 * @throws {UsageError} "--flag is required" when it was not given.
 */
export function required<T>(given: Record<string, unknown>, name: string): T {
  checkRequired(given, [name]);
  return given[name] as T;
}

function raw(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  if (typeof value === 'boolean') throw new UsageError(`--${name} takes a value`);
  return value;
}

/** The flags that name the calibration set's files, as `loadCalibrationSet` names them in its errors. */
export const CALIBRATION_FILE_FLAGS = { scores: '--calibration-scores', labels: '--calibration-labels' } as const;
