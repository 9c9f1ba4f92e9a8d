import { asksForHelp } from './command.js';

/**
 * Commands that print while they work and whose work is their files (results, a session): when
 * the reader of their output goes away (`| head`, a pager quit) they finish that work, with what
 * they would print dropped, and exit with their own status.
 */
const COMMANDS_THAT_FINISH = new Set(['experiment', 'evaluate', 'label', 'serve']);

/**
 * The status of a command that stopped because the reader of its standard output went away: the
 * status a shell reports for a program killed by SIGPIPE (128 + 13), as `yes | head` ends.
 */
export const CLOSED_OUTPUT_EXIT = 141;

/**
 * Handles the reader of standard output or standard error going away (a write fails with EPIPE),
 * which would otherwise end the command with "write EPIPE" and status 1. Other commands print only
 * once their work is done (simulate's table, report's summary, help): a closed standard output
 * ends them at once, quietly, with `CLOSED_OUTPUT_EXIT`. Standard error carries warnings written
 * during the work, so its reader going away only drops them. Node ignores SIGPIPE, so a write to
 * a closed pipe fails with EPIPE instead of killing the process; the stream is then destroyed and
 * later writes to it are dropped.
 */
export function handleClosedOutput(argv: readonly string[]): void {
  // A command asked for its help only prints it, as `help <command>` does.
  const finishes = COMMANDS_THAT_FINISH.has(argv[0] ?? '') && !asksForHelp(argv.slice(1));
  const onError = (stream: NodeJS.WriteStream) => (error: NodeJS.ErrnoException) => {
    // A terminal closed (its window shut, SIGHUP) fails writes with EIO: its reader is gone too.
    // Elsewhere (a file on a failing disk) EIO is a failure to report.
    if (error.code !== 'EPIPE' && !(error.code === 'EIO' && stream.isTTY)) throw error;
    if (stream === process.stdout && !finishes) process.exit(CLOSED_OUTPUT_EXIT);
  };
  process.stdout.on('error', onError(process.stdout));
  process.stderr.on('error', onError(process.stderr));
}
