import type { CreateSessionOptions } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

/** The options of a session over a synthetic binary pool of `size` items (ids s0, s1, …), with its true labels. */
export function syntheticSessionOptions(size: number, seed: number): { options: CreateSessionOptions; ids: string[]; labels: Int32Array } {
  const pool = syntheticPool({ poolSize: size, classCount: 2, seed });
  const ids = Array.from({ length: size }, (_, i) => `s${i}`);
  return {
    options: {
      texts: ids.map((id) => `text ${id}`),
      ids,
      classes: ['a', 'b'],
      modelScores: pool.modelScores,
      surrogateScores: pool.surrogateScores,
    },
    ids,
    labels: pool.labels,
  };
}
