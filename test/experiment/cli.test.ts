import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { writeGrid } from './pool-files.js';
import { runCliCaptured } from '../helpers/cli.js';
import { expectSameOutputs } from '../helpers/same-outputs.js';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';
import { usableCores } from '../../src/simulate/usable-cores.js';
import { modelDir } from '../model/fixtures.js';

const BUILT_CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
const readNpyFile = (path: string) => parseNpy(readFileSync(path));

const root = mkdtempSync(join(tmpdir(), 'at-experiment-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const cli = runCliCaptured;

describe('active-testing experiment', () => {
  it('prints help (0), rejects usage errors (2) and bad input (1)', async () => {
    expect((await cli(['experiment', '--help'])).lines[0]).toMatch(/^Usage: active-testing experiment --config grid\.json/);
    expect((await cli(['experiment', '--out', root])).code).toBe(2);
    expect((await cli(['experiment', '--config', 'x.json', '--out', root, '--threads', 'many'])).code).toBe(2);
    const missing = await cli(['experiment', '--config', join(root, 'missing.json'), '--out', root]);
    expect(missing.code).toBe(1);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'surrogate-xx' }] }));
    const badSetting = await cli(['experiment', '--config', bad, '--out', root]);
    expect(badSetting.code).toBe(1);
    expect(badSetting.stderr).toMatch(/settings\[0\]\.acquisition: expected one of iid \| true-loss/);
    // Named by the grid file first, as given on the command line.
    expect(badSetting.stderr.startsWith(`active-testing experiment: ${bad}: settings[0].acquisition: expected`)).toBe(true);
  });

  it('names the grid file in a refusal of its keys that comes once the pool is read, not the flags', async () => {
    // A size past the pool of 30 items is found once the pool is read.
    const config = writeGrid(join(root, 'past-pool'), { size: 30, runs: 2, labels: 40 });
    const refused = await cli(['experiment', '--config', config, '--out', join(root, 'past-pool-out')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing experiment: ${config}: size: expected at most the pool size 30 (the labels per run: the grid's "size"), got 40`,
    );
  });

  it('names the grid file in a refusal of a file that one of its keys names', async () => {
    // The labels file is read once the run starts, not when the grid is loaded.
    const dir = join(root, 'missing-labels');
    const config = writeGrid(dir, { size: 30, runs: 2, labels: 10, extra: { labels: 'absent.npy' } });
    const out = join(root, 'missing-labels-out');
    const refused = await cli(['experiment', '--config', config, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing experiment: ${config}: labels: ${join(dir, 'absent.npy')}: cannot read: no such file (ENOENT)`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(!existsSync(BUILT_CLI))(
    'reads evaluate step paths relative to the grid file, never the current folder, and refuses a Hub id a folder there shadows (built CLI)',
    () => {
      // The model and the pool are in the current folder, the grid one folder down: relative to
      // the grid file (as its paths are), neither is there.
      const dir = join(root, 'cwd-paths');
      mkdirSync(join(dir, 'grids'), { recursive: true });
      cpSync(modelDir('tiny-gpt2-nocache'), join(dir, 'model'), { recursive: true });
      writeFileSync(join(dir, 'pool.tsv'), 'sentence\tlabel\ngood\t1\nbad\t0\n');
      const step = { model: join(dir, 'model'), data: join(dir, 'pool.tsv'), classes: 'negative,positive' };
      const grids = join(dir, 'grids');
      const refusals: Array<[string, Record<string, string>, string]> = [
        [
          'model',
          { ...step, model: 'model' },
          `evaluate.target.model: expected a model folder relative to the grid file's folder (${grids}) or a Hub id, got "model" ` +
            '(a Hub id, but a folder of that name in the current folder would be read instead: give the folder by its absolute path, or run from another folder)',
        ],
        [
          'data',
          { ...step, data: 'pool.tsv' },
          `evaluate.target.data: expected an existing .tsv, .csv, .jsonl or .parquet file, or hub:name[:config][:split], got "${join(grids, 'pool.tsv')}"`,
        ],
      ];
      for (const [option, target, message] of refusals) {
        const config = join(grids, `${option}.json`);
        writeFileSync(
          config,
          JSON.stringify({
            evaluate: { target },
            modelScores: 'evaluate:target',
            labels: 'evaluate:target',
            settings: [{ acquisition: 'iid' }],
          }),
        );
        const out = join(dir, `${option}-out`);
        const refused = spawnSync(process.execPath, [BUILT_CLI, 'experiment', '--config', config, '--out', out], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(refused.status).toBe(1);
        expect(refused.stderr).toBe(`active-testing experiment: ${config}: ${message}\n`);
        expect(existsSync(out)).toBe(false);
      }
    },
  );

  it('names every key a grid takes in its help', async () => {
    const help = (await cli(['experiment', '--help'])).stdout;
    // The keys resolveExperimentConfig accepts, top level and per setting (its unknown-key message lists them).
    const known = async (grid: object) => {
      const path = join(root, 'keys.json');
      writeFileSync(path, JSON.stringify(grid));
      const valid = (await cli(['experiment', '--config', path, '--out', join(root, 'keys')])).stderr.match(/\(valid: (.*)\)/)?.[1];
      return (valid as string).split(', ');
    };
    const topLevel = await known({ unknownKey: 1 });
    const setting = await known({ modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'iid', unknownKey: 1 }] });
    expect(topLevel).toContain('numerics');
    expect(topLevel.filter((key) => !help.includes(`"${key}"`))).toEqual([]);
    expect(setting.filter((key) => !new RegExp(`\\b${key}\\b`).test(help.split('Setting fields:')[1] as string))).toEqual([]);
  });

  it('runs the grid, prints JSON events, then keeps finished settings on a second run', async () => {
    const config = writeGrid(join(root, 'inputs'), { size: 300, runs: 20, labels: 30 });
    const out = join(root, 'grid');
    const first = await cli(['experiment', '--config', config, '--out', out, '--json', '--threads', '1']);
    expect(first.code, first.stderr).toBe(0);
    const events = first.lines.map((line) => JSON.parse(line));
    expect(events.map((e) => e.event)).toEqual(['start', ...Array(4).fill(['setting-start', 'setting-done']).flat(), 'done']);
    const second = await cli(['experiment', '--config', config, '--out', out, '--threads', '1']);
    expect(second.code).toBe(0);
    expect(second.lines[0]).toBe(`4 settings, 4 already finished; output in ${out}`);
    expect(second.lines.filter((l) => l.endsWith('finished earlier, kept'))).toHaveLength(4);
    expect(second.lines.at(-1)).toMatch(/Next: active-testing report /);
  });

  it.skipIf(!existsSync(BUILT_CLI))('writes the same files for 1 and 3 threads (built CLI)', () => {
    // Work enough that the workers claim runs before this thread has run them all (workers compiled
    // from source by tsx start too late to), and 12,003 runs: not a whole number of tiles.
    const config = writeGrid(join(root, 'threads-inputs'), { size: 2000, runs: 12_003, labels: 50, extra: { step: 7 } });
    const run = (threads: number) => {
      const out = join(root, `threads-${threads}`);
      const argv = [BUILT_CLI, 'experiment', '--config', config, '--out', out, '--threads', String(threads), '--json'];
      const { status, stdout, stderr } = spawnSync(process.execPath, argv, { encoding: 'utf8' });
      expect(status, stderr).toBe(0);
      // The workers took part: with three threads they ran some of the runs, with one none. Threads
      // are capped at the cores, so a machine of one core has no worker to run any.
      const done = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { event: string; runsByWorkers?: number })
        .filter((event) => event.event === 'setting-done');
      expect(done).toHaveLength(4);
      const byWorkers = done.reduce((sum, event) => sum + (event.runsByWorkers as number), 0);
      if (threads === 1) expect(byWorkers).toBe(0);
      else if (usableCores() > 1) expect(byWorkers, stdout).toBeGreaterThan(0);
      return out;
    };
    expectSameOutputs(run(3), run(1));
  });
});

describe('active-testing experiment given probabilities where logits are read', () => {
  const warning = (key: string): string =>
    `warning: ${key}: every row is in [0, 1] and sums to 1, as probabilities do; scores are read as logits (a softmax is applied), so pass log-probabilities instead, floored where p is 0 (np.log(np.maximum(p, 1e-12))): −Infinity is refused`;

  /** The grid's pool with its surrogate's scores, and a calibration set's, written as softmax probabilities. */
  function writeProbabilityGrid(dir: string): string {
    writeGrid(dir, { size: 200, runs: 4, labels: 10 });
    const surrogate = readNpyFile(join(dir, 'surrogate.npy'));
    const [rows, cols] = surrogate.shape as [number, number];
    const probabilities = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = Array.from(surrogate.data.subarray(i * cols, (i + 1) * cols) as Float64Array, Math.exp);
      const total = row.reduce((s, v) => s + v, 0);
      row.forEach((v, j) => (probabilities[i * cols + j] = v / total));
    }
    writeFileSync(join(dir, 'probabilities.npy'), encodeNpy({ data: probabilities, shape: [rows, cols], dtype: 'f8' }));
    writeFileSync(join(dir, 'heldout.npy'), encodeNpy({ data: probabilities.subarray(0, 50 * cols), shape: [50, cols], dtype: 'f8' }));
    const labels = readNpyFile(join(dir, 'labels.npy'));
    writeFileSync(
      join(dir, 'heldout-labels.npy'),
      encodeNpy({ data: labels.data.subarray(0, 50) as Int32Array, shape: [50], dtype: 'i4' }),
    );
    const config = {
      modelScores: 'target.npy',
      labels: 'labels.npy',
      surrogates: {
        a: { scores: 'probabilities.npy', calibration: { scores: 'heldout.npy', labels: 'heldout-labels.npy' } },
        b: 'probabilities.npy',
      },
      runs: 4,
      size: 10,
      settings: [
        { acquisition: 'surrogate-ce', surrogate: 'a', temperature: 'calibrated' },
        { acquisition: 'surrogate-pe', surrogate: 'b' },
        { acquisition: 'surrogate-ce', surrogate: 'b', name: 'b again' },
      ],
    };
    const path = join(dir, 'grid.json');
    writeFileSync(path, JSON.stringify(config));
    return path;
  }

  it('warns once per score file, naming the first grid key that reads it, and runs the grid', async () => {
    const config = writeProbabilityGrid(join(root, 'probabilities'));
    const run = await cli(['experiment', '--config', config, '--out', join(root, 'probabilities-out'), '--threads', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('warning:'))).toEqual([
      warning('surrogates.a.scores'),
      warning('surrogates.a.calibration.scores'),
    ]);
    const json = await cli(['experiment', '--config', config, '--out', join(root, 'probabilities-json'), '--threads', '1', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const warnings = json.lines.map((line) => JSON.parse(line)).filter((event) => event.event === 'warning');
    expect(warnings).toEqual([
      {
        event: 'warning',
        argument: 'surrogates.a.scores',
        file: join(root, 'probabilities', 'probabilities.npy'),
        message: warning('surrogates.a.scores').slice(9),
      },
      {
        event: 'warning',
        argument: 'surrogates.a.calibration.scores',
        file: join(root, 'probabilities', 'heldout.npy'),
        message: warning('surrogates.a.calibration.scores').slice(9),
      },
    ]);
  });

  it('warns once per calibration set whose fitted temperature is an end of its search range', async () => {
    const dir = join(root, 'separable');
    writeGrid(dir, { size: 200, runs: 2, labels: 5 });
    // Every held-out label is its row's top class: the likelihood grows without end as T → 0.
    const labels = Int32Array.from({ length: 40 }, (_, i) => i % 2);
    const separable = Float64Array.from({ length: 80 }, (_, j) => (j % 2 === labels[j >> 1] ? 2 : 0));
    writeFileSync(join(dir, 'heldout.npy'), encodeNpy({ data: separable, shape: [40, 2], dtype: 'f8' }));
    writeFileSync(join(dir, 'heldout-labels.npy'), encodeNpy({ data: labels, shape: [40], dtype: 'i4' }));
    const config = {
      modelScores: 'target.npy',
      labels: 'labels.npy',
      surrogates: { a: { scores: 'surrogate.npy', calibration: { scores: 'heldout.npy', labels: 'heldout-labels.npy' } } },
      runs: 2,
      size: 5,
      settings: [
        { acquisition: 'surrogate-ce', surrogate: 'a', temperature: 'calibrated' },
        { acquisition: 'surrogate-pe', surrogate: 'a', temperature: 'calibrated' },
      ],
    };
    writeFileSync(join(dir, 'grid.json'), JSON.stringify(config));
    const message =
      'surrogates.a.calibration: the surrogate temperature T = 0.02 is the end of its search range [0.02, 50], not a fitted value: the likelihood still rises as T falls below it: the surrogate ranks (nearly) every calibration label first; more or harder calibration labels would fit it';
    const run = await cli(['experiment', '--config', join(dir, 'grid.json'), '--out', join(root, 'separable-out'), '--threads', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('warning:'))).toEqual([`warning: ${message}`]);
    const json = await cli([
      'experiment',
      '--config',
      join(dir, 'grid.json'),
      '--out',
      join(root, 'separable-json'),
      '--threads',
      '1',
      '--json',
    ]);
    expect(json.code, json.stderr).toBe(0);
    const warnings = json.lines.map((line) => JSON.parse(line)).filter((event) => event.event === 'warning');
    expect(warnings).toEqual([{ event: 'warning', argument: 'surrogates.a.calibration', file: join(dir, 'heldout.npy'), message }]);
  });

  it('warns of a calibration set that is the pool itself, and not of a held-out one', async () => {
    const dir = join(root, 'pool-itself');
    writeGrid(dir, { size: 200, runs: 2, labels: 5 });
    const grid = (calibration: { scores: string; labels: string }) => ({
      modelScores: 'target.npy',
      labels: 'labels.npy',
      surrogates: { a: { scores: 'surrogate.npy', calibration } },
      runs: 2,
      size: 5,
      settings: [{ acquisition: 'surrogate-ce', surrogate: 'a', temperature: 'calibrated' }],
    });
    writeFileSync(join(dir, 'itself.json'), JSON.stringify(grid({ scores: 'surrogate.npy', labels: 'labels.npy' })));
    const message =
      "surrogates.a.calibration: the calibration set is the pool itself (the surrogate's scores and the pool's labels): the temperature is fitted on the very labels whose risk is estimated, so the proposal has seen the labels it is tested on, as no real run's has; calibrate on labelled items outside the pool";
    const run = await cli([
      'experiment',
      '--config',
      join(dir, 'itself.json'),
      '--out',
      join(root, 'itself-out'),
      '--threads',
      '1',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const warnings = run.lines.map((line) => JSON.parse(line)).filter((event) => event.event === 'warning');
    expect(warnings).toEqual([{ event: 'warning', argument: 'surrogates.a.calibration', file: join(dir, 'surrogate.npy'), message }]);
    // The same scores with other labels (each item's 0 made 1, any other class 0) are not the pool.
    const other = Int32Array.from(readNpyFile(join(dir, 'labels.npy')).data as Int32Array, (y) => (y === 0 ? 1 : 0));
    writeFileSync(join(dir, 'other-labels.npy'), encodeNpy({ data: other, shape: [other.length], dtype: 'i4' }));
    writeFileSync(join(dir, 'other.json'), JSON.stringify(grid({ scores: 'surrogate.npy', labels: 'other-labels.npy' })));
    const heldOut = await cli(['experiment', '--config', join(dir, 'other.json'), '--out', join(root, 'other-out'), '--threads', '1']);
    expect(heldOut.code, heldOut.stderr).toBe(0);
    expect(heldOut.stderr).not.toMatch(/pool itself/);
  });

  it('says nothing of logits', async () => {
    const config = writeGrid(join(root, 'logits'), { size: 200, runs: 4, labels: 10 });
    const run = await cli(['experiment', '--config', config, '--out', join(root, 'logits-out'), '--threads', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/warning/);
  });
});
