import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';
import type { Matrix, ReportSetting, SimulationResult, SyntheticPool } from '../../src/index.js';

// docs/simulate.md, "Analysing simulation results in code": its snippet runs here as written
// (only its import becomes the package root's exports), and what its table says of each function
// is checked against the same simulations, by hand where the doc gives a formula.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HEADING = '## Analysing simulation results in code';

/** The section's ```ts block. */
function snippet(): string {
  const doc = readFileSync(join(repo, 'docs/simulate.md'), 'utf8');
  const section = doc.slice(doc.indexOf(HEADING));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (doc.indexOf(HEADING) === -1 || match === null) throw new Error(`docs/simulate.md has no ts block under "${HEADING}"`);
  return match[1]!;
}

interface SnippetRun {
  pool: SyntheticPool;
  active: SimulationResult;
  random: SimulationResult;
  activeMse: Float64Array;
  randomMse: Float64Array;
  printed: string[];
  promised: string[];
}

/** Runs the snippet with its imports taken from the package root; returns its variables and what it printed. */
async function runSnippet(): Promise<SnippetRun> {
  const code = snippet();
  const importLine = /^import \{([^}]*)\} from 'active-testing';\n/m.exec(code);
  if (importLine === null) throw new Error("the snippet imports nothing from 'active-testing'");
  const names = importLine[1]!.split(',').map((name) => name.trim());
  const exports = library as unknown as Record<string, unknown>;
  for (const name of names) expect(exports[name], `${name} is exported from the package root`).toBeDefined();
  const body = code.replace(importLine[0], '');
  const printed: string[] = [];
  const console = { log: (line: string) => printed.push(line) };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<unknown>;
  const run = new AsyncFunction(...names, 'console', `${body}\nreturn { pool, active, random, activeMse, randomMse };`);
  const variables = (await run(...names.map((name) => exports[name]), console)) as Omit<SnippetRun, 'printed' | 'promised'>;
  // The comment lines after the loop: what the doc says it prints.
  const promised = [...body.matchAll(/^\/\/ (\d+ labels: .*)$/gm)].map((m) => m[1]!);
  return { ...variables, printed, promised };
}

const asMatrix = (data: Float64Array, result: SimulationResult): Matrix => ({ data, rows: result.rows, cols: result.runs });

/** Row k of a rows × runs table. */
const row = (data: Float64Array, result: SimulationResult, k: number): number[] =>
  Array.from(data.subarray(k * result.runs, (k + 1) * result.runs));

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function sortedMedian(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/** |a − b| within `tolerance` of b's size. */
function expectClose(a: number, b: number, tolerance = 1e-12): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tolerance * Math.abs(b));
}

describe('docs/simulate.md: analysing simulation results in code', () => {
  let run: SnippetRun;
  beforeAll(async () => {
    run = await runSnippet();
  });

  it('runs the snippet, which prints what its comments say', () => {
    expect(run.promised).toHaveLength(3);
    expect(run.printed).toEqual(run.promised);
    expect(run.active.options.acquisition).toBe('adaptive');
    expect(run.random.options.acquisition).toBe('iid');
    expect([run.active.rows, run.active.runs]).toEqual([100, 500]);
    // On this pool active testing has the smaller error at every printed label count.
    for (const k of [9, 49, 99]) expect(run.activeMse[k]! / run.randomMse[k]!).toBeLessThan(1);
  });

  it("mse is the mean over runs of (estimate − true risk)², from the result's own estimates", () => {
    for (const result of [run.active, run.random]) {
      const mse = result === run.active ? run.activeMse : run.randomMse;
      expect(mse).toHaveLength(result.rows);
      for (let k = 0; k < result.rows; k++) {
        expectClose(mse[k]!, mean(row(result.estimates, result, k).map((e) => (e - result.trueRisk) ** 2)));
      }
    }
    expect(run.active.labelsPerRow[99]).toBe(100);
  });

  it("gives summary.json's mse, median_se and bias, and mse = meanVariance + meanBias²", () => {
    const { active } = run;
    const e = asMatrix(active.estimates, active);
    const R = active.trueRisk;
    const summary = library.summarizeSimulation(active, {});
    expect(Array.from(library.mse(e, R))).toEqual(summary.mse);
    expect(Array.from(library.medianSe(e, R))).toEqual(summary.median_se);
    expect(Array.from(library.meanBias(e, R))).toEqual(summary.bias);
    const variance = library.meanVariance(e);
    const bias = library.meanBias(e, R);
    for (let k = 0; k < active.rows; k++) {
      expectClose(variance[k]!, mean(row(active.estimates, active, k).map((x, _, all) => (x - mean(all)) ** 2)));
      expectClose(variance[k]! + bias[k]! ** 2, run.activeMse[k]!, 1e-9);
      expectClose(library.medianSe(e, R)[k]!, sortedMedian(row(active.estimates, active, k).map((x) => (x - R) ** 2)));
    }
    const logs = row(active.estimates, active, 99).map((x) => Math.log((x - R) ** 2));
    expectClose(library.meanLogMse(e, R)[99]!, mean(logs));
  });

  it('per-estimate errors: se, bias, logMse, allErrorsFrame, and percentile on a row of se', () => {
    const { active } = run;
    const e = asMatrix(active.estimates, active);
    const R = active.trueRisk;
    const se = library.se(e, R);
    expect([se.rows, se.cols]).toEqual([active.rows, active.runs]);
    const j = 99 * active.runs + 7;
    expect(se.data[j]).toBe((active.estimates[j]! - R) ** 2);
    expect(library.bias(e, R).data[j]).toBe(active.estimates[j]! - R);
    expect(library.logMse(e, R).data[j]).toBe(Math.log((active.estimates[j]! - R) ** 2));
    const frame = library.allErrorsFrame(e, R, active.labelsPerRow);
    expect(frame.labels).toHaveLength(active.rows * active.runs);
    expect(frame.labels[j]).toBe(active.labelsPerRow[99]);
    expect(frame.squaredError).toEqual(se.data);
    const lastRow = se.data.subarray(99 * active.runs, 100 * active.runs);
    expect(library.percentile(lastRow, 50)).toBe(library.medianSe(e, R)[99]);
    expect(library.median(lastRow)).toBe(library.medianSe(e, R)[99]);
  });

  it("coverage: raw variances as given; with the finite-population factor it is summary.json's coverage", () => {
    const { active, pool } = run;
    const e = asMatrix(active.estimates, active);
    const R = active.trueRisk;
    const v = active.bootstrapVariance!;
    const raw = library.coverage(e, asMatrix(v, active), R);
    const z = library.BOOTSTRAP_Z;
    const inside = (variances: Float64Array, k: number): number =>
      row(active.estimates, active, k).filter((x, r) => Math.abs(x - R) <= z * Math.sqrt(variances[k * active.runs + r]!)).length /
      active.runs;
    for (const k of [0, 9, 49, 99]) expect(raw[k]).toBe(inside(v, k));
    expect(Array.from(raw)).toEqual(library.summarizeSimulation(active, {}).coverage);

    const poolSize = pool.labels.length;
    const corrected = v.map((x, j) => x * library.finitePopulationFactor(active.labelsPerRow[Math.floor(j / active.runs)]!, poolSize));
    expect(Array.from(library.coverage(e, asMatrix(corrected, active), R))).toEqual(
      library.summarizeSimulation(active, { poolSize }).coverage,
    );
    expect(raw[99]).toBeGreaterThan(0.85);
    expect(() => library.coverage(e, { data: v.subarray(0, active.runs), rows: 1, cols: active.runs }, R)).toThrow(library.InputError);
  });

  it('bootstrapMse is the median over runs of (v − (e − R)²)²', () => {
    const { active } = run;
    const R = active.trueRisk;
    const v = active.bootstrapVariance!;
    const quality = library.bootstrapMse(asMatrix(active.estimates, active), asMatrix(v, active), R);
    for (const k of [0, 49, 99]) {
      const gaps = row(active.estimates, active, k).map((x, r) => (v[k * active.runs + r]! - (x - R) ** 2) ** 2);
      expect(quality[k]).toBe(sortedMedian(gaps));
    }
  });

  it("varianceDiagnosticRows: its median per row is summary.json's variance_ratio, its verdicts the shares", () => {
    const { active, pool } = run;
    const losses = library.lossPerItem(pool.modelScores, pool.labels);
    const errors = library.zeroOneLossPerItem(pool.modelScores, pool.labels);
    const { ratios, verdicts } = library.varianceDiagnosticRows(active, losses, errors);
    expect(ratios).toHaveLength(active.rows * active.runs);
    const summary = library.summarizeSimulation(active, {}, losses, errors);
    for (const k of [9, 49, 99]) {
      expect(sortedMedian(row(ratios, active, k))).toBe(summary.variance_ratio![k]);
      const helping = Array.from(verdicts.subarray(k * active.runs, (k + 1) * active.runs)).filter(
        (code) => library.VARIANCE_VERDICTS[code] === 'helping',
      );
      expect(helping.length / active.runs).toBe(summary.variance_verdict!.helping[k]);
    }
    expect(library.VARIANCE_VERDICTS).toContain(library.VARIANCE_VERDICTS[verdicts[(active.rows - 1) * active.runs]!]);
    expect(() => library.varianceDiagnosticRows(active, losses, errors.subarray(1))).toThrow(library.InputError);
  });

  it('settingCurves and relativeToRandom on the two settings give the ratios the snippet prints', () => {
    const setting = (result: SimulationResult, name: string): ReportSetting => ({
      name,
      dir: name,
      acquisition: result.options.acquisition,
      estimator: result.options.estimator,
      trueRisk: result.trueRisk,
      labels: Float64Array.from(result.labelsPerRow),
      labelOffset: 0,
      estimates: asMatrix(result.estimates, result),
      bootstrapVariance: asMatrix(result.bootstrapVariance!, result),
    });
    const active = library.settingCurves(setting(run.active, 'adaptive'));
    const random = library.settingCurves(setting(run.random, 'iid'));
    expect(active.mse).toEqual(run.activeMse);
    const relative = library.relativeToRandom(active, random, 'mse');
    for (const k of [9, 49, 99]) expect(relative[k]).toBe(run.activeMse[k]! / run.randomMse[k]!);
    expect(relative[9]!.toFixed(2)).toBe('0.87');
    expect(relative[99]!.toFixed(2)).toBe('0.47');
  });
});
