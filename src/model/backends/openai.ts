import { CancelledError, InputError, ReceivedKind, withArticle } from '../../errors.js';
import type { ScoreBatchOptions, ScoringBackend } from '../backend.js';
import { OpenAIHttpClient, RemoteModelError, RETRY_POLICY_KEYS, type RetryNotice, type RetryPolicy } from './openaiHttp.js';
import { parseNoticingRepeatedKeys, readChoiceLogprobs, readTokenIds, readTokenLogprob, readTopLogprobsById } from './openaiProtocol.js';
import { parseOpenAIModelSpec, type OpenAITarget } from './openaiTarget.js';
import { followSignal } from '../../io/follow-signal.js';
import { formatCount } from '../../io/format-count.js';
import { checkObject } from '../../io/check-arguments.js';
import { checkKnownKeys } from '../../io/suggest.js';
import { checkOption } from '../../options/schema.js';

/**
 * How label scores are read from the server.
 * - `echo` (exact, default): for each item and label, the prompt's tokens followed by the label
 *   token are sent with `echo: true`, and the server's log-probability of that last echoed token
 *   is the score. K sequences per item; the shared prompt prefix is the server's prefix cache's job.
 * - `top-logprobs` (cheap): one sequence per item, the label tokens are read from the first
 *   generated token's `top_logprobs`. Servers cap how many they return, so K must not exceed
 *   `topLogprobs`; a label outside the top ones is an error unless `missingLabel: 'floor'`.
 */
export type OpenAIScoringMode = 'echo' | 'top-logprobs';

/**
 * Options of `OpenAIBackend` and `OpenAIBackend.fromSpec`: the names and units of `evaluate`'s
 * options (`--openai-mode`, `--request-timeout` in seconds, …), and the retry policy's backoff
 * delays, in seconds too (see `RetryPolicy` for all four of its fields and their defaults).
 */
export interface OpenAIBackendOptions extends Partial<RetryPolicy> {
  /** How label scores are read (default `'echo'`). */
  openaiMode?: OpenAIScoringMode;
  /** How many top log-probabilities to ask for in `top-logprobs` mode: the server's cap (OpenAI 5, vLLM `--max-logprobs`, default 20). Default 20. */
  topLogprobs?: number;
  /**
   * A label token missing from the top log-probabilities: `'error'` (default) fails, naming the
   * prompt's row and the label token; `'floor'` scores it with the lowest log-probability the
   * server returned for that item, an upper bound on its true value (counted in
   * `stats.flooredLabels` and reported to `onFloored`).
   */
  missingLabel?: 'error' | 'floor';
  /** `max_tokens` in echo mode: 0 where the server accepts it, else 1 (default 1, which every server accepts). */
  echoMaxTokens?: 0 | 1;
  /** HTTP requests in flight at once (default 8). */
  concurrency?: number;
  /** Called before each retry (for logs). */
  onRetry?: (notice: RetryNotice) => void;
  /** The environment variable holding the API key when the target is given as a string (default `OPENAI_API_KEY`, optional). */
  apiKeyEnv?: string;
}

const OPENAI_BACKEND_OPTIONS = [
  'openaiMode',
  'topLogprobs',
  'missingLabel',
  'echoMaxTokens',
  'concurrency',
  ...RETRY_POLICY_KEYS,
  'onRetry',
  'apiKeyEnv',
] satisfies (keyof OpenAIBackendOptions)[];

/** Counters of the work sent to the server, for progress lines and tests. */
export interface OpenAIBackendStats {
  /** Completed HTTP requests (tokenize and completions). */
  requests: number;
  /** Completed `/v1/completions` requests. */
  completionRequests: number;
  /**
   * Label scores filled with the floor value in `top-logprobs` mode, by this backend's requests
   * only; an evaluation's total across a resume is `EvaluateOutcome.flooredLabels`.
   */
  flooredLabels: number;
}

/** Refuses a target without a URL and a model name, which would fail at the first request instead. */
function checkTarget(target: unknown): asserts target is OpenAITarget {
  const expected = 'a target { baseUrl, rootUrl, model, apiKey? } (from parseOpenAIModelSpec)';
  checkObject(target, 'target', expected);
  for (const key of ['baseUrl', 'rootUrl', 'model'] as const) {
    const value: unknown = (target as Partial<OpenAITarget>)[key];
    if (typeof value !== 'string' || value === '')
      throw new InputError({ argument: `target.${key}`, expected: `a non-empty string, as in ${expected}`, received: value });
  }
}

/**
 * Scores classification labels through an OpenAI-compatible inference server such as vLLM
 * (see docs/vllm.md for what the server must support): the log-probability of each label's first token as the
 * continuation of the prompt. Prompts are tokenized by the server's own tokenizer (`/tokenize`
 * at the server root), so `labelTokenIds` gives label tokens by the same definition as for the
 * local backend. Scores are log-probabilities; after a log-softmax over the K labels they equal
 * the local backend's logits. The server's tokenizer does not say which id is its unknown
 * token, so a label missing from the vocabulary is caught only when it collides with another.
 *
 * @example
 * const backend = OpenAIBackend.fromSpec('openai:http://localhost:8000/v1#llama-70b', { openaiMode: 'echo', requestTimeout: 60 });
 * backend.openaiMode; // 'echo'
 * const labelIds = await labelTokenIds(backend, prompts[0], ['negative', 'positive']);
 * const scores = await backend.scoreBatch(prompts, labelIds); // prompts.length × 2, row-major
 */
export class OpenAIBackend implements ScoringBackend {
  readonly target: OpenAITarget;
  /** How label scores are read. */
  readonly openaiMode: OpenAIScoringMode;
  readonly concurrency: number;
  readonly stats: OpenAIBackendStats = { requests: 0, completionRequests: 0, flooredLabels: 0 };
  /** Top log-probabilities asked for in `top-logprobs` mode. */
  readonly topLogprobs: number;
  /** What a label missing from the top log-probabilities gets in `top-logprobs` mode. */
  readonly missingLabel: 'error' | 'floor';
  private readonly echoMaxTokens: 0 | 1;
  private readonly client: OpenAIHttpClient;
  private readonly slots: RequestSlots;

  constructor(target: OpenAITarget, options: OpenAIBackendOptions = {}) {
    checkTarget(target);
    checkKnownKeys(options, OPENAI_BACKEND_OPTIONS, null);
    this.target = target;
    // Checked as the option schema declares them, as `evaluate` checks them.
    const given = <T>(name: 'openaiMode' | 'topLogprobs' | 'missingLabel' | 'concurrency', byDefault: T): T =>
      (checkOption(name, options[name], 'evaluate') as T | undefined) ?? byDefault;
    this.openaiMode = given('openaiMode', 'echo');
    this.topLogprobs = given('topLogprobs', 20);
    this.missingLabel = given('missingLabel', 'error');
    this.concurrency = given('concurrency', 8);
    this.echoMaxTokens = options.echoMaxTokens ?? 1;
    if (this.echoMaxTokens !== 0 && this.echoMaxTokens !== 1) {
      throw new InputError({ argument: 'echoMaxTokens', expected: '0 or 1', received: this.echoMaxTokens });
    }
    const { requestTimeout, maxRetries, retryDelay, maxRetryDelay, onRetry } = options;
    this.client = new OpenAIHttpClient({ apiKey: target.apiKey, requestTimeout, maxRetries, retryDelay, maxRetryDelay, onRetry });
    this.slots = new RequestSlots(this.concurrency);
  }

  /** A backend for `openai:<base URL>#<model>` (see `parseOpenAIModelSpec`). */
  static fromSpec(spec: string, options: OpenAIBackendOptions = {}): OpenAIBackend {
    return new OpenAIBackend(parseOpenAIModelSpec(spec, { apiKeyEnv: options.apiKeyEnv }), options);
  }

  /** The target as `openai:<base URL>#<model>` (never the key), recorded in results. */
  get modelId(): string {
    return `openai:${this.target.baseUrl}#${this.target.model}`;
  }

  /** The server's token ids for `text`, with the special tokens its tokenizer adds by default. */
  async tokenize(text: string, signal?: AbortSignal, addSpecialTokens = true): Promise<number[]> {
    const url = `${this.target.rootUrl}/tokenize`;
    const body = await this.post(url, { model: this.target.model, prompt: text, add_special_tokens: addSpecialTokens }, signal);
    return readTokenIds(url, body, text);
  }

  /**
   * Scores `prompts` against the label tokens: a `prompts.length × K` row-major matrix of
   * log-probabilities. The batch is split into up to `concurrency` completions requests sent at
   * once (each with its prompts as a list), after one `/tokenize` request per prompt; failed
   * requests are retried per the retry policy, and the first request that fails for good
   * cancels the others; the call settles only once none of its requests is running. Each floored
   * label score (`missingLabel: 'floor'`) is told to `options.onFloored`.
   */
  async scoreBatch(
    prompts: readonly string[],
    labelTokenIds: readonly number[],
    signal?: AbortSignal,
    options: ScoreBatchOptions = {},
  ): Promise<Float32Array> {
    const K = labelTokenIds.length;
    checkTopLogprobsLabelCount(this, K);
    const failed = new AbortController();
    const unfollow = followSignal(failed, signal);
    const group = failed.signal;
    const scores = new Float32Array(prompts.length * K);
    const chunks = splitEvenly(prompts.length, this.concurrency).map(async ([start, end]) => {
      try {
        const promptIds = await Promise.all(prompts.slice(start, end).map((prompt) => this.tokenize(prompt, group)));
        const rows =
          this.openaiMode === 'echo'
            ? await this.scoreByEcho(promptIds, labelTokenIds, start, group)
            : await this.scoreByTopLogprobs(promptIds, labelTokenIds, start, group, options.onFloored);
        scores.set(rows, start * K);
      } catch (error) {
        failed.abort();
        throw error;
      }
    });
    // Settle every request before answering, so that nothing of this batch is left running after a
    // failure; report the failure itself, not the cancellations it caused.
    const outcomes = await Promise.allSettled(chunks);
    unfollow();
    const cancelledBySibling = (reason: unknown): boolean => reason instanceof CancelledError && !signal?.aborted;
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected' && !cancelledBySibling(o.reason));
    if (failure) throw failure.reason;
    return scores;
  }

  private async scoreByEcho(
    promptIds: number[][],
    labelTokenIds: readonly number[],
    firstItem: number,
    signal: AbortSignal,
  ): Promise<Float32Array> {
    const K = labelTokenIds.length;
    const sequences = promptIds.flatMap((ids) => labelTokenIds.map((label) => [...ids, label]));
    const url = `${this.target.baseUrl}/completions`;
    const body = await this.complete(
      url,
      {
        prompt: sequences,
        echo: true,
        max_tokens: this.echoMaxTokens,
        logprobs: 1,
        temperature: 0,
        return_tokens_as_token_ids: true,
      },
      signal,
    );
    const choices = readChoiceLogprobs(url, body, sequences.length);
    const scores = new Float32Array(sequences.length);
    for (let s = 0; s < sequences.length; s++) {
      const item = Math.floor(s / K);
      const position = promptIds[item].length;
      const choice = choices[s];
      const prompt = { row: firstItem + item, label: s % K };
      const echoed = choice.token_logprobs.length;
      if (echoed < position + 1 || echoed > position + 1 + this.echoMaxTokens) {
        throw new RemoteModelError(
          url,
          `the server echoed ${formatCount(echoed, 'token')} for ${withArticle(`${position + 1}-token`)} prompt`,
          undefined,
          prompt,
        );
      }
      const token = choice.tokens?.[position];
      if (typeof token === 'string' && token.startsWith('token_id:') && token !== `token_id:${labelTokenIds[s % K]}`) {
        throw new RemoteModelError(url, `echoed token ${token} where label token ${labelTokenIds[s % K]} was sent`, undefined, prompt);
      }
      scores[s] = readTokenLogprob(url, choice, position, prompt);
    }
    return scores;
  }

  private async scoreByTopLogprobs(
    promptIds: number[][],
    labelTokenIds: readonly number[],
    firstItem: number,
    signal: AbortSignal,
    onFloored: ((row: number, label: number) => void) | undefined,
  ): Promise<Float32Array> {
    const K = labelTokenIds.length;
    const url = `${this.target.baseUrl}/completions`;
    const body = await this.complete(
      url,
      { prompt: promptIds, max_tokens: 1, logprobs: this.topLogprobs, temperature: 0, return_tokens_as_token_ids: true },
      signal,
      // A token id given twice in one top_logprobs is refused, not read by its last value.
      parseNoticingRepeatedKeys,
    );
    const choices = readChoiceLogprobs(url, body, promptIds.length);
    const scores = new Float32Array(promptIds.length * K);
    choices.forEach((choice, item) => {
      const top = readTopLogprobsById(url, choice, { row: firstItem + item });
      const lowest = Math.min(...top.values());
      labelTokenIds.forEach((label, k) => {
        const value = top.get(label);
        if (value !== undefined) {
          scores[item * K + k] = value;
        } else if (this.missingLabel === 'floor') {
          scores[item * K + k] = lowest;
          this.stats.flooredLabels++;
          onFloored?.(firstItem + item, k);
        } else {
          throw new RemoteModelError(
            url,
            (naming) =>
              `label token ${label} is not among the top ${top.size < this.topLogprobs ? `${top.size} log-probabilities the server returned (of the ${this.topLogprobs} requested: it may cap ${naming.option('topLogprobs')} lower)` : `${this.topLogprobs} log-probabilities`}; use ${naming.setting('openaiMode', 'echo')}, or opt into ${naming.setting('missingLabel', 'floor')}`,
            undefined,
            { row: firstItem + item },
          );
        }
      });
    });
    return scores;
  }

  private async complete(
    url: string,
    request: Record<string, unknown>,
    signal: AbortSignal,
    parse?: (text: string) => unknown,
  ): Promise<unknown> {
    let body: unknown;
    try {
      body = await this.post(url, { model: this.target.model, ...request }, signal, parse);
    } catch (error) {
      // vLLM serves the completions API under /v1: a base URL without it (the server's root, which
      // /tokenize answers) gets a bare 404 ({"detail":"Not Found"}) that names no cause. Only a
      // root is hinted at: other services' APIs live under other paths (/v1beta/openai).
      if (error instanceof RemoteModelError && error.status === 404 && ['', '/'].includes(new URL(this.target.baseUrl).pathname))
        throw new RemoteModelError(
          url,
          `${error.reason}; the base URL of an OpenAI-compatible server usually ends in /v1 (openai:http://host:port/v1#model)`,
          404,
        );
      throw error;
    }
    this.stats.completionRequests++;
    return body;
  }

  private async post(url: string, body: unknown, signal?: AbortSignal, parse?: (text: string) => unknown): Promise<unknown> {
    const release = await this.slots.acquire();
    try {
      const answer = await this.client.postJson(url, body, signal, parse);
      this.stats.requests++;
      return answer;
    } finally {
      release();
    }
  }
}

/** [start, end) ranges cutting `count` items into at most `parts` near-equal consecutive groups. */
function splitEvenly(count: number, parts: number): Array<[number, number]> {
  const groups = Math.min(count, parts);
  return Array.from({ length: groups }, (_, g) => [Math.floor((g * count) / groups), Math.floor(((g + 1) * count) / groups)]);
}

/** A counting semaphore: at most `limit` holders at once, served in arrival order. */
class RequestSlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.free = limit;
  }

  async acquire(): Promise<() => void> {
    if (this.free > 0) {
      this.free--;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/**
 * Refuses `labelCount` labels in the top-logprobs mode when the top log-probabilities asked for
 * cannot hold them all (servers cap `top_logprobs`). `evaluate` checks this from its classes
 * before it reads the data or asks the server anything; `scoreBatch` checks it again for callers
 * of the library.
 *
 * @throws {InputError} naming `openaiMode`, the label count and the top-logprobs value.
 */
export function checkTopLogprobsLabelCount(backend: Pick<OpenAIBackend, 'openaiMode' | 'topLogprobs'>, labelCount: number): void {
  if (backend.openaiMode !== 'top-logprobs' || labelCount <= backend.topLogprobs) return;
  throw new InputError({
    argument: 'openaiMode',
    expected: (naming) =>
      `at most ${formatCount(backend.topLogprobs, 'class', 'classes')} (${naming.setting('topLogprobs', backend.topLogprobs)}) in the top-logprobs mode, since servers cap top_logprobs; use ${naming.setting('openaiMode', 'echo')} for more`,
    received: new ReceivedKind(formatCount(labelCount, 'class', 'classes')),
  });
}
