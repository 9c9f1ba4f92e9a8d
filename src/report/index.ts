export { writeReport, type ReportOptions, type ReportResult } from './report.js';
export { loadReportSettings } from './load.js';
export { settingKind, reportOrder, type ReportSetting, type SettingKind } from './setting.js';
export { settingCurves, relativeToRandom, labellingCostVsRandom, type SettingCurves, type ErrorMetric } from './curves.js';
export { summaryTable, summaryMarkdown, DEFAULT_THRESHOLDS, type SummaryTable, type SummarySetting, type SummaryCell } from './table.js';
export {
  squaredErrorSpec,
  relativeSpec,
  bootstrapSpec,
  type VegaLiteSpec,
  type ErrorPoint,
  type RelativePoint,
  type BootstrapPoint,
  type FigureOptions,
} from './specs.js';
export { renderFigure, type RenderedFigure } from './render.js';
export {
  DEMO_LABEL_COUNTS,
  type DemoComparison,
  type DemoMethod,
  type DemoMethodName,
  type DemoOptions,
  type DemoResult,
  newDemoFolder,
  rowsAtLabelCounts,
  runDemo,
} from './demo.js';
