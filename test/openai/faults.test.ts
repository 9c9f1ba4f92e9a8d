import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { evaluateToFolder } from '../../src/evaluation/evaluate.js';
import { resolveEvaluateOptions } from '../../src/evaluation/evaluate-options.js';
import { OpenAIBackend, type OpenAIBackendOptions } from '../../src/model/backends/openai.js';
import { RemoteModelError, parseRetryAfter } from '../../src/model/backends/openaiHttp.js';
import { CompletionsTestServer, type Fault } from './server.js';
import { commandNaming } from '../../src/cli/naming.js';

/** A port nothing listens on: one the system just handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return port;
}

const modelDir = resolve(import.meta.dirname, '../models/tiny-gpt2');
const { cases } = JSON.parse(readFileSync(resolve(modelDir, 'expected.json'), 'utf8')) as {
  cases: Array<{ prompt: string; label_token_ids: number[] }>;
};
const labelIds = cases[0].label_token_ids;
const prompts = cases
  .filter((c) => JSON.stringify(c.label_token_ids) === JSON.stringify(labelIds))
  .slice(0, 4)
  .map((c) => c.prompt);

// Fast backoff, but a request timeout no answer of this small server comes near even on a slow, loaded
// machine: a request timing out where the test expects none would be an extra retry or failure.
const fastRetries: OpenAIBackendOptions = { retryDelay: 0.01, maxRetryDelay: 2, maxRetries: 3, requestTimeout: 30 };

describe('OpenAI backend under injected faults', () => {
  let server: CompletionsTestServer;
  let clean: Float32Array;

  beforeAll(async () => {
    server = await CompletionsTestServer.start({ modelDir });
    clean = await OpenAIBackend.fromSpec(server.spec).scoreBatch(prompts, labelIds);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    server.faults.length = 0;
    server.stickyFault = undefined;
    // Requests abandoned by the previous test must not take this test's faults.
    await server.idle();
  });

  const recoverable: Array<[string, Fault[]]> = [
    ['a slow answer', [{ kind: 'slow', delayMs: 300 }]],
    [
      '500 then 503',
      [
        { kind: 'status', status: 500 },
        { kind: 'status', status: 503 },
      ],
    ],
    ['a dropped connection', [{ kind: 'drop' }]],
    ['malformed JSON', [{ kind: 'malformed' }]],
    ['an answer that never comes (timeout)', [{ kind: 'hang' }]],
  ];

  it.each(recoverable)('recovers from %s with the same scores', async (_, faults) => {
    server.inject(faults);
    const retries: string[] = [];
    const backend = OpenAIBackend.fromSpec(server.spec, {
      ...fastRetries,
      // Short enough for the answer that never comes to time out soon, long enough that no other answer
      // does on a loaded machine (each takes well under a second), which would add a retry.
      requestTimeout: 5,
      onRetry: (notice) => retries.push(notice.reason),
    });
    const scores = await backend.scoreBatch(prompts, labelIds);
    expect(Array.from(scores)).toEqual(Array.from(clean));
    expect(server.faults).toHaveLength(0);
    const expectedRetries = faults.filter((f) => f.kind !== 'slow').length;
    expect(retries).toHaveLength(expectedRetries);
  });

  it('fails clearly, never with numbers, when an answer lacks a choice', async () => {
    server.inject([{ kind: 'missing-choice' }]);
    const backend = OpenAIBackend.fromSpec(server.spec, { ...fastRetries, concurrency: 1 });
    await expect(backend.scoreBatch(prompts, labelIds)).rejects.toThrow(
      new RegExp(
        `expected ${prompts.length * labelIds.length} choices in the completions answer, got ${prompts.length * labelIds.length - 1}`,
      ),
    );
  });

  it('fails clearly when the echo is shifted against the prompt sent (e.g. an added BOS)', async () => {
    server.inject([{ kind: 'misaligned' }]);
    const backend = OpenAIBackend.fromSpec(server.spec, { ...fastRetries, concurrency: 1 });
    await expect(backend.scoreBatch(prompts, labelIds)).rejects.toThrow(
      /: row 0 \(counting from 0\), label 0: the server echoed \d+ tokens for a \d+-token prompt/,
    );
  });

  it('waits as long as Retry-After says on 429', async () => {
    server.inject([{ kind: 'status', status: 429, retryAfter: '1' }]);
    const delays: number[] = [];
    const backend = OpenAIBackend.fromSpec(server.spec, { ...fastRetries, onRetry: (n) => delays.push(n.delay) });
    const started = performance.now();
    const scores = await backend.scoreBatch(prompts, labelIds);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(delays).toEqual([1]);
    expect(Array.from(scores)).toEqual(Array.from(clean));
  });

  it('says it gave up after 1 attempt when no retry is allowed', async () => {
    server.stickyFault = { fault: { kind: 'status', status: 500 } };
    const backend = OpenAIBackend.fromSpec(server.spec, { ...fastRetries, maxRetries: 0 });
    await expect(backend.scoreBatch(prompts, labelIds)).rejects.toThrow(/HTTP 500: injected HTTP 500 \(gave up after 1 attempt\)$/);
  });

  it('gives up with the status after its retries when the server keeps failing', async () => {
    server.stickyFault = { fault: { kind: 'status', status: 500 } };
    let retries = 0;
    const backend = OpenAIBackend.fromSpec(server.spec, { ...fastRetries, onRetry: () => retries++ });
    const error = await backend.scoreBatch(prompts, labelIds).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteModelError);
    expect((error as RemoteModelError).status).toBe(500);
    expect((error as Error).message).toMatch(/HTTP 500: injected HTTP 500 \(gave up after 4 attempts\)/);
    expect(retries).toBeGreaterThanOrEqual(3);
    // The failure cancelled the batch's other requests: nothing keeps retrying in the background. The
    // client's own requests are counted, not the server's records: a request sent before the failure
    // may reach the server any time later on a loaded machine, but no new one may be sent. A retry
    // left running would send one within its backoff (at most 40 ms here), before the wait ends.
    const retriesAtFailure = retries;
    const fetches = vi.spyOn(globalThis, 'fetch');
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(fetches).not.toHaveBeenCalled();
    } finally {
      fetches.mockRestore();
    }
    expect(retries).toBe(retriesAtFailure);
  });

  it('does not retry a 4xx other than 429, and quotes the server', async () => {
    server.stickyFault = { fault: { kind: 'status', status: 401 } };
    const retries: string[] = [];
    const backend = OpenAIBackend.fromSpec(server.spec, { ...fastRetries, onRetry: (n) => retries.push(n.reason) });
    const error = await backend.scoreBatch(prompts, labelIds).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemoteModelError);
    const refused = error as RemoteModelError;
    expect(refused.message).toMatch(
      /HTTP 401: injected HTTP 401.*; the server wants an API key: set OPENAI_API_KEY \(or name the variable with apiKeyEnv\) \(not retried\)$/,
    );
    // On the command line the same refusal names the flag, also once placed at a row of the data.
    expect(refused.atRow(3).namedBy(commandNaming('evaluate'))).toMatch(/name the variable with --api-key-env\) \(not retried\)$/);
    expect(retries).toEqual([]);
  });

  it('refuses a Retry-After longer than the allowed wait instead of hanging', async () => {
    server.stickyFault = { fault: { kind: 'status', status: 429, retryAfter: '3600' } };
    const backend = OpenAIBackend.fromSpec(server.spec, fastRetries);
    await expect(backend.scoreBatch(prompts, labelIds)).rejects.toThrow(/asks to wait 3600 s, more than the 2 s allowed \(maxRetryDelay\)/);
  });

  it('names an unknown model', async () => {
    const backend = OpenAIBackend.fromSpec(`openai:${server.baseUrl}#no-such-model`, fastRetries);
    await expect(backend.scoreBatch(prompts, labelIds)).rejects.toThrow(/HTTP 404: The model `no-such-model` does not exist/);
  });

  it('says that the base URL usually ends in /v1 when the completions route is not found without it', async () => {
    // /tokenize, at the server root, answers; /completions there is not found.
    const root = server.baseUrl.replace(/\/v1$/, '');
    const backend = OpenAIBackend.fromSpec(`openai:${root}#${server.modelName}`, fastRetries);
    await expect(backend.scoreBatch(prompts, labelIds)).rejects.toThrow(
      `${root}/completions: HTTP 404: no route for POST /completions; the base URL of an OpenAI-compatible server usually ends in /v1 (openai:http://host:port/v1#model)`,
    );
    // With /v1, an unknown model's 404 is the server's message alone.
    const unknown = OpenAIBackend.fromSpec(`openai:${server.baseUrl}#no-such-model`, fastRetries);
    await expect(unknown.scoreBatch(prompts, labelIds)).rejects.toThrow(/does not exist\.$/);
  });

  it('fails after its retries when nothing listens', async () => {
    const backend = OpenAIBackend.fromSpec(`openai:http://127.0.0.1:${await closedPort()}/v1#m`, fastRetries);
    await expect(backend.scoreBatch(prompts, labelIds)).rejects.toThrow(/connection failed: .*ECONNREFUSED.*gave up after 4 attempts/);
  });

  it("fails at once, naming the port, where Node's fetch refuses the port (6000, X11's)", async () => {
    // The Fetch standard's blocked ports are refused by fetch itself, whatever listens there:
    // retrying cannot help, and "bad port" alone does not say that the port is the problem.
    const retries: string[] = [];
    const backend = OpenAIBackend.fromSpec('openai:http://127.0.0.1:6000/v1#m', { ...fastRetries, onRetry: (n) => retries.push(n.reason) });
    const error = await backend.scoreBatch(prompts, labelIds).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteModelError);
    expect((error as Error).message).toBe(
      "http://127.0.0.1:6000/tokenize: port 6000 is one that Node's fetch refuses to connect to (a blocked port of the Fetch standard), whatever listens there; serve the model on another port (not retried)",
    );
    expect(retries).toEqual([]);
  });

  it('stops promptly with CancelledError when aborted during a stalled request', async () => {
    server.stickyFault = { fault: { kind: 'hang' } };
    const backend = OpenAIBackend.fromSpec(server.spec, { requestTimeout: 60 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    await expect(backend.scoreBatch(prompts, labelIds, controller.signal)).rejects.toBeInstanceOf(CancelledError);
    // Promptly: long before the request's 60 s timeout, with room for a slow, loaded machine.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('evaluate through a server that answers with the wrong shape', () => {
  it('fails in its first batch and leaves nothing in the output folder', async () => {
    const server = await CompletionsTestServer.start({ modelDir });
    try {
      server.stickyFault = { fault: { kind: 'missing-choice' } };
      const data = join(mkdtempSync(join(tmpdir(), 'at-remote-data-')), 'data.tsv');
      writeFileSync(data, 'sentence\tlabel\na fine film\t1\ndull\t0\n');
      const out = join(mkdtempSync(join(tmpdir(), 'at-remote-out-')), 'out');
      const { config, run } = await resolveEvaluateOptions({ model: server.spec, data, classes: ['negative', 'positive'], maxRetries: 0 });
      await expect(evaluateToFolder(config, { ...run, out })).rejects.toThrow(/expected 2 choices in the completions answer, got 1/);
      // No checkpoint of a run that scored nothing: the folder made for the run goes too.
      expect(existsSync(out)).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('API keys', () => {
  it('sends the key from the named environment variable, and reports a refused one', async () => {
    const server = await CompletionsTestServer.start({ modelDir, apiKey: 'sk-test' });
    try {
      process.env.AT_TEST_SERVER_KEY = 'sk-test';
      const withKey = OpenAIBackend.fromSpec(server.spec, { apiKeyEnv: 'AT_TEST_SERVER_KEY' });
      expect((await withKey.scoreBatch(prompts, labelIds)).length).toBe(prompts.length * labelIds.length);
      process.env.AT_TEST_SERVER_KEY = 'sk-wrong';
      const wrongKey = OpenAIBackend.fromSpec(server.spec, { apiKeyEnv: 'AT_TEST_SERVER_KEY' });
      await expect(wrongKey.scoreBatch(prompts, labelIds)).rejects.toThrow(/tokenize: HTTP 401: Unauthorized/);
    } finally {
      delete process.env.AT_TEST_SERVER_KEY;
      await server.close();
    }
  });
});

describe('requests in flight', () => {
  let server: CompletionsTestServer;
  beforeAll(async () => {
    server = await CompletionsTestServer.start({ modelDir });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([1, 3])('never exceed the concurrency limit (%i), and use it', async (concurrency) => {
    // Each answer waits until the server has had `concurrency` requests at once (or 10 s), then 50 ms
    // more: a client that sends fewer at once fails on maxInFlight, and one that sends more overlaps
    // them, however late a loaded machine lets the requests arrive.
    server.stickyFault = { fault: { kind: 'slow', delayMs: 50, gather: concurrency }, path: '/tokenize' };
    server.maxInFlight = 0;
    const before = server.answeredCompletions().length;
    const backend = OpenAIBackend.fromSpec(server.spec, { concurrency });
    const scores = await backend.scoreBatch([...prompts, ...prompts], labelIds);
    expect(server.maxInFlight).toBe(concurrency);
    expect(server.answeredCompletions().length - before).toBe(concurrency);
    const K = labelIds.length;
    const reference = await OpenAIBackend.fromSpec(server.spec, { concurrency: 1 }).scoreBatch(prompts, labelIds);
    expect(Array.from(scores)).toEqual([...reference, ...reference]);
    expect(scores.length).toBe(2 * prompts.length * K);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('2')).toBe(2);
    expect(parseRetryAfter('0.5')).toBe(0.5);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
