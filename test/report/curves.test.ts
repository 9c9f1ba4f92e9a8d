import { describe, expect, it, vi } from 'vitest';
import type { Matrix } from '../../src/matrix.js';
import { medianSe, mse, rowPercentile, se } from '../../src/metrics/index.js';
import { relativeError, relativeLabellingCost } from '../../src/reference/index.js';
import { randomStream } from '../../src/random.js';
import { labellingCostVsRandom, nearestRow, relativeToRandom, settingCurves, smoothCurve } from '../../src/report/curves.js';
import type { ReportSetting } from '../../src/report/setting.js';
import { summaryTable } from '../../src/report/table.js';

function setting(estimates: Matrix, options: Partial<ReportSetting> = {}): ReportSetting {
  return {
    name: options.name ?? 'x',
    dir: '.',
    acquisition: 'surrogate-ce',
    estimator: 'lure',
    trueRisk: 0,
    labels: Float64Array.from({ length: estimates.rows }, (_, k) => k + 1),
    labelOffset: 0,
    estimates,
    ...options,
  };
}

/** One-run matrix whose squared errors are the given values (estimate = sqrt(value), true risk 0). */
function withSquaredErrors(values: number[]): Matrix {
  return { data: Float64Array.from(values, Math.sqrt), rows: values.length, cols: 1 };
}

function randomMatrix(rows: number, cols: number, seed: number, decay: number): Matrix {
  const u = randomStream(seed, [rows, cols]);
  return {
    data: Float64Array.from({ length: rows * cols }, (_, i) => (u() - 0.5) / Math.sqrt(1 + Math.floor(i / cols)) ** decay),
    rows,
    cols,
  };
}

describe('settingCurves: the bootstrap interval', () => {
  // simulate reports no coverage for ASE (its bootstrap ignores the unlabelled items); a report of
  // an ASE run that kept its bootstrap_variance.npy showed 0.000 and 0.067 where the run said none.
  it('has no coverage or mean bootstrap variance for ASE, and both for LURE on the same arrays', () => {
    const estimates = { data: Float64Array.of(0.1, -0.3, 0.15, 0.05), rows: 2, cols: 2 };
    const bootstrapVariance = { data: Float64Array.of(0.01, 0.01, 0.01, 0.01), rows: 2, cols: 2 };
    const ase = settingCurves(setting(estimates, { estimator: 'ase', bootstrapVariance }));
    expect(ase.coverage).toBeUndefined();
    expect(ase.meanBootstrapVariance).toBeUndefined();
    expect(ase.mse[0]).toBeCloseTo(0.05, 15);
    expect(ase.mse[1]).toBeCloseTo(0.0125, 15);
    const lure = settingCurves(setting(estimates, { bootstrapVariance }));
    // ±1.96·0.1 = ±0.196 covers the true risk 0 for |e| ≤ 0.196: one run of row 0, both of row 1.
    expect(Array.from(lure.coverage!)).toEqual([0.5, 1]);
    expect(Array.from(lure.meanBootstrapVariance!)).toEqual([0.01, 0.01]);
  });
});

describe('settingCurves: coverage as simulate counts it', () => {
  // At M = N the bootstrap variance is 0 and the estimate is the pool mean summed in draw order,
  // a few ulps from the true risk: simulate's summary.json widens the interval for that rounding
  // and reads 1 there, the report read 0 beside it (and beside the bootstrap interval kind's 1).
  it('widens the interval by the rounding allowance when the pool size is recorded, and only then', () => {
    const trueRisk = 0.1 + 0.2; // 0.30000000000000004
    const estimates = { data: Float64Array.of(0.3, 0.3, 0.3, 0.3, 0.3, 0.3), rows: 3, cols: 2 };
    const bootstrapVariance = { data: Float64Array.of(0, 0, 0.01, 0, 0, 0), rows: 3, cols: 2 };
    const withPool = settingCurves(setting(estimates, { trueRisk, bootstrapVariance, pool: { size: 3 } }));
    // Row 0 (1 label, σ = 0): 2ε·3·0.3 ≈ 4e-16 covers the 1-ulp (5.6e-17) miss; row 1: ±1.96·0.1·√(1/2) covers run 0, the allowance run 1; row 2 is M = N.
    expect(Array.from(withPool.coverage!)).toEqual([1, 1, 1]);
    const withoutPool = settingCurves(setting(estimates, { trueRisk, bootstrapVariance }));
    expect(Array.from(withoutPool.coverage!)).toEqual([0, 0.5, 0]);
  });

  it('counts a run with an infinite variance (its squares overflowed) as covered, and at M = N as the point', () => {
    const trueRisk = 2.5e299;
    const estimates = { data: Float64Array.of(1e299, 2.5e299), rows: 2, cols: 1 };
    const bootstrapVariance = { data: Float64Array.of(Infinity, Infinity), rows: 2, cols: 1 };
    const curves = settingCurves(setting(estimates, { trueRisk, bootstrapVariance, labels: Float64Array.of(2, 4), pool: { size: 4 } }));
    expect(Array.from(curves.coverage!)).toEqual([1, 1]);
  });
});

describe('relativeToRandom and labellingCostVsRandom', () => {
  it('agree with the reference formulas (metrics.relativeError / relativeLabellingCost) when labels align', () => {
    const random = randomMatrix(120, 30, 1, 1);
    const active = randomMatrix(120, 30, 2, 1.3);
    const a = settingCurves(setting(active));
    const b = settingCurves(setting(random, { acquisition: 'iid', estimator: 'iid' }));
    for (const metric of ['mse', 'medianSe'] as const) {
      expect(relativeToRandom(a, b, metric)).toEqual(Array.from(relativeError(active, random, 0, { loss: metric }).values));
      const reference = relativeLabellingCost(active, random, 0, { loss: metric });
      const ours = labellingCostVsRandom(a, b, metric);
      const matched = ours.cost.flatMap((c, i) => (c === null ? [] : [[ours.budgets[i], c]]));
      expect(matched).toEqual(Array.from(reference.x, (x, i) => [x, reference.values[i]]));
      expect(matched.length).toBeGreaterThan(100);
    }
  });

  it('compare k active labels plus the ICL offset with that many random labels', () => {
    const random = settingCurves(setting(withSquaredErrors([16, 9, 4, 1]), { acquisition: 'iid', estimator: 'iid' }));
    const active = settingCurves(setting(withSquaredErrors([1, 0.25, 0.25]), { labelOffset: 2 }));
    // Active row k (k + 1 labels) against random at k + 1 + 2 labels: 1/4, 0.25/1, and no random row with 5 labels.
    expect(relativeToRandom(active, random, 'mse')).toEqual([0.25, 0.25, null]);
    // Random budgets 1..4 (errors 16, 9, 4, 1): active reaches each with its first label, so costs (1 + 2)/budget.
    const { budgets, cost } = labellingCostVsRandom(active, random, 'mse');
    expect(Array.from(budgets)).toEqual([1, 2, 3, 4]);
    expect(cost).toEqual([3, 1.5, 1, 0.75]);
  });

  it('leaves budgets the method never reaches as gaps, at their own x (unlike the reference, SPEC B-V3)', () => {
    const random = settingCurves(setting(withSquaredErrors([4, 3, 0.5, 2]), { acquisition: 'iid', estimator: 'iid' }));
    const active = settingCurves(setting(withSquaredErrors([3, 1, 1, 1])));
    expect(labellingCostVsRandom(active, random, 'mse').cost).toEqual([1, 0.5, null, 0.5]);
  });
});

describe('relativeToRandom and labellingCostVsRandom where random labelling is exact', () => {
  // A pool whose items all have the same loss (a uniform target under cross-entropy: log 3 for
  // any label): random labelling's mean of M equal losses is R up to rounding, LURE's R exactly,
  // and the report read "0.000 × random" (or 225× with the rounding the other way round).
  const trueRisk = Math.log(3);
  const rounded = trueRisk * (1 + Number.EPSILON);
  const constant = (value: number) => ({ data: Float64Array.of(value, value, trueRisk, value), rows: 2, cols: 2 });
  it('gives no ratio and no cost where its error is rounding, the pool size recorded or not', () => {
    for (const pool of [{ pool: { size: 1000 } }, {}]) {
      const random = settingCurves(setting(constant(rounded), { trueRisk, acquisition: 'iid', estimator: 'iid', ...pool }));
      const active = settingCurves(setting(constant(trueRisk), { trueRisk, ...pool }));
      expect(random.mse[0]).toBeGreaterThan(0);
      expect(relativeToRandom(active, random, 'mse')).toEqual([null, null]);
      expect(relativeToRandom(active, random, 'medianSe')).toEqual([null, null]);
      expect(labellingCostVsRandom(active, random, 'mse').cost).toEqual([null, null]);
    }
  });

  it('gives a ratio against an error above the allowance (2ε·N·R)², and none below it', () => {
    // R = 1, N = 1000: the allowance is (4.4e-13)² = 2e-25.
    const pool = { trueRisk: 1, pool: { size: 1000 } };
    const oneRow = (error: number) => ({ data: Float64Array.of(1 + Math.sqrt(error)), rows: 1, cols: 1 });
    const active = settingCurves(setting(oneRow(2 ** -70), pool));
    const ratio = (randomError: number) =>
      relativeToRandom(active, settingCurves(setting(oneRow(randomError), { ...pool, acquisition: 'iid', estimator: 'iid' })), 'mse')[0];
    expect(ratio(1e-20)).toBeGreaterThan(0);
    expect(ratio(1e-26)).toBeNull();
  });

  it('gives no ratio against an error of exactly 0, and still one against a small real error', () => {
    const random = settingCurves(setting(withSquaredErrors([0, 2 ** -64]), { acquisition: 'iid', estimator: 'iid' }));
    const active = settingCurves(setting(withSquaredErrors([0, 2 ** -66])));
    expect(relativeToRandom(active, random, 'mse')).toEqual([null, 0.25]);
    // Random labelling's 2 labels reach 2^-64; the active setting's first label already has error 0.
    expect(labellingCostVsRandom(active, random, 'mse').cost).toEqual([null, 0.5]);
  });
});

describe('summaryTable where random labelling is exact at the last row', () => {
  // A 401-item pool recorded every 4 labels (1, 5, …, 397, 401): the column of 400 labels is the
  // row of 401, whose ratio is empty; it moved to the row of 397, with that row's MSE and labels.
  it("keeps the threshold's row, its relative MSE empty", () => {
    const trueRisk = 0.5;
    const labels = Float64Array.from({ length: 101 }, (_, k) => 4 * k + 1);
    const errors = (last: number) => ({
      data: Float64Array.from(labels, (_, k) => (k === 100 ? last : trueRisk + 0.1 / Math.sqrt(k + 1))),
      rows: 101,
      cols: 1,
    });
    const options = { trueRisk, labels, pool: { size: 401 } };
    const random = settingCurves(setting(errors(trueRisk * (1 + Number.EPSILON)), { ...options, acquisition: 'iid', estimator: 'iid' }));
    const active = settingCurves(setting(errors(trueRisk), options));
    const table = summaryTable([random, active], random, { thresholds: [200, 400] });
    for (const s of table.settings) expect(s.cells.map((c) => c.labels)).toEqual([201, 401]);
    expect(table.settings[1]!.cells[1]).toMatchObject({ labels: 401, mse: 0, relativeMse: null });
    expect(table.settings[1]!.cells[0]!.relativeMse).toBe(1);
  });
});

describe('settingCurves', () => {
  it('gives the 45th and 55th percentiles of the squared error around the median', () => {
    const curves = settingCurves(setting({ data: Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), rows: 1, cols: 11 }));
    expect(curves.medianSe[0]).toBe(36);
    expect(curves.p45[0]).toBeCloseTo(25 + 0.5 * 11, 12); // numpy 'linear': position 4.5 between 25 and 36
    expect(curves.p55[0]).toBeCloseTo(36 + 0.5 * 13, 12);
    expect(curves.coverage).toBeUndefined();
  });

  it('equals the per-row metrics to the bit, sorting each row once for both percentiles', () => {
    const estimates = randomMatrix(12, 1500, 3, 1);
    const trueRisk = 0.01;
    const sort = vi.spyOn(Float64Array.prototype, 'sort');
    let sorts: number;
    let curves: ReturnType<typeof settingCurves>;
    try {
      curves = settingCurves(setting(estimates, { trueRisk }));
      sorts = sort.mock.calls.length;
    } finally {
      sort.mockRestore();
    }
    expect(sorts).toBe(estimates.rows);
    const squared = se(estimates, trueRisk);
    expect(Array.from(curves.mse)).toEqual(Array.from(mse(estimates, trueRisk)));
    expect(Array.from(curves.medianSe)).toEqual(Array.from(medianSe(estimates, trueRisk)));
    expect(Array.from(curves.p45)).toEqual(Array.from(rowPercentile(squared, 45)));
    expect(Array.from(curves.p55)).toEqual(Array.from(rowPercentile(squared, 55)));
  });
});

describe('smoothCurve and nearestRow', () => {
  it('smooths over present values and keeps gaps in place', () => {
    expect(smoothCurve([1, null, 3, 5], 2)).toEqual([1, null, 2, 4]);
    expect(smoothCurve([1, null, 3], 1)).toEqual([1, null, 3]);
  });
  it('picks the nearest recorded row, the lower on a tie', () => {
    const labels = Float64Array.of(1, 11, 21, 31);
    expect([nearestRow(labels, 15), nearestRow(labels, 16), nearestRow(labels, 16.5), nearestRow(labels, 400)]).toEqual([1, 1, 2, 3]);
  });
});
