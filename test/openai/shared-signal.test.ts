import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { fakeModel, ScriptedServer } from './scripted-server.js';

let server: ScriptedServer;
beforeAll(async () => {
  server = await ScriptedServer.start(fakeModel);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const prompts = ['a fine film', 'dull and long', 'it works', 'not good'];

describe('scoring under one long-lived signal (a server’s shutdown signal)', () => {
  it('makes no signal of it with AbortSignal.any, which on Node 20 keeps every signal made from a long-lived one', async () => {
    const any = vi.spyOn(AbortSignal, 'any');
    const { signal } = new AbortController();
    const backend = OpenAIBackend.fromSpec(server.spec, { concurrency: 2 });
    const ids = [await backend.tokenize('good', signal), await backend.tokenize('bad', signal)].map((t) => t.at(-1) as number);
    const scores = await backend.scoreBatch(prompts, ids, signal);
    expect(Array.from(scores)).toEqual(Array.from(await backend.scoreBatch(prompts, ids)));
    expect(any.mock.calls.filter(([signals]) => Array.from(signals).includes(signal))).toEqual([]);
    expect(getEventListeners(signal, 'abort')).toEqual([]);
  });

  it('still cancels the requests in flight when the signal aborts', async () => {
    const controller = new AbortController();
    const backend = OpenAIBackend.fromSpec(server.spec, { concurrency: 2 });
    const scoring = backend.scoreBatch(prompts, [1, 2], controller.signal);
    controller.abort();
    await expect(scoring).rejects.toBeInstanceOf(CancelledError);
    expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
  });
});
