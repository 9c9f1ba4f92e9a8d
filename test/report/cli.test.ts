import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
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
    // A negative value is read as the flag's value and refused as such, as by every command.
    const negative = await cli(['report', root, '--smoothing', '-1']);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toMatch(/^active-testing report: --smoothing: expected an integer ≥ 1, got "-1"/);
    expect((await cli(['report', root, '--bogus'])).code).toBe(2);
    expect((await cli(['report', 'a', 'b'])).stderr).toMatch(/--out is required with several input folders/);
    const missing = await cli(['report', join(root, 'missing')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/" \(it does not exist\)$/);
  });

  it('lists in its help every figure docs/reports.md lists, the interval ones included', async () => {
    const help = (await cli(['report', '--help'])).stdout;
    for (const figure of ['squared-error', 'relative-error', 'relative-cost', 'bootstrap', 'coverage-KIND', 'half-width-KIND'])
      expect(help, figure).toMatch(new RegExp(`^  ${figure} +\\S`, 'm'));
  });

  it('writes DIR/report by default and prints one JSON line with --json', async () => {
    const dir = join(root, 'iid');
    writeFakeSimulation(dir, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 120 });
    const { code, stdout } = await cli(['report', dir, '--json', '--thresholds', '10,100']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.summary).toBe(join(dir, 'report', 'summary.md'));
    expect(result.table.thresholds).toEqual([10, 100]);
    expect(JSON.parse(readFileSync(join(dir, 'report', 'summary.json'), 'utf8'))).toEqual({ ...result.table, unfinished: [], leftOut: [] });
    expect(result.leftOut).toEqual([]);
    const again = await cli(['report', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; pass --force to replace it/);
    expect((await cli(['report', dir, '--force'])).stdout).toMatch(/^Report written: .*summary\.md \(\d+ files\)$/);
  });

  it('writes a number that is not finite as summary.json does in the --json line, not as null', async () => {
    // null in the table means "threshold never reached"; a NaN ratio (no run defined it) is another
    // reading, which the line must keep apart as summary.json does.
    const dir = join(root, 'nan-ratio');
    writeFakeSimulation(dir, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 20 });
    const summaryPath = join(dir, 'summary.json');
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    writeFileSync(summaryPath, JSON.stringify({ ...summary, variance_ratio: summary.labels.map((m: number) => (m === 10 ? 'NaN' : 1)) }));
    const { code, stdout } = await cli(['report', dir, '--json', '--thresholds', '10,11,100']);
    expect(code).toBe(0);
    const { table } = JSON.parse(stdout);
    expect(table.settings[0].cells.map((c: { varianceRatio: unknown }) => c.varianceRatio)).toEqual(['NaN', 1, null]);
    const { unfinished, leftOut, ...written } = JSON.parse(readFileSync(join(dir, 'report', 'summary.json'), 'utf8'));
    expect([unfinished, leftOut]).toEqual([[], []]);
    expect(table).toEqual(written);
  });

  it("names an experiment's unfinished settings in summary.md and in the --json line, not on stderr alone", async () => {
    const grid = join(root, 'half-done');
    writeFakeSimulation(join(grid, 'iid'), { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 60 });
    writeFileSync(join(grid, 'iid', 'setting.json'), JSON.stringify({ name: 'iid', fingerprint: 'f' }));
    const settings = [
      { name: 'iid', folder: 'iid', labelOffset: 0 },
      { name: 'still running', folder: 'ce', labelOffset: 0 },
    ];
    writeFileSync(join(grid, 'experiment.json'), JSON.stringify({ settings }));
    const { code, stdout, stderr } = await cli(['report', grid, '--json', '--thresholds', '10']);
    expect(code).toBe(0);
    expect(stderr.trim()).toBe(
      `active-testing report: left out the unfinished setting "still running" (${join(grid, 'ce')}); run the experiment again to finish it`,
    );
    expect(JSON.parse(stdout).unfinished).toEqual([{ name: 'still running', folder: join(grid, 'ce') }]);
    expect(JSON.parse(readFileSync(join(grid, 'report', 'summary.json'), 'utf8')).unfinished).toEqual([
      { name: 'still running', folder: join(grid, 'ce') },
    ]);
    const page = readFileSync(join(grid, 'report', 'summary.md'), 'utf8');
    // With no setting finished, the refusal is the one line, not one line per setting before it.
    const none = join(root, 'none-done');
    mkdirSync(join(none, 'ce'), { recursive: true });
    writeFileSync(
      join(none, 'experiment.json'),
      JSON.stringify({ settings: [settings[1], { ...settings[1], name: 'other', folder: 'pe' }] }),
    );
    const refused = await cli(['report', none]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `active-testing report: ${none}: holds no finished simulation: none of the experiment's 2 settings has finished (run the experiment again to finish them)`,
    );
    // While the experiment runs (its folder locked by a live process, another than the report's), it
    // is not told to run it again.
    writeFileSync(join(grid, '.active-testing.lock'), JSON.stringify({ pid: process.ppid, host: hostname() }));
    const running = await cli(['report', grid, '--out', join(root, 'half-done-report'), '--thresholds', '10']);
    expect(running.code).toBe(0);
    expect(running.stderr.trim()).toBe(
      `active-testing report: left out the unfinished setting "still running" (${join(grid, 'ce')}); the experiment is still running (process ${process.ppid} on ${hostname()}); report again once it has finished`,
    );
    expect(page).toContain(
      '- **iid**: 60 runs, `../iid`\n\nLeft out, not finished when the report was written (finish the experiment, then report again):\n\n- **still running**: `../ce`\n\nTrue risk',
    );
  });

  it('never writes a report over results, even with --force', async () => {
    const active = join(root, 'active');
    const random = join(root, 'random');
    writeFakeSimulation(active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 60 });
    writeFakeSimulation(random, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 60 });
    const summary = readFileSync(join(active, 'summary.json'), 'utf8');
    const intoInput = await cli(['report', active, random, '--out', active, '--force']);
    expect(intoInput.code).toBe(1);
    expect(intoInput.stderr.trim()).toBe(`active-testing report: --out: expected a folder other than the input folders, got "${active}"`);
    const intoOther = await cli(['report', random, '--out', active, '--force']);
    expect(intoOther.code).toBe(1);
    expect(intoOther.stderr).toMatch(/--out: expected a folder without simulate or experiment outputs .*holds estimates\.npy/);
    expect(readFileSync(join(active, 'summary.json'), 'utf8')).toBe(summary);
    // A run folder that lost its estimates still holds its summary.json and other arrays.
    rmSync(join(active, 'estimates.npy'));
    const intoDamaged = await cli(['report', random, '--out', active, '--force']);
    expect(intoDamaged.code).toBe(1);
    expect(intoDamaged.stderr).toMatch(/--out: expected a folder without simulate or experiment outputs .*holds bootstrap_variance\.npy/);
    expect(readFileSync(join(active, 'summary.json'), 'utf8')).toBe(summary);
  });

  it('writes a report of two runs into a new folder', async () => {
    const active = join(root, 'active');
    const random = join(root, 'random');
    writeFakeSimulation(active, { acquisition: 'surrogate-ce', estimator: 'lure', noise: 0.3, rows: 60 });
    writeFakeSimulation(random, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 60 });
    expect((await cli(['report', active, random, '--out', join(root, 'both')])).code).toBe(0);
  });
});
