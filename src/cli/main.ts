#!/usr/bin/env node
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

runCli(argv).then((code) => {
  process.exitCode = code;
});
