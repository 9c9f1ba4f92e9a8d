import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { InputError, simulate, syntheticPool } from '../../src/index.js';
import { assertFitsInMemory } from '../../src/simulate/memory.js';

const pool = syntheticPool({ poolSize: 100, seed: 0 });

describe('simulate results that cannot fit in memory', () => {
  it('are refused with an InputError naming runs, not a RangeError from the allocation', async () => {
    const runs = 1e12;
    const neededGiB = (runs * 20 * (16 + 12)) / 1024 ** 3; // estimates and bootstrap f8, samples i4 and q f8, per label
    await expect(simulate(pool, { runs, size: 20, threads: 1 })).rejects.toMatchObject({
      name: 'InputError',
      argument: 'runs',
      received: runs,
      expected: `runs × size that fit in memory: ${runs} runs of 20 labels need about ${neededGiB.toFixed(1)} GiB for their results, this machine has ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; use fewer runs or a smaller size`,
    });
  });

  it('are measured against the memory given, with the names given', () => {
    const options = { runs: 1000, size: 400, step: 1, bootstrap: 'exact', acquisition: 'iid' } as const;
    // 1000 × 400 × 28 bytes = 11.2 MB: refused with 10 MB, let through with 20 MB.
    expect(() => assertFitsInMemory([options], 0, { runs: '--runs', size: '--size' }, 10e6)).toThrow(
      /^--runs: expected runs × size that fit in memory: .* use fewer --runs or a smaller --size, got 1000$/,
    );
    expect(() => assertFitsInMemory([options], 0, undefined, 20e6)).not.toThrow();
    expect(() => assertFitsInMemory([options], 0, undefined, 10e6)).toThrow(InputError);
  });
});
