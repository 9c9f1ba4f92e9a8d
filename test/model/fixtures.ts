import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../models');
export const TEST_MODELS = ['tiny-gpt2', 'tiny-llama', 'tiny-gpt2-nocache'] as const;

export interface ExpectedCase {
  kind: 'zero_shot' | 'icl';
  prompt: string;
  input_ids: number[];
  labels: string[];
  label_token_ids: number[];
  label_logits: number[];
}

/** The logits the generating script computed with the eager torch module (test/models/<name>/expected.json). */
export interface Expected {
  instruction: string;
  icl_prefix: string;
  items: string[];
  shots: Array<{ text: string; label: string }>;
  cases: ExpectedCase[];
}

export function modelDir(name: string): string {
  return resolve(MODELS_DIR, name);
}

export function loadExpected(name: string): Expected {
  return JSON.parse(readFileSync(resolve(MODELS_DIR, name, 'expected.json'), 'utf8')) as Expected;
}

/** Largest absolute difference between a flat row-major matrix and expected rows. */
export function maxAbsDiff(actual: Float32Array, expected: number[][]): number {
  let worst = 0;
  expected.forEach((row, i) => row.forEach((v, k) => (worst = Math.max(worst, Math.abs((actual[i * row.length + k] as number) - v)))));
  return worst;
}
