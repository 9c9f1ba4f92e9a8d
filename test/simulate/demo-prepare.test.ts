import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDemo } from '../../src/report/demo.js';
import { DEMO_LABEL_COUNTS } from '../../src/report/label-rows.js';

/** How many times a proposal was planned (a softmax and the acquisition values over the pool each), and the loss bounds computed. */
const computed = vi.hoisted(() => ({ planProposal: 0, lossBounds: 0 }));
vi.mock('../../src/acquisition/adaptive/index.js', async (original) => {
  const { withCountedCalls } = await import('../helpers/counted.js');
  return withCountedCalls(await original<typeof import('../../src/acquisition/adaptive/index.js')>(), 'planProposal', computed);
});
vi.mock('../../src/metrics/index.js', async (original) => {
  const { withCountedCalls } = await import('../helpers/counted.js');
  return withCountedCalls(await original<typeof import('../../src/metrics/index.js')>(), 'lossBounds', computed);
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'demo-prepare-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runDemo', () => {
  it('prepares each method once, for its runs and its intervals alike', async () => {
    await runDemo({ out: join(dir, 'demo'), runs: 4, threads: 1, intervalLabels: DEMO_LABEL_COUNTS });
    // One plan and one computation of the bounds per method (active testing, random labelling):
    // the intervals' reference reuses the runs' preparation rather than planning the proposal again.
    expect(computed).toEqual({ planProposal: 2, lossBounds: 2 });
  });
});
