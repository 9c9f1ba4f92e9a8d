import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { FileFormatError, InputError, OutputExistsError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { randomStream } from '../random.js';
import { checkObject, checkPath, unreadableFile } from '../io/index.js';
import { checkOption } from '../options/index.js';

/** Stream id of split draws (see `randomStream`). */
const SPLIT_STREAM = 101;

/** Named disjoint subsets of a dataset's rows, each sorted in dataset order. */
export type Splits = Record<string, Int32Array>;

/**
 * Disjoint random subsets of `0..n-1` with the given sizes (e.g. `{ pool: 10000, icl: 500, test: 1000 }`),
 * drawn with a seeded shuffle: the same (n, sizes, seed) always gives the same splits, one per
 * name of `sizes`.
 *
 * @example
 * const { pool, icl } = createSplits(67349, { pool: 10000, icl: 500 }, 0);
 * @throws {InputError} when `n` is not an integer ≥ 0, a size is not an integer ≥ 0, the
 *   sizes sum past `n`, or `seed` is not an integer ≥ 0 or a non-empty string.
 */
export function createSplits<Name extends string>(n: number, sizes: Record<Name, number>, seed: number | string): Record<Name, Int32Array> {
  // A NaN or fractional n would give empty or short splits without a word.
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new InputError({ argument: 'n', expected: 'a row count (an integer ≥ 0)', received: n });
  checkObject(sizes, 'sizes', 'an object of subset sizes { name: size }');
  if (seed === undefined) throw new InputError({ argument: 'seed', expected: 'an integer ≥ 0 or a non-empty string' });
  checkOption('seed', seed, 'simulate');
  const total = Object.values<number>(sizes).reduce((a, b) => a + b, 0);
  for (const [name, size] of Object.entries<number>(sizes)) {
    if (!Number.isInteger(size) || size < 0)
      throw new InputError({ argument: `sizes.${name}`, expected: 'an integer ≥ 0', received: size });
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
  for (const [name, size] of Object.entries<number>(sizes)) {
    splits[name] = order.slice(start, start + size).sort();
    start += size;
  }
  // Each name of `sizes`, and no other: typed so, `createSplits(n, { pool, icl }, seed).pool` is
  // an Int32Array, not possibly undefined, under noUncheckedIndexedAccess.
  return splits as Record<Name, Int32Array>;
}

interface SplitsFile {
  n: number;
  seed: number | string;
  sizes: Record<string, number>;
  splits: Record<string, number[]>;
}

/**
 * The splits saved in `path` when they were made for the same (n, sizes, seed); otherwise new
 * ones, saved there. A file made for other parameters is refused rather than replaced; so is one
 * that is not a splits file or whose splits are not what it says (an edited or damaged file):
 * used, its rows would be other rows than the sizes and seed say.
 *
 * @example
 * const splits = await loadOrCreateSplits('results/sst2/splits.json', data.size, { pool: 1000, icl: 100 }, 0);
 * @throws {FileFormatError} naming the file when it cannot be read, is not a splits file, or a
 *   split's indices are not distinct rows of `n` as many as its size.
 */
export async function loadOrCreateSplits(path: string, n: number, sizes: Record<string, number>, seed: number | string): Promise<Splits> {
  checkPath(path);
  if (existsSync(path)) {
    const saved = await readSplitsFile(path);
    if (saved.n !== n || saved.seed !== seed || JSON.stringify(saved.sizes) !== JSON.stringify(sizes)) {
      throw new OutputExistsError(
        path,
        `it holds splits of ${saved.n} rows with sizes ${JSON.stringify(saved.sizes)} and seed ${saved.seed}; remove it or use another folder`,
      );
    }
    return savedSplits(saved, path);
  }
  const splits = createSplits(n, sizes, seed);
  const file: SplitsFile = { n, seed, sizes, splits: Object.fromEntries(Object.entries(splits).map(([name, s]) => [name, Array.from(s)])) };
  await writeFileAtomic(path, `${JSON.stringify(file)}\n`);
  return splits;
}

/** What to do with a splits file that cannot be used. */
const REDRAW = 'remove it to draw the splits again';

/** A splits file's parameters and splits, as far as they are a splits file's: objects where there should be. */
async function readSplitsFile(path: string): Promise<SplitsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw unreadableFile(path, error);
  }
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(path, `not a splits file: invalid JSON (${(error as Error).message}); ${REDRAW}`);
  }
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(saved) || !isObject(saved.sizes) || !isObject(saved.splits))
    throw new FileFormatError(path, `not a splits file (expected an object { n, seed, sizes, splits }); ${REDRAW}`);
  return saved as unknown as SplitsFile;
}

/** The splits of a file made for the parameters asked for, each checked: distinct rows of `n`, as many as its size. */
function savedSplits(saved: SplitsFile, path: string): Splits {
  const taken = new Uint8Array(saved.n);
  const splits: Splits = {};
  for (const [name, size] of Object.entries(saved.sizes)) {
    const indices = saved.splits[name];
    if (!Array.isArray(indices) || indices.length !== size)
      throw new FileFormatError(path, `split "${name}" does not hold ${size} row indices as its size says; ${REDRAW}`);
    for (const index of indices) {
      if (!Number.isInteger(index) || index < 0 || index >= saved.n)
        throw new FileFormatError(
          path,
          `split "${name}" holds ${JSON.stringify(index)}, not a row index in [0, ${saved.n - 1}]; ${REDRAW}`,
        );
      if (taken[index] === 1)
        throw new FileFormatError(path, `split "${name}" holds row ${index} a second time (splits are disjoint); ${REDRAW}`);
      taken[index] = 1;
    }
    splits[name] = Int32Array.from(indices);
  }
  return splits;
}
