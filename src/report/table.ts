import { type SettingCurves, checkSettingCurves, nearestRow, relativeToRandom } from './curves.js';
import { nominalCoverage } from './nominal-coverage.js';
import { BOOTSTRAP_Z } from '../metrics/index.js';
import { INTERVAL_KINDS, type IntervalKind } from '../simulate/intervals.js';
import {
  INTERVAL_GUARANTEES,
  INTERVAL_NAMES,
  type ReportSetting,
  type SettingIntervals,
  type SettingKind,
  settingKind,
} from './setting.js';
import { formatCount } from '../io/format-count.js';
import { ROUNDING_SIZED } from './specs.js';
import { checkOption } from '../options/index.js';
import { checkArray, checkObject } from '../io/check-arguments.js';
import { checkKnownKeys } from '../io/suggest.js';
import { InputError } from '../errors.js';

/** The label counts the summary table reports by default, as in the paper's tables. */
export const DEFAULT_THRESHOLDS: readonly number[] = [50, 100, 200, 400];

/** One setting's numbers at one label count. */
export interface SummaryCell {
  /** The label count asked for. */
  threshold: number;
  /** Labels of the nearest recorded row (`null` when none is within the published rows' step of the threshold, or a run of two rows has none at it). */
  labels: number | null;
  /** 0-based row of estimates.npy the numbers come from. */
  row: number | null;
  mse: number | null;
  medianSe: number | null;
  /** MSE divided by random labelling's MSE at labels + labelOffset; null where it has no such row, or its error there is rounding (`relativeToRandom`). */
  relativeMse: number | null;
  /** Median squared error divided by random labelling's. */
  relativeMedianSe: number | null;
  /**
   * The label count (labels + labelOffset) random labelling recorded no row at, where that leaves
   * the relative numbers null: a count off its rows, such as a last row after all of a run's labels
   * where the step skips it (under the ICL budget, every setting's but the largest offset's). Absent
   * otherwise.
   */
  missingBaselineLabels?: number;
  /** Fraction of runs whose approximate bootstrap interval, estimate ± confidence·σ, contained the true risk. */
  coverage: number | null;
  /** Median over the runs where it is defined of each run's own estimate of its variance ÷ random labelling's (below 1: active testing helps). */
  varianceRatio: number | null;
  /** Per interval kind the simulation recorded (`simulate --interval`): its coverage and median half-width at this row. */
  intervals?: Partial<Record<IntervalKind, IntervalCell>>;
}

/** One interval kind's numbers at one label count. */
export interface IntervalCell {
  /** Fraction of runs whose interval contained the true risk. */
  coverage: number;
  /** Median over runs of the half-width. */
  medianHalfWidth: number;
}

/** One interval kind of a setting, named by what it guarantees. */
export interface IntervalRecord {
  /** e.g. `anytime-valid confidence sequence`. */
  name: string;
  /** What it promises at the nominal 95%. */
  guarantee: string;
  /** Fraction of runs whose interval contained the true risk at every recorded row at once; null for the bootstrap, which claims nothing about rows jointly. */
  simultaneousCoverage: number | null;
}

/** One row of the summary table. */
export interface SummarySetting {
  name: string;
  dir: string;
  kind: SettingKind;
  acquisition: string;
  estimator: string;
  labelOffset: number;
  runs: number;
  cells: SummaryCell[];
  /** Per interval kind the simulation recorded: its name, guarantee and simultaneous coverage. */
  intervals?: Partial<Record<IntervalKind, IntervalRecord>>;
}

/** The summary table, as written to `summary.json`. */
export interface SummaryTable {
  trueRisk: number;
  thresholds: number[];
  /** Name of the random-labelling setting the relative columns divide by, or `null` if none was given. */
  baseline: string | null;
  confidence: number;
  settings: SummarySetting[];
}

/**
 * The summary table: for each setting and each label count in `thresholds`, the numbers at the
 * nearest recorded row (MSE, median squared error, both relative to random labelling, coverage).
 * Settings keep the order of `curves`; without a `baseline` (null, the default) every relative
 * number is null.
 *
 * @throws {InputError} when `curves` is not an array of setting curves or `baseline` neither setting
 * curves nor null; on an unknown option, `thresholds` that are not label counts ≥ 1 (each once), or
 * a `confidence` that is not positive, as `writeReport` refuses them.
 * @example
 * const table = summaryTable(allCurves, randomCurves);
 * table.settings[1]?.cells[0]?.relativeMse; // active MSE ÷ random MSE at 50 labels
 */
export function summaryTable(
  curves: readonly SettingCurves[],
  baseline: SettingCurves | null = null,
  options: { thresholds?: readonly number[]; confidence?: number } = {},
): SummaryTable {
  checkArray(curves, 'curves', 'an array of setting curves (what settingCurves returns)');
  for (let i = 0; i < curves.length; i++) checkSettingCurves(curves[i], `curves[${i}]`);
  if (baseline !== null) checkSettingCurves(baseline, 'baseline');
  // The same options as `writeReport`'s and `active-testing report`'s, checked by the same schema.
  checkKnownKeys(options, ['thresholds', 'confidence'], null);
  checkOption('thresholds', options.thresholds, 'report');
  checkOption('confidence', options.confidence, 'report');
  const thresholds = [...(options.thresholds ?? defaultThresholds(curves))];
  const settings = curves.map((c) => summarise(c, baseline, thresholds));
  return {
    trueRisk: curves[0]?.setting.trueRisk ?? NaN,
    thresholds,
    baseline: baseline?.setting.name ?? null,
    confidence: options.confidence ?? BOOTSTRAP_Z,
    settings,
  };
}

/**
 * `DEFAULT_THRESHOLDS`, or, when every setting stops short of all of them (runs of fewer than 50
 * labels), the most labels a setting recorded: a table of empty columns would say nothing.
 */
function defaultThresholds(curves: readonly SettingCurves[]): readonly number[] {
  const reached = DEFAULT_THRESHOLDS.some((threshold) => curves.some((c) => recordedRow(c.setting, threshold) !== null));
  if (reached || curves.length === 0) return DEFAULT_THRESHOLDS;
  return [Math.max(...curves.map((c) => c.setting.labels[c.setting.labels.length - 1] as number))];
}

/** A setting's recorded label counts, and the step between its published rows where its summary records it. */
type Rows = Pick<ReportSetting, 'labels' | 'step'>;

/**
 * The row nearest `threshold` labels, when it is close enough to stand for it (`withinReach`); null
 * when the runs stop short of it.
 */
function recordedRow(rows: Rows, threshold: number): number | null {
  const row = nearestRow(rows.labels, threshold);
  return withinReach(rows.labels[row] as number, threshold, labelStep(rows)) ? row : null;
}

/**
 * Whether a row after `labels` labels may stand for the column at `threshold`: within `step` of it
 * (the published rows are after k·step + 1 labels) and under half of it away (a step of 400 does
 * not make the estimate after 1 label the one at 50).
 */
function withinReach(labels: number, threshold: number, step: number): boolean {
  return Math.abs(labels - threshold) < Math.min(step, threshold / 2);
}

/**
 * The step between the published rows: the one the summary records, or else the first gap, which
 * the rows after it repeat up to a last row after all of a run's labels where the step skipped
 * that count. Two rows without a recorded step give none (the second may be that last row, as 1
 * and `size` are under a step of `size`): each is then read at its own count only.
 */
function labelStep({ labels, step }: Rows): number {
  return step ?? (labels.length > 2 ? labels[1] - labels[0] : 1);
}

/** Whether `row` is a run's last row after all its labels, off the published rows' step. */
function isSkippedLastRow(rows: Rows, row: number): boolean {
  const { labels } = rows;
  return row > 0 && row === labels.length - 1 && (labels[row] - 1) % labelStep(rows) !== 0;
}

/**
 * The row a cell reports for `threshold`: the recorded one, unless random labelling has no row at
 * its label count (it ran with another --step) while another row within reach of the threshold
 * (the coarser of the two steps) has one, and the recorded row is not the run's last row after all
 * its labels; then that row, so that the relative columns compare as the others do rather than
 * stay empty. `compared[r]` says whether random labelling has a counterpart of row r (whatever
 * their ratio: one against a rounding error is empty, yet the row is the threshold's).
 */
function cellRow(rows: Rows, threshold: number, compared: readonly boolean[] | null, baselineStep: number): number | null {
  const row = recordedRow(rows, threshold);
  // A threshold the setting's own rows stop short of stays empty. A last row after all the run's
  // labels keeps its cell, its relative numbers empty, rather than give its column an earlier row
  // (under the ICL budget, random labelling has the last row of the largest offset's setting only).
  if (row === null || compared === null || compared[row] || isSkippedLastRow(rows, row)) return row;
  const { labels } = rows;
  let nearest = -1;
  for (let r = 0; r < labels.length; r++) {
    if (compared[r] && (nearest === -1 || Math.abs(labels[r] - threshold) < Math.abs(labels[nearest] - threshold))) nearest = r;
  }
  return nearest !== -1 && withinReach(labels[nearest] as number, threshold, Math.max(labelStep(rows), baselineStep)) ? nearest : row;
}

function summarise(curves: SettingCurves, baseline: SettingCurves | null, thresholds: readonly number[]): SummarySetting {
  const { setting } = curves;
  const relativeMse = baseline ? relativeToRandom(curves, baseline, 'mse') : null;
  const relativeMedianSe = baseline ? relativeToRandom(curves, baseline, 'medianSe') : null;
  const labels = setting.labels;
  const kinds = INTERVAL_KINDS.filter((kind) => setting.intervals?.[kind] !== undefined);
  const baselineStep = baseline ? labelStep(baseline.setting) : 1;
  const baselineLabels = new Set(baseline?.setting.labels);
  const compared = baseline ? Array.from(labels, (l) => baselineLabels.has(l + setting.labelOffset)) : null;
  const cells = thresholds.map((threshold): SummaryCell => {
    const row = cellRow(setting, threshold, compared, baselineStep);
    if (row === null) {
      return {
        threshold,
        labels: null,
        row: null,
        mse: null,
        medianSe: null,
        relativeMse: null,
        relativeMedianSe: null,
        coverage: null,
        varianceRatio: null,
      };
    }
    return {
      threshold,
      labels: labels[row],
      row,
      mse: curves.mse[row],
      medianSe: curves.medianSe[row],
      relativeMse: relativeMse?.[row] ?? null,
      relativeMedianSe: relativeMedianSe?.[row] ?? null,
      ...(compared !== null && !compared[row] ? { missingBaselineLabels: labels[row] + setting.labelOffset } : {}),
      coverage: curves.coverage?.[row] ?? null,
      varianceRatio: setting.varianceRatio?.[row] ?? null,
      ...(kinds.length > 0
        ? {
            intervals: Object.fromEntries(
              kinds.flatMap((kind) => {
                const recorded = setting.intervals?.[kind] as SettingIntervals;
                const entry = recorded.labels.indexOf(labels[row]);
                return entry === -1
                  ? []
                  : [[kind, { coverage: recorded.coverage[entry], medianHalfWidth: recorded.medianHalfWidth[entry] }]];
              }),
            ),
          }
        : {}),
    };
  });
  return {
    name: setting.name,
    dir: setting.dir,
    kind: settingKind(setting),
    acquisition: setting.acquisition,
    estimator: setting.estimator,
    labelOffset: setting.labelOffset,
    runs: setting.estimates.cols,
    cells,
    ...(kinds.length > 0
      ? {
          intervals: Object.fromEntries(
            kinds.map((kind) => [
              kind,
              {
                name: INTERVAL_NAMES[kind],
                guarantee: INTERVAL_GUARANTEES[kind],
                simultaneousCoverage: setting.intervals?.[kind]?.simultaneousCoverage ?? null,
              },
            ]),
          ),
        }
      : {}),
  };
}

/**
 * The summary table as Markdown: one table per quantity (MSE, median squared error, MSE relative
 * to random labelling, coverage, the runs' own variance-ratio diagnostic), settings as rows and
 * label counts as columns. A cell whose row
 * has a label count other than the column's shows it in parentheses.
 *
 * @example
 * writeFileSync('summary.md', summaryMarkdown(table));
 * @throws {InputError} when `table` is not a summary table { trueRisk, thresholds, settings, … }.
 */
export function summaryMarkdown(table: SummaryTable): string {
  const expected = 'a summary table (what summaryTable returns)';
  checkObject(table, 'table', expected);
  checkArray(table.thresholds, 'table.thresholds', `an array of label counts, as in ${expected}`);
  checkArray(table.settings, 'table.settings', `an array of settings, as in ${expected}`);
  if (typeof table.trueRisk !== 'number')
    throw new InputError({ argument: 'table.trueRisk', expected: `a number, as in ${expected}`, received: table.trueRisk });
  const header = ['Setting', ...table.thresholds.map((t) => formatCount(t, 'label'))];
  const section: Section = (title, pick, format, empty) => {
    const rows = table.settings.map((s) => [
      s.labelOffset > 0 ? `${s.name} (+${formatCount(s.labelOffset, 'ICL label')})` : s.name,
      ...s.cells.map((cell) => (pick(cell) === null ? empty?.(cell) : undefined) ?? formatCell(cell, pick(cell), format)),
    ]);
    return [`### ${title}`, '', markdownTable(header, rows)].join('\n');
  };
  const sections = [
    section('Mean squared error of the risk estimate', (c) => c.mse, formatNumber),
    section('Median squared error', (c) => c.medianSe, formatNumber),
  ];
  if (table.baseline !== null) {
    // A blank cell beside a setting's number would read as a missing computation: say why it is empty.
    const unmatched = (c: SummaryCell) => (c.missingBaselineLabels === undefined ? undefined : `– (no row at ${c.missingBaselineLabels})`);
    const relative = section(
      `MSE relative to random labelling (${table.baseline} = 1; lower is better)`,
      (c) => c.relativeMse,
      formatRatio,
      unmatched,
    );
    const anyUnmatched = table.settings.some((s) => s.cells.some((c) => unmatched(c) !== undefined));
    sections.push(
      anyUnmatched
        ? `${relative}\n\n– (no row at L): random labelling (${table.baseline}) recorded no row at L labels (the setting's labels, plus its ICL labels if any) to divide by. It records one every step from its first label and one after its last, so it has none where it ran fewer labels than the setting, or where the setting's last row falls between its steps: under the ICL budget, for example, a setting's last row where the step skips it has one only for the largest ICL offset.`
        : relative,
    );
  }
  const bootstrapCoverageShown = table.settings.some((s) => s.cells.some((c) => c.coverage !== null));
  if (bootstrapCoverageShown) {
    sections.push(
      section(
        `Coverage of the approximate bootstrap interval, estimate ± ${table.confidence}σ (nominal ${nominalCoverage(table.confidence)}, no guarantee)`,
        (c) => c.coverage,
        formatRatio,
      ),
    );
  }
  sections.push(...intervalSections(table, section, bootstrapCoverageShown && table.confidence === BOOTSTRAP_Z));
  if (table.settings.some((s) => s.cells.some((c) => c.varianceRatio !== null))) {
    sections.push(
      section(
        "Variance ÷ random labelling's, estimated from each run's own labels (median over the runs where it is defined, – where it is in none; below 1: active testing is helping)",
        (c) => c.varianceRatio,
        // NaN: defined in no run (every label so far had the same loss), which is no number to read.
        (value) => (Number.isNaN(value) ? '–' : formatRatio(value)),
      ),
    );
  }
  return [`True risk of the pool: ${table.trueRisk.toPrecision(6)}.`, '', sections.join('\n\n'), ''].join('\n');
}

/** One table of the summary; `empty` says what an empty cell stands for, where it is more than a dash. */
type Section = (
  title: string,
  pick: (cell: SummaryCell) => number | null,
  format: (v: number) => string,
  empty?: (cell: SummaryCell) => string | undefined,
) => string;

/**
 * For each interval kind some setting recorded: its coverage and median half-width per label
 * count, named by what it guarantees, the half-width divided by the bootstrap's where both were
 * recorded, and one table of simultaneous coverage of the sequences (not the bootstrap's, which
 * claims nothing about label counts jointly). The bootstrap interval's coverage is left out where
 * the table of every setting's bootstrap coverage at ±1.96σ above (`bootstrapCoverageShown`)
 * holds the same numbers.
 */
function intervalSections(table: SummaryTable, section: Section, bootstrapCoverageShown: boolean): string[] {
  const kinds = INTERVAL_KINDS.filter((kind) => table.settings.some((s) => s.intervals?.[kind] !== undefined));
  if (kinds.length === 0) return [];
  const sections: string[] = [];
  for (const kind of kinds) {
    const name = INTERVAL_NAMES[kind];
    if (kind !== 'bootstrap' || !bootstrapCoverageShown) {
      sections.push(
        section(
          `Coverage of the ${name} (nominal 0.95; ${INTERVAL_GUARANTEES[kind]})`,
          (c) => c.intervals?.[kind]?.coverage ?? null,
          formatRatio,
        ),
      );
    }
    sections.push(section(`Median half-width of the ${name}`, (c) => c.intervals?.[kind]?.medianHalfWidth ?? null, formatNumber));
    if (kind !== 'bootstrap' && kinds.includes('bootstrap')) {
      sections.push(
        section(
          `Median half-width of the ${name} ÷ the bootstrap's`,
          (c) => {
            const own = c.intervals?.[kind]?.medianHalfWidth;
            const bootstrap = c.intervals?.bootstrap?.medianHalfWidth;
            if (own === undefined || bootstrap === undefined) return null;
            return hasWidth(bootstrap, Math.max(Math.abs(table.trueRisk), own)) ? own / bootstrap : null;
          },
          formatRatio,
        ),
      );
    }
  }
  const sequences = kinds.filter((kind) => kind !== 'bootstrap');
  if (sequences.length === 0) return sections;
  const header = ['Setting', ...sequences.map((kind) => INTERVAL_NAMES[kind])];
  const rows = table.settings.map((s) => [
    s.name,
    ...sequences.map((kind) => {
      const share = s.intervals?.[kind]?.simultaneousCoverage;
      return share === undefined || share === null ? '–' : formatRatio(share);
    }),
  ]);
  sections.push(
    [
      '### Simultaneous coverage: runs whose interval contained the true risk at every recorded label count at once',
      '',
      `Nominal 0.95 for the anytime-valid confidence sequence only; the fixed-budget interval promises 0.95 only at each label count on its own.${kinds.includes('bootstrap') ? ' The bootstrap interval is left out: it claims nothing about label counts jointly, and at one label it has no width.' : ''}`,
      '',
      markdownTable(header, rows),
    ].join('\n'),
  );
  return sections;
}

/**
 * Whether a median half-width is a width rather than rounding: where σ is 0 (the bootstrap at one
 * label or while every labelled term is the same, every kind with the whole pool labelled) an
 * interval keeps only its rounding allowance, 2ε·N·|estimate|, or nothing, and a ratio to it reads
 * 10¹⁴, Infinity, or 1 from two rounding errors. `scale` is the size of the numbers compared.
 */
function hasWidth(halfWidth: number, scale: number): boolean {
  return halfWidth > ROUNDING_SIZED * scale;
}

function formatCell(cell: SummaryCell, value: number | null, format: (v: number) => string): string {
  if (value === null || cell.labels === null) return '–';
  return cell.labels === cell.threshold ? format(value) : `${format(value)} (${cell.labels})`;
}

/** Four significant digits in exponent notation, so that a column of errors reads at a glance. */
export function formatNumber(value: number): string {
  return Number.isFinite(value) ? value.toExponential(3) : String(value);
}

function formatRatio(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : String(value);
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}
