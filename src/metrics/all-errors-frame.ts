import type { Matrix } from '../matrix.js';
import { rowLabels } from './error-summary.js';
import { logMse, se } from './error-metrics.js';
import { checkMatrix } from './validate.js';

/** Long-format errors, one entry per (row, run), row-major. */
export interface ErrorsFrame {
  /** Labels behind the entry's row: k·step + 1, or the row's entry of the labels given. */
  labels: Float64Array;
  logSquaredError: Float64Array;
  squaredError: Float64Array;
}

/**
 * Every estimate's squared and log squared error in long format, the table behind the reference's
 * `plot_all_errors`, with the x axis at each row's label count (the reference's own x breaks for
 * step > 1, B-A3). `step` gives them as k·step + 1; a simulation's rows are its `labelsPerRow`,
 * whose last row is after all its labels where the step skips that count, so pass those for it.
 *
 * @example
 * allErrorsFrame({ data: Float64Array.of(1, 3, 2, 2), rows: 2, cols: 2 }, 2, 5).labels; // [1, 1, 6, 6]
 * allErrorsFrame(e, result.trueRisk, result.labelsPerRow); // e: result.estimates as a Matrix
 * @throws InputError when `pred` is not a matrix, `target` not a finite number, `step` not an
 * integer ≥ 1, or labels given without one per row of `pred`.
 */
export function allErrorsFrame(pred: Matrix, target: number, step: number | ArrayLike<number> = 1): ErrorsFrame {
  checkMatrix(pred, 'pred');
  const labelsByRow = rowLabels(pred.rows, step);
  const labels = new Float64Array(pred.rows * pred.cols);
  for (let j = 0; j < labels.length; j++) labels[j] = labelsByRow[Math.floor(j / pred.cols)] as number;
  return { labels, logSquaredError: logMse(pred, target).data, squaredError: se(pred, target).data };
}
