import type { InterruptedError } from '../errors.js';

/** The signals that stop a command: Ctrl-C and SIGTERM. */
type StopSignal = InterruptedError['signal'];

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** Whether a command's own handler has received a stop signal in this process. */
let stopReceived = false;

/**
 * Hands Ctrl-C (SIGINT) and SIGTERM to `stop`, until the function it returns is called. A command
 * that stops cleanly (its files closed, its lock released) listens with this, rather than with
 * `process.on`, so that the command line's entry point knows a stop is under way: a signal after
 * the first, come once the command's handlers are gone and before the process ends, then changes
 * nothing, where Node would end the process as killed by it (`timeout` and Ctrl-C under `npm run`
 * both signal twice).
 *
 * @example
 * const release = onStopSignals(() => controller.abort());
 * try { await work(controller.signal); } finally { release(); }
 */
export function onStopSignals(stop: (signal: StopSignal) => void): () => void {
  const received = (signal: StopSignal): void => {
    stopReceived = true;
    stop(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, received);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, received);
  };
}

/**
 * Listens to Ctrl-C and SIGTERM for the whole life of the command line's process, and returns the
 * function to call with the command's exit code once it has returned. A signal while a command's
 * handler listens is the command's; one after a stop was received is a late repeat and changes
 * nothing; once the command has returned, a signal ends the process with the command's exit code
 * (its files are closed: the drain need not finish). Any other signal ends the process as the
 * signal would, as it does where nothing listens.
 */
export function listenForLateSignals(): (code: number) => void {
  let finished: number | undefined;
  const late = (signal: StopSignal): void => {
    if (finished !== undefined) process.exit(finished);
    if (stopReceived || process.listenerCount(signal) > 1) return;
    for (const name of STOP_SIGNALS) process.off(name, late);
    process.kill(process.pid, signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, late);
  return (code) => {
    finished = code;
  };
}
