import { SumTreeSampler } from '../../src/acquisition/sum-tree-sampler.js';
import { randomStream } from '../../src/random.js';

/**
 * A seeded heavy-tailed pool: most losses small, a few large (a confidently wrong target), with
 * three candidate value vectors: uniform, a good guess of the loss, and a misleading one.
 */
export function heavyTailedPool(n: number, seed: number) {
  const u = randomStream(seed, [0]);
  const loss = new Float64Array(n);
  const good = new Float64Array(n);
  const misleading = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    loss[i] = u() < 0.1 ? 2 + 3 * u() : 0.05 + 0.3 * u();
    good[i] = loss[i] * (0.5 + u());
    misleading[i] = 1 / (0.2 + loss[i]);
  }
  return { loss, candidates: [new Float64Array(n).fill(1), good, misleading] };
}

export const samplersFor = (candidates: Float64Array[], clip = 0.1): SumTreeSampler[] =>
  candidates.map((values) => new SumTreeSampler(values, clip, 'corrected'));

export function mean(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total / values.length;
}
