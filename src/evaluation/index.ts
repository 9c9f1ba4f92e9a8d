export * from './prompt.js';
export * from './icl.js';
export * from './checkpoint.js';
export * from './scoring-job.js';
export * from './evaluation-classification.js';
export { evaluateToFolder, type EvaluateConfig, type EvaluateOutcome, type EvaluateRun } from './evaluate.js';
