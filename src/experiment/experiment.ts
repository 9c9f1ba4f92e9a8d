import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { checkTargetScores, PoolWorkCache, prepareSimulation, runPrepared, type SimulationOptions } from '../simulate/simulate.js';
import { assertFitsInMemory } from '../simulate/memory.js';
import { recordedRowCount } from '../simulate/recorded-rows.js';
import { CancelledError, FileFormatError, InputError, OutputExistsError, passForce, ReceivedKind } from '../errors.js';
import { checkOption } from '../options/index.js';
import { checkKnownKeys } from '../io/suggest.js';
import { assertFolderWritable, writeFileAtomic } from '../io/atomic.js';
import { checkObject } from '../io/index.js';
import { formatCount } from '../io/format-count.js';
import { withOutputLock } from '../io/output-lock.js';
import { matrixView, type Matrix } from '../matrix.js';
import {
  calibratesOnPool,
  calibrationOnPoolWarning,
  fitTemperature,
  loadCalibrationSet,
  temperatureBoundWarning,
} from '../calibration/index.js';
import { zeroOneLossPerItem } from '../metrics/index.js';
import { checkNpyFile, readNpy } from '../io/npy.js';
import {
  loadSimulationPool,
  probabilitiesWarning,
  rowsAreProbabilities,
  ofFileRows,
  surrogateMatrix,
  type LoadedPool,
} from '../io/pool-files.js';
import {
  demoFileIn,
  runsInSubfolders,
  SIMULATION_FILES,
  simulationFileIn,
  simulationOutputNames,
  poolFingerprint,
  summarizeIntervals,
  summarizeSimulation,
  writeSimulationOutputs,
} from '../simulate/outputs.js';
import { intervalsNeedMixtureWeights, preparedSimulationIntervals } from '../simulate/prepared-intervals.js';
import { VERSION } from '../version.js';
import { withPoolSize, type ExperimentConfig, type ResolvedSetting, type SizedExperimentConfig, type SizedSetting } from './config.js';
import { EVALUATE_REFERENCE, evaluateStepFolder, runEvaluateSteps } from './evaluate-steps.js';
import { EXPERIMENT_MANIFEST, type ExperimentManifest, type ManifestSetting, SETTING_MARKER, type SettingMarker } from './manifest.js';

/** What `runExperiment` reports as it goes (also the CLI's `--json` lines). */
export type ExperimentEvent =
  | { event: 'evaluate'; step: string; folder: string }
  /**
   * A non-fatal notice about an input, once per input: `argument` is the grid key that names it and
   * `file` the file it was read from (a calibration set's scores file); or (`argument` `out`) about
   * a finished setting's output `file`, missing or damaged, whose setting is computed again.
   */
  | { event: 'warning'; argument: string; file: string; message: string }
  | { event: 'start'; out: string; settings: number; toRun: number }
  | { event: 'skipped'; name: string; folder: string; reason: 'finished' }
  | { event: 'setting-start'; name: string; folder: string; index: number }
  /** `completedRuns` of this setting's `totalRuns`; `gridCompletedRuns` of `gridTotalRuns` over the settings this call runs. */
  | { event: 'progress'; name: string; completedRuns: number; totalRuns: number; gridCompletedRuns: number; gridTotalRuns: number }
  /**
   * `runsByWorkers`: how many of the setting's runs worker threads ran (0 with one thread, or when
   * the runs were over before a worker started); the results never depend on it.
   */
  | { event: 'setting-done'; name: string; folder: string; seconds: number; runsByWorkers: number }
  | { event: 'done'; out: string; ran: number; skipped: number; seconds: number };

/** Options of `runExperiment`. */
export interface ExperimentOptions {
  /** Output folder: `experiment.json` and one sub-folder per setting. */
  out: string;
  /** Recompute settings whose folder holds results of a different configuration or inputs. */
  force?: boolean;
  /** Worker threads for each simulation; default all cores (simulate's default). */
  threads?: number;
  signal?: AbortSignal;
  onEvent?: (event: ExperimentEvent) => void;
}

/** One setting's fate in a run of the experiment. */
export interface ExperimentSettingResult {
  name: string;
  folder: string;
  status: 'ran' | 'skipped';
}

/**
 * Runs every setting of an experiment grid with the `simulate` engine (all cores), writing each
 * setting's outputs in its own folder under `options.out`, in the format of `active-testing
 * simulate`. A setting is finished when its folder holds `setting.json`, written last, and every
 * output it lists, whole; running the same experiment again skips finished settings whose
 * configuration and input files are unchanged (a fingerprint of both), and redoes the rest (a
 * setting with an output missing or damaged after a `warning` event naming it), so an interrupted
 * grid resumes where it stopped.
 * A finished setting whose fingerprint differs is refused unless `force`.
 *
 * @throws {InputError} on an unknown or invalid option, or a pool that does not fit a setting.
 * @throws {FileFormatError} when an input file cannot be read.
 * @throws {OutputExistsError} when `out` holds results of another configuration and `force` is not set.
 * @throws {OutputLockedError} when another run writes to `out`.
 * @throws {CancelledError} when `options.signal` aborts; finished settings are kept for the next run.
 * @example
 * const config = loadExperimentConfig('grid.json');
 * await runExperiment(config, { out: 'runs/grid', onEvent: (e) => console.log(e) });
 */
export async function runExperiment(grid: ExperimentConfig, options: ExperimentOptions): Promise<ExperimentSettingResult[]> {
  checkObject(grid, 'grid', 'a grid as resolveExperimentConfig or loadExperimentConfig returns it');
  checkKnownKeys(options, ['out', 'force', 'threads', 'signal', 'onEvent'] satisfies (keyof ExperimentOptions)[], null);
  for (const name of ['out', 'force', 'threads'] as const) checkOption(name, options[name], 'experiment');
  if (options.out === undefined) throw new InputError({ argument: 'out', expected: 'a non-empty string' });
  const out = resolve(options.out);
  // Locked for the whole run: two runs on one folder would both find a setting unfinished (or
  // finished under another grid) and replace each other's results, temporaries and manifest.
  return withOutputLock(out, () => runExperimentLocked(grid, options, out), 'out');
}

async function runExperimentLocked(grid: ExperimentConfig, options: ExperimentOptions, out: string): Promise<ExperimentSettingResult[]> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  // A setting's folder taken by a file would be found only at its turn, after the evaluate steps
  // and the settings before it had run.
  for (const setting of grid.settings) await assertFolderWritable(join(out, setting.folder), 'out');
  // report reads an experiment's folder through experiment.json alone: a simulate run or a demo
  // there would drop out of its reports without a word.
  const simulation = simulationFileIn(out);
  if (simulation !== undefined) {
    throw new InputError({
      argument: 'out',
      expected:
        "a folder without a simulate run's outputs (report reads an experiment's folder through experiment.json and would leave the run out)",
      received: ReceivedKind.noted(out, `it holds ${simulation}`),
    });
  }
  const demo = demoFileIn(out);
  if (demo !== undefined) {
    throw new InputError({
      argument: 'out',
      expected:
        "a folder without a demo's outputs (report reads an experiment's folder through experiment.json and would leave the demo's runs out)",
      received: ReceivedKind.noted(out, `it holds ${demo}`),
    });
  }
  // Before its manifest is written, runs below the folder are no setting's of this experiment (a
  // demo stopped before its comparison, a simulate run into a sub-folder): report, reading the
  // folder through the manifest, would leave them out.
  if (!existsSync(join(out, EXPERIMENT_MANIFEST))) {
    const ours = new Set(grid.settings.map((setting) => setting.folder));
    const [foreign] = runsInSubfolders(out).filter((name) => !ours.has(name));
    if (foreign !== undefined) {
      throw new InputError({
        argument: 'out',
        expected:
          "a folder whose sub-folders hold no runs but the grid's settings (report reads an experiment's folder through experiment.json and would leave the others out); choose another --out or move that sub-folder out",
        received: ReceivedKind.noted(out, `its sub-folder ${foreign} holds a run`),
      });
    }
  }
  if (!(options.force ?? false)) await checkKeepsFinishedSettings(out, grid);
  for (const { key, scores } of grid.unusedSurrogates) {
    emit({ event: 'warning', argument: `surrogates.${key}`, file: scores, message: unusedSurrogateWarning(key) });
  }
  for (const { key, scores, shots, stepShots } of shotCountsContradicted(grid)) {
    emit({
      event: 'warning',
      argument: `surrogates.${key}.iclExamples`,
      file: scores,
      message: shotCountWarning(key, scores, shots, stepShots),
    });
  }
  const onStep = (step: string) => emit({ event: 'evaluate', step, folder: evaluateStepFolder(out, step) });
  // The pool's size is known from its step's data before any step scores: a grid too large for it
  // is refused then, not after every step has scored.
  const beforeScoring = (poolSizes: ReadonlyMap<string, number>) => {
    const pool = grid.modelScores.startsWith(EVALUATE_REFERENCE)
      ? poolSizes.get(grid.modelScores.slice(EVALUATE_REFERENCE.length))
      : undefined;
    if (pool !== undefined) sizedToPool(grid, pool);
  };
  await runEvaluateSteps(new Map(Object.entries(grid.evaluate)), out, options.force ?? false, onStep, options.signal, beforeScoring);
  const unsized = withStepOutputs(grid, out);
  const inputs = await loadInputs(unsized);
  const poolSize = inputs.poolSize;
  const config = sizedToPool(unsized, poolSize);
  // The settings differ in a few options and share the rest of the pool work (the target's losses,
  // a surrogate's proposal values, sorted pools): 40-45% of a 6-setting grid of 100 runs at N = 10^5.
  const poolWork = new PoolWorkCache();
  // Scores the error bars cannot take are refused before the manifest is written, not by the first
  // setting after it; their losses and bounds are then the settings' own (the same cache).
  for (const pool of new Set(inputs.pools.values())) {
    checkTargetScores({ modelScores: asMatrixInput(pool.modelScores), labels: pool.labels }, config.loss, config.numerics, poolWork);
  }
  for (const { argument, file, scores } of scoreFiles(config, inputs)) {
    if (rowsAreProbabilities(scores)) emit({ event: 'warning', argument, file, message: probabilitiesWarning(argument) });
  }
  for (const { argument, file, calibration, pool } of calibrationSets(config, inputs)) {
    if (pool !== undefined && calibratesOnPool(calibration, pool)) {
      emit({ event: 'warning', argument, file, message: calibrationOnPoolWarning(argument) });
    }
    const fit = fitTemperature(calibration.scores, calibration.labels);
    if (fit.atBound) emit({ event: 'warning', argument, file, message: temperatureBoundWarning(argument, fit) });
  }
  const fingerprints = config.settings.map((s) => settingFingerprint(config, s, inputs.hashes));
  const expectedOutputs = simulationOutputNames({ bootstrap: config.bootstrap !== 'none', intervals: config.interval });
  const found = await Promise.all(
    config.settings.map((s, i) => finishedState(join(out, s.folder), fingerprints[i] as string, options.force ?? false, expectedOutputs)),
  );
  const states = found.map(({ state }) => state);
  checkNoneStale(config.settings, states, out);
  for (const [i, { damaged }] of found.entries()) {
    const setting = config.settings[i] as SizedSetting;
    if (damaged !== undefined) {
      const file = join(out, setting.folder, damaged.name);
      emit({ event: 'warning', argument: 'out', file, message: `${file}: ${damaged.reason}; computing setting ${setting.name} again` });
    }
  }
  const finished = states.map((state) => state === 'finished');

  // The settings this run recomputes lose their marks first, before the manifest names the new
  // grid: a forced run stopped part-way would otherwise leave the settings it had not reached marked
  // finished under the old grid, and report would table them beside the new grid's.
  await Promise.all(config.settings.map((s, i) => (finished[i] ? undefined : rm(join(out, s.folder, SETTING_MARKER), { force: true }))));

  const manifest: ExperimentManifest = {
    version: VERSION,
    // What ran: the grid with its size resolved, the evaluate steps' outputs still named by step.
    config: withPoolSize(grid, poolSize),
    settings: config.settings.map(({ name, folder, labelOffset }) => ({ name, folder, labelOffset })),
  };
  await writeFileAtomic(join(out, EXPERIMENT_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { force: true });

  const toRun = config.settings.filter((_, i) => !finished[i]);
  const totalRuns = toRun.length * config.runs;
  emit({ event: 'start', out, settings: config.settings.length, toRun: toRun.length });
  const results: ExperimentSettingResult[] = [];
  let runsBefore = 0;
  // What every setting's summary reads of the pool (the pools share the target's scores and the
  // labels): computed once, when the first setting is summarized, not once per setting.
  let poolSummary: { fingerprint: string; losses: Float64Array; zeroOneLosses: Float64Array } | undefined;
  for (const [i, setting] of config.settings.entries()) {
    const folder = join(out, setting.folder);
    if (finished[i]) {
      emit({ event: 'skipped', name: setting.name, folder, reason: 'finished' });
      results.push({ name: setting.name, folder, status: 'skipped' });
      continue;
    }
    if (options.signal?.aborted) throw new CancelledError('experiment interrupted');
    emit({ event: 'setting-start', name: setting.name, folder, index: i });
    const settingStarted = performance.now();
    const simulationOptions = simulationOptionsFor(config, setting, options.threads);
    const pool = inputs.pools.get(setting.surrogateScores) as LoadedPool;
    const calibration = setting.calibration === null ? undefined : inputs.calibrations.get(setting.surrogate as string);
    const prepared = prepareSimulation(
      {
        modelScores: asMatrixInput(pool.modelScores),
        labels: pool.labels,
        ...(pool.surrogateScores ? { surrogateScores: asMatrixInput(pool.surrogateScores) } : {}),
      },
      {
        ...simulationOptions,
        ...(calibration ? { calibration } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (completedRuns, runs) =>
          emit({
            event: 'progress',
            name: setting.name,
            completedRuns,
            totalRuns: runs,
            gridCompletedRuns: runsBefore + completedRuns,
            gridTotalRuns: totalRuns,
          }),
      },
      poolWork,
    );
    const result = await runPrepared(prepared);
    const intervals = await preparedSimulationIntervals(prepared, result, pool, config.interval, options.signal);
    poolSummary ??= {
      fingerprint: poolFingerprint(pool.modelScores.data, pool.labels),
      // The prepared simulation's per-item losses are these: the grid's loss over the target's scores.
      losses: prepared.pool.losses,
      zeroOneLosses: zeroOneLossPerItem(pool.modelScores, pool.labels),
    };
    const summary = summarizeSimulation(
      result,
      {
        modelScores: config.modelScores,
        labels: config.labels,
        ...(setting.surrogateScores ? { surrogateScores: setting.surrogateScores } : {}),
        ...(setting.calibration ? { calibrationScores: setting.calibration.scores, calibrationLabels: setting.calibration.labels } : {}),
        poolSize,
        classCount: pool.modelScores.cols,
        poolFingerprint: poolSummary.fingerprint,
      },
      poolSummary.losses,
      poolSummary.zeroOneLosses,
    );
    if (intervals.length > 0) summary.intervals = summarizeIntervals(intervals);
    // Files in an unfinished folder come from an interrupted run of this same setting, or of an
    // earlier grid under force, unmarked above: replace them.
    await removeInterruptedWrites(folder);
    // Stopped by the signal, the write removes its temporaries before its renames: the setting stays unfinished, to be rerun.
    const written = await writeSimulationOutputs(folder, result, summary, {
      force: true,
      intervals,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const seconds = (performance.now() - settingStarted) / 1000;
    const marker: SettingMarker = {
      name: setting.name,
      fingerprint: fingerprints[i] as string,
      seconds,
      finishedAt: new Date().toISOString(),
      outputs: Object.fromEntries(await Promise.all(written.map(async (path) => [basename(path), (await stat(path)).size] as const))),
    };
    await writeFileAtomic(join(folder, SETTING_MARKER), `${JSON.stringify(marker, null, 2)}\n`, { force: true });
    runsBefore += config.runs;
    emit({ event: 'setting-done', name: setting.name, folder, seconds, runsByWorkers: result.runsByWorkers });
    results.push({ name: setting.name, folder, status: 'ran' });
  }
  emit({
    event: 'done',
    out,
    ran: toRun.length,
    skipped: config.settings.length - toRun.length,
    seconds: (performance.now() - started) / 1000,
  });
  return results;
}

/**
 * Refuses a grid that leaves out settings the folder's experiment has finished: this run replaces
 * `experiment.json`, through which report reads the experiment, and their results would drop out
 * of every report without a word. `force` drops them (their folders stay).
 */
async function checkKeepsFinishedSettings(out: string, grid: ExperimentConfig): Promise<void> {
  const path = join(out, EXPERIMENT_MANIFEST);
  if (!existsSync(path)) return;
  let earlier: { settings?: unknown } | null;
  try {
    earlier = JSON.parse(await readFile(path, 'utf8')) as { settings?: unknown } | null;
  } catch {
    // A manifest report cannot read shows no setting that this run could drop.
    return;
  }
  const listed = Array.isArray(earlier?.settings) ? (earlier.settings as Array<Partial<ManifestSetting> | null>) : [];
  const folders = new Set(grid.settings.map((s) => s.folder));
  const dropped = listed.filter(
    (s): s is ManifestSetting => typeof s?.folder === 'string' && !folders.has(s.folder) && existsSync(join(out, s.folder, SETTING_MARKER)),
  );
  if (dropped.length === 0) return;
  const [them, settings] = dropped.length === 1 ? ['it', 'a finished setting'] : ['them', 'finished settings'];
  throw new OutputExistsError(
    path,
    (naming) =>
      `it lists ${settings} that this grid leaves out (${dropped.map((s) => JSON.stringify(s.name)).join(', ')}), which report would no longer show; keep ${them} in the grid, or ${passForce(naming, `drop ${them} from the experiment`)} (the folders are kept)`,
  );
}

/** The grid with every `evaluate:<step>` reference replaced by the path of the step's output file. */
function withStepOutputs(config: ExperimentConfig, out: string): ExperimentConfig {
  const path = (source: string, file: 'scores.npy' | 'labels.npy') =>
    source.startsWith(EVALUATE_REFERENCE) ? join(evaluateStepFolder(out, source.slice(EVALUATE_REFERENCE.length)), file) : source;
  return {
    ...config,
    modelScores: path(config.modelScores, 'scores.npy'),
    labels: path(config.labels, 'labels.npy'),
    settings: config.settings.map((s) => ({
      ...s,
      surrogateScores: s.surrogateScores === null ? null : path(s.surrogateScores, 'scores.npy'),
      calibration:
        s.calibration === null
          ? null
          : { scores: path(s.calibration.scores, 'scores.npy'), labels: path(s.calibration.labels, 'labels.npy') },
    })),
  };
}

/**
 * The `simulate` options of one setting of a grid.
 *
 * @example
 * const options = simulationOptionsFor(config, config.settings[1], 4); // { acquisition: 'surrogate-ce', ..., threads: 4 }
 */
export function simulationOptionsFor(config: SizedExperimentConfig, setting: SizedSetting, threads?: number): Partial<SimulationOptions> {
  return {
    acquisition: setting.acquisition,
    estimator: setting.estimator,
    clip: setting.clip,
    temperature: setting.temperature,
    // Only when set, so that grids from before these options keep their fingerprints.
    ...(setting.defensive === null ? {} : { defensive: setting.defensive }),
    ...(config.loss === 'cross-entropy' ? {} : { loss: config.loss }),
    runs: config.runs,
    size: setting.size,
    step: config.step,
    seed: config.seed,
    bootstrap: config.bootstrap,
    numerics: config.numerics,
    // The sequences of the grid's intervals read the adaptive draws' weights, as simulate --interval's do.
    ...(intervalsNeedMixtureWeights(config.interval) ? { recordMixtureWeights: true } : {}),
    ...(threads === undefined ? {} : { threads }),
  };
}

interface ExperimentInputs {
  /** The pool each setting runs on, by surrogate scores path (`null`: no surrogate). */
  pools: Map<string | null, LoadedPool>;
  /** SHA-256 of each input file's bytes, by absolute path. */
  hashes: Map<string, string>;
  /** N, the number of items in the pool. */
  poolSize: number;
  /** The calibration set of each surrogate that a `"temperature": "calibrated"` setting uses, by surrogate key. */
  calibrations: Map<string, CalibrationSet>;
}

/** A setting's calibration set, checked against the pool's classes; errors name the grid's keys. */
async function loadSettingCalibration(setting: ResolvedSetting, classCount: number): Promise<CalibrationSet> {
  const files = setting.calibration as NonNullable<ResolvedSetting['calibration']>;
  const where = `surrogates.${setting.surrogate}.calibration`;
  return loadCalibrationSet(files.scores, files.labels, { scores: `${where}.scores`, labels: `${where}.labels` }, classCount);
}

async function loadInputs(config: ExperimentConfig): Promise<ExperimentInputs> {
  const pools = new Map<string | null, LoadedPool>();
  // The target's scores and the labels are read and converted once, and every pool shares them:
  // at N·K = 10^7 each pool's own copy cost half a second and 80 MB. The first pool is loaded as
  // before, so that the first file at fault is still the one reported.
  let shared: LoadedPool | undefined;
  for (const surrogateScores of new Set(config.settings.map((s) => s.surrogateScores))) {
    // Errors name the grid's keys, not the command line's flags.
    const surrogate = config.settings.find((s) => s.surrogateScores === surrogateScores)?.surrogate;
    const surrogateName = `surrogates.${surrogate}.scores`;
    if (shared === undefined) {
      const files = { modelScores: config.modelScores, labels: config.labels, ...(surrogateScores ? { surrogateScores } : {}) };
      const pool = await loadSimulationPool(files, { modelScores: 'modelScores', labels: 'labels', surrogateScores: surrogateName });
      shared = { modelScores: pool.modelScores, labels: pool.labels };
      pools.set(surrogateScores, pool);
    } else if (surrogateScores === null) {
      pools.set(null, shared);
    } else {
      const array = await readNpy(surrogateScores, surrogateName);
      const { modelScores } = shared;
      const scores = ofFileRows(surrogateScores, surrogateName, () => surrogateMatrix(array, modelScores, surrogateName, 'modelScores'));
      pools.set(surrogateScores, { ...shared, surrogateScores: scores });
    }
  }
  const [first] = pools.values();
  const classCount = first?.modelScores.cols ?? 0;
  // Read and checked here, with the other inputs, so that a bad calibration set is refused before
  // any setting runs, not once the settings before the calibrated one have run and been written.
  const calibrations = new Map<string, CalibrationSet>();
  for (const setting of config.settings) {
    if (setting.calibration === null || setting.surrogate === null || calibrations.has(setting.surrogate)) continue;
    calibrations.set(setting.surrogate, await loadSettingCalibration(setting, classCount));
  }
  // Hashed once every file was read and checked: a missing one is refused naming its grid key.
  const hashes = new Map<string, string>();
  const calibrationFiles = config.settings.flatMap((s) => (s.calibration === null ? [] : [s.calibration.scores, s.calibration.labels]));
  for (const path of [config.modelScores, config.labels, ...pools.keys(), ...calibrationFiles]) {
    if (path !== null)
      hashes.set(
        path,
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      );
  }
  return { pools, hashes, poolSize: first?.modelScores.rows ?? 0, calibrations };
}

/**
 * The grid with its size resolved for a pool of `poolSize` items, refused where a setting's labels
 * (the grid's size, raised under iclBudget) exceed the pool or its results would not fit in memory.
 */
function sizedToPool(unsized: ExperimentConfig, poolSize: number): SizedExperimentConfig {
  // A grid that leaves size out gets simulate's default for this pool, as simulate would; a size
  // it gives stays as given, and with it the fingerprints of its finished settings.
  const config = withPoolSize(unsized, poolSize);
  // The grid's size (a setting has none of its own), raised for some settings under iclBudget.
  for (const setting of config.settings) {
    if (setting.size > poolSize) {
      const extra = setting.size - config.size;
      // Only a given size gets here (a left-out one leaves room for the ICL labels): say which fits.
      const fits = poolSize > extra ? `give "size" at most ${poolSize - extra}, or leave it out` : 'the pool holds no more items than them';
      const why =
        extra > 0
          ? ` (setting ${setting.name}: size ${config.size} + ${formatCount(extra, 'ICL label')} under iclBudget; ${fits})`
          : ` (the labels per run: the grid's "size")`;
      throw new InputError({
        argument: 'size',
        expected: `at most the pool size ${poolSize}${why}`,
        received: setting.size,
      });
    }
  }
  // Every setting's results must fit before the first runs: a later, larger one (random labelling
  // with the ICL labels on top) would otherwise be refused after the others had run. Its intervals
  // and the mixture weights they read are held with them, as simulate --interval counts them.
  const { runs, step, bootstrap, numerics, interval } = config;
  const recordMixtureWeights = intervalsNeedMixtureWeights(interval);
  for (const { size, acquisition } of config.settings)
    assertFitsInMemory([{ runs, size, step, bootstrap, numerics, acquisition, recordMixtureWeights }], interval.length);
  return config;
}

/**
 * The surrogates, once each, whose `iclExamples` under iclBudget (a setting's `labelOffset`)
 * differs from that of the evaluate step that scored them. The surrogate's own value wins, so the
 * settings on it are charged for other shots than the scores were made with; without iclBudget
 * the shots are charged to none.
 */
function shotCountsContradicted(grid: ExperimentConfig): { key: string; scores: string; shots: number; stepShots: number }[] {
  if (!grid.iclBudget) return [];
  const found = new Map<string, { key: string; scores: string; shots: number; stepShots: number }>();
  for (const { surrogate, surrogateScores, labelOffset } of grid.settings) {
    if (surrogate === null || surrogateScores === null || !surrogateScores.startsWith(EVALUATE_REFERENCE)) continue;
    const step = grid.evaluate[surrogateScores.slice(EVALUATE_REFERENCE.length)];
    const stepShots = step?.iclExamples ?? 0;
    if (step !== undefined && labelOffset !== stepShots)
      found.set(surrogate, { key: surrogate, scores: surrogateScores, shots: labelOffset, stepShots });
  }
  return [...found.values()];
}

/**
 * The warning for a surrogate whose `iclExamples` contradicts its evaluate step's.
 *
 * @example
 * shotCountWarning('icl20', 'evaluate:icl20', 0, 20); // 'surrogates.icl20.iclExamples: 0, but evaluate.icl20 scores it with 20 …'
 */
function shotCountWarning(key: string, scores: string, shots: number, stepShots: number): string {
  const step = `evaluate.${scores.slice(EVALUATE_REFERENCE.length)}`;
  return `surrogates.${key}.iclExamples: ${shots}, but ${step} scores it with ${formatCount(stepShots, 'in-context example')}: under iclBudget its settings are charged ${formatCount(shots, 'label')} for them; remove surrogates.${key}.iclExamples to take ${step}'s`;
}

/**
 * The warning for a grid surrogate that no setting uses: its scores are never read, so a setting
 * meant to run on it (naming another key, or none where one other surrogate is named) goes unnoticed.
 *
 * @example
 * unusedSurrogateWarning('icl50'); // 'surrogates.icl50: no setting uses this surrogate, so its scores are not read; …'
 */
function unusedSurrogateWarning(key: string): string {
  return `surrogates.${key}: no setting uses this surrogate, so its scores are not read; name it in a setting's "surrogate" to run on it, or remove it`;
}

/**
 * Each score file the grid reads, once, with the first grid key that names it: probabilities given
 * for logits pass every check, so each file is looked at for the warning.
 */
function scoreFiles(config: ExperimentConfig, inputs: ExperimentInputs): { argument: string; file: string; scores: Matrix }[] {
  const files = new Map<string, { argument: string; file: string; scores: Matrix }>();
  const add = (file: string, argument: string, scores: Matrix | undefined): void => {
    if (scores !== undefined && !files.has(file)) files.set(file, { argument, file, scores });
  };
  const [first] = inputs.pools.values();
  add(config.modelScores, 'modelScores', first?.modelScores);
  for (const setting of config.settings) {
    const where = `surrogates.${setting.surrogate}`;
    if (setting.surrogateScores !== null)
      add(setting.surrogateScores, `${where}.scores`, inputs.pools.get(setting.surrogateScores)?.surrogateScores);
    const calibration = setting.surrogate === null ? undefined : inputs.calibrations.get(setting.surrogate);
    if (setting.calibration !== null && calibration !== undefined) {
      add(setting.calibration.scores, `${where}.calibration.scores`, matrixView(calibration.scores, `${where}.calibration.scores`));
    }
  }
  return [...files.values()];
}

/** A calibration set as `loadCalibrationSet` reads it. */
type CalibrationSet = Awaited<ReturnType<typeof loadCalibrationSet>>;

interface NamedCalibrationSet {
  argument: string;
  file: string;
  calibration: CalibrationSet;
  /** The pool of the surrogate it calibrates. */
  pool: LoadedPool | undefined;
}

/**
 * Each surrogate's calibration set, once, named by its grid key and its scores file: the temperature
 * fitted on it may be an end of its search range rather than a fitted value, which is warned of.
 */
function calibrationSets(config: ExperimentConfig, inputs: ExperimentInputs): NamedCalibrationSet[] {
  const sets = new Map<string, NamedCalibrationSet>();
  for (const setting of config.settings) {
    if (setting.calibration === null || setting.surrogate === null || sets.has(setting.surrogate)) continue;
    const calibration = inputs.calibrations.get(setting.surrogate);
    if (calibration === undefined) continue;
    const pool = inputs.pools.get(setting.surrogateScores);
    sets.set(setting.surrogate, {
      argument: `surrogates.${setting.surrogate}.calibration`,
      file: setting.calibration.scores,
      calibration,
      pool,
    });
  }
  return [...sets.values()];
}

/** Everything that determines a setting's results: its options and the bytes of the files it reads. */
function settingFingerprint(config: SizedExperimentConfig, setting: SizedSetting, hashes: ReadonlyMap<string, string>): string {
  const rows = recordedRowCount(setting.size, config.step, config.numerics);
  const identity = {
    options: simulationOptionsFor(config, setting),
    modelScores: hashes.get(config.modelScores),
    labels: hashes.get(config.labels),
    surrogateScores: setting.surrogateScores ? hashes.get(setting.surrogateScores) : null,
    // Only when set, as above: the intervals' files are part of the results.
    ...(config.interval.length === 0 ? {} : { interval: config.interval }),
    ...(setting.calibration === null
      ? {}
      : { calibration: [hashes.get(setting.calibration.scores), hashes.get(setting.calibration.labels)] }),
    // Only where a last row was added to the published ones, so that a setting finished before it
    // (without that row) is stale while the others keep their fingerprints.
    ...(rows === Math.ceil(setting.size / config.step) ? {} : { rows }),
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** Deletes the temporary files of atomic writes that a killed process left in a setting's folder. */
async function removeInterruptedWrites(folder: string): Promise<void> {
  if (!existsSync(folder)) return;
  const leftovers = (await readdir(folder)).filter((name) => name.startsWith('.') && name.endsWith('.tmp'));
  await Promise.all(leftovers.map((name) => rm(join(folder, name), { force: true })));
}

/** What `finishedState` found, and the first file of a finished setting found missing or damaged. */
interface FoundState {
  state: 'finished' | 'unfinished' | 'stale';
  damaged?: { name: string; reason: string };
}

/**
 * Whether a setting's folder holds its finished results: `setting.json` with this fingerprint and
 * every output the setting wrote, whole (a finished setting with a file missing or cut short is
 * computed again, and `damaged` names the file), or results of another configuration (`stale`;
 * unfinished under `force`). An unreadable `setting.json` is refused unless `force`. `expected`:
 * what the setting's configuration writes, checked besides the files the marker lists (markers of
 * earlier versions list none).
 */
async function finishedState(folder: string, fingerprint: string, force: boolean, expected: readonly string[]): Promise<FoundState> {
  const markerPath = join(folder, SETTING_MARKER);
  if (!existsSync(markerPath)) return { state: 'unfinished' };
  let marker: Partial<SettingMarker> | null;
  try {
    marker = JSON.parse(await readFile(markerPath, 'utf8')) as Partial<SettingMarker> | null;
  } catch (error) {
    if (force) return { state: 'unfinished' };
    const reason = (error as Error).message;
    throw new FileFormatError(markerPath, (naming) => `is not readable JSON (${reason}); ${passForce(naming, 'recompute the setting')}`);
  }
  if (marker?.fingerprint !== fingerprint) return { state: force ? 'unfinished' : 'stale' };
  const damaged = await damagedOutput(folder, marker.outputs, expected);
  return damaged === undefined ? { state: 'finished' } : { state: 'unfinished', damaged };
}

/**
 * The first of a finished setting's outputs that is missing or damaged, and how: report and users
 * read every one of them, and a `.npy` file cut short or a `summary.json` that does not parse would
 * fail there, or be read wrong, long after the run. `recorded`: the sizes the marker lists, of which
 * only a simulation's own file names count: the marker is a file like any other, and a name such as
 * `../x` would be looked up outside the folder, a made-up one would mark the setting damaged.
 */
async function damagedOutput(
  folder: string,
  recorded: Record<string, unknown> | undefined,
  expected: readonly string[],
): Promise<{ name: string; reason: string } | undefined> {
  const sizes = typeof recorded === 'object' && recorded !== null && !Array.isArray(recorded) ? recorded : {};
  const listed = Object.keys(sizes).filter((name) => (SIMULATION_FILES as readonly string[]).includes(name));
  for (const name of new Set([...expected, ...listed])) {
    const path = join(folder, name);
    const found = await stat(path).catch(() => undefined);
    if (found === undefined || !found.isFile()) return { name, reason: 'is missing' };
    const size = sizes[name];
    if (typeof size === 'number' && found.size !== size)
      return { name, reason: `holds ${found.size} bytes, not the ${size} the setting wrote` };
    try {
      if (name.endsWith('.npy')) await checkNpyFile(path);
      else if (name.endsWith('.json')) JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      return { name, reason: `is damaged (${error instanceof FileFormatError ? error.reason : (error as Error).message})` };
    }
  }
  return undefined;
}

/**
 * Refuses settings whose folders hold results of another configuration, naming the first and
 * counting the others: a changed seed or input file makes every setting stale, and a message
 * naming one of them would suggest that `force` recomputes only that one.
 */
function checkNoneStale(settings: readonly SizedSetting[], states: readonly string[], out: string): void {
  const stale = settings.filter((_, i) => states[i] === 'stale');
  const [first] = stale;
  if (first === undefined) return;
  const others = stale.slice(1).map((s) => JSON.stringify(s.name));
  const also =
    others.length === 0
      ? ''
      : `, as do the folders of ${formatCount(others.length, 'other setting')} (${others.length > 3 ? `${others.slice(0, 3).join(', ')}, …` : others.join(', ')})`;
  throw new OutputExistsError(
    join(out, first.folder),
    (naming) =>
      `holds results of another configuration or other input files${also}; ${passForce(naming, others.length === 0 ? 'recompute it' : 'recompute them')}`,
  );
}

function asMatrixInput(matrix: Matrix): { data: Float64Array; shape: readonly [number, number] } {
  return { data: matrix.data, shape: [matrix.rows, matrix.cols] };
}
