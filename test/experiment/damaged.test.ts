import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError, OutputExistsError, OutputLockedError } from '../../src/errors.js';
import { loadExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment } from '../../src/experiment/experiment.js';
import { EXPERIMENT_MANIFEST, SETTING_MARKER, type ExperimentManifest } from '../../src/experiment/manifest.js';
import { loadReportSettings } from '../../src/report/load.js';
import { runCliCaptured } from '../helpers/cli.js';
import { expectSameOutputs } from '../helpers/same-outputs.js';
import { writeGrid } from './pool-files.js';

const root = mkdtempSync(join(tmpdir(), 'at-experiment-damaged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const runsOf = (folder: string) => (JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8')) as { runs: number }).runs;

describe('two experiment runs on one folder', () => {
  it('refuses the second, so that neither replaces the other’s settings, temporaries or manifest', async () => {
    const first = loadExperimentConfig(writeGrid(join(root, 'a'), { size: 300, runs: 300, labels: 40 }));
    const second = loadExperimentConfig(writeGrid(join(root, 'b'), { size: 300, runs: 301, labels: 40 }));
    const out = join(root, 'both');
    const runs = await Promise.allSettled([runExperiment(first, { out, threads: 1 }), runExperiment(second, { out, threads: 1 })]);
    const refused = runs.flatMap((run) => (run.status === 'rejected' ? [run.reason as unknown] : []));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(OutputLockedError);
    const winner = runs[0]?.status === 'fulfilled' ? 300 : 301;
    const manifest = JSON.parse(readFileSync(join(out, EXPERIMENT_MANIFEST), 'utf8')) as ExperimentManifest;
    expect(manifest.config.runs).toBe(winner);
    for (const { folder } of manifest.settings) expect(runsOf(join(out, folder)), folder).toBe(winner);
  });
});

describe('a finished setting whose files were damaged', () => {
  const configPath = writeGrid(join(root, 'inputs'), { size: 300, runs: 30, labels: 40 });
  const finished = join(root, 'finished');
  const setting = 'surrogate-ce-lure-clip-0.1';

  it('is computed again when its summary.json is gone, and report leaves it out until then', async () => {
    await runExperiment(loadExperimentConfig(configPath), { out: finished, threads: 1 });
    const out = join(root, 'no-summary');
    cpSync(finished, out, { recursive: true });
    rmSync(join(out, setting, 'summary.json'));
    const unfinished: string[] = [];
    const settings = await loadReportSettings([out], (name) => unfinished.push(name));
    expect(settings).toHaveLength(3);
    expect(unfinished).toHaveLength(1);
    const results = await runExperiment(loadExperimentConfig(configPath), { out, threads: 1 });
    expect(results.map((r) => r.status)).toEqual(['skipped', 'ran', 'skipped', 'skipped']);
    for (const name of ['summary.json', 'estimates.npy', 'samples.npy'])
      expect(readFileSync(join(out, setting, name)), name).toEqual(readFileSync(join(finished, setting, name)));
  });

  it('report on an experiment none of whose settings has finished says so, not that experiment.json is missing', async () => {
    const out = join(root, 'none-finished');
    cpSync(finished, out, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(out, EXPERIMENT_MANIFEST), 'utf8')) as ExperimentManifest;
    for (const { folder } of manifest.settings) rmSync(join(out, folder, SETTING_MARKER));
    const unfinished: string[] = [];
    await expect(loadReportSettings([out], (name) => unfinished.push(name))).rejects.toThrow(
      `${out}: holds no finished simulation: none of the experiment's 4 settings has finished (run the experiment again to finish them)`,
    );
    expect(unfinished).toHaveLength(4);
  });

  it('an unreadable setting.json is one line naming it and --force, not an unexpected error; --force recomputes it', async () => {
    const out = join(root, 'torn-marker');
    cpSync(finished, out, { recursive: true });
    const marker = join(out, setting, SETTING_MARKER);
    writeFileSync(marker, readFileSync(marker, 'utf8').slice(0, 20));
    const refused = await runExperiment(loadExperimentConfig(configPath), { out, threads: 1 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FileFormatError);
    // A library caller reads the option's key, a command-line user its flag.
    expect((refused as Error).message).toMatch(/; pass force: true to recompute the setting$/);
    const run = await runCliCaptured(['experiment', '--config', configPath, '--out', out, '--threads', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^active-testing experiment: ${marker}: is not readable JSON .*; pass --force to recompute the setting$`),
    );
    const results = await runExperiment(loadExperimentConfig(configPath), { out, threads: 1, force: true });
    expect(results.map((r) => r.status)).toEqual(['skipped', 'ran', 'skipped', 'skipped']);
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({ name: expect.any(String), fingerprint: expect.any(String) });
  });

  it('a torn estimates.npy is named by report with the way to compute the setting again, which works', async () => {
    const out = join(root, 'torn-estimates');
    cpSync(finished, out, { recursive: true });
    const estimates = join(out, setting, 'estimates.npy');
    writeFileSync(estimates, readFileSync(estimates).subarray(0, 300));
    const marker = join(out, setting, SETTING_MARKER);
    await expect(loadReportSettings([out])).rejects.toThrow(
      new RegExp(
        `^${estimates}: not a readable \\.npy file: .*; to compute the setting again, delete ${marker} and run the experiment again$`,
      ),
    );
    rmSync(marker);
    const results = await runExperiment(loadExperimentConfig(configPath), { out, threads: 1 });
    expect(results.map((r) => r.status)).toEqual(['skipped', 'ran', 'skipped', 'skipped']);
    expect(readFileSync(estimates)).toEqual(readFileSync(join(finished, setting, 'estimates.npy')));
    expect(await loadReportSettings([out])).toHaveLength(4);
  });

  it('a temporary experiment.json of a run killed while writing it is removed by the next run', async () => {
    const out = join(root, 'torn-manifest');
    cpSync(finished, out, { recursive: true });
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const temporary = join(out, `.${EXPERIMENT_MANIFEST}.${dead}.0123abcd.tmp`);
    writeFileSync(temporary, '{"version": "0.');
    await runExperiment(loadExperimentConfig(configPath), { out, threads: 1 });
    expect(existsSync(temporary)).toBe(false);
  });
});

describe('a forced run of a changed grid, stopped part-way', () => {
  it('leaves the settings it has not reached unfinished, so that report never mixes the two grids', async () => {
    const oldGrid = writeGrid(join(root, 'old-grid'), { size: 300, runs: 30, labels: 40 });
    const newGrid = writeGrid(join(root, 'new-grid'), { size: 300, runs: 31, labels: 40 });
    const out = join(root, 'regridded');
    await runExperiment(loadExperimentConfig(oldGrid), { out, threads: 1 });
    const stop = new AbortController();
    await expect(
      runExperiment(loadExperimentConfig(newGrid), {
        out,
        threads: 1,
        force: true,
        signal: stop.signal,
        onEvent: (event) => {
          if (event.event === 'setting-done') stop.abort();
        },
      }),
    ).rejects.toThrow('experiment interrupted');
    const unfinished: string[] = [];
    const settings = await loadReportSettings([out], (name) => unfinished.push(name));
    expect(settings.map((s) => [s.name, s.estimates.cols])).toEqual([['Random (i.i.d.)', 31]]);
    expect(unfinished).toEqual(['surrogate-ce · LURE · clip 0.1', 'surrogate-pe · LURE · clip 0.1', 'self-entropy · LURE · clip 0.1']);
    const results = await runExperiment(loadExperimentConfig(newGrid), { out, threads: 1 });
    expect(results.map((r) => r.status)).toEqual(['skipped', 'ran', 'ran', 'ran']);
    for (const { dir } of await loadReportSettings([out])) expect(runsOf(dir), dir).toBe(31);
  });
});

describe('a grid that leaves out settings the folder has finished', () => {
  it('is refused, naming them, so that report does not lose them silently; --force drops them and keeps their folders', async () => {
    const full = writeGrid(join(root, 'full-grid'), { size: 300, runs: 30, labels: 40 });
    const fewer = writeGrid(join(root, 'fewer-grid'), {
      size: 300,
      runs: 30,
      labels: 40,
      extra: { settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }] },
    });
    const out = join(root, 'shrunk');
    await runExperiment(loadExperimentConfig(full), { out, threads: 1 });
    const manifestPath = join(out, EXPERIMENT_MANIFEST);
    const manifest = readFileSync(manifestPath, 'utf8');
    await expect(runExperiment(loadExperimentConfig(fewer), { out, threads: 1 })).rejects.toThrow(
      new OutputExistsError(
        manifestPath,
        'it lists finished settings that this grid leaves out ("surrogate-pe · LURE · clip 0.1", "self-entropy · LURE · clip 0.1"), which report would no longer show; keep them in the grid, or pass force: true to drop them from the experiment (the folders are kept)',
      ),
    );
    expect(readFileSync(manifestPath, 'utf8')).toBe(manifest);
    expect(await loadReportSettings([out])).toHaveLength(4);

    // A setting left unfinished has no results to lose.
    rmSync(join(out, 'self-entropy-lure-clip-0.1', SETTING_MARKER));
    await expect(runExperiment(loadExperimentConfig(fewer), { out, threads: 1 })).rejects.toThrow(
      /lists a finished setting that this grid leaves out \("surrogate-pe · LURE · clip 0.1"\), .*; keep it in the grid, or pass force: true to drop it /,
    );

    const results = await runExperiment(loadExperimentConfig(fewer), { out, threads: 1, force: true });
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect((await loadReportSettings([out])).map((s) => s.name)).toEqual(['Random (i.i.d.)', 'surrogate-ce · LURE · clip 0.1']);
    expect(existsSync(join(out, 'surrogate-pe-lure-clip-0.1', SETTING_MARKER))).toBe(true);
  });
});

describe('a finished setting with an output missing or cut short', () => {
  // An interval kind, so that the setting writes every kind of output: its intervals' bounds too.
  const configPath = writeGrid(join(root, 'interval-inputs'), { size: 300, runs: 30, labels: 40, extra: { interval: ['anytime'] } });
  const finished = join(root, 'interval-finished');
  const setting = 'surrogate-pe-lure-clip-0.1';
  const outputs = [
    'estimates.npy',
    'samples.npy',
    'q.npy',
    'bootstrap_variance.npy',
    'anytime_lower.npy',
    'anytime_upper.npy',
    'summary.json',
  ];

  /** Copies the finished grid, damages one file of a setting with `damage`, runs the grid again. */
  async function rerunAfter(name: string, damage: (path: string) => void, options: { oldMarker?: boolean } = {}) {
    if (!existsSync(finished)) await runExperiment(loadExperimentConfig(configPath), { out: finished, threads: 1 });
    const out = join(root, `interval-${name.replace('.', '-')}-${options.oldMarker ? 'old' : 'new'}`);
    cpSync(finished, out, { recursive: true });
    const marker = join(out, setting, SETTING_MARKER);
    if (options.oldMarker) {
      // As an earlier version wrote it: without the list of outputs.
      const { outputs: _outputs, ...older } = JSON.parse(readFileSync(marker, 'utf8')) as Record<string, unknown>;
      writeFileSync(marker, JSON.stringify(older));
    }
    damage(join(out, setting, name));
    const warnings: string[] = [];
    const results = await runExperiment(loadExperimentConfig(configPath), {
      out,
      threads: 1,
      onEvent: (event) => {
        if (event.event === 'warning') warnings.push(`${event.file}: ${event.message}`);
      },
    });
    return { out, results, warnings };
  }

  it('records every output and its size in setting.json', async () => {
    await rerunAfter('q.npy', () => {});
    const marker = JSON.parse(readFileSync(join(finished, setting, SETTING_MARKER), 'utf8')) as { outputs: Record<string, number> };
    expect(Object.keys(marker.outputs).sort()).toEqual([...outputs].sort());
    for (const name of outputs) expect(marker.outputs[name], name).toBe(readFileSync(join(finished, setting, name)).length);
  });

  const truncate = (path: string) => writeFileSync(path, readFileSync(path).subarray(0, -8));
  const cases: Array<[string, string, (path: string) => void, string]> = [
    ['q.npy', 'deleted', (path) => rmSync(path), 'is missing'],
    ['samples.npy', 'cut short', truncate, 'holds'],
    ['anytime_upper.npy', 'cut short', truncate, 'holds'],
    ['bootstrap_variance.npy', 'deleted', (path) => rmSync(path), 'is missing'],
    ['summary.json', 'cut short', truncate, 'holds'],
    // As the docs say: a harmless change of size, too, as an editor's line endings.
    ['summary.json', 're-saved with CRLF', (path) => writeFileSync(path, readFileSync(path, 'utf8').replace(/\n/g, '\r\n')), 'holds'],
  ];
  for (const [name, how, damage, reason] of cases) {
    it(`is computed again, byte for byte, when its ${name} was ${how}, naming the file`, async () => {
      const { out, results, warnings } = await rerunAfter(name, damage);
      expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'ran', 'skipped']);
      const path = join(out, setting, name);
      expect(warnings).toEqual([expect.stringContaining(`${path}: ${reason}`)]);
      expect(warnings[0]).toMatch(/; computing setting surrogate-pe · LURE · clip 0\.1 again$/);
      for (const file of outputs) expect(readFileSync(join(out, setting, file)), file).toEqual(readFileSync(join(finished, setting, file)));
    });
  }

  it('under a setting.json of an earlier version, without the list, is checked against what its configuration writes', async () => {
    const missing = await rerunAfter('anytime_lower.npy', (path) => rmSync(path), { oldMarker: true });
    expect(missing.results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'ran', 'skipped']);
    expect(missing.warnings).toEqual([expect.stringContaining(`${join(missing.out, setting, 'anytime_lower.npy')}: is missing;`)]);
    // Cut short, its header no longer matches its size.
    const torn = await rerunAfter('q.npy', truncate, { oldMarker: true });
    expect(torn.results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'ran', 'skipped']);
    expect(torn.warnings).toEqual([
      expect.stringMatching(
        /q\.npy: is damaged \(not a readable \.npy file: expected 9600 data bytes for shape \(40, 30\) of f8, found 9592\);/,
      ),
    ]);
    for (const file of outputs)
      expect(readFileSync(join(torn.out, setting, file)), file).toEqual(readFileSync(join(finished, setting, file)));
    const tornSummary = await rerunAfter('summary.json', truncate, { oldMarker: true });
    expect(tornSummary.warnings).toEqual([expect.stringMatching(/summary\.json: is damaged \(/)]);
    // A whole, untouched setting of an earlier version is kept.
    const kept = await rerunAfter('q.npy', () => {}, { oldMarker: true });
    expect(kept.results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(kept.warnings).toEqual([]);
  });

  it("lists a summary.json whose size follows config.threads, as the docs' run-dependent keys say", async () => {
    await rerunAfter('q.npy', () => {});
    const out = join(root, 'interval-threads');
    await runExperiment(loadExperimentConfig(configPath), { out, threads: 10 });
    const sizes = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, setting, SETTING_MARKER), 'utf8')) as { outputs: Record<string, number> }).outputs;
    expect(sizes(out)['summary.json']).toBe((sizes(finished)['summary.json'] as number) + 1);
    expectSameOutputs(out, finished);
    // A rerun with other threads keeps every setting: the sizes are those of the files it wrote.
    const again = await runExperiment(loadExperimentConfig(configPath), { out, threads: 1 });
    expect(again.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(sizes(out)['summary.json']).toBe((sizes(finished)['summary.json'] as number) + 1);
  });

  it("ignores names in setting.json's list that are no simulation output: outside the folder or made up", async () => {
    writeFileSync(join(root, 'outside.npy'), 'not an npy file');
    const { results, warnings } = await rerunAfter(SETTING_MARKER, (path) => {
      const marker = JSON.parse(readFileSync(path, 'utf8')) as { outputs: Record<string, number> };
      // `../../outside.npy` is a file of another size; `notes.txt` is not there at all.
      marker.outputs = { ...marker.outputs, '../../outside.npy': 3, 'notes.txt': 10 };
      writeFileSync(path, JSON.stringify(marker));
    });
    expect(warnings).toEqual([]);
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
  });

  it('the command line says which file on stderr and computes the setting again', async () => {
    const out = join(root, 'interval-cli');
    cpSync(finished, out, { recursive: true });
    rmSync(join(out, setting, 'q.npy'));
    const run = await runCliCaptured(['experiment', '--config', configPath, '--out', out, '--threads', '1']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`warning: ${join(out, setting, 'q.npy')}: is missing; computing setting surrogate-pe · LURE · clip 0.1 again`);
    expect(readFileSync(join(out, setting, 'q.npy'))).toEqual(readFileSync(join(finished, setting, 'q.npy')));
  });
});
