import { InputError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import type { BuiltinLoss } from './builtin-losses.js';
import { stableSoftmax } from './softmax.js';

/** Per-item loss bounds `lower[i] ≤ ℓ_i ≤ upper[i]`, whatever the item's label turns out to be. */
export interface LossBounds {
  lower: Float64Array;
  upper: Float64Array;
}

/** Widening of each bound, relative to its size: covers rounding differences from the per-item loss code. */
const ROUNDING_SLACK = 1e-12;

/**
 * The range of each item's loss over the K labels it could have, from the target's scores alone
 * (known before labelling): cross-entropy `[−log max_k p_k, −log min_k p_k]`, zero-one `[0, 1]`,
 * Brier `[Σp² − 2 max p + 1, Σp² − 2 min p + 1]`, with `p = softmax(f)`. Each bound is widened by
 * a relative 1e-12 so that the per-item loss, computed along a different path, never falls outside.
 *
 * @example
 * lossBounds({ data: Float64Array.of(0, Math.log(3)), rows: 1, cols: 2 }, 'cross-entropy'); // [−ln 0.75, ln 4]
 * @throws InputError when a score is not finite or the loss has no built-in bounds.
 */
export function lossBounds(scores: Matrix, loss: BuiltinLoss): LossBounds {
  const { rows, cols, data } = scores;
  for (let j = 0; j < data.length; j++) {
    if (!Number.isFinite(data[j])) {
      throw new InputError({ argument: 'modelScores', expected: 'finite scores', received: data[j], row: Math.floor(j / cols) });
    }
  }
  const lower = new Float64Array(rows);
  const upper = new Float64Array(rows);
  if (loss === 'zero-one') {
    upper.fill(1);
    return { lower, upper };
  }
  if (loss !== 'cross-entropy' && loss !== 'brier') {
    throw new InputError({ argument: 'loss', expected: "'cross-entropy', 'zero-one' or 'brier' (a custom loss must declare its own bounds)", received: loss });
  }
  const p = loss === 'brier' ? stableSoftmax(scores).data : null;
  for (let i = 0; i < rows; i++) {
    const start = i * cols;
    let low: number;
    let high: number;
    if (p === null) {
      // −log p_k = logsumexp(f) − f_k: extreme at the largest and smallest logit.
      let max = -Infinity;
      let min = Infinity;
      for (let k = 0; k < cols; k++) {
        const v = data[start + k];
        if (v > max) max = v;
        if (v < min) min = v;
      }
      let total = 0;
      for (let k = 0; k < cols; k++) total += Math.exp(data[start + k] - max);
      const logTotal = Math.log(total);
      low = logTotal;
      high = logTotal + (max - min);
    } else {
      let squares = 0;
      let max = -Infinity;
      let min = Infinity;
      for (let k = 0; k < cols; k++) {
        const v = p[start + k];
        squares += v * v;
        if (v > max) max = v;
        if (v < min) min = v;
      }
      low = squares - 2 * max + 1;
      high = squares - 2 * min + 1;
    }
    lower[i] = Math.max(0, low - ROUNDING_SLACK * (1 + Math.abs(low)));
    upper[i] = high + ROUNDING_SLACK * (1 + Math.abs(high));
  }
  return { lower, upper };
}

/**
 * Bounds of the per-item difference of two losses, `ℓᴬ_i − ℓᴮ_i ∈ [aᴬ_i − bᴮ_i, bᴬ_i − aᴮ_i]`: what a
 * confidence sequence for a paired comparison needs.
 *
 * @example
 * differenceBounds({ lower: Float64Array.of(0), upper: Float64Array.of(1) }, { lower: Float64Array.of(0), upper: Float64Array.of(1) }); // [−1, 1]
 */
export function differenceBounds(first: LossBounds, second: LossBounds): LossBounds {
  const n = first.lower.length;
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lower[i] = first.lower[i] - second.upper[i];
    upper[i] = first.upper[i] - second.lower[i];
  }
  return { lower, upper };
}
