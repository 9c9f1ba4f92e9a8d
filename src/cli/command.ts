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
