import { type Dirent, existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { FileFormatError, InputError, ReceivedKind } from '../errors.js';
import { withoutByteOrderMark } from '../io/byte-order-mark.js';
import { readNpy } from '../io/npy.js';
import { unreadableFile } from '../io/unreadable.js';
import type { Matrix } from '../matrix.js';
import { EXPERIMENT_MANIFEST, SETTING_MARKER, settingName, type ExperimentManifest } from '../experiment/manifest.js';
import { INTERVAL_KINDS, type IntervalKind } from '../simulate/intervals.js';
import { runMarkIn, runsInSubfolders, SIMULATION_FILES } from '../simulate/outputs.js';
import type { ReportSetting, SettingIntervals } from './setting.js';
import { formatCount } from '../io/format-count.js';

const SUMMARY = 'summary.json';

/**
 * Reads the settings a report covers. Each folder is one `simulate` output (with `summary.json`
 * and `estimates.npy`), an `experiment` output (with `experiment.json`), which stands for all of
 * its finished settings (`onUnfinished` is told of each one left out), or a folder whose
 * sub-folders are `simulate` outputs (`simulate --demo`). Runs a folder holds but its reading
 * leaves out, as a mixed folder may (runs in the sub-folders of a simulate run's folder; a simulate
 * run at the top of an experiment's, or in a sub-folder its manifest does not list, other than a
 * setting the grid dropped), are told to `onLeftOut`, a line each.
 * Names come from the experiment, or are built from each simulation's configuration, made unique
 * with the folder name where two would clash.
 *
 * @example
 * const settings = await loadReportSettings(['runs/grid', 'runs/ase']);
 */
export async function loadReportSettings(
  dirs: readonly string[],
  onUnfinished: (name: string, folder: string) => void = () => {},
  onLeftOut: (message: string) => void = () => {},
): Promise<ReportSetting[]> {
  checkInputFolders(dirs);
  const settings: ReportSetting[] = [];
  let unfinished = 0;
  // Which input each simulation was read through: one reached twice (an experiment's setting folder
  // given beside the experiment) would be two rows of the same runs.
  const readThrough = new Map<string, string>();
  const add = (setting: ReportSetting, input: string): void => {
    const earlier = readThrough.get(setting.dir);
    if (earlier !== undefined) {
      throw new InputError({
        argument: 'dirs',
        expected: 'each simulation once (the same runs would be two rows)',
        received: ReceivedKind.noted(setting.dir, `read through ${JSON.stringify(earlier)} and ${JSON.stringify(input)}`),
      });
    }
    readThrough.set(setting.dir, input);
    settings.push(setting);
  };
  for (const input of dirs) {
    const dir = resolve(input);
    const manifestPath = join(dir, EXPERIMENT_MANIFEST);
    if (existsSync(manifestPath)) {
      const manifest = await readManifest(manifestPath);
      for (const entry of manifest.settings) {
        const folder = join(dir, entry.folder);
        // A setting counts once it is marked finished and still holds its outputs (an experiment
        // run again computes one whose outputs are gone).
        if (!existsSync(join(folder, SETTING_MARKER)) || !existsSync(join(folder, SUMMARY)) || !existsSync(join(folder, ESTIMATES))) {
          onUnfinished(entry.name, folder);
          unfinished++;
          continue;
        }
        add(await loadExperimentSetting(folder, entry.name, entry.labelOffset), dir);
      }
      const run = SIMULATION_ARRAYS_WITH_ESTIMATES.find((name) => existsSync(join(dir, name)));
      if (run !== undefined) {
        onLeftOut(
          `left out the simulate run at the top of ${input} (its ${run}): an experiment's folder is read through ${EXPERIMENT_MANIFEST} alone; move the run's files to a folder of their own to report them`,
        );
      }
      // A setting the grid dropped under --force keeps its folder and marker on purpose: not told of.
      const listed = new Set(manifest.settings.map((entry) => entry.folder));
      const unlisted = runsInSubfolders(dir)
        .filter((name) => !listed.has(name) && !existsSync(join(dir, name, SETTING_MARKER)))
        .map((name) => join(input, name));
      if (unlisted.length > 0) {
        onLeftOut(
          `left out the runs in ${unlisted.join(', ')}: the experiment in ${input} does not list them, and its folder is read through ${EXPERIMENT_MANIFEST} alone; give them as input folders to report them`,
        );
      }
    } else if (existsSync(join(dir, SUMMARY)) || !existsSync(dir) || existsSync(join(dir, ESTIMATES))) {
      await checkSettingFinished(dir);
      add(await loadSimulation(dir), dir);
      const below = runsInSubfolders(dir).map((name) => join(input, name));
      if (below.length > 0) {
        onLeftOut(
          `left out the runs in ${below.join(', ')}: ${input} holds a simulate run of its own, which is what report reads there; give them as input folders to report them`,
        );
      }
    } else {
      const folders = await simulationSubfolders(dir);
      // Refused also beside other inputs: left out, the report would look complete without it.
      if (folders.length === 0) throw new FileFormatError(input, NO_SIMULATION);
      for (const folder of folders) add(await loadSimulation(folder), dir);
    }
  }
  if (settings.length === 0) {
    throw new FileFormatError(
      dirs.join(', '),
      unfinished > 0
        ? `holds no finished simulation: none of the experiment's ${formatCount(unfinished, 'setting')} has finished (run the experiment again to finish them)`
        : NO_SIMULATION,
    );
  }
  checkSamePool(settings);
  return uniqueNames(settings);
}

const ESTIMATES = 'estimates.npy';

/**
 * Refuses an experiment's setting folder given on its own while it is not marked finished: its
 * files may be those of another grid, kept until a `--force` run stopped part-way reaches it, or of
 * a run stopped while writing them. Read through its experiment, it would be left out.
 */
async function checkSettingFinished(dir: string): Promise<void> {
  const experiment = dirname(dir);
  const manifestPath = join(experiment, EXPERIMENT_MANIFEST);
  if (experiment === dir || !existsSync(manifestPath) || existsSync(join(dir, SETTING_MARKER))) return;
  let listed: unknown;
  try {
    listed = (JSON.parse(withoutByteOrderMark(await readFile(manifestPath, 'utf8'))) as { settings?: unknown } | null)?.settings;
  } catch {
    // A manifest that cannot be read names no setting: the folder is read as a simulate run.
    return;
  }
  const entry = Array.isArray(listed) ? listed.find((s) => (s as { folder?: unknown } | null)?.folder === basename(dir)) : undefined;
  if (entry === undefined) return;
  throw new FileFormatError(
    dir,
    `is a setting of the experiment in ${experiment} that has not finished (no ${SETTING_MARKER}: its files may be another grid's or a stopped run's); run the experiment again to finish it`,
  );
}

const NO_SIMULATION = 'holds no finished simulation (expected summary.json and estimates.npy, or experiment.json)';

/** An experiment's manifest, refused in one line when it is not JSON or lists no settings. */
async function readManifest(path: string): Promise<ExperimentManifest> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(withoutByteOrderMark(await readFile(path, 'utf8')));
  } catch (error) {
    throw new FileFormatError(path, `is not readable JSON (${(error as Error).message})`);
  }
  const settings = (manifest as { settings?: unknown } | null)?.settings;
  const wellFormed =
    Array.isArray(settings) &&
    settings.every(
      (entry) => typeof (entry as { folder?: unknown })?.folder === 'string' && typeof (entry as { name?: unknown }).name === 'string',
    );
  if (!wellFormed) throw new FileFormatError(path, 'is not an experiment manifest (a settings list of { name, folder, … })');
  return manifest as ExperimentManifest;
}

/**
 * Refuses, before anything is read, an empty path, inputs that are missing or files rather than
 * folders, and a folder given twice (it would be two rows of the same runs).
 *
 * @example
 * checkInputFolders(['runs/a', 'runs/b']);
 * @throws InputError naming the file, or the folder given twice.
 */
export function checkInputFolders(dirs: readonly string[]): void {
  if (!Array.isArray(dirs) || dirs.length === 0 || !dirs.every((dir) => typeof dir === 'string')) {
    throw new InputError({
      argument: 'dirs',
      expected: 'a non-empty list of simulate or experiment output folders',
      received: dirs,
    });
  }
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    // An empty path would resolve to the working directory, which the user did not name.
    if (dir.trim() === '') throw new InputError({ argument: 'dirs', expected: 'simulate or experiment output folders', received: dir });
    const path = resolve(dir);
    // A missing folder would be created by the report's output lock and then found empty.
    if (!existsSync(path)) {
      throw new InputError({
        argument: 'dirs',
        expected: 'simulate or experiment output folders',
        received: ReceivedKind.noted(dir, 'it does not exist'),
      });
    }
    if (!statSync(path).isDirectory()) {
      throw new InputError({
        argument: 'dirs',
        expected: 'simulate or experiment output folders',
        received: ReceivedKind.noted(dir, 'it is a file'),
      });
    }
    const earlier = seen.get(path);
    if (earlier !== undefined) {
      throw new InputError({
        argument: 'dirs',
        expected: 'each folder once (the same runs would be two rows)',
        received: earlier === dir ? ReceivedKind.noted(dir, 'twice') : ReceivedKind.noted([earlier, dir], 'the same folder'),
      });
    }
    seen.set(path, dir);
  }
}

/**
 * Refuses a report folder that would replace results: one of the input folders, or a folder
 * holding a simulation's or an experiment's outputs (its `summary.json` is the report's name too),
 * even with `force`, which only replaces an earlier report.
 *
 * @example
 * checkReportOutput('runs/a/report', ['runs/a']); // fine
 * checkReportOutput('runs/a', ['runs/a']); // throws
 * @throws InputError naming `out` and the results it would replace.
 */
export function checkReportOutput(out: string, dirs: readonly string[]): void {
  const path = resolve(out);
  if (dirs.some((dir) => resolve(dir) === path)) {
    throw new InputError({ argument: 'out', expected: 'a folder other than the input folders', received: out });
  }
  // Any of a run's arrays, not only estimates.npy: a run folder that lost that one still has its
  // summary.json, which the report's would replace.
  const results = runMarkIn(path);
  if (results !== undefined) {
    throw new InputError({
      argument: 'out',
      expected: 'a folder without simulate or experiment outputs (a report there would replace their summary.json)',
      received: ReceivedKind.noted(out, `it holds ${results}`),
    });
  }
}

/** Runs on different pools (other scores, labels or pool size), or of different losses, cannot share one table: their true risks and errors do not compare. */
function checkSamePool(settings: readonly ReportSetting[]): void {
  const pool = (s: ReportSetting) => s.pool?.fingerprint ?? `N = ${s.pool?.size}`;
  for (const [i, a] of settings.entries()) {
    for (const b of settings.slice(i + 1)) {
      if (a.loss !== undefined && b.loss !== undefined && a.loss !== b.loss) {
        throw new InputError({
          argument: 'dirs',
          expected: 'runs of one loss (report each loss separately)',
          received: ReceivedKind.noted([a.dir, b.dir], `losses ${a.loss} and ${b.loss}`),
        });
      }
      const differ =
        (a.pool?.fingerprint !== undefined && b.pool?.fingerprint !== undefined && a.pool.fingerprint !== b.pool.fingerprint) ||
        (a.pool?.size !== undefined && b.pool?.size !== undefined && a.pool.size !== b.pool.size);
      if (differ) {
        throw new InputError({
          argument: 'dirs',
          expected: 'runs on one pool (report different pools separately)',
          received: ReceivedKind.noted([a.dir, b.dir], `runs on different pools: ${pool(a)} and ${pool(b)}`),
        });
      }
    }
  }
}

/**
 * Sub-folders holding simulate outputs, e.g. those of `simulate --demo`, in name order. One that
 * holds a simulation's summary and arrays but not its estimates is refused: left out, the report
 * would look complete without it, and so is one holding an experiment, which is read only when named. (A
 * summary alone may be a report's, as `--demo` writes beside its runs.)
 */
async function simulationSubfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const has = (e: Dirent, name: string) => existsSync(join(dir, e.name, name));
  const interrupted = entries.find((e) => e.isDirectory() && !has(e, SUMMARY) && has(e, ESTIMATES));
  if (interrupted !== undefined) throw interruptedRun(join(dir, interrupted.name));
  const withoutEstimates = entries.find(
    (e) => e.isDirectory() && has(e, SUMMARY) && !has(e, ESTIMATES) && SIMULATION_ARRAYS.some((name) => has(e, name)),
  );
  if (withoutEstimates !== undefined) {
    throw new FileFormatError(
      join(dir, withoutEstimates.name),
      `holds a simulate run's ${SUMMARY} without its ${ESTIMATES}, which report reads; run the simulation again, replacing its outputs, or move the folder out of ${dir}`,
    );
  }
  // An experiment is read through its experiment.json only where it is named itself: skipped here,
  // its settings would drop out of a report that looks complete.
  const experiment = entries.find((e) => e.isDirectory() && has(e, EXPERIMENT_MANIFEST));
  if (experiment !== undefined) {
    const path = join(dir, experiment.name);
    throw new FileFormatError(
      path,
      `holds an experiment (${EXPERIMENT_MANIFEST}), which report reads only when it is an input folder itself; give it and the other runs of ${dir} as input folders, or move it out of ${dir}`,
    );
  }
  return entries
    .filter((e) => e.isDirectory() && has(e, SUMMARY) && has(e, ESTIMATES))
    .map((e) => join(dir, e.name))
    .sort();
}

/** The arrays of a simulate run besides its estimates. */
const SIMULATION_ARRAYS = SIMULATION_FILES.filter((name) => name !== SUMMARY && name !== ESTIMATES);

/** The arrays of a simulate run: one of them at the top of an experiment's folder is a run there. */
const SIMULATION_ARRAYS_WITH_ESTIMATES = [ESTIMATES, ...SIMULATION_ARRAYS];

interface SimulationSummary {
  true_risk: number;
  labels?: unknown;
  /** Numbers, with non-finite ones written as "NaN" etc. */
  variance_ratio?: Array<number | string>;
  /** Per interval kind (`simulate --interval`); numbers may be written as "NaN" etc. */
  intervals?: Record<string, { labels?: unknown[]; coverage?: unknown; simultaneous_coverage?: unknown; median_half_width?: unknown }>;
  config?: Record<string, unknown>;
}

async function loadSimulation(dir: string, name?: string, labelOffset = 0): Promise<ReportSetting> {
  const summaryPath = join(dir, SUMMARY);
  if (!existsSync(summaryPath) && existsSync(join(dir, ESTIMATES))) throw interruptedRun(dir);
  const text = await readFile(summaryPath, 'utf8').catch((error: unknown) => {
    throw unreadableFile(summaryPath, error, 'a simulation summary');
  });
  let summary: SimulationSummary | null;
  try {
    summary = JSON.parse(withoutByteOrderMark(text)) as SimulationSummary | null;
  } catch (error) {
    throw new FileFormatError(summaryPath, `cannot read a simulation summary: ${(error as Error).message}`);
  }
  // `null` parses as JSON too, and has no fields to read.
  if (typeof summary?.true_risk !== 'number') throw new FileFormatError(summaryPath, 'has no numeric "true_risk"');
  const config = summary.config ?? {};
  const estimates = await readMatrix(join(dir, 'estimates.npy'));
  const variancePath = join(dir, 'bootstrap_variance.npy');
  const bootstrapVariance = existsSync(variancePath) ? await readMatrix(variancePath) : undefined;
  // A run with a bootstrap writes its variances beside its estimates: gone, its error bars would
  // drop out of the report without a word, as if it had run without one.
  if (bootstrapVariance === undefined && config.bootstrap !== undefined && config.bootstrap !== 'none') {
    // An experiment's setting (named) gets the experiment's way to compute it again from loadExperimentSetting.
    const fix = name === undefined ? '; run the simulation again, replacing its outputs (simulate --force)' : '';
    throw new FileFormatError(
      variancePath,
      `is missing, though summary.json records the run's bootstrap (${JSON.stringify(config.bootstrap)}): without it the report would leave out its bootstrap error bars and their coverage${fix}`,
    );
  }
  if (bootstrapVariance && (bootstrapVariance.rows !== estimates.rows || bootstrapVariance.cols !== estimates.cols)) {
    throw new FileFormatError(
      variancePath,
      `has shape [${bootstrapVariance.rows}, ${bootstrapVariance.cols}], estimates.npy has [${estimates.rows}, ${estimates.cols}]`,
    );
  }
  const labels = rowLabels(summary, estimates.rows, summaryPath);
  const varianceRatio = rowVarianceRatio(summary, estimates.rows, summaryPath);
  const intervals = rowIntervals(summary, labels, summaryPath);
  const acquisition = String(config.acquisition ?? 'unknown');
  const estimator = String(config.estimator ?? 'unknown');
  return {
    name:
      name ??
      settingName({
        acquisition,
        estimator,
        clip: numberOrNull(config.clip ?? config.clipPercentage),
        temperature: numberOrNull(config.temperature),
        defensive: numberOrNull(config.defensive),
      }),
    dir,
    acquisition,
    estimator,
    trueRisk: summary.true_risk,
    ...(typeof config.loss === 'string' ? { loss: config.loss } : {}),
    pool: poolOf(config),
    labels,
    ...(Number.isSafeInteger(config.step) && (config.step as number) >= 1 ? { step: config.step as number } : {}),
    labelOffset,
    estimates,
    ...(bootstrapVariance ? { bootstrapVariance } : {}),
    ...(varianceRatio ? { varianceRatio } : {}),
    ...(intervals ? { intervals } : {}),
  };
}

/**
 * A finished setting of an experiment; a damaged file of it is named with the way to compute it
 * again (the experiment keeps a setting marked finished, also under `force`).
 */
async function loadExperimentSetting(folder: string, name: string, labelOffset: number): Promise<ReportSetting> {
  try {
    return await loadSimulation(folder, name, labelOffset);
  } catch (error) {
    if (!(error instanceof FileFormatError)) throw error;
    throw new FileFormatError(
      error.path,
      `${error.message.slice(error.path.length + 2)}; to compute the setting again, delete ${join(folder, SETTING_MARKER)} and run the experiment again`,
    );
  }
}

function interruptedRun(dir: string): FileFormatError {
  return new FileFormatError(
    dir,
    `holds an interrupted simulate run (${ESTIMATES} without ${SUMMARY}, which is written last); run the simulation again, replacing its outputs`,
  );
}

/** The pool a run estimated on, as far as its summary says: the fingerprint of its scores and labels, and its size. */
function poolOf(config: Record<string, unknown>): ReportSetting['pool'] {
  return {
    ...(typeof config.poolFingerprint === 'string' ? { fingerprint: config.poolFingerprint } : {}),
    ...(typeof config.poolSize === 'number' ? { size: config.poolSize } : {}),
  };
}

function rowVarianceRatio(summary: SimulationSummary, rows: number, summaryPath: string): Float64Array | undefined {
  const ratios = summary.variance_ratio;
  if (ratios === undefined) return undefined;
  if (!Array.isArray(ratios) || ratios.length !== rows) {
    throw new FileFormatError(summaryPath, `"variance_ratio" must have one entry per row of estimates.npy (${rows})`);
  }
  return Float64Array.from(ratios, (r) => Number(r));
}

/**
 * summary.json's `intervals`, checked: known kinds only, and one coverage and one half-width per
 * row, or per entry of the kind's own `labels` (label counts of recorded rows) when it has them.
 */
function rowIntervals(summary: SimulationSummary, labels: Float64Array, summaryPath: string): ReportSetting['intervals'] {
  const recorded = summary.intervals;
  if (recorded === undefined) return undefined;
  if (recorded === null || typeof recorded !== 'object' || Array.isArray(recorded)) {
    throw new FileFormatError(summaryPath, '"intervals" must be an object with one entry per interval kind');
  }
  const rowLabels = new Set(labels);
  const intervals: Partial<Record<IntervalKind, SettingIntervals>> = {};
  for (const [kind, entry] of Object.entries(recorded)) {
    if (!INTERVAL_KINDS.includes(kind as IntervalKind)) {
      throw new FileFormatError(
        summaryPath,
        `"intervals" has an unknown kind ${JSON.stringify(kind)} (expected ${INTERVAL_KINDS.join(', ')})`,
      );
    }
    let at = labels;
    if (entry?.labels !== undefined) {
      if (!Array.isArray(entry.labels) || !entry.labels.every((l) => rowLabels.has(Number(l)))) {
        throw new FileFormatError(summaryPath, `"intervals.${kind}.labels" must list label counts of recorded rows`);
      }
      at = Float64Array.from(entry.labels, (l) => Number(l));
    }
    const perEntry = (field: 'coverage' | 'median_half_width'): Float64Array => {
      const values = entry?.[field];
      if (!Array.isArray(values) || values.length !== at.length) {
        const what = at === labels ? `row of estimates.npy (${labels.length})` : `entry of "intervals.${kind}.labels" (${at.length})`;
        throw new FileFormatError(summaryPath, `"intervals.${kind}.${field}" must have one entry per ${what}`);
      }
      return Float64Array.from(values, (v) => Number(v));
    };
    intervals[kind as IntervalKind] = {
      labels: at,
      coverage: perEntry('coverage'),
      // The bootstrap's, which older outputs recorded, is 0 wherever the first row is at one label (no width there).
      simultaneousCoverage: kind === 'bootstrap' || entry?.simultaneous_coverage === undefined ? null : Number(entry.simultaneous_coverage),
      medianHalfWidth: perEntry('median_half_width'),
    };
  }
  return intervals;
}

function rowLabels(summary: SimulationSummary, rows: number, summaryPath: string): Float64Array {
  const recorded = summary.labels;
  // Every version of simulate and experiment records them: a summary without them was written by
  // hand, and its rows' label counts cannot be told (a last row after all labels is off the step).
  if (recorded === undefined)
    throw new FileFormatError(summaryPath, `has no "labels" (the label count of each of the ${formatCount(rows, 'row')} of estimates.npy)`);
  if (!Array.isArray(recorded))
    throw new FileFormatError(
      summaryPath,
      `"labels" must be a list of label counts, one per row of estimates.npy, got ${typeof recorded === 'object' && recorded !== null ? 'an object' : JSON.stringify(recorded)}`,
    );
  if (recorded.length !== rows) {
    throw new FileFormatError(
      summaryPath,
      `"labels" has ${formatCount(recorded.length, 'entry', 'entries')}, estimates.npy has ${formatCount(rows, 'row')}`,
    );
  }
  recorded.forEach((count: unknown, row) => {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
      throw new FileFormatError(summaryPath, `"labels" must be whole numbers ≥ 1, got ${JSON.stringify(count)} for row ${row + 1}`);
    // The table and figures read a row as the estimate after that many labels, each after more than the last.
    if (row > 0 && count <= (recorded[row - 1] as number))
      throw new FileFormatError(
        summaryPath,
        `"labels" must increase row by row, got ${count} after ${recorded[row - 1] as number} (row ${row + 1})`,
      );
  });
  return Float64Array.from(recorded as number[]);
}

async function readMatrix(path: string): Promise<Matrix> {
  const array = await readNpy(path);
  if (array.shape.length !== 2 || (array.dtype !== 'f8' && array.dtype !== 'f4')) {
    throw new FileFormatError(path, `expected a 2-D float array (rows × runs), got ${array.dtype} of shape [${array.shape.join(', ')}]`);
  }
  const data = array.data instanceof Float64Array ? array.data : Float64Array.from(array.data as Float32Array);
  return { data, rows: array.shape[0] as number, cols: array.shape[1] as number };
}

/**
 * Names made unique: a name shared by several settings gets the shortest end of each one's folder
 * path that tells them apart (`iid`, else `x/iid`, …), as two grids write settings of one name
 * into folders of one name. The figures draw a series per name, so two settings of one name would
 * be drawn as one.
 */
function uniqueNames(settings: ReportSetting[]): ReportSetting[] {
  const named = settings.map((s) => ({ ...s }));
  const taken = (name: string) => named.filter((s) => s.name === name).length;
  const clashing = [...new Set(named.map((s) => s.name))].filter((name) => taken(name) > 1);
  for (const name of clashing) {
    const group = named.filter((s) => s.name === name);
    const parts = group.map((s) => s.dir.split(sep).filter((part) => part !== ''));
    const longest = Math.max(...parts.map((p) => p.length));
    for (let depth = 1; depth <= longest; depth++) {
      const labels = parts.map((p) => `${name} [${p.slice(-depth).join('/')}]`);
      const unique = new Set(labels).size === labels.length && labels.every((label) => taken(label) === 0);
      if (unique || depth === longest) {
        group.forEach((s, i) => (s.name = labels[i] as string));
        break;
      }
    }
  }
  return named;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}
