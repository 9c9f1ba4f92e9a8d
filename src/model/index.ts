export { type CheckPromptsOptions, type ScoreBatchOptions, type ScoringBackend } from './backend.js';
export { checkLabelTokenIds, labelTokenCounts, labelTokenIds } from './label-tokens.js';
export {
  checkModelFolder,
  isLocalModelPath,
  type LoadProgress,
  MODEL_FOLDER_FILES,
  type ModelDevice,
  type ModelLoadOptions,
  TransformersBackend,
} from './transformers-backend.js';
export { Model, type ScoreOptions, type ScoringProgress } from './model.js';
export { OpenAIBackend, type OpenAIBackendOptions, type OpenAIBackendStats, type OpenAIScoringMode } from './backends/openai.js';
export {
  DEFAULT_RETRY_POLICY,
  OpenAIHttpClient,
  type OpenAIHttpClientOptions,
  parseRetryAfter,
  RemoteModelError,
  type RemotePromptPlace,
  type RetryNotice,
  type RetryPolicy,
} from './backends/openaiHttp.js';
export { isOpenAIModelSpec, type OpenAITarget, parseOpenAIModelSpec } from './backends/openaiTarget.js';
