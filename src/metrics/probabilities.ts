import type { Matrix } from '../matrix.js';
import type { NumericsFlags } from '../numerics.js';
import { clippedSoftmax } from './softmax.js';
import { softmaxClamp } from './softmax-clamp.js';

/**
 * Class probabilities from logits as the acquisition values use them: the reference's
 * {@link softmaxClamp} when `softmax` is `'clamp'`, the corrected {@link clippedSoftmax} when `'stable'`.
 *
 * @example
 * classProbabilities({ data: Float64Array.of(40, 38), rows: 1, cols: 2 }, null, 1e-15, 'stable').data;
 * // [0.8807970779778823, 0.11920292202211755]; with 'clamp' it is [0.5, 0.5]
 */
export function classProbabilities(logits: Matrix, temperature: number | null, eps: number, softmax: NumericsFlags['softmax']): Matrix {
  return softmax === 'clamp' ? softmaxClamp(logits, temperature, eps) : clippedSoftmax(logits, temperature, eps);
}
