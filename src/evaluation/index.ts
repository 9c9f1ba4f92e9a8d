export { fillTemplate, itemPrompt, promptPrefix, type PromptTemplate, REFERENCE_TEMPLATE } from './prompt.js';
export { selectIclExamples, shotsPerClass } from './icl.js';
export { ScoreCheckpoint } from './checkpoint.js';
export { runScoringJob, type ScoringJobOptions, type ScoringJobResult, type Shot } from './scoring-job.js';
export {
  EvaluationClassification,
  type EvaluationOptions,
  type EvaluationResult,
  type IclProcedureOptions,
  type ProcedureOptions,
  type SurrogateCalibration,
} from './evaluation-classification.js';
export { evaluateToFolder, type EvaluateConfig, type EvaluateOutcome, type EvaluateRun } from './evaluate.js';
export { resolveEvaluateOptions, type EvaluateOptions, type ResolvedEvaluation } from './evaluate-options.js';
