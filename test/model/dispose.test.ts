import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActiveTestingError } from '../../src/errors.js';
import { Model } from '../../src/model/index.js';
import { loadExpected, modelDir } from './fixtures.js';

const expected = loadExpected('tiny-gpt2');
const [zeroShot] = expected.cases;
const labelIds = zeroShot!.label_token_ids;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Model.dispose', () => {
  it('may be called twice', async () => {
    const model = await Model.fromPretrained(modelDir('tiny-gpt2'));
    await model.dispose();
    await expect(model.dispose()).resolves.toBeUndefined();
  });

  it('leaves a model that refuses to score, saying it was disposed, before onnxruntime is asked', async () => {
    const model = await Model.fromPretrained(modelDir('tiny-gpt2'));
    await model.dispose();
    // transformers.js prints every input of a failed forward pass to the console.
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const options of [{}, { sharedPrefix: zeroShot!.prompt.slice(0, 10) }]) {
      const refused = await model.score([zeroShot!.prompt], labelIds, options).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ActiveTestingError);
      expect((refused as Error).message).toBe(
        `model "${modelDir('tiny-gpt2')}" was disposed (dispose()); load it again with Model.fromPretrained to score with it`,
      );
    }
    expect(logged.mock.calls).toEqual([]);
    // The tokenizer needs no ONNX session.
    expect(await model.labelTokenIds(zeroShot!.prompt, zeroShot!.labels)).toEqual(labelIds);
  });

  it('refuses the rest of a score in flight when disposed, after its pass, without onnxruntime failing', async () => {
    const model = await Model.fromPretrained(modelDir('tiny-gpt2'));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const prompts = Array.from({ length: 64 }, (_, i) => `${zeroShot!.prompt} ${i}`);
    for (const delay of [0, 1, 5]) {
      const again = await Model.fromPretrained(modelDir('tiny-gpt2'));
      const scoring = again.score(prompts, labelIds, { batchSize: 1, sharedPrefix: zeroShot!.prompt }).catch((error: unknown) => error);
      await new Promise((done) => setTimeout(done, delay));
      await again.dispose();
      const outcome = await scoring;
      // Either every pass ran before the dispose, or the score stops at the next one, saying why.
      if (outcome instanceof Error) {
        expect(outcome).toBeInstanceOf(ActiveTestingError);
        expect(outcome.message).toMatch(/was disposed \(dispose\(\)\)/);
      } else expect(outcome).toHaveLength(prompts.length * labelIds.length);
    }
    expect(logged.mock.calls).toEqual([]);
    await model.dispose();
  });

  it('does not touch another load of the same folder, which has an ONNX session of its own', async () => {
    const first = await Model.fromPretrained(modelDir('tiny-gpt2'));
    const second = await Model.fromPretrained(modelDir('tiny-gpt2'));
    await first.dispose();
    const scores = await second.score([zeroShot!.prompt], labelIds);
    zeroShot!.label_logits.forEach((logit, k) => expect(Math.abs(scores[k]! - logit)).toBeLessThan(1e-4));
    await second.dispose();
  });
});
