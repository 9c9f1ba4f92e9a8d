// The synthetic pools of every kind the adaptive proposal is measured on, shared by
// `npm run bench:adaptive` (bench/adaptive-pools.ts) and the unbiasedness test
// (test/adaptive/pool-kinds.test.ts), so that both run the same pools.
import type { Matrix } from '../src/matrix.js';
import { randomStream, type RandomSource } from '../src/random.js';
import { syntheticPool } from '../src/simulate/index.js';

export interface Pool {
  modelScores: Matrix;
  surrogateScores: Matrix;
  labels: Int32Array;
}

/** Standard normal draws (Box–Muller) from a uniform source. */
export function gaussian(random: RandomSource): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function draw(probabilities: Float64Array, offset: number, k: number, u: number): number {
  let below = 0;
  for (let c = 0; c < k; c++) {
    below += probabilities[offset + c];
    if (u < below) return c;
  }
  return k - 1;
}

/**
 * Items with true class probabilities softmax(z), z ~ N(0, scale²) per class; labels drawn from
 * them. The target sees z with noise; the surrogate's logits are `surrogate(z, noise)`.
 */
function latentPool(n: number, k: number, seed: number, scale: number, surrogate: (z: number, noise: number) => number): Pool {
  const u = randomStream(seed, [7]);
  const normal = gaussian(u);
  const f = new Float64Array(n * k);
  const g = new Float64Array(n * k);
  const labels = new Int32Array(n);
  const p = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    const z = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      z[c] = scale * normal();
      max = Math.max(max, z[c]);
    }
    let total = 0;
    for (let c = 0; c < k; c++) total += p[c] = Math.exp(z[c] - max);
    for (let c = 0; c < k; c++) p[c] /= total;
    labels[i] = draw(p, 0, k, u());
    for (let c = 0; c < k; c++) {
      f[i * k + c] = z[c] + 0.7 * normal();
      g[i * k + c] = surrogate(z[c], normal());
    }
  }
  return { modelScores: { data: f, rows: n, cols: k }, surrogateScores: { data: g, rows: n, cols: k }, labels };
}

/** 1% of items the target gets confidently wrong; the surrogate agrees with the target everywhere, confidently. */
function rareErrorPool(n: number, seed: number): Pool {
  const u = randomStream(seed, [8]);
  const f = new Float64Array(n * 2);
  const g = new Float64Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = u() < 0.5 ? 0 : 1;
    labels[i] = label;
    const wrong = u() < 0.01;
    const predicted = wrong ? 1 - label : label;
    const margin = 3 + 2 * u();
    f[i * 2 + predicted] = margin;
    g[i * 2 + predicted] = 6 + 2 * u();
  }
  return { modelScores: { data: f, rows: n, cols: 2 }, surrogateScores: { data: g, rows: n, cols: 2 }, labels };
}

/**
 * What each pool tests: `good` (a calibrated surrogate: adaptive should keep most of the best fixed
 * proposal's gain), `bad` (a learnable bad surrogate: adaptive should stay close to random),
 * `overconfident` (as the benchmark's real overconfident pairs), `rare` (errors no proposal can see
 * before drawing one).
 */
export type PoolKind = 'good' | 'bad' | 'rare' | 'overconfident';

/** The pools by name: `make(n, seed)` builds one of n items. */
export const POOLS: Record<string, { kind: PoolKind; make: (n: number, seed: number) => Pool }> = {
  demo: { kind: 'good', make: (n, seed) => syntheticPool({ poolSize: n, classCount: 2, seed }) },
  'calibrated K=2': { kind: 'good', make: (n, seed) => latentPool(n, 2, seed, 2, (z) => z) },
  // Sharper classes (logits twice as spread): most items nearly certain, the loss on a few.
  'calibrated K=2 sharp': { kind: 'good', make: (n, seed) => latentPool(n, 2, seed, 4, (z) => z) },
  'calibrated K=10': { kind: 'good', make: (n, seed) => latentPool(n, 10, seed, 2, (z) => z) },
  'calibrated K=100': { kind: 'good', make: (n, seed) => latentPool(n, 100, seed, 2, (z) => z) },
  'anti-correlated': { kind: 'bad', make: (n, seed) => latentPool(n, 2, seed, 2, (z) => -z) },
  'anti-correlated ×10': { kind: 'bad', make: (n, seed) => latentPool(n, 2, seed, 2, (z) => -10 * z) },
  'overconfident K=4': { kind: 'overconfident', make: (n, seed) => latentPool(n, 4, seed, 2, (z, noise) => 6 * (z + noise)) },
  constant: { kind: 'bad', make: (n, seed) => latentPool(n, 2, seed, 2, () => 0) },
  'rare errors': { kind: 'rare', make: (n, seed) => rareErrorPool(n, seed) },
};
