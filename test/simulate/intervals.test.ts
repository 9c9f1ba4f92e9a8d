import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, InputError, ReceivedKind } from '../../src/errors.js';
import { simulate } from '../../src/simulate/simulate.js';
import { RiskConfidenceSequence } from '../../src/estimators/confidence-sequence.js';
import { brierLossPerItem, lossBounds, lossPerItem, type LossBounds } from '../../src/metrics/index.js';
import { simulationIntervals, simulationIntervalsInThreads, inIntervalOrder } from '../../src/simulate/intervals.js';
import { INTERVAL_TILE_RUNS, SequenceIntervals, type IntervalTask } from '../../src/simulate/sequence-intervals.js';
import { abortOnFirstTile } from './abort-on-first-tile.js';
import { prepareSimulation } from '../../src/simulate/simulate.js';
import { runIntervalsInWorkers } from '../../src/simulate/worker-pool.js';
import { summarizeIntervals, summarizeSimulation } from '../../src/simulate/outputs.js';
import { simulationReference } from '../../src/simulate/reference.js';
import { simulationInput, syntheticPool } from '../acquisition/synthetic-pool.js';
import { ADAPTIVE_CANDIDATE_COUNT } from '../../src/acquisition/adaptive/index.js';

/** A copy of `bounds` with one side's bound of item `index` replaced by `value`. */
function withBound(bounds: LossBounds, side: 'lower' | 'upper', index: number, value: number): LossBounds {
  const copy = { lower: Float64Array.from(bounds.lower), upper: Float64Array.from(bounds.upper) };
  copy[side][index] = value;
  return copy;
}

describe('simulate with losses past 2^480/√N, whose squares overflow the error bars', () => {
  /** The pool with `logit` on every item's label: losses of about −logit. */
  const onLabel = (logit: number) => {
    const pool = syntheticPool(100, 3, 4);
    const scores = Float64Array.from(pool.modelScores.data);
    for (let i = 0; i < 100; i++) scores[i * 3 + pool.labels[i]!] = logit;
    return { ...pool, modelScores: { ...pool.modelScores, data: scores } };
  };
  const limit = 2 ** 480 / Math.sqrt(100);

  it('refuses them before any run, under either numerics (at 1e307 the intervals were NaN, at 1e300 the bootstrap ±∞)', async () => {
    for (const logit of [-1e307, -1e300, -limit * (1 + 1e-9)]) {
      await expect(simulate(simulationInput(onLabel(logit)), { acquisition: 'iid', runs: 2, size: 10, threads: 1 })).rejects.toThrow(
        /^modelScores \(row 0\): expected scores whose loss bounds are finite and at most 2\^480\/√N = 3\.12e\+143 for N = 100/,
      );
    }
    await expect(
      simulate(simulationInput(onLabel(-1e300)), { acquisition: 'iid', runs: 2, size: 10, threads: 1, numerics: 'reference' }),
    ).rejects.toThrow(
      new InputError({
        argument: 'modelScores',
        expected: 'scores whose losses at the labels are at most 2^480/√N = 3.12e+143 for N = 100',
        received: new ReceivedKind('a loss of 1e+300'),
        row: 0,
      }),
    );
  });

  it('gives finite intervals just under the limit', async () => {
    const pool = onLabel(-limit * (1 - 1e-9));
    const result = await simulate(simulationInput(pool), { acquisition: 'surrogate-ce', runs: 4, size: 20, step: 10, seed: 2, threads: 1 });
    const intervals = simulationIntervals(
      result,
      lossPerItem(pool.modelScores, pool.labels),
      lossBounds(pool.modelScores, 'cross-entropy'),
      ['anytime', 'fixed', 'bootstrap'],
    );
    for (const interval of intervals) {
      for (const side of [interval!.lower, interval!.upper]) expect(Array.from(side).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('simulationIntervals', () => {
  it('gives each run its confidence sequence, fixed-budget and bootstrap intervals, and their coverage', async () => {
    const pool = syntheticPool(300, 3, 4);
    const runs = 200;
    const result = await simulate(simulationInput(pool), { acquisition: 'surrogate-ce', runs, size: 120, step: 30, seed: 2, threads: 1 });
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const [anytime, fixed, bootstrap] = simulationIntervals(result, losses, bounds, ['anytime', 'fixed', 'bootstrap']);
    // Every 30th label from the first, then the last of the 120.
    expect(result.labelsPerRow).toEqual(Int32Array.of(1, 31, 61, 91, 120));
    // Run 7 fed by hand gives the same sequence at row 2 (61 labels): tuned for the runs' 120 labels.
    const sequence = new RiskConfidenceSequence(bounds.lower, bounds.upper, {
      plannedLabels: 120,
      evaluationRounding: bounds.evaluationRounding,
    });
    for (let m = 0; m < 61; m++) {
      const index = result.samples[m * runs + 7];
      sequence.add(index, losses[index], result.q[m * runs + 7]);
    }
    // Asked once, here, not at the rows before: the bounds depend on the labels alone.
    expect(anytime.lower[2 * runs + 7]).toBe(sequence.anytime().lower);
    expect(fixed.upper[2 * runs + 7]).toBe(sequence.fixed().upper);
    // Running intersection: a run that covers at the last row covers at every row.
    const floor = 0.95 - 3 * Math.sqrt((0.95 * 0.05) / runs);
    expect(anytime.simultaneousCoverage).toBe(anytime.coverage[4]);
    expect(anytime.simultaneousCoverage).toBeGreaterThanOrEqual(floor);
    for (const c of fixed.coverage) expect(c).toBeGreaterThanOrEqual(floor);
    // The bootstrap interval is estimate ± 1.96σ with the finite-population factor.
    const j = 1 * runs + 3;
    const half = 1.96 * Math.sqrt((result.bootstrapVariance as Float64Array)[j] * ((300 - 31) / 299));
    expect(bootstrap.upper[j] - result.estimates[j]).toBeCloseTo(half, 12);
    expect(anytime.medianHalfWidth[3]).toBeGreaterThan(bootstrap.medianHalfWidth[3]);
    expect(() => simulationIntervals(result, losses, bounds, ['exact' as 'fixed'])).toThrow(/interval/);
    // A result made by hand without its bootstrap variance, whatever its options say: refused, not a TypeError.
    expect(() => simulationIntervals({ ...result, bootstrapVariance: null }, losses, bounds, ['bootstrap'])).toThrow(
      `interval: expected a bootstrap variance for 'bootstrap' (not bootstrap: 'none'), got "bootstrap"`,
    );
  });

  it('refuses what a plain JS call can pass, naming the argument', async () => {
    const pool = syntheticPool(20, 3, 4);
    const result = await simulate(simulationInput(pool), { acquisition: 'surrogate-ce', runs: 2, size: 10, step: 5, seed: 2, threads: 1 });
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    // An item the target got wrong: its loss lies well above its lower bound.
    const above = losses.findIndex((loss, i) => loss > bounds.lower[i]! + 0.01);
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['no result', () => simulationIntervals(null as never, losses, bounds, ['anytime']), /^result: expected a simulation result/],
      [
        'the losses as an array',
        () => simulationIntervals(result, Array.from(losses) as never, bounds, ['anytime']),
        /^losses: expected the pool's per-item losses/,
      ],
      [
        'bounds as a pair',
        () => simulationIntervals(result, losses, [bounds.lower, bounds.upper] as never, ['anytime']),
        /^bounds: expected loss bounds/,
      ],
      [
        'bounds of another pool',
        () => simulationIntervals(result, losses, { lower: bounds.lower.subarray(1), upper: bounds.upper }, ['anytime']),
        /^bounds\.lower: expected 20 bounds, one per loss \(a Float64Array\), got 19$/,
      ],
      [
        "another loss's losses and bounds (Brier on a cross-entropy run)",
        () =>
          simulationIntervals(result, brierLossPerItem(pool.modelScores, pool.labels), lossBounds(pool.modelScores, 'brier'), ['anytime']),
        /^losses: expected the per-item losses of the simulation's loss, whose mean is its true risk [\d.]+, got losses of mean [\d.]+$/,
      ],
      // A bound is refused under the name it was passed as, not the sequence's own argument names.
      [
        'a NaN lower bound',
        () => simulationIntervals(result, losses, withBound(bounds, 'lower', 3, NaN), ['anytime']),
        /^bounds\.lower \(row 3\): expected a finite loss bound, got NaN$/,
      ],
      [
        'an upper bound past the magnitude limit',
        () => simulationIntervals(result, losses, withBound(bounds, 'upper', 2, 1e300), ['anytime']),
        /^bounds\.upper \(row 2\): expected a loss bound at most 2\^480\/√N = 6\.98e\+143 for N = 20 in magnitude, got 1e\+300$/,
      ],
      [
        'an infinite upper bound',
        () => simulationIntervals(result, losses, withBound(bounds, 'upper', 3, Infinity), ['fixed']),
        /^bounds\.upper \(row 3\): expected a finite loss bound, got Infinity$/,
      ],
      [
        'an upper bound below the lower one',
        () => simulationIntervals(result, losses, withBound(bounds, 'upper', 3, bounds.lower[3]! - 1), ['anytime']),
        /^bounds\.upper \(row 3\): expected a bound ≥ the lower bound [\d.]+, got -?[\d.]+$/,
      ],
      [
        'a loss above its upper bound',
        () => simulationIntervals(result, losses, withBound(bounds, 'upper', above, bounds.lower[above]!), ['anytime']),
        new RegExp(
          `^losses \\(row ${above}\\): expected a loss within the item's bounds \\[[\\d.]+, [\\d.]+\\] \\(bounds\\.lower, bounds\\.upper\\), got [\\d.]+$`,
        ),
      ],
      ['a single kind as a string', () => simulationIntervals(result, losses, bounds, 'anytime' as never), /^kinds: expected an array of /],
      [
        'a number as the reference',
        () => simulationIntervals(result, losses, bounds, ['anytime'], 1 as never),
        /^reference: expected a simulation reference/,
      ],
    ];
    for (const [, call, message] of cases) {
      expect(call).toThrow(InputError);
      expect(call).toThrow(message);
    }
    // The bootstrap alone reads no bounds: any are taken, as before the bounds were checked up front.
    const [bootstrapAlone] = simulationIntervals(result, losses, withBound(bounds, 'lower', 3, NaN), ['bootstrap']);
    expect(bootstrapAlone!.kind).toBe('bootstrap');
    // The threaded form checks the same, whichever kinds are asked for.
    const brier = [brierLossPerItem(pool.modelScores, pool.labels), lossBounds(pool.modelScores, 'brier')] as const;
    await expect(simulationIntervalsInThreads(result, ...brier, ['anytime'], null, null, { threads: 1 })).rejects.toThrow(
      /^losses: expected the per-item losses of the simulation's loss/,
    );
  });

  it('with the simulation reference: still covers under every proposal kind, and narrows the sequences', async () => {
    const pool = syntheticPool(300, 3, 4);
    const input = simulationInput(pool);
    const runs = 200;
    const floor = 0.95 - 3 * Math.sqrt((0.95 * 0.05) / runs);
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    for (const options of [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce', defensive: 0.5 }, { acquisition: 'adaptive' }] as const) {
      const result = await simulate(input, { ...options, runs, size: 120, step: 30, seed: 5, threads: 1 });
      const reference = simulationReference(input, result.options);
      expect(reference).not.toBeNull();
      const [plain] = simulationIntervals(result, losses, bounds, ['anytime']);
      const [anytime, fixed] = simulationIntervals(result, losses, bounds, ['anytime', 'fixed'], reference);
      expect(anytime.simultaneousCoverage).toBeGreaterThanOrEqual(floor);
      for (const c of fixed.coverage) expect(c).toBeGreaterThanOrEqual(floor);
      // Measured on this pool at 91 labels, both tuned for 120 labels: 0.74× (iid), 0.77× (defensive), 0.87× (adaptive); require 0.92×.
      expect(anytime.medianHalfWidth[3]).toBeLessThan(0.92 * plain.medianHalfWidth[3]);
    }
  });

  it("under the adaptive proposal bets with each draw's own floor, from the weights the run recorded", async () => {
    const pool = syntheticPool(300, 3, 4);
    const input = simulationInput(pool);
    const runs = 200;
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const result = await simulate(input, {
      acquisition: 'adaptive',
      runs,
      size: 120,
      step: 30,
      seed: 5,
      threads: 1,
      recordMixtureWeights: true,
    });
    const reference = simulationReference(input, result.options)!;
    const weights = result.mixtureWeights!;
    const J = weights.length / (120 * runs);
    expect(J).toBe(ADAPTIVE_CANDIDATE_COUNT);
    const [anytime, fixed] = simulationIntervals(result, losses, bounds, ['anytime', 'fixed'], reference);
    // Run 7 fed by hand, each draw with the floor of its recorded weights (which sum to 1).
    const sequence = new RiskConfidenceSequence(bounds.lower, bounds.upper, {
      reference,
      plannedLabels: 120,
      evaluationRounding: bounds.evaluationRounding,
    });
    for (let m = 0; m < 91; m++) {
      const at = (m * runs + 7) * J;
      const alpha = weights.subarray(at, at + J);
      expect(alpha.reduce((a, w) => a + w, 0)).toBeCloseTo(1, 12);
      const index = result.samples[m * runs + 7];
      sequence.add(index, losses[index], result.q[m * runs + 7], reference.drawFloor!(alpha));
    }
    expect(anytime.lower[3 * runs + 7]).toBe(sequence.anytime().lower);
    expect(fixed.upper[3 * runs + 7]).toBe(sequence.fixed().upper);
    // Against the guaranteed floor alone: measured median half-width at 91 labels 0.156 → 0.149 (0.178 → 0.172 with
    // equal shares of the two bets and of α); require 2% narrower.
    const [floorOnly] = simulationIntervals(result, losses, bounds, ['anytime'], { ...reference, drawFloor: null });
    expect(anytime.medianHalfWidth[3]).toBeLessThan(0.98 * floorOnly.medianHalfWidth[3]);
    const coverageFloor = 0.95 - 3 * Math.sqrt((0.95 * 0.05) / runs);
    expect(anytime.simultaneousCoverage).toBeGreaterThanOrEqual(coverageFloor);
    for (const c of fixed.coverage) expect(c).toBeGreaterThanOrEqual(coverageFloor);
    // Fixed proposals record no weights.
    const fixedProposal = await simulate(input, { acquisition: 'surrogate-ce', runs: 2, size: 5, threads: 1 });
    expect(fixedProposal.mixtureWeights).toBeNull();
  });
  it('gives a worker thread’s intervals bit for bit as this thread computes them (adaptive, per-draw floors)', async () => {
    const pool = syntheticPool(300, 3, 4);
    const input = simulationInput(pool);
    const runs = 40;
    const options = { acquisition: 'adaptive', runs, size: 60, step: 7, seed: 5, recordMixtureWeights: true } as const;
    const result = await simulate(input, { ...options, threads: 1 });
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const reference = simulationReference(input, result.options)!;
    const kinds = ['anytime', 'fixed'] as const;
    const expected = simulationIntervals(result, losses, bounds, [...kinds], reference);
    // One worker takes every tile: each draw's floor rebuilt there from the candidates.
    const prepared = prepareSimulation(input, result.options);
    const mixture = prepared.pool.mixture!;
    const shared = () => new Float64Array(new SharedArrayBuffer(result.rows * runs * 8));
    const outputs = kinds.map(() => ({ lower: shared(), upper: shared() }));
    const { samples, q, mixtureWeights, labelsPerRow, size } = result;
    const task: IntervalTask = {
      kinds: [...kinds],
      draws: { runs, size, labelsPerRow, samples, q, mixtureWeights },
      losses,
      bounds,
      reference: { predictedLoss: reference.predictedLoss, proposalFloor: reference.proposalFloor },
      drawFloorCandidates: { candidates: mixture.candidates, clip: prepared.config.clip },
      outputs,
      tiles: new Int32Array(new SharedArrayBuffer(4)),
    };
    await runIntervalsInWorkers(task, 1, new AbortController().signal);
    kinds.forEach((_, k) => {
      expect(outputs[k].lower).toEqual(expected[k].lower);
      expect(outputs[k].upper).toEqual(expected[k].upper);
    });
    // Through simulationIntervalsInThreads (draws in shared memory): the same intervals and summaries.
    const twoThreads = await simulate(input, { ...options, threads: 2 });
    const threaded = await simulationIntervalsInThreads(
      twoThreads,
      losses,
      bounds,
      ['bootstrap', ...kinds],
      reference,
      { candidates: mixture.candidates, clip: prepared.config.clip },
      { threads: 2 },
    );
    expect(threaded.map((i) => i.kind)).toEqual(['bootstrap', 'anytime', 'fixed']);
    kinds.forEach((_, k) => {
      expect(threaded[k + 1].lower).toEqual(expected[k].lower);
      expect(threaded[k + 1].upper).toEqual(expected[k].upper);
      expect(threaded[k + 1].coverage).toEqual(expected[k].coverage);
      expect(threaded[k + 1].medianHalfWidth).toEqual(expected[k].medianHalfWidth);
    });
  });

  it('contains R at M = N however R is summed, so a pool labelled to the last item still covers', async () => {
    // Cross-entropy on 20 items: the point the bounds meet at, and the bootstrap's R̂ (σ = 0), differ from R by a few ulps.
    const pool = syntheticPool(20, 3, 8);
    const runs = 50;
    const result = await simulate(simulationInput(pool), { acquisition: 'surrogate-ce', runs, size: 20, step: 1, seed: 1, threads: 1 });
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const intervals = simulationIntervals(
      result,
      losses,
      bounds,
      ['anytime', 'fixed', 'bootstrap'],
      simulationReference(simulationInput(pool), result.options),
    );
    // summary.json's bootstrap coverage too (before the rounding margin: 0 at M = N on this pool).
    expect(summarizeSimulation(result, {}, losses).coverage?.[19]).toBe(1);
    const forward = losses.reduce((sum, loss) => sum + loss, 0) / 20;
    const backward = losses.reduceRight((sum, loss) => sum + loss, 0) / 20;
    const sorted =
      Float64Array.from(losses)
        .sort()
        .reduce((sum, loss) => sum + loss, 0) / 20;
    for (const interval of intervals) {
      expect(interval.coverage[19]).toBe(1);
      for (let r = 0; r < runs; r++) {
        const lower = interval.lower[19 * runs + r];
        const upper = interval.upper[19 * runs + r];
        for (const risk of [result.trueRisk, forward, backward, sorted]) {
          expect(lower).toBeLessThanOrEqual(risk);
          expect(upper).toBeGreaterThanOrEqual(risk);
        }
        expect(upper - lower).toBeLessThan(1e-12);
      }
    }
  });

  it('gives each row the median half-width across runs, by selection, as the sorted row gives it', async () => {
    const pool = syntheticPool(300, 3, 5);
    // More than 1024 runs: the banded selection; odd, so the middle is one run.
    const runs = 1101;
    const result = await simulate(simulationInput(pool), { acquisition: 'surrogate-ce', runs, size: 40, step: 10, seed: 4, threads: 1 });
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const sortedMedian = (lower: Float64Array, upper: Float64Array, row: number, count: number) => {
      const halves = Float64Array.from({ length: count }, (_, run) => (upper[row * runs + run] - lower[row * runs + run]) / 2).sort();
      return count % 2 === 1 ? halves[(count - 1) / 2] : (halves[count / 2 - 1] + halves[count / 2]) / 2;
    };
    const sort = vi.spyOn(Float64Array.prototype, 'sort');
    let sorts: number;
    let kinds: ReturnType<typeof simulationIntervals>;
    try {
      kinds = simulationIntervals(result, losses, bounds, ['anytime', 'bootstrap']);
      sorts = sort.mock.calls.length;
    } finally {
      sort.mockRestore();
    }
    expect(sorts).toBe(0);
    for (const { lower, upper, medianHalfWidth } of kinds) {
      expect(medianHalfWidth).toEqual(Array.from({ length: result.rows }, (_, row) => sortedMedian(lower, upper, row, runs)));
    }
    // A run without an estimate (NaN) leaves its bootstrap interval undefined: the row's median is
    // that of the other runs' widths.
    const before = simulationIntervals(result, losses, bounds, ['bootstrap'])[0]!;
    result.estimates[2 * runs + 5] = Number.NaN;
    const [bootstrap] = simulationIntervals(result, losses, bounds, ['bootstrap']);
    expect(Number.isNaN(bootstrap!.upper[2 * runs + 5])).toBe(true);
    const others = (table: Float64Array) => table.filter((_, j) => j !== 2 * runs + 5);
    expect(bootstrap!.medianHalfWidth[2]).toBe(sortedMedian(others(before.lower), others(before.upper), 2, runs - 1));
    // Its run counts as not containing the true risk.
    const coveredBefore = before.lower[2 * runs + 5]! <= result.trueRisk && result.trueRisk <= before.upper[2 * runs + 5]!;
    expect(bootstrap!.coverage[2]).toBe((Math.round(before.coverage[2]! * runs) - Number(coveredBefore)) / runs);
  });
});

describe('median half-width of runs without an interval', () => {
  it('is taken over the runs with one, NaN only where none has one', () => {
    // Two runs of two rows on a pool of four; run 1 has no estimate (so no bootstrap interval) in
    // either row, run 0 none in row 1.
    const result = {
      rows: 2,
      runs: 2,
      size: 2,
      labelsPerRow: Int32Array.of(1, 2),
      samples: Int32Array.of(0, 1, 2, 3),
      q: Float64Array.of(0.25, 0.25, 1 / 3, 1 / 3),
      estimates: Float64Array.of(0.5, Number.NaN, Number.NaN, Number.NaN),
      bootstrapVariance: Float64Array.of(0.04, 0.09, 0.09, 0.16),
      mixtureWeights: null,
      trueRisk: 0.5,
      options: { acquisition: 'iid', estimator: 'lure' },
    } as unknown as Parameters<typeof simulationIntervals>[0];
    const losses = Float64Array.of(0, 0.5, 0.5, 1);
    const [bootstrap] = simulationIntervals(result, losses, { lower: new Float64Array(4), upper: Float64Array.of(1, 1, 1, 1) }, [
      'bootstrap',
    ]);
    // Row 0: run 0's interval alone, 1.96·√(0.04·(4 − 1)/(4 − 1)) + 2ε·4·0.5 wide on each side.
    expect(bootstrap!.medianHalfWidth).toEqual([1.96 * Math.sqrt(0.04) + 8 * Number.EPSILON * 0.5, NaN]);
    expect(bootstrap!.coverage).toEqual([0.5, 0]);
  });
});

describe('simultaneous coverage', () => {
  it("is the sequences' share of runs covered at every row, and none for the bootstrap, in the result and summary.json", async () => {
    const pool = syntheticPool(200, 3, 6);
    const runs = 50;
    const result = await simulate(simulationInput(pool), { acquisition: 'surrogate-ce', runs, size: 40, step: 13, seed: 3, threads: 1 });
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const kinds = simulationIntervals(result, losses, lossBounds(pool.modelScores, 'cross-entropy'), ['anytime', 'fixed', 'bootstrap']);
    const coveredThroughout = ({ lower, upper }: (typeof kinds)[number]) =>
      Array.from({ length: runs }, (_, run) =>
        Array.from({ length: result.rows }, (_, row) => row * runs + run).every(
          (j) => lower[j]! <= result.trueRisk && result.trueRisk <= upper[j]!,
        ),
      ).filter(Boolean).length;
    const [anytime, fixed, bootstrap] = kinds;
    expect(result.labelsPerRow).toEqual(Int32Array.of(1, 14, 27, 40));
    expect(coveredThroughout(anytime!)).toBe(49);
    expect(anytime!.simultaneousCoverage).toBe(0.98);
    expect(coveredThroughout(fixed!)).toBe(49);
    expect(fixed!.simultaneousCoverage).toBe(0.98);
    // The bootstrap has zero width at one label: no run is covered there, so none at every row,
    // however well it covers later.
    expect(bootstrap!.coverage).toEqual([0, 0.84, 0.96, 0.96]);
    expect(coveredThroughout(bootstrap!)).toBe(0);
    expect(bootstrap!.simultaneousCoverage).toBeNull();
    const summary = summarizeIntervals(kinds);
    expect(summary.anytime?.simultaneous_coverage).toBe(anytime!.simultaneousCoverage);
    expect(summary.fixed?.simultaneous_coverage).toBe(fixed!.simultaneousCoverage);
    expect(Object.keys(summary.bootstrap!)).toEqual(['coverage', 'median_half_width']);
  });
});

describe('simulationIntervalsInThreads stopped by its signal', () => {
  afterEach(() => vi.restoreAllMocks());

  /** A run of the adaptive proposal, its losses, bounds and reference, and a spy that counts the tiles this thread fills. */
  async function setting(threads: number) {
    const pool = syntheticPool(300, 3, 4);
    const input = simulationInput(pool);
    const options = { acquisition: 'adaptive', runs: 400, size: 60, step: 7, seed: 5, recordMixtureWeights: true } as const;
    const result = await simulate(input, { ...options, threads });
    const prepared = prepareSimulation(input, result.options);
    return {
      result,
      losses: lossPerItem(pool.modelScores, pool.labels),
      bounds: lossBounds(pool.modelScores, 'cross-entropy'),
      reference: simulationReference(input, result.options),
      candidates: { candidates: prepared.pool.mixture!.candidates, clip: prepared.config.clip },
    };
  }

  it('gives the same intervals as simulationIntervals on one thread, with a signal that never aborts', async () => {
    const { result, losses, bounds, reference } = await setting(1);
    const expected = simulationIntervals(result, losses, bounds, ['anytime', 'fixed', 'bootstrap'], reference);
    const signal = new AbortController().signal;
    const got = await simulationIntervalsInThreads(result, losses, bounds, ['anytime', 'fixed', 'bootstrap'], reference, null, {
      threads: 1,
      signal,
    });
    expect(got).toEqual(expected);
  });

  it('stops at the next tile of runs once the signal aborts, rather than computing every run', async () => {
    const { result, losses, bounds, reference } = await setting(1);
    // Aborted while the first tile is computed: the one after it is never begun.
    const { signal, filledRuns } = abortOnFirstTile();
    const error = await simulationIntervalsInThreads(result, losses, bounds, ['anytime', 'fixed'], reference, null, {
      threads: 1,
      signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    // One tile of each kind, of the 400 runs' 50 tiles.
    expect(filledRuns()).toBe(2 * INTERVAL_TILE_RUNS);
  });

  it('stops its worker threads too, and rejects', async () => {
    const { result, losses, bounds, reference, candidates } = await setting(2);
    expect(result.samples.buffer).toBeInstanceOf(SharedArrayBuffer);
    const controller = new AbortController();
    const fill = SequenceIntervals.prototype.fill;
    let tiles = 0;
    // Aborted on this thread's second tile, once the workers were started after its first.
    vi.spyOn(SequenceIntervals.prototype, 'fill').mockImplementation(function (this: SequenceIntervals, from, to) {
      if (++tiles === 3) controller.abort();
      fill.call(this, from, to);
    });
    const stopped = simulationIntervalsInThreads(result, losses, bounds, ['anytime', 'fixed'], reference, candidates, {
      threads: 2,
      signal: controller.signal,
    });
    await expect(stopped).rejects.toBeInstanceOf(CancelledError);
  });
});

it('puts the kinds asked for in one order, each once', () => {
  expect(inIntervalOrder(['bootstrap', 'fixed', 'anytime', 'fixed'])).toEqual(['anytime', 'fixed', 'bootstrap']);
  expect(inIntervalOrder([])).toEqual([]);
});
