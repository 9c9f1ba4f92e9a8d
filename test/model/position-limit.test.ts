import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { positionTableRows } from '../../src/model/onnx-graph.js';
import { TransformersBackend } from '../../src/model/transformers-backend.js';
import { runCliCaptured } from '../helpers/cli.js';
import { modelDir } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'at-position-limit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of a committed test model whose config.json states no input-length limit. */
function withoutConfigLimit(name: string): string {
  const dir = join(root, name);
  cpSync(modelDir(name), dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  delete config.n_positions;
  delete config.n_ctx;
  delete config.max_position_embeddings;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** A two-row SST-2-style file: a short sentence, then `words` words (file line 3). */
function dataWithLongRow(name: string, words: number): string {
  const path = join(root, `${name}.tsv`);
  writeFileSync(path, `sentence\tlabel\nfine\t0\n${'very '.repeat(words)}\t1\n`);
  return path;
}

const evaluate = (model: string, data: string, out: string) =>
  runCliCaptured(['evaluate', '--model', model, '--data', data, '--classes', 'negative,positive', '--out', out]);

describe('a model whose config.json states no context length', () => {
  it('reads the position-embedding table of the ONNX graph (GPT-2: 1024 rows; none with positions built in the graph or RoPE)', () => {
    expect(positionTableRows(join(modelDir('tiny-gpt2'), 'onnx/model.onnx'))).toBe(1024);
    expect(positionTableRows(join(modelDir('tiny-gpt2-nocache'), 'onnx/model.onnx'))).toBeNull();
    expect(positionTableRows(join(modelDir('tiny-llama'), 'onnx/model.onnx'))).toBeNull();
    expect(positionTableRows(join(modelDir('tiny-gpt2'), 'config.json'))).toBeNull();
    expect(positionTableRows(join(root, 'missing.onnx'))).toBeNull();
  });

  it('refuses a too-long prompt before the first batch, in one line naming its row, its length and the graph limit', async () => {
    const model = withoutConfigLimit('tiny-gpt2');
    const backend = await TransformersBackend.fromPretrained(model);
    try {
      expect(backend.maxPositions).toEqual({ tokens: 1024, field: 'the position-embedding table in onnx/model.onnx' });
    } finally {
      await backend.dispose();
    }
    const out = join(root, 'gpt2-out');
    const run = await evaluate(model, dataWithLongRow('gpt2', 1100), out);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const match =
      /^active-testing evaluate: prompts \(row 1\): expected a prompt of at most 1024 tokens, the model's limit \(the position-embedding table in onnx\/model\.onnx\); .*, got a prompt of (\d+) tokens \(for line 3 of .*gpt2\.tsv\)$/.exec(
        run.stderr.trim(),
      );
    expect(match, run.stderr).not.toBeNull();
    expect(Number(match?.[1])).toBeGreaterThan(1100);
    expect(existsSync(join(out, 'scores.npy'))).toBe(false);
  });

  it('tells a too-long prompt in a Parquet data file by the file row, a Parquet file having no lines', async () => {
    const data = join(root, 'long.parquet');
    parquetWriteFile({
      filename: data,
      columnData: [
        { name: 'sentence', data: ['fine', 'very '.repeat(1100)], type: 'STRING' },
        { name: 'label', data: [0, 1], type: 'INT32' },
      ],
    });
    const run = await evaluate(withoutConfigLimit('tiny-gpt2'), data, join(root, 'parquet-out'));
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/, got a prompt of \d+ tokens \(for row 1 \(counting from 0\) of .*long\.parquet\)$/);
  });

  it("uses a rotary model's max_position_embeddings (tiny-llama: 8192), refusing a longer prompt before any batch", async () => {
    const backend = await TransformersBackend.fromPretrained(modelDir('tiny-llama'));
    try {
      expect(backend.maxPositions).toEqual({ tokens: 8192, field: 'max_position_embeddings' });
      const long = `Sentence: '${'very '.repeat(8200)}' \nLabel:`;
      await expect(backend.checkPrompts(["Sentence: 'fine' \nLabel:", long])).rejects.toThrow(
        /^prompts \(row 1\): expected a prompt of at most 8192 tokens, the model's limit \(max_position_embeddings\)/,
      );
      expect(backend.tokensProcessed).toBe(0);
    } finally {
      await backend.dispose();
    }
  });

  it('with rotary positions and no stated limit, scores a prompt of any length, unwarned: nothing bounds it', async () => {
    const backend = await TransformersBackend.fromPretrained(withoutConfigLimit('tiny-llama'));
    const warn = vi.spyOn(console, 'warn');
    try {
      expect(backend.maxPositions).toBeNull();
      const long = `Sentence: '${'very '.repeat(1100)}' \nLabel:`;
      expect((await backend.tokenize(long)).length).toBeGreaterThan(1100);
      await backend.checkPrompts([long]);
      const scores = await backend.scoreBatch([long], [5, 6]);
      expect(Array.from(scores).every(Number.isFinite)).toBe(true);
      expect(backend.maxPositions).toBeNull();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      await backend.dispose();
    }
  });

  it('without a table in the graph, translates onnxruntime refusing a position into the same error, naming the row', async () => {
    const model = withoutConfigLimit('tiny-gpt2-nocache');
    const backend = await TransformersBackend.fromPretrained(model);
    try {
      expect(backend.maxPositions).toBeNull();
      const long = `Sentence: '${'very '.repeat(600)}' \nLabel:`;
      const tokens = (await backend.tokenize(long)).length;
      const failure = await backend.scoreBatch(["Sentence: 'fine' \nLabel:", long], [1, 2]).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(InputError);
      expect((failure as InputError).row).toBe(1);
      expect((failure as Error).message).toBe(
        `prompts (row 1): expected a prompt of at most 512 tokens, the model's limit (the position table onnxruntime refused to index past); shorten the instruction, the text or use fewer ICL examples, got a prompt of ${tokens} tokens`,
      );
      expect(backend.maxPositions?.tokens).toBe(512);
      // Once learned, the limit refuses a long prompt before it reaches onnxruntime.
      await expect(backend.checkPrompts([long])).rejects.toThrow(/at most 512 tokens/);
    } finally {
      await backend.dispose();
    }
    const run = await evaluate(model, dataWithLongRow('nocache', 600), join(root, 'nocache-out'));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^active-testing evaluate: prompts \(row 1\): expected a prompt of at most 512 tokens, .*got a prompt of \d+ tokens \(for line 3 of .*nocache\.tsv\)$/,
    );
    expect(run.stderr).not.toMatch(/unexpected error/);
  });
});
