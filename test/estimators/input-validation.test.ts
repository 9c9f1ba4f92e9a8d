import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulate/simulate.js';
import { IidEstimator, ISEstimator, LUREEstimator, RunningAseEstimator, TermMeanEstimator } from '../../src/estimators/index.js';
import { floorProposal } from '../../src/acquisition/index.js';
import { isWeights, lureWeights, referenceEstimate, referenceWeights, weightedTerms } from '../../src/reference/index.js';
import { InputError } from '../../src/errors.js';
import { simulationInput, syntheticPool } from '../acquisition/synthetic-pool.js';

const estimators = [
  ['LUREEstimator', () => new LUREEstimator(10)],
  ['ISEstimator', () => new ISEstimator(10)],
  ['IidEstimator', () => new IidEstimator()],
] as const;

const badLosses: unknown[] = [NaN, Infinity, -Infinity, '0.5', null, undefined, {}, 1n];
const badProbabilities: unknown[] = [0, -0.1, 1.5, 1.01, NaN, Infinity, '0.5', null, undefined, 1n];

describe.each(estimators)('%s.add', (_name, make) => {
  it.each(badLosses)('refuses the loss %s with an InputError naming loss, and keeps its state', (loss) => {
    const estimator = make();
    estimator.add(0.5, 0.1);
    const before = estimator.estimate();
    const error = (() => {
      try {
        estimator.add(loss as number, 0.1);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).argument).toBe('loss');
    expect((error as InputError).row).toBe(1);
    expect(estimator.count).toBe(1);
    expect(estimator.estimate()).toBe(before);
  });

  it.each(badProbabilities)('refuses the proposal probability %s with an InputError naming q', (q) => {
    const estimator = make();
    expect(() => estimator.add(0.5, q as number)).toThrow(InputError);
    expect(() => estimator.add(0.5, q as number)).toThrow(/^q \(row 0\): expected a proposal probability in \(0, 1\]/);
    expect(estimator.count).toBe(0);
  });

  it('shows a bigint as a bigint, not as a number', () => {
    const estimator = make();
    expect(() => estimator.add(1n as unknown as number, 0.1)).toThrow('loss (row 0): expected a finite number, got 1n (a bigint)');
    expect(() => estimator.add(0.5, 1n as unknown as number)).toThrow(
      'q (row 0): expected a proposal probability in (0, 1], got 1n (a bigint)',
    );
  });

  it('accepts q = 1, a loss of 0, negative finite losses (paired differences) and q rounded just above 1', () => {
    const estimator = make();
    estimator.add(0, 1);
    estimator.add(-0.25, 0.5);
    estimator.add(1, 1.0000000000000002);
    expect(estimator.count).toBe(3);
    expect(Number.isFinite(estimator.estimate())).toBe(true);
  });
});

describe('the pool size as a limit', () => {
  it('refuses the label after the pool size, naming labels, and keeps its state', () => {
    const lure = new LUREEstimator(2);
    lure.add(0.5, 0.5);
    lure.add(0.25, 1);
    const before = lure.estimate();
    expect(() => lure.add(0.1, 1)).toThrow(/^labels: expected at most 2 labels \(the pool size\), got 3$/);
    expect(lure.count).toBe(2);
    expect(lure.estimate()).toBe(before);
  });

  it('counts a pool of one item in the singular', () => {
    const lure = new LUREEstimator(1);
    lure.add(0.5, 1);
    expect(() => lure.add(0.5, 1)).toThrow(/^labels: expected at most 1 label \(the pool size\), got 2$/);
  });

  it('lets a subclass whose capacity is not a number (plain JavaScript) take every label', () => {
    class Loose extends TermMeanEstimator {
      protected override get capacity(): number {
        return undefined as unknown as number;
      }
      protected primaryTerm(loss: number): number {
        return loss;
      }
    }
    const loose = new Loose();
    loose.add(0.5, 0.5);
    loose.add(1.5, 0.5);
    expect(loose.count).toBe(2);
    expect(loose.estimate()).toBe(1);
  });
});

describe('simulate with an injected random source', () => {
  const input = simulationInput(syntheticPool(30, 2, 1));
  const options = { acquisition: 'surrogate-ce' as const, runs: 2, size: 10, threads: 1, bootstrap: 'none' as const };

  it.each([
    ['NaN', () => NaN],
    ['1', () => 1],
    ['a negative number', () => -0.2],
    ['a string', () => '0.5' as unknown as number],
  ])('refuses a source that returns %s with an InputError naming random', async (_name, random) => {
    const error = await simulate(input, { ...options, random }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).argument).toBe('random');
    expect((error as Error).message).toMatch(/at draw 0/);
  });

  it('names the first bad draw of a source that goes bad later', async () => {
    let n = 0;
    const random = () => (++n > 5 ? NaN : 0.5);
    await expect(simulate(input, { ...options, random })).rejects.toThrow(/got NaN \(at draw 5\)$/);
  });

  it('runs a valid source as before', async () => {
    let state = 1;
    const random = () => ((state = (state * 48271) % 2147483647) - 1) / 2147483646;
    const result = await simulate(input, { ...options, random });
    expect(result.estimates.every(Number.isFinite)).toBe(true);
  });
});

describe('the reference-form (parity) functions', () => {
  it.each([
    ['lureWeights', () => lureWeights([0.5, 0], 4)],
    ['isWeights', () => isWeights([NaN], 4)],
    ['referenceWeights iid', () => referenceWeights('iid', [1.5], 4)],
    ['referenceEstimate', () => referenceEstimate('lure', [0.3, 0.9], [0.5, -0.5], 4)],
  ])('%s refuses a q outside (0, 1] with an InputError naming q and its row', (_name, call) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(/^q \(row \d\): expected proposal probabilities in \(0, 1\]/);
  });

  it.each([
    ['a NaN loss', [0.3, NaN]],
    ['an infinite loss', [Infinity, 0.3]],
    ['a missing loss', [0.3]],
  ])('weightedTerms and referenceEstimate refuse %s', (_name, losses) => {
    expect(() => weightedTerms('lure', losses, [0.5, 0.5], 4)).toThrow(/^losses/);
    expect(() => referenceEstimate('is', losses, [0.5, 0.5], 4)).toThrow(InputError);
  });

  it.each([
    ['referenceWeights', () => referenceWeights('LURE' as never, [0.5], 4)],
    ['weightedTerms', () => weightedTerms('ase' as never, [0.3], [0.5], 4)],
    ['referenceEstimate', () => referenceEstimate('foo' as never, [0.3], [0.5], 4)],
  ])('%s refuses an estimator other than iid, lure and is instead of weighting as i.i.d.', (_name, call) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(/^estimator: expected one of iid \| lure \| is/);
  });

  it('lureWeights and referenceEstimate refuse more q than pool items instead of infinite weights', () => {
    const q = [0.5, 0.5, 0.5, 0.5, 0.5];
    expect(() => lureWeights(q, 4)).toThrow('q: expected at most 4 probabilities (the pool size), got 5');
    expect(() => referenceEstimate('lure', [1, 1, 1, 1, 1], q, 4)).toThrow(InputError);
  });

  it.each(['iid', 'lure', 'is'] as const)('referenceEstimate(%s) of no acquired item throws instead of returning NaN', (name) => {
    expect(() => referenceEstimate(name, [], [], 4)).toThrow('q: expected at least one acquired item (M ≥ 1), got 0');
  });

  it('still computes valid input exactly', () => {
    expect(referenceEstimate('lure', [0.3, 0.9], [0.5, 0.5], 4)).toBeCloseTo(0.4, 15);
  });
});

describe('RunningAseEstimator', () => {
  it.each([NaN, Infinity])('refuses the expected loss %s, naming expectedLosses and its row', (bad) => {
    expect(() => new RunningAseEstimator(Float64Array.of(0.2, bad, 0.4))).toThrow(InputError);
    expect(() => new RunningAseEstimator(Float64Array.of(0.2, bad, 0.4))).toThrow(
      new RegExp(`^expectedLosses \\(row 1\\): expected a finite expected loss, got ${String(bad)}$`),
    );
  });

  it.each([null, undefined, 0.5])('refuses the expectedLosses %s with an InputError naming it, not a TypeError', (bad) => {
    expect(() => new RunningAseEstimator(bad as never)).toThrow(
      new InputError({ argument: 'expectedLosses', expected: 'an array of numbers', received: bad }),
    );
  });

  it('still takes finite expected losses', () => {
    expect(new RunningAseEstimator(Float64Array.of(0.2, 0.4)).zeroShot).toBeCloseTo(0.3, 15);
  });
});

describe('floorProposal', () => {
  it.each([NaN, Infinity, -Infinity])('refuses the weight %s, naming weights and its row, instead of NaN probabilities', (bad) => {
    expect(() => floorProposal([1, 2, bad], 0.1, 'corrected')).toThrow(InputError);
    expect(() => floorProposal([1, 2, bad], 0.1, 'reference')).toThrow(
      new RegExp(`^weights \\(row 2\\): expected a finite weight, got ${String(bad)}$`),
    );
  });
});

describe.each([
  ['LUREEstimator', () => new LUREEstimator(10)],
  ['ISEstimator', () => new ISEstimator(10)],
  ['RunningAseEstimator', () => new RunningAseEstimator(new Float64Array(10).fill(0.5))],
] as const)('%s.terms', (_name, make) => {
  const labelled = () => {
    const estimator = make();
    for (let index = 0; index < 3; index++) estimator.add(0.25 * (index + 1), 0.1, index);
    return estimator;
  };

  it('refuses an out shorter than the label count instead of filling part of it', () => {
    const out = new Float64Array(2).fill(-1);
    expect(() => labelled().terms(out)).toThrow(InputError);
    expect(() => labelled().terms(out)).toThrow(
      /^out: expected a Float64Array of at least 3 entries \(one per label\), got a Float64Array of length 2$/,
    );
    expect([...out]).toEqual([-1, -1]);
  });

  it('refuses an out that is not a Float64Array', () => {
    expect(() => labelled().terms([0, 0, 0] as never)).toThrow(/^out: expected a Float64Array of at least 3 entries/);
  });

  it('fills an out as long as the label count, or longer, with terms whose mean is the estimate', () => {
    const estimator = labelled();
    const out = new Float64Array(5).fill(-1);
    estimator.terms(out);
    expect((out[0]! + out[1]! + out[2]!) / 3).toBeCloseTo(estimator.estimate(), 12);
    expect([out[3], out[4]]).toEqual([-1, -1]);
  });
});
