import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputLockedError } from '../../src/errors.js';
import { runDemo } from '../../src/report/demo.js';
import { writeReport } from '../../src/report/report.js';
import { writeFakeSimulation } from './simulation-folder.js';

const root = mkdtempSync(join(tmpdir(), 'at-report-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('two reports or demos into one folder at once', () => {
  it('refuses the second, even with force, so that the folder holds one report, not a mix of two', async () => {
    const random = join(root, 'iid');
    const active = join(root, 'active');
    writeFakeSimulation(random, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 120 });
    writeFakeSimulation(active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 120 });
    const out = join(root, 'report');
    const runs = await Promise.allSettled([
      writeReport([random, active], { out, thresholds: [10], force: true }),
      writeReport([random, active], { out, thresholds: [100], force: true }),
    ]);
    const refused = runs.flatMap((run) => (run.status === 'rejected' ? [run.reason as unknown] : []));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(OutputLockedError);
    const winner = runs[0]?.status === 'fulfilled' ? 10 : 100;
    expect((JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { thresholds: number[] }).thresholds).toEqual([winner]);
    expect(readdirSync(out).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('two demos into one folder: the second is refused, so that the folder holds one demo', async () => {
    const out = join(root, 'demo');
    const demo = (runs: number) => runDemo({ out, runs, poolSize: 1000, threads: 1, intervalLabels: [50], force: true });
    const runs = await Promise.allSettled([demo(6), demo(7)]);
    const refused = runs.flatMap((run) => (run.status === 'rejected' ? [run.reason as unknown] : []));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(OutputLockedError);
    const winner = runs[0]?.status === 'fulfilled' ? 6 : 7;
    for (const method of ['adaptive-lure', 'iid'])
      expect((JSON.parse(readFileSync(join(out, method, 'summary.json'), 'utf8')) as { runs: number }).runs, method).toBe(winner);
    expect(readdirSync(out).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});
