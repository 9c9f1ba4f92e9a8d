export { readTable, type Table, tableFormat, type TableFormat } from './read-table.js';
export { readParquet } from './read-parquet.js';
export { fetchHubTable, hubRowsUrl, hubSpec, type HubSource, parseHubRows, parseHubSpec, probeHubTable } from './hub.js';
export { type ColumnOptions, type DatasetSpec, type FileOptions, TextClassificationDataset } from './text-classification-dataset.js';
export {
  AGNewsDataset,
  DATASET_PRESETS,
  type DatasetPreset,
  FPBDataset,
  HateSpeechDataset,
  PresetDataset,
  SST2Dataset,
  SubjectivityDataset,
} from './presets.js';
export { createSplits, loadOrCreateSplits, type Splits } from './splits.js';
