import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { FileFormatError } from '../errors.js';
import { readNpy } from '../io/npy.js';
import type { Matrix } from '../matrix.js';
import { EXPERIMENT_MANIFEST, SETTING_MARKER, settingName, type ExperimentManifest } from '../experiment/manifest.js';
import type { ReportSetting } from './setting.js';

const SUMMARY = 'summary.json';

/**
 * Reads the settings a report covers. Each folder is one `simulate` output (with `summary.json`
 * and `estimates.npy`), an `experiment` output (with `experiment.json`), which stands for all of
 * its finished settings, or a folder whose sub-folders are `simulate` outputs (`simulate --demo`).
 * Names come from the experiment, or are built from each simulation's configuration, made unique
 * with the folder name where two would clash.
 *
 * @example
 * const settings = await loadReportSettings(['runs/grid', 'runs/ase']);
 */
export async function loadReportSettings(dirs: readonly string[]): Promise<ReportSetting[]> {
  const settings: ReportSetting[] = [];
  for (const dir of dirs.map((d) => resolve(d))) {
    const manifestPath = join(dir, EXPERIMENT_MANIFEST);
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ExperimentManifest;
      for (const entry of manifest.settings) {
        const folder = join(dir, entry.folder);
        if (!existsSync(join(folder, SETTING_MARKER))) continue;
        settings.push(await loadSimulation(folder, entry.name, entry.labelOffset));
      }
    } else if (existsSync(join(dir, SUMMARY)) || !existsSync(dir)) {
      settings.push(await loadSimulation(dir));
    } else {
      for (const folder of await simulationSubfolders(dir)) settings.push(await loadSimulation(folder));
    }
  }
  if (settings.length === 0) {
    throw new FileFormatError(dirs.join(', '), 'holds no finished simulation (expected summary.json and estimates.npy, or experiment.json)');
  }
  return uniqueNames(settings);
}

/** Sub-folders holding simulate outputs, e.g. those of `simulate --demo`, in name order. */
async function simulationSubfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, SUMMARY)) && existsSync(join(dir, e.name, 'estimates.npy')))
    .map((e) => join(dir, e.name))
    .sort();
}

interface SimulationSummary {
  true_risk: number;
  labels?: number[];
  /** Numbers, with non-finite ones written as "NaN" etc. */
  variance_ratio?: Array<number | string>;
  config?: Record<string, unknown>;
}

async function loadSimulation(dir: string, name?: string, labelOffset = 0): Promise<ReportSetting> {
  const summaryPath = join(dir, SUMMARY);
  let summary: SimulationSummary;
  try {
    summary = JSON.parse(await readFile(summaryPath, 'utf8')) as SimulationSummary;
  } catch (error) {
    throw new FileFormatError(summaryPath, `cannot read a simulation summary: ${(error as Error).message}`);
  }
  if (typeof summary.true_risk !== 'number') throw new FileFormatError(summaryPath, 'has no numeric "true_risk"');
  const config = summary.config ?? {};
  const estimates = await readMatrix(join(dir, 'estimates.npy'));
  const variancePath = join(dir, 'bootstrap_variance.npy');
  const bootstrapVariance = existsSync(variancePath) ? await readMatrix(variancePath) : undefined;
  if (bootstrapVariance && (bootstrapVariance.rows !== estimates.rows || bootstrapVariance.cols !== estimates.cols)) {
    throw new FileFormatError(variancePath, `has shape [${bootstrapVariance.rows}, ${bootstrapVariance.cols}], estimates.npy has [${estimates.rows}, ${estimates.cols}]`);
  }
  const labels = rowLabels(summary, estimates.rows, summaryPath);
  const varianceRatio = rowVarianceRatio(summary, estimates.rows, summaryPath);
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
    labels,
    labelOffset,
    estimates,
    ...(bootstrapVariance ? { bootstrapVariance } : {}),
    ...(varianceRatio ? { varianceRatio } : {}),
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

function rowLabels(summary: SimulationSummary, rows: number, summaryPath: string): Float64Array {
  if (Array.isArray(summary.labels)) {
    if (summary.labels.length !== rows) {
      throw new FileFormatError(summaryPath, `"labels" has ${summary.labels.length} entries, estimates.npy has ${rows} rows`);
    }
    return Float64Array.from(summary.labels);
  }
  const step = Number(summary.config?.step ?? 1);
  return Float64Array.from({ length: rows }, (_, k) => k * step + 1);
}

async function readMatrix(path: string): Promise<Matrix> {
  const array = await readNpy(path);
  if (array.shape.length !== 2 || (array.dtype !== 'f8' && array.dtype !== 'f4')) {
    throw new FileFormatError(path, `expected a 2-D float array (rows × runs), got ${array.dtype} of shape [${array.shape.join(', ')}]`);
  }
  const data = array.data instanceof Float64Array ? array.data : Float64Array.from(array.data as Float32Array);
  return { data, rows: array.shape[0] as number, cols: array.shape[1] as number };
}

function uniqueNames(settings: ReportSetting[]): ReportSetting[] {
  const counts = new Map<string, number>();
  for (const s of settings) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  return settings.map((s) => ((counts.get(s.name) ?? 0) > 1 ? { ...s, name: `${s.name} [${basename(s.dir)}]` } : s));
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}
