import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readNpy } from '../../src/io/npy.js';
import { selectIclExamples } from '../../src/evaluation/icl.js';
import { TransformersBackend } from '../../src/model/transformers-backend.js';
import { runCliCaptured } from '../helpers/cli.js';
import { modelDir } from '../model/fixtures.js';
import { tinyEvaluateFlags } from './evaluate-args.js';

const root = mkdtempSync(join(tmpdir(), 'at-evaluate-inputs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ROWS = 8;
function writeData(path: string, rows: number, word = 'good'): string {
  writeFileSync(
    path,
    'sentence\tlabel\n' + Array.from({ length: rows }, (_, i) => `a ${word} film number ${i}\t${i % 2}`).join('\n') + '\n',
  );
  return path;
}
const evaluate = (data: string, out: string, ...extra: string[]) => runCliCaptured(['evaluate', ...tinyEvaluateFlags(data, out, ...extra)]);

describe('evaluate fingerprints its inputs', () => {
  it('refuses a re-run on a data file changed at the same path (same length, shorter, or only reordered), naming what changed', async () => {
    const data = writeData(join(root, 'data.tsv'), ROWS);
    const out = join(root, 'run');
    const first = await evaluate(data, out);
    expect(first.code, first.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta.config.inputs.data).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(meta.config.inputs.model).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(meta.run.dtype).toBe('fp32');
    const same = await evaluate(data, out);
    expect(same.stdout).toMatch(/already complete/);
    for (const change of [
      () => writeData(data, ROWS, 'bad'),
      () => writeData(data, ROWS - 3),
      () => writeFileSync(data, readFileSync(data, 'utf8').replace('\n', '\r\n')),
    ]) {
      change();
      const run = await evaluate(data, out);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /results made with other settings or inputs \(changed: the contents of --data\); pass --force to start fresh/,
      );
      expect(run.stderr).not.toMatch(/RangeError|\n\s+at /);
    }
    writeData(data, ROWS - 3);
    const forced = await evaluate(data, out, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect((await readNpy(join(out, 'scores.npy'))).shape).toEqual([ROWS - 3, 2]);
  });

  it('refuses to resume an unfinished run whose data changed, instead of mixing score rows', async () => {
    const data = writeData(join(root, 'resume.tsv'), ROWS);
    const out = join(root, 'resume');
    const base = join(out, '.evaluate');
    const first = await evaluate(data, out);
    expect(first.code, first.stderr).toBe(0);
    // Make it look unfinished: the checkpoint of this configuration, without the final outputs.
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    rmSync(join(out, 'meta.json'));
    writeFileSync(`${base}.partial.json`, `${JSON.stringify(meta.config)}\n`);
    writeFileSync(`${base}.partial.f32`, Buffer.alloc(4 * 2 * 4));
    writeData(data, 3);
    const run = await evaluate(data, out);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /an unfinished run made with other settings or inputs is there \(changed: the contents of --data\); resuming would mix/,
    );
    expect(run.stderr).not.toMatch(/RangeError/);
  });

  it('refuses an unknown --dtype, listing the valid ones, before loading anything', async () => {
    const run = await evaluate(writeData(join(root, 'dtype.tsv'), ROWS), join(root, 'dtype'), '--dtype', 'int3');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--dtype: expected one of auto | fp32 | fp16 | q8 | int8 | uint8 | q4 | bnb4 | q4f16 (did you mean int8?), got "int3"',
    );
    expect(existsSync(join(root, 'dtype'))).toBe(false);
    await expect(TransformersBackend.fromPretrained(modelDir('tiny-gpt2'), { dtype: 'int3' })).rejects.toThrow(InputError);
  });

  it('refuses a precision whose weights the model folder lacks, naming those it has', async () => {
    const run = await evaluate(writeData(join(root, 'q8.tsv'), ROWS), join(root, 'q8'), '--dtype', 'q8');
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'active-testing evaluate: --dtype: expected a precision whose weights the model folder has (onnx/model_quantized.onnx is missing; it has fp32), got "q8"',
    );
    expect(existsSync(join(root, 'q8'))).toBe(false);
  });

  it('a prompt longer than the model takes is refused before scoring, naming its length and the limit', async () => {
    const backend = await TransformersBackend.fromPretrained(modelDir('tiny-gpt2-nocache'));
    try {
      expect(backend.maxPositions).toEqual({ tokens: 512, field: 'n_positions' });
      const long = `Sentence: '${'very '.repeat(600)}' \nLabel:`;
      await expect(backend.scoreBatch([long], [1, 2])).rejects.toThrow(
        /prompts \(row 0\): expected a prompt of at most 512 tokens, the model's limit \(n_positions\).*got a prompt of \d{3,} tokens$/,
      );
    } finally {
      await backend.dispose();
    }
    // Rows 0-3 short, the long text last (file line 6); one ICL example per class leaves the pool.
    const shortRows = ['fine', 'dull', 'great', 'bad'];
    const labels = Int32Array.of(0, 1, 0, 1, 1);
    const shots = Array.from(selectIclExamples(labels, 2, 2, 0));
    const poolRow = 4 - shots.filter((row) => row < 4).length;
    const data = join(root, 'long.tsv');
    writeFileSync(data, `sentence\tlabel\n${shortRows.map((text, i) => `${text}\t${labels[i]}\n`).join('')}${'very '.repeat(600)}\t1\n`);
    const run = await runCliCaptured([
      'evaluate',
      '--model',
      modelDir('tiny-gpt2-nocache'),
      '--data',
      data,
      '--classes',
      'negative,positive',
      '--icl-examples',
      '2',
      '--out',
      join(root, 'long'),
    ]);
    expect(shots).not.toContain(4);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `prompts \\(row ${poolRow}\\): expected a prompt of at most 512 tokens.*got a prompt of \\d+ tokens \\(for line 6 of .*long\\.tsv\\)$`,
        'm',
      ),
    );
    expect(run.stderr).not.toMatch(/Gather|\n\s+at /);
  });
});
