import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Matrix } from '../../src/matrix.js';

/** Reads an oracle fixture, turning the strings "NaN", "Infinity", "-Infinity" back into numbers. */
export function readFixture(dir: string, name: string): any {
  return JSON.parse(readFileSync(join(dir, name), 'utf8'), (_key, value) => {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    return value;
  });
}

export interface FixturePool {
  id: string;
  N: number;
  K: number;
  modelScores: Matrix;
  surrogateScores: Matrix;
  labels: Int32Array;
  labelsOneHot: Matrix;
}

/** The pools of `pools.json`, by id. */
export function readPools(dir: string): Map<string, FixturePool> {
  const pools = new Map<string, FixturePool>();
  for (const p of readFixture(dir, 'pools.json').pools) {
    const labels = Int32Array.from(p.labels as number[]);
    const oneHot = new Float64Array(p.N * p.K);
    labels.forEach((y, i) => (oneHot[i * p.K + y] = 1));
    pools.set(p.id, {
      id: p.id,
      N: p.N,
      K: p.K,
      modelScores: matrixOf(p.model_scores),
      surrogateScores: matrixOf(p.surrogate_scores),
      labels,
      labelsOneHot: { data: oneHot, rows: p.N, cols: p.K },
    });
  }
  return pools;
}

/** A Matrix from nested number arrays (non-finite values allowed: fixtures contain −∞ logits). */
export function matrixOf(rows: number[][]): Matrix {
  const cols = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => row.forEach((v, k) => (data[i * cols + k] = v)));
  return { data, rows: rows.length, cols };
}

/** Nested rows of a Matrix, for comparison with fixture values. */
export function rowsOf(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

export const RTOL = 1e-12;
export const ATOL = 1e-20;

/** The oracle's comparison rule, element-wise over nested arrays: exact, both NaN, within ATOL, or within RTOL relative. */
export function expectClose(actual: unknown, expected: unknown, what: string, rtol = RTOL): void {
  expect(shapeOf(actual), `${what}: shape`).toEqual(shapeOf(expected));
  const mismatch = firstMismatch(actual, expected, rtol);
  if (mismatch) expect.fail(`${what}${mismatch}`);
}

/** Whether two nested numeric arrays agree under the oracle's rule. */
export function isClose(actual: unknown, expected: unknown, rtol = RTOL): boolean {
  return JSON.stringify(shapeOf(actual)) === JSON.stringify(shapeOf(expected)) && firstMismatch(actual, expected, rtol) === null;
}

function firstMismatch(actual: unknown, expected: unknown, rtol: number): string | null {
  const flatActual = flatten(actual);
  const flatExpected = flatten(expected);
  for (let i = 0; i < flatExpected.length; i++) {
    const a = flatActual[i] as number;
    const b = flatExpected[i] as number;
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    const difference = Math.abs(a - b);
    const relative = difference <= ATOL ? 0 : difference / Math.max(Math.abs(a), Math.abs(b));
    if (!(relative <= rtol)) return `[${i}]: got ${a}, expected ${b} (relative difference ${relative})`;
  }
  return null;
}

function flatten(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.flatMap(flatten);
  throw new Error(`not numeric: ${String(value)}`);
}

function shapeOf(value: unknown): number[] {
  if (typeof value === 'number') return [];
  if (ArrayBuffer.isView(value)) return [(value as unknown as ArrayLike<number>).length];
  if (Array.isArray(value)) return value.length === 0 ? [0] : [value.length, ...shapeOf(value[0])];
  return [-1];
}
