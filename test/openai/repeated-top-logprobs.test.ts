import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { repeatedJsonKeys } from '../../src/model/backends/openaiProtocol.js';
import { fakeModel, ScriptedServer, wordId, type ScriptedRequest } from './scripted-server.js';

const [negative, positive] = [wordId('negative'), wordId('positive')];

/**
 * A top-logprobs answer whose second prompt's top_logprobs holds `entries` as written (raw JSON
 * text, so that a key can be repeated), the others "negative" and "positive" once each.
 */
function answering(entries: string) {
  return (request: ScriptedRequest) => {
    if (request.path !== '/v1/completions') return fakeModel(request);
    const prompts = request.body.prompt as number[][];
    const choices = prompts.map((_, index) => {
      const top = index === 1 ? entries : `"token_id:${negative}": -0.4, "token_id:${positive}": -1.2`;
      return `{"index": ${index}, "text": "", "logprobs": {"tokens": ["token_id:${negative}"], "token_logprobs": [-0.4], "top_logprobs": [{${top}}]}}`;
    });
    return { status: 200, body: `{"choices": [${choices.join(', ')}]}` };
  };
}

describe('repeatedJsonKeys', () => {
  it('finds the keys an object repeats, with the path to it, whatever the strings hold', () => {
    const text = '{"a": [{"k": "x\\\\", "k": 2}, {"k": "\\"k\\": {,[", "j": [1, {"k": 1}], "j": 0}], "b": {"c": {"d": 1, "d": 2}}}';
    expect(JSON.parse(text)).toBeTruthy();
    expect(repeatedJsonKeys(text)).toEqual([
      { path: ['a', 0], key: 'k' },
      { path: ['a', 1], key: 'j' },
      { path: ['b', 'c'], key: 'd' },
    ]);
    expect(repeatedJsonKeys('{"a": [{"k": 1}, {"k": 2}], "k": {"k": 3}}')).toEqual([]);
  });

  it('reads past a string of megabytes (a regular expression overflowed the stack there)', () => {
    const text = `{"text": "${'ab\\"'.repeat(3_000_000)}", "k": 1, "k": 2}`;
    expect(repeatedJsonKeys(text)).toEqual([{ path: [], key: 'k' }]);
  });
});

describe('a top_logprobs that gives a token id twice', () => {
  it('is refused naming the row and the token, not read by its last value', async () => {
    for (const entries of [
      // The same key twice: JSON.parse would keep -7.5.
      `"token_id:${negative}": -0.4, "token_id:${positive}": -1.2, "token_id:${positive}": -7.5`,
      // The same id written two ways.
      `"token_id:${negative}": -0.4, "token_id:${positive}": -1.2, "token_id:0${positive}": -7.5`,
    ]) {
      const server = await ScriptedServer.start(answering(entries));
      try {
        const backend = OpenAIBackend.fromSpec(server.spec, { openaiMode: 'top-logprobs', concurrency: 1 });
        await expect(backend.scoreBatch(['a', 'b', 'c'], [negative, positive])).rejects.toThrow(
          `/v1/completions: row 1 (counting from 0): top_logprobs gives token ${positive} more than once, and which of its log-probabilities is the token's cannot be told; the server must send one entry per token id`,
        );
      } finally {
        await server.close();
      }
    }
  });

  it('is refused on the command line naming the line of the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-openai-repeated-'));
    const data = join(dir, 'data.tsv');
    writeFileSync(data, 'sentence\tlabel\ngood\t1\nbad\t0\nfine\t1\n');
    const server = await ScriptedServer.start(answering(`"token_id:${positive}": -1.2, "token_id:${positive}": -7.5`));
    try {
      const run = await runCliCaptured([
        'evaluate',
        ...['--model', server.spec, '--data', data, '--classes', 'negative,positive', '--out', join(dir, 'out')],
        ...['--openai-mode', 'top-logprobs', '--concurrency', '1'],
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `^active-testing evaluate: http://127\\.0\\.0\\.1:\\d+/v1/completions: line 3 of .*data\\.tsv: top_logprobs gives token ${positive} more than once`,
        ),
      );
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('but two ids of the same text are two entries, each read by its id', async () => {
    // Token 9 and token 10 may decode to the same text: the labels are matched by id alone.
    const server = await ScriptedServer.start(
      answering(`"token_id:${negative}": -0.5, "token_id:9": -2, "token_id:10": -2, "token_id:${positive}": -1.5`),
    );
    try {
      const backend = OpenAIBackend.fromSpec(server.spec, { openaiMode: 'top-logprobs', concurrency: 1 });
      expect(Array.from(await backend.scoreBatch(['a', 'b'], [negative, positive]))).toEqual([-0.4, -1.2, -0.5, -1.5].map(Math.fround));
    } finally {
      await server.close();
    }
  });
});
