import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { evaluateToFolder, resolveEvaluateOptions } from '../../src/index.js';

const controller = new AbortController();
let weightChunks = 0;
// Every file evaluate hashes is read through createReadStream: the signal aborts once the first chunk of the weights is read.
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  return {
    ...fs,
    createReadStream: (...args: Parameters<typeof fs.createReadStream>) =>
      Readable.from(
        (async function* () {
          for await (const chunk of fs.createReadStream(...args)) {
            if (String(args[0]).endsWith('model.onnx')) {
              weightChunks++;
              controller.abort();
            }
            yield chunk;
          }
        })(),
      ),
  };
});

const root = mkdtempSync(join(tmpdir(), 'at-evaluate-hash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('evaluateToFolder stopped by its signal while it hashes the model', () => {
  it('stops at the next chunk of the model file, before taking the folder, and says so', async () => {
    const model = join(root, 'model');
    mkdirSync(join(model, 'onnx'), { recursive: true });
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(model, file), '{}');
    // 16 MiB of weights: 256 chunks of 64 KiB.
    writeFileSync(join(model, 'onnx', 'model.onnx'), Buffer.alloc(16 << 20, 7));
    const data = join(root, 'data.tsv');
    writeFileSync(data, 'sentence\tlabel\na good film\t1\na bad film\t0\n');
    const { config, run } = await resolveEvaluateOptions({ model, data, classes: ['negative', 'positive'] });
    const out = join(root, 'out');
    const error = await evaluateToFolder(config, { ...run, out, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe('evaluation cancelled while hashing its inputs; nothing was written');
    expect(weightChunks).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});
