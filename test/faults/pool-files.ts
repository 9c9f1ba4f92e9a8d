import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

/**
 * Writes a seeded synthetic pool's target scores (`f.npy`, float64 N×K) and labels (`y.npy`, int32)
 * into `root`, the inputs the simulate fault tests run on; returns their paths.
 */
export async function writePoolFiles(root: string, size: number, classes: number, seed: number): Promise<{ f: string; y: string }> {
  const pool = syntheticPool({ poolSize: size, classCount: classes, seed });
  const f = join(root, 'f.npy');
  const y = join(root, 'y.npy');
  await writeNpy(f, { data: pool.modelScores.data, shape: [size, classes], dtype: 'f8' });
  await writeNpy(y, { data: Int32Array.from(pool.labels), shape: [size], dtype: 'i4' });
  return { f, y };
}
