import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { writeReport } from '../../src/report/report.js';
import { writeFakeSimulation } from './simulation-folder.js';

let curvesComputed = 0;
vi.mock('../../src/report/curves.js', async (original) => {
  const curves = await original<typeof import('../../src/report/curves.js')>();
  return {
    ...curves,
    settingCurvesInBlocks: (...args: Parameters<typeof curves.settingCurvesInBlocks>) => {
      curvesComputed++;
      return curves.settingCurvesInBlocks(...args);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'at-report-baseline-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeReport with a baseline the inputs do not have', () => {
  it('is refused before any setting’s curves are computed, naming the random-labelling settings, and writes nothing', async () => {
    const random = join(root, 'random');
    const active = join(root, 'active');
    writeFakeSimulation(random, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 40 });
    writeFakeSimulation(active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 40 });
    const out = join(root, 'report');
    for (const baseline of ['Random', 'surrogate-ce · LURE · clip 0.1']) {
      const error = await writeReport([random, active], { out, baseline }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(
        `baseline: expected a random-labelling setting, by its name, folder name or acquisition (iid, where one setting has it): "Random (i.i.d.)" (folder random), got "${baseline}"`,
      );
    }
    expect(curvesComputed).toBe(0);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    const { table } = await writeReport([random, active], { out, baseline: 'Random (i.i.d.)' });
    expect(table.baseline).toBe('Random (i.i.d.)');
    expect(curvesComputed).toBe(2);
  });
});
