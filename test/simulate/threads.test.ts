import { expect, it, vi } from 'vitest';
import { lossBounds, lossPerItem } from '../../src/metrics/index.js';
import { simulationIntervals, simulationIntervalsInThreads } from '../../src/simulate/intervals.js';
import { simulationReference } from '../../src/simulate/reference.js';
import { simulate } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

// A machine of 2 cores, on which each worker thread started is counted.
const started = vi.hoisted(() => ({ workers: 0 }));
vi.mock('../../src/simulate/usable-cores.js', () => ({ usableCores: () => 2 }));
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class CountedWorker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args);
      started.workers++;
    }
  }
  return { ...real, Worker: CountedWorker };
});

it('runs on no more threads than the machine has cores, however many --threads asks for', async () => {
  const pool = syntheticPool({ poolSize: 2000, classCount: 3, seed: 1 });
  const input = { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: pool.labels };
  const options = { acquisition: 'surrogate-ce', runs: 4000, size: 400, seed: 3 } as const;
  const result = await simulate(input, { ...options, threads: 8 });
  // One worker beside this thread (the runs take far longer than starting it, so it is started).
  expect(started.workers).toBe(1);
  const alone = await simulate(input, { ...options, threads: 1 });
  expect(Array.from(result.estimates)).toEqual(Array.from(alone.estimates));
});

it('computes the intervals on no more threads than the machine has cores, however many are asked for', async () => {
  const pool = syntheticPool({ poolSize: 500, classCount: 2, seed: 2 });
  const input = { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: pool.labels };
  // Two threads write the draws into shared memory, which the intervals' workers read.
  const result = await simulate(input, { acquisition: 'surrogate-ce', runs: 4000, size: 60, step: 3, seed: 4, threads: 2 });
  const losses = lossPerItem(pool.modelScores, pool.labels);
  const bounds = lossBounds(pool.modelScores, 'cross-entropy');
  const reference = simulationReference(input, result.options);
  started.workers = 0;
  const threaded = await simulationIntervalsInThreads(result, losses, bounds, ['anytime'], reference, null, { threads: 8 });
  // One worker beside this thread, for 4000 runs of many tiles.
  expect(started.workers).toBe(1);
  const [alone] = simulationIntervals(result, losses, bounds, ['anytime'], reference);
  expect(Array.from(threaded[0]!.lower)).toEqual(Array.from(alone!.lower));
});
