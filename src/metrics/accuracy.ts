import type { Matrix } from '../matrix.js';
import { softmaxRows } from './softmax.js';
import { checkLabels, checkMatrix, checkNoNaN } from './validate.js';

/**
 * Fraction of rows whose most probable class is the label. Like the reference, the argmax is taken
 * on the softmax (ties go to the lowest class index); unlike it, the result is float64, not float32.
 *
 * @example
 * const f = { data: Float64Array.of(1, 1, 0, 2, 3, 1), rows: 3, cols: 2 };
 * accuracy(f, Int32Array.of(1, 1, 1)); // 1/3: row 0 ties and picks class 0
 * @throws InputError when a score is NaN (no class is the most probable) or labels do not fit the scores.
 */
export function accuracy(scores: Matrix, labels: Int32Array): number {
  checkMatrix(scores, 'scores');
  checkLabels(scores, labels);
  checkNoNaN(scores, 'scores');
  const { rows, cols, data } = softmaxRows(scores, null);
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const start = i * cols;
    let best = 0;
    for (let k = 1; k < cols; k++) if ((data[start + k] as number) > (data[start + best] as number)) best = k;
    if (best === labels[i]) correct++;
  }
  return correct / rows;
}
