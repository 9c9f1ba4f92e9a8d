import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { Model } from '../../src/model/model.js';
import { TransformersBackend } from '../../src/model/transformers-backend.js';
import { loadExpected, modelDir } from './fixtures.js';

const expected = loadExpected('tiny-llama');
const prefix = expected.icl_prefix;
const prompts = expected.items.slice(0, 5).map((text) => `${prefix}Sentence: '${text}' \nLabel:`);

/** tiny-llama's config: 2 layers, 2 key/value heads of size 8; float32 keys and values. */
const bytesPerPrefixToken = 2 * 2 * 8 * 4 * 2;

describe('the memory of a batch of cached-prefix copies', () => {
  it('refuses a batch whose copies exceed the limit before scoring it, saying what it needs and the batch size that fits', async () => {
    const probe = await Model.fromPretrained(modelDir('tiny-llama'));
    // The cache covers the prefix less its last token, which may merge with what follows.
    const cachedTokens = (await probe.backend.tokenize(prefix)).length - 1;
    const ids = await probe.labelTokenIds(prompts[0] as string, ['negative', 'positive']);
    const unbounded = await probe.score(prompts, ids, { sharedPrefix: prefix, batchSize: 3 });
    await probe.dispose();
    const perItem = bytesPerPrefixToken * cachedTokens;

    const model = await Model.fromPretrained(modelDir('tiny-llama'), { prefixCacheMemoryLimit: 3 * perItem + 100 });
    try {
      const batches: number[] = [];
      const failure = await model
        .score(prompts, ids, { sharedPrefix: prefix, batchSize: 4, onBatch: (_, first) => void batches.push(first) })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(InputError);
      expect((failure as InputError).argument).toBe('batchSize');
      const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
      expect((failure as Error).message).toBe(
        `batchSize: expected a batch whose copies of the cached prompt prefix fit in ${kib(3 * perItem + 100)} ` +
          `(2 layers × 2 key/value heads × 8 head size × ${cachedTokens} prefix tokens × 4 bytes × 2 for keys and values = ${kib(perItem)} an item; ` +
          `4 items need ${kib(4 * perItem)}); use a batch size of 3 or less, got a batch of 4 items extending the prefix`,
      );
      expect(batches).toEqual([]);
      // Refused before the prompts are tokenized (with many long ICL prompts that takes minutes):
      // the prefix is the only text the backend tokenizes.
      const tokenized: string[] = [];
      const tokenize = model.backend.tokenize.bind(model.backend);
      model.backend.tokenize = (text, signal, special) => (tokenized.push(text), tokenize(text, signal, special));
      const many = Array.from({ length: 40 }, (_, i) => `${prefix}Sentence: '${'a long sentence '.repeat(40)}${i}' \nLabel:`);
      await expect(model.score(many, ids, { sharedPrefix: prefix, batchSize: 4 })).rejects.toThrow(
        /^batchSize: .*use a batch size of 3 or less/,
      );
      expect(tokenized).toEqual([prefix]);
      model.backend.tokenize = tokenize;
      // The batch size it names runs, and scores as without a limit.
      expect(await model.score(prompts, ids, { sharedPrefix: prefix, batchSize: 3 })).toEqual(unbounded);
      // Only items whose tokens extend the prefix's get a copy (a tokenizer may merge the prefix's
      // last token with what follows; the backend scores such items whole): 4 items, 3 copies, fits.
      const mixed = [...prompts.slice(0, 3), `Sentence: '${expected.items[5]}' \nLabel:`];
      expect((await model.backend.scoreBatch(mixed, ids, undefined, { sharedPrefix: prefix })).length).toBe(8);
    } finally {
      await model.dispose();
    }

    const tiny = await Model.fromPretrained(modelDir('tiny-llama'), { prefixCacheMemoryLimit: perItem - 1 });
    try {
      await expect(tiny.score(prompts, ids, { sharedPrefix: prefix, batchSize: 1 })).rejects.toThrow(
        /1 item needs [\d.]+ KiB\); one item does not fit: use fewer ICL examples, a shorter instruction, or no prefix cache, got a batch of 1 item extending the prefix$/,
      );
      // Without the prefix cache there are no copies to bound.
      expect((await tiny.score(prompts, ids, { batchSize: 3 })).length).toBe(prompts.length * 2);
    } finally {
      await tiny.dispose();
    }
  });

  it('does not encode a prefix longer than the context: the prompt is refused, naming its row, without a forward pass', async () => {
    const model = await Model.fromPretrained(modelDir('tiny-gpt2'));
    try {
      const backend = model.backend as unknown as { run: (...args: unknown[]) => unknown };
      let forwardPasses = 0;
      const run = backend.run.bind(backend);
      backend.run = (...args: unknown[]) => (forwardPasses++, run(...args));
      const long = `${'word '.repeat(1500)}\n`;
      const ids = await model.labelTokenIds(`${long}Sentence: 'a' \nLabel:`, ['negative', 'positive']);
      await expect(model.score([`${long}Sentence: 'a' \nLabel:`], ids, { sharedPrefix: long, batchSize: 2 })).rejects.toThrow(
        /^prompts \(row 0\): expected a prompt of at most 1024 tokens/,
      );
      expect(forwardPasses).toBe(0);
    } finally {
      await model.dispose();
    }
  });

  it('refuses a limit that is not a positive number of bytes, before loading', async () => {
    for (const limit of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(TransformersBackend.fromPretrained(modelDir('tiny-llama'), { prefixCacheMemoryLimit: limit })).rejects.toThrow(
        /^prefixCacheMemoryLimit: expected a positive number of bytes/,
      );
    }
  });
});
