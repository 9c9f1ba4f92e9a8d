import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError, OutputExistsError } from '../../src/errors.js';
import { loadExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { writeReport } from '../../src/report/report.js';
import { runCliCaptured } from '../helpers/cli.js';
import { writeGrid } from './pool-files.js';

const BUILT_CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

const root = mkdtempSync(join(tmpdir(), 'at-experiment-intervals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const KINDS = ['anytime', 'fixed', 'bootstrap'];
const INTERVAL_FILES = KINDS.flatMap((kind) => [`${kind}_lower.npy`, `${kind}_upper.npy`]);

/** The grid's settings, with the `simulate` flags that run each alone. */
const SETTINGS = [
  // Random labelling ignores the clip: a grid and simulate both draw it at clip 0 and record that.
  { setting: { acquisition: 'iid' }, folder: 'random-i.i.d.', flags: ['--acquisition', 'iid'] },
  { setting: { acquisition: 'adaptive' }, folder: 'adaptive-lure-clip-0.1', flags: ['--acquisition', 'adaptive'] },
  {
    setting: { acquisition: 'surrogate-ce', clip: 0.2 },
    folder: 'surrogate-ce-lure-clip-0.2',
    flags: ['--acquisition', 'surrogate-ce', '--clip', '0.2'],
  },
];

/** A grid on a 200-item pool: 12 runs of 30 labels, an estimate every 3, seed 3 (writeGrid's). */
function intervalGrid(name: string, extra: Record<string, unknown>): string {
  return writeGrid(join(root, name), {
    size: 200,
    runs: 12,
    labels: 30,
    extra: { step: 3, settings: SETTINGS.map((s) => s.setting), ...extra },
  });
}

const summaryOf = (folder: string) => JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8')) as Record<string, unknown>;

describe('an experiment grid with interval', () => {
  it.skipIf(!existsSync(BUILT_CLI))(
    "writes each setting's interval files and summary as simulate --interval does, byte for byte (built CLI)",
    async () => {
      const config = intervalGrid('same', { interval: 'anytime,fixed,bootstrap' });
      const inputs = dirname(config);
      const out = join(root, 'same-out');
      await runExperiment(loadExperimentConfig(config), { out, threads: 1 });
      for (const { folder, flags } of SETTINGS) {
        const simulated = join(root, `same-simulate-${folder}`);
        const argv = [
          BUILT_CLI,
          'simulate',
          ...['--model-scores', join(inputs, 'target.npy'), '--labels', join(inputs, 'labels.npy')],
          // Random labelling reads no surrogate in a grid: its sequences bet on the target's own expected loss.
          ...(folder.startsWith('random') ? [] : ['--surrogate-scores', join(inputs, 'surrogate.npy')]),
          ...flags,
          ...['--runs', '12', '--size', '30', '--step', '3', '--seed', '3', '--threads', '1'],
          ...['--interval', 'anytime,fixed,bootstrap', '--out', simulated],
        ];
        const { status, stderr } = spawnSync(process.execPath, argv, { encoding: 'utf8' });
        expect(status, stderr).toBe(0);
        const setting = join(out, folder);
        expect(readdirSync(setting)).toEqual(expect.arrayContaining(INTERVAL_FILES));
        // Every file simulate writes, the interval bounds and summary.json among them, is the setting's.
        for (const name of readdirSync(simulated)) {
          expect(readFileSync(join(setting, name)).equals(readFileSync(join(simulated, name))), `${folder}/${name}`).toBe(true);
        }
        const intervals = summaryOf(setting).intervals as Record<string, { coverage: number[]; median_half_width: number[] }>;
        expect(Object.keys(intervals)).toEqual(KINDS);
        // Rows at 1, 4, …, 28 labels, and the last after all 30.
        expect(summaryOf(setting).labels).toEqual([...Array.from({ length: 10 }, (_, k) => 3 * k + 1), 30]);
        expect(intervals.anytime!.coverage).toHaveLength(11);
        expect(intervals).toEqual(summaryOf(simulated).intervals);
      }
      // report reads them from each setting's summary.json: a coverage and a width figure per kind.
      const report = join(root, 'same-report');
      const { table } = await writeReport([out], { out: report, thresholds: [10, 28] });
      for (const setting of table.settings) expect(Object.keys(setting.cells[0]!.intervals ?? {})).toEqual(KINDS);
      for (const kind of KINDS) {
        expect(existsSync(join(report, `coverage-${kind}.svg`)), kind).toBe(true);
        expect(existsSync(join(report, `half-width-${kind}.svg`)), kind).toBe(true);
      }
      expect(readFileSync(join(report, 'summary.md'), 'utf8')).toMatch(/### Coverage of the anytime-valid confidence sequence/);
    },
  );

  it('refuses at load, in one line naming the setting, a kind a setting cannot give', async () => {
    const ase = intervalGrid('ase', {
      interval: ['anytime', 'bootstrap'],
      settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce', estimator: 'ase' }],
    });
    const message = `${ase}: interval: expected kinds that settings[1] ("surrogate-ce · ASE · clip 0.1") can give: 'anytime' or 'fixed' with the ase estimator (its bootstrap ignores the unlabelled items), got "bootstrap"`;
    expect(() => loadExperimentConfig(ase)).toThrow(FileFormatError);
    expect(() => loadExperimentConfig(ase)).toThrow(message);
    const out = join(root, 'ase-out');
    const refused = await runCliCaptured(['experiment', '--config', ase, '--out', out]);
    expect(refused).toMatchObject({ code: 1, stderr: `active-testing experiment: ${message}` });
    expect(existsSync(out)).toBe(false);
    // Without a bootstrap no setting gives its interval: the first is named.
    const none = intervalGrid('none', { interval: ['bootstrap'], bootstrap: 'none' });
    expect(() => loadExperimentConfig(none)).toThrow(
      `interval: expected kinds that settings[0] ("Random (i.i.d.)") can give: a bootstrap variance for 'bootstrap' (not bootstrap: 'none'), got "bootstrap"`,
    );
    // ASE's sequences are given.
    const sequences = intervalGrid('ase-sequences', {
      interval: 'anytime,fixed',
      settings: [{ acquisition: 'surrogate-ce', estimator: 'ase' }],
    });
    expect(loadExperimentConfig(sequences).interval).toEqual(['anytime', 'fixed']);
  });

  it('refuses a misspelt kind, listing the valid ones', () => {
    const typo = intervalGrid('typo', { interval: ['anytime', 'fixd'] });
    expect(() => loadExperimentConfig(typo)).toThrow(
      `${typo}: interval: expected one of anytime | fixed | bootstrap (did you mean fixed?), got "fixd"`,
    );
  });

  it('recomputes a finished setting when interval changes, never keeping files of other kinds', async () => {
    const out = join(root, 'changed-out');
    const grid = (interval: unknown) => {
      const path = intervalGrid('changed', interval === undefined ? {} : { interval });
      return loadExperimentConfig(path);
    };
    const intervalFiles = (folder: string) =>
      readdirSync(join(out, folder))
        .filter((name) => /_(lower|upper)\.npy$/.test(name))
        .sort();
    expect((await runExperiment(grid(['anytime']), { out, threads: 1 })).map((r) => r.status)).toEqual(['ran', 'ran', 'ran']);
    expect(intervalFiles('adaptive-lure-clip-0.1')).toEqual(['anytime_lower.npy', 'anytime_upper.npy']);
    // The same kinds, as a list or a string, keep the finished settings.
    expect((await runExperiment(grid('anytime'), { out, threads: 1 })).map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped']);
    // Other kinds: the finished settings hold results of another configuration, as after any other change.
    await expect(runExperiment(grid(['anytime', 'fixed']), { out, threads: 1 })).rejects.toBeInstanceOf(OutputExistsError);
    expect((await runExperiment(grid(['anytime', 'fixed']), { out, threads: 1, force: true })).map((r) => r.status)).toEqual([
      'ran',
      'ran',
      'ran',
    ]);
    expect(intervalFiles('adaptive-lure-clip-0.1')).toEqual([
      'anytime_lower.npy',
      'anytime_upper.npy',
      'fixed_lower.npy',
      'fixed_upper.npy',
    ]);
    expect(Object.keys(summaryOf(join(out, 'adaptive-lure-clip-0.1')).intervals as object)).toEqual(['anytime', 'fixed']);
    // The same kinds in another order are the same results.
    expect((await runExperiment(grid('fixed,anytime'), { out, threads: 1 })).map((r) => r.status)).toEqual([
      'skipped',
      'skipped',
      'skipped',
    ]);
    // None: the interval files of the run before are removed with it.
    await expect(runExperiment(grid(undefined), { out, threads: 1 })).rejects.toBeInstanceOf(OutputExistsError);
    await runExperiment(grid(undefined), { out, threads: 1, force: true });
    expect(intervalFiles('adaptive-lure-clip-0.1')).toEqual([]);
    expect(summaryOf(join(out, 'adaptive-lure-clip-0.1'))).not.toHaveProperty('intervals');
  });
});
