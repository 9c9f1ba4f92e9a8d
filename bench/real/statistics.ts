import { randomStream } from '../../src/random.js';

/** A Monte Carlo ratio and its standard error. */
export interface RatioWithError {
  readonly ratio: number;
  readonly se: number;
}

/** Squared errors `(estimate − truth)²` of one budget's row of runs. */
export function squaredErrors(estimates: Float64Array, budget: number, runs: number, truth: number): Float64Array {
  const out = new Float64Array(runs);
  for (let r = 0; r < runs; r++) out[r] = (estimates[budget * runs + r] - truth) ** 2;
  return out;
}

function mean(values: Float64Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}

/**
 * `mean(a) / mean(b)` over paired runs, with its standard error from resampling runs (the same
 * resampled run indices in numerator and denominator, so common random numbers are exploited).
 */
export function pairedRatio(a: Float64Array, b: Float64Array, resamples = 400, seed = 0): RatioWithError {
  const runs = a.length;
  const u = randomStream(seed, [runs]);
  const ratios = new Float64Array(resamples);
  for (let s = 0; s < resamples; s++) {
    let sa = 0;
    let sb = 0;
    for (let r = 0; r < runs; r++) {
      const j = Math.floor(u() * runs);
      sa += a[j];
      sb += b[j];
    }
    ratios[s] = sa / sb;
  }
  const centre = mean(ratios);
  let spread = 0;
  for (const x of ratios) spread += (x - centre) ** 2;
  return { ratio: mean(a) / mean(b), se: Math.sqrt(spread / (resamples - 1)) };
}

/** `(mean − truth) / (sd/√runs)` of one budget's estimates: |z| ≤ 4 is consistent with no bias. */
export function biasZ(estimates: Float64Array, budget: number, runs: number, truth: number): number {
  const row = estimates.subarray(budget * runs, (budget + 1) * runs);
  const centre = mean(row);
  let spread = 0;
  for (const x of row) spread += (x - centre) ** 2;
  return (centre - truth) / Math.sqrt(spread / (runs - 1) / runs);
}

/** The median of finite values (NaN if none). */
export function finiteMedian(values: Float64Array): number {
  const finite = Array.from(values)
    .filter(Number.isFinite)
    .sort((x, y) => x - y);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}
