import { basename, join, relative, resolve } from 'node:path';
import { CancelledError, InputError } from '../errors.js';
import { assertOutputsWritable, checkInterruptedOutputs, writeOutputFolder, type OutputFile } from '../io/atomic.js';
import { withOutputLock } from '../io/output-lock.js';
import {
  checkSamePool,
  type ErrorMetric,
  relativeToRandom,
  labellingCostVsRandom,
  type SettingCurves,
  settingCurvesInBlocks,
  smoothCurve,
} from './curves.js';
import { toJson } from '../io/json.js';
import { checkInputFolders, checkReportOutput, loadReportSettings } from './load.js';
import { renderFigure } from './render.js';
import { INTERVAL_GUARANTEES, INTERVAL_NAMES, type ReportSetting, reportOrder, settingKind } from './setting.js';
import { BOOTSTRAP_Z } from '../metrics/index.js';
import { checkOption, optionNames } from '../options/index.js';
import { checkKnownKeys } from '../io/suggest.js';
import { INTERVAL_KINDS, type IntervalKind } from '../simulate/intervals.js';
import { YIELD_INTERVAL_MS } from '../simulate/run-block.js';
import {
  type BootstrapPoint,
  bootstrapSpec,
  type ErrorPoint,
  halfWidthSpec,
  intervalCoverageSpec,
  type IntervalPoint,
  type RelativePoint,
  relativeSpec,
  squaredErrorSpec,
  type VegaLiteSpec,
} from './specs.js';
import { summaryMarkdown, summaryTable, type SummaryTable } from './table.js';
import { formatCount } from '../io/format-count.js';

/** Options of `writeReport`. */
export interface ReportOptions {
  /** Output folder (created if missing). */
  out: string;
  /** Replace an earlier report in `out`. Default false: existing report files are refused. */
  force?: boolean;
  /** Label counts of the summary table. Default 50, 100, 200, 400 (the most labels recorded, for runs of fewer than 50). */
  thresholds?: readonly number[];
  /** Name of the random-labelling setting to compare with; default the first `iid` one. */
  baseline?: string;
  /** Window of the trailing moving average applied to the relative and coverage curves of the figures (1 = none; the table is never smoothed). Default 1. */
  smoothing?: number;
  /** Width of the bootstrap interval in σ for coverage. Default 1.96, the paper's 95% interval. */
  confidence?: number;
  /** Called after each figure is written. */
  onProgress?: (done: number, total: number, figure: string) => void;
  /** Called for each setting of an experiment that is left out because it has not finished. */
  onUnfinished?: (name: string, folder: string) => void;
  /** Stops the report (`CancelledError`) between blocks of a setting's rows, between its figures or before its files are renamed into place; nothing of it is written. */
  signal?: AbortSignal;
}

/** What `writeReport` wrote. */
export interface ReportResult {
  /** Absolute paths of every file written. */
  files: string[];
  /** The summary table (also in `summary.json`). */
  table: SummaryTable;
  /** The Markdown page with the table and the figures. */
  summaryPath: string;
  /**
   * The settings of an experiment left out as unfinished (its name and folder), as `summary.md`
   * and `summary.json` list them: a report of a grid still running is not the whole grid.
   */
  unfinished: { name: string; folder: string }[];
  /**
   * A line for each input folder that holds runs its reading leaves out (a mixed folder: runs in
   * the sub-folders of a simulate run's folder; a simulate run at the top of an experiment's, or in
   * a sub-folder its manifest does not list), as `summary.md` and `summary.json` list them.
   */
  leftOut: string[];
}

/** Every file a report can contain, so that `force` leaves no stale figure behind. */
const FIGURES = [
  'squared-error',
  'relative-error',
  'relative-cost',
  'bootstrap',
  ...INTERVAL_KINDS.flatMap((kind) => [coverageFigure(kind), halfWidthFigure(kind)]),
] as const;
const REPORT_FILES = ['summary.md', 'summary.json', ...FIGURES.flatMap((f) => [`${f}.vl.json`, `${f}.svg`, `${f}.png`])];

/**
 * Reads `simulate` / `experiment` output folders and writes the report into `options.out`:
 * figures (SVG, PNG and their Vega-Lite `.vl.json`) of the squared error, the error and the
 * labelling cost relative to random labelling, the bootstrap error bars and their coverage,
 * for simulations that recorded intervals (`simulate --interval`) the coverage and the median
 * half-width of each interval kind, and the summary table as `summary.md` and `summary.json`. All files appear together or not at
 * all; `summary.json` is renamed last (`summary.md` just before it), so a folder without it is unfinished.
 *
 * @example
 * const { summaryPath } = await writeReport(['runs/grid'], { out: 'runs/grid/report' });
 */
export async function writeReport(dirs: readonly string[], options: ReportOptions): Promise<ReportResult> {
  checkReportOptions(options);
  const out = resolve(options.out);
  // Refuse before the rendering work, not after it.
  checkInputFolders(dirs);
  checkReportOutput(out, dirs);
  // Locked from its checks to the last rename: two reports into one folder would both pass the
  // checks and then replace (or mix their files with) each other's.
  return withOutputLock(out, () => writeReportLocked(dirs, options, out), 'out');
}

async function writeReportLocked(dirs: readonly string[], options: ReportOptions, out: string): Promise<ReportResult> {
  await checkInterruptedOutputs(out, REPORT_FILES, 'summary.json', { force: options.force, what: 'report' });
  await assertOutputsWritable(out, REPORT_FILES, { force: options.force ?? false });
  // Named in summary.md and summary.json too: read later, a report of a grid still running would look complete.
  const unfinished: { name: string; folder: string }[] = [];
  const leftOut: string[] = [];
  const settings = reportOrder(
    await loadReportSettings(
      dirs,
      (name, folder) => {
        unfinished.push({ name, folder });
        options.onUnfinished?.(name, folder);
      },
      (message) => leftOut.push(message),
    ),
  );
  checkSamePool(settings);
  // Refused before the curves, which take seconds per large setting.
  const baselineSetting = chooseBaseline(settings, options.baseline);
  const confidence = options.confidence ?? BOOTSTRAP_Z;
  const smoothing = options.smoothing ?? 1;
  const stopIfCancelled = (): void => {
    if (options.signal?.aborted) throw new CancelledError('report cancelled; nothing of it was written');
  };
  // A large simulation's curves take seconds (3.7 s at 10,000 runs × 1,000 rows): the signal is
  // served (every YIELD_INTERVAL_MS) and looked at between blocks of a setting's rows, not only between figures.
  let lastYield = Date.now();
  const pause = async (): Promise<void> => {
    if (Date.now() - lastYield >= YIELD_INTERVAL_MS) {
      await new Promise((done) => setImmediate(done));
      lastYield = Date.now();
    }
    stopIfCancelled();
  };
  const curves: SettingCurves[] = [];
  for (const setting of settings) {
    await new Promise((done) => setImmediate(done));
    stopIfCancelled();
    curves.push(await settingCurvesInBlocks(setting, confidence, pause));
  }
  const baseline = curves.find((c) => c.setting === baselineSetting) ?? null;
  const table = summaryTable(curves, baseline, { ...(options.thresholds ? { thresholds: options.thresholds } : {}), confidence });

  const figures = figureSpecs(curves, baseline, smoothing, confidence);
  const files: OutputFile[] = [];
  let done = 0;
  for (const [name, spec] of figures) {
    stopIfCancelled();
    const { svg, png } = await renderFigure(spec);
    files.push(
      { name: `${name}.vl.json`, data: `${JSON.stringify(spec, null, 1)}\n` },
      { name: `${name}.svg`, data: svg },
      { name: `${name}.png`, data: png },
    );
    options.onProgress?.(++done, figures.length, name);
  }
  files.push(
    { name: 'summary.json', data: toJson({ ...table, unfinished, leftOut }) },
    {
      name: 'summary.md',
      data: summaryPage(
        table,
        figures.map(([name]) => name),
        out,
        unfinished,
        leftOut,
      ),
    },
  );
  // summary.json last and summary.md just before it, both removed first under force: a report
  // killed half-way through replacing another never shows the old summary beside new figures.
  const written = await writeOutputFolder(out, files, {
    force: options.force ?? false,
    managed: REPORT_FILES,
    commitMarker: 'summary.json',
    markerCompanions: ['summary.md'],
    signal: options.signal,
  });
  return { files: written, table, summaryPath: join(out, 'summary.md'), unfinished, leftOut };
}

/**
 * The random-labelling setting named `name` (the first one without a name): by its name in the
 * table (`Random (i.i.d.)`), by its folder's name (`random-i.i.d.`, as a grid writes it), or by
 * its acquisition (`iid`) where exactly one such setting has it.
 */
function chooseBaseline(settings: readonly ReportSetting[], name: string | undefined): ReportSetting | null {
  // The relative numbers are worded as relative to random labelling: only such a setting is a baseline.
  const random = settings.filter((s) => settingKind(s) === 'random');
  if (name === undefined) return random[0] ?? null;
  const ways = [(s: ReportSetting) => s.name, (s: ReportSetting) => basename(s.dir), (s: ReportSetting) => s.acquisition];
  for (const nameOf of ways) {
    const named = random.filter((s) => nameOf(s) === name);
    if (named.length === 1) return named[0]!;
  }
  const listed = random.map((s) => `${JSON.stringify(s.name)} (folder ${basename(s.dir)})`).join(', ');
  // A name that several settings share (`iid`, given two random-labelling settings) is ambiguous, not unknown.
  const shared = ways.some((nameOf) => random.filter((s) => nameOf(s) === name).length > 1);
  throw new InputError({
    argument: 'baseline',
    expected:
      random.length === 0
        ? 'a random-labelling (iid) setting, of which the inputs have none'
        : `${shared ? 'a name of one setting only' : 'a random-labelling setting'}, by its name, folder name or acquisition (iid, where one setting has it): ${listed}`,
    received: name,
  });
}

type Figure = [string, VegaLiteSpec];

function coverageFigure(kind: IntervalKind): string {
  return `coverage-${kind}`;
}

function halfWidthFigure(kind: IntervalKind): string {
  return `half-width-${kind}`;
}

function figureSpecs(curves: readonly SettingCurves[], baseline: SettingCurves | null, smoothing: number, confidence: number): Figure[] {
  const allSettings = curves.map((c) => c.setting.name);
  // Under the ICL-budget rule the error figures count every label spent, in-context examples included.
  const withOffsets = curves.some((c) => c.setting.labelOffset > 0);
  const spent = { allSettings, ...(withOffsets ? { xTitle: 'Labels spent (acquired + ICL examples)' } : {}) };
  const smoothed = smoothing > 1 ? `moving average over ${smoothing} rows` : null;
  const figures: Figure[] = [['squared-error', squaredErrorSpec(errorPoints(curves), spent)]];
  const others = curves.filter((c) => c !== baseline);
  // With random labelling alone there is nothing to draw relative to it.
  if (baseline && others.length > 0) {
    const suffix = smoothed ? ` (${smoothed})` : '';
    const relativeCurve = (c: SettingCurves, metric: ErrorMetric) => {
      // Only the label counts random labelling recorded too: under another --step the rest are no
      // comparison rather than gaps, and a line broken on both sides of every value draws nothing.
      const ratio = relativeToRandom(c, baseline, metric);
      const compared = ratio.flatMap((value, r) => (value === null ? [] : [r]));
      return {
        x: compared.map((r) => c.setting.labels[r] as number),
        y: smoothCurve(
          compared.map((r) => ratio[r] as number),
          smoothing,
        ),
      };
    };
    const costCurve = (c: SettingCurves, metric: ErrorMetric) => {
      const { budgets, cost } = labellingCostVsRandom(c, baseline, metric);
      return { x: budgets, y: smoothCurve(cost, smoothing) };
    };
    figures.push(
      [
        'relative-error',
        relativeSpec(relativePoints(others, relativeCurve), {
          title: `Error relative to random labelling${suffix}`,
          yTitle: 'Error ÷ random labelling error',
          xTitle: 'Number of acquired labels (active)',
          yMax: 2,
          allSettings,
        }),
      ],
      [
        'relative-cost',
        relativeSpec(relativePoints(others, costCurve), {
          title: `Relative labelling cost${suffix}`,
          yTitle: 'Labels needed ÷ random budget',
          xTitle: 'Random labelling budget (labels)',
          yMax: 1.5,
          allSettings,
        }),
      ],
    );
  }
  const bootstrapped = curves.filter((c) => c.meanBootstrapVariance && c.coverage);
  if (bootstrapped.length > 0) {
    figures.push([
      'bootstrap',
      bootstrapSpec(bootstrapPoints(bootstrapped, smoothing), { ...spent, confidence, ...(smoothed ? { coverageNote: smoothed } : {}) }),
    ]);
  }
  for (const kind of INTERVAL_KINDS) {
    const withKind = curves.filter((c) => c.setting.intervals?.[kind] !== undefined);
    if (withKind.length === 0) continue;
    const points = intervalPoints(withKind, kind, smoothing);
    const name = INTERVAL_NAMES[kind];
    figures.push(
      [
        coverageFigure(kind),
        intervalCoverageSpec(points, {
          ...spent,
          name,
          guarantee: INTERVAL_GUARANTEES[kind],
          ...(smoothed ? { coverageNote: smoothed } : {}),
        }),
      ],
      [halfWidthFigure(kind), halfWidthSpec(points, { ...spent, name })],
    );
  }
  return figures;
}

/** Points of one interval kind's figures: coverage (smoothed like the bootstrap's) and median half-width per row. */
function intervalPoints(curves: readonly SettingCurves[], kind: IntervalKind, smoothing: number): IntervalPoint[] {
  return curves.flatMap((c) => {
    const intervals = c.setting.intervals?.[kind];
    if (intervals === undefined) return [];
    const coverage = smoothCurve(Array.from(intervals.coverage), smoothing);
    return plottedRows(intervals.labels.length).map((r) => ({
      setting: c.setting.name,
      labels: intervals.labels[r] + c.setting.labelOffset,
      coverage: coverage[r] as number,
      medianHalfWidth: intervals.medianHalfWidth[r],
    }));
  });
}

function errorPoints(curves: readonly SettingCurves[]): ErrorPoint[] {
  return curves.flatMap((c) =>
    plottedRows(c.setting.labels.length).map((r) => ({
      setting: c.setting.name,
      labels: c.setting.labels[r] + c.setting.labelOffset,
      mse: c.mse[r],
      medianSe: c.medianSe[r],
      p45: c.p45[r],
      p55: c.p55[r],
    })),
  );
}

/** Points of a relative figure: the MSE-based and the median-based curve of each setting, side by side. */
function relativePoints(
  curves: readonly SettingCurves[],
  curve: (c: SettingCurves, metric: ErrorMetric) => { x: ArrayLike<number>; y: (number | null)[] },
): RelativePoint[] {
  return curves.flatMap((c) => {
    const byMse = curve(c, 'mse');
    const byMedian = curve(c, 'medianSe');
    return plottedRows(byMse.x.length).map((i) => ({
      setting: c.setting.name,
      labels: byMse.x[i] as number,
      mse: byMse.y[i] ?? null,
      medianSe: byMedian.y[i] ?? null,
    }));
  });
}

function bootstrapPoints(curves: readonly SettingCurves[], smoothing: number): BootstrapPoint[] {
  return curves.flatMap((c) => {
    const coverage = smoothCurve(Array.from(c.coverage as Float64Array), smoothing);
    return plottedRows(c.setting.labels.length).map((r) => ({
      setting: c.setting.name,
      labels: c.setting.labels[r] + c.setting.labelOffset,
      mse: c.mse[r],
      meanBootstrapVariance: (c.meanBootstrapVariance as Float64Array)[r],
      coverage: coverage[r] as number,
    }));
  });
}

/** Figures draw at most about this many points per curve; the table always uses every row. */
const MAX_POINTS_PER_CURVE = 800;

/** The rows a figure draws: all of them, or every k-th one and the last for long simulations. */
function plottedRows(rows: number): number[] {
  const stride = Math.max(1, Math.ceil(rows / MAX_POINTS_PER_CURVE));
  const picked = Array.from({ length: Math.ceil(rows / stride) }, (_, i) => i * stride);
  if (picked.at(-1) !== rows - 1) picked.push(rows - 1);
  return picked;
}

function summaryPage(
  table: SummaryTable,
  figures: readonly string[],
  out: string,
  unfinished: readonly { name: string; folder: string }[],
  leftOut: readonly string[],
): string {
  const settings = table.settings.map((s) => `- **${s.name}**: ${formatCount(s.runs, 'run')}, \`${relative(out, s.dir) || '.'}\``);
  const notFinished = unfinished.map(({ name, folder }) => `- **${name}**: \`${relative(out, folder) || '.'}\``);
  return [
    '# Active testing report',
    '',
    ...settings,
    '',
    ...(notFinished.length > 0
      ? [`Left out, not finished when the report was written (finish the experiment, then report again):`, '', ...notFinished, '']
      : []),
    ...(leftOut.length > 0
      ? ['Left out, in the input folders but not read through them:', '', ...leftOut.map((line) => `- ${line}`), '']
      : []),
    summaryMarkdown(table),
    '## Figures',
    '',
    ...figures.map((f) => `![${f}](${f}.png)\n`),
  ].join('\n');
}

/** `writeReport`'s options that are no flag of `active-testing report`. */
const REPORT_CODE_OPTIONS = ['onProgress', 'onUnfinished', 'signal'];

/**
 * Checks `writeReport`'s options as `active-testing report` checks its flags, by the option
 * schema: known names only (with a suggestion), label counts ≥ 1 each once, a window ≥ 1 and a
 * positive confidence.
 *
 * @throws {InputError} naming the option at fault.
 */
function checkReportOptions(options: ReportOptions): void {
  checkKnownKeys(options, [...optionNames('report').filter((name) => name !== 'json'), ...REPORT_CODE_OPTIONS], null);
  for (const name of ['out', 'force', 'baseline', 'thresholds', 'smoothing', 'confidence'] as const)
    checkOption(name, options[name], 'report');
  if (options.out === undefined) throw new InputError({ argument: 'out', expected: 'a non-empty string' });
}
