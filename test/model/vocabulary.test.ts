import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { Model } from '../../src/model/model.js';
import { loadExpected, modelDir } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'at-vocabulary-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const expected = loadExpected('tiny-gpt2');
const prompts = expected.cases.filter((c) => c.kind === 'zero_shot').map((c) => c.prompt);
/** tiny-gpt2's logits have 608 columns; its config.json says so. */
const refusal = (ids: number[]) => `labelTokenIds: expected token ids in the vocabulary (integers 0 to 607), got [${ids.join(', ')}]`;

/** A copy of tiny-gpt2 whose config.json states `vocabSize` as its vocab_size, or none. */
function withVocabSize(vocabSize: number | null): string {
  const dir = join(root, `vocab-${vocabSize ?? 'none'}`);
  cpSync(modelDir('tiny-gpt2'), dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  if (vocabSize === null) delete config.vocab_size;
  else config.vocab_size = vocabSize;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** Scores `ids` after `prompts`, returning the batches it finished and its error. */
async function scoreWith(model: Model, ids: number[]): Promise<{ batches: number[]; error: unknown }> {
  const batches: number[] = [];
  const error = await model
    .score(prompts, ids, { batchSize: 2, onBatch: (_, first) => void batches.push(first) })
    .then(() => null)
    .catch((e: unknown) => e);
  return { batches, error };
}

describe('label token ids outside the logits', () => {
  it("are refused before any batch where config.json states the vocabulary, in score's wording for explicit ids too", async () => {
    const model = await Model.fromPretrained(modelDir('tiny-gpt2'));
    try {
      expect(model.backend.vocabularySize).toBe(608);
      await expect(model.labelTokenIds(prompts[0] as string, ['a', 'b'], [7, 608])).rejects.toThrow(refusal([7, 608]));
      for (const ids of [
        [5, 608],
        [-1, 5],
        [5, 1.5],
      ]) {
        const { batches, error } = await scoreWith(model, ids);
        expect(error).toBeInstanceOf(InputError);
        expect((error as InputError).message).toBe(refusal(ids));
        expect(batches).toEqual([]);
      }
      expect(Array.from(await model.score(prompts, [5, 607])).every(Number.isFinite)).toBe(true);
    } finally {
      await model.dispose();
    }
  });

  it('are refused at the first batch from the logits where config.json states none, then before any batch', async () => {
    const reference = await Model.fromPretrained(modelDir('tiny-gpt2'));
    const model = await Model.fromPretrained(withVocabSize(null));
    try {
      expect(model.backend.vocabularySize).toBeNull();
      const { batches, error } = await scoreWith(model, [5, 608]);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).message).toBe(refusal([5, 608]));
      expect(batches).toEqual([]);
      // The logits' width is known from then on: explicit ids are refused without running the graph.
      expect(model.backend.vocabularySize).toBe(608);
      await expect(model.labelTokenIds(prompts[0] as string, ['a', 'b'], [7, 608])).rejects.toThrow(refusal([7, 608]));
      expect(Array.from(await model.score(prompts, [5, 607]))).toEqual(Array.from(await reference.score(prompts, [5, 607])));
    } finally {
      await model.dispose();
      await reference.dispose();
    }
  });

  it("trust the logits' width over a config.json that states another size, once the graph has run", async () => {
    const overstated = await Model.fromPretrained(withVocabSize(700));
    try {
      expect(overstated.backend.vocabularySize).toBe(700);
      const { batches, error } = await scoreWith(overstated, [5, 650]);
      expect((error as Error).message).toBe(refusal([5, 650]));
      expect(batches).toEqual([]);
      expect(overstated.backend.vocabularySize).toBe(608);
    } finally {
      await overstated.dispose();
    }
    const understated = await Model.fromPretrained(withVocabSize(600));
    try {
      // Before the graph has run, config.json is all there is.
      await expect(understated.score(prompts, [5, 605])).rejects.toThrow('(integers 0 to 599), got [5, 605]');
      await understated.score(prompts.slice(0, 1), [5, 6]);
      expect(understated.backend.vocabularySize).toBe(608);
      expect(Array.from(await understated.score(prompts, [5, 605])).every(Number.isFinite)).toBe(true);
    } finally {
      await understated.dispose();
    }
  });
});
