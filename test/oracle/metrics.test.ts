import { describe, expect, it } from 'vitest';
import { toLabels } from '../../src/matrix.js';
import type { Matrix } from '../../src/matrix.js';
import { NUMERICS_FLAGS, type NumericsFlags } from '../../src/numerics.js';
import {
  accuracy,
  acquisitionValues,
  bias,
  crossEntropyLoss,
  logMse,
  meanBias,
  meanLogMse,
  meanVariance,
  medianSe,
  mse,
  rowCrossEntropy,
  se,
  sma,
  softCrossEntropyLoss,
  softmaxClamp,
  variance,
  type AcquisitionFunction,
} from '../../src/metrics/index.js';
import { expectClose, matrixOf, readFixture, readPools, rowsOf, type FixturePool } from '../metrics/fixture-helpers.js';
import { oracleFixtureFiles } from './fixture-io.js';

/** The reference returns accuracy as float32; the README says to compare it at about 1e-7. */
const ACCURACY_RTOL = 1e-7;

describe.each(oracleFixtureFiles(/^metrics\.json$/))('oracle replay: $label', (file) => {
  const fixture: Record<string, any[]> = readFixture(file.dir, file.name);
  const pools = readPools(file.dir);
  const replayed = new Map<string, number>();

  const pool = (id: string): FixturePool => {
    const p = pools.get(id);
    if (!p) throw new Error(`unknown pool ${id}`);
    return p;
  };
  const poolMatrix = (p: FixturePool, name: string): Matrix => {
    if (name === 'model_scores') return p.modelScores;
    if (name === 'surrogate_scores') return p.surrogateScores;
    if (name === 'labels_onehot') return p.labelsOneHot;
    throw new Error(`unknown pool array ${name}`);
  };
  const temperature = (t: number | null | undefined): number | null => t ?? null;

  const handlers: Record<string, (entry: any, what: string) => void> = {
    softmax_clamp(e, what) {
      expectClose(rowsOf(softmaxClamp(matrixOf(e.logits), temperature(e.temperature), e.eps)), e.out, what);
    },
    entropy_loss(e, what) {
      const p = e.pool === undefined ? undefined : pool(e.pool);
      const predictions = p ? poolMatrix(p, e.predictions) : matrixOf(e.logits);
      const tm = temperature(e.temperature_model);
      const ts = temperature(e.temperature_surrogate);
      const probabilities = softmaxClamp(predictions, tm, e.eps ?? 1e-15);
      const named = e.surrogate_predictions;
      const targets = named === null || named === undefined ? probabilities : softmaxClamp(poolMatrix(p!, named), ts, e.eps ?? 1e-15);
      expectClose(rowCrossEntropy(probabilities, targets, tm !== null || ts !== null), e.out, what);
    },
    cross_entropy_loss(e, what) {
      const p = pool(e.pool);
      const f = poolMatrix(p, e.predictions);
      const weights = e.weights ?? undefined;
      const value =
        e.targets === 'labels_onehot'
          ? crossEntropyLoss(f, p.labels, weights)
          : softCrossEntropyLoss(f, e.targets_values ? matrixOf(e.targets_values) : poolMatrix(p, e.targets), weights);
      expectClose(value, e.out, what);
    },
    nll_torch(e, what) {
      const p = pool(e.pool);
      const f = e.predictions ? poolMatrix(p, e.predictions) : p.modelScores;
      expectClose(crossEntropyLoss(f, p.labels, e.weights ?? undefined, temperature(e.temperature)), e.out, what);
    },
    accuracy(e, what) {
      if (e.pool !== undefined) {
        const p = pool(e.pool);
        expectClose(accuracy(p.modelScores, p.labels), e.out, what, ACCURACY_RTOL);
      } else {
        const scores = matrixOf(e.predictions);
        const labels = toLabels(e.targets, 'targets', scores.rows, scores.cols);
        expectClose(accuracy(scores, labels), e.out, what, ACCURACY_RTOL);
      }
    },
    acquisition_values(e, what) {
      const p = pool(e.pool);
      const flags: NumericsFlags = e.variant === 'corrected' ? { ...NUMERICS_FLAGS.reference, nll: 'true' } : NUMERICS_FLAGS.reference;
      const kind = String(e.acquisition).replaceAll('_', '-') as AcquisitionFunction;
      const values = acquisitionValues(
        kind,
        { modelScores: p.modelScores, surrogateScores: p.surrogateScores, labels: p.labels },
        { temperature: temperature(e.temperature), eps: e.eps, flags },
      );
      expectClose(values, e.out, what);
    },
    plot_metrics(e, what) {
      const pred = e.pred === undefined ? undefined : matrixOf(e.pred);
      const plot: Record<string, () => unknown> = {
        se: () => rowsOf(se(pred!, e.target)),
        log_mse: () => rowsOf(logMse(pred!, e.target)),
        bias: () => rowsOf(bias(pred!, e.target)),
        mse: () => mse(pred!, e.target),
        median_se: () => medianSe(pred!, e.target),
        mean_bias: () => meanBias(pred!, e.target),
        mean_log_mse: () => meanLogMse(pred!, e.target),
        variance: () => rowsOf(variance(pred!)),
        mean_variance: () => meanVariance(pred!),
        sma: () => (Array.isArray(e.scores[0]) ? rowsOf(sma(matrixOf(e.scores), e.length)) : sma(e.scores, e.length)),
      };
      const compute = plot[e.fn];
      if (!compute) throw new Error(`${what}: no replay for plot metric ${e.fn}`);
      expectClose(compute(), e.out, what);
    },
  };

  for (const section of Object.keys(fixture)) {
    it(`${section}: every entry matches the oracle`, () => {
      const handler = handlers[section];
      expect(handler, `a replay for section ${section}`).toBeDefined();
      const entries = fixture[section] ?? [];
      entries.forEach((entry, index) => {
        handler!(entry, `${section}[${index}]${entry.name ? ` ${entry.name}` : ''}${entry.fn ? ` ${entry.fn}` : ''}`);
        replayed.set(section, (replayed.get(section) ?? 0) + 1);
      });
    });
  }

  it('replayed every entry of every section', () => {
    const total = Object.values(fixture).reduce((n, entries) => n + entries.length, 0);
    const done = [...replayed.values()].reduce((n, c) => n + c, 0);
    expect(Object.keys(fixture).length).toBeGreaterThan(0);
    expect(done).toBe(total);
  });
});
