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
    const client = new OpenAIHttpClient({ retry: { maxRetries: undefined, timeoutMs: undefined, initialDelayMs: 7 } });
    expect(client.policy).toEqual({ ...DEFAULT_RETRY_POLICY, initialDelayMs: 7 });
  });

  it('refuses, by name, counts that are not integers ≥ 0 and waits a timer cannot make', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ maxRetries: Number.NaN }, /^retry\.maxRetries: expected an integer ≥ 0, got NaN$/],
      [{ maxRetries: 1.5 }, /^retry\.maxRetries: expected an integer ≥ 0, got 1\.5$/],
      [{ timeoutMs: 1e10 }, /^retry\.timeoutMs: expected milliseconds in \(0, 2147483647\], got 10000000000$/],
      [{ timeoutMs: 0 }, /^retry\.timeoutMs: expected milliseconds in \(0, 2147483647\], got 0$/],
      [{ maxDelayMs: Infinity }, /^retry\.maxDelayMs: expected milliseconds in \[0, 2147483647\], got Infinity$/],
      [{ initialDelayMs: '500' }, /^retry\.initialDelayMs: expected milliseconds in \[0, 2147483647\], got "500"$/],
      [
        { retries: 3 },
        /^retry\.retries: expected a known option, did you mean maxRetries\? \(valid: maxRetries, initialDelayMs, maxDelayMs, timeoutMs\)$/,
      ],
    ];
    for (const [retry, message] of cases) {
      const make = () => OpenAIBackend.fromSpec('openai:http://127.0.0.1:8000/v1#m', { retry });
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
      retry: { maxRetries: undefined, initialDelayMs: 1 },
      onRetry: (notice) => delays.push(notice.delayMs),
    });
    const error = await backend.scoreBatch(['a fine film'], [1, 2]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteModelError);
    expect((error as Error).message).toMatch(/completions: HTTP 429: slow down \(gave up after 6 attempts\)$/);
    expect(delays).toEqual([1, 2, 4, 8, 16]);
  });

  it('times out after a fraction of a millisecond rounded up, not with an unexpected error', async () => {
    server = await ScriptedServer.start(() => 'hang');
    const backend = OpenAIBackend.fromSpec(server.spec, { retry: { timeoutMs: 0.5, maxRetries: 0 } });
    await expect(backend.scoreBatch(['a fine film'], [1, 2])).rejects.toThrow(
      /tokenize: no complete answer within 0\.5 ms \(gave up after 1 attempt\)$/,
    );
  });
});
