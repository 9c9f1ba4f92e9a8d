import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeReport } from '../../src/report/report.js';
import { writeFakeSimulation } from './simulation-folder.js';

/** Which rename of a temporary file into place (1-based) fails, as a kill between two renames would stop them. */
const fault = vi.hoisted(() => ({ renameAt: 0, renames: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const rename: typeof actual.rename = async (from, to) => {
    if (String(from).endsWith('.tmp') && ++fault.renames === fault.renameAt)
      throw Object.assign(new Error(`EIO: injected, rename '${String(to)}'`), { code: 'EIO', syscall: 'rename', path: String(to) });
    return actual.rename(from, to);
  };
  return { ...actual, rename, default: { ...actual, rename } };
});

const root = mkdtempSync(join(tmpdir(), 'at-report-interrupted-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const random = join(root, 'iid');
const active = join(root, 'active');

beforeAll(() => {
  writeFakeSimulation(random, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 120 });
  writeFakeSimulation(active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 120 });
});

const thresholdsOf = (out: string) => (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { thresholds: number[] }).thresholds;

describe('a forced report stopped between the renames of its files', () => {
  it('never leaves the old summary beside some of the new figures', async () => {
    const out = join(root, 'report');
    fault.renameAt = 0;
    const { files } = await writeReport([random, active], { out, thresholds: [10] });
    const count = files.length;
    // The first rename, one in the middle, and those of summary.md and summary.json (renamed last).
    for (const at of [1, Math.floor(count / 2), count - 1, count]) {
      fault.renames = 0;
      fault.renameAt = at;
      await expect(writeReport([random, active], { out, thresholds: [100], force: true })).rejects.toThrow(/EIO/);
      expect(existsSync(join(out, 'summary.json')), `rename ${at}`).toBe(false);
      // summary.md is renamed just before summary.json: only a failure of that last rename leaves it, the new one.
      expect(existsSync(join(out, 'summary.md')), `rename ${at}`).toBe(at === count);
      expect(readdirSync(out).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      // The next forced run completes the folder.
      fault.renameAt = 0;
      await writeReport([random, active], { out, thresholds: [10], force: true });
      expect(thresholdsOf(out)).toEqual([10]);
    }
  });
});
