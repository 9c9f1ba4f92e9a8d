import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { evaluateToFolder } from '../../src/evaluation/evaluate.js';
import { resolveEvaluateOptions } from '../../src/evaluation/evaluate-options.js';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { RemoteModelError } from '../../src/model/backends/openaiHttp.js';
import { fakeModel, ScriptedServer, wordId, type ScriptedRequest } from './scripted-server.js';

const dir = mkdtempSync(join(tmpdir(), 'at-openai-float32-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A log-probability a double holds but float32 does not: stored, it would be -Infinity. */
const BELOW_FLOAT32 = -1e300;
const POISON = wordId('poisoned');

/** The fake model, but the label of every sequence holding the word "poisoned" scored `BELOW_FLOAT32`. */
function poisonedEcho(request: ScriptedRequest) {
  const answer = fakeModel(request);
  if (request.path !== '/v1/completions') return answer;
  const body = JSON.parse(answer.body) as { choices: Array<{ logprobs: { token_logprobs: Array<number | null> } }> };
  (request.body.prompt as number[][]).forEach((sequence, s) => {
    if (sequence.includes(POISON)) body.choices[s].logprobs.token_logprobs[sequence.length - 1] = BELOW_FLOAT32;
  });
  return { ...answer, body: JSON.stringify(body) };
}

describe('a log-probability beyond the range of float32', () => {
  it('in echo mode fails at its batch, naming the row, and the rerun against a mended server ends as an undisturbed run', async () => {
    let poisoned = true;
    server = await ScriptedServer.start((request) => (poisoned ? poisonedEcho(request) : fakeModel(request)));
    const data = join(dir, 'data.tsv');
    writeFileSync(data, 'sentence\tlabel\na fine film\t1\ndull\t0\nquite good\t1\na poisoned take\t0\n');
    const { config, run } = await resolveEvaluateOptions({ model: server.spec, data, classes: ['negative', 'positive'], batchSize: 2 });
    const out = join(dir, 'resumed');
    await expect(evaluateToFolder(config, { ...run, out })).rejects.toThrow(
      /completions: line 5 of .*data\.tsv, label 0: .*got -1e\+300 \(beyond the range of the 32-bit floats scores are stored in\)$/,
    );
    // The first batch is kept, the poisoned one never written: 2 rows × 2 labels × 4 bytes.
    expect(statSync(join(out, '.evaluate.partial.f32')).size).toBe(16);

    poisoned = false;
    await evaluateToFolder(config, { ...run, out });
    const undisturbed = join(dir, 'undisturbed');
    await evaluateToFolder(config, { ...run, out: undisturbed });
    expect(readFileSync(join(out, 'scores.npy')).equals(readFileSync(join(undisturbed, 'scores.npy')))).toBe(true);
  });

  it('in top_logprobs fails naming the row, rather than flooring to it or storing -Infinity', async () => {
    server = await ScriptedServer.start((request) => {
      if (request.path !== '/v1/completions') return fakeModel(request);
      const choices = (request.body.prompt as number[][]).map((_, index) => ({
        index,
        logprobs: { tokens: ['token_id:7'], token_logprobs: [-0.1], top_logprobs: [{ 'token_id:7': -0.1, 'token_id:8': BELOW_FLOAT32 }] },
      }));
      return { status: 200, body: JSON.stringify({ choices }) };
    });
    const backend = OpenAIBackend.fromSpec(server.spec, { openaiMode: 'top-logprobs', missingLabel: 'floor' });
    const error = await backend.scoreBatch(['a fine film'], [7, 9]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteModelError);
    expect((error as Error).message).toMatch(
      /completions: row 0 \(counting from 0\): top_logprobs\["token_id:8"\] is not a log-probability: -1e\+300 \(beyond the range of the 32-bit floats scores are stored in\)$/,
    );
  });
});

describe('an answer holding NaN or Infinity, which JSON has no number for', () => {
  const completions = () => server!.requests.filter((r) => r.path === '/v1/completions').length;

  it('fails at once, naming it, rather than being retried as malformed JSON', async () => {
    server = await ScriptedServer.start((request) => {
      const answer = fakeModel(request);
      // As Python's json.dumps writes float('-inf'): a bare -Infinity.
      return request.path === '/v1/completions' ? { ...answer, body: answer.body.replace(/,-[\d.]+\]/, ',-Infinity]') } : answer;
    });
    const backend = OpenAIBackend.fromSpec(server.spec, { maxRetries: 3, retryDelay: 0.001 });
    const error = await backend.scoreBatch(['a fine film'], [7, 9]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteModelError);
    expect((error as Error).message).toMatch(
      /completions: the answer holds -Infinity, which JSON has no number for \(Python's json\.dumps writes non-finite floats so\); the server must send finite log-probabilities \(not retried\)$/,
    );
    expect(completions()).toBe(1);
  });

  it('is retried where the text is malformed otherwise too (cut short), as a retry may mend it', async () => {
    server = await ScriptedServer.start((request) =>
      request.path === '/v1/completions'
        ? { status: 200, body: '{"choices": [{"logprobs": {"token_logprobs": [null, NaN' }
        : fakeModel(request),
    );
    const backend = OpenAIBackend.fromSpec(server.spec, { maxRetries: 1, retryDelay: 0.001 });
    const error = await backend.scoreBatch(['a fine film'], [7, 9]).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/completions: malformed JSON in the answer .*\(gave up after 2 attempts\)$/);
    expect(completions()).toBe(2);
  });
});
