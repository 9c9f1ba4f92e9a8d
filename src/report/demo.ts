import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  prepareSimulation,
  runPrepared,
  type SimulationInput,
  type SimulationOptions,
  type SimulationResult,
} from '../simulate/simulate.js';
import { assertOutputsWritable, checkInterruptedOutputs, writeOutputFolder } from '../io/atomic.js';
import { withOutputLock } from '../io/output-lock.js';
import { encodeNpy, int64FromInt32 } from '../io/npy.js';
import type { Matrix } from '../matrix.js';
import { writeReport, type ReportResult } from './report.js';
import { lossPerItem, type LossBounds, zeroOneLossPerItem } from '../metrics/index.js';
import {
  DEMO_COMPARISON,
  DEMO_RUN_FOLDERS,
  type DemoMethodName,
  EXPERIMENT_MANIFEST,
  poolFingerprint,
  SIMULATION_FILES,
  runsInSubfolders,
  simulationFileIn,
  summarizeIntervals,
  summarizeSimulation,
  writeSimulationOutputs,
  type SimulationSummary,
} from '../simulate/outputs.js';
import { INTERVAL_KINDS, type IntervalKind, simulationIntervalsInThreads } from '../simulate/intervals.js';
import { preparedReferenceAndSource } from '../simulate/reference.js';
import { toJson } from '../io/json.js';
import { InputError, ReceivedKind } from '../errors.js';
import { syntheticPool } from '../simulate/syntheticPool.js';
import { checkKnownKeys } from '../io/suggest.js';
import { DEMO_LABEL_COUNTS, rowsAtLabelCounts } from './label-rows.js';

/**
 * Label counts at which the demo computes every run's confidence sequence, fixed-budget and
 * bootstrap intervals: every 25 labels. Each costs O(labels) per run and side, so every one of
 * the 400 rows would take minutes; the sequence at a label count does not depend on which
 * earlier counts were asked for.
 */
export const DEMO_INTERVAL_LABELS: readonly number[] = Array.from({ length: 16 }, (_, i) => 25 * (i + 1));

/** Options of `runDemo`. */
export interface DemoOptions {
  /** Output folder; default a new `runs/demo-<timestamp>` folder. */
  out?: string;
  /** Replace existing output files in `out`. */
  force?: boolean;
  /** Runs per method; default 1000. */
  runs?: number;
  /** Seed of the pool and of the runs; default 0. */
  seed?: number;
  /** Worker threads; default all cores. */
  threads?: number;
  /** Pool size N; default 10,000. */
  poolSize?: number;
  /** Number of classes K; default 2. */
  classCount?: number;
  /** Label counts at which to compute the intervals of every run (at most 400); default `DEMO_INTERVAL_LABELS`. */
  intervalLabels?: readonly number[];
  /** Progress of each method's runs. */
  onProgress?: (method: DemoMethodName, completedRuns: number, totalRuns: number) => void;
  signal?: AbortSignal;
}

/** One method's simulation in the demo, written to its own subfolder. */
export interface DemoMethod {
  name: DemoMethodName;
  dir: string;
  result: SimulationResult;
  /** Its summary.json, with `intervals.<kind>` at the interval label counts (their `labels`). */
  summary: SimulationSummary;
}

/** One interval kind of one method at the demo's label counts; `null` where it was not computed. */
export interface DemoIntervalRow {
  /** Fraction of runs whose interval contains the true risk. */
  coverage: (number | null)[];
  /** Median half-width over runs. */
  medianHalfWidth: (number | null)[];
}

/** Active testing against random labelling in the demo, at the label counts of its table. */
export interface DemoComparison {
  labels: number[];
  mseActive: number[];
  mseRandom: number[];
  /** Active testing's MSE ÷ random labelling's, as the report shows it: below 1, active testing helps. */
  ratio: number[];
  /** Each method's 95% intervals at `labels`, by kind: the confidence sequence, the fixed-budget and the bootstrap interval. */
  intervals: Record<DemoMethodName, Record<IntervalKind, DemoIntervalRow>>;
}

/** What `runDemo` wrote and measured. */
export interface DemoResult {
  dir: string;
  poolSize: number;
  classCount: number;
  trueRisk: number;
  active: DemoMethod;
  random: DemoMethod;
  comparison: DemoComparison;
  /** The report of both simulations, written into `report/` of the demo folder. */
  report: ReportResult;
}

/** A folder name under `parent` that does not exist yet: `demo-20260131-142501`, with `-2`, `-3`, … if taken. */
export function newDemoFolder(parent = 'runs', now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  let dir = join(parent, `demo-${stamp}`);
  for (let i = 2; existsSync(dir); i++) dir = join(parent, `demo-${stamp}-${i}`);
  return dir;
}

function float32Npy(m: Matrix): Uint8Array {
  return encodeNpy({ data: Float32Array.from(m.data), shape: [m.rows, m.cols], dtype: 'f4' });
}

const DEMO_OPTION_NAMES = [
  'out',
  'force',
  'runs',
  'seed',
  'threads',
  'poolSize',
  'classCount',
  'intervalLabels',
  'onProgress',
  'signal',
] as const satisfies readonly (keyof DemoOptions)[];

/** The file the demo writes last (its report's summary): a demo folder without it holds no finished demo. */
const DEMO_COMMIT_MARKER = join('report', 'summary.json');

export type { DemoMethodName };

/** The demo's two methods, each with its simulation's options. */
const METHOD_OPTIONS: Record<DemoMethodName, Partial<SimulationOptions>> = {
  'adaptive-lure': { acquisition: 'adaptive', estimator: 'lure' },
  iid: { acquisition: 'iid', estimator: 'iid' },
};
const METHODS = DEMO_RUN_FOLDERS.map((name) => [name, METHOD_OPTIONS[name]] as const);

/**
 * Refuses, whatever `force` and before any work, a folder that holds a run the demo's report would
 * read wrongly: a simulate run or an experiment at its top (`report` reads such a folder as that run
 * or through its `experiment.json`, and the demo's runs would drop out), or in a sub-folder other
 * than the demo's runs' (its report would fail at the end on another pool, or list that run as a
 * third method of the demo).
 */
function assertReportableFolder(dir: string): void {
  const run = existsSync(join(dir, EXPERIMENT_MANIFEST)) ? EXPERIMENT_MANIFEST : simulationFileIn(dir);
  if (run !== undefined) {
    throw new InputError({
      argument: 'out',
      expected:
        "a folder without a simulate run or an experiment at its top (report reads such a folder as that run or experiment and would leave the demo's runs out)",
      received: ReceivedKind.noted(dir, `it holds ${run}`),
    });
  }
  const [other] = runsInSubfolders(dir).filter((name) => !DEMO_RUN_FOLDERS.some((folder) => folder === name));
  if (other === undefined) return;
  throw new InputError({
    argument: 'out',
    expected: `a folder whose sub-folders hold no runs but the demo's own (${DEMO_RUN_FOLDERS.join(', ')}): its report reads every run below the folder; choose another --out or move ${other} out`,
    received: ReceivedKind.noted(dir, `its sub-folder ${other} holds a run`),
  });
}

/**
 * The README's main job: on the built-in synthetic LLM-like pool, runs active testing as
 * `simulate` does by default (adaptive acquisition with LURE) and random labelling (i.i.d. acquisition)
 * with the same settings, writes both simulations and the pool's `.npy` files into a new
 * output folder, compares their MSE at 50, 100, 200 and 400 labels, computes each run's 95%
 * intervals (anytime-valid confidence sequence, fixed-budget interval, approximate bootstrap) at
 * `intervalLabels`, and ends by writing the report (figures and summary table) of both into
 * `report/` in that folder. Its `report/summary.json` is written last: a folder with some of the
 * demo's files but not it holds an interrupted demo, refused (`InterruptedOutputError`) unless `force`.
 * A folder holding a simulate run or an experiment at its top is refused (`InputError`), whatever
 * `force`: a report of it would leave the demo's runs out.
 *
 * @example
 * const demo = await runDemo({ runs: 1000 });
 * demo.comparison.ratio; // e.g. [0.59, 0.55, 0.48, 0.47]: active testing's MSE ÷ random labelling's
 * demo.comparison.intervals['adaptive-lure'].anytime.coverage; // e.g. [1, 1, 0.999, 0.996]
 * demo.report.summaryPath; // e.g. '/home/me/runs/demo-20260131-142501/report/summary.md' (absolute)
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  checkKnownKeys(options, DEMO_OPTION_NAMES, null);
  const dir = options.out ?? newDemoFolder();
  // Locked for the whole run: two demos into one folder would both pass its checks, then write
  // their pools, simulations, comparison and report over each other's.
  return withOutputLock(dir, () => runDemoLocked(options, dir), 'out');
}

async function runDemoLocked(options: DemoOptions, dir: string): Promise<DemoResult> {
  assertReportableFolder(dir);
  const { poolSize = 10_000, classCount = 2, seed = 0 } = options;
  const pool = syntheticPool({ poolSize, classCount, seed });
  const input: SimulationInput = {
    modelScores: { data: pool.modelScores.data, shape: [poolSize, classCount] },
    surrogateScores: { data: pool.surrogateScores.data, shape: [poolSize, classCount] },
    labels: pool.labels,
  };
  const losses = lossPerItem(pool.modelScores, pool.labels);
  const errors = zeroOneLossPerItem(pool.modelScores, pool.labels);
  const intervalLabels = options.intervalLabels ?? DEMO_INTERVAL_LABELS;
  const shared: Partial<SimulationOptions> = {
    runs: options.runs ?? 1000,
    seed,
    bootstrap: 'exact',
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const poolDir = join(dir, 'pool');
  const poolOutputs = [
    { name: 'model_scores.npy', data: float32Npy(pool.modelScores) },
    { name: 'surrogate_scores.npy', data: float32Npy(pool.surrogateScores) },
    { name: 'labels.npy', data: encodeNpy({ data: int64FromInt32(pool.labels), shape: [poolSize], dtype: 'i8' }) },
  ];
  const [modelScores, surrogateScores, labels] = poolOutputs.map((file) => join(poolDir, file.name));
  const poolInputs = {
    modelScores,
    surrogateScores,
    labels,
    pool: 'built-in synthetic',
    poolSeed: seed,
    poolFingerprint: poolFingerprint(pool.modelScores.data, pool.labels),
  };
  // Refuse before any work, so that an existing demo is never half-replaced, and say when what is
  // there is a demo that was stopped before its report: no finished results.
  await checkInterruptedOutputs(
    dir,
    [
      DEMO_COMPARISON,
      ...poolOutputs.map((file) => join('pool', file.name)),
      ...METHODS.flatMap(([name]) => SIMULATION_FILES.map((file) => join(name, file))),
      join('report', 'summary.md'),
    ],
    DEMO_COMMIT_MARKER,
    { force: options.force, what: 'demo' },
  );
  await assertOutputsWritable(dir, [DEMO_COMPARISON], options);
  await assertOutputsWritable(
    poolDir,
    poolOutputs.map((file) => file.name),
    options,
  );
  for (const [name] of METHODS) await assertOutputsWritable(join(dir, name), SIMULATION_FILES, options);
  await assertOutputsWritable(join(dir, 'report'), ['summary.md', 'summary.json'], options);
  const done: DemoMethod[] = [];
  for (const [name, method] of METHODS) {
    // Prepared once for the runs and the intervals' reference: its proposal is not planned again.
    const prepared = prepareSimulation(input, {
      ...shared,
      ...method,
      recordMixtureWeights: true,
      onProgress: (completed, total) => options.onProgress?.(name, completed, total),
    });
    const result = await runPrepared(prepared);
    const summary = summarizeSimulation(result, poolInputs, losses, errors);
    // The bounds the preparation checked the scores with, not computed again: the demo runs the
    // default numerics, under which the preparation always computes them.
    const bounds = prepared.bounds as LossBounds;
    summary.intervals = await intervalsAt(
      result,
      losses,
      bounds,
      preparedReferenceAndSource(prepared, pool.modelScores, pool.surrogateScores),
      intervalLabels,
      options.signal,
    );
    done.push({ name, dir: join(dir, name), result, summary });
  }
  const [active, random] = done as [DemoMethod, DemoMethod];
  const comparison = compareAt(active.summary, random.summary, DEMO_LABEL_COUNTS);
  // The pool, the simulations and the comparison are replaced one folder after the other: without
  // the old report's summary, a forced demo stopped among them is told apart from a finished one.
  if (options.force) await rm(join(dir, DEMO_COMMIT_MARKER), { force: true });
  const { force, signal } = options;
  await writeOutputFolder(poolDir, poolOutputs, { force, signal });
  for (const method of done) await writeSimulationOutputs(method.dir, method.result, method.summary, { force, signal });
  const comparisonJson = toJson({
    true_risk: active.result.trueRisk,
    labels: comparison.labels,
    mse_active: comparison.mseActive,
    mse_random: comparison.mseRandom,
    ratio: comparison.ratio,
    // snake_case like the rest of the file and the simulations' summary.json.
    intervals: Object.fromEntries(
      Object.entries(comparison.intervals).map(([method, kinds]) => [
        method,
        Object.fromEntries(
          Object.entries(kinds).map(([kind, row]) => [kind, { coverage: row.coverage, median_half_width: row.medianHalfWidth }]),
        ),
      ]),
    ),
  });
  await writeOutputFolder(dir, [{ name: DEMO_COMPARISON, data: comparisonJson }], { force, signal });
  const report = await writeReport([dir], { out: join(dir, 'report'), force: force ?? false, ...(signal === undefined ? {} : { signal }) });
  return { dir, poolSize, classCount, trueRisk: active.result.trueRisk, active, random, comparison, report };
}

function compareAt(active: SimulationSummary, random: SimulationSummary, counts: readonly number[]): DemoComparison {
  const rows = rowsAtLabelCounts(active.labels, counts);
  const labels = rows.map((r) => active.labels[r]!);
  const mseActive = rows.map((r) => active.mse[r]!);
  const mseRandom = rows.map((r) => random.mse[r]!);
  return {
    labels,
    mseActive,
    mseRandom,
    ratio: mseActive.map((m, i) => m / mseRandom[i]!),
    intervals: { 'adaptive-lure': intervalRows(active, labels), iid: intervalRows(random, labels) },
  };
}

/** A summary's recorded intervals at the given label counts (`null` where none was computed). */
function intervalRows(summary: SimulationSummary, labels: readonly number[]): Record<IntervalKind, DemoIntervalRow> {
  const rows = {} as Record<IntervalKind, DemoIntervalRow>;
  for (const kind of INTERVAL_KINDS) {
    const recorded = summary.intervals?.[kind];
    const entries = labels.map((l) => recorded?.labels?.indexOf(l) ?? -1);
    rows[kind] = {
      coverage: entries.map((e) => (e === -1 ? null : recorded!.coverage[e]!)),
      medianHalfWidth: entries.map((e) => (e === -1 ? null : recorded!.median_half_width[e]!)),
    };
  }
  return rows;
}

/**
 * Every interval kind of a simulation at the given label counts only, as summary.json records
 * them (with their `labels`): the sequences cost O(labels) per run at each count asked for, spread
 * over the simulation's threads, and stop at their next tile of runs once `signal` aborts.
 */
async function intervalsAt(
  result: SimulationResult,
  losses: Float64Array,
  bounds: LossBounds,
  { reference, drawFloorCandidates }: ReturnType<typeof preparedReferenceAndSource>,
  counts: readonly number[],
  signal: AbortSignal | undefined,
): Promise<SimulationSummary['intervals']> {
  const rows = rowsAtLabelCounts(result.labelsPerRow, counts).filter((r) => counts.includes(result.labelsPerRow[r]!));
  const { runs } = result;
  const pick = (matrix: Float64Array) => {
    const picked = new Float64Array(rows.length * runs);
    rows.forEach((r, k) => picked.set(matrix.subarray(r * runs, (r + 1) * runs), k * runs));
    return picked;
  };
  const atRows: SimulationResult = {
    ...result,
    rows: rows.length,
    labelsPerRow: Int32Array.from(rows, (r) => result.labelsPerRow[r]!),
    estimates: pick(result.estimates),
    bootstrapVariance: result.bootstrapVariance && pick(result.bootstrapVariance),
  };
  const summaries = summarizeIntervals(
    await simulationIntervalsInThreads(atRows, losses, bounds, INTERVAL_KINDS, reference, drawFloorCandidates, {
      threads: result.options.threads,
      signal,
    }),
  );
  const labels = Array.from(atRows.labelsPerRow);
  return Object.fromEntries(Object.entries(summaries).map(([kind, summary]) => [kind, { labels, ...summary }]));
}
