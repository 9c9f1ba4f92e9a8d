import { setImmediate } from 'node:timers/promises';
import { CancelledError, InterruptedError } from '../errors.js';
import { onStopSignals } from './signals.js';

/**
 * Runs a command's `work` with Ctrl-C (SIGINT), SIGTERM and SIGHUP (its terminal closed) turned
 * into an abort of the signal it is given, rather than Node ending the process where it stands:
 * the work stops at its next check and cleans up on its way out (its temporary files removed, its
 * output folder's lock released). It then throws `InterruptedError`, one line ending in `hint`
 * (what is left, what to do; a function is asked when the signal stopped the work, as what is left
 * may have changed) with the shell's exit status for the signal; `reached`, asked then, says how
 * far the work got (undefined when it cannot tell). Work past its last check (renaming its files
 * into place) finishes, and its result is returned. Signals after the first change nothing: `timeout`
 * sends its signal twice (to the process and to its group), and the cleanup must still run.
 *
 * @example
 * await withInterrupts('nothing of its results was written', (signal) => simulate(input, { signal }));
 * await withInterrupts('rerun to resume', (signal) => score({ signal, onProgress: (n) => (done = n) }), () => `after ${done} items`);
 * @throws InterruptedError when a signal stopped the work.
 */
export async function withInterrupts<T>(
  hint: string | (() => string),
  work: (signal: AbortSignal) => Promise<T>,
  reached?: () => string | undefined,
): Promise<T> {
  const controller = new AbortController();
  let received: InterruptedError['signal'] | undefined;
  const stop = (name: InterruptedError['signal']): void => {
    received ??= name;
    controller.abort();
  };
  const release = onStopSignals(stop);
  try {
    return await work(controller.signal);
  } catch (error) {
    if (received !== undefined && error instanceof CancelledError)
      throw new InterruptedError(received, typeof hint === 'string' ? hint : hint(), reached?.());
    throw error;
  } finally {
    release();
  }
}

/**
 * Resolves once the event loop has polled, where a signal's handler runs: work on promises already
 * resolved, or synchronous work (a session file's read, its writes), would otherwise let a stop
 * signal be handled only once all of it is done. One immediate is not enough: queued from the
 * poll phase (the callback of a file read), it runs in the check phase that follows, before the
 * next poll. The second runs after one.
 */
export async function afterPoll(): Promise<void> {
  await setImmediate();
  await setImmediate();
}

/**
 * Lets the event loop poll (`afterPoll`), then throws `CancelledError` if `signal` is aborted.
 *
 * @throws CancelledError when `signal` is aborted.
 */
export async function stopIfAborted(signal: AbortSignal | undefined): Promise<void> {
  await afterPoll();
  if (signal?.aborted) throw new CancelledError('stopped');
}
