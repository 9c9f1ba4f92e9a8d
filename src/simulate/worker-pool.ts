import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ActiveTestingError, CancelledError, InputError } from '../errors.js';
import type { IntervalTask } from './sequence-intervals.js';
import type { EngineConfig, EngineOutputs, EnginePool } from './run-block.js';
import type { WorkerJob, WorkerMessage } from './worker.js';

/**
 * Where the worker script is: `worker.js` beside the bundle (dist/), or, when running from source
 * (vitest, tsx), `worker.ts` loaded through tsx's ESM hooks.
 */
function spawnWorker(job: WorkerJob): Worker {
  const built = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return new Worker(built, { workerData: job });
  const source = new URL('./worker.ts', import.meta.url);
  const tsxApi = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const bootstrap = `const { register } = await import(${JSON.stringify(pathToFileURL(tsxApi).href)}); register(); await import(${JSON.stringify(source.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData: job });
}

function workerError(message: Extract<WorkerMessage, { type: 'error' }>): Error {
  const details = message.details;
  if (message.name === 'InputError' && details !== undefined) {
    return new InputError({ argument: String(details.argument), expected: String(details.expected) });
  }
  const error = new ActiveTestingError(`worker failed: ${message.message}`);
  error.name = message.name;
  return error;
}

/**
 * Starts `workers` workers that claim tiles of runs from the shared counter `tiles` and write them
 * into the shared `outputs`; `onProgress` receives the runs each finishes. Resolves when every
 * worker is done; rejects (terminating the others) on the first failure or when `signal` aborts.
 */
export function runInWorkers(
  pool: EnginePool,
  config: EngineConfig,
  outputs: EngineOutputs,
  tiles: Int32Array,
  workers: number,
  onProgress: (completed: number) => void,
  signal: AbortSignal,
): Promise<void> {
  return startWorkers({ simulate: { pool, config, outputs, tiles } }, workers, onProgress, signal);
}

/**
 * Starts `workers` workers that claim tiles of runs from `task.tiles` and write their intervals
 * into the shared `task.outputs`. Resolves and rejects as `runInWorkers`.
 */
export function runIntervalsInWorkers(task: IntervalTask, workers: number, signal: AbortSignal): Promise<void> {
  return startWorkers({ intervals: task }, workers, () => {}, signal);
}

function startWorkers(job: WorkerJob, workers: number, onProgress: (completed: number) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const started: Worker[] = [];
    let running = 0;
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', abort);
      for (const w of started) void w.terminate();
      if (error) reject(error);
      else resolve();
    };
    const abort = (): void => finish(new CancelledError('simulation cancelled'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort);
    for (let w = 0; w < workers; w++) {
      const worker = spawnWorker(job);
      started.push(worker);
      running++;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'error') return finish(workerError(message));
        onProgress(message.completed);
        if (message.type === 'done' && --running === 0) finish();
      });
      worker.on('error', (error) => finish(error));
      worker.on('exit', (code) => {
        if (code !== 0) finish(new ActiveTestingError(`a simulation worker exited with code ${code}`));
      });
    }
  });
}
