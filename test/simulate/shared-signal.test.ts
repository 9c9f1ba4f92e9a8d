import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { lossBounds, lossPerItem } from '../../src/metrics/index.js';
import { simulationIntervals, simulationIntervalsInThreads } from '../../src/simulate/intervals.js';
import { simulate } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

/** More computations at once than Node's default of 10 listeners per event before it warns. */
const AT_ONCE = 12;
const pool = syntheticPool({ poolSize: 300, seed: 2 });
const options = { runs: 40, size: 30, seed: 1, threads: 1 } as const;

let warnings: string[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(`${warning.name}: ${warning.message}`);
};
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

/** Process warnings are emitted on a later tick: waits for them. */
const warningsSoFar = async (): Promise<string[]> => {
  await new Promise((resolve) => setImmediate(resolve));
  return warnings;
};

describe('one signal shared by many computations at once (a server’s shutdown signal)', () => {
  it('simulate: no listener-leak warning, and the estimates of a run without a signal', async () => {
    const alone = await simulate(pool, options);
    const { signal } = new AbortController();
    const results = await Promise.all(Array.from({ length: AT_ONCE }, () => simulate(pool, { ...options, signal })));
    expect(await warningsSoFar()).toEqual([]);
    for (const result of results) expect(result.estimates).toEqual(alone.estimates);
    expect(getEventListeners(signal, 'abort')).toEqual([]);
  });

  it('simulate: the signal aborted while they run cancels every one', async () => {
    const controller = new AbortController();
    const started = Array.from({ length: AT_ONCE }, () =>
      simulate(pool, {
        ...options,
        runs: 400,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    );
    const outcomes = await Promise.allSettled(started);
    expect(outcomes.map((o) => o.status === 'rejected' && o.reason instanceof CancelledError)).toEqual(Array(AT_ONCE).fill(true));
  });

  it('simulate: an aborted signal still cancels every one', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcomes = await Promise.allSettled(
      Array.from({ length: AT_ONCE }, () => simulate(pool, { ...options, signal: controller.signal })),
    );
    expect(outcomes.map((o) => o.status === 'rejected' && o.reason instanceof CancelledError)).toEqual(Array(AT_ONCE).fill(true));
  });

  it('simulationIntervalsInThreads: no listener-leak warning, and the intervals computed on this thread', async () => {
    const result = await simulate(pool, options);
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const expected = simulationIntervals(result, losses, bounds, ['anytime']);
    const { signal } = new AbortController();
    const computed = await Promise.all(
      Array.from({ length: AT_ONCE }, () =>
        simulationIntervalsInThreads(result, losses, bounds, ['anytime'], null, null, { threads: 1, signal }),
      ),
    );
    expect(await warningsSoFar()).toEqual([]);
    for (const intervals of computed) expect(intervals).toEqual(expected);
  });
});
