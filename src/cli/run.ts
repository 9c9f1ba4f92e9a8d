import { ActiveTestingError, UsageError } from '../errors.js';
import type { Command } from './command.js';
import { simulateCommand } from './simulate.js';
import { labelCommand } from './label.js';
import { experimentCommand } from './experiment.js';
import { reportCommand } from './report.js';
import { evaluateCommand } from './evaluate.js';

const commands: Command[] = [simulateCommand, experimentCommand, reportCommand, labelCommand, evaluateCommand];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: active-testing <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `active-testing <command> --help` for the options of a command.',
  ].join('\n');
}

/** Runs the CLI and returns its exit code: 0 success, 1 bad input or failure, 2 usage error. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`active-testing: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`active-testing ${name}: ${error.message}\nRun \`active-testing ${name} --help\` for usage.`);
      return 2;
    }
    if (error instanceof ActiveTestingError) {
      console.error(`active-testing ${name}: ${error.message}`);
      return 1;
    }
    if (error instanceof TypeError && 'code' in error && String((error as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`active-testing ${name}: ${error.message}\nRun \`active-testing ${name} --help\` for usage.`);
      return 2;
    }
    console.error(`active-testing ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}
