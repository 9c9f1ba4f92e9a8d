import { vi } from 'vitest';
import { runCli } from '../../src/cli/run.js';

/** What an in-process CLI run printed: each console.log call a line of `lines`, and `stdout` them joined. */
export interface CliRun {
  code: number;
  stdout: string;
  lines: string[];
  stderr: string;
}

/** Runs the CLI in-process with `argv` and captures what it prints to the console. */
export async function runCliCaptured(argv: string[]): Promise<CliRun> {
  const lines: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await runCli(argv);
    return { code, stdout: lines.join('\n'), lines, stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
