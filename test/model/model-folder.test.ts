import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../src/errors.js';
import { TransformersBackend } from '../../src/model/transformers-backend.js';
import { runCliCaptured } from '../helpers/cli.js';
import { modelDir } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'at-model-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `text` as a regular expression that matches it literally. */
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A copy of the committed tiny GPT-2 whose `file` holds `text`. */
function withBrokenFile(file: string, text: string): string {
  const dir = join(root, file.replace(/\W/g, '-'));
  cpSync(modelDir('tiny-gpt2'), dir, { recursive: true });
  writeFileSync(join(dir, file), text);
  return dir;
}

describe('a model folder with a file that is not JSON', () => {
  it('names the file and the parse error, for each JSON file the load reads', async () => {
    for (const file of ['config.json', 'tokenizer_config.json', 'tokenizer.json', 'generation_config.json']) {
      const dir = withBrokenFile(file, '{"model_type": "gpt2", ');
      const error = await TransformersBackend.fromPretrained(dir).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(FileFormatError);
      expect((error as FileFormatError).path).toBe(join(dir, file));
      expect((error as Error).message).toMatch(new RegExp(`^model: ${escaped(join(dir, file))}: not valid JSON \\(.*JSON.*\\)$`));
    }
  });

  it('is one line and exit 1 on the command line, nothing written', async () => {
    const dir = withBrokenFile('config.json', 'not json');
    const out = join(root, 'out');
    const data = join(root, 'data.tsv');
    writeFileSync(data, 'sentence\tlabel\nfine\t1\nbad\t0\n');
    const run = await runCliCaptured(['evaluate', '--model', dir, '--data', data, '--classes', 'negative,positive', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^active-testing evaluate: --model: ${escaped(join(dir, 'config.json'))}: not valid JSON \\([^\\n]*\\)$`),
    );
    expect(existsSync(out)).toBe(false);
    expect(run.stdout).toBe('');
  });
});
