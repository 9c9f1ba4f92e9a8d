// CommonJS consumer (compiled with module nodenext, skipLibCheck false): the root and the
// reference subpath resolve to their .d.cts types, and wrong-typed inputs fail to compile.
import { simulate, syntheticPool, type SimulationResult } from 'active-testing';
import { IidAcquisition } from 'active-testing/reference';

export async function run(): Promise<SimulationResult> {
  const pool = syntheticPool({ poolSize: 100, seed: 0 });
  new IidAcquisition({ runs: 2 });
  // @ts-expect-error scores must be a matrix, not a string
  await simulate({ modelScores: 'oops', surrogateScores: pool.surrogateScores, labels: pool.labels });
  return simulate(pool, { runs: 2, size: 10, seed: 0 });
}
