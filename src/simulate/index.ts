export * from './syntheticPool.js';
export * from './inputs.js';
export * from './outputs.js';
export * from './demo.js';
export * from './intervals.js';
