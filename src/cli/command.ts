/** The last lines of the help of a command that Ctrl-C, SIGTERM or SIGHUP stops as a failure. */
export const EXIT_CODES_HELP =
  'Exit codes: 0 success, 1 bad input or failure, 2 usage error, 130 stopped by Ctrl-C (143: SIGTERM,\n' +
  '129: SIGHUP, its terminal closed), 141 output closed by its reader (`| head` quit first).';

/**
 * The same for a command whose work is its files (experiment, evaluate): a reader that goes away
 * does not stop it (closed-output.ts), so 141 is no status of its.
 */
export const FINISHING_EXIT_CODES_HELP =
  'Exit codes: 0 success, 1 bad input or failure, 2 usage error, 130 stopped by Ctrl-C (143: SIGTERM,\n' +
  '129: SIGHUP, its terminal closed). A reader of its output that goes away (`| head` quit first)\n' +
  'does not stop it: it finishes its work, its lines dropped, and exits as it would have.';

/** Whether a command's arguments ask for its help, which it prints instead of running. */
export function asksForHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** One `active-testing <name>` subcommand. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** Runs the command; resolves to the exit code (0 success, 1 failure). Throws UsageError for exit 2. */
  run(argv: string[]): Promise<number>;
}
