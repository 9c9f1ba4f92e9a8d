import seedrandom from 'seedrandom';

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * The seeded uniform stream for one purpose, identified by a seed and a path of integers
 * (e.g. `[runIndex]`, or `[runIndex, BOOTSTRAP_STREAM]`). Streams with different paths are
 * independent, and a stream depends only on (seed, path), never on how work is split across
 * threads. Uses 53-bit doubles from seedrandom's Alea generator.
 *
 * @example
 * const u = randomStream(0, [3]);
 * u(); // the first draw of run 3, always the same for seed 0
 */
export function randomStream(seed: number | string, path: readonly number[] = []): RandomSource {
  const generator = seedrandom.alea([String(seed), ...path.map(String)].join('/'));
  return () => generator.double();
}
