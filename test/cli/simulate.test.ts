import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, readNpy, writeNpy, type NpyArray } from '../../src/io/npy.js';
import { wholePercents } from '../../src/cli/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { usableCores } from '../../src/simulate/usable-cores.js';
import { runCliCaptured, type CliRun } from '../helpers/cli.js';
import { expectSameOutputs } from '../helpers/same-outputs.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT_CLI = join(repoRoot, 'dist/cli.js');
const N = 120;
const K = 3;
let dir: string;
let files: Record<'f' | 'g' | 'y' | 'onehot', string>;
const pool = syntheticPool({ poolSize: N, classCount: K, seed: 5 });

async function cli(...argv: string[]): Promise<CliRun> {
  return runCliCaptured(argv);
}

async function npy(name: string, array: NpyArray): Promise<string> {
  const path = join(dir, name);
  await writeNpy(path, array, { force: true });
  return path;
}

/** The pool's target scores with row `row` set to finite logits whose cross-entropy bound overflows (1e308 apart). */
async function overflowingScores(row: number): Promise<string> {
  const spread = new Float64Array(pool.modelScores.data);
  spread.set([1e308, -1e308, 0], row * K);
  return npy(`f-spread-${row}.npy`, { data: spread, shape: [N, K], dtype: 'f8' });
}

/** The pool's target scores with `logit` on every item's label: losses of about −logit. */
async function hugeLossScores(logit: number): Promise<string> {
  const scores = new Float64Array(pool.modelScores.data);
  for (let i = 0; i < N; i++) scores[i * K + pool.labels[i]!] = logit;
  return npy(`f-label-${logit}.npy`, { data: scores, shape: [N, K], dtype: 'f8' });
}

/** The target's mean cross-entropy over the pool, computed here independently of the library. */
function trueRisk(): number {
  let total = 0;
  for (let i = 0; i < N; i++) {
    const row = Array.from(pool.modelScores.data.subarray(i * K, (i + 1) * K));
    const max = Math.max(...row);
    const logZ = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    total += logZ - row[pool.labels[i]!]!;
  }
  return total / N;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'simulate-cli-'));
  const onehot = new Float32Array(N * K);
  pool.labels.forEach((y, i) => (onehot[i * K + y] = 1));
  files = {
    f: await npy('f.npy', { data: Float32Array.from(pool.modelScores.data), shape: [N, K], dtype: 'f4' }),
    g: await npy('g.npy', { data: pool.surrogateScores.data, shape: [N, K], dtype: 'f8' }),
    y: await npy('y.npy', { data: BigInt64Array.from(pool.labels, BigInt), shape: [N], dtype: 'i8' }),
    onehot: await npy('onehot.npy', { data: onehot, shape: [N, K], dtype: 'f4' }),
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('active-testing simulate', () => {
  it('says one run of one label in the singular', async () => {
    const out = join(dir, 'run-one');
    const args = ['--model-scores', files.f, '--surrogate-scores', files.g, '--labels', files.y];
    const { code, stdout } = await cli('simulate', ...args, '--runs', '1', '--size', '1', '--step', '1', '--threads', '1', '--out', out);
    expect(code).toBe(0);
    expect(stdout).toContain('adaptive acquisition + lure estimator: 1 run of 1 label from a pool of 120 items (K = 3)');
  });

  it('writes every output with the documented shape and dtype, and a summary that matches them', async () => {
    const out = join(dir, 'run-a');
    const { code, stdout, stderr } = await cli(
      'simulate',
      '--model-scores',
      files.f,
      '--surrogate-scores',
      files.g,
      '--labels',
      files.y,
      '--runs',
      '20',
      '--size',
      '30',
      '--step',
      '7',
      '--seed',
      '3',
      '--threads',
      '1',
      '--out',
      out,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['bootstrap_variance.npy', 'estimates.npy', 'q.npy', 'samples.npy', 'summary.json']);
    const estimates = await readNpy(join(out, 'estimates.npy'));
    const samples = await readNpy(join(out, 'samples.npy'));
    const q = await readNpy(join(out, 'q.npy'));
    const variance = await readNpy(join(out, 'bootstrap_variance.npy'));
    expect([estimates.dtype, estimates.shape]).toEqual(['f8', [6, 20]]);
    expect([samples.dtype, samples.shape]).toEqual(['i8', [30, 20]]);
    expect([q.dtype, q.shape]).toEqual(['f8', [30, 20]]);
    expect([variance.dtype, variance.shape]).toEqual(['f8', [6, 20]]);
    for (let run = 0; run < 20; run++) {
      const column = Array.from({ length: 30 }, (_, m) => Number((samples.data as BigInt64Array)[m * 20 + run]));
      expect(new Set(column).size).toBe(30); // without replacement
      expect(column.every((i) => i >= 0 && i < N)).toBe(true);
    }
    expect(Array.from(q.data as Float64Array).every((v) => v > 0 && v <= 1)).toBe(true);
    expect(Array.from(variance.data as Float64Array).every((v) => v >= 0)).toBe(true);

    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    const risk = trueRisk();
    expect(Math.abs(summary.true_risk - risk)).toBeLessThan(1e-12 * risk);
    // Every 7th label from the first, then the last of the 30.
    expect(summary.labels).toEqual([1, 8, 15, 22, 29, 30]);
    const e = estimates.data as Float64Array;
    for (let row = 0; row < 6; row++) {
      const errors = Array.from({ length: 20 }, (_, run) => e[row * 20 + run]! - summary.true_risk);
      const mse = errors.reduce((s, d) => s + d * d, 0) / 20;
      const bias = errors.reduce((s, d) => s + d, 0) / 20;
      const sorted = errors.map((d) => d * d).sort((a, b) => a - b);
      expect(summary.mse[row]).toBeCloseTo(mse, 12);
      expect(summary.bias[row]).toBeCloseTo(bias, 12);
      expect(summary.median_se[row]).toBeCloseTo((sorted[9]! + sorted[10]!) / 2, 12);
      // ±1.96σ with the finite-population factor (N − M)/(N − 1) of the row's label count, N = 120.
      const factor = (120 - summary.labels[row]) / 119;
      const covered = Array.from(
        { length: 20 },
        (_, run) =>
          Math.abs(e[row * 20 + run]! - summary.true_risk) <= 1.96 * Math.sqrt(factor * (variance.data as Float64Array)[row * 20 + run]!),
      );
      expect(summary.coverage[row]).toBeCloseTo(covered.filter(Boolean).length / 20, 12);
    }
    expect(summary.config).toMatchObject({
      acquisition: 'adaptive',
      estimator: 'lure',
      clip: 0.1,
      temperature: null,
      runs: 20,
      size: 30,
      step: 7,
      seed: 3,
      bootstrap: 'exact',
      threads: 1,
      numerics: 'default',
      modelScores: files.f,
      surrogateScores: files.g,
      labels: files.y,
    });
    expect(summary.version).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
    expect(stdout).toContain('adaptive acquisition + lure estimator: 20 runs of 30 labels from a pool of 120 items (K = 3)');
    expect(stdout).toContain(`true risk (mean cross-entropy over the pool): ${risk.toFixed(5)}`);
    expect(stdout).not.toMatch(/\biid\b/);
  });

  it('defaults to iid acquisition and estimator without a surrogate, reads one-hot labels, and --bootstrap none writes no variance', async () => {
    const out = join(dir, 'run-b');
    const { code } = await cli(
      'simulate',
      '--model-scores',
      files.f,
      '--labels',
      files.onehot,
      '--runs',
      '4',
      '--bootstrap',
      'none',
      '--threads',
      '1',
      '--out',
      out,
    );
    expect(code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['estimates.npy', 'q.npy', 'samples.npy', 'summary.json']);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.config).toMatchObject({ acquisition: 'iid', estimator: 'iid', size: 120, step: 1, runs: 4, bootstrap: 'none' });
    expect(summary.coverage).toBeUndefined();
    expect((await readNpy(join(out, 'estimates.npy'))).shape).toEqual([120, 4]);
  });

  it('--loss zero-one estimates the error rate and records the loss in summary.json; a bad --loss names the flag', async () => {
    const out = join(dir, 'run-zero-one');
    const argv = [
      'simulate',
      '--model-scores',
      files.f,
      '--surrogate-scores',
      files.g,
      '--labels',
      files.y,
      '--runs',
      '4',
      '--size',
      '10',
      '--threads',
      '1',
    ];
    const { code, stdout } = await cli(...argv, '--loss', 'zero-one', '--out', out);
    expect(code).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    let errors = 0;
    for (let i = 0; i < N; i++) {
      const row = Array.from(pool.modelScores.data.subarray(i * K, (i + 1) * K));
      if (row.indexOf(Math.max(...row)) !== pool.labels[i]) errors++;
    }
    expect(summary.true_risk).toBeCloseTo(errors / N, 12);
    expect(summary.config).toMatchObject({ loss: 'zero-one', acquisition: 'surrogate-ce' });
    expect(stdout).toContain('mean zero-one loss');
    const bad = await cli(...argv, '--loss', 'hinge', '--out', join(dir, 'run-bad-loss'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--loss/);
    expect(existsSync(join(dir, 'run-bad-loss', 'summary.json'))).toBe(false);
  });

  it('--interval writes per-run lower/upper .npy per kind and their coverage in summary.json', async () => {
    const out = join(dir, 'run-intervals');
    const argv = [
      'simulate',
      '--model-scores',
      files.f,
      '--surrogate-scores',
      files.g,
      '--labels',
      files.y,
      '--runs',
      '40',
      '--size',
      '60',
      '--step',
      '20',
      '--threads',
      '1',
    ];
    const { code } = await cli(...argv, '--interval', 'anytime,fixed,bootstrap', '--out', out);
    expect(code).toBe(0);
    const names = await readdir(out);
    for (const kind of ['anytime', 'fixed', 'bootstrap']) {
      expect(names).toContain(`${kind}_lower.npy`);
      expect(names).toContain(`${kind}_upper.npy`);
    }
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    // One key style per block: snake_case as in the published summary.json, the options and inputs in `config` as the library names them.
    const { config, ...results } = summary;
    expect(keysOf(results).filter((key) => !/^[a-z0-9]+(_[a-z0-9]+)*$/.test(key))).toEqual([]);
    expect(keysOf(config).filter((key) => !/^[a-z][a-zA-Z0-9]*$/.test(key))).toEqual([]);
    expect(config.poolFingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
    const lower = (await readNpy(join(out, 'anytime_lower.npy'))).data as Float64Array;
    const upper = (await readNpy(join(out, 'anytime_upper.npy'))).data as Float64Array;
    // Rows at 1, 21, 41 and 60 labels.
    expect((await readNpy(join(out, 'anytime_lower.npy'))).shape).toEqual([4, 40]);
    let always = 0;
    for (let run = 0; run < 40; run++) {
      let inside = true;
      for (let row = 0; row < 4; row++)
        inside &&= lower[row * 40 + run]! <= summary.true_risk && summary.true_risk <= upper[row * 40 + run]!;
      if (inside) always++;
    }
    expect(summary.intervals.anytime.simultaneous_coverage).toBe(always / 40);
    expect(summary.intervals.fixed.coverage).toHaveLength(4);
    expect(summary.intervals.bootstrap.median_half_width).toHaveLength(4);
    const bad = await cli(...argv, '--interval', 'exact', '--out', join(dir, 'run-bad-interval'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--interval/);
    expect(existsSync(join(dir, 'run-bad-interval'))).toBe(false);
  });

  it('refuses a bootstrap --interval the simulation cannot give before it runs: with --estimator ase or --bootstrap none', async () => {
    // Runs that do not fit in memory: a refusal that came after the simulation would be the memory check's.
    const argv = ['simulate', '--model-scores', files.f, '--surrogate-scores', files.g, '--labels', files.y, '--runs', '1000000000'];
    const ase = await cli(...argv, '--estimator', 'ase', '--interval', 'anytime,bootstrap', '--out', join(dir, 'run-ase-bootstrap'));
    expect(ase.code).toBe(1);
    expect(ase.stderr).toBe(
      `active-testing simulate: --interval: expected 'anytime' or 'fixed' with the ase estimator (its bootstrap ignores the unlabelled items), got "bootstrap"`,
    );
    const none = await cli(...argv, '--bootstrap', 'none', '--interval', 'bootstrap', '--out', join(dir, 'run-none-bootstrap'));
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      `active-testing simulate: --interval: expected a bootstrap variance for 'bootstrap' (not --bootstrap none), got "bootstrap"`,
    );
    expect(existsSync(join(dir, 'run-ase-bootstrap'))).toBe(false);
    expect(existsSync(join(dir, 'run-none-bootstrap'))).toBe(false);
  });

  it("--interval prints each kind at the run table's label counts, with the numbers of summary.json; nothing without it", async () => {
    const argv = [
      'simulate',
      '--model-scores',
      files.f,
      '--surrogate-scores',
      files.g,
      '--labels',
      files.y,
      '--runs',
      '40',
      '--size',
      '100',
      '--step',
      '10',
      '--threads',
      '1',
    ];
    const out = join(dir, 'run-interval-table');
    const { code, stdout } = await cli(...argv, '--interval', 'anytime,fixed,bootstrap', '--out', out);
    expect(code).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
    const lines = stdout.split('\n');
    const cells = (line: string) => line.trim().split(/\s{2,}/);
    const runTable = lines.findIndex((line) => line.trimStart().startsWith('labels  mean estimate'));
    const intervalTable = lines.findIndex((line) => line.trimStart().startsWith('labels  anytime-valid sequence'));
    expect(runTable).toBeGreaterThanOrEqual(0);
    expect(intervalTable).toBeGreaterThan(runTable);
    expect(lines[intervalTable - 1]).toBe(
      '95% intervals: the fraction of runs whose interval contains the true risk, and the median half-width (±)',
    );
    expect(cells(lines[intervalTable]!)).toEqual(['labels', 'anytime-valid sequence', 'fixed-budget', 'bootstrap ±1.96σ (approx.)']);
    // The run table's label counts: 41 (the last row with at most 50) and 100 (the last row, after every label).
    const shown = [41, 100];
    expect(lines.slice(runTable + 1, runTable + 3).map((line) => cells(line)[0])).toEqual(shown.map(String));
    const printed = lines.slice(intervalTable + 1, intervalTable + 3).map(cells);
    expect(printed).toEqual(
      shown.map((labels) => {
        const row = summary.labels.indexOf(labels);
        return [
          String(labels),
          ...['anytime', 'fixed', 'bootstrap'].map((kind) => {
            const { coverage, median_half_width } = summary.intervals[kind];
            return `${percent(coverage[row])} ±${median_half_width[row].toFixed(4)}`;
          }),
        ];
      }),
    );
    const { anytime, fixed, bootstrap } = summary.intervals;
    // The bootstrap claims nothing about label counts jointly, and has no width at one label: no simultaneous coverage.
    expect(bootstrap.simultaneous_coverage).toBeUndefined();
    expect(lines[intervalTable + 3]).toBe(
      'runs whose interval contains the true risk at every label count at once: ' +
        `anytime ${percent(anytime.simultaneous_coverage)} (≥ 95% guaranteed at every label count at once), ` +
        `fixed ${percent(fixed.simultaneous_coverage)} (≥ 95% guaranteed only at each label count on its own)`,
    );

    const one = await cli(...argv, '--interval', 'fixed', '--out', join(dir, 'run-interval-table-fixed'));
    expect(one.code).toBe(0);
    const oneLines = one.stdout.split('\n');
    const header = oneLines.findIndex((line) => /^\s*labels\s+fixed-budget$/.test(line));
    expect(cells(oneLines[header]!)).toEqual(['labels', 'fixed-budget']);
    expect(oneLines[header + 3]).toMatch(/: fixed \d+\.\d% \(≥ 95% guaranteed only at each label count on its own\)$/);

    const bootstrapOnly = await cli(...argv, '--interval', 'bootstrap', '--out', join(dir, 'run-interval-table-bootstrap'));
    expect(bootstrapOnly.code).toBe(0);
    expect(bootstrapOnly.stdout).toMatch(/bootstrap ±1\.96σ \(approx\.\)/);
    expect(bootstrapOnly.stdout).not.toMatch(/at every label count at once/);

    const none = await cli(...argv, '--out', join(dir, 'run-plain-table'));
    expect(none.code).toBe(0);
    expect(none.stdout).not.toMatch(/interval|anytime|fixed-budget|half-width|at every label count/);
  });

  it('records a last row after all --size labels where --step skips it, as --step 1 records it bit for bit; --numerics reference keeps the published rows', async () => {
    const argv = ['simulate', '--model-scores', files.f, '--surrogate-scores', files.g, '--labels', files.y];
    const runs = ['--runs', '20', '--size', '100', '--seed', '2', '--interval', 'anytime,fixed,bootstrap'];
    const stepped = join(dir, 'run-last-row-step-25');
    const every = join(dir, 'run-last-row-step-1');
    const run = await cli(...argv, ...runs, '--step', '25', '--out', stepped);
    expect(run.code, run.stderr).toBe(0);
    expect((await cli(...argv, ...runs, '--step', '1', '--out', every)).code).toBe(0);
    const summary = JSON.parse(await readFile(join(stepped, 'summary.json'), 'utf8'));
    const one = JSON.parse(await readFile(join(every, 'summary.json'), 'utf8'));
    expect(summary.labels).toEqual([1, 26, 51, 76, 100]);
    expect(summary.rows).toBe(5);
    // Each row is --step 1's row at its label count: the estimates, their variances and every interval's bounds, bit for bit.
    const rowsOfOne = summary.labels.map((labels: number) => labels - 1);
    for (const file of [
      'estimates',
      'bootstrap_variance',
      ...['anytime', 'fixed', 'bootstrap'].flatMap((k) => [`${k}_lower`, `${k}_upper`]),
    ]) {
      const table = await readNpy(join(stepped, `${file}.npy`));
      const all = (await readNpy(join(every, `${file}.npy`))).data as Float64Array;
      expect(table.shape, file).toEqual([5, 20]);
      const picked = rowsOfOne.flatMap((row: number) => Array.from(all.subarray(row * 20, (row + 1) * 20)));
      expect(Array.from(table.data as Float64Array), file).toEqual(picked);
    }
    for (const key of ['mse', 'median_se', 'bias', 'coverage', 'variance_ratio', 'variance_ratio_undefined_runs'])
      expect(summary[key], key).toEqual(rowsOfOne.map((row: number) => one[key][row]));
    for (const share of ['helping', 'hurting', 'no_evidence_yet'])
      expect(summary.variance_verdict[share]).toEqual(rowsOfOne.map((row: number) => one.variance_verdict[share][row]));
    for (const kind of ['anytime', 'fixed', 'bootstrap']) {
      expect(summary.intervals[kind].coverage).toEqual(rowsOfOne.map((row: number) => one.intervals[kind].coverage[row]));
      expect(summary.intervals[kind].median_half_width).toEqual(rowsOfOne.map((row: number) => one.intervals[kind].median_half_width[row]));
    }
    // Simultaneous coverage over the five rows, the last included.
    const lower = (await readNpy(join(stepped, 'anytime_lower.npy'))).data as Float64Array;
    const upper = (await readNpy(join(stepped, 'anytime_upper.npy'))).data as Float64Array;
    const always = Array.from({ length: 20 }, (_, r) =>
      [0, 1, 2, 3, 4].every((row) => lower[row * 20 + r]! <= summary.true_risk && summary.true_risk <= upper[row * 20 + r]!),
    );
    expect(summary.intervals.anytime.simultaneous_coverage).toBe(always.filter(Boolean).length / 20);
    // The printed tables (at 50, 100, 200, 400 labels and the last row) end at the run's last label count.
    const lines = run.stdout.split('\n');
    const firstColumn = (header: RegExp): string[] => {
      const body = lines.slice(lines.findIndex((line) => header.test(line)) + 1);
      return body
        .slice(
          0,
          body.findIndex((line) => !/^\s*\d/.test(line)),
        )
        .map((line) => line.trim().split(/\s+/)[0]!);
    };
    expect(firstColumn(/^labels\s+mean estimate/)).toEqual(['26', '100']);
    expect(firstColumn(/^labels\s+anytime-valid sequence/)).toEqual(['26', '100']);

    const reference = join(dir, 'run-last-row-reference');
    const published = await cli(...argv, '--runs', '20', '--size', '100', '--step', '25', '--numerics', 'reference', '--out', reference);
    expect(published.code, published.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(reference, 'summary.json'), 'utf8')).labels).toEqual([1, 26, 51, 76]);
    expect((await readNpy(join(reference, 'estimates.npy'))).shape).toEqual([4, 20]);
  });

  it('refuses existing outputs without --force; --force replaces all of them', async () => {
    const out = join(dir, 'run-c');
    const args = [
      'simulate',
      '--model-scores',
      files.f,
      '--surrogate-scores',
      files.g,
      '--labels',
      files.y,
      '--runs',
      '3',
      '--size',
      '5',
      '--threads',
      '1',
      '--out',
      out,
    ];
    expect((await cli(...args)).code).toBe(0);
    const before = await readFile(join(out, 'estimates.npy'));
    const mtime = (await stat(join(out, 'summary.json'))).mtimeMs;
    const refused = await cli(...args, '--seed', '9');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/estimates\.npy already exists; pass --force to replace it/);
    expect((await readFile(join(out, 'estimates.npy'))).equals(before)).toBe(true);
    expect((await stat(join(out, 'summary.json'))).mtimeMs).toBe(mtime);
    expect((await cli(...args, '--seed', '9', '--bootstrap', 'none', '--force')).code).toBe(0);
    expect((await readFile(join(out, 'estimates.npy'))).equals(before)).toBe(false);
    expect((await readdir(out)).sort()).toEqual(['estimates.npy', 'q.npy', 'samples.npy', 'summary.json']);
  });

  it("refuses an experiment's output folder, even with --force: report would leave the run out", async () => {
    const out = join(dir, 'experiment-out');
    const grid = join(dir, 'grid.json');
    await writeFile(grid, JSON.stringify({ modelScores: files.f, labels: files.y, runs: 2, size: 5, settings: [{ acquisition: 'iid' }] }));
    expect((await cli('experiment', '--config', grid, '--out', out, '--threads', '1')).code).toBe(0);
    const before = (await readdir(out)).sort();
    expect(before).toContain('experiment.json');
    const refused = await cli(
      'simulate',
      '--model-scores',
      files.f,
      '--labels',
      files.y,
      '--runs',
      '2',
      '--threads',
      '1',
      '--force',
      '--out',
      out,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      `active-testing simulate: --out: expected a folder that is not an experiment's output (report reads an experiment's folder through experiment.json and would leave the run out), got "${out}" (it holds experiment.json)`,
    );
    expect((await readdir(out)).sort()).toEqual(before);
  });

  it('reports the first fault in order though the inputs are read while the folder is checked', async () => {
    const out = join(dir, 'run-order');
    const args = ['simulate', '--runs', '2', '--size', '5', '--threads', '1', '--out', out];
    expect((await cli(...args, '--model-scores', files.f, '--labels', files.y)).code).toBe(0);
    // Existing outputs and a missing input: the folder is refused, as before any input is read.
    const refused = await cli(...args, '--model-scores', join(dir, 'absent-f.npy'), '--labels', files.y);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/estimates\.npy already exists; pass --force to replace it/);
    expect(refused.stderr).not.toMatch(/absent-f/);
    // Two missing inputs: the first in the order model scores, surrogate scores, labels is named.
    const missing = await cli(
      ...args,
      '--force',
      '--model-scores',
      files.f,
      '--surrogate-scores',
      join(dir, 'absent-g.npy'),
      '--labels',
      join(dir, 'absent-y.npy'),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `active-testing simulate: --surrogate-scores: ${join(dir, 'absent-g.npy')}: cannot read: no such file (ENOENT)`,
    );
    expect(missing.stderr).not.toMatch(/absent-y/);
  });

  it.each([
    [['--bogus']],
    [['--model-scores', 'f.npy', '--labels', 'y.npy']], // no --out
    [['--labels', 'y.npy', '--out', 'x']], // no --model-scores
    [['--model-scores', 'f.npy', '--labels', 'y.npy', '--out', 'x', '--runs', 'ten']],
    [['--model-scores', 'f.npy', '--labels', 'y.npy', '--out', 'x', '--bootstrap', 'sometimes']],
    [['--model-scores', 'f.npy', '--labels', 'y.npy', '--out', 'x', '--acquisition', 'random']],
    [['--model-scores', 'f.npy', '--labels', 'y.npy', '--out', 'x', '--numerics', 'fast']],
    [['--demo', '--clip', '0.2']],
    [['extra-positional']],
    // A flag value out of its range is a usage error too (the schema checks it while parsing).
    [['--model-scores', 'f.npy', '--labels', 'y.npy', '--out', 'x', '--step', '0']],
    [['--model-scores', 'f.npy', '--labels', 'y.npy', '--out', 'x', '--clip', '1']],
    [['--model-scores', 'f.npy', '--labels', 'y.npy', '--out', 'x', '--runs', '0']],
    [['--model-scores', 'f.npy', '--labels', 'y.npy', '--out', 'x', '--runs', '0x10']],
    [['--model-scores', 'f.npy', '--labels', 'y.npy', '--out', 'x', '--loss', 'ce']],
  ])('exits 2 on the usage error %j', async (argv) => {
    const { code, stderr } = await cli('simulate', ...argv);
    expect(code).toBe(2);
    expect(stderr).toContain('Run `active-testing simulate --help` for usage.');
  });

  it.each([
    ['--acquisition', 'adaptive'],
    ['--acquisition', 'surrogate-ce'],
    ['--estimator', 'ase'],
  ])('refuses %s %s without --surrogate-scores as a missing option, before the inputs are read', async (flag, value) => {
    // The score files do not exist: the refusal comes first.
    const { code, stderr } = await cli('simulate', '--model-scores', 'absent-f.npy', '--labels', 'absent-y.npy', '--out', 'x', flag, value);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `active-testing simulate: --surrogate-scores is required for ${flag} ${value}\nRun \`active-testing simulate --help\` for usage.`,
    );
  });

  it('shows the variance ratio as n/a, not NaN, once every item is labelled', async () => {
    const out = join(dir, 'all-labelled');
    const { code, stdout } = await cli(
      'simulate',
      '--model-scores',
      files.f,
      '--surrogate-scores',
      files.g,
      '--labels',
      files.y,
      '--runs',
      '4',
      '--threads',
      '1',
      '--size',
      String(N),
      '--step',
      String(N - 1),
      '--out',
      out,
    );
    expect(code).toBe(0);
    const last = stdout.split('\n').find((line) => line.trimStart().startsWith(`${N} `));
    expect(last).toMatch(/\sn\/a\s+0% \/ 0% \/ 100%$/);
    expect(stdout).not.toContain('NaN');
  });

  it('labels the whole pool when --size is above the pool size, with a warning, and records the size it ran', async () => {
    const out = join(dir, 'oversized');
    const { code, stdout, stderr } = await cli(
      'simulate',
      ...['--model-scores', files.f, '--surrogate-scores', files.g, '--labels', files.y],
      ...['--runs', '3', '--threads', '1', '--size', '400', '--interval', 'anytime,fixed', '--out', out],
    );
    expect(code).toBe(0);
    expect(stderr).toBe(`warning: --size 400 is more than the pool's ${N} items: each run labels all ${N}`);
    expect(stdout).toContain(`3 runs of ${N} labels from a pool of ${N} items`);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.config.size).toBe(N);
    const estimates = await readNpy(join(out, 'estimates.npy'));
    for (const estimate of estimates.data.slice(-3)) expect(estimate).toBeCloseTo(trueRisk(), 10);
  });

  it('shows the median variance ratio over the runs where it is defined, with how many it is not', async () => {
    // Zero-one loss on a pool of four, the target right on two items: a run whose two uniform draws
    // are both right (or both wrong) estimates random labelling's variance as 0, its ratio undefined.
    const f = await npy('f-two-right.npy', { data: Float64Array.of(2, 0, 2, 0, 2, 0, 2, 0), shape: [4, 2], dtype: 'f8' });
    const y = await npy('y-two-right.npy', { data: BigInt64Array.of(0n, 0n, 1n, 1n), shape: [4], dtype: 'i8' });
    const out = join(dir, 'undefined-ratios');
    const { code, stdout } = await cli(
      'simulate',
      ...['--model-scores', f, '--labels', y, '--acquisition', 'iid', '--estimator', 'iid', '--loss', 'zero-one'],
      ...['--runs', '12', '--size', '2', '--step', '1', '--seed', '1', '--threads', '1', '--out', out],
    );
    expect(code).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.variance_ratio_undefined_runs).toEqual([12, 3]);
    expect(summary.variance_ratio[0]).toBe('NaN');
    // Uniform draws: the bootstrap variance of the mean is random labelling's, in each defined run.
    expect(summary.variance_ratio[1]).toBe(1);
    const last = stdout.split('\n').find((line) => line.trimStart().startsWith('2 '));
    expect(last).toMatch(/\s1\.00 \(3 runs n\/a\)\s+0% \/ 0% \/ 100%$/);
  });

  it('prints the median |error| over runs, which with an even number of runs is not √median_se', async () => {
    const out = join(dir, 'two-runs');
    const { code, stdout } = await cli(
      'simulate',
      '--model-scores',
      files.f,
      '--labels',
      files.y,
      '--runs',
      '2',
      '--threads',
      '1',
      '--size',
      '50',
      '--out',
      out,
    );
    expect(code).toBe(0);
    const estimates = (await readNpy(join(out, 'estimates.npy'))).data as Float64Array;
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    const lines = stdout.split('\n');
    expect(lines.find((line) => line.trimStart().startsWith('labels'))).toMatch(/RMSE\s+median \|error\|/);
    // The row of 50 labels: the two runs' errors differ, so their mean and the root of their mean square do too.
    const [a, b] = [0, 1].map((run) => Math.abs(estimates[49 * 2 + run]! - summary.true_risk)) as [number, number];
    expect(Math.abs(Math.sqrt(summary.median_se[49]) - (a + b) / 2)).toBeGreaterThan(1e-4);
    const printed = lines
      .find((line) => line.trimStart().startsWith('50 '))!
      .trim()
      .split(/\s+/)[3];
    expect(printed).toBe(((a + b) / 2).toFixed(4));
  });

  it('keeps summary.json finite for losses just under 2^480/√N (a logit that far below the rest on the label)', async () => {
    const scores = new Float64Array(pool.modelScores.data);
    // Past 1e154 the squared errors overflowed: summary.json kept "Infinity" (such scores are refused now).
    for (let i = 0; i < N; i += 2) scores[i * K + pool.labels[i]!] = -(2 ** 480 / Math.sqrt(N)) * (1 - 1e-9);
    const f = await npy('f-huge-loss.npy', { data: scores, shape: [N, K], dtype: 'f8' });
    const out = join(dir, 'huge-loss');
    const { code, stdout } = await cli(
      'simulate',
      '--model-scores',
      f,
      '--labels',
      files.y,
      '--runs',
      '4',
      '--threads',
      '1',
      '--size',
      '10',
      '--interval',
      'bootstrap',
      'anytime',
      'fixed',
      '--out',
      out,
    );
    expect(code).toBe(0);
    const text = await readFile(join(out, 'summary.json'), 'utf8');
    expect(text).not.toMatch(/Infinity/);
    const summary = JSON.parse(text);
    // NaN only where ordinary scores have it too: a single label leaves the ratio undefined.
    expect(summary.variance_ratio.slice(1).every(Number.isFinite)).toBe(true);
    expect(summary.mse[9]).toBeGreaterThan(1e280);
    const estimates = (await readNpy(join(out, 'estimates.npy'))).data as Float64Array;
    const errors = [0, 1, 2, 3].map((run) => estimates[9 * 4 + run]! - summary.true_risk);
    const rmse = Math.sqrt(errors.reduce((total, e) => total + e * e, 0) / 4);
    const cells = stdout
      .split('\n')
      .find((line) => line.trimStart().startsWith('10 '))!
      .trim()
      .split(/\s+/);
    // Mean estimate and RMSE in exponent form with 4 decimals, as the smaller numbers have 4
    // (toFixed alone wrote every digit, 7.717305549506224e+29, past 1e21).
    for (const cell of cells.slice(1, 3)) expect(cell).toMatch(/^\d\.\d{4}e\+\d+$/);
    expect(Math.abs(Number(cells[2]) - rmse)).toBeLessThan(5e-5 * rmse);
  });

  it('--temperature is ignored by iid and true-loss, as the help says: the same estimates with and without it', async () => {
    const help = await cli('simulate', '--help');
    expect(help.stdout.replace(/\s+/g, ' ')).toContain("(self-entropy); ignored by iid and true-loss (they use no model's probabilities)");
    for (const acquisition of ['iid', 'true-loss']) {
      const estimates: Buffer[] = [];
      for (const extra of [[], ['--temperature', '2']]) {
        const out = join(dir, `temperature-${acquisition}-${extra.length}`);
        const run = await cli(
          'simulate',
          ...['--model-scores', files.f, '--labels', files.y, '--acquisition', acquisition, '--estimator', 'lure'],
          ...['--runs', '4', '--size', '10', '--threads', '1', '--bootstrap', 'none', ...extra, '--out', out],
        );
        expect(run.code, run.stderr).toBe(0);
        estimates.push(await readFile(join(out, 'estimates.npy')));
      }
      expect(estimates[1]!.equals(estimates[0]!)).toBe(true);
    }
  });

  it('--help names every key of summary.json, with a bootstrap, --interval and a calibration set', async () => {
    const out = join(dir, 'summary-keys');
    const run = await cli(
      'simulate',
      ...['--model-scores', files.f, '--surrogate-scores', files.g, '--labels', files.y, '--acquisition', 'adaptive'],
      ...['--calibration-scores', files.g, '--calibration-labels', files.y, '--interval', 'anytime'],
      ...['--runs', '2', '--size', '10', '--threads', '1', '--out', out],
    );
    expect(run.code, run.stderr).toBe(0);
    const keys = Object.keys(JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as object);
    const help = (await cli('simulate', '--help')).stdout.replace(/\s+/g, ' ');
    const listed = /summary\.json, with the keys (.*?) summary\.json is written last/.exec(help)?.[1] ?? '';
    const named = new Set(listed.match(/\b[a-z]+(?:_[a-z]+)*\b/g));
    expect(keys.filter((key) => !named.has(key))).toEqual([]);
    expect(keys).toEqual(
      expect.arrayContaining(['rows', 'runs', 'size', 'variance_ratio', 'variance_verdict', 'intervals', 'calibration']),
    );
  });

  it('--help lists every scores dtype the files may hold, as the error for an integer one does', async () => {
    const help = (await cli('simulate', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('scores float16, float32 or float64 N×K');
    const integer = await npy('f-integer.npy', { data: Int32Array.from(pool.labels), shape: [N / K, K], dtype: 'i4' });
    const run = await cli('simulate', '--model-scores', integer, '--labels', files.y, '--out', join(dir, 'integer-scores'));
    expect(run.stderr).toContain('expected float16, float32 or float64 scores, got "i4"');
  });

  it('prints help and exits 0', async () => {
    const { code, stdout } = await cli('simulate', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('--model-scores FILE');
    expect(stdout).toContain(
      'Exit codes: 0 success, 1 bad input or failure, 2 usage error, 130 stopped by Ctrl-C (143: SIGTERM,\n' +
        '129: SIGHUP, its terminal closed), 141 output closed by its reader (`| head` quit first).',
    );
  });

  it.skipIf(!existsSync(BUILT_CLI))('writes the same files for 1 and 3 threads (built CLI), and other numbers for another seed', () => {
    // Work enough that the workers claim runs before this thread has run them all (about 0.2 s; the
    // library's tests also run a worker alone), and 12,003 runs: not a whole number of tiles.
    const big = syntheticPool({ poolSize: 2000, classCount: K, seed: 6 });
    const [f, g, y] = ['big-f.npy', 'big-g.npy', 'big-y.npy'].map((name) => join(dir, name)) as [string, string, string];
    writeFileSync(f, encodeNpy({ data: big.modelScores.data, shape: [2000, K], dtype: 'f8' }));
    writeFileSync(g, encodeNpy({ data: big.surrogateScores.data, shape: [2000, K], dtype: 'f8' }));
    writeFileSync(y, encodeNpy({ data: big.labels, shape: [2000], dtype: 'i4' }));
    // Runs the worker threads ran, over every three-thread run: a worker that starts late on a
    // loaded machine may find every run claimed in one of them, not in all.
    let runsByWorkers = 0;
    const run = (name: string, options: string[], seed: number, threads: number) => {
      const out = join(dir, `threads-${name}-${seed}-${threads}`);
      const args = ['--model-scores', f, '--surrogate-scores', g, '--labels', y, '--runs', '12003', '--size', '50', '--step', '7'];
      const more = ['--interval', 'anytime,fixed,bootstrap', '--seed', String(seed), '--threads', String(threads), '--out', out];
      const { status, stderr } = spawnSync(process.execPath, [BUILT_CLI, 'simulate', ...args, ...options, ...more], {
        encoding: 'utf8',
        env: { ...process.env, ACTIVE_TESTING_TIMINGS: '1' },
      });
      expect(status, stderr).toBe(0);
      const byWorkers = Number(/^runs by worker threads: (\d+) of 12003$/m.exec(stderr)?.[1]);
      expect(byWorkers, stderr).toBeGreaterThanOrEqual(0);
      if (threads === 1) expect(byWorkers).toBe(0);
      else runsByWorkers += byWorkers;
      return out;
    };
    const settings: Array<[string, string[]]> = [
      ['iid', ['--acquisition', 'iid', '--loss', 'cross-entropy']],
      ['surrogate-ce', ['--acquisition', 'surrogate-ce', '--loss', 'zero-one']],
      ['adaptive', ['--acquisition', 'adaptive', '--loss', 'brier']],
      ['defensive', ['--acquisition', 'surrogate-ce', '--defensive', '0.3', '--loss', 'cross-entropy']],
    ];
    for (const [name, options] of settings) expectSameOutputs(run(name, options, 3, 3), run(name, options, 3, 1));
    // The workers took part: with three threads they ran some of the runs, with one none.
    if (usableCores() > 1) expect(runsByWorkers).toBeGreaterThan(0);
    const [name, options] = settings[2]!;
    const [one, other] = [join(dir, `threads-${name}-3-1`), run(name, options, 4, 3)];
    for (const file of ['estimates.npy', 'samples.npy', 'anytime_lower.npy']) {
      expect(readFileSync(join(other, file)).equals(readFileSync(join(one, file))), file).toBe(false);
    }
  });
});

describe('bad input: a typed error naming the argument, exit 1, nothing written', () => {
  const nanScores = new Float32Array(pool.modelScores.data);
  nanScores[7 * K + 1] = NaN;
  const cases: Array<[string, () => Promise<string[]>, RegExp]> = [
    [
      'NaN score',
      async () => ['--model-scores', await npy('nan.npy', { data: nanScores, shape: [N, K], dtype: 'f4' }), '--labels', files.y],
      /--model-scores: .*nan\.npy: row 7 \(counting from 0\): expected finite values, got NaN/,
    ],
    [
      'label out of range',
      async () => [
        '--model-scores',
        files.f,
        '--labels',
        await npy('y-bad.npy', { data: Int32Array.from(pool.labels, (y, i) => (i === 11 ? K : y)), shape: [N], dtype: 'i4' }),
      ],
      /--labels: .*y-bad\.npy: row 11 \(counting from 0\): expected a class index in \[0, 2\], got 3/,
    ],
    [
      'labels of the wrong length',
      async () => [
        '--model-scores',
        files.f,
        '--labels',
        await npy('y-short.npy', { data: new Int32Array(N - 1), shape: [N - 1], dtype: 'i4' }),
      ],
      /--labels: expected 120 labels/,
    ],
    [
      'float class indices that are not whole numbers',
      async () => [
        '--model-scores',
        files.f,
        '--labels',
        await npy('y-float.npy', { data: new Float64Array(N).fill(0.5), shape: [N], dtype: 'f8' }),
      ],
      /--labels: .*y-float\.npy: row 0 \(counting from 0\): expected a class index in \[0, 2\], got 0\.5/,
    ],
    [
      'integer scores',
      async () => [
        '--model-scores',
        await npy('f-int.npy', { data: new Int32Array(N * K), shape: [N, K], dtype: 'i4' }),
        '--labels',
        files.y,
      ],
      /--model-scores: expected float16, float32 or float64 scores, got "i4"/,
    ],
    [
      'surrogate of another shape',
      async () => [
        '--model-scores',
        files.f,
        '--surrogate-scores',
        await npy('g-small.npy', { data: new Float64Array(6), shape: [3, 2], dtype: 'f8' }),
        '--labels',
        files.y,
      ],
      /--surrogate-scores: expected the shape of --model-scores, \(120, 3\)/,
    ],
    [
      'finite logits whose cross-entropy bound overflows, with a confidence sequence',
      async () => ['--model-scores', await overflowingScores(4), '--labels', files.y, '--acquisition', 'iid', '--interval', 'anytime'],
      /--model-scores \(row 4\): expected scores whose loss bounds are finite/,
    ],
    [
      'finite logits whose cross-entropy bound overflows, under the default adaptive proposal',
      async () => ['--model-scores', await overflowingScores(7), '--surrogate-scores', files.g, '--labels', files.y],
      /^active-testing simulate: --model-scores \(row 7\): expected scores whose loss bounds are finite/,
    ],
    [
      'losses whose squares overflow (a logit of -1e300 on the label), with the bootstrap interval alone',
      async () => ['--model-scores', await hugeLossScores(-1e300), '--labels', files.y, '--acquisition', 'iid', '--interval', 'bootstrap'],
      /^active-testing simulate: --model-scores \(row 0\): expected scores whose loss bounds are finite and at most 2\^480\/√N = 2\.85e\+143 for N = 120/,
    ],
    [
      'losses just past 2^480/√N',
      async () => [
        '--model-scores',
        await hugeLossScores(-(2 ** 480 / Math.sqrt(N)) * (1 + 1e-9)),
        '--labels',
        files.y,
        '--acquisition',
        'iid',
      ],
      /--model-scores \(row 0\): expected scores whose loss bounds are finite and at most 2\^480\/√N/,
    ],
    [
      'losses whose squares overflow, under the reference numerics (no loss bounds)',
      async () => ['--model-scores', await hugeLossScores(-1e300), '--labels', files.y, '--acquisition', 'iid', '--numerics', 'reference'],
      /^active-testing simulate: --model-scores \(row 0\): expected scores whose losses at the labels are at most 2\^480\/√N = 2\.85e\+143 for N = 120, got a loss of 1e\+300$/,
    ],
    [
      'clip 0 outside reference numerics',
      async () => [
        '--model-scores',
        files.f,
        '--surrogate-scores',
        files.g,
        '--labels',
        files.y,
        '--acquisition',
        'surrogate-ce',
        '--loss',
        'zero-one',
        '--clip',
        '0',
      ],
      /--clip: expected a clip fraction in \(0, 1\)/,
    ],
    [
      'a negative clip, even for random labelling',
      async () => ['--model-scores', files.f, '--labels', files.y, '--acquisition', 'iid', '--clip=-0.1'],
      /--clip: expected a clip fraction in \(0, 1\) \(0 only under --numerics reference\): every item needs a proposal probability above 0, got -0\.1/,
    ],
    [
      'K < 2',
      async () => [
        '--model-scores',
        await npy('k1.npy', { data: new Float32Array(N), shape: [N, 1], dtype: 'f4' }),
        '--labels',
        await npy('zeros.npy', { data: new Int32Array(N), shape: [N], dtype: 'i4' }),
      ],
      /--model-scores: expected at least 2 classes \(K ≥ 2 columns\), got 1/,
    ],
    [
      'empty pool',
      async () => [
        '--model-scores',
        await npy('empty.npy', { data: new Float64Array(0), shape: [0, 2], dtype: 'f8' }),
        '--labels',
        await npy('empty-y.npy', { data: new Int32Array(0), shape: [0], dtype: 'i4' }),
      ],
      /--model-scores: expected a non-empty pool/,
    ],
    [
      '1-D scores',
      async () => ['--model-scores', await npy('f-1d.npy', { data: new Float64Array(N), shape: [N], dtype: 'f8' }), '--labels', files.y],
      /--model-scores: expected a 2-D array of scores \(N×K\), got shape \(120\)/,
    ],
    [
      'unreadable .npy',
      async () => {
        const path = join(dir, 'text.npy');
        await writeFile(path, 'label\n1\n0\n');
        return ['--model-scores', path, '--labels', files.y];
      },
      /text\.npy: not a readable \.npy file/,
    ],
    [
      'missing file, named by its flag',
      async () => ['--model-scores', join(dir, 'nope.npy'), '--labels', files.y],
      /^active-testing simulate: --model-scores: \S*nope\.npy: cannot read: no such file \(ENOENT\)$/,
    ],
    [
      'missing calibration file, named by its flag',
      async () => [
        '--model-scores',
        files.f,
        '--surrogate-scores',
        files.g,
        '--labels',
        files.y,
        '--calibration-scores',
        join(dir, 'nope-calibration.npy'),
        '--calibration-labels',
        files.y,
      ],
      /^active-testing simulate: --calibration-scores: \S*nope-calibration\.npy: cannot read: no such file \(ENOENT\)$/,
    ],
  ];
  it.each(cases)('%s', async (_, makeArgs, message) => {
    const out = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    const { code, stderr, stdout } = await cli('simulate', '--runs', '2', '--threads', '1', ...(await makeArgs()), '--out', out);
    expect(stderr).toMatch(message);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});

describe('the CLI as a process', () => {
  it('exits 0 with no progress output when stderr is piped, 2 on usage, 1 on bad input', () => {
    const run = (...argv: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...argv], { encoding: 'utf8', cwd: repoRoot });
    const out = join(dir, 'process-run');
    const ok = run(
      'simulate',
      '--model-scores',
      files.f,
      '--surrogate-scores',
      files.g,
      '--labels',
      files.y,
      '--runs',
      '5',
      '--size',
      '10',
      '--threads',
      '1',
      '--out',
      out,
    );
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`wrote ${out}`);
    expect(run('simulate', '--nope').status).toBe(2);
    expect(run('simulate', '--model-scores', join(dir, 'nope.npy'), '--labels', files.y, '--out', join(dir, 'never')).status).toBe(1);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

/** Every key of a parsed JSON value, at every depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

describe('wholePercents (the run table’s helping / hurting / no evidence yet)', () => {
  it('sums to 100 where rounding each share alone would not', () => {
    // Rounded one by one these read 1 / 0 / 100 and 33 / 33 / 33.
    expect(wholePercents([0.005, 0.002, 0.993])).toEqual([1, 0, 99]);
    expect(wholePercents([1 / 3, 1 / 3, 1 / 3])).toEqual([34, 33, 33]);
    expect(wholePercents([0, 0, 1])).toEqual([0, 0, 100]);
    expect(wholePercents([0.25, 0.15, 0.6])).toEqual([25, 15, 60]);
  });
});
