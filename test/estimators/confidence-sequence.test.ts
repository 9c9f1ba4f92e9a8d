import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  REFERENCE_SHARE,
  RiskConfidenceSequence,
  sequenceSolveSpacing,
  upperShare,
  type CapitalState,
  type ConfidenceSequenceOptions,
} from '../../src/estimators/confidence-sequence.js';
import { finitePopulationFactor } from '../../src/estimators/bootstrap.js';
import { LUREEstimator } from '../../src/estimators/lure.js';
import { randomStream } from '../../src/random.js';
import { lossBounds, BUILTIN_LOSSES, differenceBounds, pairedDifferenceBounds } from '../../src/metrics/index.js';
import { csPool, poolReference, runOnce, type Acquisition, type PoolKind, type CsPool } from './cs-pools.js';

/** A tiny pool whose losses sit at awkward places inside their bounds: one costly item, one free one. */
const TINY = {
  losses: [0.05, 0.1, 2.6, 0.3, 0, 0.2, 0.15],
  lower: [0, 0, 0.1, 0, 0, 0.1, 0],
  upper: [1, 0.5, 3, 1, 2, 0.4, 0.6],
  values: [0.2, 0.1, 0.05, 0.4, 0.9, 0.3, 0.2],
  /** A deliberately rough prediction: the surrogate's values as losses. */
  predictedLoss: [0.2, 0.1, 0.05, 0.4, 0.9, 0.3, 0.2],
};
const TINY_RISK = TINY.losses.reduce((s, x) => s + x, 0) / TINY.losses.length;

/** A tiny pool, the surrogate's values its proposal is built from, and a prediction of each loss. */
interface TinyPool {
  losses: number[];
  lower: number[];
  upper: number[];
  values: number[];
  predictedLoss: number[];
}

/**
 * A second tiny pool on which the reference bets are active (wide, cross-entropy-like upper
 * bounds; predictions close to the losses; values spread evenly), so the per-draw floors change
 * the sequence.
 */
const GUIDED: TinyPool = {
  losses: [0.05, 0.1, 2.6, 0.3, 0, 0.2, 0.15],
  lower: [0, 0, 0.1, 0, 0, 0.1, 0],
  upper: [9, 12, 8, 10, 15, 9, 11],
  values: [0.5, 0.4, 0.6, 0.5, 0.9, 0.3, 0.7],
  predictedLoss: [0.05, 0.12, 2.4, 0.3, 0.02, 0.2, 0.1],
};

/**
 * A predictable adaptive proposal over the remaining items: the surrogate's values, sharpened after
 * a labelled loss above 0.25 and flattened otherwise (depends on the past only).
 */
function tinyProposal(pool: TinyPool, remaining: number[], history: number[]): number[] {
  const last = history.length === 0 ? 0 : pool.losses[history[history.length - 1]];
  const power = last > 0.25 ? 3 : 0.5;
  const weights = remaining.map((i) => Math.pow(pool.values[i], power));
  const total = weights.reduce((s, x) => s + x, 0);
  return weights.map((w) => w / total);
}

/**
 * The reference bets' inputs on a tiny pool: its prediction and each item's smallest probability
 * under either power of `tinyProposal` over the full pool (normalising over fewer items only raises it).
 */
function tinyReference(pool: TinyPool): { predictedLoss: number[]; proposalFloor: number[] } {
  const { values } = pool;
  const floor = (v: number) =>
    Math.min(...[3, 0.5].map((power) => Math.pow(v, power) / values.reduce((s, x) => s + Math.pow(x, power), 0)));
  return { predictedLoss: pool.predictedLoss, proposalFloor: values.map(floor) };
}

/** Bets of the enumeration: plain, reference bets with the fixed floor, or with each draw's own proposal as its floor. */
type TinyBets = 'plain' | 'reference' | 'draw floor';

/**
 * Every draw sequence of a tiny pool, weighted by its probability: returns the probability that
 * the confidence sequence excludes R at some label count, that each fixed-budget interval does,
 * and the probability-weighted sum of the sequence's widths over every draw sequence and count.
 * The items in `hidden` are drawn but their losses never given (`addUnobserved`).
 */
function enumerateMisses(
  pool: TinyPool,
  alpha: number,
  bets: TinyBets,
  plannedLabels?: number,
  hidden: ReadonlySet<number> = new Set(),
): { anytime: number; fixed: number[]; totalProbability: number; width: number } {
  const n = pool.losses.length;
  const risk = pool.losses.reduce((s, x) => s + x, 0) / n;
  const reference = tinyReference(pool);
  const fixed = new Array<number>(n + 1).fill(0);
  let anytime = 0;
  let totalProbability = 0;
  let width = 0;
  const visit = (history: number[], qs: number[], floors: Float64Array[], probability: number, missed: boolean): void => {
    const m = history.length;
    if (m > 0) {
      const cs = new RiskConfidenceSequence(
        pool.lower,
        pool.upper,
        bets === 'plain' ? { alpha, plannedLabels } : { alpha, plannedLabels, reference },
      );
      history.forEach((index, j) => {
        const floor = bets === 'draw floor' ? floors[j] : undefined;
        if (hidden.has(index)) cs.addUnobserved(index, qs[j], floor);
        else cs.add(index, pool.losses[index], qs[j], floor);
      });
      const a = cs.anytime();
      const f = cs.fixed();
      width += probability * (a.upper - a.lower);
      if (m === n && hidden.size > 0) {
        // Never a point: within the certain interval (the hidden items' ranges), which the bets may cut.
        const spread = [...hidden].reduce((sum, i) => sum + pool.upper[i] - pool.lower[i], 0) / n;
        for (const interval of [a, f]) {
          expect(interval.upper - interval.lower).toBeGreaterThan(0);
          expect(interval.upper - interval.lower).toBeLessThanOrEqual(spread + 1e-12);
        }
        if (!(f.lower <= risk && risk <= f.upper)) fixed[m] += probability;
      } else if (m === n) {
        // The point R, widened by the rounding margin only: it contains R however R is summed.
        for (const interval of [a, f]) {
          expect(interval.lower).toBeLessThanOrEqual(risk);
          expect(interval.upper).toBeGreaterThanOrEqual(risk);
          expect(interval.upper - interval.lower).toBeLessThan(1e-12);
        }
      } else {
        expect(f.upper - f.lower).toBeGreaterThan(0);
        if (!(f.lower <= risk && risk <= f.upper)) fixed[m] += probability;
      }
      missed = missed || !(a.lower <= risk && risk <= a.upper);
    }
    if (m === n) {
      totalProbability += probability;
      if (missed) anytime += probability;
      return;
    }
    const remaining = [...Array(n).keys()].filter((i) => !history.includes(i));
    const q = tinyProposal(pool, remaining, history);
    // The tightest floor a draw can declare: its own proposal over the remaining items (0 elsewhere).
    const floor = new Float64Array(n);
    remaining.forEach((index, j) => (floor[index] = q[j]));
    remaining.forEach((index, j) => visit([...history, index], [...qs, q[j]], [...floors, floor], probability * q[j], missed));
  };
  visit([], [], [], 1, false);
  return { anytime, fixed, totalProbability, width };
}

describe('RiskConfidenceSequence: exact enumeration of every draw sequence (N = 7)', () => {
  // The last two are tuned for 3 of the 7 labels (bets of the fixed budget 3 up to it).
  const cases = [
    ['tiny', TINY, 'plain', undefined],
    ['tiny', TINY, 'reference', undefined],
    ['guided', GUIDED, 'reference', undefined],
    ['guided', GUIDED, 'draw floor', undefined],
    ['tiny', TINY, 'plain', 3],
    ['guided', GUIDED, 'draw floor', 3],
  ] as const;
  for (const alpha of [0.05, 0.2, 0.5]) {
    for (const [name, pool, bets, planned] of cases) {
      const tuned = planned === undefined ? '' : `, planned ${planned} labels`;
      it(`excludes R at some label count with probability ≤ α = ${alpha}; each fixed budget too (${name} pool, ${bets} bets${tuned})`, () => {
        const { anytime, fixed, totalProbability } = enumerateMisses(pool, alpha, bets, planned);
        expect(totalProbability).toBeCloseTo(1, 12);
        expect(anytime).toBeLessThanOrEqual(alpha);
        for (const p of fixed) expect(p).toBeLessThanOrEqual(alpha);
        if (alpha === 0.5) {
          // The check can fail: at α = 0.5 the sequence does exclude R on some paths.
          expect(anytime).toBeGreaterThan(0);
        }
      });
    }
  }

  // The losses above 0.25 (items 2 and 3, the costliest) are never given: a rule tied to the loss.
  for (const [name, pool, bets] of [
    ['tiny', TINY, 'plain'],
    ['guided', GUIDED, 'draw floor'],
  ] as const) {
    it(`excludes R with probability ≤ α when the costly items' losses stay unknown (${name} pool, ${bets} bets)`, () => {
      const hidden = new Set([2, 3]);
      for (const alpha of [0.05, 0.5]) {
        const { anytime, fixed, totalProbability, width } = enumerateMisses(pool, alpha, bets, undefined, hidden);
        expect(totalProbability).toBeCloseTo(1, 12);
        expect(anytime).toBeLessThanOrEqual(alpha);
        for (const p of fixed) expect(p).toBeLessThanOrEqual(alpha);
        // Unknown losses cost width: wider than with every loss given.
        expect(width).toBeGreaterThan(enumerateMisses(pool, alpha, bets).width);
      }
    });
  }

  it('uses the per-draw floors on the guided pool (the check above is not of the fixed floor again)', () => {
    // Measured at α = 0.5: expected width summed over counts 25.2460 with the fixed floor, 25.2189 with per-draw floors.
    const withFloor = enumerateMisses(GUIDED, 0.5, 'reference').width;
    const perDraw = enumerateMisses(GUIDED, 0.5, 'draw floor').width;
    expect(perDraw).toBeLessThan(withFloor - 0.005);
  });
});

describe('RiskConfidenceSequence: basic behaviour', () => {
  it('keeps the deterministic bounds: labelled losses plus the bounds of the rest', () => {
    const cs = new RiskConfidenceSequence(new Float64Array(4), new Float64Array(4).fill(1));
    cs.add(2, 1, 0.25);
    // Widened by the rounding margin 2ε·Σ max(|a_i|, |b_i|) = 8ε.
    const deterministic = cs.deterministic();
    expect(deterministic).toEqual({ lower: 0.25 - 8 * Number.EPSILON, upper: 1 + 8 * Number.EPSILON });
    const a = cs.anytime();
    expect(a.lower).toBeGreaterThanOrEqual(deterministic.lower);
    expect(a.upper).toBeLessThanOrEqual(deterministic.upper);
  });

  it('gives the same bounds, bit for bit, read after every label or once, and again after a reset', () => {
    const pool = csPool('ordinary', 300, 'cross-entropy', 5);
    // Every third item labelled, every thirtieth's neighbour skipped (a loss never known).
    const draws = Array.from({ length: 100 }, (_, d) => ({ index: 3 * d, q: 1 / (300 - d), skipped: d % 10 === 0 }));
    const feed = (cs: RiskConfidenceSequence, read: boolean): void => {
      for (const { index, q, skipped } of draws) {
        cs.add(index, pool.losses[index], q);
        if (skipped) cs.addUnobserved(index + 1, q);
        if (read) {
          cs.anytime();
          cs.fixed();
        }
      }
    };
    const read = new RiskConfidenceSequence(pool.lower, pool.upper);
    feed(read, true);
    const fresh = new RiskConfidenceSequence(pool.lower, pool.upper);
    feed(fresh, false);
    // Read at every label or once at the end, the same bounds bit for bit: they depend on the
    // labels only (each solve's Newton starts where the count before left it, asked or not).
    expect(read.anytime()).toEqual(fresh.anytime());
    expect(read.fixed()).toEqual(fresh.fixed());
    fresh.reset();
    feed(fresh, false);
    expect(read.anytime()).toEqual(fresh.anytime());
    expect(read.fixed()).toEqual(fresh.fixed());
  });

  it('is a running intersection: never widens as labels arrive', () => {
    const pool = csPool('ordinary', 300, 'cross-entropy', 5);
    const cs = new RiskConfidenceSequence(pool.lower, pool.upper);
    let previous = { lower: -Infinity, upper: Infinity };
    for (let i = 0; i < 300; i += 3) {
      cs.add(i, pool.losses[i], 1 / (300 - cs.count));
      const now = cs.anytime();
      expect(now.lower).toBeGreaterThanOrEqual(previous.lower);
      expect(now.upper).toBeLessThanOrEqual(previous.upper);
      previous = now;
    }
  });

  it('stays within the certain interval when misleading draws make both sides reject', () => {
    // Ten losses of 1 then nine of 0 on a 20-item zero-one pool, each reported with q = 0.002
    // (importance weight 25): the lower side rejects everything below about 16, the upper side
    // everything above 0, so the sides cross. The hull is cut to what the labels make certain.
    const n = 20;
    const cs = new RiskConfidenceSequence(new Float64Array(n), new Float64Array(n).fill(1));
    for (let t = 0; t < n - 1; t++) {
      cs.add(t, t < 10 ? 1 : 0, 0.002);
      const certain = { lower: (t < 10 ? t + 1 : 10) / n, upper: (t < 10 ? t + 1 : 10) / n + (n - 1 - t) / n };
      for (const interval of [cs.anytime(), cs.fixed()]) {
        expect(interval.lower).toBeGreaterThanOrEqual(certain.lower - 1e-12);
        expect(interval.upper).toBeLessThanOrEqual(certain.upper + 1e-12);
        expect(interval.lower).toBeLessThanOrEqual(interval.upper);
      }
    }
    // Crossed from the second label on: the lower side's bound is far above 1, so the cut binds.
    expect(cs.anytime().upper).toBeCloseTo(0.55, 12);
  });

  it('never collapses to a point before M = N: a side past the other certain bound falls back on its own', () => {
    // Six losses of 1 first, then zeros, on a 20-item zero-one pool labelled uniformly (R = 0.3):
    // a rare run in which the lower side rejects R. At 16 labels it says R ≥ 0.54 while the labels
    // make R ≤ 0.5 certain; cutting at the certain bound would report the point 0.5, which cannot hold R.
    const n = 20;
    const cs = new RiskConfidenceSequence(new Float64Array(n), new Float64Array(n).fill(1));
    for (let t = 0; t < n - 1; t++) {
      cs.add(t, t < 6 ? 1 : 0, 1 / (n - t));
      const certain = cs.deterministic();
      for (const interval of [cs.anytime(), cs.fixed()]) {
        expect(interval.upper - interval.lower).toBeGreaterThan(0.005);
        expect(interval.lower).toBeGreaterThanOrEqual(certain.lower);
        expect(interval.upper).toBeLessThanOrEqual(certain.upper);
      }
      if (t === 14) expect(cs.anytime().lower).toBeGreaterThan(0.54);
      if (t === 15) {
        expect(cs.anytime().lower).toBeCloseTo(0.3, 12);
        expect(cs.anytime().upper).toBeCloseTo(0.5, 12);
      }
    }
  });

  it('is continuous in a loss that lies a few ulps inside its bound', () => {
    // 0.1 + 0.2 is 0.30000000000000004: a last loss of 0.3 leaves the upper side w = 5.6e-17,
    // which N·θ − P cannot resolve at the deterministic bound. The bounds must match those of the
    // loss exactly at the bound (w = 0), not stay at the deterministic bound.
    const n = 200;
    const upper = new Float64Array(n).fill(0.1 + 0.2);
    const sequences = [0.3, 0.1 + 0.2].map((last) => {
      const cs = new RiskConfidenceSequence(new Float64Array(n), upper);
      for (let t = 0; t < 60; t++) cs.add(t, t === 59 ? last : t % 7 === 0 ? 0.1 : 0.02, 1 / (n - t));
      return cs;
    });
    const [inside, atBound] = sequences;
    expect(inside.deterministic().upper).toBeGreaterThan(0.2);
    for (const side of ['lower', 'upper'] as const) {
      expect(inside.fixed()[side]).toBeCloseTo(atBound.fixed()[side], 6);
      expect(inside.anytime()[side]).toBeCloseTo(atBound.anytime()[side], 6);
    }
    expect(inside.fixed().upper).toBeLessThan(0.07);
    expect(inside.anytime().upper).toBeLessThan(0.09);
  });

  it('refuses bounds past 2^480/√N, whose sums gave an interval of NaN, and is finite just under it', () => {
    const n = 50;
    const limit = 2 ** 480 / Math.sqrt(n);
    expect(() => new RiskConfidenceSequence(new Float64Array(n), new Float64Array(n).fill(1e307))).toThrow(
      new InputError({
        argument: 'upperBounds',
        expected: 'a loss bound at most 2^480/√N = 4.41e+143 for N = 50 in magnitude',
        received: 1e307,
        row: 0,
      }),
    );
    expect(() => new RiskConfidenceSequence(new Float64Array(n).fill(-limit * (1 + 1e-9)), new Float64Array(n))).toThrow(
      /^lowerBounds \(row 0\): expected a loss bound at most 2\^480\/√N/,
    );
    const cs = new RiskConfidenceSequence(new Float64Array(n), new Float64Array(n).fill(limit * (1 - 1e-9)));
    for (let i = 0; i < 10; i++) cs.add(i, i % 2 === 0 ? limit * 0.9 : 0, 1 / (n - i));
    for (const { lower, upper } of [cs.anytime(), cs.fixed()]) {
      expect(Number.isFinite(lower) && Number.isFinite(upper)).toBe(true);
      expect(lower).toBeGreaterThan(0);
      expect(upper).toBeGreaterThan(lower);
      expect(upper).toBeLessThan(limit);
    }
  });

  it('rejects bad input with InputError naming the argument', () => {
    expect(() => new RiskConfidenceSequence([0, Number.NaN], [1, 1])).toThrow(/lowerBounds \(row 1\)/);
    expect(() => new RiskConfidenceSequence([0, 0], [1, Number.NaN])).toThrow(InputError);
    expect(() => new RiskConfidenceSequence([0, 2], [1, 1])).toThrow(/upperBounds/);
    expect(() => new RiskConfidenceSequence([0], [1, 1])).toThrow(/upperBounds/);
    // The pool size where the bounds belong: refused, not a sequence over an undefined pool.
    expect(() => new RiskConfidenceSequence(5 as never, [1])).toThrow(/^lowerBounds: expected one bound per pool item/);
    expect(() => new RiskConfidenceSequence({} as never, [1])).toThrow(/^lowerBounds: expected one bound per pool item/);
    expect(() => new RiskConfidenceSequence([0], null as never)).toThrow(/^upperBounds: expected 1 bounds/);
    expect(() => new RiskConfidenceSequence([0], [1], { alpha: 0 })).toThrow(/alpha/);
    // A misspelt option is refused, not ignored (which would give the default 95% sequence).
    expect(() => new RiskConfidenceSequence([0], [1], { alhpa: 0.1 } as never)).toThrow(
      /^alhpa: expected a known option, did you mean alpha\?/,
    );
    expect(() => new RiskConfidenceSequence([0], [1], null as never)).toThrow(/^options: expected an options object/);
    for (const plannedLabels of [0, 1.5, -3, Number.NaN]) {
      expect(() => new RiskConfidenceSequence([0], [1], { plannedLabels })).toThrow(/plannedLabels/);
    }
    // As a session does: no run draws more labels than the pool has.
    expect(() => new RiskConfidenceSequence([0, 0], [1, 1], { plannedLabels: 3 })).toThrow(
      /^plannedLabels: expected at most the pool size 2, got 3$/,
    );
    expect(new RiskConfidenceSequence([0, 0], [1, 1], { plannedLabels: 2 }).poolSize).toBe(2);
    const cs = new RiskConfidenceSequence([0, 0], [1, 1]);
    expect(() => cs.add(0, 0.5, 0)).toThrow(/q/);
    expect(() => cs.add(0, 1.5, 0.5)).toThrow(/loss \(row 0\)/);
    expect(() => cs.add(2, 0.5, 0.5)).toThrow(/index/);
    cs.add(0, 0.5, 0.5);
    expect(() => cs.add(0, 0.5, 0.5)).toThrow(/not labelled yet/);
    const reference = (predictedLoss: number[], proposalFloor: number[]) => ({ reference: { predictedLoss, proposalFloor } });
    expect(() => new RiskConfidenceSequence([0, 0], [1, 1], reference([0.5], [0.5, 0.5]))).toThrow(/predictedLoss/);
    expect(() => new RiskConfidenceSequence([0, 0], [1, 1], reference([0.5, Number.NaN], [0.5, 0.5]))).toThrow(/predictedLoss \(row 1\)/);
    expect(() => new RiskConfidenceSequence([0, 0], [1, 1], reference([0.5, 0.5], [0.5, 0]))).toThrow(/proposalFloor \(row 1\)/);
    expect(() => new RiskConfidenceSequence([0, 0], [1, 1], reference([0.5, 0.5], [0.6, 0.5]))).toThrow(/summing to at most 1/);
    // From JavaScript: a misspelt or missing array is an InputError naming it, never a TypeError.
    const given = (value: unknown) => () => new RiskConfidenceSequence([0, 0], [1, 1], { reference: value as never });
    expect(given({ predictedLos: [0.5, 0.5], proposalFloor: [0.5, 0.5] })).toThrow(
      new InputError({
        argument: 'reference.predictedLos',
        expected: 'a known option, did you mean predictedLoss? (valid: predictedLoss, proposalFloor)',
      }),
    );
    expect(given({ predictedLoss: [0.5, 0.5], drawFloor: () => [0.5, 0.5] })).toThrow(/^proposalFloor: expected 2 floors/);
    expect(given(null)).toThrow(/^reference: expected a reference \{ predictedLoss, proposalFloor \}, got null$/);
    const floored = new RiskConfidenceSequence([0, 0], [1, 1], reference([0.5, 0.5], [0.5, 0.4]));
    // A draw below its declared floor would void the guarantee: refused.
    expect(() => floored.add(1, 0.5, 0.3)).toThrow(/proposal floor/);
    expect(() => floored.add(1, 0.5, 0.5, [0.5])).toThrow(/drawFloor/);
    expect(() => floored.add(1, 0.5, 0.5, [0.5, Number.NaN])).toThrow(/drawFloor \(row 1\)/);
    expect(() => floored.add(1, 0.5, 0.5, [-0.1, 0.5])).toThrow(/drawFloor \(row 0\)/);
    // The draw's own floor is checked like the fixed one.
    expect(() => floored.add(1, 0.5, 0.5, [0.5, 0.6])).toThrow(/draw's floor/);
    expect(floored.count).toBe(0);
  });

  it('takes a per-draw floor: equal to the fixed floor it changes nothing, above it the sequence narrows', () => {
    const pool = csPool('ordinary', 1000, 'cross-entropy', 5);
    const n = pool.losses.length;
    const reference = { predictedLoss: pool.values, proposalFloor: new Float64Array(n).fill(1 / (2 * n)) };
    const [fixedFloor, sameFloor, ownFloor] = [0, 1, 2].map(() => new RiskConfidenceSequence(pool.lower, pool.upper, { reference }));
    // Random labelling: q = 1/(N − m) ≥ 1/(2N), the declared floor; each draw's own floor is 1/(N − m) on every item.
    const u = randomStream(4, [0]);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let m = 0; m < 200; m++) {
      const pick = m + Math.floor(u() * (n - m));
      [order[m], order[pick]] = [order[pick], order[m]];
      const index = order[m];
      const q = 1 / (n - m);
      fixedFloor.add(index, pool.losses[index], q);
      sameFloor.add(index, pool.losses[index], q, reference.proposalFloor);
      ownFloor.add(index, pool.losses[index], q, new Float64Array(n).fill(q));
    }
    expect(sameFloor.anytime()).toEqual(fixedFloor.anytime());
    expect(sameFloor.fixed()).toEqual(fixedFloor.fixed());
    const half = (i: { lower: number; upper: number }) => (i.upper - i.lower) / 2;
    // The range halves (q ≈ 2π throughout): measured 0.131 → 0.092 (anytime), 0.121 → 0.081 (fixed); require 15% narrower.
    expect(half(ownFloor.anytime())).toBeLessThan(0.85 * half(fixedFloor.anytime()));
    expect(half(ownFloor.fixed())).toBeLessThan(0.85 * half(fixedFloor.fixed()));
  });

  it('tuned for planned labels: inside the fixed-budget interval there, narrower there than untuned, wider early', () => {
    const pool = csPool('ordinary', 1000, 'zero-one', 4);
    const halfWidths = { tuned: [[], []] as number[][], untuned: [[], []] as number[][] };
    for (let r = 0; r < 40; r++) {
      const tuned = runOnce(pool, 'iid', [20, 200], 300 + r, 1e-3, true, 200);
      const untuned = runOnce(pool, 'iid', [20, 200], 300 + r, 1e-3, true);
      // Up to 200 labels its bets are the fixed budget's, and it keeps the best capital over every
      // count; both are solved to Newton's stop (a hair inside the exact bound, ≤ 0.02% of the width).
      const slack = 2e-4 * (tuned.fixed[1].upper - tuned.fixed[1].lower);
      expect(tuned.anytime[1].lower).toBeGreaterThanOrEqual(tuned.fixed[1].lower - slack);
      expect(tuned.anytime[1].upper).toBeLessThanOrEqual(tuned.fixed[1].upper + slack);
      [0, 1].forEach((j) => {
        halfWidths.tuned[j].push((tuned.anytime[j].upper - tuned.anytime[j].lower) / 2);
        halfWidths.untuned[j].push((untuned.anytime[j].upper - untuned.anytime[j].lower) / 2);
      });
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    // Measured: median half-width at 200 labels 0.0599 tuned against 0.0744, at 20 labels 0.220 against 0.190.
    expect(median(halfWidths.tuned[1])).toBeLessThan(0.85 * median(halfWidths.untuned[1]));
    expect(median(halfWidths.tuned[0])).toBeGreaterThan(1.1 * median(halfWidths.untuned[0]));
  });

  it('asked at every count, gives the fixed-budget interval of a sequence asked once, bit for bit', () => {
    // Each fixed-budget bound's Newton starts from the bound before when that is still rejected,
    // or from its tangent; a sequence asked once at the end takes the same steps through the counts
    // before.
    for (const [kind, loss, withReference] of [
      ['ordinary', 'cross-entropy', true],
      ['heavy-tailed', 'cross-entropy', false],
      ['rare-unknown', 'zero-one', true],
    ] as const) {
      const pool = csPool(kind, 400, loss, 8);
      const options = withReference ? { reference: poolReference(pool, 'iid') } : {};
      const u = randomStream(9, [kind.length]);
      const order = Int32Array.from({ length: pool.n }, (_, i) => i);
      for (let i = pool.n - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      // Random labelling in a shuffled order: q = 1/(N − m), at least its floor 1/N.
      const warm = new RiskConfidenceSequence(pool.lower, pool.upper, options);
      const asked: Array<{ lower: number; upper: number }> = [];
      for (let m = 0; m < 150; m++) {
        warm.add(order[m], pool.losses[order[m]], 1 / (pool.n - m));
        asked.push(warm.fixed());
      }
      for (const count of [1, 10, 37, 80, 150]) {
        const cold = new RiskConfidenceSequence(pool.lower, pool.upper, options);
        for (let m = 0; m < count; m++) cold.add(order[m], pool.losses[order[m]], 1 / (pool.n - m));
        expect(cold.fixed()).toEqual(asked[count - 1]);
      }
    }
  });

  it('narrows the upper side of cross-entropy with reference bets, and is the point R at M = N', () => {
    const pool = csPool('ordinary', 1000, 'cross-entropy', 5);
    const plain = runOnce(pool, 'iid', [200], 9);
    const referenced = runOnce(pool, 'iid', [200], 9, 1e-3, true);
    const halfWidth = (i: { lower: number; upper: number }) => (i.upper - i.lower) / 2;
    // Same draws; measured 0.23 → 0.086 (anytime), 0.18 → 0.085 (fixed): require at least a third narrower.
    expect(halfWidth(referenced.anytime[0])).toBeLessThan((2 / 3) * halfWidth(plain.anytime[0]));
    expect(halfWidth(referenced.fixed[0])).toBeLessThan((2 / 3) * halfWidth(plain.fixed[0]));
    const n = TINY.losses.length;
    const cs = new RiskConfidenceSequence(TINY.lower, TINY.upper, { reference: tinyReference(TINY) });
    for (let i = 0; i < n; i++) cs.add(i, TINY.losses[i], 1);
    expect(cs.anytime().lower).toBeCloseTo(TINY_RISK, 12);
    expect(cs.fixed().lower).toBeLessThanOrEqual(TINY_RISK);
    expect(cs.fixed().upper).toBeGreaterThanOrEqual(TINY_RISK);
    expect(cs.fixed().upper - cs.fixed().lower).toBeLessThan(1e-12);
  });
});

/** The items and probabilities of `labels` draws under the defensive proposal ½·uniform + ½·values (the floor of `poolReference`). */
function defensiveDraws(values: Float64Array, labels: number, seed: number): { items: Int32Array; q: Float64Array } {
  const n = values.length;
  const u = randomStream(seed, [11]);
  const taken = new Uint8Array(n);
  const items = new Int32Array(labels);
  const q = new Float64Array(labels);
  for (let m = 0; m < labels; m++) {
    let total = 0;
    for (let i = 0; i < n; i++) if (taken[i] === 0) total += values[i];
    let target = u();
    let chosen = -1;
    for (let i = 0; i < n && target >= 0; i++) {
      if (taken[i] === 1) continue;
      chosen = i;
      q[m] = 0.5 * (values[i] / total) + 0.5 / (n - m);
      target -= q[m];
    }
    taken[chosen] = 1;
    items[m] = chosen;
  }
  return { items, q };
}

/**
 * The bounds of `kind` solved exactly at `labels` labels, whether or not it is a solve point (for
 * the fixed-budget interval, of budget `labels`): a fresh sequence given them, whose sides are made
 * to solve there (their private `solveAnytime` / `solveFixed`, test only) and to take the counts
 * before as read, so that reading the result solves nothing else.
 */
function exactBounds(
  kind: 'anytime' | 'fixed',
  pool: CsPool,
  options: ConfidenceSequenceOptions,
  items: Int32Array,
  q: Float64Array,
  labels: number,
) {
  const fresh = new RiskConfidenceSequence(pool.lower, pool.upper, options);
  for (let j = 0; j < labels; j++) fresh.add(items[j], pool.losses[items[j]], q[j]);
  const solve = kind === 'anytime' ? 'solveAnytime' : 'solveFixed';
  const bound = kind === 'anytime' ? 'anytimeBound' : 'fixedBound';
  type Side = Record<typeof solve, (labels: number) => void> & Record<typeof bound, { lastCount: number }>;
  const sides = fresh as unknown as Record<'lowerSide' | 'upperSide', Side>;
  for (const side of [sides.lowerSide, sides.upperSide]) {
    side[solve](labels);
    side[bound].lastCount = labels - 1;
  }
  return kind === 'anytime' ? fresh.anytime() : fresh.fixed();
}

/** The label counts up to `labels` at which `anytime()` solves its bounds exactly. */
function solvePoints(labels: number): number[] {
  const points: number[] = [];
  for (let m = 1; m <= labels; m++) if (m % sequenceSolveSpacing(m) === 0) points.push(m);
  return points;
}

describe('RiskConfidenceSequence: the anytime bounds solved at every 10th of the labels', () => {
  const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

  it('solves at every count below 20, then every 2nd, 5th, 10th, 20th, 50th label: O(M) Newton work in all', () => {
    expect(solvePoints(400)).toEqual([
      ...range(1, 19, 1),
      ...range(20, 48, 2),
      ...range(50, 95, 5),
      ...range(100, 190, 10),
      ...range(200, 400, 20),
    ]);
    expect(solvePoints(1000).slice(-11)).toEqual([...range(500, 950, 50), 1000]);
    // Each solve is O(P) per Newton step at its count P: Σ P = 6,175 over 400 labels (65 solves)
    // against Σ M = 80,200 when every label is solved; in general below 18·M (the largest ratio is
    // at 5·10^k: 17.17 at 500,000).
    const sum = (points: number[]) => points.reduce((s, p) => s + p, 0);
    expect(sum(solvePoints(400))).toBe(6175);
    for (const labels of [399, 1000, 3999, 20_000, 500_000]) expect(sum(solvePoints(labels))).toBeLessThan(18 * labels);
    expect(sequenceSolveSpacing(0)).toBe(1);
    for (const bad of [Number.NaN, Infinity, -1, 2.5]) expect(() => sequenceSolveSpacing(bad)).toThrow(/labels/);
  });

  for (const withReference of [false, true]) {
    it(`never lies outside the exact bounds, nor outside those of the last solve (${withReference ? 'reference' : 'plain'} bets)`, () => {
      const pool = csPool('ordinary', 1000, 'zero-one', 5);
      const options = withReference ? { reference: poolReference(pool, 'defensive') } : {};
      const labels = 400;
      const { items, q } = defensiveDraws(pool.values, labels, 3);
      const asked = new RiskConfidenceSequence(pool.lower, pool.upper, options);
      const sparse = new RiskConfidenceSequence(pool.lower, pool.upper, options);
      const exact: Array<{ lower: number; upper: number }> = [];
      let widest = 0;
      let widestSolved = 0;
      for (let m = 1; m <= labels; m++) {
        const index = items[m - 1];
        asked.add(index, pool.losses[index], q[m - 1]);
        sparse.add(index, pool.losses[index], q[m - 1]);
        exact[m] = exactBounds('anytime', pool, options, items, q, m);
        const now = asked.anytime();
        // Newton stops within 1e-4 of the log-capital threshold, on the rejected side: each solve
        // may end that far (over the slope, a tiny fraction of the width) inside the root.
        const width = exact[m].upper - exact[m].lower;
        const tolerance = 1e-4 * width;
        expect(now.lower).toBeLessThanOrEqual(exact[m].lower + tolerance);
        expect(now.upper).toBeGreaterThanOrEqual(exact[m].upper - tolerance);
        const solved = m - (m % sequenceSolveSpacing(m));
        expect(now.lower).toBeGreaterThanOrEqual(exact[solved].lower - tolerance);
        expect(now.upper).toBeLessThanOrEqual(exact[solved].upper + tolerance);
        widest = Math.max(widest, (now.upper - now.lower) / width - 1);
        const deterministic = asked.deterministic();
        const lastSolve = Math.min(exact[solved].upper, deterministic.upper) - Math.max(exact[solved].lower, deterministic.lower);
        widestSolved = Math.max(widestSolved, lastSolve / width - 1);
        // Asked at other counts (every 7th label), the same bounds bit for bit: they depend on the labels only.
        if (m % 7 === 0) expect(sparse.anytime()).toEqual(now);
      }
      // Between solves the new labels' tangents recover most of what a solve would: measured at
      // most 0.36% (plain) / 0.48% (reference) wider than the exact bounds, where those of the last
      // solve (with the deterministic bounds now) are up to 8.4% / 9.4% wider.
      expect(widest).toBeLessThan(0.01);
      expect(widestSolved).toBeGreaterThan(0.02);
    });
  }

  for (const withReference of [false, true]) {
    it(`fixed budget: exact at the solve points and the planned labels, near the exact bounds in between (${withReference ? 'reference' : 'plain'} bets)`, () => {
      const pool = csPool('ordinary', 1000, 'cross-entropy', 6);
      const base = withReference ? { reference: poolReference(pool, 'defensive') } : {};
      const labels = 300;
      const planned = 237;
      const { items, q } = defensiveDraws(pool.values, labels, 4);
      const asked = new RiskConfidenceSequence(pool.lower, pool.upper, base);
      const tuned = new RiskConfidenceSequence(pool.lower, pool.upper, { ...base, plannedLabels: planned });
      const sparse = new RiskConfidenceSequence(pool.lower, pool.upper, base);
      let farthest = 0;
      for (let m = 1; m <= labels; m++) {
        const index = items[m - 1];
        for (const cs of [asked, tuned, sparse]) cs.add(index, pool.losses[index], q[m - 1]);
        const now = asked.fixed();
        const atPlanned = tuned.fixed();
        const exact = exactBounds('fixed', pool, base, items, q, m);
        const tolerance = 2e-4 * (exact.upper - exact.lower);
        const apart = Math.max(Math.abs(now.lower - exact.lower), Math.abs(now.upper - exact.upper)) / (exact.upper - exact.lower);
        if (m % sequenceSolveSpacing(m) === 0) {
          // Both stop within 1e-4 of the log-capital threshold, on the rejected side.
          expect(apart).toBeLessThanOrEqual(2e-4);
          expect(Math.abs(atPlanned.lower - now.lower)).toBeLessThanOrEqual(tolerance);
          expect(Math.abs(atPlanned.upper - now.upper)).toBeLessThanOrEqual(tolerance);
        } else {
          farthest = Math.max(farthest, apart);
        }
        if (m === planned) {
          expect(Math.abs(atPlanned.lower - exact.lower)).toBeLessThanOrEqual(tolerance);
          expect(Math.abs(atPlanned.upper - exact.upper)).toBeLessThanOrEqual(tolerance);
        }
        // Asked at other counts (every 7th label), the same bounds bit for bit: they depend on the labels only.
        if (m % 7 === 0) expect(sparse.fixed()).toEqual(now);
      }
      // Between solve points the last one's bets stand in for the count's own, and its tangents
      // for a solve: measured at most 0.91% (plain) / 1.3% (reference) of the width from the
      // exact bounds; without the tangents, over 20%.
      expect(farthest).toBeLessThan(0.02);
    });
  }

  it('evaluates the capital as the average of its bets’ products, far from the bound too', () => {
    interface BetArrays {
      z: Float64Array;
      prefix: Float64Array;
      unitBet: Float64Array;
      anytimeBet: Float64Array;
      maxBet: number;
    }
    interface Side {
      bets: BetArrays[];
      threshold: number;
      anytimeBound: { solved: number };
      fixedBound: { solved: number };
      deterministicLower(): number;
      evaluate(theta: number, budget: number, labels: number, state: CapitalState): void;
    }
    const poolSize = 1000;
    // Each bet's log-capital, the plain sum of its factors' logs, and the running maximum over
    // prefixes (the empty one included) of log((1 − w)·K⁰ + w·K¹), w the reference bet's share.
    const direct = (side: Side, theta: number, budget: number, labels: number) => {
      const logs = side.bets.map(() => 0);
      let best = 0;
      for (let s = 0; s < labels; s++) {
        side.bets.forEach((bet, k) => {
          const lambda = budget > 0 ? Math.min(bet.maxBet, bet.unitBet[s] / Math.sqrt(budget)) : bet.anytimeBet[s];
          const x = poolSize * theta - bet.prefix[s];
          logs[k] += Math.log(1 - lambda + (bet.z[s] === 0 ? 0 : (lambda * bet.z[s]) / x));
        });
        const top = Math.max(...logs);
        const shares = logs.length === 1 ? [1] : [1 - REFERENCE_SHARE, REFERENCE_SHARE];
        best = Math.max(best, top + Math.log(logs.reduce((sum, log, k) => sum + shares[k]! * Math.exp(log - top), 0)));
      }
      return { logs, best };
    };
    const labels = 400;
    let deepest = 0;
    let lowest = 0;
    let solvedBounds = 0;
    for (const loss of ['cross-entropy', 'zero-one'] as const) {
      const pool = csPool('ordinary', poolSize, loss, 7);
      const { items, q } = defensiveDraws(pool.values, labels, 5);
      for (const options of [{}, { reference: poolReference(pool, 'defensive') }]) {
        const cs = new RiskConfidenceSequence(pool.lower, pool.upper, options);
        for (let m = 0; m < labels; m++) cs.add(items[m], pool.losses[items[m]], q[m]);
        cs.anytime();
        cs.fixed();
        const sides = cs as unknown as Record<'lowerSide' | 'upperSide', Side>;
        for (const side of [sides.lowerSide, sides.upperSide]) {
          const state: CapitalState = {
            logs: new Float64Array(2),
            slopes: new Float64Array(2),
            best: 0,
            bestSlope: 0,
            reach: 0,
            rejected: false,
          };
          const deterministic = side.deterministicLower();
          for (const [budget, bound] of [
            [0, side.anytimeBound.solved],
            [labels, side.fixedBound.solved],
          ]) {
            // A bound at the deterministic one (the losses at their lower bounds) rejects nothing.
            if (!(bound > deterministic)) continue;
            solvedBounds++;
            // At the solved bound the log-capital is the threshold's, up to Newton's stop.
            const logThreshold = Math.log(side.threshold);
            expect(direct(side, bound, budget, labels).best).toBeGreaterThanOrEqual(logThreshold - 1e-9);
            expect(direct(side, bound, budget, labels).best).toBeLessThanOrEqual(logThreshold + 1e-4 + 1e-9);
            for (const share of [1e-6, 1e-3, 0.1, 0.5, 1, 2, 10]) {
              const theta = deterministic + share * (bound - deterministic);
              side.evaluate(theta, budget, labels, state);
              const expected = direct(side, theta, budget, labels);
              expect(state.rejected).toBe(false);
              expect(Math.abs(state.best - expected.best)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected.best));
              expected.logs.forEach((log, k) =>
                expect(Math.abs(state.logs[k] - log)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(log))),
              );
              deepest = Math.max(deepest, expected.best);
              lowest = Math.min(lowest, ...expected.logs);
            }
          }
        }
      }
    }
    expect(solvedBounds).toBeGreaterThanOrEqual(4);
    // Products beyond 2^±256 (e^±177) are folded into their logs: both directions are reached.
    expect(deepest).toBeGreaterThan(180);
    expect(lowest).toBeLessThan(-180);
  });

  it('is the point R at M = N, reached between two solves (N = 41)', () => {
    const pool = csPool('ordinary', 41, 'cross-entropy', 2);
    const cs = new RiskConfidenceSequence(pool.lower, pool.upper, { reference: poolReference(pool, 'defensive') });
    const { items, q } = defensiveDraws(pool.values, 41, 1);
    for (let m = 0; m < 41; m++) {
      cs.add(items[m], pool.losses[items[m]], q[m]);
      cs.anytime();
    }
    // 41 is not a solve point (spacing 2 from 20 labels): the deterministic bounds make it R.
    expect(41 % sequenceSolveSpacing(41)).toBe(1);
    const margin = 2 * Number.EPSILON * pool.lower.reduce((s, a, i) => s + Math.max(Math.abs(a), Math.abs(pool.upper[i])), 0);
    const interval = cs.anytime();
    expect(interval.lower).toBeLessThanOrEqual(pool.risk);
    expect(interval.upper).toBeGreaterThanOrEqual(pool.risk);
    expect(interval.upper - interval.lower).toBeLessThanOrEqual(2 * margin + 1e-15);
  });

  it('is the mean of the losses at M = N, however wide the bounds (one bound of 1e100)', () => {
    const n = 20;
    const losses = Float64Array.from({ length: n }, (_, i) => 0.05 + ((i * 7) % 11) / 10);
    const upper = Float64Array.from({ length: n }, (_, i) => (i === 3 ? 1e100 : 2));
    const cs = new RiskConfidenceSequence(new Float64Array(n), upper);
    for (let m = 0; m < n; m++) cs.add(m, losses[m], 1 / (n - m));
    const risk = losses.reduce((a, b) => a + b, 0) / n;
    const interval = cs.anytime();
    expect(interval.lower).toBeLessThanOrEqual(risk);
    expect(interval.upper).toBeGreaterThanOrEqual(risk);
    // 2ε·Σ|ℓ| + 8ε·Σ|ℓ|/N each side: about 1e-14 here, where the bounds' rounding was ±1e84.
    const total = losses.reduce((a, b) => a + b, 0);
    // (+ the ulps of the two ends, which are stored at the size of R)
    expect(interval.upper - interval.lower).toBeLessThanOrEqual(
      2 * (2 * Number.EPSILON * total + (8 * Number.EPSILON * total) / n) + 2 * Number.EPSILON * risk,
    );
    expect(cs.fixed()).toEqual(interval);
  });
});

describe('lossBounds', () => {
  it('contains every loss the item could have, for each built-in loss', () => {
    const scores = { data: Float64Array.from({ length: 40 }, (_, j) => Math.sin(j * 7.1) * 9), rows: 10, cols: 4 };
    for (const loss of ['cross-entropy', 'zero-one', 'brier'] as const) {
      const { lower, upper } = lossBounds(scores, loss);
      let tightLow = 0;
      let tightHigh = 0;
      for (let k = 0; k < 4; k++) {
        const values = BUILTIN_LOSSES[loss].perItem(scores, new Int32Array(10).fill(k));
        for (let i = 0; i < 10; i++) {
          expect(values[i]).toBeGreaterThanOrEqual(lower[i]);
          expect(values[i]).toBeLessThanOrEqual(upper[i]);
          if (Math.abs(values[i] - lower[i]) < 1e-9) tightLow++;
          if (Math.abs(values[i] - upper[i]) < 1e-9) tightHigh++;
        }
      }
      // Tight: some label attains each bound on every row.
      expect(tightLow).toBeGreaterThanOrEqual(10);
      expect(tightHigh).toBeGreaterThanOrEqual(10);
    }
  });

  it('bounds a paired difference exactly over the K labels, for each built-in loss', () => {
    const f = { data: Float64Array.from({ length: 40 }, (_, j) => Math.sin(j * 7.1) * 9), rows: 10, cols: 4 };
    const g = { data: Float64Array.from({ length: 40 }, (_, j) => Math.cos(j * 3.3) * 5), rows: 10, cols: 4 };
    for (const loss of ['cross-entropy', 'zero-one', 'brier'] as const) {
      const { lower, upper } = pairedDifferenceBounds(f, g, loss);
      const lowest = new Float64Array(10).fill(Infinity);
      const highest = new Float64Array(10).fill(-Infinity);
      for (let k = 0; k < 4; k++) {
        const labels = new Int32Array(10).fill(k);
        const a = BUILTIN_LOSSES[loss].perItem(f, labels);
        const b = BUILTIN_LOSSES[loss].perItem(g, labels);
        for (let i = 0; i < 10; i++) {
          lowest[i] = Math.min(lowest[i], a[i] - b[i]);
          highest[i] = Math.max(highest[i], a[i] - b[i]);
        }
      }
      for (let i = 0; i < 10; i++) {
        expect(lower[i]).toBeLessThanOrEqual(lowest[i]);
        expect(upper[i]).toBeGreaterThanOrEqual(highest[i]);
        expect(lowest[i] - lower[i]).toBeLessThan(1e-9);
        expect(upper[i] - highest[i]).toBeLessThan(1e-9);
      }
    }
  });

  it('bounds a paired difference by the crossed bounds', () => {
    const a = { lower: Float64Array.of(0.1), upper: Float64Array.of(2) };
    const b = { lower: Float64Array.of(0.3), upper: Float64Array.of(1) };
    expect(differenceBounds(a, b)).toEqual({ lower: Float64Array.of(0.1 - 1), upper: Float64Array.of(2 - 0.3) });
  });
});

/**
 * Seeded Monte Carlo coverage on hard pools of each kind: the sequence's simultaneous coverage
 * (R inside at every recorded label count) and the fixed-budget interval's at each count. With 200
 * runs at nominal 95%, coverage below 0.95 − 3σ (σ ≈ 0.0154) fails.
 */
describe('RiskConfidenceSequence: Monte Carlo coverage on hard pools', () => {
  const runs = 200;
  const floor = 0.95 - 3 * Math.sqrt((0.95 * 0.05) / runs);
  const cases: Array<[PoolKind, 'cross-entropy' | 'zero-one' | 'brier', Acquisition]> = [
    ['ordinary', 'cross-entropy', 'surrogate'],
    ['rare-known', 'zero-one', 'surrogate'],
    ['rare-unknown', 'zero-one', 'adaptive'],
    ['rare-unknown', 'cross-entropy', 'iid'],
    ['overconfident', 'cross-entropy', 'adaptive'],
    ['anti-correlated', 'brier', 'surrogate'],
    ['heavy-tailed', 'cross-entropy', 'defensive'],
    ['k10', 'zero-one', 'defensive'],
    ['k100', 'brier', 'iid'],
  ];
  // Each case with plain bets, with reference bets, and with reference bets tuned for the last count (as simulate tunes for --size).
  const variants = [
    [false, undefined],
    [true, undefined],
    [true, 150],
  ] as const;
  for (const [[kind, loss, acquisition], [withReference, planned]] of cases.flatMap((c) => variants.map((v) => [c, v] as const))) {
    const bets = (withReference ? ' (reference bets)' : '') + (planned === undefined ? '' : `, planned ${planned} labels`);
    it(`${kind} pool, ${loss}, ${acquisition}${bets}: simultaneous and fixed-budget coverage ≥ ${floor.toFixed(3)}`, () => {
      const pool = csPool(kind, 300, loss, 11);
      // 137 lies between two solve points (130 and 140).
      const counts = [10, 50, 137, 150];
      let simultaneous = 0;
      const fixed = counts.map(() => 0);
      for (let r = 0; r < runs; r++) {
        const record = runOnce(pool, acquisition, counts, 500 + r, 1e-3, withReference, planned);
        if (record.anytimeAlwaysCovered) simultaneous++;
        record.fixed.forEach((f, j) => {
          expect(f.upper).toBeGreaterThan(f.lower);
          if (f.lower <= pool.risk && pool.risk <= f.upper) fixed[j]++;
        });
      }
      expect(simultaneous / runs).toBeGreaterThanOrEqual(floor);
      for (const covered of fixed) expect(covered / runs).toBeGreaterThanOrEqual(floor);
    });
  }
});

describe('finitePopulationFactor refuses counts outside the pool', () => {
  const cases: Array<[number, number, RegExp]> = [
    [-1, 10, /^labels: expected an integer in \[1, 10\] \(the pool size\), got -1$/],
    [0, 10, /^labels: expected an integer in \[1, 10\]/],
    [Number.NaN, 10, /^labels: expected an integer in \[1, 10\].*got NaN$/],
    [11, 10, /^labels: expected an integer in \[1, 10\].*got 11$/],
    [2.5, 10, /^labels: expected an integer/],
    [1, 0, /^poolSize: expected an integer ≥ 1, got 0$/],
    [1, Number.NaN, /^poolSize: expected an integer ≥ 1, got NaN$/],
  ];
  it.each(cases)('finitePopulationFactor(%s, %s)', (labels, poolSize, message) => {
    expect(() => finitePopulationFactor(labels, poolSize)).toThrow(InputError);
    expect(() => finitePopulationFactor(labels, poolSize)).toThrow(message);
  });
  it('is 0 for a pool of one fully labelled', () => {
    expect(finitePopulationFactor(1, 1)).toBe(0);
  });
});

describe('finitePopulationFactor: the bootstrap near M = N (N = 7)', () => {
  it('is exactly 0 at M = N and makes the bootstrap variance match the exact variance of the mean', () => {
    expect(finitePopulationFactor(7, 7)).toBe(0);
    expect(finitePopulationFactor(1, 7)).toBe(1);
    const losses = [0.1, 0.4, 2.5, 0.05, 0.3, 0.9, 0.2];
    const n = losses.length;
    const mean = losses.reduce((s, x) => s + x, 0) / n;
    const populationVariance = losses.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    for (let m = 2; m <= n; m++) {
      // Every ordered draw of m items under uniform sampling (LURE is then the sample mean).
      let expectedBootstrap = 0;
      let exactVariance = 0;
      let count = 0;
      const visit = (chosen: number[]): void => {
        if (chosen.length === m) {
          const lure = new LUREEstimator(n);
          chosen.forEach((i, j) => lure.add(losses[i], 1 / (n - j)));
          expectedBootstrap += lure.bootstrapVariance() * finitePopulationFactor(m, n);
          exactVariance += (lure.estimate() - mean) ** 2;
          count++;
          return;
        }
        for (let i = 0; i < n; i++) if (!chosen.includes(i)) visit([...chosen, i]);
      };
      visit([]);
      expectedBootstrap /= count;
      exactVariance /= count;
      // Closed forms for simple random sampling without replacement: Var = S²/m·(1 − m/N) with
      // S² = Nσ²/(N − 1), and E[popvar] = (m − 1)/m · S², so the corrected bootstrap is
      // (m − 1)/m · N/(N − 1) of it on average: exactly right at m = N − 1, and 0 = exact at m = N.
      // Without the factor it would be (N − 1)/(N − m) times larger: 6× at m = 6, infinitely at m = 7.
      const s2 = (n * populationVariance) / (n - 1);
      expect(exactVariance).toBeCloseTo((s2 / m) * (1 - m / n), 12);
      expect(expectedBootstrap).toBeCloseTo(((m - 1) / m) * (n / (n - 1)) * exactVariance, 12);
    }
  });
});

describe('upperShare: the split of α between the sides', () => {
  const alpha = 0.05;
  // Sides of variance only: the predicted half-width is √(2·log(1/β)·V/(N²·labels)).
  const side = (variance: number, range = 0) => ({ variance, range });
  const total = (lower: number, upper: number, share: number) =>
    Math.sqrt(lower * Math.log(1 / (alpha * (1 - share)))) + Math.sqrt(upper * Math.log(1 / (alpha * share)));

  it('splits evenly between equal sides, and gives the wider side more, as far as the grid goes', () => {
    expect(upperShare(side(1), side(1), 1000, alpha, 0.75)).toBe(0.5);
    const more = upperShare(side(1), side(25), 1000, alpha, 0.75);
    expect(more).toBeGreaterThan(0.5);
    expect(upperShare(side(25), side(1), 1000, alpha, 0.75)).toBeCloseTo(1 - more, 12);
    // The grid's best of Σ √(V·log(1/β)), checked by enumeration.
    const grid = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    expect(more).toBe(grid.reduce((best, s) => (total(1, 25, s) < total(1, 25, best) ? s : best), 0.5));
    // A side that only the range term makes wide gets more too.
    expect(upperShare(side(1), side(1, 5e5), 1000, alpha, 0.75)).toBeGreaterThan(0.5);
  });
});
