import { describe, expect, it } from 'vitest';
import { ActiveTestingSession } from '../../src/session/session.js';

/**
 * A target right on 6 of 200 items (accuracy 0.03): the error rate's bootstrap interval reaches
 * above 1 and its sequences carry a rounding allowance above 1, so their complements would read
 * as accuracies below 0.
 */
const N = 200;
const labels = Array.from({ length: N }, (_, i) => i % 2);
const right = new Set([3, 40, 77, 101, 150, 190]);
const modelScores = labels.map((y, i) => (right.has(i) === (y === 0) ? [4, 0] : [0, 4]));
const surrogateScores = labels.map((y) => (y === 0 ? [0.5, 0] : [0, 0.5]));

describe('the accuracy interval', () => {
  it('stays within [0, 1] at every label count, each kind, while the error rate reaches past 1', async () => {
    const session = await ActiveTestingSession.create(null, {
      texts: labels.map((_, i) => `item ${i}`),
      classes: ['a', 'b'],
      modelScores,
      surrogateScores,
      loss: 'zero-one',
      seed: 5,
    });
    let errorRatePastOne = 0;
    for (let m = 1; m <= 60; m++) {
      const [item] = await session.next();
      await session.record(item!.id, labels[item!.index]!);
      const { risk, accuracy } = session.estimate();
      for (const kind of ['bootstrap', 'anytime', 'fixed'] as const) {
        const errorRate = risk[kind]!;
        const interval = accuracy[kind]!;
        if (errorRate.upper > 1) errorRatePastOne++;
        expect(interval.lower).toBeGreaterThanOrEqual(0);
        expect(interval.upper).toBeLessThanOrEqual(1);
        expect(interval.lower).toBe(Math.max(0, 1 - errorRate.upper));
        expect(interval.upper).toBe(Math.min(1, 1 - errorRate.lower));
      }
    }
    expect(errorRatePastOne).toBeGreaterThan(0);
  });
  it('is [0, 0], not inverted, when the whole error-rate interval lies above 1', async () => {
    // Two items, the target wrong on the second; a defensive proposal draws it first with
    // probability below 1/2, so LURE's error rate after that label is above 1 and its bootstrap
    // interval has no width there. Its complement was { lower: 0, upper: -0.0476 }.
    const session = await ActiveTestingSession.create(null, {
      texts: ['first', 'second'],
      classes: ['a', 'b'],
      modelScores: [
        [0, 0],
        [0, 0],
      ],
      surrogateScores: [
        [Math.sin(0), Math.sin(1)],
        [Math.sin(7), Math.sin(8)],
      ],
      loss: 'zero-one',
      acquisition: 'surrogate-ce',
      defensive: 0.5,
      seed: 3,
    });
    const [item] = await session.next();
    expect(item!.index).toBe(1);
    await session.record(item!.id, 'b');
    const { risk, accuracy } = session.estimate();
    expect(risk.value).toBeCloseTo(1.047608, 6);
    expect(risk.bootstrap.lower).toBeGreaterThan(1);
    expect(accuracy.bootstrap).toEqual({ lower: 0, upper: 0 });
    for (const kind of ['anytime', 'fixed'] as const) {
      expect(accuracy[kind]!.lower).toBeLessThanOrEqual(accuracy[kind]!.upper);
    }
  });
});
