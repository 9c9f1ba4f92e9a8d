import type { Matrix } from '../matrix.js';
import { lossBounds } from '../metrics/index.js';
import { simulationIntervalsInThreads, type IntervalKind, type SimulationIntervals } from './intervals.js';
import { preparedReferenceAndSource } from './reference.js';
import type { PreparedSimulation, SimulationResult } from './simulate.js';

/**
 * Whether the interval kinds need the adaptive draws' mixture weights (`recordMixtureWeights`):
 * the sequences bet on each adaptive draw's own proposal floor; the bootstrap reads none.
 *
 * @example
 * intervalsNeedMixtureWeights(['bootstrap']); // false
 * intervalsNeedMixtureWeights(['anytime', 'bootstrap']); // true
 */
export function intervalsNeedMixtureWeights(kinds: readonly IntervalKind[]): boolean {
  return kinds.some((kind) => kind !== 'bootstrap');
}

/**
 * The intervals of `kinds` for the runs of a prepared simulation, as `simulate --interval` and an
 * experiment grid's `interval` compute them: with the reference bets of the preparation (its
 * proposal is not planned again), the loss bounds it checked the scores with (computed here only
 * under reference numerics, where it computes none), on the result's threads. One function for
 * both, so that a grid setting's interval files are `simulate`'s, bit for bit. None for no kinds.
 *
 * @example
 * const prepared = prepareResolvedSimulation(input, { options, calibration });
 * const result = await runPrepared(prepared);
 * const intervals = await preparedSimulationIntervals(prepared, result, { modelScores: f, surrogateScores: g }, ['anytime'], signal);
 * @throws {InputError} as `simulationIntervalsInThreads`; {CancelledError} once `signal` aborts.
 */
export async function preparedSimulationIntervals(
  prepared: PreparedSimulation,
  result: SimulationResult,
  scores: { modelScores: Matrix; surrogateScores?: Matrix | undefined },
  kinds: readonly IntervalKind[],
  signal?: AbortSignal,
): Promise<SimulationIntervals[]> {
  if (kinds.length === 0) return [];
  const { reference, drawFloorCandidates } = preparedReferenceAndSource(prepared, scores.modelScores, scores.surrogateScores);
  // The bounds the preparation checked the scores with (N·K logarithms and exponentials), not computed again.
  const bounds = prepared.bounds ?? lossBounds(scores.modelScores, result.options.loss);
  return simulationIntervalsInThreads(result, prepared.pool.losses, bounds, kinds, reference, drawFloorCandidates, {
    threads: result.options.threads,
    signal,
  });
}
