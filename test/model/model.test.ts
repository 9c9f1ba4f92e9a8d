import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActiveTestingError, InputError, CancelledError } from '../../src/errors.js';
import { Model, TransformersBackend, checkLabelTokenIds } from '../../src/model/index.js';
import { transformersLoadFailure } from '../../src/model/transformers-backend.js';
import { TEST_MODELS, loadExpected, maxAbsDiff, modelDir } from './fixtures.js';

const TOLERANCE = 1e-4;

describe.each(TEST_MODELS)('Model on %s', (name) => {
  const expected = loadExpected(name);
  const zeroShot = expected.cases.filter((c) => c.kind === 'zero_shot');
  const icl = expected.cases.filter((c) => c.kind === 'icl');
  const labelIds = expected.cases[0]!.label_token_ids;
  let model: Model;

  beforeAll(async () => {
    model = await Model.fromPretrained(modelDir(name));
  });
  afterAll(async () => {
    await model.dispose();
  });

  it('tokenizes prompts exactly as the independent tokenizer did', async () => {
    for (const c of expected.cases) expect(await model.backend.tokenize(c.prompt)).toEqual(c.input_ids);
  });

  it('finds the label tokens as the continuation of the prompt', async () => {
    for (const c of zeroShot) expect(await model.labelTokenIds(c.prompt, c.labels)).toEqual(c.label_token_ids);
  });

  it('matches the reference logits one item at a time', async () => {
    for (const c of zeroShot) {
      const scores = await model.score([c.prompt], labelIds);
      expect(maxAbsDiff(scores, [c.label_logits])).toBeLessThan(TOLERANCE);
    }
  });

  it('matches the reference logits in mixed-length batches, whatever the batch size', async () => {
    const prompts = zeroShot.map((c) => c.prompt);
    for (const batchSize of [2, 4, 16]) {
      expect(
        maxAbsDiff(
          await model.score(prompts, labelIds, { batchSize }),
          zeroShot.map((c) => c.label_logits),
        ),
      ).toBeLessThan(TOLERANCE);
    }
  });

  it('gives the same scores at every batch size up to float32 rounding (bit for bit when right-padded)', async () => {
    // As docs/llm-scoring.md says: left padding moves an item's tokens within a wider tensor,
    // which regroups onnxruntime's sums; a graph padded on the right keeps them in place.
    const prompts = zeroShot.map((c) => c.prompt);
    const one = await model.score(prompts, labelIds, { batchSize: 1 });
    const scale = Math.max(...Array.from(one, Math.abs));
    for (const batchSize of [3, 16]) {
      const batched = await model.score(prompts, labelIds, { batchSize });
      if (name === 'tiny-gpt2-nocache') expect(Array.from(batched)).toEqual(Array.from(one));
      else {
        const k = labelIds.length;
        const rows = Array.from({ length: prompts.length }, (_, i) => Array.from(one.subarray(k * i, k * i + k)));
        expect(maxAbsDiff(batched, rows)).toBeLessThan(1e-6 * scale);
      }
    }
  });

  it('matches the reference ICL logits uncached and with the prefix cache', async () => {
    const prompts = icl.map((c) => c.prompt);
    const reference = icl.map((c) => c.label_logits);
    const backend = model.backend as TransformersBackend;
    expect(maxAbsDiff(await model.score(prompts, labelIds, { batchSize: 4 }), reference)).toBeLessThan(TOLERANCE);
    const before = backend.tokensProcessed;
    const cached = await model.score(prompts, labelIds, { batchSize: 4, sharedPrefix: expected.icl_prefix });
    expect(maxAbsDiff(cached, reference)).toBeLessThan(TOLERANCE);
    const processed = backend.tokensProcessed - before;
    const full = icl.reduce((sum, c) => sum + c.input_ids.length, 0);
    if (backend.supportsPrefixCache) expect(processed).toBeLessThan(full / 2);
    else expect(processed).toBe(full);
  });

  it('stays exact when the shared prefix ends inside a word (items fall back where tokens diverge)', async () => {
    const prompts = icl.map((c) => c.prompt);
    const cut = expected.icl_prefix.length + "Sentence: 'a gorg".length;
    const sharedPrefix = prompts[0]!.slice(0, cut);
    const scores = await model.score([prompts[0]!], labelIds, { sharedPrefix });
    expect(maxAbsDiff(scores, [icl[0]!.label_logits])).toBeLessThan(TOLERANCE);
  });
});

describe('TransformersBackend constructor', () => {
  it('refuses a call of its private constructor from JavaScript, saying to use fromPretrained', () => {
    const Constructor = TransformersBackend as unknown as new (...args: unknown[]) => unknown;
    const expected = new ActiveTestingError(
      'TransformersBackend is not constructed with new: load a model with TransformersBackend.fromPretrained(idOrPath, options)',
    );
    for (const garbage of [[], [undefined], [null], [{}], [42], ['models/x']]) expect(() => new Constructor(...garbage)).toThrow(expected);
  });
});

describe('Model constructor', () => {
  const expected = 'a scoring backend (an object with a string `modelId` and `tokenize` and `scoreBatch` functions)';

  it('refuses, by name, a backend that is not an object with modelId, tokenize and scoreBatch', () => {
    const partial = { modelId: 'm', tokenize: async () => [] };
    for (const garbage of [undefined, null, 42, [], {}, partial, { ...partial, modelId: 7, scoreBatch: async () => new Float32Array() }]) {
      let thrown: unknown;
      try {
        new Model(garbage as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InputError);
      expect(thrown).toMatchObject({ argument: 'backend', expected });
    }
  });

  it("points a model's name or folder, as the published Model(model_name, …) takes, to Model.fromPretrained", () => {
    expect(() => new Model('models/x' as never)).toThrow(
      new InputError({
        argument: 'backend',
        expected: `${expected}; Model.fromPretrained(idOrPath) loads a model by Hub id or folder`,
        received: 'models/x',
      }),
    );
  });

  it('takes any object with the backend members, as a server backend is', () => {
    const backend = { modelId: 'served', tokenize: async () => [1], scoreBatch: async () => new Float32Array(2) };
    expect(new Model(backend).id).toBe('served');
  });
});

describe('transformersLoadFailure', () => {
  const notFound = (message: string, code: string): Error => Object.assign(new Error(message), { code });

  it('says which package is missing and how to install it, without naming a build chunk', () => {
    const needs = 'scoring with a local model needs the optional peer dependency @huggingface/transformers';
    expect(
      transformersLoadFailure(
        notFound(
          "Cannot find package '@huggingface/transformers' imported from /app/node_modules/active-testing/dist/chunk-7QX2ABCD.js",
          'ERR_MODULE_NOT_FOUND',
        ),
      ).message,
    ).toBe(`${needs}, which is not installed: npm install @huggingface/transformers`);
    expect(
      transformersLoadFailure(
        notFound("Cannot find module '@huggingface/transformers'\nRequire stack:\n- /app/dist/index.cjs", 'MODULE_NOT_FOUND'),
      ).message,
    ).toBe(`${needs}, which is not installed: npm install @huggingface/transformers`);
    expect(
      transformersLoadFailure(
        notFound(
          "Cannot find package 'onnxruntime-node' imported from /app/node_modules/@huggingface/transformers/dist/transformers.node.mjs",
          'ERR_MODULE_NOT_FOUND',
        ),
      ).message,
    ).toBe(
      `${needs}, which cannot load: its dependency onnxruntime-node is not installed; reinstall it: npm install @huggingface/transformers`,
    );
    expect(transformersLoadFailure(new Error('libonnxruntime.so.1: cannot open shared object file\n    at x')).message).toBe(
      `${needs}, which cannot load (npm install @huggingface/transformers): libonnxruntime.so.1: cannot open shared object file`,
    );
    // A path with spaces is left out whole.
    expect(
      transformersLoadFailure(
        new Error('Cannot load the binding imported from /home/me/My Project/node_modules/active-testing/dist/chunk-7QX2ABCD.js'),
      ).message,
    ).toBe(`${needs}, which cannot load (npm install @huggingface/transformers): Cannot load the binding`);
  });
});

describe('Model input checks', () => {
  let model: Model;
  const prompt = loadExpected('tiny-gpt2').cases[0]!.prompt;
  beforeAll(async () => {
    model = await Model.fromPretrained(modelDir('tiny-gpt2'));
  });

  it('expects the prefix cache only where the graph has past_key_values', async () => {
    expect((model.backend as TransformersBackend).supportsPrefixCache).toBe(true);
    const plain = await TransformersBackend.fromPretrained(modelDir('tiny-gpt2-nocache'));
    expect(plain.supportsPrefixCache).toBe(false);
  });

  it('runs `auto` on the CPU where CUDA is not installed, and refuses `cuda` there in one line', async () => {
    const bin = join(modelDir('.'), '../../node_modules/onnxruntime-node/bin');
    const cudaInstalled = readdirSync(bin).some((napi) => {
      const folder = join(bin, napi, process.platform, process.arch);
      return existsSync(folder) && readdirSync(folder).some((file) => file.includes('providers_cuda'));
    });
    const auto = await TransformersBackend.fromPretrained(modelDir('tiny-gpt2'), { device: 'auto' });
    const cpu = model.backend as TransformersBackend;
    const ids = loadExpected('tiny-gpt2').cases[0]!.label_token_ids;
    if (!cudaInstalled) {
      expect(Array.from(await auto.scoreBatch([prompt], ids))).toEqual(Array.from(await cpu.scoreBatch([prompt], ids)));
      await expect(TransformersBackend.fromPretrained(modelDir('tiny-gpt2'), { device: 'cuda' })).rejects.toThrow(
        /^device: expected cpu or auto: onnxruntime-node's CUDA execution provider is not installed here/,
      );
      // Removing the .npmrc skip alone installs nothing: npm install does not run the install
      // script of a package already installed.
      await expect(TransformersBackend.fromPretrained(modelDir('tiny-gpt2'), { device: 'cuda' })).rejects.toThrow(
        /onnxruntime-node-install=skip is in \.npmrc.*remove the skip, then run npm rebuild onnxruntime-node \(first npm install-scripts approve onnxruntime-node where/,
      );
    }
  });

  it('reports loading progress through progress_callback', async () => {
    const statuses = new Set<string>();
    const loaded = await Model.fromPretrained(modelDir('tiny-gpt2'), { progress_callback: (p) => statuses.add(p.status) });
    expect(statuses.has('ready') || statuses.has('done')).toBe(true);
    await loaded.dispose();
  });

  it('refuses a missing or incomplete model folder, naming the files', async () => {
    await expect(Model.fromPretrained(join(modelDir('.'), 'no-such-model'))).rejects.toThrow(InputError);
    const dir = mkdtempSync(join(tmpdir(), 'at-model-'));
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(join(dir, 'config.json'), '{}');
    await expect(Model.fromPretrained(dir)).rejects.toThrow(/missing tokenizer\.json, tokenizer_config\.json, onnx\/model\.onnx/);
  });

  it('refuses labels outside the vocabulary or sharing a first token, naming them', async () => {
    await expect(model.labelTokenIds(prompt, ['positive', '日本'])).rejects.toThrow(/"日本".*unknown token/);
    await expect(model.labelTokenIds(prompt, ['xq', 'xz'])).rejects.toThrow(/"xq" and "xz" both map to token/);
    await expect(model.labelTokenIds(prompt, ['positive', 'positive'])).rejects.toThrow(InputError);
    expect(() => checkLabelTokenIds([5, 5], ['a', 'b'])).toThrow(/"a" and "b"/);
    expect(await model.labelTokenIds(prompt, ['a', 'b'], [7, 9])).toEqual([7, 9]);
  });

  it("refuses a prompt over the model's limit before scoring any batch, naming its row", async () => {
    const long = Array.from({ length: 1100 }, () => 'word').join(' ');
    const batches: number[] = [];
    await expect(
      model.score(['a', 'b', 'c', 'd', 'e', long], [5, 6], { batchSize: 2, onBatch: (_, first) => void batches.push(first) }),
    ).rejects.toThrow(/^prompts \(row 5\): expected a prompt of at most 1024 tokens, the model's limit \(n_positions\)/);
    expect(batches).toEqual([]);
  });

  it('refuses empty prompts and bad batch sizes, and stops when cancelled', async () => {
    await expect(model.score(['ok', ''], [5, 6])).rejects.toThrow(/prompts \(row 1\)/);
    await expect(model.score(['ok'], [5, 6], { batchSize: 0 })).rejects.toThrow(/^batchSize: expected an integer ≥ 1, got 0$/);
    const controller = new AbortController();
    const seen: number[] = [];
    const run = model.score(['a', 'b', 'c', 'd'], [5, 6], {
      batchSize: 1,
      onProgress: ({ done }) => {
        seen.push(done);
        if (done === 2) controller.abort();
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toThrow(CancelledError);
    expect(seen).toEqual([1, 2]);
  });
});
