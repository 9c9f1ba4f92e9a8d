export * from './read-table.js';
export * from './read-parquet.js';
export * from './hub.js';
export * from './text-classification-dataset.js';
export * from './presets.js';
export * from './splits.js';
