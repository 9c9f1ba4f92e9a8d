import type { Numerics } from '../numerics.js';

/**
 * How many rows a run of `size` labels records its estimate at, every `step` labels: the published
 * rows, after 1, 1 + step, 1 + 2·step, … labels (ceil(size/step) of them), and under the default
 * numerics one more after all `size` labels when `size` is not among them, so that a run's last
 * estimate is always recorded. Reference numerics keep the published rows, which the oracle's
 * fixtures replay.
 *
 * @example
 * recordedRowCount(100, 25, 'default'); // 5: after 1, 26, 51, 76 and 100 labels
 * recordedRowCount(100, 25, 'reference'); // 4
 * recordedRowCount(101, 25, 'default'); // 5: 101 is a published row already
 */
export function recordedRowCount(size: number, step: number, numerics: Numerics): number {
  const published = Math.ceil(size / step);
  return numerics === 'default' && (size - 1) % step !== 0 ? published + 1 : published;
}

/**
 * The labels behind each of the `recordedRowCount(size, step, numerics)` rows: k·step + 1 for the
 * published rows, then `size` for the final one.
 *
 * @example
 * recordedLabels(100, 25, 'default'); // Int32Array [1, 26, 51, 76, 100]
 */
export function recordedLabels(size: number, step: number, numerics: Numerics): Int32Array {
  const labels = new Int32Array(recordedRowCount(size, step, numerics));
  for (let k = 0; k < labels.length; k++) labels[k] = Math.min(k * step + 1, size);
  return labels;
}
