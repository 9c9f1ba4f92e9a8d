import { CancelledError, InputError, rowOffset } from '../errors.js';
import type { ScoringBackend } from './backend.js';
import { checkLabelTokenIds, checkTokenIdsInVocabulary, labelTokenIds } from './label-tokens.js';
import { TransformersBackend, type ModelLoadOptions } from './transformers-backend.js';
import { formatCount } from '../io/format-count.js';
import { checkKnownKeys } from '../io/suggest.js';
import { checkObject } from '../io/check-arguments.js';

/** Progress of a scoring job, reported after every batch. */
export interface ScoringProgress {
  /** Items scored so far (including those done before a resume, when the caller counts them in `total`). */
  done: number;
  total: number;
}

/** Options of `Model.score`. */
export interface ScoreOptions {
  /** Items per forward pass (default 16). Results do not depend on it beyond float32 rounding. */
  batchSize?: number;
  /** A text every prompt starts with (instruction and ICL shots); its encoding is cached when the backend can. */
  sharedPrefix?: string;
  signal?: AbortSignal;
  onProgress?: (progress: ScoringProgress) => void;
  /** Called with each finished batch (its rows, row-major, and the index of its first prompt), e.g. to checkpoint to disk. */
  onBatch?: (rows: Float32Array, firstRow: number) => void | Promise<void>;
  /** Told of each floored score (see `ScoreBatchOptions.onFloored`), by the prompt's row in `prompts` and the label's index. */
  onFloored?: (row: number, label: number) => void;
}

const SCORE_OPTIONS = ['batchSize', 'sharedPrefix', 'signal', 'onProgress', 'onBatch', 'onFloored'] satisfies (keyof ScoreOptions)[];

/** Items per forward pass when `ScoreOptions.batchSize` is not given. */
export const DEFAULT_BATCH_SIZE = 16;

/**
 * A language model scored by the next-token logits of label words after a prompt, the quantity
 * the paper's target and surrogate models produce. Prompts, label tokens, batching, progress and
 * cancellation live here; the backend runs the model (`TransformersBackend` locally, or a server).
 *
 * @example
 * const model = await Model.fromPretrained('test/models/tiny-gpt2');
 * const prompt = "Classify ...\nSentence: 'a fine film' \nLabel:";
 * const ids = await model.labelTokenIds(prompt, ['negative', 'positive']);
 * const scores = await model.score([prompt], ids); // Float32Array [negative, positive]
 */
export class Model {
  /**
   * @throws {InputError} when `backend` is not a `ScoringBackend` (an object with a string `modelId`
   * and `tokenize` and `scoreBatch` functions).
   * @example
   * new Model(42); // InputError: backend: expected a scoring backend
   */
  constructor(readonly backend: ScoringBackend) {
    checkBackend(backend);
  }

  /**
   * Loads a causal LM by Hub id or local folder (transformers.js layout) with transformers.js.
   *
   * @example
   * const model = await Model.fromPretrained('./my-model', { device: 'cuda', dtype: 'fp16', progress_callback: console.log });
   */
  static async fromPretrained(idOrPath: string, options: ModelLoadOptions = {}): Promise<Model> {
    return new Model(await TransformersBackend.fromPretrained(idOrPath, options));
  }

  /** The model as the user named it. */
  get id(): string {
    return this.backend.modelId;
  }

  /**
   * The token of each label as the continuation of `prompt` (see `labelTokenIds`), or, when
   * `explicitIds` is given, those ids after checking them.
   *
   * @example
   * await model.labelTokenIds("Sentence: 'ok' \nLabel:", ['negative', 'positive']); // e.g. [117, 115]
   */
  async labelTokenIds(prompt: string, labels: readonly string[], explicitIds?: readonly number[], signal?: AbortSignal): Promise<number[]> {
    if (explicitIds !== undefined) {
      checkLabelTokenIds(explicitIds, labels, this.backend.unknownTokenId ?? null, this.backend.vocabularySize ?? null);
      return [...explicitIds];
    }
    return labelTokenIds(this.backend, prompt, labels, signal);
  }

  /**
   * Raw logits of the label tokens after each prompt: an N×K row-major Float32Array, one batch
   * per forward pass. An item's row does not depend on its batch beyond float32 rounding. Every prompt is checked first
   * (the backend's `checkPrompts`: a prompt longer than a local model's context is refused
   * before the first batch, not when its batch comes; so is a batch whose copies of a cached
   * `sharedPrefix` would not fit, before any prompt is tokenized), and so are the label token ids, against
   * the backend's `vocabularySize` where it knows one (`checkTokenIdsInVocabulary`).
   *
   * @example
   * const scores = await model.score(prompts, [117, 115], { batchSize: 8, onProgress: ({ done, total }) => log(done, total) });
   */
  async score(prompts: readonly string[], labelTokenIds: readonly number[], options: ScoreOptions = {}): Promise<Float32Array> {
    checkKnownKeys(options, SCORE_OPTIONS, null);
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InputError({ argument: 'batchSize', expected: 'an integer ≥ 1', received: batchSize });
    }
    checkTokenIdsInVocabulary(labelTokenIds, this.backend.vocabularySize ?? null);
    prompts.forEach((prompt, row) => {
      if (typeof prompt !== 'string' || prompt.length === 0)
        throw new InputError({ argument: 'prompts', expected: 'a non-empty string', row, received: prompt });
      if (options.sharedPrefix !== undefined && !prompt.startsWith(options.sharedPrefix)) {
        throw new InputError({ argument: 'sharedPrefix', expected: 'a text every prompt starts with', row });
      }
    });
    await this.backend.checkPrompts?.(prompts, options.signal, {
      batchSize,
      ...(options.sharedPrefix === undefined ? {} : { sharedPrefix: options.sharedPrefix }),
    });
    const k = labelTokenIds.length;
    const scores = new Float32Array(prompts.length * k);
    const { onFloored } = options;
    for (let start = 0; start < prompts.length; start += batchSize) {
      if (options.signal?.aborted) throw new CancelledError(`scoring cancelled after ${start} of ${formatCount(prompts.length, 'item')}`);
      const batch = prompts.slice(start, start + batchSize);
      const batchOptions = {
        ...(options.sharedPrefix === undefined ? {} : { sharedPrefix: options.sharedPrefix }),
        ...(onFloored === undefined ? {} : { onFloored: (row: number, label: number) => onFloored(start + row, label) }),
      };
      const rows = await this.backend.scoreBatch(batch, labelTokenIds, options.signal, batchOptions).catch((error: unknown) => {
        throw rowOffset(error, start);
      });
      scores.set(rows, start * k);
      await options.onBatch?.(rows, start);
      options.onProgress?.({ done: start + batch.length, total: prompts.length });
    }
    return scores;
  }

  /**
   * Frees the backend's native resources: a local model's ONNX sessions, which hold its weights
   * (gigabytes for an LLM; each load its own copy, also of the same folder) until then or until
   * the garbage collector happens to collect the model. A long-lived process (a server, a
   * notebook) should dispose of each model it is done with. Safe to call twice; a disposed local
   * model refuses to score.
   *
   * @example
   * const model = await Model.fromPretrained('./models/my-llm');
   * try { ... } finally { await model.dispose(); }
   */
  async dispose(): Promise<void> {
    await this.backend.dispose?.();
  }
}

/** Refuses, where it is given, a backend that would otherwise fail with a TypeError at the first score. */
function checkBackend(backend: unknown): asserts backend is ScoringBackend {
  // The published Model(model_name, …) is built from a name: say what takes one here.
  const expected = `a scoring backend (an object with a string \`modelId\` and \`tokenize\` and \`scoreBatch\` functions)${
    typeof backend === 'string' ? '; Model.fromPretrained(idOrPath) loads a model by Hub id or folder' : ''
  }`;
  checkObject(backend, 'backend', expected);
  const { modelId, tokenize, scoreBatch } = backend as Partial<ScoringBackend>;
  if (typeof modelId !== 'string' || typeof tokenize !== 'function' || typeof scoreBatch !== 'function')
    throw new InputError({ argument: 'backend', expected, received: backend });
}
