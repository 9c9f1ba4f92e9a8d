import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { writeReport } from '../../src/report/report.js';
import { writeFakeSimulation } from './simulation-folder.js';

const root = mkdtempSync(join(tmpdir(), 'at-report-relative-steps-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function mseAt(dir: string, row: number, trueRisk: number): Promise<number> {
  const estimates = await readNpy(join(dir, 'estimates.npy'));
  const runs = estimates.shape[1] as number;
  let sum = 0;
  for (let c = 0; c < runs; c++) sum += ((estimates.data[row * runs + c] as number) - trueRisk) ** 2;
  return sum / runs;
}

/** Random labelling recorded every 10 labels and active testing every label, and their report. */
async function reportOfTwoSteps(name: string): Promise<{ random: string; active: string; out: string }> {
  const random = join(root, name, 'random');
  const active = join(root, name, 'active');
  writeFakeSimulation(random, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 40, step: 10 });
  writeFakeSimulation(active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 400, step: 1, seed: 2 });
  const out = join(root, name, 'report');
  await writeReport([random, active], { out });
  return { random, active, out };
}

describe('relative error figure: random labelling recorded every 10 labels, active testing every label', () => {
  it('draws a line through the label counts both recorded (1, 11, …, 391), not isolated points between gaps', async () => {
    const { random, active, out } = await reportOfTwoSteps('figure');
    const spec = JSON.parse(readFileSync(join(out, 'relative-error.vl.json'), 'utf8'));
    const points = spec.data.values as Array<{ labels: number; mse: number | null; medianSe: number | null }>;
    // A line mark draws nothing of a value with a gap on both sides: every point must be a value.
    expect(points.map((p) => p.labels)).toEqual(Array.from({ length: 40 }, (_, k) => 10 * k + 1));
    expect(points.every((p) => p.mse !== null && p.medianSe !== null)).toBe(true);
    // At 11 labels: active testing's row 10 against random labelling's row 1.
    const expected = (await mseAt(active, 10, 0.4)) / (await mseAt(random, 1, 0.4));
    expect(points[1]?.mse).toBeCloseTo(expected, 12);
  });

  it("fills the summary table's relative column from the nearest label count both recorded (51 for 50)", async () => {
    const { random, active, out } = await reportOfTwoSteps('table');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const cells = summary.settings[1].cells as Array<{ threshold: number; labels: number; mse: number; relativeMse: number | null }>;
    // Random labelling has 41, 51, …, 391: each column takes active testing's row at the nearest of them.
    expect(cells.map((c) => [c.threshold, c.labels])).toEqual([
      [50, 51],
      [100, 101],
      [200, 201],
      [400, 391],
    ]);
    expect(cells[0]?.mse).toBeCloseTo(await mseAt(active, 50, 0.4), 12);
    expect(cells[0]?.relativeMse).toBeCloseTo((await mseAt(active, 50, 0.4)) / (await mseAt(random, 5, 0.4)), 12);
    expect(cells.every((c) => c.relativeMse !== null)).toBe(true);
    // Random labelling's own cells keep their nearest rows (51, 101, 201, 391).
    expect(summary.settings[0].cells.map((c: { labels: number }) => c.labels)).toEqual([51, 101, 201, 391]);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/\| surrogate-ce[^|]*\| [0-9.]+ \(51\) \|/);
  });

  it('leaves a column empty that the setting stops short of, though random labelling has it', async () => {
    const random = join(root, 'short', 'random');
    const active = join(root, 'short', 'active');
    writeFakeSimulation(random, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 40, step: 10 });
    // Active testing every label up to 102 labels: 105 is beyond its last row by more than its step.
    writeFakeSimulation(active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 102, step: 1, seed: 2 });
    const out = join(root, 'short', 'report');
    await writeReport([random, active], { out, thresholds: [50, 105] });
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.settings[1].cells.map((c: { labels: number | null }) => c.labels)).toEqual([51, null]);
  });
});
