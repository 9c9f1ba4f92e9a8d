import { ActiveTestingError, CancelledError, InputError, type RowError } from '../../errors.js';
import { LONGEST_WAIT_MS } from '../../options/schema.js';
import { checkKnownKeys } from '../../io/suggest.js';
import { redactSecrets, registerSecret } from '../../io/redact.js';
import { formatCount, zeroBasedRow } from '../../io/format-count.js';

/**
 * Which prompt a server's answer was wrong about: its row among the prompts scored (counted from
 * 0), the label when it was about one, and, where the caller knows it, the row's place in the
 * user's data (`line 5 of pool.tsv`), which messages then give instead of the row.
 */
export interface RemotePromptPlace {
  row: number;
  label?: number;
  place?: string;
}

/** A request to an inference server that failed for good: after its retries, or at once when retrying cannot help. */
export class RemoteModelError extends ActiveTestingError implements RowError {
  override name = 'RemoteModelError';
  /** What went wrong, without the URL or the prompt (secrets redacted). */
  readonly reason: string;

  constructor(
    readonly url: string,
    reason: string,
    /** The HTTP status of the last answer, when there was one. */
    readonly status?: number,
    /** The prompt the answer was wrong about, when it was about one. */
    readonly prompt?: RemotePromptPlace,
  ) {
    const where =
      prompt === undefined
        ? ''
        : `${prompt.place ?? zeroBasedRow(prompt.row)}${prompt.label === undefined ? '' : `, label ${prompt.label}`}: `;
    super(redactSecrets(`${url}: ${where}${reason}`));
    this.reason = redactSecrets(reason);
  }

  /** The row of the prompt the answer was wrong about, among the prompts scored. */
  get row(): number | undefined {
    return this.prompt?.row;
  }

  atRow(row: number): RemoteModelError {
    return new RemoteModelError(this.url, this.reason, this.status, this.prompt && { ...this.prompt, row });
  }

  /** The same error, its prompt told by `place`, its place in the user's data (`line 5 of pool.tsv`). */
  atPlace(place: string): RemoteModelError {
    return new RemoteModelError(this.url, this.reason, this.status, this.prompt && { ...this.prompt, place });
  }
}

/** How hard a request is tried before it fails; the waits are at most 2³¹ − 1 ms, the longest timer. */
export interface RetryPolicy {
  /** Retries after the first attempt (default 5). */
  maxRetries: number;
  /** The first backoff delay; each retry doubles it (default 500 ms). */
  initialDelayMs: number;
  /** The longest backoff delay, and the longest `Retry-After` honoured; a server asking for more fails the request (default 60 s). */
  maxDelayMs: number;
  /** One attempt's limit, from sending the request to reading the whole answer (default 120 s). */
  timeoutMs: number;
}

/** The retry policy of `OpenAIHttpClient` where `retry` leaves a field out. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  initialDelayMs: 500,
  maxDelayMs: 60_000,
  timeoutMs: 120_000,
};

/** What the client says about each failed attempt it is about to retry. */
export interface RetryNotice {
  url: string;
  attempt: number;
  reason: string;
  delayMs: number;
}

/** Options of `OpenAIHttpClient`. */
export interface OpenAIHttpClientOptions {
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  retry?: Partial<RetryPolicy>;
  /** Called before each retry (for logs). */
  onRetry?: (notice: RetryNotice) => void;
}

/** An attempt that failed in a way worth retrying: overload, server error, dropped connection, timeout, garbled answer. */
class TransientFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * JSON over HTTP for OpenAI-compatible servers, with the failure handling long scoring jobs need:
 * a timeout per attempt, retries with exponential backoff on 429 (honouring `Retry-After`), 5xx,
 * dropped connections, timeouts and malformed JSON, and cancellation through an `AbortSignal`.
 * Other 4xx answers (bad request, unauthorised) fail at once with the server's message.
 *
 * @example
 * const client = new OpenAIHttpClient({ apiKey: process.env.OPENAI_API_KEY });
 * const body = await client.postJson('http://localhost:8000/tokenize', { prompt: 'Hello' });
 */
export class OpenAIHttpClient {
  readonly policy: RetryPolicy;
  private readonly apiKey?: string;
  private readonly onRetry?: (notice: RetryNotice) => void;

  constructor(options: OpenAIHttpClientOptions = {}) {
    checkKnownKeys(options, ['apiKey', 'retry', 'onRetry'] satisfies (keyof OpenAIHttpClientOptions)[], null);
    this.policy = retryPolicy(options.retry ?? {});
    this.apiKey = options.apiKey;
    registerSecret(options.apiKey);
    this.onRetry = options.onRetry;
  }

  /** POSTs `body` as JSON to `url` and resolves to the parsed JSON answer. */
  async postJson(url: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const payload = JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      throwIfCancelled(signal);
      try {
        return await this.attempt(url, payload, signal);
      } catch (error) {
        if (!(error instanceof TransientFailure)) throw error;
        if (attempt >= this.policy.maxRetries) {
          throw new RemoteModelError(url, `${error.message} (gave up after ${formatCount(attempt + 1, 'attempt')})`, error.status);
        }
        const backoff = Math.min(this.policy.initialDelayMs * 2 ** attempt, this.policy.maxDelayMs);
        if (error.retryAfterMs !== undefined && error.retryAfterMs > this.policy.maxDelayMs) {
          throw new RemoteModelError(
            url,
            `${error.message}; the server asks to wait ${error.retryAfterMs / 1000} s, more than the ${this.policy.maxDelayMs / 1000} s allowed (retry.maxDelayMs)`,
            error.status,
          );
        }
        const delayMs = Math.max(backoff, error.retryAfterMs ?? 0);
        this.onRetry?.({ url, attempt: attempt + 1, reason: redactSecrets(error.message), delayMs });
        await sleep(delayMs, signal);
      }
    }
  }

  private async attempt(url: string, payload: string, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(Math.ceil(this.policy.timeoutMs));
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let text: string;
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body: payload, signal: combined });
      text = await response.text();
    } catch (error) {
      throwIfCancelled(signal);
      if (timeout.aborted) throw new TransientFailure(`no complete answer within ${this.policy.timeoutMs} ms`);
      throw new TransientFailure(`connection failed: ${describeNetworkError(error)}`);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new TransientFailure(
        `HTTP ${response.status}${serverMessage(text)}`,
        response.status,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (response.status === 401 || response.status === 403) {
      const hint = this.apiKey
        ? 'the server refused the API key'
        : 'the server wants an API key: set OPENAI_API_KEY (or name the variable with --api-key-env)';
      throw new RemoteModelError(url, `HTTP ${response.status}${serverMessage(text)}; ${hint} (not retried)`, response.status);
    }
    if (!response.ok) {
      throw new RemoteModelError(url, `HTTP ${response.status}${serverMessage(text)}`, response.status);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new TransientFailure(`malformed JSON in the answer (${JSON.stringify(quoteStart(text, 80))})`, response.status);
    }
  }
}

/**
 * `DEFAULT_RETRY_POLICY` with the fields of `retry` that are set, each checked: a count that is
 * not an integer would retry forever, and a wait out of a timer's range would fail every request
 * as an unexpected error, or not wait at all.
 */
function retryPolicy(retry: Partial<RetryPolicy>): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY };
  checkKnownKeys(retry, Object.keys(DEFAULT_RETRY_POLICY), 'retry');
  for (const [name, value] of Object.entries(retry) as Array<[keyof RetryPolicy, unknown]>) {
    if (value === undefined) continue;
    const argument = `retry.${name}`;
    if (name === 'maxRetries') {
      if (!Number.isSafeInteger(value) || (value as number) < 0)
        throw new InputError({ argument, expected: 'an integer ≥ 0', received: value });
    } else if (typeof value !== 'number' || !(name === 'timeoutMs' ? value > 0 : value >= 0) || value > LONGEST_WAIT_MS) {
      throw new InputError({
        argument,
        expected: `milliseconds in ${name === 'timeoutMs' ? '(' : '['}0, ${LONGEST_WAIT_MS}]`,
        received: value,
      });
    }
    policy[name] = value as number;
  }
  return policy;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function serverMessage(text: string): string {
  if (text.trim() === '') return '';
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message ?? undefined);
    if (typeof message === 'string') return `: ${redactSecrets(message)}`;
  } catch {
    // Not JSON: quote the start of the text instead.
  }
  return `: ${quoteStart(text, 200)}`;
}

/**
 * The first `length` characters of a server's text with its secrets redacted. Redacted before it
 * is cut: a key cut in two would no longer match, and its first part would be printed.
 */
function quoteStart(text: string, length: number): string {
  return redactSecrets(text).slice(0, length);
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return code ? `${cause.message} (${String(code)})` : cause.message;
  }
  return error.message;
}

function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('scoring was cancelled');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError('scoring was cancelled'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError('scoring was cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
