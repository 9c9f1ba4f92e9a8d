import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toJson } from '../../src/io/json.js';
import { BOOTSTRAP_Z } from '../../src/metrics/index.js';
import { finitePopulationFactor } from '../../src/estimators/bootstrap.js';
import { coverage, lossPerItem, meanBias, medianSe, mse, rowMedian, zeroOneLossPerItem } from '../../src/metrics/index.js';
import { ADAPTIVE_CANDIDATE_COUNT, adaptiveCandidates, varianceDiagnosticRows } from '../../src/acquisition/adaptive/index.js';
import { toMatrix } from '../../src/matrix.js';
import { simulate, type SimulationResult } from '../../src/simulate/simulate.js';
import { simulationOutputBytes } from '../../src/simulate/memory.js';
import {
  simulationOutputNames,
  summarizeIntervals,
  summarizeSimulation,
  summarizeSimulationInTurns,
  writeSimulationOutputs,
} from '../../src/simulate/outputs.js';
import { simulationIntervals, type IntervalKind } from '../../src/simulate/intervals.js';
import { lossBounds } from '../../src/metrics/loss-bounds.js';
import { loadReportSettings } from '../../src/report/load.js';
import { settingCurves } from '../../src/report/curves.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

describe('toJson', () => {
  it('writes non-finite numbers as the strings the oracle fixtures use, not null', () => {
    const text = toJson({ mse: [1.5, NaN, Infinity, -Infinity], nested: { x: 0.1 } });
    expect(JSON.parse(text)).toEqual({ mse: [1.5, 'NaN', 'Infinity', '-Infinity'], nested: { x: 0.1 } });
    expect(text.endsWith('}\n')).toBe(true);
  });
});

describe('simulationOutputBytes', () => {
  it('counts the results, the interval bounds and the kept mixture weights', () => {
    // 400 rows: estimates and bootstrap variances 8 bytes each; per draw samples 4 + q 8. Writing
    // adds no copy (measured: peak RSS grows 11.4 KB per run at this size, through the CLI).
    const plain = { runs: 1000, size: 400, step: 1, bootstrap: 'exact', numerics: 'default' } as const;
    expect(simulationOutputBytes(plain)).toBe(1000 * (400 * 16 + 400 * 12));
    // Two interval kinds: a lower and an upper f8 per row each; 7 mixture weights f8 per draw.
    expect(simulationOutputBytes({ ...plain, intervals: 2, mixtureWeights: 7 }) - simulationOutputBytes(plain)).toBe(
      1000 * (2 * 400 * 16 + 400 * 56),
    );
    // Step 10: 41 rows, 1, 11, …, 391 and the last at 400; the reference's numerics record the first 40 only.
    expect(simulationOutputBytes({ ...plain, step: 10, bootstrap: 'none' })).toBe(1000 * (41 * 8 + 400 * 12));
    expect(simulationOutputBytes({ ...plain, step: 10, bootstrap: 'none', numerics: 'reference' })).toBe(1000 * (40 * 8 + 400 * 12));
  });

  it('sizes the mixture weights by the adaptive candidates there are', () => {
    const pool = syntheticPool({ poolSize: 20, classCount: 3, seed: 1 });
    const candidates = adaptiveCandidates(
      toMatrix({ data: pool.modelScores.data, shape: [20, 3] }, 'f'),
      toMatrix({ data: pool.surrogateScores.data, shape: [20, 3] }, 'g'),
    );
    expect(candidates).toHaveLength(ADAPTIVE_CANDIDATE_COUNT);
  });
});

describe('summarizeSimulation', () => {
  // The one-pass row statistics must give the bits of the separate metrics they replace.
  it.each([37, 40])('gives the same bits as mse, medianSe, meanBias, coverage and the diagnostic rows (%i runs)', async (runs) => {
    const pool = syntheticPool({ poolSize: 2000, classCount: 2, seed: 3 });
    const input = {
      modelScores: { data: pool.modelScores.data, shape: [2000, 2] as [number, number] },
      surrogateScores: { data: pool.surrogateScores.data, shape: [2000, 2] as [number, number] },
      labels: pool.labels,
    };
    const result = await simulate(input, { runs, size: 300, step: 25, seed: 1, threads: 1 });
    const losses = lossPerItem({ data: pool.modelScores.data, rows: 2000, cols: 2 }, pool.labels);
    const errors = zeroOneLossPerItem({ data: pool.modelScores.data, rows: 2000, cols: 2 }, pool.labels);
    const summary = summarizeSimulation(result, {}, losses, errors);
    const estimates = { data: result.estimates, rows: result.rows, cols: runs };
    expect(summary.mse).toEqual(Array.from(mse(estimates, result.trueRisk)));
    expect(summary.median_se).toEqual(Array.from(medianSe(estimates, result.trueRisk)));
    expect(summary.bias).toEqual(Array.from(meanBias(estimates, result.trueRisk)));
    const corrected = new Float64Array(result.rows * runs);
    for (let row = 0; row < result.rows; row++) {
      const factor = finitePopulationFactor(result.labelsPerRow[row]!, 2000);
      for (let r = 0; r < runs; r++) corrected[row * runs + r] = result.bootstrapVariance![row * runs + r]! * factor;
    }
    const expected = coverage(estimates, { data: corrected, rows: result.rows, cols: runs }, result.trueRisk, BOOTSTRAP_Z);
    expect(summary.coverage).toEqual(Array.from(expected));
    const { ratios, verdicts } = varianceDiagnosticRows(result, losses, errors);
    // Each row's median over the runs whose ratio is defined, and the others counted.
    const definedRatios = Array.from({ length: result.rows }, (_, row) =>
      ratios.subarray(row * runs, (row + 1) * runs).filter((ratio) => !Number.isNaN(ratio)),
    );
    expect(summary.variance_ratio).toEqual(
      definedRatios.map((row) => (row.length === 0 ? NaN : rowMedian({ data: row, rows: 1, cols: row.length })[0])),
    );
    expect(summary.variance_ratio_undefined_runs).toEqual(definedRatios.map((row) => runs - row.length));
    const share = (code: number) =>
      Array.from(
        { length: result.rows },
        (_, row) => verdicts.subarray(row * runs, (row + 1) * runs).filter((v) => v === code).length / runs,
      );
    expect(summary.variance_verdict).toEqual({ helping: share(1), hurting: share(2), no_evidence_yet: share(0) });
    // The comparison has teeth: finite ratios, a row left out (after one label every run's ratio is
    // undefined; rows with some runs left out are the next test's), and more than one verdict.
    expect(summary.variance_ratio_undefined_runs![0]).toBe(runs);
    expect(summary.variance_ratio!.filter(Number.isFinite).length).toBeGreaterThan(result.rows / 2);
    expect(new Set(verdicts).size).toBeGreaterThan(1);
    // In turns: the same bits, and the event loop had a turn before it finished.
    let turned = false;
    setImmediate(() => (turned = true));
    const inTurns = await summarizeSimulationInTurns(result, {}, losses, errors);
    expect(turned).toBe(true);
    expect(toJson(inTurns)).toBe(toJson(summary));
  });
});

describe('summarizeSimulation: runs whose variance ratio is undefined', () => {
  // Four runs of two uniform draws from a pool of losses 0, 0, 1, 1. A run whose labels all have
  // the same loss estimates random labelling's variance as 0: its ratio is undefined (0/0), as is
  // every run's after one label. Such a run made the row's median NaN.
  const result = {
    rows: 2,
    runs: 4,
    size: 2,
    labelsPerRow: Int32Array.of(1, 2),
    // Run 0 draws items 0, 1 (losses 0, 0); run 1 items 0, 2; run 2 items 2, 3 (1, 1); run 3 items 1, 3.
    samples: Int32Array.of(0, 0, 2, 1, 1, 2, 3, 3),
    q: Float64Array.of(0.25, 0.25, 0.25, 0.25, 1 / 3, 1 / 3, 1 / 3, 1 / 3),
    estimates: Float64Array.of(0, 0, 1, 0, 0, 0.5, 1, 0.5),
    bootstrapVariance: Float64Array.of(0, 0, 0, 0, 0, 0.0625, 0, 0.125),
    mixtureWeights: null,
    trueRisk: 0.5,
    options: { acquisition: 'iid', estimator: 'lure' },
  } as unknown as SimulationResult;
  const losses = Float64Array.of(0, 0, 1, 1);

  it('takes the median over the runs where it is defined, and records how many were left out', () => {
    const { ratios } = varianceDiagnosticRows(result, losses);
    // Random labelling's variance for runs 1 and 3: (0.5 − 0.5²)/2 · (4 − 2)/(4 − 1); their bootstrap variances are half of it and all of it.
    expect(Array.from(ratios.subarray(4))).toEqual([NaN, 0.5, NaN, 1]);
    const summary = summarizeSimulation(result, {}, losses);
    expect(summary.variance_ratio).toEqual([NaN, 0.75]);
    expect(summary.variance_ratio_undefined_runs).toEqual([4, 2]);
    // The undefined runs read "no evidence yet"; so do the others, whose draws all had importance weight 1.
    expect(summary.variance_verdict).toEqual({ helping: [0, 0], hurting: [0, 0], no_evidence_yet: [1, 1] });
  });
});

describe('summarizeSimulation: the pool size in config', () => {
  // A report reads the pool size from summary.json to correct the bootstrap coverage as the
  // summary did; without it (the demo's summaries once) its coverage came out uncorrected: 0.933
  // against the summary's 0.927 at 400 of 10,000 labels.
  it('records the pool size its coverage was corrected with, so that a report of the folder gives the same coverage', async () => {
    const pool = syntheticPool({ poolSize: 60, classCount: 2, seed: 2 });
    const input = { modelScores: { data: pool.modelScores.data, shape: [60, 2] as [number, number] }, labels: pool.labels };
    const result = await simulate(input, { runs: 200, size: 50, step: 7, seed: 4, threads: 1, acquisition: 'iid', estimator: 'iid' });
    const losses = lossPerItem({ data: pool.modelScores.data, rows: 60, cols: 2 }, pool.labels);
    const summary = summarizeSimulation(result, { pool: 'built-in synthetic' }, losses);
    expect(summary.config.poolSize).toBe(60);
    const dir = await mkdtemp(join(tmpdir(), 'summary-pool-size-'));
    try {
      await writeSimulationOutputs(dir, result, summary);
      const [setting] = await loadReportSettings([dir]);
      const reported = settingCurves(setting!).coverage!;
      expect(Array.from(reported)).toEqual(summary.coverage);
      // With 50 of 60 items labelled the correction matters: uncorrected, more runs are covered (0.065 more, seeded).
      const uncorrected = coverage(
        { data: result.estimates, rows: result.rows, cols: result.runs },
        { data: result.bootstrapVariance!, rows: result.rows, cols: result.runs },
        result.trueRisk,
        BOOTSTRAP_Z,
      );
      expect(uncorrected.at(-1)! - summary.coverage!.at(-1)!).toBeGreaterThan(0.03);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('writeSimulationOutputs: garbage arguments from JavaScript', () => {
  it('refuses a folder, result, summary or options of the wrong kind with an InputError, writing nothing', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'outputs-garbage-'));
    const dir = join(parent, 'out');
    const garbage = (value: unknown): never => value as never;
    try {
      await expect(writeSimulationOutputs(garbage(undefined), garbage({}), garbage({}))).rejects.toThrow(
        /^dir: expected a file path \(a non-empty string\)$/,
      );
      await expect(writeSimulationOutputs(dir, garbage(null), garbage({}))).rejects.toThrow(
        /^result: expected a simulation result \(what simulate returns\), got null$/,
      );
      await expect(writeSimulationOutputs(dir, garbage({}), garbage({}))).rejects.toThrow(
        /^result\.rows: expected an integer ≥ 0, as in a simulation result \(what simulate returns\)$/,
      );
      await expect(writeSimulationOutputs(dir, garbage({ rows: 1, runs: 1, size: 1 }), garbage({}))).rejects.toThrow(
        /^result\.estimates: expected a typed array, as in a simulation result \(what simulate returns\)$/,
      );
      const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
      const input = { modelScores: { data: pool.modelScores.data, shape: [20, 2] as [number, number] }, labels: pool.labels };
      const result = await simulate(input, { runs: 2, size: 5, seed: 1, threads: 1, acquisition: 'iid', estimator: 'iid' });
      await expect(writeSimulationOutputs(dir, result, garbage(undefined))).rejects.toThrow(
        /^summary: expected a summary \(from summarizeSimulation\) or a function that returns one$/,
      );
      await expect(writeSimulationOutputs(dir, result, summarizeSimulation(result, {}), garbage(42))).rejects.toThrow(
        /^options: expected an options object \{ … \}, got 42$/,
      );
      await expect(readdir(parent)).resolves.toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('coverage with the pool size: the same count as summary.json', () => {
  it('counts a run that labelled the whole pool as covering, as summary.json does', async () => {
    const poolSize = 40;
    const pool = syntheticPool({ poolSize, classCount: 3, seed: 1 });
    const input = { modelScores: { data: pool.modelScores.data, shape: [poolSize, 3] as [number, number] }, labels: pool.labels };
    const result = await simulate(input, { runs: 50, size: poolSize, step: 13, seed: 1, threads: 1, acquisition: 'iid', estimator: 'iid' });
    const losses = lossPerItem({ data: pool.modelScores.data, rows: poolSize, cols: 3 }, pool.labels);
    const summary = summarizeSimulation(result, { poolSize }, losses);
    expect(Array.from(result.labelsPerRow)).toEqual([1, 14, 27, 40]);
    const corrected = result.bootstrapVariance!.map(
      (v, j) => v * finitePopulationFactor(result.labelsPerRow[Math.floor(j / result.runs)]!, poolSize),
    );
    const estimates = { data: result.estimates, rows: result.rows, cols: result.runs };
    const variances = { data: corrected, rows: result.rows, cols: result.runs };
    // At 40 of 40 labels the corrected variance is 0 and every estimate is the pool mean summed in
    // draw order, some a few ulps from the true risk: without the rounding allowance none is inside.
    expect(summary.coverage).toEqual([0, 0.92, 0.9, 1]);
    expect(Array.from(coverage(estimates, variances, result.trueRisk))).toEqual([0, 0.92, 0.9, 0]);
    expect(Array.from(coverage(estimates, variances, result.trueRisk, BOOTSTRAP_Z, 1, poolSize))).toEqual(summary.coverage);
    expect(() => coverage(estimates, variances, result.trueRisk, BOOTSTRAP_Z, 1, 0.5)).toThrow(
      /^poolSize: expected an integer ≥ 1, got 0.5$/,
    );
  });
});

describe('summarizeSimulation: the variance diagnostic', () => {
  // A pool of 200 with 60 labels a run: the naive IS estimator's bias (its weights ignore the items
  // already drawn) and the plain mean of actively drawn labels give a small variance and a large error.
  const pool = syntheticPool({ poolSize: 200, classCount: 3, seed: 5 });
  const f = { data: pool.modelScores.data, rows: 200, cols: 3 };
  const losses = lossPerItem(f, pool.labels);
  const errors = zeroOneLossPerItem(f, pool.labels);
  const summaryOf = async (acquisition: 'iid' | 'surrogate-ce' | 'adaptive', estimator: 'lure' | 'is' | 'iid') => {
    const result = await simulate(pool, { runs: 300, size: 60, step: 20, seed: 2, threads: 1, acquisition, estimator });
    return summarizeSimulation(result, {}, losses, errors);
  };

  it.each([
    ['surrogate-ce', 'is'],
    ['adaptive', 'is'],
    ['surrogate-ce', 'iid'],
  ] as const)('is left out where the estimator is biased under the proposal (%s, %s)', async (acquisition, estimator) => {
    const summary = await summaryOf(acquisition, estimator);
    expect(summary.coverage).toBeDefined();
    expect(summary.variance_ratio).toBeUndefined();
    expect(summary.variance_verdict).toBeUndefined();
  });

  it.each([
    ['adaptive', 'lure'],
    ['surrogate-ce', 'lure'],
    ['iid', 'iid'],
  ] as const)('is kept where the estimator is unbiased (%s, %s)', async (acquisition, estimator) => {
    const summary = await summaryOf(acquisition, estimator);
    // Rows at 1, 21, 41 and 60 labels.
    expect(summary.variance_ratio).toHaveLength(4);
    expect(summary.variance_verdict?.helping).toHaveLength(4);
  });
});

describe('writeSimulationOutputs and summarizeSimulation refuse what they would record wrongly', () => {
  it('refuses a summary without what a report reads, an unknown option and an unknown input, writing nothing', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'at-summary-shape-'));
    const dir = join(parent, 'out');
    try {
      const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
      const input = { modelScores: { data: pool.modelScores.data, shape: [20, 2] as [number, number] }, labels: pool.labels };
      const result = await simulate(input, { runs: 2, size: 5, seed: 1, threads: 1, acquisition: 'iid', estimator: 'iid' });
      // summary.json is the folder's commit marker: { hello: 1 } would have made the folder count as complete.
      await expect(writeSimulationOutputs(dir, result, { hello: 1 } as never)).rejects.toThrow(
        /^summary\.true_risk: expected a number, as in a summary from summarizeSimulation\(result, inputs\), got undefined$/,
      );
      const summary = summarizeSimulation(result, {});
      await expect(writeSimulationOutputs(dir, result, { ...summary, labels: [1] })).rejects.toThrow(
        /^summary\.labels: expected the label count of each of the result's 5 rows, as in a summary from summarizeSimulation\(result, inputs\), got \[1\]$/,
      );
      await expect(writeSimulationOutputs(dir, result, () => ({ ...summary, config: null }) as never)).rejects.toThrow(
        /^summary\(\)\.config: expected an object, as in a summary from summarizeSimulation\(result, inputs\), got null$/,
      );
      await expect(writeSimulationOutputs(dir, result, summary, { overwrite: true } as never)).rejects.toThrow(
        /^overwrite: expected a known option, did you mean force\? \(valid: force, intervals, signal\)$/,
      );
      // Not even the folder: the function's summary is checked after the folder was made for the arrays.
      expect(existsSync(dir)).toBe(false);
      expect(() => summarizeSimulation(result, { modelScore: 'x' })).toThrow(
        /^inputs\.modelScore: expected a known option, did you mean modelScores\? \(valid: modelScores, /,
      );
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('writeSimulationOutputs refuses to replace outputs without force', () => {
  it("says so in a library caller's words: the force key, not the command's flag", async () => {
    const parent = await mkdtemp(join(tmpdir(), 'at-outputs-exist-'));
    const dir = join(parent, 'out');
    try {
      const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
      const input = { modelScores: { data: pool.modelScores.data, shape: [20, 2] as [number, number] }, labels: pool.labels };
      const result = await simulate(input, { runs: 2, size: 5, seed: 1, threads: 1, acquisition: 'iid', estimator: 'iid' });
      const summary = summarizeSimulation(result, {});
      await writeSimulationOutputs(dir, result, summary);
      await expect(writeSimulationOutputs(dir, result, summary)).rejects.toThrow(
        new RegExp(`^${join(dir, '[a-z_]+\\.(npy|json)').replace(/\//g, '\\/')} already exists; pass force: true to replace it$`),
      );
      await writeSimulationOutputs(dir, result, summary, { force: true });
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('simulationOutputNames', () => {
  // An experiment checks a finished setting against this list: it must name what is written.
  it('names the files writeSimulationOutputs writes, for every bootstrap, interval and estimator', async () => {
    const pool = syntheticPool({ poolSize: 40, classCount: 2, seed: 4 });
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const parent = await mkdtemp(join(tmpdir(), 'at-output-names-'));
    const cases: Array<[string, 'none' | 'exact', 'lure' | 'ase', IntervalKind[]]> = [
      ['none', 'none', 'lure', []],
      ['exact', 'exact', 'lure', []],
      ['none-anytime-fixed', 'none', 'lure', ['anytime', 'fixed']],
      ['exact-all', 'exact', 'lure', ['anytime', 'fixed', 'bootstrap']],
      ['exact-bootstrap', 'exact', 'lure', ['bootstrap']],
      ['ase-anytime', 'exact', 'ase', ['anytime']],
      ['ase-none-fixed', 'none', 'ase', ['fixed']],
    ];
    try {
      for (const [name, bootstrap, estimator, kinds] of cases) {
        const options = { runs: 2, size: 6, seed: 1, threads: 1, acquisition: 'surrogate-ce', estimator, bootstrap } as const;
        const result = await simulate({ ...pool, surrogateScores: pool.surrogateScores }, options);
        const intervals = simulationIntervals(result, losses, bounds, kinds);
        const summary = { ...summarizeSimulation(result, {}), ...(kinds.length === 0 ? {} : { intervals: summarizeIntervals(intervals) }) };
        const dir = join(parent, name);
        await writeSimulationOutputs(dir, result, summary, { intervals });
        const expected = simulationOutputNames({ bootstrap: bootstrap !== 'none', intervals: kinds });
        expect((await readdir(dir)).sort(), name).toEqual([...expected].sort());
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
