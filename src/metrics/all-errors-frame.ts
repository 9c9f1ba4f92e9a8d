import type { Matrix } from '../matrix.js';
import { labelsAtRows } from './error-summary.js';
import { logMse, se } from './error-metrics.js';
import { checkMatrix } from './validate.js';

/** Long-format errors, one entry per (row, run), row-major. */
export interface ErrorsFrame {
  /** Labels behind the entry's row: k·step + 1. */
  labels: Float64Array;
  logSquaredError: Float64Array;
  squaredError: Float64Array;
}

/**
 * Every estimate's squared and log squared error in long format, the table behind the reference's
 * `plot_all_errors`, with the x axis at k·step + 1 labels (the reference's own x breaks for step > 1, B-A3).
 *
 * @example
 * allErrorsFrame({ data: Float64Array.of(1, 3, 2, 2), rows: 2, cols: 2 }, 2, 5).labels; // [1, 1, 6, 6]
 * @throws InputError when `pred` is not a matrix, `target` not a finite number or `step` not an integer ≥ 1.
 */
export function allErrorsFrame(pred: Matrix, target: number, step = 1): ErrorsFrame {
  checkMatrix(pred, 'pred');
  const rowLabels = labelsAtRows(pred.rows, step);
  const labels = new Float64Array(pred.rows * pred.cols);
  for (let j = 0; j < labels.length; j++) labels[j] = rowLabels[Math.floor(j / pred.cols)] as number;
  return { labels, logSquaredError: logMse(pred, target).data, squaredError: se(pred, target).data };
}
