import { formatDuration, type ProgressReporter } from './progress.js';
import type { OpenAIBackend, OpenAIBackendStats } from '../model/backends/openai.js';
import { formatCount } from '../io/format-count.js';

/** Counts at the moment rates are measured from. */
export interface ProgressBaseline {
  done: number;
  requests: number;
}

/**
 * A progress line for remote scoring: items, requests per second and the ETA, from the items
 * done, the backend's request counters and the seconds since `baseline` was taken (by default
 * the start). A resumed run takes its baseline at its first report, so that items found on disk
 * do not inflate the rates. Until a request has completed since the baseline there is no rate to
 * report (a first report would read "0.0 requests/s, ETA ?"), so the line says what it waits for,
 * or only the counts when every item is done already (a run of one batch).
 *
 * @example
 * remoteProgressLine({ done: 96, total: 500 }, { requests: 26, completionRequests: 0, flooredLabels: 0 }, 12.5);
 * // '96/500 items, 26 requests, 2.1 requests/s, ETA 53s'
 * remoteProgressLine({ done: 0, total: 500 }, { requests: 0, completionRequests: 0, flooredLabels: 0 }, 0);
 * // '0/500 items, 0 requests, waiting for the first answer'
 * remoteProgressLine({ done: 12, total: 12 }, { requests: 3, completionRequests: 3, flooredLabels: 0 }, 0, { done: 12, requests: 3 });
 * // '12/12 items, 3 requests'
 */
export function remoteProgressLine(
  progress: { done: number; total: number },
  stats: OpenAIBackendStats,
  elapsedSeconds: number,
  baseline: ProgressBaseline = { done: 0, requests: 0 },
): string {
  const counts = `${progress.done}/${formatCount(progress.total, 'item')}, ${formatCount(stats.requests, 'request')}`;
  const answered = stats.requests - baseline.requests;
  if (answered === 0 || elapsedSeconds <= 0) {
    // All done at the baseline (a run of one batch): no answer is coming to take a rate from.
    if (progress.done >= progress.total) return counts;
    return `${counts}, ${stats.requests === 0 ? 'waiting for the first answer' : 'rate and ETA from the next answer'}`;
  }
  const itemRate = (progress.done - baseline.done) / elapsedSeconds;
  const eta = itemRate > 0 ? formatDuration((progress.total - progress.done) / itemRate) : '?';
  return `${counts}, ${(answered / elapsedSeconds).toFixed(1)} requests/s, ETA ${eta}`;
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
  // Whether the latest update is on stderr already: the end then adds no copy of that line.
  let latestWritten = false;
  const write = (progress: { done: number; total: number }, from: ProgressBaseline & { at: number }): void => {
    const now = performance.now();
    stream.write(`${remoteProgressLine(progress, backend.stats, (now - from.at) / 1000, from)}\n`);
    lastWritten = now;
    latestWritten = true;
  };
  return {
    update(done, total) {
      baseline ??= { done, requests: backend.stats.requests, at: performance.now() };
      last = { done, total };
      latestWritten = false;
      if (performance.now() - lastWritten >= interval) write(last, baseline);
    },
    finish() {
      if (last && baseline && !latestWritten) write(last, baseline);
    },
  };
}
