import { modelDir } from '../model/fixtures.js';

/** The flags of an `evaluate` of the tiny GPT-2 model on `data` (two classes, batches of 4) into `out`, then `extra`. */
export const tinyEvaluateFlags = (data: string, out: string, ...extra: string[]): string[] => [
  '--model',
  modelDir('tiny-gpt2'),
  '--data',
  data,
  '--classes',
  'negative,positive',
  '--batch-size',
  '4',
  '--out',
  out,
  ...extra,
];
