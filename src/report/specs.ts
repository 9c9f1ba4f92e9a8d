import type { TopLevelSpec } from 'vega-lite';
import { nominalCoverage } from './nominal-coverage.js';
import { BOOTSTRAP_Z } from '../metrics/index.js';
import { checkOption } from '../options/index.js';
import { checkArray } from '../io/check-arguments.js';
import { checkKnownKeys } from '../io/suggest.js';

/**
 * A Vega-Lite (v6) specification as JSON, as saved in the report's `.vl.json` files: what
 * `vega-lite`'s `compile` takes. Typed as a JSON object so that the package's types do not load
 * vega-lite's, which a CommonJS project cannot type-check (vega-lite is an ES module).
 */
export interface VegaLiteSpec {
  $schema?: string;
  [property: string]: unknown;
}

/** A specification checked against vega-lite's own type, as the JSON object the report saves. */
function checkedSpec(spec: TopLevelSpec): VegaLiteSpec {
  return spec as unknown as VegaLiteSpec;
}

/** One point of a per-step error curve. */
export interface ErrorPoint {
  setting: string;
  labels: number;
  mse: number;
  medianSe: number;
  p45: number;
  p55: number;
}

/** One point of a curve relative to random labelling (relative error or relative labelling cost); `null` is a gap. */
export interface RelativePoint {
  setting: string;
  labels: number;
  mse: number | null;
  medianSe: number | null;
}

/** One point of the bootstrap figure: true squared error against the bootstrap's own estimate of it. */
export interface BootstrapPoint {
  setting: string;
  labels: number;
  mse: number;
  meanBootstrapVariance: number;
  coverage: number;
}

/** One point of an interval figure: one setting's coverage and median half-width at one recorded row. */
export interface IntervalPoint {
  setting: string;
  labels: number;
  coverage: number;
  medianHalfWidth: number;
}

/** Options shared by the figures. */
export interface FigureOptions {
  /** Every setting of the report, in order, so that each keeps its colour across figures. Default: those in the figure. */
  allSettings?: readonly string[];
  /** Title of the x axis (the `labels` field). Default `Number of acquired labels`. */
  xTitle?: string;
}

const FIGURE_OPTIONS = ['allSettings', 'xTitle'] satisfies (keyof FigureOptions)[];

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const PANEL = { width: 340, height: 240 };
// labelLimit 0: no limit. Settings of one grid often differ only at the end of their names
// (`… · defensive 0.2`, `… · defensive 0.5`, a `[folder]` suffix), and without a canvas vega
// estimates 0.8 em a character, so any limit cut such names to one label.
const SETTING_COLOR = {
  field: 'setting',
  type: 'nominal',
  title: 'Setting',
  legend: { orient: 'bottom', columns: 2, labelLimit: 0, symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 3 },
} as const;
const CONFIG = {
  font: 'DejaVu Sans',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14 },
};

function labelsAxis(title = 'Number of acquired labels') {
  return { field: 'labels', type: 'quantitative', title } as const;
}

/** Vega's `tableau10` scheme, listed so that a setting keeps its colour in every figure. */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

/**
 * The colour encoding of the settings present in a figure. `allSettings` is the report's full list,
 * so a setting has the same colour in every figure even when some figures leave others out.
 */
function settingColor(present: readonly string[], allSettings: readonly string[]) {
  const order = allSettings.filter((name) => present.includes(name));
  const range = order.map((name) => PALETTE[allSettings.indexOf(name) % PALETTE.length] as string);
  return { ...SETTING_COLOR, scale: { domain: order, range }, sort: order };
}

/**
 * Squared error of the risk estimate against the number of labels, log scale: the mean across runs
 * (MSE) in one panel, the median with the 45–55% percentile band (as in the paper) in the other.
 *
 * @example
 * const spec = squaredErrorSpec([{ setting: 'iid', labels: 1, mse: 0.2, medianSe: 0.1, p45: 0.08, p55: 0.12 }]);
 * @throws {InputError} when `points` is not an array, or on an unknown option.
 */
export function squaredErrorSpec(points: readonly ErrorPoint[], options: FigureOptions = {}): VegaLiteSpec {
  checkArray(points, 'points', 'an array of error points { setting, labels, mse, medianSe, p45, p55 }');
  checkKnownKeys(options, FIGURE_OPTIONS, null);
  const color = settingColor(settingOrder(points), options.allSettings ?? settingOrder(points));
  const x = labelsAxis(options.xTitle);
  const y = (field: string, axisTitle: string) => ({ field, type: 'quantitative', scale: { type: 'log' }, title: axisTitle }) as const;
  const title = 'Squared error of the risk estimate';
  // Said, as a panel of such points alone would be left blank without a word.
  const zero = points.some((p) => p.mse === 0 || p.medianSe === 0 || p.p45 === 0);
  return checkedSpec({
    $schema: SCHEMA,
    title: zero
      ? {
          text: title,
          subtitle: 'left out: errors of 0 (estimates exactly right), which a log scale cannot show',
        }
      : title,
    data: { values: points as unknown as Record<string, unknown>[] },
    config: CONFIG,
    hconcat: [
      {
        ...PANEL,
        title: 'Mean across runs (MSE)',
        transform: [positive('mse')],
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: { x, y: y('mse', 'Mean squared error (log scale)'), color },
      },
      {
        ...PANEL,
        title: 'Median across runs, 45–55% percentile band',
        layer: [
          {
            transform: [positive('p45')],
            mark: { type: 'area', opacity: 0.25 },
            encoding: { x, y: y('p45', 'Median squared error (log scale)'), y2: { field: 'p55' }, color },
          },
          {
            transform: [positive('medianSe')],
            mark: { type: 'line', strokeWidth: 1.8 },
            encoding: { x, y: y('medianSe', 'Median squared error (log scale)'), color },
          },
        ],
      },
    ],
  });
}

/**
 * A quantity relative to random labelling (1 = as good as random), for the MSE and for the median
 * squared error side by side, with the random baseline drawn as a rule at 1. The y axis starts at 0
 * and ends above the largest value, at most at `yMax` (values above it are clipped).
 *
 * @example
 * const spec = relativeSpec(points, { title: 'Error relative to random labelling', yTitle: 'MSE ÷ random MSE', yMax: 2 });
 */
export function relativeSpec(
  points: readonly RelativePoint[],
  options: FigureOptions & { title: string; yTitle: string; yMax?: number },
): VegaLiteSpec {
  checkKnownKeys(options, [...FIGURE_OPTIONS, 'title', 'yTitle', 'yMax'], null);
  const color = settingColor(settingOrder(points), options.allSettings ?? settingOrder(points));
  // Room for the baseline at 1 and the curves, but early spikes (a handful of labels) stay clipped at yMax.
  const largest = Math.max(0, ...points.flatMap((p) => [p.mse ?? 0, p.medianSe ?? 0]).filter(Number.isFinite));
  const top = Math.min(options.yMax ?? Infinity, Math.max(1.2, Math.ceil(10 * 1.05 * largest) / 10));
  const x = labelsAxis(options.xTitle);
  const panel = (field: 'mse' | 'medianSe', panelTitle: string) => ({
    ...PANEL,
    title: panelTitle,
    layer: [
      {
        mark: { type: 'line', strokeWidth: 1.8, clip: true },
        encoding: {
          x,
          y: {
            field,
            type: 'quantitative',
            title: options.yTitle,
            // Not rounded out to a nicer top (1.5 to 1.6): the subtitle names where lines are cut off.
            scale: { domain: [0, top], nice: false },
          },
          color,
        },
      },
      {
        data: { values: [{ baseline: 1 }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#444' },
        encoding: { y: { field: 'baseline', type: 'quantitative' } },
      },
    ],
  });
  return {
    $schema: SCHEMA,
    title: {
      text: options.title,
      subtitle: `dashed line: random (i.i.d.) labelling, the baseline, = 1${largest > top ? `; values above ${top} are cut off` : ''}`,
    },
    data: { values: points as unknown as Record<string, unknown>[] },
    config: CONFIG,
    hconcat: [panel('mse', 'Mean squared error'), panel('medianSe', 'Median squared error')],
  } as VegaLiteSpec;
}

/**
 * The single-run bootstrap error bar against the true error: the MSE across runs (solid) next to
 * the mean bootstrap variance (dashed), which it should match, and the coverage of
 * estimate ± 1.96σ (or `confidence`·σ) per step with its nominal coverage, 2Φ(confidence) − 1 (95% at 1.96), as a rule.
 *
 * @example
 * const spec = bootstrapSpec([{ setting: 'surrogate-ce', labels: 1, mse: 0.1, meanBootstrapVariance: 0.09, coverage: 0.9 }]);
 * @throws InputError when `points` is not an array, `options` is not an object, or `confidence` is not
 * what `report --confidence` takes.
 */
export function bootstrapSpec(
  points: readonly BootstrapPoint[],
  options: FigureOptions & { confidence?: number; coverageNote?: string } = {},
): VegaLiteSpec {
  checkKnownKeys(options, [...FIGURE_OPTIONS, 'confidence', 'coverageNote'], null);
  checkArray(points, 'points', 'an array of bootstrap points');
  if (options.confidence !== undefined) checkOption('confidence', options.confidence, 'report');
  const color = settingColor(settingOrder(points), options.allSettings ?? settingOrder(points));
  const x = labelsAxis(options.xTitle);
  const confidence = options.confidence ?? BOOTSTRAP_Z;
  const nominal = nominalCoverage(confidence);
  return {
    $schema: SCHEMA,
    title: 'Bootstrap error bars: estimated against true error',
    data: { values: points as unknown as Record<string, unknown>[] },
    config: CONFIG,
    hconcat: [
      {
        ...PANEL,
        title: 'True MSE (solid) vs mean bootstrap variance (dashed)',
        transform: [
          { fold: ['mse', 'meanBootstrapVariance'], as: ['quantity', 'value'] },
          { calculate: "datum.quantity === 'mse' ? 'true MSE across runs' : 'mean bootstrap variance'", as: 'quantity' },
          positive('value'),
        ],
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: 'Squared error (log scale)' },
          color,
          strokeDash: {
            field: 'quantity',
            type: 'nominal',
            title: 'Quantity',
            scale: {
              domain: ['true MSE across runs', 'mean bootstrap variance'],
              range: [
                [1, 0],
                [5, 3],
              ],
            },
            // The panel title says which dash is which; a second legend would misalign the panels.
            legend: null,
          },
          detail: { field: 'quantity' },
        },
      },
      {
        ...PANEL,
        title: {
          // Approximate, as every other display of the bootstrap interval says: its coverage is no guarantee.
          text: `Coverage of estimate ± ${confidence}σ (approximate; true risk R)`,
          // Named here: beside the left panel, whose dashes are the bootstrap variance, a bare rule misleads.
          subtitle: [`no guarantee; dashed line: nominal ${nominal}`, ...(options.coverageNote ? [options.coverageNote] : [])],
        },
        layer: coverageLayers(x, color, nominal),
      },
    ],
  } as VegaLiteSpec;
}

/** The coverage line per setting and the nominal coverage as a rule (0.95 unless the bootstrap's is asked at another z), shared by the coverage figures. */
function coverageLayers(x: unknown, color: unknown, nominal = 0.95): unknown[] {
  return [
    {
      mark: { type: 'line', strokeWidth: 1.8 },
      encoding: {
        x,
        y: { field: 'coverage', type: 'quantitative', scale: { domain: [0, 1] }, title: 'Fraction of runs covering R' },
        color,
      },
    },
    {
      data: { values: [{ nominal }] },
      mark: { type: 'rule', strokeDash: [4, 3], color: '#444' },
      encoding: { y: { field: 'nominal', type: 'quantitative' } },
    },
  ];
}

/**
 * Coverage of one interval kind against the number of labels: the fraction of runs whose interval
 * contains the true risk at each label count, with the nominal 95% as a rule. `name` and
 * `guarantee` say which interval it is and what it promises.
 *
 * @example
 * const spec = intervalCoverageSpec([{ setting: 'iid', labels: 1, coverage: 0.99, medianHalfWidth: 0.4 }], {
 *   name: 'anytime-valid confidence sequence',
 *   guarantee: 'covers R at every label count at once',
 * });
 */
export function intervalCoverageSpec(
  points: readonly IntervalPoint[],
  options: FigureOptions & { name: string; guarantee: string; coverageNote?: string },
): VegaLiteSpec {
  checkKnownKeys(options, [...FIGURE_OPTIONS, 'name', 'guarantee', 'coverageNote'], null);
  const color = settingColor(settingOrder(points), options.allSettings ?? settingOrder(points));
  const x = labelsAxis(options.xTitle);
  return {
    $schema: SCHEMA,
    title: {
      text: `Coverage of the ${options.name}`,
      subtitle: [options.guarantee, `dashed line: nominal 0.95${options.coverageNote ? `; ${options.coverageNote}` : ''}`],
    },
    data: { values: points as unknown as Record<string, unknown>[] },
    config: CONFIG,
    ...PANEL,
    layer: coverageLayers(x, color),
  } as VegaLiteSpec;
}

/**
 * Median half-width over runs of one interval kind against the number of labels, log scale: how
 * wide the error bar a user sees is, for comparison across kinds and settings.
 *
 * @example
 * const spec = halfWidthSpec([{ setting: 'iid', labels: 1, coverage: 0.99, medianHalfWidth: 0.4 }], {
 *   name: 'fixed-budget interval',
 * });
 */
export function halfWidthSpec(points: readonly IntervalPoint[], options: FigureOptions & { name: string }): VegaLiteSpec {
  checkKnownKeys(options, [...FIGURE_OPTIONS, 'name'], null);
  const color = settingColor(settingOrder(points), options.allSettings ?? settingOrder(points));
  const widths = points
    .map((p) => p.medianHalfWidth)
    .filter((w) => Number.isFinite(w) && w > 0)
    .sort((a, b) => a - b);
  const typical = widths.length === 0 ? 0 : widths[Math.floor(widths.length / 2)];
  const smallestDrawn = typical * ROUNDING_SIZED;
  const leftOut = [
    ...new Set(points.filter((p) => Number.isFinite(p.medianHalfWidth) && p.medianHalfWidth <= smallestDrawn).map((p) => p.labels)),
  ].sort((a, b) => a - b);
  return {
    $schema: SCHEMA,
    title: {
      text: `Median half-width of the ${options.name}`,
      subtitle: [
        'median over runs of (upper − lower) / 2',
        ...(leftOut.length > 0 ? [`left out: ${labelCountsText(leftOut)}, where it is 0 or of rounding size (σ = 0)`] : []),
      ],
    },
    data: { values: points as unknown as Record<string, unknown>[] },
    config: CONFIG,
    ...PANEL,
    transform: [{ filter: `datum.medianHalfWidth > ${smallestDrawn}` }],
    mark: { type: 'line', strokeWidth: 1.8 },
    encoding: {
      x: labelsAxis(options.xTitle),
      y: { field: 'medianHalfWidth', type: 'quantitative', scale: { type: 'log' }, title: 'Median half-width (log scale)' },
      color,
    },
  } as VegaLiteSpec;
}

/**
 * The label counts a half-width figure leaves out, for its subtitle: which ones they are depends on
 * the kind and the pool (the bootstrap at one label, every kind with the whole pool labelled), so
 * an example would be wrong for some figure. Three at most, then "…".
 *
 * @example
 * labelCountsText([1]); // '1 label'
 * labelCountsText([1, 20]); // '1 and 20 labels'
 * labelCountsText([1, 2, 3, 4]); // '1, 2, 3, … labels'
 */
function labelCountsText(counts: readonly number[]): string {
  if (counts.length === 1 && counts[0] === 1) return '1 label';
  if (counts.length > 3) return `${counts.slice(0, 3).join(', ')}, … labels`;
  return `${counts.length === 1 ? counts[0] : `${counts.slice(0, -1).join(', ')} and ${counts[counts.length - 1]}`} labels`;
}

/**
 * Half-widths at most this fraction of a figure's median one are rounding, not width: where σ is 0
 * (the bootstrap at one label, every kind with the whole pool labelled) an interval keeps only its
 * rounding allowance, 2ε·N·|estimate| (below 1e-9 of the estimate for pools of up to a million
 * items), while a real width shrinks as 1/√labels. On a log axis such a point would stretch the
 * axis down to 1e-13 and squash every real width into its top. The median, not the largest: one
 * huge width (a loss near 1e300 at one label) would put every real width below the cut. The
 * summary table's half-width ratios to the bootstrap use the same cut (`summaryMarkdown`).
 */
export const ROUNDING_SIZED = 1e-7;

/**
 * Keeps points a log scale can show: a zero error (e.g. the bootstrap variance of a single label)
 * would otherwise stretch the axis to −∞ and blank the panel.
 */
function positive(field: string) {
  return { filter: `datum.${field} > 0` };
}

function settingOrder(points: readonly { setting: string }[]): string[] {
  return [...new Set(points.map((p) => p.setting))];
}
