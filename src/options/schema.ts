import { InputError, UsageError } from '../errors.js';
import { acquisitionsFor, ESTIMATOR_NAMES, LOSS_NAMES, type Use } from './registry.js';
import { checkChoice, didYouMean } from './suggest.js';

/**
 * Where an option may be given: `simulate`'s options object and `active-testing simulate`;
 * a session's options and `active-testing label`; an experiment grid's top level; one grid setting.
 */
export type OptionContext = 'simulate' | 'session' | 'grid' | 'setting';

/** The type and constraint of an option's value. */
export type ValueSpec =
  | { kind: 'integer'; min: number }
  /** A number in [min, max] (`maxOpen`: [min, max)); `nullable`: null means "none". */
  | { kind: 'number'; min: number; max: number; minOpen?: boolean; maxOpen?: boolean; nullable?: boolean }
  | { kind: 'choice'; choices: (context: OptionContext) => readonly string[] }
  /** `exact`, `none` or a number of Monte Carlo resamples ≥ 1. */
  | { kind: 'bootstrap' }
  /** An integer ≥ 0 or a non-empty string; an integer on the command line. */
  | { kind: 'seed' }
  /** A positive finite number or null; in a grid setting also `"calibrated"`. */
  | { kind: 'temperature' }
  /** Data (scores, labels, texts, a calibration set) or a callback, checked by the code that reads it; a file path on the command line. */
  | { kind: 'input' };

/** One option, declared once: everything else (flags, grid keys, checks, help) is derived from it. */
export interface OptionDeclaration {
  /** The TypeScript name and the grid key; the CLI flag is its kebab-case (`cliFlag`). */
  readonly name: string;
  readonly value: ValueSpec;
  /** One line for `--help` and docs. */
  readonly doc: string;
  /** The default, in words; absent when there is none. */
  readonly defaultText?: string;
  readonly contexts: readonly OptionContext[];
  /** The command-line placeholder of its value (`N`, `C`, `FILE`); null when it has no flag (callbacks, objects). */
  readonly metavar: string | null;
}

const PROPOSAL: readonly OptionContext[] = ['simulate', 'session', 'setting'];
const RUNS: readonly OptionContext[] = ['simulate', 'grid'];

const use = (context: OptionContext): Use => (context === 'setting' ? 'grid' : context);

/**
 * Every option of `simulate`, sessions and experiment grids. Adding an option is one entry here:
 * the CLI flag, the grid key, the unknown-key check, the value check and the `--help` line follow.
 */
export const OPTION_DECLARATIONS: readonly OptionDeclaration[] = [
  {
    name: 'modelScores',
    value: { kind: 'input' },
    doc: "the target model's label logits, N×K",
    contexts: ['simulate', 'session', 'grid'],
    metavar: 'FILE',
  },
  {
    name: 'surrogateScores',
    value: { kind: 'input' },
    doc: "the surrogate's label logits, N×K (needed by the surrogate-* and adaptive acquisitions)",
    contexts: ['simulate', 'session'],
    metavar: 'FILE',
  },
  {
    name: 'comparisonScores',
    value: { kind: 'input' },
    doc: "a second target's logits, to compare the two on the same labels",
    contexts: ['session'],
    metavar: 'FILE',
  },
  {
    name: 'labels',
    value: { kind: 'input' },
    doc: 'class indices (N) or one-hot rows (N×K)',
    contexts: ['simulate', 'grid'],
    metavar: 'FILE',
  },
  {
    name: 'acquisition',
    value: { kind: 'choice', choices: (context) => acquisitionsFor(use(context)) },
    doc: 'how items are proposed',
    defaultText: 'adaptive with surrogate scores, or surrogate-ce where adaptive does not apply (docs/options.md); else iid',
    contexts: PROPOSAL,
    metavar: 'A',
  },
  {
    name: 'loss',
    value: { kind: 'choice', choices: () => LOSS_NAMES },
    doc: 'the loss whose pool mean (the true risk) is estimated: cross-entropy | zero-one (the error rate) | brier',
    defaultText: 'cross-entropy',
    contexts: ['simulate', 'session', 'grid'],
    metavar: 'L',
  },
  {
    name: 'estimator',
    value: { kind: 'choice', choices: () => ESTIMATOR_NAMES },
    doc: 'lure | is | iid | ase',
    defaultText: 'lure; iid for iid acquisition',
    contexts: ['simulate', 'setting'],
    metavar: 'E',
  },
  {
    name: 'clip',
    value: { kind: 'number', min: 0, max: 1, maxOpen: true },
    doc: 'floor of the proposal, as a fraction of the uniform probability, in [0, 1) (ignored by iid)',
    defaultText: '0.1',
    contexts: PROPOSAL,
    metavar: 'C',
  },
  {
    name: 'temperature',
    value: { kind: 'temperature' },
    doc: 'temperature of the surrogate (surrogate-*, adaptive) or of the target (self-entropy)',
    defaultText: 'none',
    contexts: PROPOSAL,
    metavar: 'T',
  },
  {
    name: 'defensive',
    value: { kind: 'number', min: 0, max: 1, nullable: true },
    doc: 'mix a fixed proposal with uniform: (1−λ)·q + λ·uniform, λ in [0, 1]',
    defaultText: 'none',
    contexts: PROPOSAL,
    metavar: 'λ',
  },
  {
    name: 'calibration',
    value: { kind: 'input' },
    doc: 'held-out labelled surrogate scores { scores, labels }: the surrogate temperature is fitted on them (--calibration-scores, --calibration-labels)',
    contexts: ['simulate', 'session'],
    metavar: null,
  },
  { name: 'runs', value: { kind: 'integer', min: 1 }, doc: 'independent runs', defaultText: '1000', contexts: RUNS, metavar: 'N' },
  {
    name: 'size',
    value: { kind: 'integer', min: 1 },
    doc: 'labels per run (at most the pool size)',
    defaultText: 'min(400, N)',
    contexts: RUNS,
    metavar: 'M',
  },
  {
    name: 'step',
    value: { kind: 'integer', min: 1 },
    doc: 'record an estimate every S labels',
    defaultText: '1',
    contexts: RUNS,
    metavar: 'S',
  },
  {
    name: 'seed',
    value: { kind: 'seed' },
    doc: 'seed of every random choice',
    defaultText: '0',
    contexts: ['simulate', 'session', 'grid'],
    metavar: 'N',
  },
  {
    name: 'bootstrap',
    value: { kind: 'bootstrap' },
    doc: 'exact (the infinite-resample variance, O(1) per step) | none | a number B of Monte Carlo resamples (O(B·M) per step)',
    defaultText: 'exact',
    contexts: RUNS,
    metavar: 'B',
  },
  {
    name: 'threads',
    value: { kind: 'integer', min: 1 },
    doc: 'at most this many threads; small jobs run on one',
    defaultText: 'available cores',
    contexts: ['simulate'],
    metavar: 'N',
  },
  {
    name: 'numerics',
    value: { kind: 'choice', choices: () => ['default', 'reference'] },
    doc: "default | reference (reproduce the published code's numbers, bugs included)",
    defaultText: 'default',
    contexts: RUNS,
    metavar: 'X',
  },
  {
    name: 'eps',
    value: { kind: 'number', min: 0, max: 1, minOpen: true, maxOpen: true },
    doc: 'probability floor of the softmax, in (0, 1)',
    defaultText: '1e-15',
    contexts: ['simulate'],
    metavar: null,
  },
  {
    name: 'random',
    value: { kind: 'input' },
    doc: 'an injected uniform source in [0, 1): one thread, reference-order sampling',
    contexts: ['simulate'],
    metavar: null,
  },
  { name: 'onProgress', value: { kind: 'input' }, doc: 'called with (completed runs, total runs)', contexts: ['simulate'], metavar: null },
  { name: 'signal', value: { kind: 'input' }, doc: 'an AbortSignal that stops the work', contexts: ['simulate'], metavar: null },
];

const BY_NAME = new Map(OPTION_DECLARATIONS.map((d) => [d.name, d]));

/**
 * The command-line flag of an option: the kebab-case of its TypeScript name.
 *
 * @example
 * cliFlag('modelScores'); // '--model-scores'
 */
export function cliFlag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The declaration of option `name`; throws on a name the schema does not have (a programming error). */
export function declaration(name: string): OptionDeclaration {
  const found = BY_NAME.get(name);
  if (found === undefined) throw new Error(`no option ${name} in the schema`);
  return found;
}

/** The options that may be given in `context`, in declaration order. */
export function optionsIn(context: OptionContext): OptionDeclaration[] {
  return OPTION_DECLARATIONS.filter((d) => d.contexts.includes(context));
}

/** The keys of `context`: the TS option names, which are also the grid keys. */
export function optionNames(context: OptionContext): string[] {
  return optionsIn(context).map((d) => d.name);
}

/** The options of `context` that have a command-line flag (`calibration` has two, declared by the command). */
export function cliOptionsIn(context: OptionContext): OptionDeclaration[] {
  return optionsIn(context).filter((d) => d.metavar !== null);
}

const isSafeInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

function describeRange(spec: Extract<ValueSpec, { kind: 'number' }>): string {
  return `a number in ${spec.minOpen ? '(' : '['}${spec.min}, ${spec.max}${spec.maxOpen ? ')' : ']'}${spec.nullable ? ', or null' : ''}`;
}

/**
 * Checks the value of option `name` given in `context` and returns it (`undefined` stays
 * `undefined`: the caller applies the default). Cross-option rules live in `resolveProposal`.
 *
 * @throws {InputError} naming `argument` (default the option's name) and what was expected.
 * @example
 * checkOption('clip', 0.2, 'simulate'); // 0.2
 * checkOption('loss', 'ce', 'grid'); // InputError: loss: expected one of cross-entropy | zero-one | brier (did you mean cross-entropy?), got "ce"
 */
export function checkOption(name: string, value: unknown, context: OptionContext, argument: string = name): unknown {
  if (value === undefined) return undefined;
  const { value: spec } = declaration(name);
  switch (spec.kind) {
    case 'integer':
      if (isSafeInteger(value) && value >= spec.min) return value;
      throw new InputError({ argument, expected: `an integer ≥ ${spec.min}`, received: value });
    case 'number': {
      if (value === null && spec.nullable) return null;
      const ok =
        typeof value === 'number' &&
        (spec.minOpen ? value > spec.min : value >= spec.min) &&
        (spec.maxOpen ? value < spec.max : value <= spec.max);
      if (ok) return value;
      throw new InputError({ argument, expected: describeRange(spec), received: value });
    }
    case 'choice':
      return checkChoice(value, spec.choices(context), argument);
    case 'bootstrap':
      if (value === 'exact' || value === 'none' || (isSafeInteger(value) && value >= 1)) return value;
      throw new InputError({ argument, expected: "'exact', 'none' or a number of resamples ≥ 1", received: value });
    case 'seed':
      if ((isSafeInteger(value) && value >= 0) || (typeof value === 'string' && value !== '')) return value;
      throw new InputError({ argument, expected: 'an integer ≥ 0 or a non-empty string', received: value });
    case 'temperature':
      if (value === null || (typeof value === 'number' && value > 0 && Number.isFinite(value))) return value;
      if (value === 'calibrated' && context === 'setting') return value;
      throw new InputError({
        argument,
        expected: `a positive finite number${context === 'setting' ? ', "calibrated"' : ''} or null`,
        received: value,
      });
    case 'input':
      return value;
  }
}

const INTEGER_TEXT = /^-?\d+$/;
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * Strictly parses command-line text as an integer: decimal digits only (no `0x10`, `1e3`,
 * spaces or empty text).
 *
 * @throws {UsageError} naming `flag` on anything else.
 * @example
 * parseIntegerText('10', '--runs'); // 10
 */
export function parseIntegerText(text: string, flag: string): number {
  const number = Number(text);
  if (!INTEGER_TEXT.test(text) || !Number.isSafeInteger(number)) throw new UsageError(`${flag}: expected an integer, got "${text}"`);
  return number;
}

/**
 * Strictly parses command-line text as a finite decimal number (`0.1`, `.5`, `1e-3`; not `0x10`,
 * ` 5`, `Infinity` or empty text).
 *
 * @throws {UsageError} naming `flag` on anything else.
 * @example
 * parseNumberText('1e-3', '--eps'); // 0.001
 */
export function parseNumberText(text: string, flag: string): number {
  const number = Number(text);
  if (!NUMBER_TEXT.test(text) || !Number.isFinite(number)) throw new UsageError(`${flag}: expected a number, got "${text}"`);
  return number;
}

/**
 * Turns the command-line text of option `name` into its value and checks it as `checkOption`
 * does; `input` options (files) come back as the path. Every problem is a usage error (exit 2)
 * naming the flag.
 *
 * @throws {UsageError} on malformed text or a value out of range.
 * @example
 * parseOptionText('runs', '10', 'simulate'); // 10
 * parseOptionText('runs', '0x10', 'simulate'); // UsageError: --runs: expected an integer, got "0x10"
 */
export function parseOptionText(name: string, text: string, context: OptionContext): unknown {
  const flag = cliFlag(name);
  const { value: spec } = declaration(name);
  if (text === '') throw new UsageError(`${flag}: expected a value, got ""`);
  let value: unknown;
  switch (spec.kind) {
    case 'integer':
      value = parseIntegerText(text, flag);
      break;
    case 'number':
    case 'temperature':
      value = parseNumberText(text, flag);
      break;
    case 'bootstrap':
      value = text === 'exact' || text === 'none' ? text : parseBootstrapText(text, flag);
      break;
    case 'seed':
      value = parseIntegerText(text, flag);
      break;
    case 'choice':
    case 'input':
      value = text;
      break;
  }
  try {
    return checkOption(name, value, context, flag);
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(error.message);
    throw error;
  }
}

function parseBootstrapText(text: string, flag: string): number {
  if (!INTEGER_TEXT.test(text)) throw new UsageError(`${flag}: expected exact, none or a number of resamples ≥ 1, got "${text}"`);
  return parseIntegerText(text, flag);
}

/** `--flag METAVAR` of an option with a flag. */
export function flagWithMetavar(d: OptionDeclaration): string {
  return `${cliFlag(d.name)} ${d.metavar ?? ''}`.trimEnd();
}

/**
 * The `--help` lines of the options of `context` that have a flag, derived from the schema and
 * wrapped at 100 columns; `column` is where the descriptions start.
 *
 * @example
 * optionHelp('simulate').find((line) => line.includes('--clip')); // '  --clip C   floor of the proposal, …'
 */
export function optionHelp(context: OptionContext, column = 0): string[] {
  const shown = cliOptionsIn(context);
  const width = Math.max(column - 4, ...shown.map((d) => flagWithMetavar(d).length));
  const lines: string[] = [];
  for (const d of shown) {
    const choices = d.value.kind === 'choice' && d.name === 'acquisition' ? `: ${d.value.choices(context).join(' | ')}` : '';
    const fallback = d.defaultText === undefined ? '' : ` (default ${d.defaultText})`;
    const words = `${d.doc}${choices}${fallback}`.split(' ');
    let line = `  ${flagWithMetavar(d).padEnd(width)}  `;
    const indent = ' '.repeat(width + 4);
    let empty = true;
    for (const word of words) {
      if (!empty && line.length + 1 + word.length > 100) {
        lines.push(line);
        line = indent + word;
      } else {
        line += (empty ? '' : ' ') + word;
      }
      empty = false;
    }
    lines.push(line);
  }
  return lines;
}

/** The hint for an unknown command-line flag: "did you mean --x? (valid: …)". */
export function unknownFlagHint(flag: string, validFlags: readonly string[]): string {
  return didYouMean(
    flag.replace(/^--/, ''),
    validFlags.map((f) => f.replace(/^--/, '')),
    (n) => `--${n}`,
  );
}
