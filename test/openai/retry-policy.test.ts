import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { DEFAULT_RETRY_POLICY, OpenAIHttpClient, RemoteModelError } from '../../src/model/backends/openaiHttp.js';
import { fakeModel, ScriptedServer } from './scripted-server.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the retry policy', () => {
  it('keeps the default of each field given as undefined', () => {
    const client = new OpenAIHttpClient({ maxRetries: undefined, requestTimeout: undefined, retryDelay: 7 });
    expect(client.policy).toEqual({ requestTimeout: 120, maxRetries: 5, retryDelay: 7, maxRetryDelay: 60 });
    expect(new OpenAIHttpClient().policy).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('refuses, by name, counts that are not integers ≥ 0 and waits a timer cannot make', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ maxRetries: Number.NaN }, /^maxRetries: expected an integer ≥ 0, got NaN$/],
      [{ maxRetries: 1.5 }, /^maxRetries: expected an integer ≥ 0, got 1\.5$/],
      [{ requestTimeout: 1e7 }, /^requestTimeout: expected a number in \(0, 2147483\], got 10000000$/],
      [{ requestTimeout: 0 }, /^requestTimeout: expected a number in \(0, 2147483\], got 0$/],
      [{ maxRetryDelay: Infinity }, /^maxRetryDelay: expected a number in \[0, 2147483\], got Infinity$/],
      [{ retryDelay: '0.5' }, /^retryDelay: expected a number in \[0, 2147483\], got "0\.5"$/],
      [{ retries: 3 }, /^retries: expected a known option, did you mean maxRetries\? \(valid: .*\)$/],
    ];
    for (const [options, message] of cases) {
      const make = () => OpenAIBackend.fromSpec('openai:http://127.0.0.1:8000/v1#m', options);
      expect(make).toThrow(InputError);
      expect(make).toThrow(message);
    }
  });

  it('gives up after the default retries, with doubling delays, when maxRetries is given as undefined', async () => {
    // 429 without Retry-After on every completions request.
    server = await ScriptedServer.start((request) =>
      request.path === '/v1/completions' ? { status: 429, body: '{"error":{"message":"slow down"}}' } : fakeModel(request),
    );
    const delays: number[] = [];
    const backend = OpenAIBackend.fromSpec(server.spec, {
      maxRetries: undefined,
      retryDelay: 0.001,
      onRetry: (notice) => delays.push(notice.delay),
    });
    const error = await backend.scoreBatch(['a fine film'], [1, 2]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteModelError);
    expect((error as Error).message).toMatch(/completions: HTTP 429: slow down \(gave up after 6 attempts\)$/);
    expect(delays).toEqual([0.001, 0.002, 0.004, 0.008, 0.016]);
  });

  it('times out after a fraction of a millisecond rounded up, not with an unexpected error', async () => {
    server = await ScriptedServer.start(() => 'hang');
    const backend = OpenAIBackend.fromSpec(server.spec, { requestTimeout: 0.0005, maxRetries: 0 });
    await expect(backend.scoreBatch(['a fine film'], [1, 2])).rejects.toThrow(
      /tokenize: no complete answer within 0\.0005 s \(gave up after 1 attempt\)$/,
    );
  });
});
