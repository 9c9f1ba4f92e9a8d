import type { SimulationResult } from './simulate.js';
import { bootstrapHalfWidth } from '../estimators/bootstrap.js';
import { withinLossBounds } from '../estimators/confidence-sequence.js';
import { CancelledError, InputError, type OptionNaming, ReceivedKind } from '../errors.js';
import { lossLimitText, lossMagnitudeLimit, type LossBounds } from '../metrics/loss-bounds.js';
import { pairwiseSum } from '../metrics/index.js';
import { selectedMedian } from '../metrics/percentile.js';
import type { SimulationReference } from './reference.js';
import { claimTile, sharedFloat64, threadsFor, WORKER_START_MS, YIELD_INTERVAL_MS } from './run-block.js';
import {
  INTERVAL_TILE_RUNS,
  SequenceIntervals,
  type DrawFloorCandidates,
  type IntervalTask,
  type SequenceKind,
  type SequenceRuns,
} from './sequence-intervals.js';

import { INTERVAL_KINDS, type IntervalKind } from '../options/registry.js';
import { checkObject } from '../io/index.js';
import { followSignal } from '../io/follow-signal.js';

export { INTERVAL_KINDS, type IntervalKind };

/** One kind's intervals for every row and run (rows×runs, row-major like the estimates) and how they did. */
export interface SimulationIntervals {
  kind: IntervalKind;
  lower: Float64Array;
  upper: Float64Array;
  /** Per row: the fraction of runs whose interval contains the true risk. */
  coverage: number[];
  /**
   * The fraction of runs whose interval contains the true risk at every row at once, for the
   * sequences (`anytime`, which guarantees it, and `fixed`, which shows what looking at every row
   * costs an interval that does not); null for `bootstrap`, which claims nothing about rows jointly
   * and has zero width at one label, so that it would read 0 wherever the first row is at one label.
   */
  simultaneousCoverage: number | null;
  /**
   * Per row: the median half-width over the runs with an interval there, NaN where none has one. A
   * run whose bounds are NaN (its estimate is, for the bootstrap) has none: its width is left out,
   * and `coverage` counts it as not containing the true risk.
   */
  medianHalfWidth: number[];
}

/**
 * The intervals of each kind for every run of a simulation, from its draws (samples, q), the
 * per-item losses and their bounds: `anytime` the confidence sequence, `fixed` the fixed-budget
 * interval at each row's label count, `bootstrap` the approximate ±1.96σ (finite-population
 * corrected; needs the bootstrap variance). The sequences are computed after the runs, O(M) per
 * row and run, and tuned for the runs' label count (`plannedLabels: size`); with a `reference` (`simulationReference`) they use the reference bets, which
 * narrow them without touching their guarantee, and under the adaptive proposal each draw's own
 * floor (its `drawFloor` of the draw's `mixtureWeights`, one per distinct mixture). Those of
 * `simulate --interval`, value for value, take both: a result simulated with
 * `recordMixtureWeights: true` and `simulationReference(input, result.options)` (docs/simulate.md,
 * "Intervals from the library"); without them the intervals are as valid, and wider.
 *
 * @example
 * const result = await simulate(input, { runs: 200, recordMixtureWeights: true });
 * const reference = simulationReference(input, result.options);
 * const [anytime] = simulationIntervals(result, lossPerItem(f, y), lossBounds(f, 'cross-entropy'), ['anytime'], reference);
 * anytime.simultaneousCoverage; // e.g. 0.99
 * @throws InputError when `result`, `bounds` or a non-null `reference` is not an object, `losses`
 * is not a Float64Array as long as each bound, or its mean is not the result's `trueRisk` (another
 * loss's losses), with a sequence kind (`anytime`, `fixed`: `bootstrap` alone reads no bound) a
 * bound is not finite, past `lossMagnitudeLimit`, below its item's lower bound (`bounds.upper`) or does not hold its item's
 * loss (`losses`: the sequences hold only where every item's bounds hold its loss, drawn or not), `kinds` is not an array, for an unknown kind,
 * `bootstrap` without a bootstrap variance (`bootstrap: 'none'`) or with the `ase` estimator.
 */
export function simulationIntervals<const Kinds extends readonly IntervalKind[]>(
  result: SimulationResult,
  losses: Float64Array,
  bounds: LossBounds,
  kinds: Kinds,
  reference: SimulationReference | null = null,
): { -readonly [Index in keyof Kinds]: SimulationIntervals } {
  checkIntervalArguments(result, losses, bounds, kinds, reference);
  checkResultKinds(result, kinds);
  const { rows, runs } = result;
  return kinds.map((kind) => {
    const lower = new Float64Array(rows * runs);
    const upper = new Float64Array(rows * runs);
    if (kind === 'bootstrap') bootstrapIntervals(result, losses.length, bounds.evaluationRounding ?? 0, lower, upper);
    else
      new SequenceIntervals(kind, sequenceRuns(result), losses, bounds, reference, reference?.drawFloor ?? null, lower, upper).fill(
        0,
        runs,
      );
    return { kind, lower, upper, ...quality(kind, lower, upper, rows, runs, result.trueRisk) };
  }) as { -readonly [Index in keyof Kinds]: SimulationIntervals };
}

/** The arguments' types and lengths, for a plain JS call: each is read deep inside otherwise. */
function checkIntervalArguments(
  result: SimulationResult,
  losses: Float64Array,
  bounds: LossBounds,
  kinds: readonly IntervalKind[],
  reference: SimulationReference | null,
): void {
  checkObject(result, 'result', 'a simulation result (from simulate)');
  if (!(losses instanceof Float64Array) || losses.length === 0) {
    throw new InputError({ argument: 'losses', expected: "the pool's per-item losses (a non-empty Float64Array)", received: losses });
  }
  // Another loss's losses (bounds and all) would pass every check below and give coverage against
  // the wrong risk: their mean must be the risk the simulation estimated.
  const mean = pairwiseSum(losses) / losses.length;
  if (typeof result.trueRisk === 'number' && !(Math.abs(mean - result.trueRisk) <= 1e-9 * Math.max(1, Math.abs(result.trueRisk)))) {
    throw new InputError({
      argument: 'losses',
      expected: `the per-item losses of the simulation's loss, whose mean is its true risk ${result.trueRisk}`,
      received: new ReceivedKind(`losses of mean ${mean}`),
    });
  }
  checkObject(bounds, 'bounds', 'loss bounds { lower, upper } (from lossBounds)');
  for (const side of ['lower', 'upper'] as const) {
    const values: unknown = bounds[side];
    if (!(values instanceof Float64Array) || values.length !== losses.length) {
      throw new InputError({
        argument: `bounds.${side}`,
        expected: `${losses.length} bounds, one per loss (a Float64Array)`,
        received: values instanceof Float64Array ? values.length : values,
      });
    }
  }
  if (!Array.isArray(kinds))
    throw new InputError({ argument: 'kinds', expected: `an array of ${INTERVAL_KINDS.join(' | ')}`, received: kinds });
  // Only the sequences read the bounds: the bootstrap alone takes any.
  if (kinds.some((kind) => kind !== 'bootstrap')) checkBoundsHoldLosses(losses, bounds);
  if (reference !== null) checkObject(reference, 'reference', 'a simulation reference (from simulationReference), or null');
}

/**
 * Each bound finite, within `lossMagnitudeLimit`, each pair ordered and holding its item's loss, as the sequences check them:
 * here so that a refusal names `bounds.lower`, `bounds.upper` or `losses`, the arguments passed,
 * not the sequence's own (`lowerBounds`, `loss`) deep inside.
 */
function checkBoundsHoldLosses(losses: Float64Array, bounds: LossBounds): void {
  const limit = lossMagnitudeLimit(losses.length);
  for (let i = 0; i < losses.length; i++) {
    const a = bounds.lower[i]!;
    const b = bounds.upper[i]!;
    if (!Number.isFinite(a)) throw new InputError({ argument: 'bounds.lower', expected: 'a finite loss bound', received: a, row: i });
    if (!Number.isFinite(b)) throw new InputError({ argument: 'bounds.upper', expected: 'a finite loss bound', received: b, row: i });
    if (!(a <= b)) throw new InputError({ argument: 'bounds.upper', expected: `a bound ≥ the lower bound ${a}`, received: b, row: i });
    if (!(Math.abs(a) <= limit && Math.abs(b) <= limit)) {
      const [argument, received] = Math.abs(a) > limit ? ['bounds.lower', a] : ['bounds.upper', b];
      throw new InputError({ argument, expected: `a loss bound at most ${lossLimitText(losses.length)} in magnitude`, received, row: i });
    }
    if (!withinLossBounds(losses[i]!, a, b)) {
      throw new InputError({
        argument: 'losses',
        expected: `a loss within the item's bounds [${a}, ${b}] (bounds.lower, bounds.upper)`,
        received: losses[i],
        row: i,
      });
    }
  }
}

/**
 * The kinds asked for, each once, in `INTERVAL_KINDS` order: `simulate --interval fixed,anytime`
 * and a grid's `interval` write and fingerprint what `anytime,fixed` does.
 *
 * @example
 * inIntervalOrder(['bootstrap', 'anytime', 'anytime']); // ['anytime', 'bootstrap']
 */
export function inIntervalOrder(kinds: readonly IntervalKind[]): IntervalKind[] {
  return INTERVAL_KINDS.filter((kind) => kinds.includes(kind));
}

/** `checkIntervalKinds` for a result, which also needs its bootstrap variance for 'bootstrap' (one made by hand may lack it). */
function checkResultKinds(result: SimulationResult, kinds: readonly IntervalKind[]): void {
  checkIntervalKinds(result.options, kinds);
  if (kinds.includes('bootstrap') && result.bootstrapVariance === null) {
    throw new InputError({ argument: 'interval', expected: BOOTSTRAP_NEEDED, received: 'bootstrap' });
  }
}

const BOOTSTRAP_NEEDED = (naming: OptionNaming): string =>
  `a bootstrap variance for 'bootstrap' (not ${naming.setting('bootstrap', 'none')})`;

/**
 * Each kind is known, and can be computed for a simulation of these options: checked from the
 * options alone, so that a command can refuse a kind before it runs the simulation.
 *
 * @throws {InputError} naming `interval`.
 */
export function checkIntervalKinds(
  options: Pick<SimulationResult['options'], 'estimator' | 'bootstrap'>,
  kinds: readonly IntervalKind[],
): void {
  for (const kind of kinds) {
    if (!INTERVAL_KINDS.includes(kind))
      throw new InputError({ argument: 'interval', expected: INTERVAL_KINDS.join(' | '), received: kind });
    if (kind === 'bootstrap' && options.bootstrap === 'none') {
      throw new InputError({
        argument: 'interval',
        expected: BOOTSTRAP_NEEDED,
        received: kind,
      });
    }
  }
  // The sequences use only the draws (items and q), whatever the estimator; the bootstrap interval is ASE's, which ignores the unlabelled items.
  if (kinds.includes('bootstrap') && options.estimator === 'ase') {
    throw new InputError({
      argument: 'interval',
      expected: "'anytime' or 'fixed' with the ase estimator (its bootstrap ignores the unlabelled items)",
      received: 'bootstrap',
    });
  }
}

/**
 * The approximate bootstrap interval of every row and run: estimate ± 1.96σ, finite-population
 * corrected, widened for rounding and for the losses' evaluation rounding (as the sequences are),
 * so that at M = N it holds R computed from the scores along another path too.
 */
function bootstrapIntervals(
  result: SimulationResult,
  poolSize: number,
  evaluationRounding: number,
  lower: Float64Array,
  upper: Float64Array,
): void {
  const variance = result.bootstrapVariance as Float64Array;
  const { rows, runs } = result;
  for (let row = 0; row < rows; row++) {
    for (let j = row * runs; j < (row + 1) * runs; j++) {
      const half = bootstrapHalfWidth(variance[j], result.labelsPerRow[row], poolSize, result.estimates[j]) + evaluationRounding;
      lower[j] = result.estimates[j] - half;
      upper[j] = result.estimates[j] + half;
    }
  }
}

function sequenceRuns(result: SimulationResult): SequenceRuns {
  const { runs, size, labelsPerRow, samples, q, mixtureWeights } = result;
  return { runs, size, labelsPerRow, samples, q, mixtureWeights };
}

/** Where `simulationIntervalsInThreads` runs: on up to `threads` threads, until `signal` aborts. */
export interface IntervalThreads {
  threads: number;
  signal?: AbortSignal | undefined;
}

/**
 * `simulationIntervals` with the sequences' runs spread over up to `threads` threads (this one and
 * workers, each claiming tiles of runs): the same intervals, bit for bit, for any thread count,
 * since each run's sequence depends only on its own draws. Workers start only when the runs left
 * would take this thread longer than starting them, and only when the draws are in shared memory
 * (a simulation run with more than one thread); `drawFloorCandidates` are the adaptive proposal's
 * candidates and clip (`reference.drawFloor`'s source), from which each worker builds its own.
 * The sequences can take minutes on large runs: this thread yields to the event loop between
 * tiles, and once `signal` aborts it stops at its next tile and terminates the workers.
 *
 * @example
 * const intervals = await simulationIntervalsInThreads(result, losses, bounds, ['anytime'], reference, null, { threads: 4, signal });
 * @throws InputError as `simulationIntervals`; CancelledError once `signal` aborts before the last tile.
 */
export async function simulationIntervalsInThreads(
  result: SimulationResult,
  losses: Float64Array,
  bounds: LossBounds,
  kinds: readonly IntervalKind[],
  reference: SimulationReference | null,
  drawFloorCandidates: DrawFloorCandidates | null,
  { threads, signal }: IntervalThreads,
): Promise<SimulationIntervals[]> {
  checkIntervalArguments(result, losses, bounds, kinds, reference);
  const sequenceKinds = kinds.filter((kind): kind is SequenceKind => kind !== 'bootstrap');
  if (sequenceKinds.length === 0) return simulationIntervals(result, losses, bounds, kinds, reference);
  checkResultKinds(result, kinds);
  const { rows, runs } = result;
  // A worker rebuilds each draw's floor from the candidates, and reads the draws only from shared memory.
  const workersPossible =
    result.samples.buffer instanceof SharedArrayBuffer && (reference?.drawFloor == null || drawFloorCandidates !== null);
  const workersAllowed = workersPossible ? threadsFor(threads, Math.ceil(runs / INTERVAL_TILE_RUNS)) - 1 : 0;
  const workerPool = workersAllowed > 0 ? await import('./worker-pool.js') : null;
  const bootstrap = kinds.includes('bootstrap') ? simulationIntervals(result, losses, bounds, ['bootstrap'], reference)[0] : null;
  const draws = sequenceRuns(result);
  const table = (): Float64Array => (workerPool === null ? new Float64Array(rows * runs) : sharedFloat64(rows * runs));
  const outputs = sequenceKinds.map(() => ({ lower: table(), upper: table() }));
  const tiles = new Int32Array(workerPool === null ? new ArrayBuffer(4) : new SharedArrayBuffer(4));
  const fillers = sequenceKinds.map(
    (kind, k) =>
      new SequenceIntervals(kind, draws, losses, bounds, reference, reference?.drawFloor ?? null, outputs[k].lower, outputs[k].upper),
  );
  let workers: Promise<void> = Promise.resolve();
  const stop = new AbortController();
  const unfollow = followSignal(stop, signal);
  let lastYield = Date.now();
  try {
    for (let from = claimTile(tiles, runs, INTERVAL_TILE_RUNS); from >= 0; from = claimTile(tiles, runs, INTERVAL_TILE_RUNS)) {
      if (stop.signal.aborted) break;
      const to = Math.min(from + INTERVAL_TILE_RUNS, runs);
      const start = performance.now();
      for (const filler of fillers) filler.fill(from, to);
      if (
        workerPool !== null &&
        from === 0 &&
        (Math.ceil(runs / INTERVAL_TILE_RUNS) - 1) * (performance.now() - start) >= WORKER_START_MS
      ) {
        const task: IntervalTask = {
          kinds: sequenceKinds,
          draws,
          losses,
          bounds,
          reference: reference === null ? null : { predictedLoss: reference.predictedLoss, proposalFloor: reference.proposalFloor },
          drawFloorCandidates: reference?.drawFloor == null ? null : drawFloorCandidates,
          outputs,
          tiles,
        };
        workers = workerPool.runIntervalsInWorkers(task, workersAllowed, stop.signal);
        // A worker's failure stops this thread at its next tile; the failure is then thrown below.
        workers.catch(() => stop.abort());
      }
      // Signals are served only between turns of the event loop: without these yields Ctrl-C would wait for the last tile.
      if (Date.now() - lastYield >= YIELD_INTERVAL_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
    await workers;
    if (stop.signal.aborted) throw new CancelledError('interval computation cancelled');
  } catch (error) {
    // This thread's failure (or the signal) stops the workers too.
    stop.abort();
    throw error;
  } finally {
    unfollow();
  }
  const computed = new Map<IntervalKind, SimulationIntervals>();
  if (bootstrap !== null) computed.set('bootstrap', bootstrap);
  sequenceKinds.forEach((kind, k) => {
    const { lower, upper } = outputs[k];
    computed.set(kind, { kind, lower, upper, ...quality(kind, lower, upper, rows, runs, result.trueRisk) });
  });
  return kinds.map((kind) => computed.get(kind) as SimulationIntervals);
}

function quality(
  kind: IntervalKind,
  lower: Float64Array,
  upper: Float64Array,
  rows: number,
  runs: number,
  truth: number,
): Pick<SimulationIntervals, 'coverage' | 'simultaneousCoverage' | 'medianHalfWidth'> {
  const coverage: number[] = [];
  const medianHalfWidth: number[] = [];
  const always = new Uint8Array(runs).fill(1);
  const halves = new Float64Array(runs);
  for (let row = 0; row < rows; row++) {
    let inside = 0;
    let defined = 0;
    for (let run = 0; run < runs; run++) {
      const j = row * runs + run;
      if (lower[j] <= truth && truth <= upper[j]) inside++;
      else always[run] = 0;
      const half = (upper[j] - lower[j]) / 2;
      if (!Number.isNaN(half)) halves[defined++] = half;
    }
    coverage.push(inside / runs);
    // The median by selection, O(runs) instead of a sort per row (most of the summary at 5,000 runs).
    medianHalfWidth.push(selectedMedian(halves.subarray(0, defined)));
  }
  const simultaneousCoverage = kind === 'bootstrap' ? null : always.reduce((s, x) => s + x, 0) / runs;
  return { coverage, simultaneousCoverage, medianHalfWidth };
}
