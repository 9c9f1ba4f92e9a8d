import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../src/matrix.js';
import { allErrorsFrame, bootstrapMse, coverage, type ErrorSummary } from '../../src/metrics/index.js';
import { barplotValues, relativeError, relativeLabellingCost } from '../../src/reference/index.js';
import { expectClose, isClose, matrixOf, readFixture } from '../metrics/fixture-helpers.js';
import { oracleFixtureFiles } from './fixture-io.js';

/** Top-level inputs are the true risk (a number) and result matrices (rows of numbers); everything else is cases. */
const isInput = (value: unknown): boolean => typeof value === 'number' || isResultMatrix(value);
const isResultMatrix = (value: unknown): value is number[][] =>
  Array.isArray(value) && Array.isArray(value[0]) && typeof value[0][0] === 'number';

describe.each(oracleFixtureFiles(/^visualize\.json$/))('oracle replay: $label', (file) => {
  const fixture: Record<string, any> = readFixture(file.dir, file.name);
  const replayed = new Map<string, number>();
  const target: number = fixture.target;
  const matrix = (name: string): Matrix => {
    const rows = fixture[name];
    if (!isResultMatrix(rows)) throw new Error(`${file.label} has no result matrix "${name}"`);
    return matrixOf(rows);
  };
  // The reference's metric names (median_se) as the functions' (medianSe).
  const loss = (name: string): ErrorSummary => name.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase()) as ErrorSummary;

  const handlers: Record<string, (entry: any, what: string) => void> = {
    relative_error(e, what) {
      const curve = relativeError(matrix(e.pred), matrix('iid'), target, {
        loss: loss(e.loss),
        smoothing: e.smoothing,
        xlim: e.xlim,
        xAxis: 'reference',
      });
      expectClose(curve.values, e.out, what);
      expect(Array.from(curve.x)).toEqual(e.out.map((_: number, i: number) => i));
    },
    relative_labelling_cost(e, what) {
      const reference = relativeLabellingCost(matrix(e.pred), matrix('iid'), target, {
        loss: loss(e.loss),
        smoothing: e.smoothing,
        xAxis: 'reference',
      });
      expectClose(reference.values, e.out, what);
      const corrected = relativeLabellingCost(matrix(e.pred), matrix('iid'), target, { loss: loss(e.loss), smoothing: e.smoothing });
      expectClose(corrected.values, e.out, `${what} (labels x axis)`);
      expect(corrected.x.length).toBe(e.out.length);
      expect(corrected.x.every((x, i) => i === 0 || x > corrected.x[i - 1]!)).toBe(true);
    },
    barplot_values(e, what) {
      expectClose(barplotValues(matrix(e.pred), matrix('iid'), target, e.thresholds, loss(e.loss)), e.out, what);
    },
    coverage(e, what) {
      const values = coverage(matrix(e.single_run_error), matrix('bootstrap_variance'), target, e.confidence_interval, e.smoothing);
      expectClose(values, e.out, what);
    },
    bootstrap_mse(e, what) {
      expectClose(bootstrapMse(matrix(e.single_run_error), matrix('bootstrap_variance'), target, e.smoothing), e.out, what);
    },
    all_errors_frame(e, what) {
      // The frame does not name its source: it is the first rows of one of the result matrices.
      const rows = Math.max(...e.x);
      const frames = Object.values(fixture)
        .filter((value): value is number[][] => isResultMatrix(value) && value.length >= rows)
        .map((value) => allErrorsFrame(matrixOf(value.slice(0, rows)), target));
      const frame = frames.find((f) => isClose(f.squaredError, e.squared_error));
      expect(frame, `${what}: a result matrix whose first ${rows} rows give these errors`).toBeDefined();
      expect(Array.from(frame!.labels)).toEqual(e.x);
      expectClose(frame!.logSquaredError, e.log_squared_error, `${what} log_squared_error`);
    },
  };

  const cases = Object.entries(fixture).filter(([, value]) => !isInput(value));
  for (const [section, value] of cases) {
    it(`${section}: every entry matches the oracle`, () => {
      const handler = handlers[section];
      expect(handler, `a replay for section ${section}`).toBeDefined();
      const entries: any[] = Array.isArray(value) ? value : [value];
      entries.forEach((entry, index) => {
        handler!(entry, `${section}[${index}]`);
        replayed.set(section, (replayed.get(section) ?? 0) + 1);
      });
    });
  }

  it('replayed every entry of every section', () => {
    const total = cases.reduce((n, [, value]) => n + (Array.isArray(value) ? value.length : 1), 0);
    expect(total).toBeGreaterThan(0);
    expect([...replayed.values()].reduce((n, c) => n + c, 0)).toBe(total);
  });
});
