import { parentPort, workerData } from 'node:worker_threads';
import type { IntervalTask } from './sequence-intervals.js';
import { claimTile, RunBlock, TILE_RUNS, type EngineConfig, type EngineOutputs, type EnginePool } from './run-block.js';

/** What `simulate` hands each worker: the shared pool, the settings, the shared outputs and the shared tile counter (`claimTile`). */
export interface WorkerTask {
  pool: EnginePool;
  config: EngineConfig;
  outputs: EngineOutputs;
  tiles: Int32Array;
}

/** Messages a worker posts back. */
export type WorkerMessage =
  | { type: 'progress'; completed: number }
  | { type: 'done'; completed: number }
  | { type: 'error'; name: string; message: string; details?: Record<string, unknown> };

const PROGRESS_INTERVAL_MS = 50;

/** What a worker is started with: runs to simulate, or the intervals of runs simulated already. */
export type WorkerJob = { simulate: WorkerTask } | { intervals: IntervalTask };

function workerPort() {
  const port = parentPort;
  if (port === null) throw new Error('worker.ts must run in a worker thread');
  return port;
}

function postError(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  const details = 'argument' in e ? { argument: e.argument, expected: (e as { expected?: unknown }).expected } : undefined;
  workerPort().postMessage({ type: 'error', name: e.name, message: e.message, details } satisfies WorkerMessage);
}

/** Loads the sequences only for an interval job: a worker that simulates runs starts without them. */
async function runIntervals(task: IntervalTask): Promise<void> {
  try {
    const { runIntervalTask } = await import('./sequence-intervals.js');
    runIntervalTask(task);
    workerPort().postMessage({ type: 'done', completed: 0 } satisfies WorkerMessage);
  } catch (error) {
    postError(error);
  }
}

function runTask(task: WorkerTask): void {
  const port = workerPort();
  try {
    const block = new RunBlock(task.pool, task.config, task.outputs);
    let reported = Date.now();
    let sinceReport = 0;
    const runs = task.config.runs;
    for (let from = claimTile(task.tiles, runs); from >= 0; from = claimTile(task.tiles, runs)) {
      const count = Math.min(TILE_RUNS, runs - from);
      block.runTile(from, count);
      sinceReport += count;
      const now = Date.now();
      if (now - reported >= PROGRESS_INTERVAL_MS) {
        port.postMessage({ type: 'progress', completed: sinceReport } satisfies WorkerMessage);
        sinceReport = 0;
        reported = now;
      }
    }
    port.postMessage({ type: 'done', completed: sinceReport } satisfies WorkerMessage);
  } catch (error) {
    postError(error);
  }
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object') {
  const job = workerData as WorkerJob;
  if ('simulate' in job) runTask(job.simulate);
  else if ('intervals' in job) void runIntervals(job.intervals);
}
