import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { syntheticPool, type SyntheticPool } from '../../src/simulate/syntheticPool.js';

/** The CLI entry, run through tsx so that the tests need no build. */
export const CLI = ['--import', 'tsx', resolve(import.meta.dirname, '../../src/cli/main.ts')];

export const CLASSES = ['negative', 'positive'];

/** A synthetic binary pool written as the CLI reads it: a TSV (`id`, `sentence`, `label`), target and surrogate `.npy` scores. */
export interface PoolFiles {
  dir: string;
  data: string;
  modelScores: string;
  surrogateScores: string;
  pool: SyntheticPool;
  ids: string[];
  texts: string[];
}

export async function writePoolFiles(size: number, seed: number): Promise<PoolFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'at-label-'));
  const pool = syntheticPool({ poolSize: size, classCount: 2, seed });
  const ids = Array.from({ length: size }, (_, i) => `s${i}`);
  const texts = ids.map((id, i) => `sentence number ${i} (${id})`);
  const data = join(dir, 'pool.tsv');
  writeFileSync(data, ['id\tsentence\tlabel', ...ids.map((id, i) => `${id}\t${texts[i]}\t${CLASSES[pool.labels[i]]}`)].join('\n') + '\n');
  const modelScores = join(dir, 'f.npy');
  const surrogateScores = join(dir, 'g.npy');
  await writeNpy(modelScores, { data: pool.modelScores.data, shape: [size, 2], dtype: 'f8' });
  await writeNpy(surrogateScores, { data: pool.surrogateScores.data, shape: [size, 2], dtype: 'f8' });
  return { dir, data, modelScores, surrogateScores, pool, ids, texts };
}

/** The CLI options that create a session over these files. */
export function createArgs(files: PoolFiles, session: string, seed: number): string[] {
  return [
    'label',
    '--session',
    session,
    '--data',
    files.data,
    '--classes',
    CLASSES.join(','),
    '--model-scores',
    files.modelScores,
    '--surrogate-scores',
    files.surrogateScores,
    '--seed',
    String(seed),
  ];
}
