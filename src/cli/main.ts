#!/usr/bin/env node
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
  // Stopped by a signal: its files are closed; a repeat signal must not find Node tearing down.
  if (stopSignalReceived()) process.exit(code);
});
