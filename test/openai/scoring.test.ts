import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { labelTokenIds } from '../../src/model/label-tokens.js';
import { CompletionsTestServer } from './server.js';

interface ExpectedCase {
  kind: string;
  prompt: string;
  labels: string[];
  label_token_ids: number[];
  label_logits: number[];
}

const modelDirs = ['tiny-gpt2', 'tiny-llama'].map((name) => resolve(import.meta.dirname, '../models', name));

function logSoftmax(values: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(values));
  const logZ = max + Math.log(Array.from(values).reduce((s, v) => s + Math.exp(v - max), 0));
  return Array.from(values, (v) => v - logZ);
}

describe.each(modelDirs)('OpenAI backend against the test server on %s', (modelDir) => {
  const expected = JSON.parse(readFileSync(resolve(modelDir, 'expected.json'), 'utf8')) as { cases: ExpectedCase[] };
  const cases = expected.cases;
  let server: CompletionsTestServer;

  beforeAll(async () => {
    // A cap above the vocabulary size, so that the top-logprobs mode can see every label of a random tiny model.
    server = await CompletionsTestServer.start({ modelDir, maxLogprobs: 1000 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('finds the committed label tokens through /tokenize', async () => {
    const backend = OpenAIBackend.fromSpec(server.spec);
    for (const c of cases.slice(0, 3)) {
      expect(await labelTokenIds(backend, c.prompt, c.labels)).toEqual(c.label_token_ids);
    }
  });

  it.each(['echo', 'top-logprobs'] as const)(
    '%s mode equals the reference logits after a log-softmax over the labels (1e-4)',
    async (mode) => {
      const backend = OpenAIBackend.fromSpec(server.spec, { openaiMode: mode, topLogprobs: 1000 });
      const labelIds = cases[0].label_token_ids;
      const sameLabels = cases.filter((c) => JSON.stringify(c.label_token_ids) === JSON.stringify(labelIds));
      const scores = await backend.scoreBatch(
        sameLabels.map((c) => c.prompt),
        labelIds,
      );
      const K = labelIds.length;
      let compared = 0;
      sameLabels.forEach((c, i) => {
        const remote = logSoftmax(scores.subarray(i * K, (i + 1) * K));
        const local = logSoftmax(c.label_logits);
        remote.forEach((v, k) => expect(Math.abs(v - local[k])).toBeLessThan(1e-4));
        compared++;
      });
      expect(compared).toBeGreaterThan(3);
      // The batch is split into min(items, concurrency = 8) requests.
      expect(backend.stats.completionRequests).toBe(Math.min(sameLabels.length, 8));
    },
  );
});

describe('echo with max_tokens 0', () => {
  it('gives the same scores as with max_tokens 1', async () => {
    const modelDir = modelDirs[0];
    const { cases } = JSON.parse(readFileSync(resolve(modelDir, 'expected.json'), 'utf8')) as { cases: ExpectedCase[] };
    const server = await CompletionsTestServer.start({ modelDir });
    try {
      const prompts = cases.slice(0, 3).map((c) => c.prompt);
      const ids = cases[0].label_token_ids;
      const zero = await OpenAIBackend.fromSpec(server.spec, { echoMaxTokens: 0 }).scoreBatch(prompts, ids);
      const one = await OpenAIBackend.fromSpec(server.spec, { echoMaxTokens: 1 }).scoreBatch(prompts, ids);
      expect(Array.from(zero)).toEqual(Array.from(one));
      expect(zero.every((v) => v < 0)).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('top-logprobs mode limits', () => {
  const modelDir = modelDirs[0];
  const expected = JSON.parse(readFileSync(resolve(modelDir, 'expected.json'), 'utf8')) as { cases: ExpectedCase[] };
  const [first] = expected.cases;
  let server: CompletionsTestServer;

  beforeAll(async () => {
    server = await CompletionsTestServer.start({ modelDir, maxLogprobs: 20 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses more labels than the top-logprobs cap before sending anything', async () => {
    const backend = OpenAIBackend.fromSpec(server.spec, { openaiMode: 'top-logprobs', topLogprobs: 1 });
    const before = server.records.length;
    await expect(backend.scoreBatch([first.prompt], first.label_token_ids)).rejects.toThrow(
      /at most 1 class \(topLogprobs: 1\) in the top-logprobs mode/,
    );
    expect(server.records.length).toBe(before);
  });

  it('names the item and label token when a label is outside the top log-probabilities', async () => {
    const backend = OpenAIBackend.fromSpec(server.spec, { openaiMode: 'top-logprobs', topLogprobs: 20 });
    await expect(backend.scoreBatch([first.prompt], first.label_token_ids)).rejects.toThrow(
      /: row 0 \(counting from 0\): label token \d+ is not among the top 20/,
    );
  });

  it('fills a missing label with the lowest returned log-probability when opted in, and counts it', async () => {
    const backend = OpenAIBackend.fromSpec(server.spec, { openaiMode: 'top-logprobs', topLogprobs: 20, missingLabel: 'floor' });
    const exact = OpenAIBackend.fromSpec(server.spec, { openaiMode: 'echo' });
    const [floored, truth] = await Promise.all([
      backend.scoreBatch([first.prompt], first.label_token_ids),
      exact.scoreBatch([first.prompt], first.label_token_ids),
    ]);
    expect(backend.stats.flooredLabels).toBeGreaterThan(0);
    // The floor is the 20th largest log-probability: at least each true value it replaces, and below 0.
    floored.forEach((value, k) => {
      expect(value).toBeLessThan(0);
      expect(value).toBeGreaterThanOrEqual(truth[k] - 1e-5);
    });
  });
});
