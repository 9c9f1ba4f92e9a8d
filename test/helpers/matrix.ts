import type { Matrix } from '../../src/matrix.js';

/** A row-major float64 `Matrix` from nested rows (all of the same length). */
export function matrix(rows: number[][]): Matrix {
  return { data: Float64Array.from(rows.flat()), rows: rows.length, cols: rows[0]?.length ?? 0 };
}
