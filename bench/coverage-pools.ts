// The hard pools of every kind that `npm run bench:simulate-coverage` (bench/simulate-coverage.ts)
// and the simulate coverage test (test/simulate/hard-pool-coverage.test.ts) run the intervals on.
// Pools (K = 2 unless named): `ordinary` (a calibrated surrogate), `rare-known` and `rare-unknown`
// (1% of items the target gets confidently wrong; the surrogate sees them, or is as sure as the
// target), `overconfident` (the surrogate's logits ×10), `anti-correlated` (the surrogate's logits
// negated), `heavy-tailed` (target margins from a Pareto law, so a few cross-entropy losses are
// huge), `k10` and `k100`.
import { randomStream } from '../src/random.js';
import { gaussian } from './pool-kinds.js';

export interface CoveragePool {
  modelScores: { data: Float64Array; rows: number; cols: number };
  surrogateScores: { data: Float64Array; rows: number; cols: number };
  labels: Int32Array;
}

export const COVERAGE_POOL_KINDS = [
  'ordinary',
  'rare-known',
  'rare-unknown',
  'overconfident',
  'anti-correlated',
  'heavy-tailed',
  'k10',
  'k100',
] as const;
export type CoveragePoolKind = (typeof COVERAGE_POOL_KINDS)[number];

/** Builds a pool of n items of the given kind (labels drawn from softmax of latent logits z). */
export function coveragePool(kind: CoveragePoolKind, n: number, seed: number): CoveragePool {
  const k = kind === 'k10' ? 10 : kind === 'k100' ? 100 : 2;
  const u = randomStream(seed, [kind.length, n]);
  const gauss = gaussian(u);
  const f = new Float64Array(n * k);
  const g = new Float64Array(n * k);
  const labels = new Int32Array(n);
  const z = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    if (kind === 'rare-known' || kind === 'rare-unknown') {
      const label = u() < 0.5 ? 0 : 1;
      const wrong = u() < 0.01;
      const predicted = wrong ? 1 - label : label;
      labels[i] = label;
      f[i * 2 + predicted] = 2.5 + 2 * u();
      // Knows: the surrogate backs the true label, so it expects a large loss on the target's errors.
      const backed = kind === 'rare-known' ? label : predicted;
      g[i * 2 + backed] = 4 + 2 * u();
      continue;
    }
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, (z[c] = 1.8 * gauss()));
    let total = 0;
    for (let c = 0; c < k; c++) total += Math.exp(z[c] - max);
    let draw = u() * total;
    let label = k - 1;
    for (let c = 0; c < k; c++) {
      draw -= Math.exp(z[c] - max);
      if (draw < 0) {
        label = c;
        break;
      }
    }
    labels[i] = label;
    // Heavy-tailed: Pareto(1.5) confidence, so the target is now and then wildly sure and wrong.
    const sharpen = kind === 'heavy-tailed' ? Math.pow(1 - u(), -1 / 1.5) : 1;
    for (let c = 0; c < k; c++) {
      const seen = z[c] + 0.8 * gauss();
      f[i * k + c] = sharpen * seen;
      const noisy = z[c] + 0.8 * gauss();
      g[i * k + c] = kind === 'overconfident' ? 10 * noisy : kind === 'anti-correlated' ? -noisy : noisy;
    }
  }
  return { modelScores: { data: f, rows: n, cols: k }, surrogateScores: { data: g, rows: n, cols: k }, labels };
}
