import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadExperimentConfig, withPoolSize, type SizedSetting } from '../../src/experiment/config.js';
import { runExperiment, simulationOptionsFor } from '../../src/experiment/experiment.js';
import { encodeNpy } from '../../src/io/npy.js';
import { simulate } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { writeGrid } from './pool-files.js';

/** Whether the grid's PoolWorkCache shares its entries; off, every setting computes its own pool work. */
let sharing = true;
/** How many times a proposal was planned, and the loss bounds computed. */
const computed = vi.hoisted(() => ({ planProposal: 0, lossBounds: 0 }));
vi.mock('../../src/simulate/simulate.js', async (original) => {
  const simulate = await original<typeof import('../../src/simulate/simulate.js')>();
  class SwitchableCache extends simulate.PoolWorkCache {
    override get<T>(inputs: readonly unknown[], key: string, compute: () => T): T {
      return sharing ? super.get(inputs, key, compute) : compute();
    }
  }
  return { ...simulate, PoolWorkCache: SwitchableCache };
});
vi.mock('../../src/acquisition/adaptive/index.js', async (original) => {
  const { withCountedCalls } = await import('../helpers/counted.js');
  return withCountedCalls(await original<typeof import('../../src/acquisition/adaptive/index.js')>(), 'planProposal', computed);
});
vi.mock('../../src/metrics/index.js', async (original) => {
  const { withCountedCalls } = await import('../helpers/counted.js');
  return withCountedCalls(await original<typeof import('../../src/metrics/index.js')>(), 'lossBounds', computed);
});

const root = mkdtempSync(join(tmpdir(), 'at-experiment-pool-work-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file of every setting's folder but setting.json (its time), by path. */
function outputs(out: string, folders: string[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const folder of folders) {
    for (const name of readdirSync(join(out, folder)).filter((n) => n !== 'setting.json')) {
      files.set(`${folder}/${name}`, readFileSync(join(out, folder, name)));
    }
  }
  return files;
}

describe('runExperiment sharing pool work between settings', () => {
  it('computes each distinct proposal and the loss bounds once, and writes what each setting computed alone writes, bit for bit', async () => {
    const dir = join(root, 'inputs');
    const configPath = writeGrid(dir, { size: 300, runs: 40, labels: 30 });
    const pool = syntheticPool({ poolSize: 300, seed: 7 });
    const half = Float64Array.from(pool.surrogateScores.data, (v) => v / 2);
    writeFileSync(join(dir, 'surrogate-b.npy'), encodeNpy({ data: half, shape: [300, pool.surrogateScores.cols], dtype: 'f8' }));
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    grid.surrogates.b = 'surrogate-b.npy';
    grid.settings = [
      { acquisition: 'iid' },
      { acquisition: 'surrogate-ce', surrogate: 'icl' },
      { acquisition: 'surrogate-ce', surrogate: 'icl', clip: 0.05 },
      { acquisition: 'surrogate-ce', surrogate: 'icl', estimator: 'is' },
      { acquisition: 'surrogate-ce', surrogate: 'icl', estimator: 'ase' },
      { acquisition: 'surrogate-ce', surrogate: 'icl', defensive: 0.2 },
      { acquisition: 'surrogate-ce', surrogate: 'icl', defensive: 0.2, clip: 0.05 },
      { acquisition: 'surrogate-ce', surrogate: 'icl', temperature: 2 },
      { acquisition: 'surrogate-ce', surrogate: 'b' },
      { acquisition: 'surrogate-pe', surrogate: 'icl' },
      { acquisition: 'adaptive', surrogate: 'icl' },
      { acquisition: 'adaptive', surrogate: 'icl', clip: 0.05 },
      { acquisition: 'self-entropy' },
    ];
    writeFileSync(configPath, JSON.stringify(grid));
    const config = loadExperimentConfig(configPath);
    const folders = config.settings.map((s) => s.folder);

    computed.planProposal = 0;
    computed.lossBounds = 0;
    await runExperiment(config, { out: join(root, 'shared'), threads: 1 });
    // iid, surrogate-ce (clip 0.1 and 0.05, IS, ASE), the two defensive clips, T = 2, surrogate b, surrogate-pe, adaptive (both clips), self-entropy.
    expect(computed.planProposal).toBe(9);
    expect(computed.lossBounds).toBe(1);

    sharing = false;
    computed.planProposal = 0;
    await runExperiment(config, { out: join(root, 'alone'), threads: 1 });
    sharing = true;
    expect(computed.planProposal).toBe(13);

    const shared = outputs(join(root, 'shared'), folders);
    const alone = outputs(join(root, 'alone'), folders);
    expect([...shared.keys()]).toEqual([...alone.keys()]);
    expect(shared.size).toBeGreaterThanOrEqual(13 * 5);
    for (const [path, bytes] of alone) expect((shared.get(path) as Buffer).equals(bytes), path).toBe(true);

    // And each setting's estimates are those of simulate on its own, outside any grid.
    for (const setting of config.settings) {
      const surrogateScores = setting.surrogate === 'b' ? { data: half, rows: 300, cols: pool.surrogateScores.cols } : pool.surrogateScores;
      const expected = await simulate(
        { modelScores: pool.modelScores, labels: pool.labels, ...(setting.surrogateScores ? { surrogateScores } : {}) },
        simulationOptionsFor(withPoolSize(config, 300), setting as SizedSetting, 1),
      );
      const estimates = Buffer.from(encodeNpy({ data: expected.estimates, rows: expected.rows, cols: expected.runs }));
      expect(estimates.equals(shared.get(`${setting.folder}/estimates.npy`) as Buffer), setting.name).toBe(true);
    }
  });
});
