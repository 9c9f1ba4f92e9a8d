import { type SettingCurves, nearestRow, relativeToRandom } from './curves.js';
import { type SettingKind, settingKind } from './setting.js';

/** The label counts the summary table reports by default, as in the paper's tables. */
export const DEFAULT_THRESHOLDS: readonly number[] = [50, 100, 200, 400];

/** One setting's numbers at one label count. */
export interface SummaryCell {
  /** The label count asked for. */
  target: number;
  /** Labels of the nearest recorded row (`null` when the setting stops short of the target by more than a step). */
  labels: number | null;
  /** 0-based row of estimates.npy the numbers come from. */
  row: number | null;
  mse: number | null;
  medianSe: number | null;
  /** MSE divided by random labelling's MSE at labels + labelOffset. */
  relativeMse: number | null;
  /** Median squared error divided by random labelling's. */
  relativeMedianSe: number | null;
  /** Fraction of runs whose estimate ± confidence·σ contained the true risk. */
  coverage: number | null;
  /** Median over runs of each run's own estimate of its variance ÷ random labelling's (below 1: active testing helps). */
  varianceRatio: number | null;
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
 * Settings keep the order of `curves`.
 *
 * @example
 * const table = summaryTable(allCurves, randomCurves);
 * table.settings[1].cells[0].relativeMse; // active MSE ÷ random MSE at 50 labels
 */
export function summaryTable(
  curves: readonly SettingCurves[],
  baseline: SettingCurves | null,
  options: { thresholds?: readonly number[]; confidence?: number } = {},
): SummaryTable {
  const thresholds = [...(options.thresholds ?? DEFAULT_THRESHOLDS)];
  const settings = curves.map((c) => summarise(c, baseline, thresholds));
  return {
    trueRisk: curves[0]?.setting.trueRisk ?? NaN,
    thresholds,
    baseline: baseline?.setting.name ?? null,
    confidence: options.confidence ?? 2,
    settings,
  };
}

function summarise(curves: SettingCurves, baseline: SettingCurves | null, thresholds: readonly number[]): SummarySetting {
  const { setting } = curves;
  const relativeMse = baseline ? relativeToRandom(curves, baseline, 'mse') : null;
  const relativeMedianSe = baseline ? relativeToRandom(curves, baseline, 'medianSe') : null;
  const labels = setting.labels;
  const step = labels.length > 1 ? labels[1] - labels[0] : 1;
  const cells = thresholds.map((target): SummaryCell => {
    const row = nearestRow(labels, target);
    if (Math.abs(labels[row] - target) >= step) {
      return {
        target,
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
      target,
      labels: labels[row],
      row,
      mse: curves.mse[row],
      medianSe: curves.medianSe[row],
      relativeMse: relativeMse?.[row] ?? null,
      relativeMedianSe: relativeMedianSe?.[row] ?? null,
      coverage: curves.coverage?.[row] ?? null,
      varianceRatio: setting.varianceRatio?.[row] ?? null,
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
 */
export function summaryMarkdown(table: SummaryTable): string {
  const header = ['Setting', ...table.thresholds.map((t) => `${t} labels`)];
  const section = (title: string, pick: (cell: SummaryCell) => number | null, format: (v: number) => string) => {
    const rows = table.settings.map((s) => [
      s.labelOffset > 0 ? `${s.name} (+${s.labelOffset} ICL labels)` : s.name,
      ...s.cells.map((cell) => formatCell(cell, pick(cell), format)),
    ]);
    return [`### ${title}`, '', markdownTable(header, rows)].join('\n');
  };
  const sections = [
    section('Mean squared error of the risk estimate', (c) => c.mse, formatNumber),
    section('Median squared error', (c) => c.medianSe, formatNumber),
  ];
  if (table.baseline !== null) {
    sections.push(section(`MSE relative to random labelling (${table.baseline} = 1; lower is better)`, (c) => c.relativeMse, formatRatio));
  }
  if (table.settings.some((s) => s.cells.some((c) => c.coverage !== null))) {
    sections.push(section(`Coverage of estimate ± ${table.confidence}σ (nominal 0.95)`, (c) => c.coverage, formatRatio));
  }
  if (table.settings.some((s) => s.cells.some((c) => c.varianceRatio !== null))) {
    sections.push(
      section(
        "Variance ÷ random labelling's, estimated from each run's own labels (median over runs; below 1: active testing is helping)",
        (c) => c.varianceRatio,
        formatRatio,
      ),
    );
  }
  return [`True risk of the pool: ${table.trueRisk.toPrecision(6)}.`, '', sections.join('\n\n'), ''].join('\n');
}

function formatCell(cell: SummaryCell, value: number | null, format: (v: number) => string): string {
  if (value === null || cell.labels === null) return '–';
  return cell.labels === cell.target ? format(value) : `${format(value)} (${cell.labels})`;
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
