import { describe, expect, it } from 'vitest';
import { ActiveSurrogateEstimator } from '../../src/ase/index.js';
import { SumTreeSampler } from '../../src/acquisition/sum-tree-sampler.js';
import { bootstrapHalfWidth } from '../../src/estimators/bootstrap.js';
import {
  IidEstimator,
  ISEstimator,
  LUREEstimator,
  monteCarloBootstrapVariance,
  RunningAseEstimator,
  type RiskEstimator,
} from '../../src/estimators/index.js';
import { referenceEstimate, weightedTerms, type ReferenceEstimatorName } from '../../src/reference/index.js';
import { InputError, ReceivedKind } from '../../src/errors.js';
import { lossPerItem } from '../../src/metrics/index.js';
import { randomStream } from '../../src/random.js';
import { syntheticPool } from '../acquisition/synthetic-pool.js';

const N = 400;

/** Losses and q of one acquisition run over a skewed pool (q from the real sampler). */
function acquiredSequence(seed: number, size: number): { losses: number[]; q: number[]; indices: number[] } {
  const u = randomStream(seed, []);
  const values = Float64Array.from({ length: N }, () => u() ** 3);
  const poolLosses = Float64Array.from({ length: N }, (_, i) => values[i] * 2 + 0.1 * u());
  const sampler = new SumTreeSampler(values, 0.05, 'corrected');
  const out = { losses: [] as number[], q: [] as number[], indices: [] as number[] };
  for (let m = 0; m < size; m++) {
    const i = sampler.draw(u);
    out.indices.push(i);
    out.losses.push(poolLosses[i]);
    out.q.push(sampler.lastProbability);
  }
  return out;
}

function fastEstimator(name: ReferenceEstimatorName): RiskEstimator {
  return name === 'lure' ? new LUREEstimator(N) : name === 'is' ? new ISEstimator(N) : new IidEstimator();
}

function relativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

describe('incremental estimators', () => {
  for (const name of ['lure', 'is', 'iid'] as const) {
    it(`${name}: O(1) estimate and exact bootstrap variance agree with the O(M) forms at every M up to N`, () => {
      const { losses, q } = acquiredSequence(1, N);
      const estimator = fastEstimator(name);
      let worstEstimate = 0;
      let worstVariance = 0;
      let worstTerm = 0;
      for (let m = 0; m < N; m++) {
        estimator.add(losses[m], q[m]);
        const M = m + 1;
        worstEstimate = Math.max(
          worstEstimate,
          relativeError(estimator.estimate(), referenceEstimate(name, losses.slice(0, M), q.slice(0, M), N)),
        );
        // Var* = popvar(x)/M over the terms x_m = w_m ℓ_m, computed directly (two-pass).
        const terms = weightedTerms(name, losses.slice(0, M), q.slice(0, M), N);
        const mean = terms.reduce((a, b) => a + b, 0) / M;
        const variance = terms.reduce((a, x) => a + (x - mean) ** 2, 0) / M / M;
        if (variance > 1e-300) worstVariance = Math.max(worstVariance, relativeError(estimator.bootstrapVariance(), variance));
        const written = new Float64Array(M);
        estimator.terms(written);
        for (let j = 0; j < M; j++) worstTerm = Math.max(worstTerm, relativeError(written[j], terms[j]));
      }
      expect(estimator.count).toBe(N);
      expect(worstEstimate).toBeLessThan(1e-12);
      expect(worstVariance).toBeLessThan(1e-9);
      expect(worstTerm).toBeLessThan(1e-12);
    });
  }

  it('LURE at M = N is the plain mean (every weight 1)', () => {
    const { losses, q } = acquiredSequence(2, N);
    const lure = new LUREEstimator(N);
    losses.forEach((l, m) => lure.add(l, q[m]));
    const mean = losses.reduce((a, b) => a + b, 0) / N;
    expect(relativeError(lure.estimate(), mean)).toBeLessThan(1e-13);
    expect(() => lure.add(1, 0.5)).toThrow(InputError);
  });

  it('a variance beyond a double is Infinity, not 0, and the interval at M = N stays the point', () => {
    // A loss of 1e300 (a logit of -1e300 on the true class): the terms' squares overflow.
    const lure = new LUREEstimator(4);
    lure.add(0, 1 / 4);
    lure.add(1e300, 1 / 3);
    expect(lure.bootstrapVariance()).toBe(Infinity);
    expect(bootstrapHalfWidth(lure.bootstrapVariance(), 2, 4, lure.estimate())).toBe(Infinity);
    lure.add(0, 1 / 2);
    lure.add(0, 1);
    expect(lure.estimate()).toBe(2.5e299);
    const half = bootstrapHalfWidth(lure.bootstrapVariance(), 4, 4, lure.estimate());
    expect(half).toBeGreaterThan(0);
    expect(half).toBeLessThan(2.5e299 * 1e-14);
  });

  it('is NaN before the first label and restarts on reset', () => {
    const lure = new LUREEstimator(10);
    expect(lure.estimate()).toBeNaN();
    lure.add(2, 0.1);
    expect(lure.estimate()).toBe(2);
    lure.reset();
    expect(lure.count).toBe(0);
    lure.add(3, 0.2);
    expect(lure.estimate()).toBeCloseTo(3 / (10 * 0.2), 14);
  });

  it('the Monte Carlo bootstrap converges to the exact bootstrap variance', () => {
    const { losses, q } = acquiredSequence(3, 30);
    const lure = new LUREEstimator(N);
    losses.forEach((l, m) => lure.add(l, q[m]));
    const terms = new Float64Array(30);
    lure.terms(terms);
    const resamples = 40_000;
    const monteCarlo = monteCarloBootstrapVariance(
      terms,
      30,
      resamples,
      randomStream(0, [0, 1]),
      new Float64Array(30),
      new Float64Array(resamples),
    );
    // Relative sampling error of a variance from B replicates ≈ sqrt(2/B) = 0.7 %; allow 4 of them.
    expect(relativeError(monteCarlo, lure.bootstrapVariance())).toBeLessThan(4 * Math.sqrt(2 / resamples));
  });

  it("refuses the published estimate(predictions, targets, acquisition_weights, set_size)'s arguments rather than return NaN", () => {
    for (const estimator of [new LUREEstimator(4), new ISEstimator(4), new IidEstimator()]) {
      const published = estimator as unknown as { estimate(...args: unknown[]): number };
      expect(() => published.estimate([[0, 1]], [[0, 1]], [0.25], 4)).toThrow(
        new InputError({
          argument: 'estimate',
          expected:
            "no arguments: add each label with add(loss, q), then call estimate(); the published estimate(predictions, targets, acquisition_weights, set_size) is referenceEstimate('lure' | 'is' | 'iid', losses, q, poolSize)",
          received: new ReceivedKind('4 arguments'),
        }),
      );
    }
  });

  it('rejects a bad pool size', () => {
    expect(() => new LUREEstimator(0)).toThrow(/^poolSize: expected an integer ≥ 1, got 0$/);
    expect(() => new ISEstimator(2.5)).toThrow(InputError);
  });
});

describe('RunningAseEstimator', () => {
  it('equals ActiveSurrogateEstimator.estimate with the same labels substituted, at every M', () => {
    const pool = syntheticPool(120, 3, 5);
    const ase = new ActiveSurrogateEstimator({ modelScores: pool.modelScores, surrogateScores: pool.surrogateScores });
    const running = new RunningAseEstimator(ase.expectedLosses);
    expect(relativeError(running.zeroShot, ase.zeroShotEstimate())).toBeLessThan(1e-13);
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const order = Array.from({ length: 120 }, (_, i) => (i * 37) % 120);
    for (let m = 0; m < order.length; m++) {
      running.add(losses[order[m]], 0.01, order[m]);
      expect(
        relativeError(
          running.estimate(),
          ase.estimate(
            order.slice(0, m + 1),
            order.slice(0, m + 1).map((i) => pool.labels[i]),
          ),
        ),
      ).toBeLessThan(1e-12);
    }
    expect(() => new RunningAseEstimator(ase.expectedLosses).add(1, 0.5)).toThrow(/index/);
  });
});

describe("the run loop's float-free calls", () => {
  it('addDrawn and writeEstimates give the bits of add, estimate and bootstrapVariance', () => {
    const losses = Float64Array.of(0.3, 1.7, 0, 0.05, 2.4, 0.9);
    const qs = Float64Array.of(0.1, 0.31, 0.07, 0.25, 0.4, 0.2);
    const items = [4, 1, 0, 5, 3];
    const byArgument = new LUREEstimator(losses.length);
    const drawn = new LUREEstimator(losses.length);
    const estimates = new Float64Array(items.length);
    const variances = new Float64Array(items.length);
    items.forEach((item, m) => {
      byArgument.add(losses[item], qs[m], item);
      drawn.addDrawn(losses, item, qs, m);
      drawn.writeEstimates(estimates, variances, m);
      expect(estimates[m]).toBe(byArgument.estimate());
      expect(variances[m]).toBe(byArgument.bootstrapVariance());
    });
    // The first label's estimate is its importance-weighted loss ℓ/(N·q) = 2.4/(6·0.1).
    expect(estimates[0]).toBeCloseTo(4, 12);
    // Without variances only the estimate is written.
    const only = new Float64Array(1);
    drawn.writeEstimates(only, null, 0);
    expect(only[0]).toBe(byArgument.estimate());
  });

  it('addDrawn and add reject the same bad input, the loss first', () => {
    const lure = new LUREEstimator(4);
    expect(() => lure.addDrawn(Float64Array.of(Number.NaN), 0, Float64Array.of(0.5), 0)).toThrow(/loss/);
    expect(() => lure.addDrawn(Float64Array.of(1), 0, Float64Array.of(0), 0)).toThrow(/probability/);
    expect(() => lure.add(Number.NaN, 'x' as unknown as number)).toThrow(/loss/);
    expect(() => lure.add(1, '0.5' as unknown as number)).toThrow('q (row 0): expected a proposal probability in (0, 1], got "0.5"');
    expect(lure.count).toBe(0);
  });
});
