import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { OpenAIBackend } from '../../src/model/backends/openai.js';
import { labelTokenIds } from '../../src/model/label-tokens.js';
import { fakeModel, ScriptedServer, type ScriptedRequest } from './scripted-server.js';

const PROMPT = "Sentence: 'fine' \nLabel:";

/** The fake model, but for `/tokenize` answering `{"tokens": []}` for the texts `empty` picks. */
function emptyTokensFor(empty: (text: string) => boolean) {
  return (request: ScriptedRequest) =>
    request.path === '/tokenize' && empty(String(request.body.prompt))
      ? { status: 200, body: JSON.stringify({ tokens: [] }) }
      : fakeModel(request);
}

describe('a /tokenize answering no tokens', () => {
  it('for a label after the prompt, names the label and the one token id expected per label', async () => {
    const server = await ScriptedServer.start(emptyTokensFor((text) => text.endsWith(' positive')));
    try {
      await expect(labelTokenIds(OpenAIBackend.fromSpec(server.spec), PROMPT, ['negative', 'positive'])).rejects.toThrow(
        'labels: expected one token id per label: "positive" tokenized to nothing after the prompt (the tokenizer returned no tokens at all for the prompt followed by " positive"), got ["negative", "positive"]',
      );
    } finally {
      await server.close();
    }
  });

  it('for every text, says so on the command line in the words of the flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-openai-tokenize-'));
    const data = join(dir, 'data.tsv');
    writeFileSync(data, 'sentence\tlabel\ngood\t1\nbad\t0\n');
    const server = await ScriptedServer.start(emptyTokensFor(() => true));
    try {
      const run = await runCliCaptured([
        'evaluate',
        ...['--model', server.spec, '--data', data, '--classes', 'negative,positive', '--out', join(dir, 'out')],
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'active-testing evaluate: --classes: expected one token id per label: "negative" tokenized to nothing after the prompt (the tokenizer returned no tokens at all for the prompt followed by " negative"), got ["negative", "positive"]',
      );
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
