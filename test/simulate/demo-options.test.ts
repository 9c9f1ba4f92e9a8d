import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CancelledError, InputError } from '../../src/errors.js';
import { INTERVAL_TILE_RUNS } from '../../src/simulate/sequence-intervals.js';
import { abortOnFirstTile } from './abort-on-first-tile.js';
import { runDemo } from '../../src/report/demo.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'demo-options-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runDemo options', () => {
  it('names poolSize when the pool size is not a count', async () => {
    for (const poolSize of [0, 1.5]) {
      const error = await runDemo({ out: join(dir, 'demo'), runs: 1, poolSize }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).message).toBe(`poolSize: expected an integer ≥ 1, got ${poolSize}`);
    }
  });

  it('refuses a misspelt option rather than ignoring it, before writing anything', async () => {
    const out = join(dir, 'misspelt');
    await expect(runDemo({ out, runs: 1, thread: 1 } as Parameters<typeof runDemo>[0])).rejects.toThrow(
      new InputError({
        argument: 'thread',
        expected:
          'a known option, did you mean threads? (valid: out, force, runs, seed, threads, poolSize, classCount, intervalLabels, onProgress, signal)',
      }),
    );
    expect(existsSync(out)).toBe(false);
  });

  describe('stopped by its signal while it computes the intervals', () => {
    afterEach(() => vi.restoreAllMocks());

    it('stops at the next tile of runs and writes nothing', async () => {
      const out = join(dir, 'stopped');
      // Aborted while the active method's first tile of intervals is computed.
      const { signal, filledRuns } = abortOnFirstTile();
      const error = await runDemo({ out, runs: 64, threads: 1, poolSize: 500, signal }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledError);
      // One tile of each sequence kind, not the 64 runs of each.
      expect(filledRuns()).toBe(2 * INTERVAL_TILE_RUNS);
      expect(existsSync(out)).toBe(false);
    });
  });
});
