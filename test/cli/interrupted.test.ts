import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputLockedError } from '../../src/errors.js';
import { runDemo } from '../../src/report/demo.js';
import { writeReport } from '../../src/report/report.js';
import { runCliCaptured } from '../helpers/cli.js';
import { writeFakeSimulation } from '../report/simulation-folder.js';

const root = mkdtempSync(join(tmpdir(), 'at-interrupted-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The id of a process that has exited: the writer of a leftover temporary file. */
const deadPid = (): string => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;

/** A small demo: the refusals come before any work, whatever the demo's size. */
const smallDemo = (out: string, force = false) => runDemo({ out, force, runs: 4, poolSize: 1000, threads: 1, intervalLabels: [25] });

describe('a rerun on a folder that an interrupted run left', () => {
  it('simulate --demo says the folder holds an interrupted demo, also after a forced demo stopped half-way', async () => {
    const out = join(root, 'demo');
    await smallDemo(out);
    // A report lock of a live process (this one's parent) stops the forced demo at its last step,
    // the report, after it has replaced the pool, the simulations and the comparison.
    const lock = join(out, 'report', '.active-testing.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname() }));
    await expect(smallDemo(out, true)).rejects.toThrow(OutputLockedError);
    unlinkSync(lock);
    expect(existsSync(join(out, 'comparison.json'))).toBe(true);
    expect(existsSync(join(out, 'report', 'summary.json'))).toBe(false);

    const rerun = await runCliCaptured(['simulate', '--demo', '--out', out]);
    expect(rerun.code).toBe(1);
    expect(rerun.stderr).toBe(
      `active-testing simulate: ${out} already exists; it holds an interrupted demo: comparison.json, pool/model_scores.npy, ` +
        'pool/surrogate_scores.npy and 12 more without report/summary.json (written last); pass --force to start over',
    );
    await smallDemo(out, true);
    expect(existsSync(join(out, 'report', 'summary.json'))).toBe(true);
  }, 60_000);

  it('report says the folder holds an interrupted report, and removes the temporary files of its killed writer', async () => {
    const simulation = join(root, 'iid');
    writeFakeSimulation(simulation, { acquisition: 'iid', estimator: 'iid', noise: 0.5, rows: 40 });
    const out = join(root, 'report');
    await writeReport([simulation], { out });
    // What a report killed between its renames leaves: figures without summary.json, and temporaries.
    unlinkSync(join(out, 'summary.json'));
    const temporary = join(out, `.summary.json.${deadPid()}.0123abcd.tmp`);
    writeFileSync(temporary, '{');

    const rerun = await runCliCaptured(['report', simulation, '--out', out]);
    expect(rerun.code).toBe(1);
    const figures = readdirSync(out).filter((name) => !name.startsWith('.'));
    expect(rerun.stderr).toBe(
      `active-testing report: ${out} already exists; it holds an interrupted report (its 1 temporary file(s) were removed): ` +
        `summary.md, squared-error.vl.json, squared-error.svg and ${figures.length - 3} more without summary.json (written last); ` +
        'pass --force to start over',
    );
    expect(existsSync(temporary)).toBe(false);
    const forced = await runCliCaptured(['report', simulation, '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
  });
});
