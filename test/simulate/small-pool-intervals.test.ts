import { describe, expect, it } from 'vitest';
import type { Matrix } from '../../src/matrix.js';
import { brierLossPerItem, lossBounds, lossPerItem, zeroOneLossPerItem, type LossBounds } from '../../src/metrics/index.js';
import type { BuiltinLoss } from '../../src/metrics/builtin-losses.js';
import { simulationReference } from '../../src/simulate/reference.js';
import { simulate } from '../../src/simulate/simulate.js';
import { simulationIntervals } from '../../src/simulate/intervals.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { simulationInput, syntheticPool, type SyntheticPool } from '../acquisition/synthetic-pool.js';

// Guards the error bars on the small, unusual pools an audit labelled to the last item: fewer items
// than classes, a constant surrogate, one class only. At every label count each interval is ordered
// and finite, the sequence and the fixed-budget interval have width until M = N, and at M = N every
// interval is the point R (up to the rounding margin of a few ulps).

/** A pool of `n` items and `k` classes, changed by `edit` (its labels or surrogate). */
function pool(n: number, k: number, seed: number, edit: (pool: SyntheticPool) => void = () => {}): SyntheticPool {
  const made = syntheticPool(n, k, seed);
  edit(made);
  return made;
}

const POOLS: Record<string, SyntheticPool> = {
  'N = 7, K = 3': pool(7, 3, 1),
  'N = 20, K = 100 (more classes than items)': pool(20, 100, 2),
  'N = 20, constant surrogate': pool(20, 2, 3, (p) => p.surrogateScores.data.fill(0)),
  'N = 20, every label one class': pool(20, 3, 4, (p) => p.labels.fill(1)),
};

const LOSSES: Record<BuiltinLoss, (scores: Matrix, labels: Int32Array) => Float64Array> = {
  'cross-entropy': lossPerItem,
  'zero-one': zeroOneLossPerItem,
  brier: brierLossPerItem,
};

/**
 * The rounding margin the intervals allow at M = N: 2ε·Σ|ℓ| over the pool, with room to spare, and
 * the losses' evaluation rounding (`LossBounds.evaluationRounding`).
 */
const pointTolerance = (losses: Float64Array, bounds: LossBounds) =>
  8 * Number.EPSILON * losses.reduce((sum, loss) => sum + Math.abs(loss), 0) + (bounds.evaluationRounding ?? 0) + 1e-300;

describe('simulate --interval on small unusual pools, labelled to the last item', () => {
  for (const [name, labelled] of Object.entries(POOLS)) {
    for (const loss of Object.keys(LOSSES) as BuiltinLoss[]) {
      it(`${name}, ${loss}`, async () => {
        const n = labelled.labels.length;
        const runs = 12;
        const losses = LOSSES[loss](labelled.modelScores, labelled.labels);
        const bounds = lossBounds(labelled.modelScores, loss);
        const tolerance = pointTolerance(losses, bounds);
        for (const [acquisition, defensive] of [
          ['iid', null],
          ['surrogate-ce', null],
          ['adaptive', null],
          ['surrogate-ce', 0.5],
        ] as const) {
          const options = { acquisition, defensive, loss, runs, size: n, step: 1, seed: 5, threads: 1 };
          const result = await simulate(simulationInput(labelled), options);
          const reference = simulationReference(simulationInput(labelled), result.options);
          const [anytime, fixed, bootstrap] = simulationIntervals(result, losses, bounds, ['anytime', 'fixed', 'bootstrap'], reference);
          for (const [kind, interval] of [
            ['anytime', anytime],
            ['fixed', fixed],
            ['bootstrap', bootstrap],
          ] as const) {
            for (let row = 0; row < n; row++) {
              for (let run = 0; run < runs; run++) {
                const lower = interval.lower[row * runs + run];
                const upper = interval.upper[row * runs + run];
                expect(Number.isFinite(lower) && Number.isFinite(upper), `${acquisition} ${kind} row ${row}`).toBe(true);
                expect(lower).toBeLessThanOrEqual(upper);
                if (kind !== 'bootstrap' && row < n - 1) expect(upper - lower).toBeGreaterThan(0);
                if (row === n - 1) {
                  expect(Math.abs(lower - result.trueRisk), `${acquisition} ${kind} at M = N`).toBeLessThanOrEqual(tolerance);
                  expect(Math.abs(upper - result.trueRisk)).toBeLessThanOrEqual(tolerance);
                }
              }
            }
          }
          expect(result.bootstrapVariance).not.toBeNull();
        }
      });
    }
  }
});

describe('a session on small unusual pools, labelled to the last item one at a time', () => {
  for (const [name, labelled] of Object.entries(POOLS)) {
    it(name, async () => {
      const n = labelled.labels.length;
      const comparison = Float64Array.from(labelled.modelScores.data, (score, i) => 0.5 * score + (i % 5));
      for (const loss of Object.keys(LOSSES) as BuiltinLoss[]) {
        const session = await ActiveTestingSession.create(null, {
          texts: Array.from({ length: n }, (_, i) => `item ${i}`),
          classes: Array.from({ length: labelled.modelScores.cols }, (_, k) => `class ${k}`),
          modelScores: labelled.modelScores,
          surrogateScores: labelled.surrogateScores,
          comparisonScores: { data: comparison, rows: n, cols: labelled.modelScores.cols },
          loss,
          seed: 3,
        });
        for (let m = 1; m <= n; m++) {
          const [item] = await session.next();
          await session.record(item.id, labelled.labels[item.index]);
          const estimate = session.estimate();
          const { difference } = estimate.comparison!;
          for (const quantity of [estimate.risk, estimate.accuracy, difference]) {
            for (const interval of [quantity.anytime!, quantity.fixed!, quantity.bootstrap]) {
              expect(Number.isFinite(interval.lower) && Number.isFinite(interval.upper), `${loss} at ${m}`).toBe(true);
              expect(interval.lower).toBeLessThanOrEqual(interval.upper);
            }
          }
          // A stop on the width never reads a degenerate interval: it has width until the last label.
          for (const { lower, upper } of [estimate.risk.anytime!, estimate.risk.fixed!])
            if (m < n) expect(upper - lower).toBeGreaterThan(0);
          if (m < n && session.done({ targetHalfWidth: 1e-300, minLabels: 1 })) expect.unreachable(`${loss}: stopped at ${m}`);
        }
        const estimate = session.estimate();
        const mean = (losses: Float64Array) => losses.reduce((sum, value) => sum + value, 0) / n;
        const risk = mean(LOSSES[loss](labelled.modelScores, labelled.labels));
        const comparisonRisk = mean(LOSSES[loss]({ data: comparison, rows: n, cols: labelled.modelScores.cols }, labelled.labels));
        for (const [truth, quantity] of [
          [risk, estimate.risk],
          [risk - comparisonRisk, estimate.comparison!.difference],
        ] as const) {
          for (const interval of [quantity.anytime!, quantity.fixed!]) {
            expect(interval.lower).toBeCloseTo(truth, 12);
            expect(interval.upper).toBeCloseTo(truth, 12);
          }
        }
        await session.close();
      }
    });
  }
});
