import { performance } from 'node:perf_hooks';
import type { TextClassificationDataset } from '../dataset/text-classification-dataset.js';
import { CancelledError, InputError, rowOffset } from '../errors.js';
import { accuracy, crossEntropyLoss } from '../metrics/index.js';
import { tokenizeLabels } from '../model/label-tokens.js';
import type { ScoringBackend } from '../model/backend.js';
import { DEFAULT_BATCH_SIZE, type Model, type ScoringProgress } from '../model/model.js';
import { ScoreCheckpoint } from './checkpoint.js';
import { itemPrompt, promptPrefix, REFERENCE_TEMPLATE, type PromptTemplate } from './prompt.js';
import { formatCount } from '../io/format-count.js';
import { checkArrayLike, checkObject } from '../io/check-arguments.js';
import { checkKnownKeys } from '../io/suggest.js';

/** An ICL shot: a text and its class id. */
export interface Shot {
  text: string;
  label: number;
}

/** Options of `runScoringJob`. */
export interface ScoringJobOptions {
  /** Instruction before the shots (default: the dataset's). Used verbatim. */
  instruction?: string;
  /** Default: the dataset's. */
  answerString?: string;
  template?: PromptTemplate;
  /** ICL shots, in prompt order (class ids of `dataset.classes`). */
  shots?: readonly Shot[];
  /** Explicit label token ids instead of the continuation rule. */
  labelTokenIds?: readonly number[];
  batchSize?: number;
  /** Encode the shared instruction + shots once and reuse its key/value cache (default true; exact either way). */
  prefixCache?: boolean;
  signal?: AbortSignal;
  /**
   * Called after every batch, and first with the checkpoint's items when it has any: `done` counts
   * the whole dataset's items scored, the checkpoint's included (as the message of a cancelled job does).
   */
  onProgress?: (progress: ScoringProgress) => void;
  /**
   * Keep finished batches at this path base (see `ScoreCheckpoint`), resuming a run with the same
   * `config`; `discardUnfit` starts afresh where a checkpoint with more rows than the dataset
   * would be refused. The files (`<base>.partial.json`, `.partial.f32`, `.partial.floored`) stay
   * when the job finishes, so that its scores survive until the caller has saved them (a job with
   * the same `config` returns them meanwhile without scoring): remove them then. A job that fails
   * or is cancelled before its first batch leaves none.
   */
  checkpoint?: { base: string; config: unknown; discardUnfit?: boolean };
}

/** What `runScoringJob` returns: the scores and their metrics. */
export interface ScoringJobResult {
  /** N×K raw label-token logits, row-major, in the dataset's order. */
  scores: Float32Array;
  /** [N, K] of `scores`: `{ data: result.scores, shape: result.shape }` is `simulate`'s `modelScores`. */
  shape: [number, number];
  /** The dataset's class indices, in the same order: `simulate`'s `labels`. */
  labels: Int32Array;
  labelTokenIds: number[];
  /**
   * Per class, how many tokens its name spans after the prompt (`labelTokenCounts`): above 1, the
   * class is scored by its first token alone. Null when the token ids were given (`labelTokenIds`).
   */
  labelTokenCounts: number[] | null;
  accuracy: number;
  /** Mean cross-entropy of softmax(scores) against the labels. */
  loss: number;
  /** The full prompt of the first item, shots included. */
  firstPrompt: string;
  /**
   * Label scores that were floored, not the labels' values but upper bounds on them (a served
   * model's `--missing-label floor`), the checkpoint's included.
   */
  flooredLabels: number;
  /** Items scored by this call (the rest came from a checkpoint). */
  scoredNow: number;
  timings: { scoringSeconds: number; itemsPerSecond: number };
}

const SCORING_JOB_OPTIONS = [
  'instruction',
  'answerString',
  'template',
  'shots',
  'labelTokenIds',
  'batchSize',
  'prefixCache',
  'signal',
  'onProgress',
  'checkpoint',
] satisfies (keyof ScoringJobOptions)[];

/** Refuses a model or dataset of the wrong kind before any prompt is built or scored: they would fail far inside. */
function checkModelAndDataset(model: Model, dataset: TextClassificationDataset): void {
  checkObject(model, 'model', 'a Model (from Model.fromPretrained)');
  if (typeof model.labelTokenIds !== 'function' || typeof model.score !== 'function')
    throw new InputError({ argument: 'model', expected: 'a Model (from Model.fromPretrained)', received: model });
  checkObject(dataset, 'dataset', 'a TextClassificationDataset');
  checkArrayLike(dataset.texts, 'dataset.texts', 'a list of texts, as in a TextClassificationDataset');
  checkArrayLike(dataset.classes, 'dataset.classes', 'a list of class names, as in a TextClassificationDataset');
}

type PromptOptions = Pick<ScoringJobOptions, 'instruction' | 'answerString' | 'template' | 'shots'>;

/**
 * A scoring job's prompt parts: the prefix every prompt starts with (instruction and shots), and
 * the first prompt, after whose end the label tokens are found.
 */
function jobPrompt(
  dataset: TextClassificationDataset,
  options: PromptOptions,
): { prefix: string; prompt: (text: string) => string; firstPrompt: string } {
  const answer = options.answerString ?? dataset.answerString;
  const template = options.template ?? REFERENCE_TEMPLATE;
  const shots = (options.shots ?? []).map((s) => ({ text: s.text, label: dataset.classes[s.label] as string }));
  const prefix = promptPrefix(options.instruction ?? dataset.instruction, shots, answer, template);
  const prompt = (text: string) => itemPrompt(prefix, text, answer, template);
  return { prefix, prompt, firstPrompt: prompt(dataset.texts[0] ?? '') };
}

/** A label-token error of the model's labels, which are the dataset's class names here: named by the option they come from. */
function asClassesError(error: unknown): never {
  if (error instanceof InputError && error.argument === 'labels') {
    throw new InputError({ argument: 'classes', expected: (naming) => error.expectedBy(naming), received: error.received });
  }
  throw error;
}

/** `tokenizeLabels` of the classes after `prompt`, its refusals named `classes`. */
function classTokens(
  backend: Pick<ScoringBackend, 'tokenize' | 'unknownTokenId'>,
  prompt: string,
  classes: readonly string[],
  signal?: AbortSignal,
): Promise<{ ids: number[]; counts: number[] }> {
  return tokenizeLabels(backend, prompt, classes, signal).catch(asClassesError);
}

/**
 * Refuses the classes of a scoring job over `dataset` (with `options`' shots and prompt settings)
 * as `runScoringJob` would before its first batch, with the same error, needing only a tokenizer:
 * two classes whose first tokens after the first prompt are the same, a class that maps to the
 * unknown token, or one that merges with the prompt's end.
 *
 * @throws {InputError} naming `classes`.
 */
export async function checkJobClasses(
  tokenizer: Pick<ScoringBackend, 'tokenize' | 'unknownTokenId'>,
  dataset: TextClassificationDataset,
  options: PromptOptions & { signal?: AbortSignal } = {},
): Promise<void> {
  await classTokens(tokenizer, jobPrompt(dataset, options).firstPrompt, dataset.classes, options.signal);
}

/**
 * Scores every item of a dataset with a model, zero-shot or with ICL shots: builds the prompts,
 * finds the label tokens, scores in batches (prefix-cached when possible), optionally
 * checkpointing to disk, and computes accuracy and cross-entropy.
 *
 * @example
 * const result = await runScoringJob(model, sst2.select(splits.pool), { batchSize: 16 });
 * result.accuracy;
 */
export async function runScoringJob(
  model: Model,
  dataset: TextClassificationDataset,
  options: ScoringJobOptions = {},
): Promise<ScoringJobResult> {
  checkKnownKeys(options, SCORING_JOB_OPTIONS, null);
  checkModelAndDataset(model, dataset);
  const { prefix, prompt, firstPrompt } = jobPrompt(dataset, options);
  const prompts = dataset.texts.map(prompt);
  const k = dataset.classes.length;
  // Without explicit ids the class names are tokenized once for both their ids and their lengths.
  const explicitIds = options.labelTokenIds;
  const { ids: labelTokenIds, counts: tokenCounts } = await (explicitIds === undefined
    ? classTokens(model.backend, firstPrompt, dataset.classes, options.signal)
    : model
        .labelTokenIds(firstPrompt, dataset.classes, explicitIds, options.signal)
        .then((ids) => ({ ids, counts: null }))
        .catch(asClassesError));

  const checkpoint = options.checkpoint
    ? await ScoreCheckpoint.open(
        options.checkpoint.base,
        options.checkpoint.config,
        prompts.length,
        labelTokenIds,
        options.checkpoint.discardUnfit,
        options.batchSize ?? DEFAULT_BATCH_SIZE,
      )
    : null;
  const done = checkpoint?.done ?? 0;
  // Items are counted over the whole dataset, the checkpoint's included, in the progress reports
  // and when cancelled: a resumed run starts where the earlier one stopped.
  if (done > 0) options.onProgress?.({ done, total: prompts.length });
  let scoredNow = 0;
  // One byte per score, 1 where floored: kept in the checkpoint beside the scores, so that a resumed run counts them all.
  const floored = new Uint8Array(prompts.length * k);
  if (checkpoint) floored.set(checkpoint.floored);
  const started = performance.now();
  const fresh = await model
    .score(prompts.slice(done), labelTokenIds, {
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.prefixCache !== false && prefix !== '' ? { sharedPrefix: prefix } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: ({ done: now }) => {
        scoredNow = now;
        options.onProgress?.({ done: done + now, total: prompts.length });
      },
      onFloored: (row, label) => {
        floored[(done + row) * k + label] = 1;
      },
      ...(checkpoint
        ? {
            onBatch: (rows: Float32Array, firstRow: number) =>
              checkpoint.append(rows, floored.subarray((done + firstRow) * k, (done + firstRow) * k + rows.length)),
          }
        : {}),
    })
    .catch(async (error: unknown) => {
      await checkpoint?.discardIfEmpty();
      if (error instanceof CancelledError)
        throw new CancelledError(`scoring cancelled after ${done + scoredNow} of ${formatCount(prompts.length, 'item')}`);
      throw rowOffset(error, done);
    });
  const seconds = (performance.now() - started) / 1000;
  const scores = new Float32Array(prompts.length * k);
  if (checkpoint) scores.set(checkpoint.rows);
  scores.set(fresh, done * k);
  const matrix = { data: Float64Array.from(scores), rows: dataset.size, cols: k };
  return {
    scores,
    shape: [dataset.size, k],
    labels: Int32Array.from(dataset.labels),
    labelTokenIds,
    labelTokenCounts: tokenCounts,
    accuracy: accuracy(matrix, dataset.labels),
    loss: crossEntropyLoss(matrix, dataset.labels),
    firstPrompt,
    flooredLabels: floored.reduce((sum, mark) => sum + mark, 0),
    scoredNow: prompts.length - done,
    timings: { scoringSeconds: seconds, itemsPerSecond: seconds > 0 ? (prompts.length - done) / seconds : 0 },
  };
}
