import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { writeFakeSimulation } from './simulation-folder.js';
import { runCliCaptured } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'at-report-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const cli = runCliCaptured;

describe('active-testing report', () => {
  it('prints help (0), rejects usage errors (2) and bad input (1)', async () => {
    expect((await cli(['report', '--help'])).stdout).toMatch(/^Usage: active-testing report DIR\.\.\./);
    expect((await cli(['report'])).code).toBe(2);
    expect((await cli(['report', root, '--smoothing', '0'])).code).toBe(2);
    expect((await cli(['report', root, '--bogus'])).code).toBe(2);
    expect((await cli(['report', 'a', 'b'])).stderr).toMatch(/--out is required with several input folders/);
    const missing = await cli(['report', join(root, 'missing')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/summary\.json/);
  });

  it('writes DIR/report by default and prints one JSON line with --json', async () => {
    const dir = join(root, 'iid');
    writeFakeSimulation(dir, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 120 });
    const { code, stdout } = await cli(['report', dir, '--json', '--thresholds', '10,100']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.summary).toBe(join(dir, 'report', 'summary.md'));
    expect(result.table.thresholds).toEqual([10, 100]);
    expect(JSON.parse(readFileSync(join(dir, 'report', 'summary.json'), 'utf8'))).toEqual(result.table);
    const again = await cli(['report', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; pass --force/);
    expect((await cli(['report', dir, '--force'])).stdout).toMatch(/^Report written: .*summary\.md \(\d+ files\)$/);
  });
});
