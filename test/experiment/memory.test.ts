import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { loadExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { assertFitsInMemory } from '../../src/simulate/memory.js';
import { writeGrid } from './pool-files.js';

// A machine whose memory holds the results of 1000 runs of 100 labels but not of 120: 28 bytes a
// label and run (estimates and bootstrap variances f8 per row at step 1, samples i4, q f8), so
// 2.8 MB and 3.36 MB, against 80% of 4 MB.
vi.mock('node:os', async (importOriginal) => ({ ...(await importOriginal<typeof import('node:os')>()), totalmem: () => 4_000_000 }));

const root = mkdtempSync(join(tmpdir(), 'at-experiment-memory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('refuses a grid whose later setting cannot fit in memory before running any setting', async () => {
  // Under iclBudget random labelling runs 20 labels more than the grid's 100, and it comes last.
  const path = writeGrid(join(root, 'inputs'), {
    size: 500,
    runs: 1000,
    labels: 100,
    extra: { iclBudget: true, settings: [{ acquisition: 'surrogate-ce' }, { acquisition: 'iid' }] },
  });
  const out = join(root, 'grid');
  const events: string[] = [];
  await expect(runExperiment(loadExperimentConfig(path), { out, threads: 1, onEvent: (e) => events.push(e.event) })).rejects.toThrow(
    /^runs: expected runs × size that fit in memory: 1000 runs of 120 labels need about 0\.0 GiB for their results, this machine has 0\.0 GiB/,
  );
  expect(events).not.toContain('setting-start');
  expect(existsSync(join(out, 'surrogate-ce-lure-clip-0.1'))).toBe(false);
});

it("counts a grid's interval bounds and the mixture weights they read, as simulate --interval does", async () => {
  // 1000 runs of 80 labels fit alone (2.24 MB): an adaptive setting's sequences add 16 bytes a row and
  // kind and 8 a label and candidate for the mixture weights, past 80% of 4 MB.
  const path = writeGrid(join(root, 'interval-inputs'), {
    size: 500,
    runs: 1000,
    labels: 80,
    extra: { interval: ['anytime'], settings: [{ acquisition: 'adaptive' }] },
  });
  const out = join(root, 'interval-grid');
  const events: string[] = [];
  await expect(runExperiment(loadExperimentConfig(path), { out, threads: 1, onEvent: (e) => events.push(e.event) })).rejects.toThrow(
    /^runs: expected runs × size that fit in memory: 1000 runs of 80 labels need about 0\.0 GiB/,
  );
  expect(events).not.toContain('setting-start');
  expect(
    assertFitsInMemory([{ runs: 1000, size: 80, step: 1, bootstrap: 'exact', numerics: 'default', acquisition: 'adaptive' }], 0),
  ).toBeUndefined();
  // The bootstrap's bounds alone: 1.28 MB more, also past it.
  const bootstrap = writeGrid(join(root, 'bootstrap-inputs'), {
    size: 500,
    runs: 1000,
    labels: 80,
    extra: { interval: 'bootstrap', settings: [{ acquisition: 'surrogate-ce' }] },
  });
  await expect(runExperiment(loadExperimentConfig(bootstrap), { out: join(root, 'bootstrap-grid'), threads: 1 })).rejects.toThrow(
    /^runs: expected runs × size that fit in memory/,
  );
});
