import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { writeReport } from '../../src/report/report.js';
import { writeFakeSimulation } from './simulation-folder.js';

const controller = new AbortController();
let curvesComputed = 0;
// The signal aborts while the first setting's curves are computed.
vi.mock('../../src/report/curves.js', async (original) => {
  const curves = await original<typeof import('../../src/report/curves.js')>();
  return {
    ...curves,
    settingCurvesInBlocks: (...args: Parameters<typeof curves.settingCurvesInBlocks>) => {
      curvesComputed++;
      controller.abort();
      return curves.settingCurvesInBlocks(...args);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'at-report-curves-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeReport stopped by its signal', () => {
  it('stops after the setting whose curves it was computing, and writes nothing', async () => {
    const random = join(root, 'random');
    const active = join(root, 'active');
    writeFakeSimulation(random, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 40 });
    writeFakeSimulation(active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 40 });
    const out = join(root, 'report');
    const error = await writeReport([random, active], { out, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe('report cancelled; nothing of it was written');
    expect(curvesComputed).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});
