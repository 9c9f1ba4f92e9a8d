import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { STOP_SIGNALS as STOP_SIGNAL_NUMBERS, type InterruptedError } from '../errors.js';

/** The signals that stop a command: Ctrl-C, SIGTERM and SIGHUP (its terminal closed). */
type StopSignal = InterruptedError['signal'];

/**
 * The signals every command stops on. SIGHUP too, whether or not the command needs its terminal:
 * Node gives every signal its default action at startup, so a command under `nohup` is killed by
 * SIGHUP all the same, and one stopped cleanly leaves no lock or temporary file behind.
 */
const STOP_SIGNALS = Object.keys(STOP_SIGNAL_NUMBERS) as StopSignal[];

/** Whether the process is the command line's (its entry point takes late signals), not a library's caller. */
let entryPoint = false;
/** The signals the entry point's listener is installed for. */
const listening = new Set<StopSignal>();
/** How many of the commands' handlers listen now (any other listener, a dependency's, is not one). */
let commandHandlers = 0;
/** Whether a command's own handler has received a stop signal: later ones are repeats. */
let stopReceived = false;
/** The command's exit code, once it has returned. */
let exitCode: number | undefined;

/**
 * The standard streams that were terminals when the entry point (or a command run in-process, by
 * `runCli`) first listened for the stop signals: once the terminal has closed they no longer read
 * as terminals.
 */
let terminals: readonly number[] | undefined;
let closingTerminals = false;

/**
 * Closes the standard streams that are terminals as the process exits, once its terminal has
 * closed (SIGHUP, or its input ended). Node restores the modes a terminal had when the process
 * started as it exits, and a closed terminal refuses them (EIO): Node then ends the process with
 * an assertion failure (SIGABRT), whatever the command's exit status. It skips a descriptor closed
 * meanwhile. A command that changed the terminal's modes itself gives them back before it exits.
 */
export function closeTerminalsAtExit(): void {
  if (closingTerminals || terminals === undefined) return;
  closingTerminals = true;
  const closing = terminals;
  process.once('exit', () => {
    for (const fd of closing) {
      try {
        closeSync(fd);
      } catch {
        // Closed meanwhile (EBADF): nothing left for Node to restore on it.
      }
    }
  });
}

/**
 * The entry point's listener. A signal while a command's handler listens is the command's; one
 * after a stop was received is a repeat and changes nothing; once the command has returned, a
 * signal ends the process with its exit code (its files are closed: the drain need not finish).
 * Otherwise the signal ends the process as killed by it, as where nothing listens.
 */
function late(signal: StopSignal): void {
  if (signal === 'SIGHUP') closeTerminalsAtExit();
  if (exitCode !== undefined) process.exit(exitCode);
  if (stopReceived || commandHandlers > 0) return;
  for (const name of listening) process.off(name, late);
  listening.clear();
  process.kill(process.pid, signal);
}

function listenLate(): void {
  if (!entryPoint) return;
  for (const signal of STOP_SIGNALS) {
    if (listening.has(signal)) continue;
    listening.add(signal);
    process.on(signal, late);
  }
}

/**
 * Hands Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal's streams then closed at exit, see
 * `closeTerminalsAtExit`) to `stop`, until the function it returns is called. A command that stops
 * cleanly (its files closed, its lock released) listens with this, rather than with `process.on`:
 * in the command line's process, the entry point then listens too, from before the command's
 * handler until the process ends, so that a signal after the first, come once the command's
 * handlers are gone, changes nothing, where Node would end the process as killed by it (`timeout`
 * and Ctrl-C under `npm run` both signal twice). Until a command listens, nothing does: a signal
 * ends the process at once, even in the middle of synchronous work.
 *
 * @example
 * const release = onStopSignals(() => controller.abort());
 * try { await work(controller.signal); } finally { release(); }
 */
export function onStopSignals(stop: (signal: StopSignal) => void): () => void {
  terminals ??= [0, 1, 2].filter((fd) => isatty(fd));
  listenLate();
  const received = (signal: StopSignal): void => {
    stopReceived = true;
    if (signal === 'SIGHUP') closeTerminalsAtExit();
    stop(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, received);
  commandHandlers += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    commandHandlers -= 1;
    for (const signal of STOP_SIGNALS) process.off(signal, received);
  };
}

/**
 * Whether a command's handler has received a stop signal. The command line then ends its process
 * as soon as the command has returned: once its event loop is empty, Node gives the signals back
 * to their default action before the process ends, and a repeat arriving then (a second Ctrl-C or
 * `timeout`'s second signal, milliseconds later) would end it as killed by it.
 */
export function stopSignalReceived(): boolean {
  return stopReceived;
}

/**
 * Makes this process the command line's: from now on the commands' signal handlers are backed by
 * the entry point's (see `onStopSignals`). Returns the function to call with the command's exit
 * code once it has returned: a signal after that ends the process with that code.
 */
export function takeLateSignals(): (code: number) => void {
  entryPoint = true;
  // Now, as Node takes its own note of them: a command that never listens (`--version`) still has
  // its terminal's streams closed at exit when the terminal closes once it has returned.
  terminals ??= [0, 1, 2].filter((fd) => isatty(fd));
  return (code) => {
    exitCode = code;
    listenLate();
  };
}
