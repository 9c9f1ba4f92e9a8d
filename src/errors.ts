/** Marks the errors of every copy of this package (a registry symbol is the same in each copy). */
const ERROR_BRAND = Symbol.for('active-testing.error');

/**
 * Every error the library throws on purpose is an `ActiveTestingError`, so callers can tell bad
 * input apart from bugs. Subclasses say which kind of problem it is; fields say where.
 *
 * @example
 * let caught;
 * try {
 *   syntheticPool({ poolSize: 0 });
 * } catch (error) {
 *   caught = error;
 * }
 * caught instanceof ActiveTestingError; // true: bad input, not a bug
 */
export class ActiveTestingError extends Error {
  override name = 'ActiveTestingError';
  readonly #wording: string | ((naming: OptionNaming) => string);

  /**
   * `message` may be a function of an `OptionNaming` where it names options (a force hint): the
   * error's `message` then names them by their library keys, and `namedBy` as another reader
   * knows them.
   */
  constructor(message?: string | ((naming: OptionNaming) => string), options?: { cause?: unknown }) {
    super(typeof message === 'function' ? message(LIBRARY_NAMING) : message, options);
    this.#wording = message ?? '';
  }

  /**
   * The message with the options it names named by `naming` (a command's flags), where `message`
   * names the library's keys.
   *
   * @example
   * new OutputExistsError('out').namedBy({ option: (name) => `--${name}`, setting: (name) => `--${name}` }); // 'out already exists; pass --force to replace it'
   */
  namedBy(naming: OptionNaming): string {
    return typeof this.#wording === 'function' ? this.#wording(naming) : this.message;
  }

  static {
    Object.defineProperty(this.prototype, ERROR_BRAND, { value: true });
  }

  /**
   * `instanceof` that also holds across copies of the package in one process: the ES module and
   * CommonJS builds each carry their own classes, so an error thrown by the copy a CommonJS
   * dependency `require`s would otherwise not be an instance of the classes an ES module
   * imported. Another copy's error (marked by a registry symbol) belongs to a class when a class
   * of the same name is on its prototype chain; the build keeps class names (tsup `keepNames`).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null || !(ERROR_BRAND in value)) return false;
    for (let proto: object | null = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
      if (Object.hasOwn(proto, 'constructor') && (proto as { constructor: { name: string } }).constructor.name === this.name) return true;
    }
    return false;
  }
}

/**
 * How a message names the options it mentions: by their library keys (`iclExamples`,
 * `bootstrap: 'none'`) or by a command's flags (`--icl-examples`, `--bootstrap none`). The same
 * error reaches library callers and command-line users, each of whom should read their own words.
 */
export interface OptionNaming {
  /** Option `name` (a library key) as the reader knows it. */
  option(name: string): string;
  /** Option `name` set to `value`, as the reader would write it (a switch set by `true`: `--force`). */
  setting(name: string, value: string | number | boolean): string;
}

/**
 * Options named by their library keys, as a library caller passes them.
 *
 * @example
 * LIBRARY_NAMING.setting('bootstrap', 'none'); // "bootstrap: 'none'"
 * LIBRARY_NAMING.setting('force', true); // 'force: true'
 */
export const LIBRARY_NAMING: OptionNaming = {
  option: (name) => name,
  setting: (name, value) => `${name}: ${typeof value === 'string' ? `'${value}'` : value}`,
};

/** What an `InputError` says: the argument at fault, what was expected and what was received. */
export interface InputErrorDetails {
  /** The argument, option or column at fault, as the user named it (e.g. `modelScores`, `--clip`). */
  argument: string;
  /**
   * What was expected, in words (e.g. `a finite number`, `an integer in [0, 3]`); a function of an
   * `OptionNaming` where the words name other options, so that each reader sees their own names.
   */
  expected: string | ((naming: OptionNaming) => string);
  /** What was received, when it helps. */
  received?: unknown;
  /** 0-based row of the offending item, for per-row problems. */
  row?: number;
}

/**
 * What a value is, in words, as an `InputError`'s `received`: printed as it is, where a string
 * would be quoted as a value the user gave (`got an object`, not `got "an object"`).
 */
export class ReceivedKind {
  constructor(readonly text: string) {}

  /**
   * A value the user gave with a note on it, as an `InputError`'s `received`: the value quoted as
   * a value is, the note after it in parentheses (`got "runs" (it does not exist)`), so that the
   * note does not read as part of the value.
   */
  static noted(value: unknown, note: string): ReceivedKind {
    return new ReceivedKind(`${formatReceived(value)} (${note})`);
  }

  /**
   * A value the user gave, as an `InputError`'s `received`, with `undefined` said: an undefined
   * `received` prints no "got" at all.
   */
  static given(value: unknown): unknown {
    return value === undefined ? new ReceivedKind('undefined') : value;
  }

  toString(): string {
    return this.text;
  }
}

/**
 * Bad input: a wrong shape, a value out of range, a NaN score.
 *
 * @example
 * syntheticPool({ poolSize: 0 }); // InputError: poolSize: expected an integer ≥ 1, got 0
 * const error = new InputError({ argument: 'runs', expected: 'an integer ≥ 1', received: 0 });
 * error.message; // 'runs: expected an integer ≥ 1, got 0'
 */
export class InputError extends ActiveTestingError implements RowError {
  override name = 'InputError';
  readonly argument: string;
  readonly expected: string;
  readonly received?: unknown;
  readonly row?: number;
  readonly #details: InputErrorDetails;

  constructor(details: InputErrorDetails) {
    super((naming) => describeInput(details, naming));
    this.#details = details;
    this.argument = details.argument;
    this.expected = typeof details.expected === 'string' ? details.expected : details.expected(LIBRARY_NAMING);
    this.received = details.received;
    // Absent, not undefined, for an error about no row, as `row?: number` says.
    if (details.row !== undefined) this.row = details.row;
  }

  atRow(row: number): InputError {
    return new InputError({ ...this.#details, row });
  }

  /** The same error about another argument. */
  withArgument(argument: string): InputError {
    return new InputError({ ...this.#details, argument });
  }

  /**
   * What was expected, with the options it names named by `naming`, where `expected` names the
   * library's keys: an error rebuilt from this one (under another argument) passes
   * `(naming) => error.expectedBy(naming)` as its `expected`, so that its own reader's words
   * reach these too.
   *
   * @example
   * const error = new InputError({ argument: 'iclData', expected: (n) => `${n.option('iclExamples')} ≥ 1` });
   * error.expectedBy({ option: (name) => `--${name}`, setting: (name, value) => `--${name} ${value}` }); // '--iclExamples ≥ 1'
   */
  expectedBy(naming: OptionNaming): string {
    const { expected } = this.#details;
    return typeof expected === 'string' ? expected : expected(naming);
  }

  /**
   * The message with every option it names (the argument at fault included) named by `naming`:
   * a command's flags, where `message` names the library's keys.
   *
   * @example
   * const error = new InputError({ argument: 'iclData', expected: (n) => `${n.option('iclExamples')} ≥ 1` });
   * error.namedBy({ option: (name) => `--${name}`, setting: (name, value) => `--${name} ${value}` }); // '--iclData: expected --iclExamples ≥ 1'
   */
  override namedBy(naming: OptionNaming): string {
    return describeInput({ ...this.#details, argument: naming.option(this.argument) }, naming);
  }
}

function describeInput({ argument, expected, received, row }: InputErrorDetails, naming: OptionNaming): string {
  const words = typeof expected === 'string' ? expected : expected(naming);
  const where = row === undefined ? argument : `${argument} (row ${row})`;
  const got = received === undefined ? '' : `, got ${formatReceived(received)}`;
  return `${where}: expected ${words}${got}`;
}

/** Strings and lists longer than these are shown by their start and their length: a message stays one readable line. */
const RECEIVED_STRING_LIMIT = 200;
const RECEIVED_LIST_LIMIT = 20;

function formatReceived(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length <= RECEIVED_STRING_LIMIT) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, 60))}… (a string of ${value.length} characters)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) {
    if (value.length <= RECEIVED_LIST_LIMIT) return `[${value.map(formatListItem).join(', ')}]`;
    return `[${value.slice(0, 10).map(formatListItem).join(', ')}, …] (${value.length} values)`;
  }
  // A bigint printed as a number would read like a valid value of another type (2n as 2).
  if (typeof value === 'bigint') return `${value}n (a bigint)`;
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) {
    const length = 'length' in value ? ` of length ${String(value.length)}` : '';
    return `${ofClass(value)}${length}`;
  }
  if (typeof value === 'object' && value !== null) return formatObject(value);
  return String(value);
}

/** An item of a received list, shorter than on its own: a list of long strings or of lists stays one line. */
function formatListItem(value: unknown): string {
  if (typeof value === 'string' && value.length > 60)
    return `${JSON.stringify(value.slice(0, 20))}… (a string of ${value.length} characters)`;
  // A short row of a ragged matrix says what is wrong with it; a long one is told by its length.
  if (Array.isArray(value) && value.length > 5) return `[…] (a list of ${value.length})`;
  return formatReceived(value);
}

/** A plain object as JSON (shortened), anything else by its own text or its class: never "[object Object]". */
function formatObject(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    try {
      const text = JSON.stringify(value, (_key, entry: unknown) => (typeof entry === 'bigint' ? `${entry}n` : entry));
      return text.length > 80 ? `${text.slice(0, 79)}…` : text;
    } catch {
      return 'an object';
    }
  }
  let text: string;
  try {
    text = String(value);
  } catch {
    // A prototype chain that ends in null short of Object.prototype leaves no toString to call:
    // the message is still made, and its error thrown rather than a TypeError.
    return 'an object';
  }
  return text.startsWith('[object ') ? ofClass(value) : text;
}

/** An object by its class's name, with its article; "an object" where it has none to give (an anonymous class). */
export function ofClass(value: object): string {
  const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? withArticle(name) : 'an object';
}

/**
 * `text` after its article, as a message reads it: "an Int32Array", "an Object", "a Map", "an 80%".
 * By sound, not by letter: a leading "Uint", "Uni" or acronym U is said "you" ("a Uint8Array", "a
 * URL"), and a number by its first spoken word, that of its leading group of three digits ("an 8",
 * "an 11", "an 18,000", "an 80%", but "a 110").
 */
export function withArticle(text: string): string {
  const digits = /^\d+/.exec(text)?.[0];
  const lead = digits?.slice(0, ((digits.length - 1) % 3) + 1);
  const an =
    lead === undefined ? /^(?:[AEIOaeio]|[Uu](?!int|ni|[A-Z]))/.test(text) : lead.startsWith('8') || lead === '11' || lead === '18';
  return `${an ? 'an' : 'a'} ${text}`;
}

/**
 * An error about one row of a list given (a prompt, a row of scores), counted from 0, that can be
 * told of another row: a slice's row (a batch's) as the whole's, with `rowOffset`.
 */
export interface RowError {
  /** Undefined where the error is about no row (`| undefined` lets a getter implement it under exactOptionalPropertyTypes). */
  readonly row?: number | undefined;
  /** The same error about row `row`. */
  atRow(row: number): ActiveTestingError;
}

/**
 * `error` with its row counted `offset` further: an error about a row of a slice (a batch),
 * told of the whole. Anything else is returned as it is.
 *
 * @example
 * throw rowOffset(error, batchStart);
 */
export function rowOffset(error: unknown, offset: number): unknown {
  if (offset === 0 || !isRowError(error) || error.row === undefined) return error;
  return error.atRow(error.row + offset);
}

function isRowError(error: unknown): error is ActiveTestingError & RowError {
  return error instanceof ActiveTestingError && typeof (error as Partial<RowError>).atRow === 'function';
}

/**
 * A file that cannot be read or parsed (unreadable `.npy`, malformed TSV row, ...). `argument`,
 * when known, is the option or key that named the file (`--model-scores`, `modelScores`): the
 * message starts with it, as an `InputError`'s does. `reason` may be a function of an
 * `OptionNaming` where it names options (a force hint). `options.cause` keeps the error that the
 * reason reports (an `InputError` naming a key of the file, with what it expected).
 *
 * @example
 * new FileFormatError('scores.npy', 'not an .npy file', '--model-scores').message; // '--model-scores: scores.npy: not an .npy file'
 */
export class FileFormatError extends ActiveTestingError {
  override name = 'FileFormatError';
  /** Why the file cannot be read, naming options by their library keys. */
  readonly reason: string;
  constructor(
    readonly path: string,
    reason: string | ((naming: OptionNaming) => string),
    readonly argument?: string,
    // ES2022's `ErrorOptions` spelt out: a project whose lib is older could not read that name.
    options?: { cause?: unknown },
  ) {
    super((naming) => {
      const because = typeof reason === 'string' ? reason : reason(naming);
      return `${argument === undefined ? '' : `${naming.option(argument)}: `}${path}: ${because}`;
    }, options);
    this.reason = typeof reason === 'string' ? reason : reason(LIBRARY_NAMING);
  }
}

/**
 * The one way a message tells the reader how to override a refusal with `force`, in their words
 * (`naming`): a command-line user reads `--force`, a library caller `force: true`.
 *
 * @example
 * passForce(LIBRARY_NAMING, 'replace it'); // 'pass force: true to replace it'
 */
export function passForce(naming: OptionNaming, toDo: string): string {
  return `pass ${naming.setting('force', true)} to ${toDo}`;
}

/**
 * Refusal to replace existing results without an explicit `force`. `hint`, what to do instead, may
 * be a function of an `OptionNaming` (as `passForce` is), so that `namedBy` words it for its reader.
 *
 * @example
 * new OutputExistsError('runs/sst2').message; // 'runs/sst2 already exists; pass force: true to replace it'
 */
export class OutputExistsError extends ActiveTestingError {
  override name = 'OutputExistsError';
  constructor(
    readonly path: string,
    hint: string | ((naming: OptionNaming) => string) = (naming) => passForce(naming, 'replace it'),
  ) {
    super((naming) => `${path} already exists; ${typeof hint === 'string' ? hint : hint(naming)}`);
  }
}

/**
 * Refusal to write into a folder that holds the outputs of a run stopped before it finished: some
 * of its files (`files`) without the one written last (`commitMarker`). The user should know that
 * these are not finished results before choosing to start over with `force`.
 *
 * @example
 * const error = new InterruptedOutputError('out', ['estimates.npy'], 'summary.json', 'run');
 * error.message; // 'out already exists; it holds an interrupted run: estimates.npy without summary.json (written last); …'
 * error instanceof OutputExistsError; // true
 */
export class InterruptedOutputError extends OutputExistsError {
  override name = 'InterruptedOutputError';
  constructor(
    path: string,
    readonly files: readonly string[],
    readonly commitMarker: string,
    /** What was interrupted, in words (`run`, `demo`, `report`), and anything done about it. */
    what: string,
  ) {
    const listed = files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ');
    super(
      path,
      (naming) => `it holds an interrupted ${what}: ${listed} without ${commitMarker} (written last); ${passForce(naming, 'start over')}`,
    );
  }
}

/**
 * Another live process is writing the same output; its lock file says which.
 *
 * @example
 * new OutputLockedError('out', 4242, 'gpu-node', 'out/.lock').message; // 'out is being written by process 4242 on gpu-node; …'
 */
export class OutputLockedError extends ActiveTestingError {
  override name = 'OutputLockedError';
  constructor(
    readonly path: string,
    readonly pid: number,
    readonly host: string,
    readonly lockPath: string,
  ) {
    super(
      `${path} is being written by process ${pid} on ${host}; wait for that run to finish or stop it ` +
        `(if that process is gone from another machine, delete ${lockPath})`,
    );
  }
}

/**
 * A command line that cannot be understood (exit code 2).
 *
 * @example
 * new UsageError('--runs needs a value') instanceof ActiveTestingError; // true
 */
export class UsageError extends ActiveTestingError {
  override name = 'UsageError';
}

/**
 * Work stopped through an `AbortSignal`.
 *
 * @example
 * await model.score(prompts, [117, 115], { signal: AbortSignal.timeout(60_000) }); // rejects with a CancelledError after a minute
 */
export class CancelledError extends ActiveTestingError {
  override name = 'CancelledError';
}

/**
 * The signals a command stops on, with their numbers: a process ended by one exits with 128 + it.
 * SIGHUP is its terminal closed (or a `kill -HUP`).
 */
export const STOP_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * A command stopped by Ctrl-C (SIGINT), SIGTERM or SIGHUP after it cleaned up: its message says
 * which, how far the work got when it knows (`reached`, e.g. "after 120 of 872 items") and what is
 * left; the command line exits with `exitCode`, the shell's status for that signal (130, 143, 129).
 */
export class InterruptedError extends CancelledError {
  override name = 'InterruptedError';
  readonly exitCode: number;
  constructor(
    readonly signal: keyof typeof STOP_SIGNALS,
    hint: string,
    reached?: string,
  ) {
    super(`interrupted by ${signal}${reached === undefined ? '' : ` ${reached}`}; ${hint}`);
    this.exitCode = 128 + STOP_SIGNALS[signal];
  }
}

/**
 * Runs `action`, an `InputError` it throws passed on with `suffix` after its argument: a refusal
 * computed from a second model's scores (`' of comparisonScores'`) must not read as the target's.
 *
 * @example
 * const other = withArgumentSuffix(' of comparisonScores', () => loss.expected(comparisonScores, belief));
 */
export function withArgumentSuffix<T>(suffix: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof InputError) throw error.withArgument(`${error.argument}${suffix}`);
    throw error;
  }
}

/**
 * Where `options` sends warnings: its `onWarning`, or else Node's process warnings of `type`.
 * Checked when asked for, before the work that may warn; options that are no object have none.
 *
 * @example
 * const warn = warningsTo(options, 'ActiveTestingWarning');
 * warn('modelScores: every row is in [0, 1] …'); // options.onWarning(…), or process.emitWarning(…, 'ActiveTestingWarning')
 * @throws {InputError} when `onWarning` is given and is not a function.
 */
export function warningsTo(options: unknown, type: string): (message: string) => void {
  // Options that are no object are refused by the caller's own checks, naming them.
  const onWarning = typeof options === 'object' && options !== null ? (options as { onWarning?: unknown }).onWarning : undefined;
  if (onWarning === undefined) return (message) => process.emitWarning(message, type);
  if (typeof onWarning !== 'function')
    throw new InputError({ argument: 'onWarning', expected: 'a function, called with each warning', received: onWarning });
  return onWarning as (message: string) => void;
}
