import type { Matrix } from '../../src/matrix.js';
import { randomStream } from '../../src/random.js';

export interface SyntheticPool {
  modelScores: Matrix;
  surrogateScores: Matrix;
  labels: Int32Array;
}

/** A seeded LLM-like pool: logits with a per-row offset, the label favoured, a noisy surrogate. */
export function syntheticPool(n: number, k: number, seed: number): SyntheticPool {
  const u = randomStream(seed, []);
  const f = new Float64Array(n * k);
  const g = new Float64Array(n * k);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = Math.floor(u() * k);
    const offset = 12 + 4 * (u() - 0.5);
    for (let j = 0; j < k; j++) {
      f[i * k + j] = offset + 3 * u() + (j === labels[i] ? 1.5 : 0);
      g[i * k + j] = f[i * k + j] + 2 * (u() - 0.5);
    }
  }
  return {
    modelScores: { data: f, rows: n, cols: k },
    surrogateScores: { data: g, rows: n, cols: k },
    labels,
  };
}

/** The simulate input form of a synthetic pool. */
export function simulationInput(pool: SyntheticPool) {
  const shape = (m: Matrix) => ({ data: m.data, shape: [m.rows, m.cols] as [number, number] });
  return { modelScores: shape(pool.modelScores), surrogateScores: shape(pool.surrogateScores), labels: pool.labels };
}
