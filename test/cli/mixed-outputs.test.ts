import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulate/simulate.js';
import { summarizeSimulation, writeSimulationOutputs } from '../../src/simulate/outputs.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured } from '../helpers/cli.js';

// The output folders of simulate, simulate --demo and experiment, mixed, make report read one kind
// and leave the other's runs out: report reads a folder with its own summary.json as that one run,
// a folder without it through its sub-folders (a demo's), an experiment's through experiment.json.

let dir: string;
let demo: string;
let pool: string;

/** Every path under `folder`, relative to it, sorted: what a refusal must leave as it was. */
function tree(folder: string): string[] {
  return (readdirSync(folder, { recursive: true }) as string[]).sort();
}

/** `simulate` on the demo's pool, a few cheap runs, into `out`. */
function simulateArgs(out: string, ...more: string[]): string[] {
  return [
    'simulate',
    '--model-scores',
    join(pool, 'model_scores.npy'),
    '--surrogate-scores',
    join(pool, 'surrogate_scores.npy'),
    '--labels',
    join(pool, 'labels.npy'),
    '--runs',
    '2',
    '--size',
    '5',
    '--threads',
    '1',
    '--out',
    out,
    ...more,
  ];
}

/** A grid of one cheap iid setting on the demo's pool, written to `name` in the test folder. */
function iidGrid(name: string): string {
  const grid = join(dir, name);
  const settings = [{ acquisition: 'iid' }];
  writeFileSync(
    grid,
    JSON.stringify({ modelScores: join(pool, 'model_scores.npy'), labels: join(pool, 'labels.npy'), runs: 2, size: 5, settings }),
  );
  return grid;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mixed-outputs-'));
  demo = join(dir, 'demo');
  pool = join(demo, 'pool');
  const made = await runCliCaptured(['simulate', '--demo', '--runs', '2', '--threads', '1', '--out', demo]);
  expect(made.code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('simulate and simulate --demo refuse each other’s output folders', () => {
  it('refuses a demo into a plain simulate run’s folder, even with --force, writing nothing', async () => {
    const out = join(dir, 'run');
    expect((await runCliCaptured(simulateArgs(out))).code).toBe(0);
    const before = tree(out);
    for (const force of [[], ['--force']]) {
      const refused = await runCliCaptured(['simulate', '--demo', '--runs', '2', '--threads', '1', '--out', out, ...force]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe(
        `active-testing simulate: --out: expected a folder without a simulate run or an experiment at its top (report reads such a folder as that run or experiment and would leave the demo's runs out), got "${out}" (it holds summary.json)`,
      );
      expect(tree(out)).toEqual(before);
    }
  });

  it('refuses a demo into an experiment’s folder', async () => {
    const out = join(dir, 'experiment');
    mkdirSync(out);
    writeFileSync(join(out, 'experiment.json'), '{"settings": []}\n');
    const refused = await runCliCaptured(['simulate', '--demo', '--runs', '2', '--threads', '1', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /--out: expected a folder without a simulate run or an experiment at its top .* \(it holds experiment\.json\)$/,
    );
    expect(tree(out)).toEqual(['experiment.json']);
  });

  it('refuses a plain simulate run into a demo’s folder, even with --force, writing nothing', async () => {
    const before = tree(demo);
    for (const force of [[], ['--force']]) {
      const refused = await runCliCaptured(simulateArgs(demo, ...force));
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe(
        `active-testing simulate: --out: expected a folder without runs in its sub-folders, as a demo's (report reads a folder with its own summary.json as that one run and would leave the others out), got "${demo}" (it holds a demo's comparison.json)`,
      );
    }
    expect(tree(demo)).toEqual(before);
  });

  it('refuses a plain simulate run into a folder whose sub-folders hold runs', async () => {
    const out = join(dir, 'runs');
    expect((await runCliCaptured(simulateArgs(join(out, 'a')))).code).toBe(0);
    const before = tree(out);
    const refused = await runCliCaptured(simulateArgs(out));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--out: expected a folder without runs in its sub-folders, .* \(its sub-folder a holds a run\)$/);
    expect(tree(out)).toEqual(before);
  });

  it('is refused by writeSimulationOutputs too, whatever force', async () => {
    const small = syntheticPool({ poolSize: 50, seed: 1 });
    const result = await simulate(small, { runs: 2, size: 5, acquisition: 'iid', threads: 1 });
    const before = tree(demo);
    await expect(writeSimulationOutputs(demo, result, summarizeSimulation(result, {}), { force: true })).rejects.toThrow(
      `dir: expected a folder without runs in its sub-folders, as a demo's (report reads a folder with its own summary.json as that one run and would leave the others out), got "${demo}" (it holds a demo's comparison.json)`,
    );
    expect(tree(demo)).toEqual(before);
  });

  it('takes a user’s own project whose scores and labels are in pool/, as simulate and experiment did', async () => {
    const out = join(dir, 'project');
    cpSync(pool, join(out, 'pool'), { recursive: true });
    const projectArgs = simulateArgs(out).map((arg) => (arg.startsWith(pool) ? join(out, 'pool', arg.slice(pool.length + 1)) : arg));
    expect((await runCliCaptured(projectArgs)).code).toBe(0);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    const other = join(dir, 'project-grid');
    cpSync(pool, join(other, 'pool'), { recursive: true });
    const grid = join(dir, 'project-grid.json');
    writeFileSync(
      grid,
      JSON.stringify({
        modelScores: join(other, 'pool', 'model_scores.npy'),
        labels: join(other, 'pool', 'labels.npy'),
        runs: 2,
        size: 5,
        settings: [{ acquisition: 'iid' }],
      }),
    );
    const experiment = await runCliCaptured(['experiment', '--config', grid, '--out', other, '--threads', '1']);
    expect(experiment.stderr).toBe('');
    expect(experiment.code).toBe(0);
  });

  it('refuses a demo into a folder whose sub-folder holds an experiment before any work, writing nothing', async () => {
    const out = join(dir, 'demo-beside-experiment');
    mkdirSync(join(out, 'exp'), { recursive: true });
    writeFileSync(join(out, 'exp', 'experiment.json'), '{"settings": []}\n');
    const refused = await runCliCaptured(['simulate', '--demo', '--runs', '2', '--threads', '1', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      `active-testing simulate: --out: expected a folder whose sub-folders hold no runs but the demo's own (adaptive-lure, iid): its report reads every run below the folder; choose another --out or move exp out, got "${out}" (its sub-folder exp holds a run)`,
    );
    expect(tree(out)).toEqual(['exp', join('exp', 'experiment.json')]);
  });

  it('refuses a demo into a folder whose sub-folder holds an interrupted simulate run', async () => {
    const out = join(dir, 'demo-beside-interrupted');
    mkdirSync(join(out, 'a'), { recursive: true });
    cpSync(join(demo, 'iid', 'estimates.npy'), join(out, 'a', 'estimates.npy'));
    const refused = await runCliCaptured(['simulate', '--demo', '--runs', '2', '--threads', '1', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--out: .* got ".*" \(its sub-folder a holds a run\)$/);
    expect(tree(out)).toEqual(['a', join('a', 'estimates.npy')]);
  });

  it('refuses a demo into a folder whose sub-folder holds a finished run, on another pool or the same, before any work', async () => {
    const other = syntheticPool({ poolSize: 300, classCount: 2, seed: 7 });
    for (const [name, input] of [
      ['another-pool', { modelScores: other.modelScores, surrogateScores: other.surrogateScores, labels: other.labels }],
      ['same-pool', null],
    ] as const) {
      const out = join(dir, `demo-beside-${name}`);
      if (input === null) {
        expect((await runCliCaptured(simulateArgs(join(out, 'extra')))).code).toBe(0);
      } else {
        const result = await simulate(input, { runs: 2, size: 5, threads: 1 });
        await writeSimulationOutputs(join(out, 'extra'), result, summarizeSimulation(result, {}));
      }
      const before = tree(out);
      const refused = await runCliCaptured(['simulate', '--demo', '--runs', '2', '--threads', '1', '--out', out]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/--out: .* got ".*" \(its sub-folder extra holds a run\)$/);
      expect(tree(out)).toEqual(before);
    }
  });

  it('still takes a rerun of the same command with --force, after a report of the folder', async () => {
    const out = join(dir, 'rerun');
    expect((await runCliCaptured(simulateArgs(out))).code).toBe(0);
    // `report DIR` writes DIR/report, whose summary.json is no run.
    expect((await runCliCaptured(['report', out])).code).toBe(0);
    expect((await runCliCaptured(simulateArgs(out, '--seed', '4', '--force'))).code).toBe(0);
    const rerun = await runCliCaptured(['simulate', '--demo', '--runs', '2', '--threads', '1', '--force', '--out', demo]);
    expect(rerun.code).toBe(0);
  });
});

describe('experiment refuses a demo’s folder', () => {
  it('refuses it before any work, writing nothing', async () => {
    const grid = iidGrid('grid.json');
    const before = tree(demo);
    const refused = await runCliCaptured(['experiment', '--config', grid, '--out', demo, '--threads', '1', '--force']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing experiment: --out: expected a folder without a demo's outputs (report reads an experiment's folder through experiment.json and would leave the demo's runs out), got "${demo}" (it holds comparison.json)`,
    );
    expect(tree(demo)).toEqual(before);
  });

  it('refuses a demo stopped before its comparison, whose runs are in sub-folders, before any work', async () => {
    const grid = iidGrid('grid-stopped-demo.json');
    const stopped = join(dir, 'stopped-demo');
    for (const name of ['pool', 'adaptive-lure', 'iid']) cpSync(join(demo, name), join(stopped, name), { recursive: true });
    const before = tree(stopped);
    const refused = await runCliCaptured(['experiment', '--config', grid, '--out', stopped, '--threads', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing experiment: --out: expected a folder whose sub-folders hold no runs but the grid's settings (report reads an experiment's folder through experiment.json and would leave the others out); choose another --out or move that sub-folder out, got "${stopped}" (its sub-folder adaptive-lure holds a run)`,
    );
    expect(tree(stopped)).toEqual(before);
  });
});

describe('experiment and a folder named comparison.json', () => {
  it('resumes an experiment holding a folder of that name, left by an older version (no demo’s file)', async () => {
    const grid = iidGrid('grid-comparison.json');
    const out = join(dir, 'experiment-comparison');
    expect((await runCliCaptured(['experiment', '--config', grid, '--out', out, '--threads', '1'])).code).toBe(0);
    mkdirSync(join(out, 'comparison.json'));
    const resumed = await runCliCaptured(['experiment', '--config', grid, '--out', out, '--threads', '1']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
  });
});

describe('report tells of the runs a mixed folder of an older version holds and it leaves out', () => {
  it('names the runs in the sub-folders of a simulate run’s folder', async () => {
    const out = join(dir, 'mixed');
    expect((await runCliCaptured(simulateArgs(out))).code).toBe(0);
    // What `simulate --demo --out` into the folder left there before it was refused.
    for (const name of ['adaptive-lure', 'iid']) cpSync(join(demo, name), join(out, name), { recursive: true });
    const report = await runCliCaptured(['report', out, '--out', join(dir, 'mixed-report')]);
    expect(report.code).toBe(0);
    expect(report.stderr).toBe(
      `active-testing report: left out the runs in ${join(out, 'adaptive-lure')}, ${join(out, 'iid')}: ${out} holds a simulate run of its own, which is what report reads there; give them as input folders to report them`,
    );
    const line = `left out the runs in ${join(out, 'adaptive-lure')}, ${join(out, 'iid')}: ${out} holds a simulate run of its own, which is what report reads there; give them as input folders to report them`;
    const table = JSON.parse(readFileSync(join(dir, 'mixed-report', 'summary.json'), 'utf8')) as { settings: unknown[]; leftOut: string[] };
    expect(table.settings).toHaveLength(1);
    expect(table.leftOut).toEqual([line]);
    expect(readFileSync(join(dir, 'mixed-report', 'summary.md'), 'utf8')).toContain(
      `Left out, in the input folders but not read through them:\n\n- ${line}\n`,
    );
    const json = await runCliCaptured(['report', out, '--out', join(dir, 'mixed-report'), '--force', '--json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { leftOut: string[] }).leftOut).toEqual([line]);
    // A report refused after reading its inputs says so in its one line, not that it left runs out.
    const refused = await runCliCaptured(['report', out, '--out', join(dir, 'mixed-refused'), '--baseline', 'nothing-of-that-name']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toContain('left out');
    expect(refused.stderr.split('\n')).toHaveLength(1);
  });

  it('names a simulate run at the top of an experiment’s folder', async () => {
    const grid = iidGrid('grid-top.json');
    const out = join(dir, 'experiment-mixed');
    expect((await runCliCaptured(['experiment', '--config', grid, '--out', out, '--threads', '1'])).code).toBe(0);
    for (const name of ['estimates.npy', 'samples.npy', 'q.npy', 'summary.json']) cpSync(join(demo, 'iid', name), join(out, name));
    const report = await runCliCaptured(['report', out, '--out', join(dir, 'experiment-mixed-report')]);
    expect(report.code).toBe(0);
    expect(report.stderr).toBe(
      `active-testing report: left out the simulate run at the top of ${out} (its estimates.npy): an experiment's folder is read through experiment.json alone; move the run's files to a folder of their own to report them`,
    );
  });

  it('names a simulate run in a sub-folder of an experiment’s folder that it does not list, not a dropped setting', async () => {
    const grid = join(dir, 'grid-below.json');
    const writeGrid = (settings: object[]) =>
      writeFileSync(
        grid,
        JSON.stringify({ modelScores: join(pool, 'model_scores.npy'), labels: join(pool, 'labels.npy'), runs: 2, size: 5, settings }),
      );
    const out = join(dir, 'experiment-below');
    writeGrid([{ acquisition: 'iid' }, { acquisition: 'iid', estimator: 'lure' }]);
    expect((await runCliCaptured(['experiment', '--config', grid, '--out', out, '--threads', '1'])).code).toBe(0);
    // The second setting dropped from the grid under --force: its folder is kept, and left out on purpose.
    writeGrid([{ acquisition: 'iid' }]);
    expect((await runCliCaptured(['experiment', '--config', grid, '--out', out, '--threads', '1', '--force'])).code).toBe(0);
    // Taken: the folder is no experiment's, and its parent's manifest does not list it.
    expect((await runCliCaptured(simulateArgs(join(out, 'extra')))).code).toBe(0);
    const report = await runCliCaptured(['report', out, '--out', join(dir, 'experiment-below-report')]);
    expect(report.code).toBe(0);
    expect(report.stderr).toBe(
      `active-testing report: left out the runs in ${join(out, 'extra')}: the experiment in ${out} does not list them, and its folder is read through experiment.json alone; give them as input folders to report them`,
    );
    // Both settings' folders are there, marked finished: the dropped one was not told of.
    expect(readdirSync(out).filter((name) => existsSync(join(out, name, 'setting.json')))).toHaveLength(2);
  });

  it('says nothing of a report in a run’s folder or of a demo’s own folder', async () => {
    const report = await runCliCaptured(['report', demo, '--out', join(dir, 'demo-report')]);
    expect(report.code).toBe(0);
    expect(report.stderr).toBe('');
  });
});
