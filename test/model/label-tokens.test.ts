import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { TextClassificationDataset } from '../../src/dataset/index.js';
import { runScoringJob } from '../../src/evaluation/index.js';
import { Model, isLocalModelPath, labelTokenCounts, labelTokenIds, type ScoringBackend } from '../../src/model/index.js';

/** A SentencePiece-like tokenizer: BOS, then words with a leading "▁", unknown words as pieces of 3 characters. */
function sentencePieceBackend(vocabulary: string[]): ScoringBackend & { calls: string[][]; tokenized: string[] } {
  const ids = new Map(vocabulary.map((t, i) => [t, i]));
  const piece = (p: string) => ids.get(p) ?? 0;
  const backend = {
    modelId: 'fake',
    unknownTokenId: 0,
    calls: [] as string[][],
    tokenized: [] as string[],
    async tokenize(text: string, _signal?: AbortSignal, addSpecialTokens = true) {
      backend.tokenized.push(text);
      const out = addSpecialTokens ? [1] : [];
      for (const word of text.split(' ').filter(Boolean)) {
        const whole = `▁${word}`;
        if (ids.has(whole)) out.push(piece(whole));
        else for (let i = 0; i < word.length; i += 3) out.push(piece(i === 0 ? `▁${word.slice(0, 3)}` : word.slice(i, i + 3)));
      }
      return out;
    },
    async scoreBatch(prompts: readonly string[], labels: readonly number[]) {
      backend.calls.push([...prompts]);
      return Float32Array.from({ length: prompts.length * labels.length }, (_, i) => i);
    },
  };
  return backend;
}

describe('label tokens', () => {
  const vocabulary = ['<unk>', '<s>', '▁Label:', '▁positive', '▁neg', 'ati', 've', '▁sub', 'jec', 'tiv', 'e', '▁obj'];

  it('takes the first token of the label as a continuation of the prompt, not its last piece', async () => {
    const backend = sentencePieceBackend(vocabulary);
    expect(await labelTokenIds(backend, 'Label:', ['negative', 'positive'])).toEqual([4, 3]); // ▁neg, not ve
    expect(await labelTokenIds(backend, 'Label:', ['subjective', 'objective'])).toEqual([7, 11]);
  });

  it('refuses labels that share a first token or are unknown, naming them', async () => {
    const backend = sentencePieceBackend(vocabulary);
    await expect(labelTokenIds(backend, 'Label:', ['subjective', 'subjects'])).rejects.toThrow(
      /"subjective" and "subjects" both map to token 7/,
    );
    await expect(labelTokenIds(backend, 'Label:', ['positive', 'xyz'])).rejects.toThrow(/"xyz".*unknown token/);
    await expect(labelTokenIds(backend, 'Label:', ['positive'])).rejects.toThrow(InputError);
  });

  it('refuses a label that tokenizes to nothing after the prompt, naming it', async () => {
    // A tokenizer that drops what it cannot read: the label adds no token to the prompt's.
    const backend = {
      ...sentencePieceBackend(vocabulary),
      tokenize: async (text: string) => [1, 2, ...(text.endsWith(' positive') ? [3] : [])],
    };
    await expect(labelTokenIds(backend, 'Label:', ['positive', '???'])).rejects.toThrow(
      'labels: expected one token id per label: "???" tokenized to nothing after the prompt (the tokenizer returned the prompt\'s tokens alone for the prompt followed by " ???"), got ["positive", "???"]',
    );
  });

  it('counts the tokens of each label after the prompt', async () => {
    const backend = sentencePieceBackend(vocabulary);
    expect(await labelTokenCounts(backend, 'Label:', ['negative', 'positive', 'subjective'])).toEqual([3, 1, 4]);
  });

  it('tokenizes the first prompt and each class after it once in a scoring job, for both ids and lengths', async () => {
    const backend = sentencePieceBackend(vocabulary);
    const table = {
      columns: ['sentence', 'label'],
      rows: [
        ['good', 'positive'],
        ['bad', 'negative'],
      ],
    };
    const dataset = TextClassificationDataset.fromTable(table, {
      name: 'toy',
      classes: ['negative', 'positive'],
      answerString: 'Label',
      instruction: '',
    });
    const result = await runScoringJob(new Model(backend), dataset);
    expect(result.labelTokenIds).toEqual([4, 3]);
    expect(result.labelTokenCounts).toEqual([3, 1]);
    expect(backend.tokenized).toEqual([result.firstPrompt, `${result.firstPrompt} negative`, `${result.firstPrompt} positive`]);
  });

  it('lets Model batch prompts for any backend', async () => {
    const backend = sentencePieceBackend(vocabulary);
    const model = new Model(backend);
    const progress: number[] = [];
    const scores = await model.score(['a', 'b', 'c'], [3, 4], { batchSize: 2, onProgress: ({ done }) => progress.push(done) });
    expect(backend.calls).toEqual([['a', 'b'], ['c']]);
    expect(Array.from(scores)).toEqual([0, 1, 2, 3, 0, 1]);
    expect(progress).toEqual([2, 3]);
    await expect(model.score(['x a', 'y'], [3, 4], { sharedPrefix: 'x' })).rejects.toThrow(/sharedPrefix \(row 1\)/);
  });
});

describe('isLocalModelPath', () => {
  it('tells folders from Hub ids', () => {
    expect(isLocalModelPath('onnx-community/Llama-3.2-1B-Instruct')).toBe(false);
    expect(isLocalModelPath('gpt2')).toBe(false);
    expect(isLocalModelPath('./models/gpt2')).toBe(true);
    expect(isLocalModelPath('/abs/model')).toBe(true);
    expect(isLocalModelPath('test/models/none')).toBe(true);
  });
});
