export * from './backend.js';
export * from './label-tokens.js';
export * from './transformers-backend.js';
export * from './model.js';
export * from './backends/openai.js';
export * from './backends/openaiHttp.js';
export * from './backends/openaiTarget.js';
