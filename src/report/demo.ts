import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { simulate, type SimulationInput, type SimulationOptions, type SimulationResult } from '../simulate/simulate.js';
import { assertOutputsWritable, writeOutputFolder } from '../io/atomic.js';
import { encodeNpy, int64FromInt32 } from '../io/npy.js';
import type { Matrix } from '../matrix.js';
import { writeReport, type ReportResult } from './report.js';
import { lossPerItem } from '../metrics/index.js';
import {
  poolFingerprint,
  SIMULATION_FILES,
  summarizeSimulation,
  writeSimulationOutputs,
  type SimulationSummary,
} from '../simulate/outputs.js';
import { toJson } from '../io/json.js';
import { syntheticPool } from '../simulate/syntheticPool.js';

/** Label counts at which the demo compares active testing with random labelling. */
export const DEMO_LABEL_COUNTS = [50, 100, 200, 400] as const;

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
  classes?: number;
  /** Progress of each method's runs. */
  onProgress?: (method: DemoMethodName, completedRuns: number, totalRuns: number) => void;
  signal?: AbortSignal;
}

export type DemoMethodName = 'adaptive-lure' | 'iid';

/** One method's simulation in the demo, written to its own subfolder. */
export interface DemoMethod {
  name: DemoMethodName;
  dir: string;
  result: SimulationResult;
  summary: SimulationSummary;
}

export interface DemoComparison {
  labels: number[];
  mseActive: number[];
  mseRandom: number[];
  /** Active testing's MSE ÷ random labelling's, as the report shows it: below 1, active testing helps. */
  ratio: number[];
}

export interface DemoResult {
  dir: string;
  poolSize: number;
  classes: number;
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

/**
 * The README's main job: on the built-in synthetic LLM-like pool, runs active testing as
 * `simulate` does by default (adaptive acquisition with LURE) and random labelling (i.i.d. acquisition)
 * with the same settings, writes both simulations and the pool's `.npy` files into a new
 * output folder, compares their MSE at 50, 100, 200 and 400 labels, and ends by writing the
 * report (figures and summary table) of both into `report/` in that folder.
 *
 * @example
 * const demo = await runDemo({ runs: 1000 });
 * demo.comparison.ratio; // e.g. [0.8, 0.75, 0.67, 0.63]: active testing's MSE ÷ random labelling's
 * demo.report.summaryPath; // e.g. 'runs/demo-20260131-142501/report/summary.md'
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const dir = options.out ?? newDemoFolder();
  const poolSize = options.poolSize ?? 10_000;
  const classes = options.classes ?? 2;
  const seed = options.seed ?? 0;
  const pool = syntheticPool({ size: poolSize, classes, seed });
  const input: SimulationInput = {
    modelScores: { data: pool.modelScores.data, shape: [poolSize, classes] },
    surrogateScores: { data: pool.surrogateScores.data, shape: [poolSize, classes] },
    labels: pool.labels,
  };
  const losses = lossPerItem(pool.modelScores, pool.labels);
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
    pool_fingerprint: poolFingerprint(pool.modelScores.data, pool.labels),
  };
  const methods: Array<[DemoMethodName, Partial<SimulationOptions>]> = [
    ['adaptive-lure', { acquisition: 'adaptive', estimator: 'lure' }],
    ['iid', { acquisition: 'iid', estimator: 'iid' }],
  ];
  // Refuse before any work, so that an existing demo is never half-replaced.
  await assertOutputsWritable(dir, ['comparison.json'], options);
  await assertOutputsWritable(
    poolDir,
    poolOutputs.map((file) => file.name),
    options,
  );
  for (const [name] of methods) await assertOutputsWritable(join(dir, name), SIMULATION_FILES, options);
  await assertOutputsWritable(join(dir, 'report'), ['summary.md', 'summary.json'], options);
  const done: DemoMethod[] = [];
  for (const [name, method] of methods) {
    const result = await simulate(input, {
      ...shared,
      ...method,
      onProgress: (completed, total) => options.onProgress?.(name, completed, total),
    });
    done.push({ name, dir: join(dir, name), result, summary: summarizeSimulation(result, poolInputs, losses) });
  }
  const [active, random] = done as [DemoMethod, DemoMethod];
  const comparison = compareAt(active.summary, random.summary, DEMO_LABEL_COUNTS);
  await writeOutputFolder(poolDir, poolOutputs, { force: options.force });
  for (const method of done) await writeSimulationOutputs(method.dir, method.result, method.summary, { force: options.force });
  const comparisonJson = toJson({
    true_risk: active.result.trueRisk,
    labels: comparison.labels,
    mse_active: comparison.mseActive,
    mse_random: comparison.mseRandom,
    ratio: comparison.ratio,
  });
  await writeOutputFolder(dir, [{ name: 'comparison.json', data: comparisonJson }], { force: options.force });
  const report = await writeReport([dir], { out: join(dir, 'report'), force: options.force ?? false });
  return { dir, poolSize, classes, trueRisk: active.result.trueRisk, active, random, comparison, report };
}

/** The row of each label count (the last row with at most that many labels), without repeats. */
export function rowsAtLabelCounts(labelsPerRow: ArrayLike<number>, counts: readonly number[]): number[] {
  const rows: number[] = [];
  for (const count of counts) {
    let row = -1;
    for (let r = 0; r < labelsPerRow.length && labelsPerRow[r]! <= count; r++) row = r;
    if (row >= 0 && !rows.includes(row)) rows.push(row);
  }
  return rows;
}

function compareAt(active: SimulationSummary, random: SimulationSummary, counts: readonly number[]): DemoComparison {
  const rows = rowsAtLabelCounts(active.labels, counts);
  const mseActive = rows.map((r) => active.mse[r]!);
  const mseRandom = rows.map((r) => random.mse[r]!);
  return { labels: rows.map((r) => active.labels[r]!), mseActive, mseRandom, ratio: mseActive.map((m, i) => m / mseRandom[i]!) };
}
