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
  // but what stdout and stderr still hold for a slow reader (the line saying what is saved) goes first.
  if (stopSignalReceived()) {
    await Promise.all([drained(process.stdout), drained(process.stderr)]);
    process.exit(code);
  }
});

/** Resolves once `stream` holds nothing more to write (polled: 'drain' comes only after a write was refused). */
async function drained(stream: NodeJS.WriteStream): Promise<void> {
  while (stream.writableLength > 0 && !stream.destroyed) await delay(10);
}
