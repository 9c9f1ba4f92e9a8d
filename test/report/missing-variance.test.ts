import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../src/errors.js';
import { writeReport } from '../../src/report/report.js';
import { simulate } from '../../src/simulate/simulate.js';
import { summarizeSimulation, writeSimulationOutputs } from '../../src/simulate/outputs.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

const root = mkdtempSync(join(tmpdir(), 'at-missing-variance-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a simulate run whose bootstrap_variance.npy is gone', () => {
  it('is refused by report, naming the file and how to write it again, rather than reported without its error bars', async () => {
    const pool = syntheticPool({ poolSize: 200, seed: 2 });
    const run = join(root, 'run');
    const result = await simulate(pool, { runs: 4, size: 20, acquisition: 'iid', threads: 1 });
    await writeSimulationOutputs(run, result, summarizeSimulation(result, {}));
    await writeReport([run], { out: join(root, 'whole') });
    const variance = join(run, 'bootstrap_variance.npy');
    rmSync(variance);
    const refused = await writeReport([run], { out: join(root, 'report') }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FileFormatError);
    expect((refused as Error).message).toBe(
      `${variance}: is missing, though summary.json records the run's bootstrap ("exact"): without it the report would leave out its bootstrap error bars and their coverage; run the simulation again, replacing its outputs (simulate --force)`,
    );
    expect(existsSync(join(root, 'report'))).toBe(false);
  });

  it('is not looked for in a run without a bootstrap', async () => {
    const pool = syntheticPool({ poolSize: 200, seed: 2 });
    const run = join(root, 'no-bootstrap');
    const result = await simulate(pool, { runs: 4, size: 20, acquisition: 'iid', bootstrap: 'none', threads: 1 });
    await writeSimulationOutputs(run, result, summarizeSimulation(result, {}));
    expect(existsSync(join(run, 'bootstrap_variance.npy'))).toBe(false);
    await writeReport([run], { out: join(root, 'no-bootstrap-report') });
    expect(existsSync(join(root, 'no-bootstrap-report', 'summary.json'))).toBe(true);
  });
});
