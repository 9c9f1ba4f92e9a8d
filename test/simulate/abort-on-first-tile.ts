import { vi } from 'vitest';
import { SequenceIntervals } from '../../src/simulate/sequence-intervals.js';

/**
 * A signal that aborts while the first tile of confidence sequences is being filled, and the
 * number of runs filled so far: a computation that honours the signal fills one tile per kind.
 * Restore with `vi.restoreAllMocks()`.
 */
export function abortOnFirstTile(): { signal: AbortSignal; filledRuns: () => number } {
  const controller = new AbortController();
  const fill = SequenceIntervals.prototype.fill;
  let filled = 0;
  vi.spyOn(SequenceIntervals.prototype, 'fill').mockImplementation(function (this: SequenceIntervals, from, to) {
    filled += to - from;
    controller.abort();
    fill.call(this, from, to);
  });
  return { signal: controller.signal, filledRuns: () => filled };
}
