import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { encodeNpy, readNpy } from '../../src/io/npy.js';
import { lossPerItem } from '../../src/metrics/index.js';
import { simulationIntervals } from '../../src/simulate/intervals.js';
import { simulationReference } from '../../src/simulate/reference.js';
import { simulate } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured } from '../helpers/cli.js';

/** How many times the per-item loss bounds were computed (N·K logarithms and exponentials each). */
let boundsComputed = 0;
vi.mock('../../src/metrics/index.js', async (original) => {
  const metrics = await original<typeof import('../../src/metrics/index.js')>();
  return {
    ...metrics,
    lossBounds: (...args: Parameters<typeof metrics.lossBounds>) => {
      boundsComputed++;
      return metrics.lossBounds(...args);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'at-interval-bounds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('simulate --interval', () => {
  it('computes the loss bounds once, for the check of the scores and the intervals, with the intervals of fresh bounds', async () => {
    const pool = syntheticPool({ poolSize: 400, seed: 3 });
    const matrix = (m: typeof pool.modelScores) => encodeNpy({ data: m.data, shape: [m.rows, m.cols], dtype: 'f8' });
    writeFileSync(join(root, 'f.npy'), matrix(pool.modelScores));
    writeFileSync(join(root, 'g.npy'), matrix(pool.surrogateScores));
    writeFileSync(join(root, 'y.npy'), encodeNpy({ data: pool.labels, shape: [pool.labels.length], dtype: 'i4' }));
    const out = join(root, 'out');
    const args = ['--runs', '30', '--size', '40', '--seed', '5', '--threads', '1'];
    boundsComputed = 0;
    const run = await runCliCaptured([
      'simulate',
      ...['--model-scores', join(root, 'f.npy'), '--surrogate-scores', join(root, 'g.npy'), '--labels', join(root, 'y.npy')],
      ...args,
      ...['--interval', 'anytime,fixed', '--out', out],
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(boundsComputed).toBe(1);

    const result = await simulate(pool, { runs: 30, size: 40, seed: 5, threads: 1, recordMixtureWeights: true });
    const reference = simulationReference(pool, result.options);
    const metrics = await vi.importActual<typeof import('../../src/metrics/index.js')>('../../src/metrics/index.js');
    const [anytime, fixed] = simulationIntervals(
      result,
      lossPerItem(pool.modelScores, pool.labels),
      metrics.lossBounds(pool.modelScores, 'cross-entropy'),
      ['anytime', 'fixed'],
      reference,
    );
    expect(Array.from((await readNpy(join(out, 'anytime_lower.npy'))).data as Float64Array)).toEqual(Array.from(anytime!.lower));
    expect(Array.from((await readNpy(join(out, 'fixed_upper.npy'))).data as Float64Array)).toEqual(Array.from(fixed!.upper));
  });
});
