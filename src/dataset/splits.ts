import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { InputError, OutputExistsError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { randomStream } from '../random.js';
import { checkObject, checkPath } from '../io/index.js';
import { checkOption } from '../options/index.js';

/** Stream id of split draws (see `randomStream`). */
const SPLIT_STREAM = 101;

/** Named disjoint subsets of a dataset's rows, each sorted in dataset order. */
export type Splits = Record<string, Int32Array>;

/**
 * Disjoint random subsets of `0..n-1` with the given sizes (e.g. `{ pool: 10000, icl: 500, test: 1000 }`),
 * drawn with a seeded shuffle: the same (n, sizes, seed) always gives the same splits.
 *
 * @example
 * const { pool, icl } = createSplits(67349, { pool: 10000, icl: 500 }, 0);
 * @throws {InputError} when `n` is not an integer ≥ 0, a size is not a non-negative integer, the
 *   sizes sum past `n`, or `seed` is not an integer ≥ 0 or a non-empty string.
 */
export function createSplits(n: number, sizes: Record<string, number>, seed: number | string): Splits {
  // A NaN or fractional n would give empty or short splits without a word.
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new InputError({ argument: 'n', expected: 'a row count (an integer ≥ 0)', received: n });
  checkObject(sizes, 'sizes', 'an object of subset sizes { name: size }');
  if (seed === undefined) throw new InputError({ argument: 'seed', expected: 'an integer ≥ 0 or a non-empty string' });
  checkOption('seed', seed, 'simulate');
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  for (const [name, size] of Object.entries(sizes)) {
    if (!Number.isInteger(size) || size < 0)
      throw new InputError({ argument: `sizes.${name}`, expected: 'a non-negative integer', received: size });
  }
  if (total > n) throw new InputError({ argument: 'sizes', expected: `sizes summing to at most the ${n} rows`, received: total });
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const u = randomStream(seed, [SPLIT_STREAM]);
  for (let i = 0; i < total; i++) {
    const j = i + Math.floor(u() * (n - i));
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  const splits: Splits = {};
  let start = 0;
  for (const [name, size] of Object.entries(sizes)) {
    splits[name] = order.slice(start, start + size).sort();
    start += size;
  }
  return splits;
}

interface SplitsFile {
  n: number;
  seed: number | string;
  sizes: Record<string, number>;
  splits: Record<string, number[]>;
}

/**
 * The splits saved in `path` when they were made for the same (n, sizes, seed); otherwise new
 * ones, saved there. A file made for other parameters is refused rather than replaced.
 *
 * @example
 * const splits = await loadOrCreateSplits('results/sst2/splits.json', data.size, { pool: 1000, icl: 100 }, 0);
 */
export async function loadOrCreateSplits(path: string, n: number, sizes: Record<string, number>, seed: number | string): Promise<Splits> {
  checkPath(path);
  if (existsSync(path)) {
    const saved = JSON.parse(await readFile(path, 'utf8')) as SplitsFile;
    if (saved.n !== n || saved.seed !== seed || JSON.stringify(saved.sizes) !== JSON.stringify(sizes)) {
      throw new OutputExistsError(
        path,
        `it holds splits of ${saved.n} rows with sizes ${JSON.stringify(saved.sizes)} and seed ${saved.seed}; remove it or use another folder`,
      );
    }
    return Object.fromEntries(Object.entries(saved.splits).map(([name, indices]) => [name, Int32Array.from(indices)]));
  }
  const splits = createSplits(n, sizes, seed);
  const file: SplitsFile = { n, seed, sizes, splits: Object.fromEntries(Object.entries(splits).map(([name, s]) => [name, Array.from(s)])) };
  await writeFileAtomic(path, `${JSON.stringify(file)}\n`);
  return splits;
}
