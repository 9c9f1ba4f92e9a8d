import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { InputError, simulate, syntheticPool } from '../../src/index.js';
import { assertFitsInMemory, refuseBeyondMemory } from '../../src/simulate/memory.js';

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
    const options = { runs: 1000, size: 400, step: 1, bootstrap: 'exact', numerics: 'default', acquisition: 'iid' } as const;
    // 1000 × 400 × 28 bytes = 11.2 MB: refused with 10 MB, let through with 20 MB.
    expect(() => assertFitsInMemory([options], 0, { runs: '--runs', size: '--size' }, 10e6)).toThrow(
      /^--runs: expected runs × size that fit in memory: .* use fewer --runs or a smaller --size, got 1000$/,
    );
    expect(() => assertFitsInMemory([options], 0, undefined, 20e6)).not.toThrow();
    expect(() => assertFitsInMemory([options], 0, undefined, 10e6)).toThrow(InputError);
  });
});

describe('refuseBeyondMemory', () => {
  it('refuses more than 80% of the memory, with both amounts in GiB', () => {
    const explain = (needed: string, has: string): string => `a pool that fits: ${needed}, of ${has}`;
    expect(() => refuseBeyondMemory(2 ** 31, 'poolSize', 1e8, explain, 2 ** 30)).toThrow(
      new InputError({ argument: 'poolSize', expected: 'a pool that fits: 2.0 GiB, of 1.0 GiB', received: 1e8 }),
    );
    expect(() => refuseBeyondMemory(800, 'poolSize', 1, explain, 1000)).not.toThrow();
    expect(() => refuseBeyondMemory(801, 'poolSize', 1, explain, 1000)).toThrow(InputError);
  });
});
