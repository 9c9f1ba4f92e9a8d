export { writeReport, type ReportOptions, type ReportResult } from './report.js';
export { loadReportSettings } from './load.js';
export {
  settingKind,
  reportOrder,
  INTERVAL_NAMES,
  INTERVAL_GUARANTEES,
  type ReportSetting,
  type SettingKind,
  type SettingIntervals,
} from './setting.js';
export { settingCurves, relativeToRandom, labellingCostVsRandom, type SettingCurves, type ErrorMetric } from './curves.js';
export {
  summaryTable,
  summaryMarkdown,
  DEFAULT_THRESHOLDS,
  type SummaryTable,
  type SummarySetting,
  type SummaryCell,
  type IntervalCell,
  type IntervalRecord,
} from './table.js';
export {
  squaredErrorSpec,
  relativeSpec,
  bootstrapSpec,
  intervalCoverageSpec,
  halfWidthSpec,
  type IntervalPoint,
  type VegaLiteSpec,
  type ErrorPoint,
  type RelativePoint,
  type BootstrapPoint,
  type FigureOptions,
} from './specs.js';
export { renderFigure, type RenderedFigure } from './render.js';
export { DEMO_LABEL_COUNTS, rowsAtLabelCounts } from './label-rows.js';
export {
  DEMO_INTERVAL_LABELS,
  type DemoIntervalRow,
  type DemoComparison,
  type DemoMethod,
  type DemoMethodName,
  type DemoOptions,
  type DemoResult,
  newDemoFolder,
  runDemo,
} from './demo.js';
