import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { OutputExistsError } from '../../src/errors.js';
import { readNpy } from '../../src/io/npy.js';
import { DEMO_INTERVAL_LABELS, newDemoFolder, runDemo, type DemoResult } from '../../src/report/demo.js';
import { DEMO_LABEL_COUNTS, rowsAtLabelCounts } from '../../src/report/label-rows.js';
import { RiskConfidenceSequence } from '../../src/estimators/confidence-sequence.js';
import { lossBounds, lossPerItem } from '../../src/metrics/index.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

const RUNS = 2000;
let dir: string;
let demo: DemoResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'demo-test-'));
  // The intervals at the four compared label counts only: every 25 labels (the default) triples their cost.
  demo = await runDemo({ out: join(dir, 'demo'), runs: RUNS, threads: 1, intervalLabels: DEMO_LABEL_COUNTS });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runDemo', () => {
  it('writes the pool, both simulations and the comparison', async () => {
    expect((await readdir(demo.dir)).sort()).toEqual(['adaptive-lure', 'comparison.json', 'iid', 'pool', 'report']);
    const scores = await readNpy(join(demo.dir, 'pool/model_scores.npy'));
    const labels = await readNpy(join(demo.dir, 'pool/labels.npy'));
    expect([scores.dtype, scores.shape]).toEqual(['f4', [10_000, 2]]);
    expect([labels.dtype, labels.shape]).toEqual(['i8', [10_000]]);
    for (const method of ['iid', 'adaptive-lure']) {
      expect((await readNpy(join(demo.dir, method, 'estimates.npy'))).shape).toEqual([400, RUNS]);
    }
    const iid = JSON.parse(await readFile(join(demo.dir, 'iid/summary.json'), 'utf8'));
    expect(iid.config).toMatchObject({ acquisition: 'iid', estimator: 'iid', runs: RUNS, size: 400, bootstrap: 'exact' });
    const comparison = JSON.parse(await readFile(join(demo.dir, 'comparison.json'), 'utf8'));
    expect(comparison.labels).toEqual([50, 100, 200, 400]);
    expect(comparison.true_risk).toBe(demo.trueRisk);
    comparison.ratio.forEach((r: number, i: number) => expect(r).toBeCloseTo(comparison.mse_active[i] / comparison.mse_random[i], 12));
    for (const method of ['adaptive-lure', 'iid'] as const) {
      for (const kind of ['anytime', 'fixed', 'bootstrap'] as const) {
        const row = demo.comparison.intervals[method][kind];
        expect(comparison.intervals[method][kind]).toEqual({ coverage: row.coverage, median_half_width: row.medianHalfWidth });
      }
    }
  });

  it('ends by writing the report of both simulations into report/', async () => {
    const reportDir = join(demo.dir, 'report');
    expect(demo.report.summaryPath).toBe(join(resolve(reportDir), 'summary.md'));
    const files = await readdir(reportDir);
    const intervalFigures = ['anytime', 'fixed', 'bootstrap'].flatMap((kind) => [`coverage-${kind}`, `half-width-${kind}`]);
    for (const figure of ['squared-error', 'relative-error', 'relative-cost', 'bootstrap', ...intervalFigures]) {
      for (const ext of ['svg', 'png', 'vl.json']) expect(files).toContain(`${figure}.${ext}`);
    }
    const table = JSON.parse(await readFile(join(reportDir, 'summary.json'), 'utf8'));
    expect(table.trueRisk).toBe(demo.trueRisk);
    expect(table.baseline).toBe(demo.report.table.baseline);
    const markdown = await readFile(demo.report.summaryPath, 'utf8');
    expect(markdown).toContain('(squared-error.png)');
    expect(demo.report.table.settings.map((s) => s.acquisition).sort()).toEqual(['adaptive', 'iid']);
    // The report's bootstrap coverage is the simulations' own, finite-population corrected alike.
    for (const method of [demo.active, demo.random]) {
      const summary = JSON.parse(await readFile(join(method.dir, 'summary.json'), 'utf8'));
      expect(summary.config.poolSize).toBe(10_000);
      const setting = table.settings.find((s: { dir: string }) => resolve(s.dir) === resolve(method.dir));
      for (const cell of setting.cells) expect(cell.coverage).toBe(summary.coverage[cell.row]);
    }
  });

  // Seeded: the default adaptive proposal gains about 1.25× over random labelling at 50 labels and
  // 1.5× at 200–400 on this pool (3000-run means; fixed surrogate-ce, which this well-calibrated
  // surrogate favours, 2–2.5×; see docs/adaptive.md). With 2000 runs each MSE ratio has a
  // standard error of about 0.06, so 1.1 sits 2.5 or more standard errors below each ratio; the
  // demo reports the inverse, active ÷ random, as the report does.
  it('shows active testing beating random labelling', () => {
    expect(demo.active.result.options.acquisition).toBe('adaptive');
    for (const ratio of demo.comparison.ratio) expect(ratio).toBeLessThan(1 / 1.1);
    const active = demo.active.summary;
    const last = active.labels.length - 1;
    expect(Math.abs(active.bias[last]!)).toBeLessThan(4 * Math.sqrt(active.mse[last]! / RUNS)); // unbiased
  });

  // 2000 runs: a coverage of 0.95 has a standard error of 0.005, so 0.935 is 3 standard errors below it.
  it('computes the confidence sequence, fixed-budget and bootstrap intervals at the asked label counts, and they cover', async () => {
    expect(DEMO_INTERVAL_LABELS).toEqual(Array.from({ length: 16 }, (_, i) => 25 * (i + 1)));
    for (const method of [demo.active, demo.random]) {
      const intervals = method.summary.intervals;
      for (const kind of ['anytime', 'fixed', 'bootstrap'] as const) expect(intervals?.[kind]?.labels).toEqual(DEMO_LABEL_COUNTS);
      expect(intervals?.anytime?.simultaneous_coverage).toBeGreaterThanOrEqual(0.935);
      for (const c of intervals?.fixed?.coverage ?? []) expect(c).toBeGreaterThanOrEqual(0.935);
      const summary = JSON.parse(await readFile(join(method.dir, 'summary.json'), 'utf8'));
      expect(summary.intervals).toEqual(JSON.parse(JSON.stringify(intervals)));
    }
    const rows = demo.comparison.intervals['adaptive-lure'];
    expect(rows.anytime.coverage).toHaveLength(4);
    for (let i = 0; i < 4; i++) {
      // The sequence is never much narrower than the fixed-budget interval: where both bet the largest
      // fraction their capitals coincide, and the sequence is narrower only through its running
      // intersection with the counts asked before (measured 0.2609 against 0.2609 at 400 labels, and
      // wider before them, 0.667 against 0.556 at 100, being tuned for 400); both wider than nothing.
      expect(rows.anytime.medianHalfWidth[i]).toBeGreaterThan(0.97 * (rows.fixed.medianHalfWidth[i] as number));
      expect(rows.fixed.medianHalfWidth[i]).toBeGreaterThan(0);
    }
    expect(rows.anytime.coverage).toEqual(demo.active.summary.intervals?.anytime?.coverage);
    expect(rows.bootstrap.medianHalfWidth).toEqual(demo.active.summary.intervals?.bootstrap?.median_half_width);
    expect(demo.report.table.settings.every((s) => s.intervals?.anytime?.name === 'anytime-valid confidence sequence')).toBe(true);
  });

  it('gets the same sequence asking only at the interval label counts as asking after every label', () => {
    const pool = syntheticPool({ poolSize: 10_000, classCount: 2, seed: 0 });
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const { samples, q, runs } = demo.active.result;
    const everyLabel = new RiskConfidenceSequence(bounds.lower, bounds.upper);
    const sparse = new RiskConfidenceSequence(bounds.lower, bounds.upper);
    for (let m = 0; m < 100; m++) {
      const index = samples[m * runs] as number;
      everyLabel.add(index, losses[index] as number, q[m * runs] as number);
      sparse.add(index, losses[index] as number, q[m * runs] as number);
      const every = everyLabel.anytime();
      if ((m + 1) % 25 === 0) {
        const asked = sparse.anytime();
        // The same bound up to the solver's stop within 1e-4 of the log-capital threshold, which
        // moves it by that over the log-capital's slope there: measured at most 1.3e-6 of the width.
        const width = every.upper - every.lower;
        expect(Math.abs(asked.lower - every.lower)).toBeLessThan(1e-4 * width);
        expect(Math.abs(asked.upper - every.upper)).toBeLessThan(1e-4 * width);
      }
    }
  });

  it('refuses to run again into the same folder, before doing any work', async () => {
    // No timed assertion: "before any work" means no run has started.
    let progress = 0;
    await expect(runDemo({ out: demo.dir, runs: RUNS, onProgress: () => void progress++ })).rejects.toThrow(OutputExistsError);
    expect(progress).toBe(0);
  });

  it('can be replayed with `simulate` on the pool files it wrote, to the bit', async () => {
    const out = join(dir, 'replay');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await runCli([
      'simulate',
      '--model-scores',
      join(demo.dir, 'pool/model_scores.npy'),
      '--surrogate-scores',
      join(demo.dir, 'pool/surrogate_scores.npy'),
      '--labels',
      join(demo.dir, 'pool/labels.npy'),
      '--runs',
      String(RUNS),
      '--threads',
      '1',
      '--out',
      out,
    ]);
    log.mockRestore();
    expect(code).toBe(0);
    const replayed = await readFile(join(out, 'estimates.npy'));
    expect(replayed.equals(await readFile(join(demo.dir, 'adaptive-lure/estimates.npy')))).toBe(true);
  });
});

describe('newDemoFolder', () => {
  it('names a new folder by time, with a suffix when it exists', async () => {
    const now = new Date('2026-01-31T14:25:01.500Z');
    const first = newDemoFolder(dir, now);
    expect(first).toBe(join(dir, 'demo-20260131-142501'));
    mkdirSync(first);
    expect(newDemoFolder(dir, now)).toBe(join(dir, 'demo-20260131-142501-2'));
  });
});

describe('rowsAtLabelCounts', () => {
  it('picks the last row with at most each count, without repeats', () => {
    expect(rowsAtLabelCounts([1, 2, 3, 4, 5], [2, 4, 9])).toEqual([1, 3, 4]);
    expect(rowsAtLabelCounts([1, 11, 21, 31], [10, 20, 25, 50])).toEqual([0, 1, 2, 3]);
    expect(rowsAtLabelCounts([5, 10], [1])).toEqual([]);
  });
});
