import {
  IidEstimator,
  ISEstimator,
  LUREEstimator,
  monteCarloBootstrapVariance,
  RunningAseEstimator,
  TermMeanEstimator,
} from '../estimators/index.js';
import { randomStream, type RandomSource } from '../random.js';
import { AdaptiveSampler, mixtureSampler, type MixturePlan } from '../acquisition/adaptive/index.js';
import { samplerOnSortedPool } from '../acquisition/sum-tree-sampler.js';
import type { ProposalVariant } from '../acquisition/proposal.js';
import { ReferenceOrderSampler } from '../acquisition/reference-order-sampler.js';
import type { PoolSampler } from '../acquisition/sampler.js';
import type { EstimatorName } from './simulation-options.js';
import { SortedPool, type SortedPoolArrays } from '../acquisition/sorted-pool.js';
import { usableCores } from './usable-cores.js';

/** Everything a thread needs about the pool, computed once (structured-clone friendly). */
export interface EnginePool {
  /** Acquisition value per item. */
  values: Float64Array;
  /** True loss per item. */
  losses: Float64Array;
  /** The surrogate's expected loss per item (ASE only). */
  expectedLosses: Float64Array | null;
  /** Sorted pool for the O(log N) sampler; null when the O(N) reference-order sampler is needed. */
  sorted: SortedPoolArrays | null;
  /** A defensive or adaptive mixture proposal (docs/adaptive.md); when set, it replaces the single proposal. */
  mixture: MixturePlan | null;
}

/** The run settings a thread needs (structured-clone friendly). */
export interface EngineConfig {
  estimator: EstimatorName;
  clip: number;
  variant: ProposalVariant;
  size: number;
  step: number;
  /** Rows recorded (`recordedRowCount`): every `step` labels from the first, and after the last label where that is one more. */
  rows: number;
  runs: number;
  seed: number | string;
  bootstrap: 'exact' | 'none' | number;
  /** Rows that receive estimates; the rest stay 0 (the reference's iid off-by-one, B-A3, in reference numerics). */
  filledRows: number;
  /** Whether the outputs keep each adaptive draw's mixture weights (`EngineOutputs.mixtureWeights`). */
  recordMixtureWeights: boolean;
}

/** Result arrays shared by all threads: estimates/bootstrap rows×runs, samples/q size×runs, row-major. */
export interface EngineOutputs {
  estimates: Float64Array;
  samples: Int32Array;
  q: Float64Array;
  bootstrapVariance: Float64Array | null;
  /** size×runs×J, the adaptive mixture's J weights each draw was drawn with (`(m·runs + run)·J + j`); null for other proposals. */
  mixtureWeights: Float64Array | null;
}

/** The random stream of a run's Monte Carlo bootstrap: `randomStream(seed, [run, BOOTSTRAP_STREAM])`. */
export const BOOTSTRAP_STREAM = 1;

function createEstimator(name: EstimatorName, pool: EnginePool): TermMeanEstimator {
  const n = pool.values.length;
  if (name === 'lure') return new LUREEstimator(n);
  if (name === 'is') return new ISEstimator(n);
  if (name === 'iid') return new IidEstimator();
  return new RunningAseEstimator(pool.expectedLosses as Float64Array);
}

/**
 * The sampler a thread draws a simulation's runs from: the planned mixture, the O(log N) sum tree
 * over the shared sorted pool, or the reference-order sampler (an injected `random`, or values the
 * fast sampler cannot take).
 *
 * @example
 * const prepared = prepareSimulation(input, { acquisition: 'surrogate-ce' });
 * engineSampler(prepared.pool, prepared.config).probability(0); // item 0's first-draw q
 */
export function engineSampler(pool: EnginePool, config: EngineConfig, random?: RandomSource): PoolSampler {
  if (pool.mixture !== null) return mixtureSampler(pool.mixture, config.clip);
  if (random === undefined && pool.sorted !== null) return samplerOnSortedPool(new SortedPool(pool.sorted), config.clip, config.variant);
  return new ReferenceOrderSampler(pool.values, config.clip, config.variant);
}

/**
 * Runs per tile: a tile's results are written row by row, 32 adjacent columns at a time (256 bytes
 * of a float64 row): fewer, longer writes per page of the runs-wide tables than 8 columns.
 */
export const TILE_RUNS = 32;
/** About what starting a worker thread costs (measured: 40–60 ms with its module loaded). */
export const WORKER_START_MS = 50;
/** How often a thread working through tiles yields to the event loop, so that workers' messages, timers and signals are served. */
export const YIELD_INTERVAL_MS = 25;

/**
 * The threads that a job of `tiles` tiles runs on: at most `requested`, no more than one per tile,
 * and no more than the cores this process can use (`usableCores`): more would only take turns on the same cores, each worker
 * costing its own start and memory (a huge `--threads` would start one per run until memory ran out).
 *
 * @example
 * threadsFor(100_000, 1); // 1: a job of one tile runs on this thread alone
 * threadsFor(100_000, 1000) <= usableCores(); // true
 */
export function threadsFor(requested: number, tiles: number): number {
  return Math.max(1, Math.min(requested, tiles, usableCores()));
}

/** A zeroed Float64Array in shared memory, for tables that threads fill side by side. */
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/**
 * Claims the next tile of `tileRuns` runs from `counter` (a tile count, shared by every thread of
 * one simulation): the first run of the tile, or -1 when all `runs` are claimed. Which thread runs
 * a tile does not change its result, so threads take tiles as they free up.
 *
 * @example
 * const counter = new Int32Array(new SharedArrayBuffer(4));
 * claimTile(counter, 70); // 0, then 32, 64, -1
 */
export function claimTile(counter: Int32Array, runs: number, tileRuns = TILE_RUNS): number {
  const from = Atomics.add(counter, 0, 1) * tileRuns;
  return from < runs ? from : -1;
}

/**
 * Runs simulation runs into `outputs`, a tile of up to `TILE_RUNS` consecutive runs at a time.
 * Each run r draws from `randomStream(seed, [r])` (or the injected `random`), so the result of a
 * run never depends on which thread ran it or on the runs before it. Per step: one O(log N) draw
 * and O(1) estimator updates (O(N) per draw with the reference-order sampler); per recorded row:
 * O(1), or O(B·M) for a Monte Carlo bootstrap. A tile is collected in small buffers laid out as
 * the tables are (row by row, a tile's runs side by side) and then copied out one row segment at a
 * time, because writing one column of a runs-wide table per step misses the cache at every write.
 */
export class RunBlock {
  private readonly sampler: PoolSampler;
  /** The adaptive sampler, which needs each label's loss before its next draw. */
  private readonly feedback: AdaptiveSampler | null;
  private readonly estimator: TermMeanEstimator;
  private readonly rows: number;
  private readonly tileEstimates: Float64Array;
  private readonly tileVariances: Float64Array;
  private readonly tileSamples: Int32Array;
  private readonly tileQ: Float64Array;
  private readonly tileWeights: Float64Array | null;
  private readonly terms: Float64Array | null;
  private readonly replicates: Float64Array | null;
  private readonly scratch: Float64Array | null;

  constructor(
    private readonly pool: EnginePool,
    private readonly config: EngineConfig,
    private readonly outputs: EngineOutputs,
    private readonly random?: RandomSource,
  ) {
    this.sampler = engineSampler(pool, config, random);
    this.feedback = this.sampler instanceof AdaptiveSampler ? this.sampler : null;
    this.estimator = createEstimator(config.estimator, pool);
    this.rows = config.rows;
    this.tileEstimates = new Float64Array(TILE_RUNS * this.rows);
    this.tileVariances = new Float64Array(TILE_RUNS * this.rows);
    this.tileSamples = new Int32Array(TILE_RUNS * config.size);
    this.tileQ = new Float64Array(TILE_RUNS * config.size);
    this.tileWeights =
      outputs.mixtureWeights === null || this.feedback === null
        ? null
        : new Float64Array(TILE_RUNS * config.size * this.feedback.candidateCount);
    const resamples = typeof config.bootstrap === 'number' ? config.bootstrap : 0;
    this.terms = resamples > 0 ? new Float64Array(config.size) : null;
    this.scratch = resamples > 0 ? new Float64Array(config.size) : null;
    this.replicates = resamples > 0 ? new Float64Array(resamples) : null;
  }

  /** Runs `count` (≤ TILE_RUNS) consecutive runs starting at `from` and writes their columns. */
  runTile(from: number, count: number): void {
    for (let t = 0; t < count; t++) this.run(from + t, t);
    const { outputs, rows } = this;
    const { runs, size } = this.config;
    copyTileColumns(this.tileEstimates, outputs.estimates, rows, 1, runs, from, count);
    if (outputs.bootstrapVariance !== null) copyTileColumns(this.tileVariances, outputs.bootstrapVariance, rows, 1, runs, from, count);
    copyTileSamples(this.tileSamples, outputs.samples, size, runs, from, count);
    copyTileColumns(this.tileQ, outputs.q, size, 1, runs, from, count);
    if (outputs.mixtureWeights !== null && this.tileWeights !== null) {
      const J = (this.feedback as AdaptiveSampler).candidateCount;
      copyTileColumns(this.tileWeights, outputs.mixtureWeights, size, J, runs, from, count);
    }
  }

  /**
   * One run into tile slot `slot`. The fixed and the adaptive samplers are called from call sites
   * of their own, so that each sees one sampler class and the compiler inlines it (a call it cannot
   * inline boxes every float passed to it or returned).
   */
  private run(r: number, slot: number): void {
    const draw = this.random ?? randomStream(this.config.seed, [r]);
    const resample =
      this.terms === null || this.outputs.bootstrapVariance === null ? null : randomStream(this.config.seed, [r, BOOTSTRAP_STREAM]);
    const { estimator, tileWeights } = this;
    const adaptive = this.feedback;
    const fixed = this.sampler;
    const { losses } = this.pool;
    const { size, step, rows, filledRows } = this.config;
    const last = size - 1;
    // The exact bootstrap's variances; a Monte Carlo bootstrap's are written apart.
    const exactVariances = this.outputs.bootstrapVariance !== null && resample === null ? this.tileVariances : null;
    const samples = this.tileSamples;
    const qs = this.tileQ;
    const estimates = this.tileEstimates;
    const J = adaptive === null ? 0 : adaptive.candidateCount;
    estimator.reset();
    if (adaptive === null) fixed.reset();
    else adaptive.reset();
    // Row k records the estimate after k·step + 1 labels (counted down: no division per step), and
    // a final row, where there is one, after the last label.
    let row = 0;
    let untilRow = 0;
    for (let m = 0; m < size; m++) {
      const labelled = m * TILE_RUNS + slot;
      let index: number;
      if (adaptive === null) {
        index = fixed.draw(draw);
        qs[labelled] = fixed.lastProbability;
      } else {
        index = adaptive.draw(draw);
        qs[labelled] = adaptive.lastProbability;
      }
      samples[labelled] = index;
      estimator.addDrawn(losses, index, qs, labelled);
      if (adaptive !== null) {
        // The weights the draw used: observing its loss may choose the next draw's.
        if (tileWeights !== null) for (let j = 0, at = labelled * J; j < J; j++) tileWeights[at + j] = adaptive.weightOf(j);
        adaptive.observeDrawn(losses, index);
      }
      if (untilRow-- !== 0 && (m !== last || row === rows)) continue;
      untilRow = step - 1;
      // Rows from filledRows on are never written: they stay 0 in every slot.
      if (row >= filledRows) continue;
      const at = row++ * TILE_RUNS + slot;
      estimator.writeEstimates(estimates, exactVariances, at);
      if (resample !== null) this.monteCarloVariance(at, m, resample);
    }
  }

  /** The Monte Carlo bootstrap variance after label m (0-based) into the tile's entry `at`. O(B·M). */
  private monteCarloVariance(at: number, m: number, resample: RandomSource): void {
    const terms = this.terms as Float64Array;
    this.estimator.terms(terms);
    const replicates = this.replicates as Float64Array;
    this.tileVariances[at] = monteCarloBootstrapVariance(
      terms,
      m + 1,
      replicates.length,
      resample,
      this.scratch as Float64Array,
      replicates,
    );
  }
}

/**
 * Copies the columns of runs `from`..`from + count − 1` from a tile (rows of `TILE_RUNS` runs) into a
 * runs-wide table, `width` numbers per run. One loop per function: a loop that runs long is compiled
 * while it runs (on-stack replacement) before the loops after it have run once, and that code gave
 * up at their first comparison on many tiles, leaving the copies to the interpreter (about 95 µs
 * per run of 400 labels interpreted, 5 µs compiled).
 */
function copyTileColumns(
  tile: Float64Array,
  table: Float64Array,
  rows: number,
  width: number,
  runs: number,
  from: number,
  count: number,
): void {
  const length = count * width;
  for (let row = 0; row < rows; row++) {
    const to = (row * runs + from) * width;
    const at = row * TILE_RUNS * width;
    for (let k = 0; k < length; k++) table[to + k] = tile[at + k];
  }
}

/**
 * `copyTileColumns` for the drawn items (int32, one per run): a function of its own, so that each
 * copy loop sees one array type (one loop for both types made the four copies 6.5 µs per run of
 * 400 labels instead of 4.7 µs).
 */
function copyTileSamples(tile: Int32Array, table: Int32Array, rows: number, runs: number, from: number, count: number): void {
  for (let row = 0; row < rows; row++) {
    const to = row * runs + from;
    const at = row * TILE_RUNS;
    for (let k = 0; k < count; k++) table[to + k] = tile[at + k];
  }
}
