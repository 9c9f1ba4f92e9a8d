import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveEvaluateOptions } from '../../src/evaluation/evaluate-options.js';
import { modelDir } from '../model/fixtures.js';

const cliPath = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'dist/cli.js');
const root = mkdtempSync(join(tmpdir(), 'at-prefix-limit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const data = join(root, 'data.tsv');
writeFileSync(
  data,
  'sentence\tlabel\n' +
    ['a good film', 'a bad film', 'the film is fine', 'it is dull', 'a great movie', 'a poor movie', 'very good', 'very bad']
      .map((text, i) => `${text}\t${(i + 1) % 2}`)
      .join('\n') +
    '\n',
);

/** `active-testing evaluate` of tiny-gpt2 with an instruction and two shots (a cached prefix), in batches of `batchSize`. */
function evaluate(out: string, batchSize: number, ...extra: string[]) {
  const args = ['--model', modelDir('tiny-gpt2'), '--data', data, '--classes', 'negative,positive', '--out', out];
  const prompt = ['--instruction', 'Classify the sentiment of the sentence.', '--icl-examples', '2', '--batch-size', String(batchSize)];
  return spawnSync(process.execPath, [cliPath, 'evaluate', ...args, ...prompt, ...extra], { encoding: 'utf8' });
}

describe('evaluate --prefix-cache-memory-limit', () => {
  it('is listed by --help with its default', () => {
    const help = spawnSync(process.execPath, [cliPath, 'evaluate', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      "--prefix-cache-memory-limit BYTES bytes that a batch's copies of the cached instruction and shots may take; a batch needing more is refused, naming the batch size that fits (default a quarter of this machine's memory)",
    );
  });

  it('reaches the model: a batch over it is refused in one line naming the batch size that fits, which then runs', () => {
    // tiny-gpt2: 2 layers × 2 heads × 16 × 4 bytes × 2 = 512 bytes a cached token, 29 tokens: 14.5 KiB an item.
    const out = join(root, 'limited');
    const refused = evaluate(out, 4, '--prefix-cache-memory-limit', '30000');
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      'active-testing evaluate: --batch-size: expected a batch whose copies of the cached prompt prefix fit in 29.3 KiB ' +
        '(2 layers × 2 key/value heads × 16 head size × 29 prefix tokens × 4 bytes × 2 for keys and values = 14.5 KiB an item; ' +
        '4 items need 58.0 KiB); use a batch size of 2 or less, got a batch of 4 items extending the prefix\n',
    );
    expect(existsSync(out)).toBe(false);
    const fits = evaluate(out, 2, '--prefix-cache-memory-limit', '30000');
    expect(fits.status, fits.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')).run).toMatchObject({ batch_size: 2, prefix_cache: true });
  });

  it.each([
    ['-1', 'a positive number of bytes'],
    ['0', 'a positive number of bytes'],
    ['NaN', 'a number'],
    ['lots', 'a number'],
    ['Infinity', 'a number'],
  ])('refuses %s before loading anything, in one line, as a usage error (exit 2)', (value, expected) => {
    const out = join(root, `bad-${value}`);
    const run = evaluate(out, 4, '--prefix-cache-memory-limit', value);
    expect(run.status).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`active-testing evaluate: --prefix-cache-memory-limit: expected ${expected}, got "${value}"`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  it('is the library option prefixCacheMemoryLimit, which grid steps resolve through too', async () => {
    const options = { model: modelDir('tiny-gpt2'), data, classes: 'negative,positive' };
    expect((await resolveEvaluateOptions({ ...options, prefixCacheMemoryLimit: 30000 })).run.prefixCacheMemoryLimit).toBe(30000);
    expect((await resolveEvaluateOptions(options)).run.prefixCacheMemoryLimit).toBeUndefined();
    await expect(resolveEvaluateOptions({ ...options, prefixCacheMemoryLimit: -1 })).rejects.toThrow(
      /^prefixCacheMemoryLimit: expected a positive number of bytes, got -1$/,
    );
  });
});
