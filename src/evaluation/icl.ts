import { InputError } from '../errors.js';
import { checkArrayLike } from '../io/check-arguments.js';
import { randomStream } from '../random.js';

/** Stream id of ICL example draws (see `randomStream`). */
const ICL_STREAM = 102;

/**
 * Shots per class in proportion to the class counts, rounded by largest remainder (ties go to
 * the lower class index), so they sum to exactly `n`.
 *
 * @example
 * shotsPerClass([70, 30], 5); // [4, 1]: quotas 3.5 and 1.5, remainders tie, class 0 gets the extra shot
 * @throws {InputError} when `classCounts` is not a list, or `n` (named `iclExamples`, the option that
 * sets it) not an integer in [0, total count].
 */
export function shotsPerClass(classCounts: readonly number[], n: number): number[] {
  checkArrayLike(classCounts, 'classCounts', 'a list of class counts');
  // A copy, so that any list (a typed array or `arguments` from JavaScript) reads as an array.
  const counts = Array.from(classCounts);
  const total = counts.reduce((a, b) => a + b, 0);
  if (!Number.isInteger(n) || n < 0 || n > total)
    throw new InputError({
      argument: 'iclExamples',
      expected: `an integer in [0, ${total}] (the rows available for shots)`,
      received: n,
    });
  if (n === 0) return counts.map(() => 0);
  const quotas = counts.map((c) => (n * c) / total);
  const shots = quotas.map(Math.floor);
  const order = quotas.map((_, k) => k).sort((a, b) => quotas[b]! - shots[b]! - (quotas[a]! - shots[a]!) || a - b);
  let left = n - shots.reduce((a, b) => a + b, 0);
  for (const k of order) {
    if (left === 0) break;
    shots[k] = (shots[k] as number) + 1;
    left--;
  }
  return shots;
}

/**
 * Picks `n` ICL examples from rows with these labels: per class as `shotsPerClass` says, chosen
 * at random within each class, then shuffled once. Returns row positions in prompt order; the
 * same (labels, n, seed) always gives the same shots.
 *
 * @example
 * selectIclExamples(Int32Array.of(0, 1, 1, 0, 1), 2, 2, 0); // Int32Array [2, 3]: one shot per class, shuffled
 * @throws {InputError} when `labels` is not a list of class ids, `numClasses` not an integer ≥ 1, or
 * `n` (named `iclExamples`, the option that sets it) not an integer in [0, the rows of classes 0 to
 * numClasses − 1].
 */
export function selectIclExamples(labels: Int32Array, numClasses: number, n: number, seed: number | string): Int32Array {
  checkArrayLike(labels, 'labels', 'an Int32Array of class ids');
  if (!(Number.isSafeInteger(numClasses) && numClasses >= 1))
    throw new InputError({ argument: 'numClasses', expected: 'an integer ≥ 1', received: numClasses });
  // Classes above the largest label have no rows and get no shots: leaving them out keeps a large numClasses cheap.
  let largestLabel = -1;
  for (let row = 0; row < labels.length; row++) if ((labels[row] as number) > largestLabel) largestLabel = labels[row] as number;
  const byClass: number[][] = Array.from({ length: Math.min(numClasses, Math.floor(largestLabel) + 1) }, () => []);
  for (let row = 0; row < labels.length; row++) byClass[labels[row] as number]?.push(row);
  const counts = shotsPerClass(
    byClass.map((rows) => rows.length),
    n,
  );
  const u = randomStream(seed, [ICL_STREAM]);
  const chosen: number[] = [];
  byClass.forEach((rows, k) => {
    partialShuffle(rows, counts[k] as number, u);
    chosen.push(...rows.slice(0, counts[k]));
  });
  partialShuffle(chosen, chosen.length, u);
  return Int32Array.from(chosen);
}

/** Fisher–Yates on the first `count` positions: they become a uniform random sample, in random order. */
function partialShuffle(values: number[], count: number, u: () => number): void {
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(u() * (values.length - i));
    const t = values[i] as number;
    values[i] = values[j] as number;
    values[j] = t;
  }
}
