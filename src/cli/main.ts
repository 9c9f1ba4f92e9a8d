#!/usr/bin/env node
import { faultPause } from '../io/fault.js';
import { redactSecrets } from '../io/redact.js';
import { handleClosedOutput } from './closed-output.js';
import { describeFailure, runCli } from './run.js';

const argv = process.argv.slice(2);
// A failure outside the command's own promise (a worker, a stray callback) still ends in one line.
const fail = (error: unknown): void => {
  console.error(redactSecrets(`active-testing ${argv[0] ?? ''}: ${describeFailure(error, argv[0] ?? '').message}`));
  process.exit(1);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
handleClosedOutput(argv[0]);

runCli(argv).then(async (code) => {
  // The command is done and its files closed: a signal while the process drains (the second of a
  // Ctrl-C under `npm run` or of `timeout`, come late) ends it with the command's own exit code
  // rather than as killed by the signal.
  const exitNow = (): never => process.exit(code);
  process.on('SIGINT', exitNow);
  process.on('SIGTERM', exitNow);
  process.exitCode = code;
  await faultPause('cli:done');
});
