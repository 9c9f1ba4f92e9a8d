import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { RemoteModelError } from '../../src/model/backends/openaiHttp.js';
import { fakeLogprob, fakeModel, ScriptedServer, type ScriptedRequest } from './scripted-server.js';

const prompts = Array.from({ length: 11 }, (_, i) => `review number ${i} was ${i % 3 === 0 ? 'good' : 'bad'}`);
const labels = [101, 202, 303];

/** What the fake model scores: each prompt's tokens (BOS 0, then one id per word) followed by each label. */
async function expectedScores(backend: OpenAIBackend): Promise<number[]> {
  const ids = await Promise.all(prompts.map((p) => backend.tokenize(p)));
  return ids.flatMap((tokens) => labels.map((label) => Math.fround(fakeLogprob([...tokens, label]))));
}

describe('scores of a served model', () => {
  let server: ScriptedServer;
  let answered = 0;

  beforeAll(async () => {
    server = await ScriptedServer.start((request: ScriptedRequest) => {
      const answer = fakeModel(request);
      if (request.path !== '/v1/completions') return answer;
      answered++;
      // Choices listed last to first, each with its index, as a server may list them.
      const body = JSON.parse(answer.body) as { choices: unknown[] };
      body.choices.reverse();
      return { ...answer, body: JSON.stringify(body) };
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([1, 2, 4, 16])('are in item order, and the same, with %i requests in flight', async (concurrency) => {
    const backend = OpenAIBackend.fromSpec(server.spec, { concurrency });
    const before = answered;
    const scores = await backend.scoreBatch(prompts, labels);
    expect(Array.from(scores)).toEqual(await expectedScores(backend));
    // One completions request per group of consecutive items.
    expect(answered - before).toBe(Math.min(concurrency, prompts.length));
  });
});

describe('a completions answer without what scoring reads', () => {
  const withoutLogprobs = (request: ScriptedRequest) => {
    const answer = fakeModel(request);
    if (request.path !== '/v1/completions') return answer;
    const body = JSON.parse(answer.body) as { choices: Array<{ logprobs: unknown }> };
    body.choices[1].logprobs = null;
    return { ...answer, body: JSON.stringify(body) };
  };

  it('fails naming the choice, never with a number in its place', async () => {
    const server = await ScriptedServer.start(withoutLogprobs);
    try {
      const backend = OpenAIBackend.fromSpec(server.spec, { concurrency: 1 });
      const error = await backend.scoreBatch(prompts.slice(0, 2), labels).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteModelError);
      expect((error as Error).message).toMatch(/completions: choice 1 has no logprobs \(does the server support logprobs with echo\?\)$/);
    } finally {
      await server.close();
    }
  });
});

describe('a completions answer whose choices are not objects', () => {
  it('fails naming the choice, not with a TypeError', async () => {
    const server = await ScriptedServer.start((request) => {
      const answer = fakeModel(request);
      if (request.path !== '/v1/completions') return answer;
      const body = JSON.parse(answer.body) as { choices: unknown[] };
      body.choices[0] = null;
      body.choices[1] = ['a', 'list'];
      return { ...answer, body: JSON.stringify(body) };
    });
    try {
      const backend = OpenAIBackend.fromSpec(server.spec, { concurrency: 1 });
      const error = await backend.scoreBatch(prompts.slice(0, 2), labels).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteModelError);
      expect((error as Error).message).toMatch(/completions: choice 0 is null, not an object$/);
    } finally {
      await server.close();
    }
  });
});

describe('a completions answer that is an error sent with HTTP 200', () => {
  it("quotes the server's message beside the missing choices", async () => {
    const server = await ScriptedServer.start((request) =>
      request.path === '/v1/completions'
        ? { status: 200, body: JSON.stringify({ object: 'error', message: 'prompt_logprobs is not supported', code: 400 }) }
        : fakeModel(request),
    );
    try {
      const backend = OpenAIBackend.fromSpec(server.spec, { concurrency: 1 });
      const error = await backend.scoreBatch(prompts.slice(0, 2), labels).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteModelError);
      expect((error as Error).message).toMatch(
        /completions: expected 6 choices in the completions answer, got none \(it is an error: prompt_logprobs is not supported\)$/,
      );
    } finally {
      await server.close();
    }
  });
});
