/**
 * What `Model` needs from a way of running a language model. Prompts, label tokens, batching,
 * progress, cancellation and resuming are `Model`'s job and shared by every backend; a backend
 * only tokenizes and scores one batch. `TransformersBackend` runs ONNX models locally through
 * transformers.js; a server backend scores through an inference server.
 */
export interface ScoringBackend {
  /** The model as the user named it (Hub id, folder or server target), recorded in results. */
  readonly modelId: string;
  /**
   * Token ids of `text` as the model sees it: with the tokenizer's default special tokens (its BOS,
   * if it adds one) when `addSpecialTokens` is true.
   */
  tokenize(text: string, signal?: AbortSignal, addSpecialTokens?: boolean): Promise<number[]>;
  /**
   * Scores of the given tokens as the next token after each prompt: a prompts.length × K
   * row-major matrix (raw logits, or log-probabilities, which differ from them by a per-row constant).
   * `options.sharedPrefix`, when given, starts every prompt; a backend may cache its encoding.
   */
  scoreBatch(
    prompts: readonly string[],
    labelTokenIds: readonly number[],
    signal?: AbortSignal,
    options?: ScoreBatchOptions,
  ): Promise<Float32Array>;
  /**
   * Refuses, before any batch is scored, a prompt the model cannot take (e.g. longer than its
   * context), with an `InputError` naming the row, and batches of `options.batchSize` prompts
   * sharing `options.sharedPrefix` that the backend could not hold; a backend that cannot tell
   * cheaply leaves it out.
   */
  checkPrompts?(prompts: readonly string[], signal?: AbortSignal, options?: CheckPromptsOptions): Promise<void>;
  /** The id the tokenizer gives to unknown text, if it has one (a label mapping to it is refused). */
  readonly unknownTokenId?: number | null;
  /** How many token ids the model scores, if known: a label token id at or above it is refused. */
  readonly vocabularySize?: number | null;
  /** Frees native resources (ONNX sessions, connections). */
  dispose?(): Promise<void>;
}

/** How `Model.score` will batch the prompts that `ScoringBackend.checkPrompts` checks. */
export interface CheckPromptsOptions {
  /** Prompts per batch. */
  batchSize?: number;
  /** A text every prompt starts with, as `ScoreBatchOptions.sharedPrefix`. */
  sharedPrefix?: string;
}

/** Options of `ScoringBackend.scoreBatch`. */
export interface ScoreBatchOptions {
  /** A text that every prompt of the batch starts with (e.g. the instruction and ICL shots). */
  sharedPrefix?: string;
  /**
   * Told of each score that is not the label's value but an upper bound on it (a served model's
   * label outside the top log-probabilities, floored to the lowest of them), by the prompt's row in
   * the batch and the label's index.
   */
  onFloored?: (row: number, label: number) => void;
}
