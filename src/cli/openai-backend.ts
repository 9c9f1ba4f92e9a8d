import { formatDuration, type ProgressReporter } from './progress.js';
import { choiceOption, integerOption, numberOption, type OptionValues } from './options.js';
import { UsageError } from '../errors.js';
import { OpenAIBackend, type OpenAIBackendStats } from '../model/backends/openai.js';
import type { RetryNotice } from '../model/backends/openaiHttp.js';

/**
 * The command-line options of the server backend, for a command's `parseOptions` table (spread
 * it in): they apply when `--model` is `openai:<base URL>#<model>`.
 */
export const OPENAI_CLI_OPTIONS = {
  'api-key-env': { type: 'string' },
  'openai-mode': { type: 'string' },
  'top-logprobs': { type: 'string' },
  'missing-label': { type: 'string' },
  concurrency: { type: 'string' },
  'request-timeout': { type: 'string' },
  'max-retries': { type: 'string' },
} as const;

/** The `--help` lines for `OPENAI_CLI_OPTIONS`. */
export const OPENAI_CLI_HELP = `Inference servers (--model openai:http://host:port/v1#model-name):
  --api-key-env VAR        environment variable holding the API key (default OPENAI_API_KEY, optional)
  --openai-mode MODE       echo (exact, default) | top-logprobs (one sequence per item, K <= --top-logprobs)
  --top-logprobs N         top log-probabilities to request in top-logprobs mode: the server's cap (default 20)
  --missing-label WHAT     a label outside the top log-probabilities: error (default) | floor (lowest returned value)
  --concurrency N          HTTP requests in flight (default 8)
  --request-timeout S      seconds per attempt before retrying (default 120)
  --max-retries N          retries on 429, 5xx, dropped connections, timeouts, malformed JSON (default 5)`;

/**
 * The server backend for `--model openai:...` with the `OPENAI_CLI_OPTIONS` values.
 *
 * @example
 * const values = parseOptions(argv, { model: { type: 'string' }, ...OPENAI_CLI_OPTIONS });
 * const backend = openAIBackendFromCli(String(values.model), values, (n) => console.error(n.reason));
 */
export function openAIBackendFromCli(model: string, values: OptionValues, onRetry?: (notice: RetryNotice) => void): OpenAIBackend {
  const positive = (name: string, minimum = 1): number | undefined => {
    const value = integerOption(values, name);
    if (value !== undefined && value < minimum) throw new UsageError(`--${name}: expected an integer >= ${minimum}, got ${value}`);
    return value;
  };
  const timeoutSeconds = numberOption(values, 'request-timeout');
  if (timeoutSeconds !== undefined && timeoutSeconds <= 0)
    throw new UsageError(`--request-timeout: expected seconds > 0, got ${timeoutSeconds}`);
  const maxRetries = positive('max-retries', 0);
  const apiKeyEnv = values['api-key-env'];
  return OpenAIBackend.fromSpec(model, {
    apiKeyEnv: typeof apiKeyEnv === 'string' ? apiKeyEnv : undefined,
    mode: choiceOption(values, 'openai-mode', ['echo', 'top-logprobs'] as const),
    topLogprobs: positive('top-logprobs'),
    onMissingLabel: choiceOption(values, 'missing-label', ['error', 'floor'] as const),
    concurrency: positive('concurrency'),
    retry: {
      ...(timeoutSeconds === undefined ? {} : { timeoutMs: timeoutSeconds * 1000 }),
      ...(maxRetries === undefined ? {} : { maxRetries }),
    },
    onRetry,
  });
}

/** Counts at the moment rates are measured from. */
export interface ProgressBaseline {
  done: number;
  requests: number;
}

/**
 * A progress line for remote scoring: items, requests per second and the ETA, from the items
 * done, the backend's request counters and the seconds since `baseline` was taken (by default
 * the start). A resumed run takes its baseline at its first report, so that items found on disk
 * do not inflate the rates.
 *
 * @example
 * remoteProgressLine({ done: 96, total: 500 }, backend.stats, 12.5);
 * // '96/500 items, 26 requests, 2.1 requests/s, ETA 53s'
 */
export function remoteProgressLine(
  progress: { done: number; total: number },
  stats: OpenAIBackendStats,
  elapsedSeconds: number,
  baseline: ProgressBaseline = { done: 0, requests: 0 },
): string {
  const rate = elapsedSeconds > 0 ? (stats.requests - baseline.requests) / elapsedSeconds : 0;
  const itemRate = elapsedSeconds > 0 ? (progress.done - baseline.done) / elapsedSeconds : 0;
  const eta = itemRate > 0 ? formatDuration((progress.total - progress.done) / itemRate) : '?';
  return `${progress.done}/${progress.total} items, ${stats.requests} requests, ${rate.toFixed(1)} requests/s, ETA ${eta}`;
}

/**
 * Progress for a remote run as `remoteProgressLine`s on stderr, at most one every `intervalMs`
 * and a last one at the end: lines rather than a redrawn bar, so that the logs of long runs
 * keep them. Rates are measured from the first report.
 *
 * @example
 * const progress = remoteProgressReporter(backend);
 * await runScoringJob(model, data, { onProgress: ({ done, total }) => progress.update(done, total) });
 * progress.finish();
 */
export function remoteProgressReporter(
  backend: OpenAIBackend,
  options: { stream?: NodeJS.WritableStream; intervalMs?: number } = {},
): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const interval = options.intervalMs ?? 2_000;
  let baseline: (ProgressBaseline & { at: number }) | undefined;
  let last: { done: number; total: number } | undefined;
  let lastWritten = -Infinity;
  const write = (progress: { done: number; total: number }, from: ProgressBaseline & { at: number }): void => {
    const now = performance.now();
    stream.write(`${remoteProgressLine(progress, backend.stats, (now - from.at) / 1000, from)}\n`);
    lastWritten = now;
  };
  return {
    update(done, total) {
      baseline ??= { done, requests: backend.stats.requests, at: performance.now() };
      last = { done, total };
      if (performance.now() - lastWritten >= interval) write(last, baseline);
    },
    finish() {
      if (last && baseline && lastWritten < performance.now()) write(last, baseline);
    },
  };
}
