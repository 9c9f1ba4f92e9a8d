import type { WriteStream } from 'node:tty';

/** Reports work done; `finish` clears the bar. */
export interface ProgressReporter {
  update(done: number, total: number): void;
  finish(): void;
}

export interface ProgressOptions {
  /** Text before the bar, e.g. `runs`. */
  label: string;
  /** Where to draw; default `process.stderr`. Nothing is drawn unless it is a TTY. */
  stream?: NodeJS.WriteStream;
  /** Minimum milliseconds between redraws; default 100. */
  intervalMs?: number;
}

const WIDTH = 30;

/** Seconds as `1m05s`, `12s` or, under 10 s, `0.4s`: a setting done in under a second is not done in `0s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 9.95) return `${Math.max(0, seconds).toFixed(1)}s`;
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

/**
 * A one-line progress bar with an ETA, drawn on a TTY (stderr by default) and silent when the
 * stream is piped or redirected, so logs and CI output stay clean.
 *
 * @example
 * const progress = progressBar({ label: 'runs' });
 * await simulate(input, { onProgress: (done, total) => progress.update(done, total) });
 * progress.finish();
 */
export function progressBar(options: ProgressOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY) return { update() {}, finish() {} };
  const tty = stream as WriteStream;
  const interval = options.intervalMs ?? 100;
  const started = performance.now();
  let lastDraw = -Infinity;
  let drawn = false;
  return {
    update(done, total) {
      const now = performance.now();
      if (done < total && now - lastDraw < interval) return;
      lastDraw = now;
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(fraction * WIDTH);
      const elapsed = (now - started) / 1000;
      const eta = done > 0 ? (elapsed * (total - done)) / done : NaN;
      const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
      tty.write(`\r${options.label} ${bar} ${done}/${total} ${(fraction * 100).toFixed(0)}% ETA ${formatDuration(eta)}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) tty.write('\r\x1b[K');
    },
  };
}
