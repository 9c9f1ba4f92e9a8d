import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

/**
 * Writes the built-in synthetic pool as score files (target.npy, surrogate.npy, labels.npy) and a
 * grid config with the four settings of the acceptance grid. Returns the config's path.
 */
export function writeGrid(dir: string, grid: { size: number; runs: number; labels: number; extra?: Record<string, unknown> }): string {
  mkdirSync(dir, { recursive: true });
  const pool = syntheticPool({ poolSize: grid.size, seed: 7 });
  const scores = (m: { data: Float64Array; rows: number; cols: number }) =>
    encodeNpy({ data: m.data, shape: [m.rows, m.cols], dtype: 'f8' });
  writeFileSync(join(dir, 'target.npy'), scores(pool.modelScores));
  writeFileSync(join(dir, 'surrogate.npy'), scores(pool.surrogateScores));
  writeFileSync(join(dir, 'labels.npy'), encodeNpy({ data: pool.labels, shape: [pool.labels.length], dtype: 'i4' }));
  const config = {
    modelScores: 'target.npy',
    labels: 'labels.npy',
    surrogates: { icl: { scores: 'surrogate.npy', iclExamples: 20 } },
    runs: grid.runs,
    size: grid.labels,
    seed: 3,
    settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }, { acquisition: 'surrogate-pe' }, { acquisition: 'self-entropy' }],
    ...grid.extra,
  };
  const path = join(dir, 'grid.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}
