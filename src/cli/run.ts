import { ActiveTestingError, InputError, InterruptedError, UsageError } from '../errors.js';
import { COMMAND_CONTEXTS, unknownFlagHint, type CommandName } from '../options/schema.js';
import { didYouMean } from '../io/suggest.js';
import { redactSecrets } from '../io/redact.js';
import { isSystemError, SYSTEM_ERROR_REASONS } from '../io/system-errors.js';
import { visibleText } from '../io/visible-text.js';
import { VERSION } from '../version.js';
import { asksForHelp, type Command } from './command.js';
import { commandNaming } from './naming.js';

// Each command's module (and what it imports: the web server, the model backends, ...) is loaded
// only when that command runs, so that `simulate` does not pay for the others at start-up.
const COMMANDS: ReadonlyArray<[string, () => Promise<Command>]> = [
  ['simulate', async () => (await import('./simulate.js')).simulateCommand],
  ['experiment', async () => (await import('./experiment.js')).experimentCommand],
  ['report', async () => (await import('./report.js')).reportCommand],
  ['label', async () => (await import('./label.js')).labelCommand],
  ['serve', async () => (await import('./serve.js')).serveCommand],
  ['evaluate', async () => (await import('./evaluate.js')).evaluateCommand],
];

async function usage(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map(([, load]) => load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: active-testing <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `active-testing <command> --help` (or -h, or `active-testing help <command>`) for its options,',
    '`active-testing --version` for the version.',
  ].join('\n');
}

/** The options `active-testing` takes before a command. */
const GLOBAL_OPTIONS = ['--help', '--version'];

/**
 * Runs the CLI and returns its exit code: 0 success, 1 bad input or failure, 2 usage error, 130
 * (143, 129) stopped by SIGINT (SIGTERM, SIGHUP).
 */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.log(await usage());
    return 2;
  }
  if (name === 'help' || name.startsWith('-')) {
    try {
      // `-h simulate` asks for simulate's help, as `help simulate` and `simulate -h` do.
      if (name === 'help' || name === '--help' || name === '-h') return await printHelp(rest);
      if (name === '--version' || name === '-V') {
        // Refused rather than ignored, as every other stray argument is.
        if (rest.length > 0) throw new UsageError(`${name} takes no arguments, got ${rest.map((arg) => JSON.stringify(arg)).join(' ')}`);
        console.log(VERSION);
        return 0;
      }
      const hint = unknownFlagHint(name, GLOBAL_OPTIONS);
      throw new UsageError(`unknown option ${name}${hint.startsWith('(') ? ' ' : ': '}${hint}`);
    } catch (error) {
      // Not a command's error: its hint points at the command list.
      const { message, code } = describeFailure(error, '');
      console.error(redactSecrets(`active-testing${name === 'help' ? ' help' : ''}: ${message}`));
      return code;
    }
  }
  const load = COMMANDS.find(([commandName]) => commandName === name)?.[1];
  if (!load) {
    console.error(redactSecrets(`active-testing: ${unknownCommand(name)}\nRun \`active-testing --help\` for usage.`));
    return 2;
  }
  const command = await load();
  if (asksForHelp(rest)) {
    console.log(command.help);
    return 0;
  }
  if (rest.includes('--version')) {
    console.log(VERSION);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const { message, code } = describeFailure(error, name);
    console.error(redactSecrets(`active-testing ${name}: ${message}`));
    return code;
  }
}

/** `unknown command "x": did you mean …? (valid: …)`. */
function unknownCommand(name: string): string {
  const hint = didYouMean(
    name,
    COMMANDS.map(([commandName]) => commandName),
  );
  return `unknown command ${JSON.stringify(name)}${hint.startsWith('(') ? ' ' : ': '}${hint}`;
}

/**
 * `active-testing help [command]`: the help of the command, as `active-testing <command> --help`
 * prints it (as git, npm and cargo do), or the command list without one.
 *
 * @throws {UsageError} for a name that is not a command, or more than one name.
 */
async function printHelp(names: readonly string[]): Promise<number> {
  if (names.length > 1) throw new UsageError(`expected one command name, got ${names.length}: ${names.join(' ')}`);
  const [name] = names;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(await usage());
    return 0;
  }
  const load = COMMANDS.find(([commandName]) => commandName === name)?.[1];
  if (!load) throw new UsageError(unknownCommand(name));
  console.log((await load()).help);
  return 0;
}

const MEMORY_ERRORS =
  /Array buffer allocation failed|Invalid typed array length|Invalid array buffer length|Invalid array length|Invalid string length/;

/**
 * What to print for an error that ended a command, in one line, and the exit code: usage errors
 * exit 2, a command stopped by a signal 128 + its number (130 for Ctrl-C); bad input, file-system
 * failures and running out of memory exit 1 without a stack trace.
 * Only an unexpected error (a bug) shows where it happened, and only with ACTIVE_TESTING_DEBUG set.
 */
export function describeFailure(error: unknown, command: string, env: NodeJS.ProcessEnv = process.env): { message: string; code: number } {
  // A command's own help, or the command list's for what comes before a command (`help`, a global option).
  const helpCommand = Object.hasOwn(COMMAND_CONTEXTS, command) ? `active-testing ${command} --help` : 'active-testing --help';
  const usageHint = (text: string) => `${text}\nRun \`${helpCommand}\` for usage.`;
  if (error instanceof UsageError) return { message: usageHint(oneLine(error.message)), code: 2 };
  if (error instanceof InputError) return { message: oneLine(namedAsFlag(error, command)), code: 1 };
  if (error instanceof InterruptedError) return { message: oneLine(error.message), code: error.exitCode };
  if (error instanceof ActiveTestingError) return { message: oneLine(namedByCommand(error, command)), code: 1 };
  if (error instanceof TypeError && 'code' in error && String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
    return { message: usageHint(oneLine(error.message)), code: 2 };
  }
  if (isSystemError(error)) return { message: oneLine(describeSystemError(error)), code: 1 };
  if (error instanceof RangeError && MEMORY_ERRORS.test(error.message)) {
    return {
      message: `out of memory (${error.message}); ask for less work (fewer runs, a smaller size) or run on a machine with more memory`,
      code: 1,
    };
  }
  const text = error instanceof Error ? error.message : String(error);
  if (env.ACTIVE_TESTING_DEBUG) return { message: error instanceof Error ? (error.stack ?? text) : text, code: 1 };
  return { message: `unexpected error: ${oneLine(text)} (set ACTIVE_TESTING_DEBUG=1 to see where it happened)`, code: 1 };
}

/**
 * The message of a library error about one of the command's options, naming it and every option
 * its text mentions by its flag (`--baseline`, `--clip`) rather than its option name, as the
 * command line's own checks do; the
 * calibration set, given by two flags, is named by its scores' (`--calibration-scores`), and its
 * parts (`calibration.labels`) by their own.
 */
function namedAsFlag(error: InputError, command: string): string {
  // An unknown key is one of a file's (a grid's `"threads"`), never a flag: the parser refuses
  // unknown flags itself, so naming it `--threads` would point at a flag the user did not give.
  return error.expected.startsWith('a known option') ? error.message : namedByCommand(error, command);
}

/**
 * The message of a library error naming the options it mentions (the option that named a file,
 * a force hint) as `command` takes them; before a command is known, by their library keys.
 */
function namedByCommand(error: ActiveTestingError, command: string): string {
  return command in COMMAND_CONTEXTS ? error.namedBy(commandNaming(command as CommandName)) : error.message;
}

function oneLine(text: string): string {
  // Its control characters made visible: a message quotes ids, class names and values from input
  // files (a Label Studio export others write to), whose escapes would act on the terminal.
  return visibleText(text.replace(/\s*\n\s*/g, ' ').trim());
}

/** `path: what went wrong (CODE)` for a failed file-system call. */
function describeSystemError(error: NodeJS.ErrnoException & { code: string; syscall: string }): string {
  const what = SYSTEM_ERROR_REASONS[error.code];
  const path = error.path ?? (error as { dest?: string }).dest;
  if (what === undefined) return error.message;
  const hint = error.code === 'ENOSPC' || error.code === 'EDQUOT' ? '; free some space and run again' : '';
  return `${path === undefined ? '' : `${path}: `}${what} (${error.code}, ${error.syscall})${hint}`;
}
