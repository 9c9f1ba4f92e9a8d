import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { Model } from '../../src/model/model.js';
import { DATA_DIR, sharedAvailable } from '../helpers/shared.js';
import { CompletionsTestServer } from './server.js';

const sst2 = resolve(DATA_DIR, 'sst2/validation.tsv');
const modelDirs = ['tiny-gpt2', 'tiny-llama'].map((name) => resolve(import.meta.dirname, '../models', name));

function logSoftmaxRows(scores: Float32Array, k: number): Float64Array {
  const out = new Float64Array(scores.length);
  for (let row = 0; row * k < scores.length; row++) {
    const slice = scores.subarray(row * k, (row + 1) * k);
    const max = Math.max(...slice);
    const logZ = max + Math.log(slice.reduce((s, v) => s + Math.exp(v - max), 0));
    slice.forEach((v, j) => (out[row * k + j] = v - logZ));
  }
  return out;
}

describe.skipIf(!sharedAvailable(sst2)).each(modelDirs)('served and local scores agree on SST-2 text (%s)', (modelDir) => {
  const { instruction, icl_prefix: iclPrefix } = JSON.parse(readFileSync(resolve(modelDir, 'expected.json'), 'utf8')) as {
    instruction: string;
    icl_prefix: string;
  };
  // Read here, at collection, only when present: on a plain clone the suite is skipped with a notice.
  const sentences = existsSync(sst2)
    ? readFileSync(sst2, 'utf8')
        .split('\n')
        .slice(1, 11)
        .map((line) => line.split('\t')[0].trim())
    : [];
  const query = (s: string): string => `Sentence: '${s}' \nLabel:`;
  let server: CompletionsTestServer;
  let local: Model;

  beforeAll(async () => {
    server = await CompletionsTestServer.start({ modelDir });
    local = await Model.fromPretrained(modelDir);
  });
  afterAll(async () => {
    await server.close();
    await local.dispose();
  });

  it.each([
    ['zero-shot', instruction],
    ['ICL', iclPrefix],
  ])('%s prompts match within 1e-4 after a log-softmax over the labels', async (_, prefix) => {
    const prompts = sentences.map((s) => prefix + query(s));
    const remote = new Model(OpenAIBackend.fromSpec(server.spec, { concurrency: 4 }));
    const labels = ['negative', 'positive'];
    const remoteIds = await remote.labelTokenIds(prompts[0], labels);
    expect(remoteIds).toEqual(await local.labelTokenIds(prompts[0], labels));
    const [served, onDevice] = await Promise.all([
      remote.score(prompts, remoteIds, { batchSize: 4, sharedPrefix: prefix }),
      local.score(prompts, remoteIds, { batchSize: 3, sharedPrefix: prefix }),
    ]);
    const a = logSoftmaxRows(served, 2);
    const b = logSoftmaxRows(onDevice, 2);
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
    expect(worst).toBeLessThan(1e-4);
    // Not vacuous: the rows differ between items.
    expect(new Set(Array.from(a, (v) => v.toFixed(3))).size).toBeGreaterThan(5);
  });
});
