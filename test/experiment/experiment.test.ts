import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputExistsError } from '../../src/errors.js';
import { loadExperimentConfig, resolveExperimentConfig, withPoolSize, type SizedSetting } from '../../src/experiment/config.js';
import { runExperiment, simulationOptionsFor, type ExperimentEvent } from '../../src/experiment/experiment.js';
import { simulate } from '../../src/simulate/simulate.js';
import { fitCalibrationSet } from '../../src/acquisition/adaptive/index.js';
import { lossPerItem, zeroOneLossPerItem } from '../../src/metrics/index.js';
import { encodeNpy } from '../../src/io/npy.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { summarizeSimulation, writeSimulationOutputs } from '../../src/simulate/outputs.js';
import { EXPERIMENT_MANIFEST, SETTING_MARKER, type ExperimentManifest } from '../../src/experiment/manifest.js';
import { readNpy } from '../../src/io/npy.js';
import { writeReport } from '../../src/report/report.js';
import { writeGrid } from './pool-files.js';

const root = mkdtempSync(join(tmpdir(), 'at-experiment-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('runExperiment', () => {
  const configPath = writeGrid(join(root, 'inputs'), { size: 500, runs: 40, labels: 60, extra: { iclBudget: true } });
  const out = join(root, 'grid');

  it('runs every setting into its own simulate-format folder and lists them in experiment.json', async () => {
    const config = loadExperimentConfig(configPath);
    const events: ExperimentEvent[] = [];
    const results = await runExperiment(config, { out, threads: 1, onEvent: (e) => events.push(e) });
    expect(results.map((r) => r.status)).toEqual(['ran', 'ran', 'ran', 'ran']);
    const manifest = JSON.parse(readFileSync(join(out, EXPERIMENT_MANIFEST), 'utf8')) as ExperimentManifest;
    expect(manifest.settings.map((s) => [s.folder, s.labelOffset])).toEqual([
      ['random-i.i.d.', 0],
      ['surrogate-ce-lure-clip-0.1', 20],
      ['surrogate-pe-lure-clip-0.1', 20],
      ['self-entropy-lure-clip-0.1', 0],
    ]);
    for (const { folder } of manifest.settings) {
      const estimates = await readNpy(join(out, folder, 'estimates.npy'));
      const summary = JSON.parse(readFileSync(join(out, folder, 'summary.json'), 'utf8'));
      // The ICL-budget rule: random labelling runs 20 labels longer, to 80.
      expect(estimates.shape).toEqual([folder.startsWith('random') ? 80 : 60, 40]);
      expect(summary.config.seed).toBe(3);
      expect(existsSync(join(out, folder, SETTING_MARKER))).toBe(true);
    }
    expect(events.filter((e) => e.event === 'setting-done')).toHaveLength(4);
    expect(events.filter((e) => e.event === 'warning')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ event: 'done', ran: 4, skipped: 0 });
    const progress = events.filter((e): e is Extract<ExperimentEvent, { event: 'progress' }> => e.event === 'progress');
    expect(progress.at(-1)).toMatchObject({ completedRuns: 40, totalRuns: 40, gridCompletedRuns: 160, gridTotalRuns: 160 });
  });

  it('warns, before any setting runs, of a surrogate that no setting uses', async () => {
    const dir = join(root, 'unused-surrogate');
    const path = writeGrid(dir, {
      size: 200,
      runs: 4,
      labels: 10,
      extra: {
        surrogates: { icl: 'surrogate.npy', spare: 'surrogate.npy' },
        settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce', surrogate: 'icl' }],
      },
    });
    const config = loadExperimentConfig(path);
    expect(config.unusedSurrogates).toEqual([{ key: 'spare', scores: join(dir, 'surrogate.npy') }]);
    const events: ExperimentEvent[] = [];
    await runExperiment(config, { out: join(dir, 'out'), threads: 1, onEvent: (e) => events.push(e) });
    const warnings = events.filter((e) => e.event === 'warning');
    expect(warnings).toEqual([
      {
        event: 'warning',
        argument: 'surrogates.spare',
        file: join(dir, 'surrogate.npy'),
        message:
          'surrogates.spare: no setting uses this surrogate, so its scores are not read; name it in a setting\'s "surrogate" to run on it, or remove it',
      },
    ]);
    expect(events.indexOf(warnings[0] as ExperimentEvent)).toBeLessThan(events.findIndex((e) => e.event === 'start'));
  });

  it('skips finished settings when run again, leaving their files untouched', async () => {
    const config = loadExperimentConfig(configPath);
    const marker = join(out, 'surrogate-ce-lure-clip-0.1', SETTING_MARKER);
    const before = {
      bytes: readFileSync(marker, 'utf8'),
      mtime: statSync(join(out, 'surrogate-ce-lure-clip-0.1', 'estimates.npy')).mtimeMs,
    };
    const results = await runExperiment(config, { out, threads: 1 });
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(readFileSync(marker, 'utf8')).toBe(before.bytes);
    expect(statSync(join(out, 'surrogate-ce-lure-clip-0.1', 'estimates.npy')).mtimeMs).toBe(before.mtime);
  });

  it('refuses a finished setting whose options changed, unless forced', async () => {
    const changed = JSON.parse(readFileSync(configPath, 'utf8'));
    changed.seed = 4;
    const changedPath = join(root, 'inputs', 'grid-seed4.json');
    writeFileSync(changedPath, JSON.stringify(changed));
    // Every setting changed with the seed, and the message says so, not only of the first.
    await expect(runExperiment(loadExperimentConfig(changedPath), { out, threads: 1 })).rejects.toThrow(
      new OutputExistsError(
        join(out, 'random-i.i.d.'),
        'holds results of another configuration or other input files, as do the folders of 3 other settings ("surrogate-ce · LURE · clip 0.1", "surrogate-pe · LURE · clip 0.1", "self-entropy · LURE · clip 0.1"); pass force: true to recompute them',
      ),
    );
    const results = await runExperiment(loadExperimentConfig(changedPath), { out, threads: 1, force: true });
    expect(results.map((r) => r.status)).toEqual(['ran', 'ran', 'ran', 'ran']);
  });

  it('refuses a misspelt run option rather than ignoring it', async () => {
    const fresh = join(root, 'misspelt');
    await expect(
      runExperiment(loadExperimentConfig(configPath), { out: fresh, threds: 1 } as Parameters<typeof runExperiment>[1]),
    ).rejects.toThrow(/^threds: expected a known option, did you mean threads\?/);
    expect(existsSync(fresh)).toBe(false);
  });

  it('replaces what an interrupted run left in an unfinished folder', async () => {
    const fresh = join(root, 'interrupted');
    const folder = join(fresh, 'random-i.i.d.');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'estimates.npy'), 'half a file');
    writeFileSync(join(folder, '.q.npy.1234.abcd1234.tmp'), 'a temporary file of a killed write');
    const results = await runExperiment(loadExperimentConfig(configPath), { out: fresh, threads: 1 });
    expect(results[0]?.status).toBe('ran');
    expect((await readNpy(join(folder, 'estimates.npy'))).shape).toEqual([80, 40]);
    expect(readdirSync(folder).sort()).toEqual([
      'bootstrap_variance.npy',
      'estimates.npy',
      'q.npy',
      'samples.npy',
      'setting.json',
      'summary.json',
    ]);
  });

  it('feeds report, which applies the ICL offset to the relative numbers', async () => {
    const { table } = await writeReport([out], { out: join(root, 'report'), thresholds: [10, 50] });
    const random = table.settings.find((s) => s.kind === 'random');
    const ce = table.settings.find((s) => s.name.startsWith('surrogate-ce'));
    expect(random?.cells.map((c) => c.labels)).toEqual([10, 50]);
    const randomMse = await rowMse(join(out, 'random-i.i.d.'), [29, 69]); // 10 + 20 and 50 + 20 labels
    const ceMse = await rowMse(join(out, 'surrogate-ce-lure-clip-0.1'), [9, 49]);
    const spec = JSON.parse(readFileSync(join(root, 'report', 'squared-error.vl.json'), 'utf8'));
    expect(spec.hconcat[0].encoding.x.title).toBe('Labels spent (acquired + ICL examples)');
    const firstPoint = (name: string) => spec.data.values.find((p: { setting: string }) => p.setting === name).labels;
    expect([firstPoint(random?.name as string), firstPoint(ce?.name as string)]).toEqual([1, 21]);
    ce?.cells.forEach((cell, i) => {
      const expected = (ceMse[i] as number) / (randomMse[i] as number);
      expect(Math.abs((cell.relativeMse as number) - expected)).toBeLessThanOrEqual(1e-12 * expected);
    });
  });

  it('tells report of a setting it leaves out because it has not finished', async () => {
    const unfinished = join(root, 'unfinished-grid');
    cpSync(out, unfinished, { recursive: true });
    rmSync(join(unfinished, 'surrogate-pe-lure-clip-0.1', SETTING_MARKER));
    const left: Array<[string, string]> = [];
    const { table } = await writeReport([unfinished], {
      out: join(root, 'unfinished-report'),
      onUnfinished: (name, folder) => left.push([name, folder]),
    });
    expect(left).toEqual([['surrogate-pe · LURE · clip 0.1', join(unfinished, 'surrogate-pe-lure-clip-0.1')]]);
    expect(table.settings.map((s) => s.name)).not.toContain(left[0]![0]);
  });
});

describe('runExperiment with the proposals of docs/adaptive.md', () => {
  const configPath = writeGrid(join(root, 'adaptive-inputs'), {
    size: 500,
    runs: 40,
    labels: 60,
    extra: {
      settings: [
        { acquisition: 'iid' },
        { acquisition: 'adaptive' },
        { acquisition: 'surrogate-m2' },
        { acquisition: 'surrogate-ce', defensive: 0.5 },
      ],
    },
  });
  const out = join(root, 'adaptive-grid');

  it('runs adaptive, surrogate-m2 and defensive settings as simulate does, and the report tables their variance ratio', async () => {
    const config = loadExperimentConfig(configPath);
    await runExperiment(config, { out, threads: 1 });
    const folders = ['random-i.i.d.', 'adaptive-lure-clip-0.1', 'surrogate-m2-lure-clip-0.1', 'surrogate-ce-lure-clip-0.1-defensive-0.5'];
    const inputs = join(root, 'adaptive-inputs');
    const f = await readNpy(join(inputs, 'target.npy'));
    const g = await readNpy(join(inputs, 'surrogate.npy'));
    const y = await readNpy(join(inputs, 'labels.npy'));
    const pool = {
      modelScores: { data: f.data as Float64Array, shape: [500, 2] as [number, number] },
      surrogateScores: { data: g.data as Float64Array, shape: [500, 2] as [number, number] },
      labels: y.data as Int32Array,
    };
    const { table } = await writeReport([out], { out: join(root, 'adaptive-report'), thresholds: [10, 50] });
    for (const [i, folder] of folders.entries()) {
      const setting = config.settings[i]!;
      const summary = JSON.parse(readFileSync(join(out, folder, 'summary.json'), 'utf8'));
      const direct = await simulate(pool, { ...simulationOptionsFor(withPoolSize(config, 500), setting as SizedSetting, 1) });
      expect(
        Buffer.from((await readNpy(join(out, folder, 'estimates.npy'))).data.buffer).equals(Buffer.from(direct.estimates.buffer)),
      ).toBe(true);
      const expected = summarizeSimulation(
        direct,
        {},
        lossPerItem({ data: pool.modelScores.data, rows: 500, cols: 2 }, pool.labels),
      ).variance_ratio!;
      expect(summary.variance_ratio).toEqual(expected.map((v) => (Number.isFinite(v) ? v : String(v))));
      const cells = table.settings.find((s) => s.dir === join(out, folder))!.cells;
      expect(cells.map((c) => c.varianceRatio)).toEqual([expected[9], expected[49]]);
    }
    // Random labelling's own ratio is about 1 by construction; the report shows the row for every setting.
    expect(table.settings[0]!.cells[1]!.varianceRatio).toBeGreaterThan(0.7);
    expect(table.settings[0]!.cells[1]!.varianceRatio).toBeLessThan(1.3);
    expect(readFileSync(join(root, 'adaptive-report', 'summary.md'), 'utf8')).toMatch(
      /### Variance ÷ random labelling's, estimated from each run's own labels/,
    );
  });
});

describe('runExperiment on a grid that leaves size out', () => {
  const grid = {
    modelScores: 'target.npy',
    labels: 'labels.npy',
    runs: 3,
    seed: 1,
    bootstrap: 'none',
    settings: [{ acquisition: 'iid' }, { acquisition: 'self-entropy' }],
  };
  // Exact arithmetic, so that the files' bytes, and the fingerprints over them, are the same on any machine.
  const writePool = (dir: string, n: number) => {
    mkdirSync(dir, { recursive: true });
    const scores = Float64Array.from({ length: 2 * n }, (_, i) => ((i * 37) % 11) / 4 - 1);
    const labels = Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    writeFileSync(join(dir, 'target.npy'), encodeNpy({ data: scores, shape: [n, 2], dtype: 'f8' }));
    writeFileSync(join(dir, 'labels.npy'), encodeNpy({ data: labels, shape: [n], dtype: 'i4' }));
    return { modelScores: { data: scores, shape: [n, 2] as [number, number] }, labels };
  };
  const fingerprints = (out: string) =>
    ['random-i.i.d.', 'self-entropy-lure-clip-0.1'].map(
      (folder) => JSON.parse(readFileSync(join(out, folder, SETTING_MARKER), 'utf8')).fingerprint,
    );

  it('labels the whole of a pool of fewer than 400 items, as simulate does', async () => {
    const dir = join(root, 'unsized-20');
    const pool = writePool(dir, 20);
    const out = join(dir, 'grid');
    await runExperiment(resolveExperimentConfig(grid, dir), { out, threads: 1 });
    // A grid's random labelling runs with clip 0, as simulationOptionsFor gives it.
    for (const [folder, acquisition, clip] of [
      ['random-i.i.d.', 'iid', 0],
      ['self-entropy-lure-clip-0.1', 'self-entropy', 0.1],
    ] as const) {
      const estimates = await readNpy(join(out, folder, 'estimates.npy'));
      expect(estimates.shape).toEqual([20, 3]);
      const direct = await simulate(pool, { acquisition, clip, runs: 3, seed: 1, bootstrap: 'none', threads: 1 });
      expect(Array.from(estimates.data as Float64Array)).toEqual(Array.from(direct.estimates));
      expect(JSON.parse(readFileSync(join(out, folder, 'summary.json'), 'utf8')).config.size).toBe(20);
    }
    const manifest = JSON.parse(readFileSync(join(out, EXPERIMENT_MANIFEST), 'utf8')) as ExperimentManifest;
    expect([manifest.config.size, ...manifest.config.settings.map((s) => s.size)]).toEqual([20, 20, 20]);
    // A step the default size cannot hold is refused before any setting runs.
    await expect(
      runExperiment(resolveExperimentConfig({ ...grid, step: 30 }, dir), { out: join(dir, 'step'), threads: 1 }),
    ).rejects.toThrow(
      /^step: expected an integer in \[1, 20\] \(at most size, the labels per run: the grid's default min\(400, N\) for a pool of N = 20 items\), got 30$/,
    );
    expect(existsSync(join(dir, 'step', 'random-i.i.d.'))).toBe(false);
  });

  it('under iclBudget leaves room in a pool of fewer than 400 items for the in-context examples', async () => {
    const dir = join(root, 'unsized-icl-20');
    const pool = writePool(dir, 20);
    writeFileSync(join(dir, 'surrogate.npy'), encodeNpy({ data: pool.modelScores.data.map((x) => x / 2), shape: [20, 2], dtype: 'f8' }));
    const iclGrid = (iclExamples: number, size?: number) => ({
      ...grid,
      ...(size === undefined ? {} : { size }),
      surrogates: { icl: { scores: 'surrogate.npy', iclExamples } },
      iclBudget: true,
      settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }],
    });
    const out = join(dir, 'grid');
    await runExperiment(resolveExperimentConfig(iclGrid(4), dir), { out, threads: 1 });
    // min(400, N − 4) labels a run, and random labelling its 4 more: the whole pool.
    const manifest = JSON.parse(readFileSync(join(out, EXPERIMENT_MANIFEST), 'utf8')) as ExperimentManifest;
    expect([manifest.config.size, ...manifest.config.settings.map((s) => s.size)]).toEqual([16, 20, 16]);
    expect((await readNpy(join(out, 'random-i.i.d.', 'estimates.npy'))).shape).toEqual([20, 3]);
    expect((await readNpy(join(out, 'surrogate-ce-lure-clip-0.1', 'estimates.npy'))).shape).toEqual([16, 3]);
    // A size given too large is refused saying which size fits, and a pool no larger than the offset saying why.
    await expect(runExperiment(resolveExperimentConfig(iclGrid(4, 20), dir), { out: join(dir, 'given'), threads: 1 })).rejects.toThrow(
      'size: expected at most the pool size 20 (setting Random (i.i.d.): size 20 + 4 ICL labels under iclBudget; give "size" at most 16, or leave it out), got 24',
    );
    await expect(runExperiment(resolveExperimentConfig(iclGrid(20), dir), { out: join(dir, 'small'), threads: 1 })).rejects.toThrow(
      'iclBudget: expected a pool of more than 20 items, the largest ICL offset, so that random labelling has labels beyond it (or iclBudget false, or surrogates with fewer iclExamples), got a pool of 20 items',
    );
    expect(existsSync(join(dir, 'given', 'random-i.i.d.'))).toBe(false);
  });

  it('keeps the fingerprints of a grid that gives size, and of a pool of 400 items or more', async () => {
    const dir = join(root, 'unsized-450');
    writePool(dir, 450);
    // The fingerprints of these grids' settings before a left-out size followed the pool.
    const size400 = [
      'fb8d63798502f26e7907488ba442b9c800d90ab5c0d13e245806201dd0ac60c1',
      '607166e8086e3792ddbf8e6d82cf791ceb7efff8c6b6a4a556aeff86af11d0c8',
    ];
    const size300 = [
      '57f91dfb0268320c0e2e71a6e1d6d8bc4bce31050228692b2a7dce66387d6e37',
      'fc987baaf8f2b245d951f79f10f2d8ed23a296c43bf48308c4776cd8168a7030',
    ];
    await runExperiment(resolveExperimentConfig({ ...grid, size: 400 }, dir), { out: join(dir, 'given-400'), threads: 1 });
    expect(fingerprints(join(dir, 'given-400'))).toEqual(size400);
    await runExperiment(resolveExperimentConfig({ ...grid, size: 300 }, dir), { out: join(dir, 'given-300'), threads: 1 });
    expect(fingerprints(join(dir, 'given-300'))).toEqual(size300);
    await runExperiment(resolveExperimentConfig(grid, dir), { out: join(dir, 'left-out'), threads: 1 });
    expect(fingerprints(join(dir, 'left-out'))).toEqual(size400);
    // So the settings a grid finished with size 400 are kept when it leaves size out.
    const results = await runExperiment(resolveExperimentConfig(grid, dir), { out: join(dir, 'given-400'), threads: 1 });
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
  });

  it('changes the fingerprints of settings whose step skips their size, which now record a last row, and only those', async () => {
    const dir = join(root, 'last-row-450');
    writePool(dir, 450);
    // Before the last row: a step that divides size − 1 records the same rows now and keeps them.
    const published = [
      '268b9be3965a780ed5756de3e5338ace39ea68e89af7868b221f5436294fe58d',
      '047e1184159bcb15545789a7c49b66a82303c6fb8d51c773f99d971cacdfca3b',
    ];
    const beforeLastRow = [
      'cee6915766912af98732c3b7438251460172b2652e594b72388028b23539da10',
      '5764b7e5d8ec359763ecb2e80eccdf840478a7ba3dde029331f2f738a92118cb',
    ];
    await runExperiment(resolveExperimentConfig({ ...grid, size: 101, step: 25 }, dir), { out: join(dir, 'divides'), threads: 1 });
    await runExperiment(resolveExperimentConfig({ ...grid, size: 100, step: 25 }, dir), { out: join(dir, 'skips'), threads: 1 });
    expect(fingerprints(join(dir, 'divides'))).toEqual(published);
    const skips = fingerprints(join(dir, 'skips'));
    expect(skips.filter((f) => beforeLastRow.includes(f))).toEqual([]);
    // So settings finished before it, without the last row, are stale: refused unless forced.
    ['random-i.i.d.', 'self-entropy-lure-clip-0.1'].forEach((folder, i) => {
      const marker = join(dir, 'skips', folder, SETTING_MARKER);
      writeFileSync(marker, JSON.stringify({ ...JSON.parse(readFileSync(marker, 'utf8')), fingerprint: beforeLastRow[i] }));
    });
    await expect(
      runExperiment(resolveExperimentConfig({ ...grid, size: 100, step: 25 }, dir), { out: join(dir, 'skips'), threads: 1 }),
    ).rejects.toThrow(
      /random-i\.i\.d\. already exists; holds results of another configuration or other input files, as do the folders of 1 other setting/,
    );
  });
});

describe('runExperiment with a loss and a calibrated temperature', () => {
  const inputs = join(root, 'loss-inputs');
  const configPath = writeGrid(inputs, { size: 500, runs: 30, labels: 40, extra: {} });
  const out = join(root, 'loss-grid');

  it('estimates the chosen loss in every setting and fits the temperature on the surrogate’s held-out set', async () => {
    // A held-out set scored by the same surrogate: another draw of the synthetic pool.
    const heldOut = syntheticPool({ poolSize: 300, seed: 8 });
    writeFileSync(join(inputs, 'heldout-scores.npy'), encodeNpy({ data: heldOut.surrogateScores.data, shape: [300, 2], dtype: 'f8' }));
    writeFileSync(join(inputs, 'heldout-labels.npy'), encodeNpy({ data: heldOut.labels, shape: [300], dtype: 'i4' }));
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    grid.loss = 'zero-one';
    grid.surrogates.icl.calibration = { scores: 'heldout-scores.npy', labels: 'heldout-labels.npy' };
    grid.settings = [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }, { acquisition: 'surrogate-ce', temperature: 'calibrated' }];
    const path = join(inputs, 'grid-loss.json');
    writeFileSync(path, JSON.stringify(grid));
    const config = loadExperimentConfig(path);
    expect(config.loss).toBe('zero-one');
    expect(config.settings.map((s) => s.name)).toEqual([
      'Random (i.i.d.)',
      'surrogate-ce · LURE · clip 0.1',
      'surrogate-ce · LURE · clip 0.1 · T calibrated',
    ]);
    await runExperiment(config, { out, threads: 1 });

    const f = await readNpy(join(inputs, 'target.npy'));
    const g = await readNpy(join(inputs, 'surrogate.npy'));
    const y = await readNpy(join(inputs, 'labels.npy'));
    const pool = {
      modelScores: { data: f.data as Float64Array, shape: [500, 2] as [number, number] },
      surrogateScores: { data: g.data as Float64Array, shape: [500, 2] as [number, number] },
      labels: y.data as Int32Array,
    };
    const errorRate = zeroOneLossPerItem({ data: pool.modelScores.data, rows: 500, cols: 2 }, pool.labels).reduce((a, b) => a + b, 0) / 500;
    const calibration = { scores: { data: heldOut.surrogateScores.data, shape: [300, 2] as [number, number] }, labels: heldOut.labels };
    const fitted = fitCalibrationSet(calibration).temperature;
    const expectations = [
      ['random-i.i.d.', { acquisition: 'iid', loss: 'zero-one' }],
      ['surrogate-ce-lure-clip-0.1', { acquisition: 'surrogate-ce', loss: 'zero-one' }],
      ['surrogate-ce-lure-clip-0.1-t-calibrated', { acquisition: 'surrogate-ce', loss: 'zero-one', calibration }],
    ] as const;
    for (const [folder, options] of expectations) {
      const summary = JSON.parse(readFileSync(join(out, folder, 'summary.json'), 'utf8'));
      expect(summary.true_risk).toBeCloseTo(errorRate, 14);
      expect(summary.config.loss).toBe('zero-one');
      const direct = await simulate(pool, { runs: 30, size: 40, seed: 3, threads: 1, ...options });
      expect(
        Buffer.from((await readNpy(join(out, folder, 'estimates.npy'))).data.buffer).equals(Buffer.from(direct.estimates.buffer)),
      ).toBe(true);
    }
    const calibrated = JSON.parse(readFileSync(join(out, 'surrogate-ce-lure-clip-0.1-t-calibrated', 'summary.json'), 'utf8'));
    expect(calibrated.config.temperature).toBe(fitted);
    expect(calibrated.config.calibrationScores).toBe(join(inputs, 'heldout-scores.npy'));

    // The held-out files are part of the setting's identity: changing them makes the finished setting stale.
    writeFileSync(join(inputs, 'heldout-labels.npy'), encodeNpy({ data: heldOut.labels.map((l) => 1 - l), shape: [300], dtype: 'i4' }));
    await expect(runExperiment(loadExperimentConfig(path), { out, threads: 1 })).rejects.toBeInstanceOf(OutputExistsError);
  });

  it("names the grid's size when it is more than the pool has, with the ICL labels that raised it", async () => {
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    await expect(
      runExperiment(resolveExperimentConfig({ ...grid, size: 501 }, inputs), { out: join(root, 'too-big'), threads: 1 }),
    ).rejects.toThrow(/^size: expected at most the pool size 500 \(the labels per run: the grid's "size"\), got 501$/);
    await expect(
      runExperiment(resolveExperimentConfig({ ...grid, size: 490, iclBudget: true }, inputs), { out: join(root, 'too-big'), threads: 1 }),
    ).rejects.toThrow(
      /^size: expected at most the pool size 500 \(setting .*: size 490 \+ 20 ICL labels under iclBudget; give "size" at most 480, or leave it out\), got 510$/,
    );
  });

  it("refuses a setting named after the experiment's own folders, and a step beyond the size", () => {
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    expect(() => resolveExperimentConfig({ ...grid, size: 40, step: 41 }, inputs)).toThrow(
      'step: expected an integer in [1, 40] (at most size, the labels per run), got 41',
    );
    const { size: _size, ...unsized } = grid;
    expect(() => resolveExperimentConfig({ ...unsized, step: 401 }, inputs)).toThrow(
      'step: expected an integer in [1, 400] (at most size, the labels per run: min(400, N) unless given), got 401',
    );
    // experiment.json as a folder would stop the run once its simulation was done, at the marker's
    // write; summary.json or estimates.npy would make the folder look like a simulate run's.
    for (const name of ['scores', 'Report', 'experiment.json', 'Comparison.json', 'Summary.JSON', 'estimates.npy']) {
      expect(() => resolveExperimentConfig({ ...grid, settings: [{ acquisition: 'iid', name }] }, inputs)).toThrow(
        `settings[0].name: expected a name whose folder is none of scores, report, experiment.json, comparison.json and the files of a simulate run (the experiment's evaluate steps, its default report, its manifest, a demo's comparison; summary.json, estimates.npy, …), got "${name}"`,
      );
    }
  });

  it('refuses a calibrated temperature without a calibration set, and an unknown loss', () => {
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    grid.settings = [{ acquisition: 'surrogate-ce', temperature: 'calibrated' }];
    expect(() => resolveExperimentConfig(grid, inputs)).toThrow(
      /settings\[0\]\.temperature: expected "calibrated" only with a surrogate that has a calibration set/,
    );
    expect(() => resolveExperimentConfig({ ...grid, settings: [{ acquisition: 'iid' }], loss: 'hinge' }, inputs)).toThrow(
      /loss: expected one of cross-entropy \| zero-one \| brier/,
    );
  });

  it('refuses a calibration set given as simulate takes it, saying how a grid gives one', () => {
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    const how =
      'expected a calibration set given with its surrogate, surrogates.<name>.calibration: { scores, labels }, and used by a setting\'s temperature: "calibrated"';
    const files = { scores: 'surrogate.npy', labels: 'labels.npy' };
    expect(() => resolveExperimentConfig({ ...grid, calibration: files }, inputs)).toThrow(`calibration: ${how}`);
    const settings = [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce', calibrationScores: 'surrogate.npy' }];
    expect(() => resolveExperimentConfig({ ...grid, settings }, inputs)).toThrow(`settings[1].calibrationScores: ${how}`);
  });

  it('names the temperature key, which a setting has, when a calibrated temperature is asked of self-entropy', () => {
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    grid.settings = [{ acquisition: 'iid' }, { acquisition: 'self-entropy', temperature: 'calibrated' }];
    expect(() => resolveExperimentConfig(grid, inputs)).toThrow(
      `settings[1].temperature: expected "calibrated" only with a surrogate acquisition (self-entropy's temperature is the target's), got "self-entropy"`,
    );
  });

  it('refuses, before any setting runs, a calibrated temperature asked of an acquisition that reads no model (iid or true-loss with ASE)', () => {
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    for (const acquisition of ['iid', 'true-loss']) {
      // ASE reads the surrogate, so the setting has one with a calibration set; the acquisition reads neither.
      grid.settings = [{ acquisition: 'surrogate-ce' }, { acquisition, estimator: 'ase', temperature: 'calibrated' }];
      expect(() => resolveExperimentConfig(grid, inputs)).toThrow(
        `settings[1].temperature: expected "calibrated" only with a surrogate acquisition (${acquisition} reads no model's probabilities), got "${acquisition}"`,
      );
    }
  });

  it('names a bad score or label file by its grid key, not by a command-line flag', async () => {
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    const small = syntheticPool({ poolSize: 30, classCount: 3, seed: 9 });
    writeFileSync(join(inputs, 'three-classes.npy'), encodeNpy({ data: small.surrogateScores.data, shape: [30, 3], dtype: 'f8' }));
    writeFileSync(join(inputs, 'thirty-labels.npy'), encodeNpy({ data: small.labels, shape: [30], dtype: 'i4' }));
    const run = (changes: Record<string, unknown>) =>
      runExperiment(resolveExperimentConfig({ ...grid, settings: [{ acquisition: 'surrogate-ce' }], ...changes }, inputs), {
        out: join(root, 'bad-files'),
        threads: 1,
      });
    await expect(run({ modelScores: 'labels.npy' })).rejects.toThrow(/^modelScores: expected float16, float32 or float64 scores/);
    // A file that is not there: named by its key too, not by its path alone.
    await expect(run({ modelScores: 'absent.npy' })).rejects.toThrow(
      `modelScores: ${join(inputs, 'absent.npy')}: cannot read: no such file (ENOENT)`,
    );
    await expect(run({ labels: 'absent.npy' })).rejects.toThrow(
      `labels: ${join(inputs, 'absent.npy')}: cannot read: no such file (ENOENT)`,
    );
    await expect(run({ surrogates: { icl: 'absent.npy' } })).rejects.toThrow(
      `surrogates.icl.scores: ${join(inputs, 'absent.npy')}: cannot read: no such file (ENOENT)`,
    );
    await expect(run({ labels: 'thirty-labels.npy' })).rejects.toThrow(/^labels: expected 500 labels/);
    await expect(run({ surrogates: { icl: 'three-classes.npy' } })).rejects.toThrow(
      /^surrogates\.icl\.scores: expected the shape of modelScores, \(500, 2\)/,
    );
    const calibrated = (calibration: object) =>
      run({
        surrogates: { icl: { scores: 'surrogate.npy', calibration } },
        settings: [{ acquisition: 'surrogate-ce', temperature: 'calibrated' }],
      });
    await expect(calibrated({ scores: 'three-classes.npy', labels: 'thirty-labels.npy' })).rejects.toThrow(
      /^surrogates\.icl\.calibration\.scores: expected scores with 2 columns/,
    );
    await expect(calibrated({ scores: 'surrogate.npy', labels: 'thirty-labels.npy' })).rejects.toThrow(
      /^surrogates\.icl\.calibration\.labels: expected 500 labels/,
    );
    await expect(calibrated({ scores: 'absent.npy', labels: 'labels.npy' })).rejects.toThrow(
      `surrogates.icl.calibration.scores: ${join(inputs, 'absent.npy')}: cannot read: no such file (ENOENT)`,
    );
  });

  it('refuses a setting folder that cannot be made before any setting runs', async () => {
    const out = join(root, 'setting-folder-is-a-file');
    mkdirSync(out, { recursive: true });
    // The third setting's folder is taken by a file: found only at its turn, the first two had run.
    writeFileSync(join(out, 'self-entropy-lure-clip-0.1'), 'not a folder');
    const events: ExperimentEvent[] = [];
    await expect(runExperiment(loadExperimentConfig(configPath), { out, threads: 1, onEvent: (e) => events.push(e) })).rejects.toThrow(
      `out: expected a folder (or a path where one can be created), got "${join(out, 'self-entropy-lure-clip-0.1')}" (it is a file)`,
    );
    expect(events).toEqual([]);
    expect(readdirSync(out)).toEqual(['self-entropy-lure-clip-0.1']);
  });

  it('refuses an output folder holding a simulate run, which report would then leave out', async () => {
    const out = join(root, 'simulate-folder');
    const pool = syntheticPool({ poolSize: 100, seed: 1 });
    const result = await simulate(pool, { runs: 3, size: 5, acquisition: 'iid', threads: 1 });
    const files = { modelScores: 'f.npy', labels: 'y.npy', poolSize: 100 };
    await writeSimulationOutputs(out, result, summarizeSimulation(result, files, lossPerItem(pool.modelScores, pool.labels)));
    const before = readdirSync(out).sort();
    const events: ExperimentEvent[] = [];
    await expect(
      runExperiment(loadExperimentConfig(configPath), { out, threads: 1, force: true, onEvent: (e) => events.push(e) }),
    ).rejects.toThrow(
      `out: expected a folder without a simulate run's outputs (report reads an experiment's folder through experiment.json and would leave the run out), got "${out}" (it holds summary.json)`,
    );
    expect(events).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(before);
  });

  it("is refused by writeSimulationOutputs, even with force: report would leave a simulate run in an experiment's folder out", async () => {
    const pool = syntheticPool({ poolSize: 100, seed: 1 });
    const result = await simulate(pool, { runs: 3, size: 5, acquisition: 'iid', threads: 1 });
    const files = { modelScores: 'f.npy', labels: 'y.npy', poolSize: 100 };
    const summary = summarizeSimulation(result, files, lossPerItem(pool.modelScores, pool.labels));
    const out = join(root, 'experiment-folder');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, EXPERIMENT_MANIFEST), '{}\n');
    const before = readdirSync(out).sort();
    await expect(writeSimulationOutputs(out, result, summary, { force: true })).rejects.toThrow(
      `dir: expected a folder that is not an experiment's output (report reads an experiment's folder through experiment.json and would leave the run out), got "${out}" (it holds experiment.json)`,
    );
    expect(readdirSync(out).sort()).toEqual(before);
  });

  it('checks the types of its own options, writing nothing', async () => {
    const config = loadExperimentConfig(configPath);
    const out = join(root, 'bad-options');
    await expect(runExperiment(config, { out, force: 'yes' as never })).rejects.toThrow('force: expected true or false, got "yes"');
    await expect(runExperiment(config, { out: 5 as never })).rejects.toThrow('out: expected a non-empty string, got 5');
    // Checked by each setting's simulation, it came after experiment.json was written.
    await expect(runExperiment(config, { out, threads: 0 })).rejects.toThrow('threads: expected an integer ≥ 1, got 0');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a bad calibration set before any setting runs, writing nothing', async () => {
    const grid = JSON.parse(readFileSync(configPath, 'utf8'));
    const out = join(root, 'bad-calibration-late');
    const small = syntheticPool({ poolSize: 30, seed: 9 });
    writeFileSync(join(inputs, 'thirty-labels.npy'), encodeNpy({ data: small.labels, shape: [30], dtype: 'i4' }));
    const config = resolveExperimentConfig(
      {
        ...grid,
        surrogates: { icl: { scores: 'surrogate.npy', calibration: { scores: 'surrogate.npy', labels: 'thirty-labels.npy' } } },
        // Random labelling and a plain surrogate setting first: a check made only when the
        // calibrated setting's turn comes would let them run and write their results.
        settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }, { acquisition: 'surrogate-ce', temperature: 'calibrated' }],
      },
      inputs,
    );
    const events: ExperimentEvent[] = [];
    await expect(runExperiment(config, { out, threads: 1, onEvent: (e) => events.push(e) })).rejects.toThrow(
      /^surrogates\.icl\.calibration\.labels: expected 500 labels/,
    );
    expect(events).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

async function rowMse(dir: string, rows: number[]): Promise<number[]> {
  const estimates = await readNpy(join(dir, 'estimates.npy'));
  const trueRisk = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).true_risk as number;
  const runs = estimates.shape[1] as number;
  return rows.map((r) => {
    let sum = 0;
    for (let c = 0; c < runs; c++) sum += ((estimates.data[r * runs + c] as number) - trueRisk) ** 2;
    return sum / runs;
  });
}
