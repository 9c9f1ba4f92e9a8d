import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { RiskConfidenceSequence } from '../../src/estimators/index.js';
import { lossBounds, lossEvaluationRounding } from '../../src/metrics/loss-bounds.js';
import { brierLossPerItem, lossPerItem } from '../../src/metrics/index.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { simulate } from '../../src/simulate/simulate.js';
import { simulationIntervals } from '../../src/simulate/intervals.js';
import { randomStream } from '../../src/random.js';

// Once every item is labelled the confidence sequence and the fixed-budget interval are the point
// R. A user checks that against R computed from the logits along their own path, and a loss is
// rounded at the size of its logits, not its own: confident right answers with logits near 100
// have losses near 1e-44 computed with errors near 1e-14, so the point widened only for the sums'
// rounding (2ε·Σ|ℓ|) missed such an R in 77–98% of sessions of 5 to 20 items (18–98% with logits around 0).

/** R as a user computes it: logsumexp shifted by the row's largest logit, minus the label's logit (cross-entropy), or Σ(p − e_y)² (Brier). */
function independentRisk(logits: number[][], labels: number[], loss: 'cross-entropy' | 'brier'): number {
  let total = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((sum, f) => sum + Math.exp(f - max), 0));
    if (loss === 'cross-entropy') total += lse - row[labels[i]];
    else row.forEach((f, k) => (total += (Math.exp(f - lse) - (k === labels[i] ? 1 : 0)) ** 2));
  });
  return total / logits.length;
}

/** `n` items of K = 2 whose logits sit near `offset` and whose label is the target's prediction (small losses, large logits). */
function confidentPool(n: number, offset: number, seed: number): { logits: number[][]; labels: number[] } {
  const u = randomStream(seed, [0]);
  const logits = Array.from({ length: n }, () => [offset + 30 * (u() - 0.5), offset + 30 * (u() - 0.5)]);
  return { logits, labels: logits.map(([a, b]) => (a >= b ? 0 : 1)) };
}

const scoresOf = (logits: number[][]) => ({ data: Float64Array.from(logits.flat()), shape: [logits.length, 2] as [number, number] });

describe('lossEvaluationRounding', () => {
  it('is 8ε·(mean of |each row’s largest logit| + log K) for cross-entropy and Brier, 0 for zero-one', () => {
    const scores = { data: Float64Array.of(100, 0, -3, 2), rows: 2, cols: 2 };
    const expected = 8 * Number.EPSILON * ((100 + 2) / 2 + Math.log(2));
    expect(lossEvaluationRounding(scores, 'cross-entropy')).toBe(expected);
    expect(lossEvaluationRounding(scores, 'brier')).toBe(expected);
    expect(lossEvaluationRounding(scores, 'zero-one')).toBe(0);
    expect(lossBounds(scores, 'cross-entropy').evaluationRounding).toBe(expected);
    expect(lossBounds(scores, 'zero-one').evaluationRounding).toBeUndefined();
  });

  it('takes each row at its largest logit: a masked class (a logit of −3.4e38) adds nothing', () => {
    // The masked class's exponential is 0 on every path; a scale of max|f| made every interval ±6e23.
    const scores = { data: Float64Array.of(1.5, -1.5, -3.4028e38, -2, 0.5, -3.4028e38), rows: 2, cols: 3 };
    expect(lossEvaluationRounding(scores, 'brier')).toBe(8 * Number.EPSILON * ((1.5 + 0.5) / 2 + Math.log(3)));
  });

  it('stays finite for logits near the largest double', () => {
    const scores = { data: Float64Array.of(1e308, 1e308, 1e308, 1e308), rows: 2, cols: 2 };
    expect(lossEvaluationRounding(scores, 'cross-entropy')).toBeCloseTo(8 * Number.EPSILON * 1e308, -290);
  });
});

describe('RiskConfidenceSequence evaluationRounding', () => {
  it('widens the point at M = N by it, and every interval before', () => {
    const plain = new RiskConfidenceSequence([0, 0], [1, 1]);
    const widened = new RiskConfidenceSequence([0, 0], [1, 1], { evaluationRounding: 1e-10 });
    for (const cs of [plain, widened]) cs.add(0, 0.25, 0.5);
    expect(widened.anytime().lower).toBeCloseTo(plain.anytime().lower - 1e-10, 15);
    for (const cs of [plain, widened]) cs.add(1, 0.75, 1);
    // At M = N: 2ε·Σ|ℓ| for the sums, 8ε·Σ|ℓ|/N for each loss's own evaluation, and the option.
    const allowance = 2 * Number.EPSILON * 1 + (8 * Number.EPSILON * 1) / 2;
    expect(plain.fixed()).toEqual({ lower: 0.5 - allowance, upper: 0.5 + allowance });
    expect(widened.fixed()).toEqual({ lower: 0.5 - (allowance + 1e-10), upper: 0.5 + (allowance + 1e-10) });
  });

  it.each([-1e-12, Number.NaN, Infinity])('refuses %s, naming it', (value) => {
    expect(() => new RiskConfidenceSequence([0], [1], { evaluationRounding: value })).toThrow(InputError);
    expect(() => new RiskConfidenceSequence([0], [1], { evaluationRounding: value })).toThrow(/evaluationRounding/);
  });
});

describe('the point at M = N holds R computed from the logits along another path', () => {
  it.each([
    [5, 100, 'cross-entropy'],
    [20, 100, 'cross-entropy'],
    [5, 0, 'cross-entropy'],
    [5, 100, 'brier'],
  ] as const)('sessions of %i items, logits near %i, %s', async (n, offset, loss) => {
    for (let seed = 0; seed < 20; seed++) {
      const { logits, labels } = confidentPool(n, offset, seed);
      const session = await ActiveTestingSession.create(null, {
        texts: logits.map((_, i) => `item ${i}`),
        classes: ['a', 'b'],
        modelScores: scoresOf(logits),
        surrogateScores: scoresOf(logits.map(([a, b]) => [b, a])),
        loss,
        seed,
      });
      for (let m = 0; m < n; m++) {
        const [item] = await session.next();
        await session.record(item.id, labels[item.index] === 0 ? 'a' : 'b');
      }
      const { risk } = session.estimate();
      const R = independentRisk(logits, labels, loss);
      for (const kind of ['anytime', 'fixed', 'bootstrap'] as const) {
        const { lower, upper } = risk[kind]!;
        expect(lower <= R && R <= upper, `seed ${seed} ${kind}: [${lower}, ${upper}] ∌ ${R}`).toBe(true);
        // Still the point: the widening is the rounding of logits near 100, about 1e-13.
        expect(upper - lower).toBeLessThan(1e-12);
      }
    }
  });

  it.each(['cross-entropy', 'brier'] as const)('simulate’s intervals, run to the last item, %s', async (loss) => {
    const n = 8;
    const { logits, labels } = confidentPool(n, 100, 3);
    const modelScores = { data: Float64Array.from(logits.flat()), rows: n, cols: 2 };
    const result = await simulate(
      { modelScores: scoresOf(logits), surrogateScores: scoresOf(logits.map(([a, b]) => [b, a])), labels },
      { acquisition: 'surrogate-ce', loss, runs: 10, size: n, step: 1, seed: 1, threads: 1 },
    );
    const y = Int32Array.from(labels);
    const losses = loss === 'brier' ? brierLossPerItem(modelScores, y) : lossPerItem(modelScores, y);
    const R = independentRisk(logits, labels, loss);
    const last = (n - 1) * result.runs;
    for (const { lower, upper } of simulationIntervals(result, losses, lossBounds(modelScores, loss), ['anytime', 'fixed', 'bootstrap'])) {
      for (let run = 0; run < result.runs; run++) {
        expect(lower[last + run]).toBeLessThanOrEqual(R);
        expect(upper[last + run]).toBeGreaterThanOrEqual(R);
      }
    }
  });
});

describe('a masked class leaves the intervals as they were', () => {
  it('Brier and cross-entropy sessions with a class at −3.4e38 keep finite, narrow intervals', async () => {
    const n = 20;
    const u = randomStream(4, [0]);
    const logits = Array.from({ length: n }, () => [3 * (u() - 0.5), 3 * (u() - 0.5), -3.4028e38]);
    const labels = logits.map(([a, b]) => (u() < 0.5 ? (a >= b ? 0 : 1) : a >= b ? 1 : 0));
    for (const loss of ['brier', 'cross-entropy'] as const) {
      const session = await ActiveTestingSession.create(null, {
        texts: logits.map((_, i) => `item ${i}`),
        classes: ['a', 'b', 'masked'],
        modelScores: { data: Float64Array.from(logits.flat()), shape: [n, 3] },
        surrogateScores: { data: Float64Array.from(logits.flat(), (f) => Math.max(f, -50)), shape: [n, 3] },
        loss,
        seed: 1,
      });
      for (let m = 0; m < n; m++) {
        const [item] = await session.next();
        await session.record(item.id, labels[item.index] === 0 ? 'a' : 'b');
        const { anytime } = session.estimate().risk;
        // Brier's losses lie in [0, 2]: an interval wider than that says nothing.
        if (loss === 'brier') expect(anytime!.upper - anytime!.lower).toBeLessThanOrEqual(2 + 1e-9);
      }
      const { risk } = session.estimate();
      const R = independentRisk(
        logits.map((row) => row.slice(0, 2)),
        labels,
        loss,
      );
      expect(risk.anytime!.upper - risk.anytime!.lower).toBeLessThan(1e-12);
      expect(risk.anytime!.lower).toBeLessThanOrEqual(R);
      expect(risk.anytime!.upper).toBeGreaterThanOrEqual(R);
    }
  });
});
