/**
 * Named points in the lock, journal, output, evaluate and serve code where the fault-injection tests pause
 * a process, to widen the windows that a crash, a competing process or a signal could hit. Used
 * only by tests: unless the environment variable `ACTIVE_TESTING_FAULT_DELAY_MS` is set (e.g.
 * `lock:written=50,journal:append=5`, or `*=20` for every point) each call returns at once.
 */
export type FaultPoint =
  /** The lock's pid file is written, not yet linked into place. */
  | 'lock:written'
  /** A stale lock was judged stale, not yet moved aside. */
  | 'lock:stale'
  /** A stale lock was moved aside, the new one not yet linked. */
  | 'lock:aside'
  /** Half of a journal record is written, the rest not yet. */
  | 'journal:append'
  /** A torn last line was copied to its side file, the journal not yet cut back. */
  | 'journal:set-aside'
  /** `evaluate` holds its output folder's lock, its data not yet read nor its model loaded. */
  | 'evaluate:locked'
  /** `evaluate` flushed a batch's scores to its checkpoint, the next batch not yet scored. */
  | 'evaluate:batch'
  /** Before each step of an output folder's atomic write (the temporaries, then each rename). */
  | 'output:step'
  /** `serve` listens on its port, its session not yet opened or created. */
  | 'serve:open'
  /** `serve` has done what a write asked (a label is on disk) and holds its answer until the server has begun to stop. */
  | 'serve:answer'
  /** Interactive `label` has opened its session (its lock taken), its first prompt not yet shown. */
  | 'label:opened'
  /** The command line's command has returned (its signal handlers gone), its exit code not yet set. */
  | 'cli:returned'
  /** The command line's command has returned, its exit code set, the process not yet ended. */
  | 'cli:done';

const ENV = 'ACTIVE_TESTING_FAULT_DELAY_MS';
let sleeper: Int32Array | undefined;

function delayFor(point: FaultPoint, spec: string): number {
  for (const entry of spec.split(',')) {
    const [name, ms] = entry.split('=');
    if (name === point || name === '*') return Number(ms) || 0;
  }
  return 0;
}

/** The delay the test environment asks for at `point`: 0 by default. */
function delayAt(point: FaultPoint): number {
  const spec = process.env[ENV];
  return spec === undefined ? 0 : delayFor(point, spec);
}

/** Pauses the process at `point` for the delay the test environment asks for (none by default), blocking its event loop. */
export function faultPoint(point: FaultPoint): void {
  const ms = delayAt(point);
  if (ms <= 0) return;
  sleeper ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Like `faultPoint`, but waits on a timer: signals that arrive during the pause are handled as they
 * come. With `after`, the pause begins once it is aborted: a test holds a server's answer until the
 * server has begun to stop, and the delay more.
 */
export async function faultPause(point: FaultPoint, after?: AbortSignal): Promise<void> {
  const ms = delayAt(point);
  if (ms <= 0) return;
  if (after !== undefined && !after.aborted) await new Promise((begun) => after.addEventListener('abort', begun, { once: true }));
  await new Promise((done) => setTimeout(done, ms));
}

/** Whether the test environment injects a delay at `point` (the journal then splits its write there). */
export function faultPointActive(point: FaultPoint): boolean {
  const spec = process.env[ENV];
  return spec !== undefined && delayFor(point, spec) > 0;
}
