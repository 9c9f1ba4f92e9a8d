import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputLockedError } from '../../src/errors.js';
import { loadExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { EXPERIMENT_MANIFEST, type ExperimentManifest } from '../../src/experiment/manifest.js';
import { writeGrid } from './pool-files.js';

const root = mkdtempSync(join(tmpdir(), 'at-experiment-damaged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const runsOf = (folder: string) => (JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8')) as { runs: number }).runs;

describe('two experiment runs on one folder', () => {
  it('refuses the second, so that neither replaces the other’s settings, temporaries or manifest', async () => {
    const first = loadExperimentConfig(writeGrid(join(root, 'a'), { size: 300, runs: 300, labels: 40 }));
    const second = loadExperimentConfig(writeGrid(join(root, 'b'), { size: 300, runs: 301, labels: 40 }));
    const out = join(root, 'both');
    const runs = await Promise.allSettled([runExperiment(first, { out, threads: 1 }), runExperiment(second, { out, threads: 1 })]);
    const refused = runs.flatMap((run) => (run.status === 'rejected' ? [run.reason as unknown] : []));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(OutputLockedError);
    const winner = runs[0]?.status === 'fulfilled' ? 300 : 301;
    const manifest = JSON.parse(readFileSync(join(out, EXPERIMENT_MANIFEST), 'utf8')) as ExperimentManifest;
    expect(manifest.config.runs).toBe(winner);
    for (const { folder } of manifest.settings) expect(runsOf(join(out, folder)), folder).toBe(winner);
  });
});
