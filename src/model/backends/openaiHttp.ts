import { ActiveTestingError, CancelledError, InputError, LIBRARY_NAMING, type OptionNaming, type RowError } from '../../errors.js';
import { checkOption, LONGEST_WAIT_MS } from '../../options/schema.js';
import { abortableDelay, followSignal } from '../../io/follow-signal.js';
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

/**
 * A request to an inference server that failed for good: after its retries, or at once when
 * retrying cannot help.
 *
 * @example
 * // The server refused the API key (HTTP 401): no retry would help, so scoring stops at once.
 * error.status; // 401
 * error.reason; // e.g. 'HTTP 401; the server refused the API key (not retried)'
 */
export class RemoteModelError extends ActiveTestingError implements RowError {
  override name = 'RemoteModelError';
  /** What went wrong, without the URL or the prompt (secrets redacted), in the library's words. */
  readonly reason: string;
  readonly #wording: string | ((naming: OptionNaming) => string);

  /** `reason` may be a function of an `OptionNaming` where it names options, as `ActiveTestingError`'s message. */
  constructor(
    readonly url: string,
    reason: string | ((naming: OptionNaming) => string),
    /** The HTTP status of the last answer, when there was one. */
    readonly status?: number,
    /** The prompt the answer was wrong about, when it was about one. */
    readonly prompt?: RemotePromptPlace,
  ) {
    const where =
      prompt === undefined
        ? ''
        : `${prompt.place ?? zeroBasedRow(prompt.row)}${prompt.label === undefined ? '' : `, label ${prompt.label}`}: `;
    const worded = (naming: OptionNaming) => (typeof reason === 'function' ? reason(naming) : reason);
    super((naming) => redactSecrets(`${url}: ${where}${worded(naming)}`));
    this.reason = redactSecrets(worded(LIBRARY_NAMING));
    this.#wording = reason;
  }

  /** The row of the prompt the answer was wrong about, among the prompts scored. */
  get row(): number | undefined {
    return this.prompt?.row;
  }

  atRow(row: number): RemoteModelError {
    return new RemoteModelError(this.url, this.#wording, this.status, this.prompt && { ...this.prompt, row });
  }

  /** The same error, its prompt told by `place`, its place in the user's data (`line 5 of pool.tsv`). */
  atPlace(place: string): RemoteModelError {
    return new RemoteModelError(this.url, this.#wording, this.status, this.prompt && { ...this.prompt, place });
  }

  /** The same error, `note` (what the caller can do about it) told after its reason. */
  withNote(note: string): RemoteModelError {
    const wording = this.#wording;
    const noted = (naming: OptionNaming) => `${typeof wording === 'function' ? wording(naming) : wording}; ${note}`;
    return new RemoteModelError(this.url, noted, this.status, this.prompt);
  }
}

/**
 * How hard a request is tried before it fails, durations in seconds (as `requestTimeout` is on
 * the command line); each wait is at most 2147483 s, the longest timer.
 */
export interface RetryPolicy {
  /** One attempt's limit, from sending the request to reading the whole answer (default 120 s). */
  requestTimeout: number;
  /** Retries after the first attempt (default 5). */
  maxRetries: number;
  /** The first backoff delay; each retry doubles it (default 0.5 s). */
  retryDelay: number;
  /** The longest backoff delay, and the longest `Retry-After` honoured; a server asking for more fails the request (default 60 s). */
  maxRetryDelay: number;
}

/** The retry policy of `OpenAIHttpClient` where its options leave a field out. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  requestTimeout: 120,
  maxRetries: 5,
  retryDelay: 0.5,
  maxRetryDelay: 60,
};

/** What the client says about each failed attempt it is about to retry. */
export interface RetryNotice {
  url: string;
  attempt: number;
  reason: string;
  /** Seconds until the retry. */
  delay: number;
}

/** Options of `OpenAIHttpClient`: the retry policy's fields (each defaulting to `DEFAULT_RETRY_POLICY`'s), the key and the retry callback. */
export interface OpenAIHttpClientOptions extends Partial<RetryPolicy> {
  /** Sent as `Authorization: Bearer <apiKey>` when set; undefined is unset (`process.env.OPENAI_API_KEY` as it comes). */
  apiKey?: string | undefined;
  /** Called before each retry (for logs). */
  onRetry?: (notice: RetryNotice) => void;
}

/** The keys of `RetryPolicy`, which `OpenAIHttpClientOptions` and `OpenAIBackendOptions` take flat. */
export const RETRY_POLICY_KEYS = ['requestTimeout', 'maxRetries', 'retryDelay', 'maxRetryDelay'] satisfies (keyof RetryPolicy)[];

/** An attempt that failed in a way worth retrying: overload, server error, dropped connection, timeout, garbled answer. */
class TransientFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** Seconds the server asked to wait (`Retry-After`). */
    readonly retryAfter?: number,
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
 * const client = new OpenAIHttpClient({ apiKey: process.env.OPENAI_API_KEY, requestTimeout: 30, maxRetries: 2 });
 * const body = await client.postJson('http://localhost:8000/tokenize', { prompt: 'Hello' });
 */
export class OpenAIHttpClient {
  readonly policy: RetryPolicy;
  private readonly apiKey?: string;
  private readonly onRetry?: (notice: RetryNotice) => void;

  constructor(options: OpenAIHttpClientOptions = {}) {
    checkKnownKeys(options, ['apiKey', ...RETRY_POLICY_KEYS, 'onRetry'] satisfies (keyof OpenAIHttpClientOptions)[], null);
    this.policy = retryPolicy(options);
    this.apiKey = options.apiKey;
    registerSecret(options.apiKey);
    this.onRetry = options.onRetry;
  }

  /**
   * POSTs `body` as JSON to `url` and resolves to the answer parsed by `parse` (default
   * `JSON.parse`; one that throws on what JSON.parse refuses, as the answer is then retried).
   */
  async postJson(url: string, body: unknown, signal?: AbortSignal, parse: (text: string) => unknown = JSON.parse): Promise<unknown> {
    const payload = JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      throwIfCancelled(signal);
      try {
        return await this.attempt(url, payload, signal, parse);
      } catch (error) {
        if (!(error instanceof TransientFailure)) throw error;
        if (attempt >= this.policy.maxRetries) {
          throw new RemoteModelError(url, `${error.message} (gave up after ${formatCount(attempt + 1, 'attempt')})`, error.status);
        }
        const backoff = Math.min(this.policy.retryDelay * 2 ** attempt, this.policy.maxRetryDelay);
        if (error.retryAfter !== undefined && error.retryAfter > this.policy.maxRetryDelay) {
          const { message, retryAfter, status } = error;
          throw new RemoteModelError(
            url,
            (naming) =>
              `${message}; the server asks to wait ${retryAfter} s, more than the ${this.policy.maxRetryDelay} s allowed (${naming.option('maxRetryDelay')})`,
            status,
          );
        }
        const delay = Math.max(backoff, error.retryAfter ?? 0);
        this.onRetry?.({ url, attempt: attempt + 1, reason: redactSecrets(error.message), delay });
        await abortableDelay(delay * 1000, signal, () => new CancelledError('scoring was cancelled'));
      }
    }
  }

  private async attempt(url: string, payload: string, signal: AbortSignal | undefined, parse: (text: string) => unknown): Promise<unknown> {
    const stop = new AbortController();
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        stop.abort();
      },
      Math.ceil(this.policy.requestTimeout * 1000),
    );
    // As AbortSignal.timeout's: a request in flight keeps the process alive by its socket, not by this timer.
    timer.unref();
    const unfollow = followSignal(stop, signal);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let text: string;
    let response: Response;
    let target = url;
    try {
      // Followed here only where the request goes on as it is: a 307 or 308 within the origin. fetch
      // drops the key on a redirect to another origin (http to https is one) and turns a 301, 302 or
      // 303 into a GET, so the server there would refuse a request it never got.
      for (let hops = 0; ; hops++) {
        response = await fetch(target, { method: 'POST', headers, body: payload, signal: stop.signal, redirect: 'manual' });
        const next = hops < MAX_REDIRECTS ? sameOriginRedirect(response, target) : null;
        if (next === null) break;
        await response.body?.cancel();
        target = next;
      }
      text = await response.text();
    } catch (error) {
      throwIfCancelled(signal);
      if (timedOut) throw new TransientFailure(`no complete answer within ${this.policy.requestTimeout} s`);
      if (isBlockedPortRefusal(error)) throw new RemoteModelError(url, blockedPortReason(url));
      throw new TransientFailure(`connection failed: ${describeNetworkError(error)}`);
    } finally {
      clearTimeout(timer);
      unfollow();
    }
    if (response.status === 429 || response.status >= 500) {
      throw new TransientFailure(
        `HTTP ${response.status}${serverMessage(text)}`,
        response.status,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (response.status >= 300 && response.status < 400) {
      const location = redirectTarget(response, target);
      const where = location === null ? 'elsewhere' : `to ${quoteStart(location, 200)}`;
      const why =
        response.status === 307 || response.status === 308 ? 'the API key would not go with them' : 'they would go as GET requests';
      throw new RemoteModelError(
        url,
        (naming) =>
          `HTTP ${response.status}: the server redirects ${where}, where requests are not sent on (${why}); give the base URL there in ${naming.option('model')} (not retried)`,
        response.status,
      );
    }
    if (response.status === 401 || response.status === 403) {
      const hint = (naming: OptionNaming) =>
        this.apiKey
          ? 'the server refused the API key'
          : `the server wants an API key: set OPENAI_API_KEY (or name the variable with ${naming.option('apiKeyEnv')})`;
      throw new RemoteModelError(
        url,
        (naming) => `HTTP ${response.status}${serverMessage(text)}; ${hint(naming)} (not retried)`,
        response.status,
      );
    }
    if (!response.ok) {
      throw new RemoteModelError(url, `HTTP ${response.status}${serverMessage(text)}`, response.status);
    }
    try {
      return parse(text);
    } catch {
      const nonFinite = nonFiniteNumberIn(text);
      if (nonFinite !== undefined) {
        throw new RemoteModelError(
          url,
          `the answer holds ${nonFinite}, which JSON has no number for (Python's json.dumps writes non-finite floats so); the server must send finite log-probabilities (not retried)`,
          response.status,
        );
      }
      throw new TransientFailure(`malformed JSON in the answer (${JSON.stringify(quoteStart(text, 80))})`, response.status);
    }
  }
}

/** A bare NaN, Infinity or -Infinity where a JSON value goes (after `:`, `,` or `[`). */
/** Redirects within the origin followed for one request (a proxy's path rewrite, a trailing slash). */
const MAX_REDIRECTS = 5;

/** Where `response` (to a request for `url`) redirects, as an absolute URL; null without a usable `Location`. */
function redirectTarget(response: Response, url: string): string | null {
  const location = response.headers.get('location');
  if (location === null) return null;
  try {
    return new URL(location, url).href;
  } catch {
    return location;
  }
}

/** The URL a 307 or 308 answer to a request for `url` sends the request on to within its origin, else null. */
function sameOriginRedirect(response: Response, url: string): string | null {
  if (response.status !== 307 && response.status !== 308) return null;
  const target = redirectTarget(response, url);
  return target !== null && URL.canParse(target) && new URL(target).origin === new URL(url).origin ? target : null;
}

const NON_FINITE_VALUE = /([:,[]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g;

/**
 * The first non-finite number of `text` when it is all that keeps it from parsing as JSON: the
 * same answer would come again for the same request, so it is not worth a retry. Undefined for
 * text malformed otherwise (cut short, HTML), which a retry may mend.
 */
function nonFiniteNumberIn(text: string): string | undefined {
  const found = [...text.matchAll(NON_FINITE_VALUE)];
  if (found.length === 0) return undefined;
  try {
    JSON.parse(text.replace(NON_FINITE_VALUE, '$1null'));
  } catch {
    return undefined;
  }
  return found[0]?.[2];
}

/** The longest wait a timer can make, in whole seconds. */
const LONGEST_WAIT_S = Math.floor(LONGEST_WAIT_MS / 1000);

/**
 * `DEFAULT_RETRY_POLICY` with the fields of `options` that are set, each checked: a count that is
 * not an integer would retry forever, and a wait out of a timer's range would fail every request
 * as an unexpected error, or not wait at all. All but `retryDelay`, which has no flag, are checked
 * as the option schema declares them, as `evaluate` checks them.
 */
function retryPolicy(options: Partial<RetryPolicy>): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY };
  for (const name of RETRY_POLICY_KEYS) {
    const value = options[name];
    if (value === undefined) continue;
    if (name !== 'retryDelay') {
      checkOption(name, value, 'evaluate');
    } else if (typeof value !== 'number' || !(value >= 0 && value <= LONGEST_WAIT_S)) {
      throw new InputError({ argument: name, expected: `a number in [0, ${LONGEST_WAIT_S}]`, received: value });
    }
    policy[name] = value;
  }
  return policy;
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

function serverMessage(text: string): string {
  if (text.trim() === '') return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: quote the start of the text instead.
  }
  const message = errorMessageIn(parsed);
  return `: ${message === undefined ? quoteStart(text, 200) : redactSecrets(message)}`;
}

/**
 * The message of a server's error answer (`{ error: { message } }`, `{ error: "…" }` or
 * `{ message }`, as vLLM sends), when `body` is one; unredacted.
 */
export function errorMessageIn(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, message } = body as { error?: unknown; message?: unknown };
  const found = (typeof error === 'string' ? error : (error as { message?: unknown } | null | undefined)?.message) ?? message;
  return typeof found === 'string' ? found : undefined;
}

/**
 * The first `length` characters of a server's text with its secrets redacted. Redacted before it
 * is cut: a key cut in two would no longer match, and its first part would be printed.
 */
function quoteStart(text: string, length: number): string {
  return redactSecrets(text).slice(0, length);
}

/**
 * Whether fetch refused the URL's port itself: the Fetch standard blocks some ports (6000, X11's;
 * 6665–6669, IRC's; ...) whatever listens there, and undici says only "bad port". Retrying
 * cannot help, so this fails at once.
 */
function isBlockedPortRefusal(error: unknown): boolean {
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  return cause instanceof Error && cause.message === 'bad port';
}

function blockedPortReason(url: string): string {
  const { port } = new URL(url);
  return `port ${port} is one that Node's fetch refuses to connect to (a blocked port of the Fetch standard), whatever listens there; serve the model on another port (not retried)`;
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
