import { ActiveSurrogateEstimator } from '../ase/index.js';
import { CancelledError, InputError, ReceivedKind, warningsTo } from '../errors.js';
import { matrixView, toLabels, type LabelsInput, type Matrix, type MatrixInput } from '../matrix.js';
import {
  BUILTIN_LOSSES,
  classProbabilities,
  lossBounds,
  lossLimitText,
  lossMagnitudeLimit,
  pairwiseSum,
  type BuiltinLoss,
  type LossBounds,
} from '../metrics/index.js';
import { NUMERICS_FLAGS, type Numerics } from '../numerics.js';
import { checkObject } from '../io/index.js';
import { checkKnownKeys } from '../io/suggest.js';
import { planProposal } from '../acquisition/adaptive/index.js';
import {
  claimTile,
  RunBlock,
  sharedFloat64,
  TILE_RUNS,
  threadsFor,
  WORKER_START_MS,
  YIELD_INTERVAL_MS,
  type EngineConfig,
  type EngineOutputs,
  type EnginePool,
} from './run-block.js';
import { assertFitsInMemory } from './memory.js';
import {
  oversizedRunWarning,
  resolveSimulation,
  SIMULATION_INPUT_KEYS,
  type ResolvedSimulation,
  type SimulationOptions,
} from './simulation-options.js';
import { calibratesOnPool, calibrationOnPoolWarning, temperatureBoundWarning, type CalibrationFit } from '../calibration/index.js';
import { probabilitiesWarnings } from '../io/pool-files.js';
import { SortedPool, type SortedPoolArrays } from '../acquisition/sorted-pool.js';
import { recordedLabels, recordedRowCount } from './recorded-rows.js';
import { followSignal } from '../io/follow-signal.js';

export {
  oversizedRunWarning,
  resolveSimulation,
  resolveSimulationOptions,
  ESTIMATOR_NAMES,
  type EstimatorName,
  type ResolvedSimulation,
  type SimulationOptions,
} from './simulation-options.js';

/** Scores and labels of the pool. */
export interface SimulationInput {
  modelScores: MatrixInput;
  surrogateScores?: MatrixInput;
  labels: LabelsInput;
}

/**
 * What `simulate` returns; tables are row-major with one column per run. Runs on worker threads
 * leave their tables in the SharedArrayBuffer they were written to.
 */
export interface SimulationResult {
  /** ceil(size/step), and one more under the default numerics when size is not k·step + 1 (`labelsPerRow`). */
  rows: number;
  runs: number;
  size: number;
  /**
   * Labels behind each row: k·step + 1, then, under the default numerics, `size` when it is not
   * one of those: every run's last estimate is recorded.
   */
  labelsPerRow: Int32Array;
  /** rows×runs: the estimate after labelsPerRow[k] labels in each run. */
  estimates: Float64Array;
  /** size×runs: the m-th acquired pool index of each run. */
  samples: Int32Array;
  /** size×runs: the proposal probability of that item when it was drawn. */
  q: Float64Array;
  /**
   * rows×runs, or null with `bootstrap: 'none'`: each estimate's bootstrap variance Var* (the
   * published code's, exact or by Monte Carlo), without the finite-population correction, so not 0 once every item
   * is labelled. The ±1.96σ interval, `summary.json`'s `coverage` and a session's `standardError`
   * multiply it by (N − M)/(N − 1) (`finitePopulationFactor`).
   */
  bootstrapVariance: Float64Array | null;
  /**
   * size×runs×J for the adaptive proposal: the J candidate weights each draw was drawn with, at
   * `(m·runs + run)·J + j` (a confidence sequence's per-draw floor, `candidateMixtureDrawFloor`);
   * null for other proposals and without the option `recordMixtureWeights`.
   */
  mixtureWeights: Float64Array | null;
  /** Mean loss (`options.loss`) of the target model over the whole pool. */
  trueRisk: number;
  options: SimulationOptions;
  /**
   * The fit behind `options.temperature` when it was fitted on the `calibration` option, null
   * without one: `atBound` true says the temperature is an end of its search range (separable
   * calibration data give 0.02), not a fitted value.
   */
  calibration: CalibrationFit | null;
  /**
   * How many of the runs worker threads ran (0 with one thread, or when the runs were over before
   * a worker started): what the threads shared, which the numbers never depend on.
   */
  runsByWorkers: number;
}

/** The pool work done once before any run: values, losses, and the sorted pool for the fast sampler. */
export interface PreparedSimulation {
  options: SimulationOptions;
  /** The fit behind `options.temperature` on the `calibration` option; null without one. */
  calibration: CalibrationFit | null;
  pool: EnginePool;
  config: EngineConfig;
  trueRisk: number;
  /** Each item's loss bounds under `options.loss`, computed to check the scores (default numerics only; null under reference numerics). */
  bounds: LossBounds | null;
  /**
   * The target's expected loss under the surrogate's probabilities where planning the proposal
   * computed it (`ProposalPlan.expectedLoss`), else null: the reference bets' predicted loss, not
   * computed again from an N×K belief. Kept out of `pool`, which every worker is sent.
   */
  expectedLoss: Float64Array | null;
}

function checkSurrogateShape(model: Matrix, surrogate: Matrix | undefined): void {
  if (surrogate !== undefined && (surrogate.rows !== model.rows || surrogate.cols !== model.cols)) {
    throw new InputError({
      argument: 'surrogateScores',
      expected: `the shape of modelScores, [${model.rows}, ${model.cols}]`,
      received: new ReceivedKind(`the shape [${surrogate.rows}, ${surrogate.cols}]`),
    });
  }
}

/**
 * Whether every value is finite and, unless `negativesAllowed`, non-negative. A loop rather than
 * `every` with a callback: it runs once per pool, before the compiler has warmed up, where a call
 * per item costs more than the comparison.
 */
function finiteValues(values: Float64Array, negativesAllowed: boolean): boolean {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isFinite(value) || (!negativesAllowed && !(value >= 0))) return false;
  }
  return true;
}

/**
 * Pool work that simulations of one pool share, each entry computed once: the target's per-item
 * losses and loss bounds, a proposal's values (the surrogate's softmax and the acquisition values
 * over it) and its sorted pool. `runExperiment` passes one through the settings of a grid, which
 * differ in clip, estimator or acquisition but recompute the same pool work otherwise. An entry
 * is found by the identity of the arrays it was computed from and a key of every option it
 * depends on, so that a simulation prepared with it is the one prepared without it, bit for bit;
 * nothing cached is written to (runs copy what they change).
 *
 * @example
 * const cache = new PoolWorkCache();
 * const a = prepareSimulation(input, { acquisition: 'surrogate-ce', clip: 0.1 }, cache);
 * const b = prepareSimulation(input, { acquisition: 'surrogate-ce', clip: 0.05 }, cache); // a's losses and values
 */
export class PoolWorkCache {
  readonly #entries: { inputs: readonly unknown[]; key: string; value: unknown }[] = [];

  /** The value computed for `inputs` (compared by identity) and `key`, computed now if there is none. */
  get<T>(inputs: readonly unknown[], key: string, compute: () => T): T {
    const found = this.#entries.find(
      (e) => e.key === key && e.inputs.length === inputs.length && e.inputs.every((v, i) => v === inputs[i]),
    );
    if (found !== undefined) return found.value as T;
    const value = compute();
    this.#entries.push({ inputs, key, value });
    return value;
  }
}

/**
 * Validates the input and options and does the once-per-pool work: acquisition values, per-item
 * losses, the true risk, and (for the fast path) the sorted pool. O(N log N).
 *
 * @example
 * const prepared = prepareSimulation({ modelScores: f, surrogateScores: g, labels: y }, { runs: 3000 });
 * const result = await runPrepared(prepared);
 */
export function prepareSimulation(
  input: SimulationInput,
  options: Partial<SimulationOptions> = {},
  cache?: PoolWorkCache,
): PreparedSimulation {
  return prepareWith(input, (poolSize, hasSurrogate, classCount) => resolveSimulation(options, poolSize, hasSurrogate, classCount), cache);
}

/**
 * `prepareSimulation` with options resolved beforehand on the same pool (`resolveSimulation`),
 * not resolved again: the command line resolves them first, to check memory and warn of the
 * calibration fit before the pool work, and this keeps that one fit.
 *
 * @example
 * const resolution = resolveSimulation(options, rows, true, cols);
 * const prepared = prepareResolvedSimulation(input, resolution); // prepared.calibration === resolution.calibration
 */
export function prepareResolvedSimulation(
  input: SimulationInput,
  resolution: ResolvedSimulation,
  cache?: PoolWorkCache,
): PreparedSimulation {
  return prepareWith(input, () => resolution, cache);
}

/**
 * What `prepareSimulation` checks of the target's scores before any pool work, for a caller that
 * must refuse them before it writes anything (an experiment, before its manifest): every class's
 * loss bound finite and within `lossMagnitudeLimit` (default numerics), and every loss at the
 * labels within it. Computed through `cache`, so that the simulations prepared with it reuse them.
 *
 * @throws InputError as `prepareSimulation` for such scores, or for scores and labels that are not a pool.
 * @example
 * const cache = new PoolWorkCache();
 * checkTargetScores(input, 'cross-entropy', 'default', cache); // then prepareSimulation(input, options, cache)
 */
export function checkTargetScores(input: SimulationInput, loss: BuiltinLoss, numerics: Numerics, cache?: PoolWorkCache): void {
  checkObject(input, 'input', 'an object { modelScores, surrogateScores?, labels }');
  const modelScores = matrixView(input.modelScores, 'modelScores');
  const labels = toLabels(input.labels, 'labels', modelScores.rows, modelScores.cols);
  targetLossWork(modelScores, labels, input.labels, loss, numerics, cache);
}

/** The target's loss bounds (default numerics) and per-item losses, through `cache` (keyed by the scores and the labels as given), refused past the limit. */
function targetLossWork(
  modelScores: Matrix,
  labels: Int32Array,
  givenLabels: unknown,
  lossName: BuiltinLoss,
  numerics: Numerics,
  cache: PoolWorkCache | undefined,
): { bounds: LossBounds | null; losses: Float64Array } {
  const shared = <T>(inputs: readonly unknown[], key: string, compute: () => T): T =>
    cache === undefined ? compute() : cache.get(inputs, key, compute);
  // Every class's loss must be finite before a proposal is built from the target's scores: a row
  // whose logits span past the largest double would otherwise surface as NaN inside a proposal.
  const bounds = numerics === 'default' ? shared([modelScores.data], `bounds ${lossName}`, () => lossBounds(modelScores, lossName)) : null;
  const losses = shared([modelScores.data, givenLabels], `losses ${lossName}`, () => BUILTIN_LOSSES[lossName].perItem(modelScores, labels));
  checkLossMagnitudes(losses);
  return { bounds, losses };
}

/**
 * Throws when a loss of the pool is past `lossMagnitudeLimit`: the squared errors and error bars of
 * every run would overflow (under the default numerics the loss bounds refuse such scores first).
 */
function checkLossMagnitudes(losses: Float64Array): void {
  const limit = lossMagnitudeLimit(losses.length);
  const row = losses.findIndex((loss) => !(Math.abs(loss) <= limit));
  if (row === -1) return;
  throw new InputError({
    argument: 'modelScores',
    expected: `scores whose losses at the labels are at most ${lossLimitText(losses.length)}`,
    received: new ReceivedKind(`a loss of ${losses[row]}`),
    row,
  });
}

function prepareWith(
  input: SimulationInput,
  resolve: (poolSize: number, hasSurrogate: boolean, classCount: number) => ResolvedSimulation,
  cache: PoolWorkCache | undefined,
): PreparedSimulation {
  checkObject(input, 'input', 'an object { modelScores, surrogateScores?, labels }');
  // A misspelt key would otherwise drop its data without a word (a lost surrogate turns the default acquisition into iid).
  checkKnownKeys(input, SIMULATION_INPUT_KEYS, 'input');
  // Read, not copied: nothing prepared here keeps the scores themselves.
  const modelScores = matrixView(input.modelScores, 'modelScores');
  const surrogateScores = input.surrogateScores === undefined ? undefined : matrixView(input.surrogateScores, 'surrogateScores');
  checkSurrogateShape(modelScores, surrogateScores);
  const labels = toLabels(input.labels, 'labels', modelScores.rows, modelScores.cols);
  const { options: resolved, calibration } = resolve(modelScores.rows, surrogateScores !== undefined, modelScores.cols);
  // Before the pool work: runs × size past memory would otherwise fail in the allocation, after it.
  assertFitsInMemory([resolved], 0);
  const { acquisition, estimator, temperature, eps, numerics, size, step } = resolved;
  const flags = NUMERICS_FLAGS[numerics];
  const loss = BUILTIN_LOSSES[resolved.loss];
  const crossEntropy = resolved.loss === 'cross-entropy';
  // The surrogate's belief π, for ASE's expected loss of a loss other than the cross-entropy.
  const belief = (t: number | null): Matrix => classProbabilities(surrogateScores as Matrix, t, eps, flags.softmax);
  const shared = <T>(inputs: readonly unknown[], key: string, compute: () => T): T =>
    cache === undefined ? compute() : cache.get(inputs, key, compute);
  // The labels as given: toLabels makes a new array at every call.
  const target = [modelScores.data, input.labels];
  const { bounds, losses } = targetLossWork(modelScores, labels, input.labels, resolved.loss, numerics, cache);
  // Every option the plan reads; the clip only where a defensive mixture sorts its components with it.
  const planKey = JSON.stringify({
    acquisition,
    temperature,
    eps,
    numerics,
    loss: resolved.loss,
    defensive: resolved.defensive,
    ...(resolved.defensive === null ? {} : { clip: resolved.clip }),
  });
  const { values, mixture, expectedLoss } = shared([...target, surrogateScores?.data], `plan ${planKey}`, () =>
    planProposal(
      acquisition,
      { size: modelScores.rows, modelScores, surrogateScores, labels },
      { temperature, eps, flags, defensive: resolved.defensive, clip: resolved.clip, loss },
    ),
  );
  const aseTemperature = acquisition.startsWith('surrogate-') ? temperature : null;
  const expectedLosses =
    estimator !== 'ase'
      ? null
      : crossEntropy
        ? new ActiveSurrogateEstimator(
            { modelScores, surrogateScores: surrogateScores as Matrix },
            { temperature: aseTemperature, numerics, eps },
          ).expectedLosses
        : loss.expected(modelScores, belief(aseTemperature));
  // The O(log N) sampler needs finite values, and non-negative ones for the reference's shift (B-A1).
  const fastSampler = resolved.random === undefined && finiteValues(values, flags.proposal === 'corrected');
  const rows = recordedRowCount(size, step, numerics);
  return {
    options: resolved,
    calibration,
    // The reference's cross_entropy_loss over the pool (for CE): the pairwise mean of the per-item losses.
    trueRisk: pairwiseSum(losses) / losses.length,
    bounds,
    expectedLoss,
    pool: {
      values,
      losses,
      expectedLosses,
      sorted:
        fastSampler && mixture === null
          ? shared([values], `sorted ${resolved.clip}`, () => SortedPool.prepare(values, resolved.clip).toArrays())
          : null,
      mixture,
    },
    config: {
      estimator,
      clip: resolved.clip,
      variant: flags.proposal,
      size,
      step,
      rows,
      runs: resolved.runs,
      seed: resolved.seed,
      bootstrap: resolved.bootstrap,
      // iidAcquisition.run leaves the last row at 0 when size % step ≠ 0 (B-A3): reference numerics only.
      filledRows: numerics === 'reference' && acquisition === 'iid' ? Math.floor(size / step) : rows,
      recordMixtureWeights: resolved.recordMixtureWeights === true,
    },
  };
}

function toShared<T extends Float64Array | Int32Array>(array: T): T {
  const copy = array instanceof Float64Array ? sharedFloat64(array.length) : new Int32Array(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy as T;
}

/** A sorted pool's arrays copied into shared memory, for every worker to read. */
function sharedSortedPool(arrays: SortedPoolArrays): SortedPoolArrays {
  const { rejection } = arrays;
  return {
    weights: toShared(arrays.weights),
    order: toShared(arrays.order),
    rankOf: toShared(arrays.rankOf),
    sorted: toShared(arrays.sorted),
    prefixSums: toShared(arrays.prefixSums),
    treeSums: toShared(arrays.treeSums),
    treeCounts: toShared(arrays.treeCounts),
    rejection: rejection === null ? null : { ...rejection, keep: toShared(rejection.keep), alias: toShared(rejection.alias) },
  };
}

function sharedPool(pool: EnginePool): EnginePool {
  return {
    values: toShared(pool.values),
    losses: toShared(pool.losses),
    expectedLosses: pool.expectedLosses === null ? null : toShared(pool.expectedLosses),
    mixture: pool.mixture === null ? null : { ...pool.mixture, components: pool.mixture.components.map(sharedSortedPool) },
    sorted: pool.sorted === null ? null : sharedSortedPool(pool.sorted),
  };
}

function allocateOutputs(config: EngineConfig, shared: boolean, mixture: EnginePool['mixture']): EngineOutputs {
  const { rows } = config;
  const float = (n: number): Float64Array => (shared ? sharedFloat64(n) : new Float64Array(n));
  return {
    estimates: float(rows * config.runs),
    samples: shared ? new Int32Array(new SharedArrayBuffer(config.size * config.runs * 4)) : new Int32Array(config.size * config.runs),
    q: float(config.size * config.runs),
    bootstrapVariance: config.bootstrap === 'none' ? null : float(rows * config.runs),
    mixtureWeights:
      config.recordMixtureWeights && mixture?.adaptive === true ? float(config.size * config.runs * mixture.candidates.length) : null,
  };
}

/**
 * Runs the tiles this thread claims from `tiles`, yielding to the event loop every
 * `YIELD_INTERVAL_MS` so that workers' messages, timers and signals are served; stops early once `stop` aborts. After the
 * first tile, `afterFirstTile` gets the milliseconds it took.
 */
async function runClaimedTiles(
  prepared: PreparedSimulation,
  outputs: EngineOutputs,
  tiles: Int32Array,
  onProgress: (completed: number) => void,
  stop: AbortSignal,
  afterFirstTile: (milliseconds: number) => void,
): Promise<void> {
  const { options, pool, config } = prepared;
  const block = new RunBlock(pool, config, outputs, options.random);
  let lastYield = Date.now();
  let sinceReport = 0;
  for (let from = claimTile(tiles, config.runs); from >= 0; from = claimTile(tiles, config.runs)) {
    if (stop.aborted) return;
    const count = Math.min(TILE_RUNS, config.runs - from);
    const start = performance.now();
    block.runTile(from, count);
    if (from === 0) afterFirstTile(performance.now() - start);
    sinceReport += count;
    if (Date.now() - lastYield >= YIELD_INTERVAL_MS) {
      onProgress(sinceReport);
      sinceReport = 0;
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
  }
  onProgress(sinceReport);
}

/**
 * Runs the active-testing experiment from scores: `runs` independent runs, each acquiring `size`
 * labels one at a time from the floored proposal over the remaining pool and recording the risk
 * estimate (and its bootstrap variance) every `step` labels and, under the default numerics, after
 * the last one (`labelsPerRow`). Runs are spread over worker threads; run r always uses
 * `randomStream(seed, [r])`, so results are bit-identical for any thread count.
 * An injected `random` runs everything on this thread with the reference-order sampler, drawing
 * the runs' uniforms from it one run after the other.
 *
 * @example
 * const result = await simulate(
 *   { modelScores: f, surrogateScores: g, labels: y },
 *   { acquisition: 'surrogate-ce', estimator: 'lure', runs: 100, size: 50 },
 * );
 * result.estimates; // Float64Array, 50 rows × 100 runs
 */
export async function simulate(input: SimulationInput, options: Partial<SimulationOptions> = {}): Promise<SimulationResult> {
  const warn = warningsTo(options, 'ActiveTestingWarning');
  const prepared = prepareSimulation(input, options);
  // A call stopped before it starts is refused (CancelledError) and warns of nothing.
  if (prepared.options.signal?.aborted !== true) simulationWarnings(input, options, prepared.calibration).forEach(warn);
  return runPrepared(prepared);
}

/**
 * What `simulate` warns of, as the command line does: inputs that are valid but most likely not
 * meant. Scores whose rows are probabilities are read as logits (their softmax is nearly
 * uniform); a calibration set that is the pool itself fits the temperature on the labels whose
 * risk is estimated; a fit at an end of its search range is not fitted by its labels; labels per
 * run above the pool size label the whole pool.
 */
function simulationWarnings(input: SimulationInput, options: Partial<SimulationOptions>, fit: CalibrationFit | null): string[] {
  const calibrationSet = options.calibration;
  const modelScores = matrixView(input.modelScores, 'modelScores');
  const surrogateScores = input.surrogateScores === undefined ? undefined : matrixView(input.surrogateScores, 'surrogateScores');
  const calibrationScores = calibrationSet && matrixView(calibrationSet.scores, 'calibration.scores');
  const warnings = probabilitiesWarnings({ modelScores, surrogateScores, 'calibration.scores': calibrationScores });
  if (calibrationSet !== undefined && calibrationScores !== undefined) {
    const { rows, cols } = modelScores;
    const set = { scores: calibrationScores, labels: toLabels(calibrationSet.labels, 'calibration.labels', calibrationScores.rows, cols) };
    if (calibratesOnPool(set, { surrogateScores, labels: toLabels(input.labels, 'labels', rows, cols) }))
      warnings.push(calibrationOnPoolWarning('calibration'));
  }
  if (fit?.atBound === true) warnings.push(temperatureBoundWarning('calibration', fit));
  if (options.size !== undefined && options.size > modelScores.rows)
    warnings.push(oversizedRunWarning('size', options.size, modelScores.rows));
  return warnings;
}

/**
 * Runs a prepared simulation (see `prepareSimulation`); the pool work is not repeated.
 *
 * @example
 * const prepared = prepareSimulation(input, { runs: 100 });
 * const first = await runPrepared(prepared);
 * const again = await runPrepared(prepared); // identical: runs depend only on (seed, run)
 */
export async function runPrepared(prepared: PreparedSimulation): Promise<SimulationResult> {
  const { options, config } = prepared;
  const threads = options.random === undefined ? threadsFor(options.threads, Math.ceil(config.runs / TILE_RUNS)) : 1;
  // With workers, the tables stay in the shared memory they wrote (copying them out would cost
  // about as much as the runs at small N). This thread claims tiles too, from the first moment,
  // while the workers start.
  const outputs = allocateOutputs(config, threads > 1, prepared.pool.mixture);
  // Loaded only when workers may start: a one-thread run does not load worker_threads at all.
  const workerPool = threads > 1 ? await import('./worker-pool.js') : null;
  const tiles = new Int32Array(threads > 1 ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
  const stop = new AbortController();
  const unfollow = followSignal(stop, options.signal);
  let completed = 0;
  const onProgress = (runs: number): void => {
    completed += runs;
    if (runs > 0) options.onProgress?.(completed, config.runs);
  };
  let workers: Promise<void> = Promise.resolve();
  let runsByWorkers = 0;
  const onWorkerProgress = (runs: number): void => {
    runsByWorkers += runs;
    onProgress(runs);
  };
  // Workers start only when the runs left would take this thread longer than starting them.
  const startWorkers = (tileMilliseconds: number): void => {
    const tilesLeft = Math.ceil(config.runs / TILE_RUNS) - 1;
    if (workerPool === null || tilesLeft * tileMilliseconds < WORKER_START_MS) return;
    workers = workerPool.runInWorkers(sharedPool(prepared.pool), config, outputs, tiles, threads - 1, onWorkerProgress, stop.signal);
    // A worker's failure stops this thread at its next tile; the failure is then thrown below.
    workers.catch(() => stop.abort());
  };
  try {
    await runClaimedTiles(prepared, outputs, tiles, onProgress, stop.signal, startWorkers);
    await workers;
    if (stop.signal.aborted) throw new CancelledError('simulation cancelled');
  } catch (error) {
    stop.abort();
    throw error;
  } finally {
    unfollow();
  }
  return {
    rows: config.rows,
    runs: config.runs,
    size: config.size,
    labelsPerRow: recordedLabels(config.size, config.step, options.numerics),
    estimates: outputs.estimates,
    samples: outputs.samples,
    q: outputs.q,
    bootstrapVariance: outputs.bootstrapVariance,
    mixtureWeights: outputs.mixtureWeights,
    trueRisk: prepared.trueRisk,
    options,
    calibration: prepared.calibration,
    runsByWorkers,
  };
}
