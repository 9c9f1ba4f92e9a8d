import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { writeReport } from '../../src/report/report.js';
import { settingCurves, settingCurvesInBlocks } from '../../src/report/curves.js';
import { loadReportSettings } from '../../src/report/load.js';
import { writeFakeSimulation } from './simulation-folder.js';

const controller = new AbortController();
let abortAfter = Infinity;
let percentileRows = 0;
// Counts the rows whose percentiles were computed, and aborts the signal once `abortAfter` rows were.
vi.mock('../../src/metrics/index.js', async (original) => {
  const metrics = await original<typeof import('../../src/metrics/index.js')>();
  return {
    ...metrics,
    rowPercentiles: (...args: Parameters<typeof metrics.rowPercentiles>) => {
      percentileRows += args[0].rows;
      if (percentileRows >= abortAfter) controller.abort();
      return metrics.rowPercentiles(...args);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'at-report-rows-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeReport on one large setting, stopped by its signal', () => {
  // 800 rows × 1,000 runs: 800,000 estimates, four blocks of rows.
  const simulation = join(root, 'large');
  writeFakeSimulation(simulation, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 800, runs: 1000 });

  it('stops within the setting, after the block of rows it was computing, and writes nothing', async () => {
    abortAfter = 1;
    const out = join(root, 'report');
    const error = await writeReport([simulation], { out, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe('report cancelled; nothing of it was written');
    // The percentiles of the first block, not of all 800 rows.
    expect(percentileRows).toBeGreaterThan(0);
    expect(percentileRows).toBeLessThan(800);
    expect(existsSync(out)).toBe(false);
  });

  it('computes the same curves, to the bit, a block at a time as in one pass', async () => {
    abortAfter = Infinity;
    // With a pool size, so that each block's bootstrap variances get their own rows' finite-population factors.
    const [loaded] = await loadReportSettings([simulation]);
    const setting = { ...loaded!, pool: { size: 5000 } };
    let pauses = 0;
    const inBlocks = await settingCurvesInBlocks(setting, 1.96, async () => void pauses++);
    expect(pauses).toBe(4);
    const whole = settingCurves(setting);
    expect(inBlocks).toEqual(whole);
  });
});
