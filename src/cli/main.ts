#!/usr/bin/env node
import { setTimeout as delay } from 'node:timers/promises';
import { faultPause } from '../io/fault.js';
import { redactSecrets } from '../io/redact.js';
import { handleClosedOutput } from './closed-output.js';
import { describeFailure, runCli } from './run.js';
import { stopSignalReceived, takeLateSignals } from './signals.js';

const argv = process.argv.slice(2);
// A failure outside the command's own promise (a worker, a stray callback) still ends in one line.
const fail = (error: unknown): void => {
  console.error(redactSecrets(`active-testing ${argv[0] ?? ''}: ${describeFailure(error, argv[0] ?? '').message}`));
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
handleClosedOutput(argv);

// The second signal of a Ctrl-C under `npm run` or of `timeout` may come after the command's own
// handlers are gone, and must not end the process as killed by it.
const returned = takeLateSignals();
runCli(argv).then(async (code) => {
  await faultPause('cli:returned');
  returned(code);
  process.exitCode = code;
  await faultPause('cli:done');
  // Stopped by a signal: its files are closed; a repeat signal must not find Node tearing down,
  // but what stdout and stderr still hold for a slow reader (the line saying what is saved) goes
  // first, for at most DRAIN_LIMIT_MS.
  if (stopSignalReceived()) {
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    await Promise.all([drained(process.stdout, deadline), drained(process.stderr, deadline)]);
    process.exit(code);
  }
});

/**
 * How long a stopped command waits for its output's readers. A reader that reads takes
 * milliseconds for what a pipe holds (64 KiB); one that has not read it in seconds is stopped (a
 * pager suspended with Ctrl-Z) or stuck, and would keep a stopped command alive for as long: the
 * process then exits with its code, what the reader has not taken dropped. Well under the grace
 * `docker stop` gives before SIGKILL (10 s), so that the command still exits with its own code.
 */
const DRAIN_LIMIT_MS = 3000;

/**
 * Resolves once `stream` holds nothing more to write (polled: 'drain' comes only after a write was
 * refused), or at `deadline`.
 */
async function drained(stream: NodeJS.WriteStream, deadline: number): Promise<void> {
  while (stream.writableLength > 0 && !stream.destroyed && Date.now() < deadline) await delay(10);
}
