import { describe, expect, it } from 'vitest';
import { ActiveSurrogateEstimator, type AseMode } from '../../src/ase/index.js';
import { InputError } from '../../src/errors.js';
import { crossEntropyLoss, lossPerItem, pairwiseSum } from '../../src/metrics/index.js';
import { randomStream } from '../../src/random.js';
import { matrix } from '../helpers/matrix.js';

/** A seeded LLM-like pool: logits around an offset of 12, a surrogate that is a noisy copy. */
function pool(n: number, k: number, seed: number) {
  const u = randomStream(seed, [0]);
  const f = new Float64Array(n * k);
  const g = new Float64Array(n * k);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = Math.floor(u() * k);
    for (let j = 0; j < k; j++) {
      f[i * k + j] = 12 + 3 * u() + (j === labels[i] ? 1.5 : 0);
      g[i * k + j] = f[i * k + j]! + 2 * (u() - 0.5);
    }
  }
  return { modelScores: { data: f, rows: n, cols: k }, surrogateScores: { data: g, rows: n, cols: k }, labels };
}

describe('ActiveSurrogateEstimator: closed forms', () => {
  // f row 0: [0, ln 3] → π_f = [1/4, 3/4]; g row 0: [ln 4, 0] → π_g = [0.8, 0.2]. Row 1 both uniform.
  const modelScores = matrix([
    [0, Math.log(3)],
    [0, 0],
  ]);
  const surrogateScores = matrix([
    [Math.log(4), 0],
    [0, 0],
  ]);
  const labels = Int32Array.of(1, 0);
  const e0 = -(0.8 * Math.log(0.25) + 0.2 * Math.log(0.75));

  it('zero-shot: the mean of the surrogate’s expected loss of the target', () => {
    const ase = new ActiveSurrogateEstimator({ modelScores, surrogateScores });
    expect(ase.expectedLosses[0]).toBeCloseTo(e0, 15);
    expect(ase.expectedLosses[1]).toBeCloseTo(Math.LN2, 15);
    expect(ase.zeroShotEstimate()).toBeCloseTo((e0 + Math.LN2) / 2, 15);
    expect(ase.estimate([], [])).toBe(ase.zeroShotEstimate());
  });

  it('acquired labels replace the expectation by the true loss', () => {
    const ase = new ActiveSurrogateEstimator({ modelScores, surrogateScores });
    expect(ase.estimate([0], [1])).toBeCloseTo((-Math.log(0.75) + Math.LN2) / 2, 15);
    expect(ase.estimate([0, 1], [1, 0])).toBe(crossEntropyLoss(modelScores, labels));
  });

  it('applies the temperature to the surrogate (the reference’s get_estimate ignores it, B-S1)', () => {
    // g row 0 at T = 2: [ln 2, 0] → [2/3, 1/3].
    const hot = new ActiveSurrogateEstimator({ modelScores, surrogateScores }, { temperature: 2 });
    const e0Hot = -((2 / 3) * Math.log(0.25) + (1 / 3) * Math.log(0.75));
    expect(hot.expectedLosses[0]).toBeCloseTo(e0Hot, 15);
    expect(hot.estimate([1], [0])).toBeCloseTo((e0Hot + Math.LN2) / 2, 15);
    const reference = new ActiveSurrogateEstimator({ modelScores, surrogateScores }, { temperature: 2, numerics: 'reference' });
    expect(reference.estimate([1], [0])).toBeCloseTo((e0 + Math.LN2) / 2, 15);
    expect(reference.zeroShotEstimate()).toBeCloseTo((e0Hot + Math.LN2) / 2, 15);
  });
});

describe('ActiveSurrogateEstimator: behaviour on a pool', () => {
  const input = pool(300, 3, 7);
  const trueRisk = crossEntropyLoss(input.modelScores, input.labels);
  const labelsOf = (samples: number[]) => samples.map((i) => input.labels[i]!);

  it('every item labelled gives the true risk exactly, in every mode and numerics', () => {
    const all = Array.from({ length: 300 }, (_, i) => i);
    for (const numerics of ['default', 'reference'] as const) {
      for (const mode of ['ce', 'pe', 'nll'] as AseMode[]) {
        const ase = new ActiveSurrogateEstimator(input, { mode, numerics, poolLabels: input.labels });
        expect(ase.estimate(all, labelsOf(all))).toBe(trueRisk);
      }
    }
  });

  it('with default numerics the mode does not change the estimate (ASE always estimates the target’s risk)', () => {
    const samples = [5, 17, 42, 99];
    const values = (['ce', 'pe', 'nll'] as AseMode[]).map((mode) =>
      new ActiveSurrogateEstimator(input, { mode, temperature: 1.5 }).estimate(samples, labelsOf(samples)),
    );
    expect(values[1]).toBe(values[0]);
    expect(values[2]).toBe(values[0]);
  });

  it('can be maintained incrementally: Σe + Σ(ℓ − e) over the labels, divided by N', () => {
    const ase = new ActiveSurrogateEstimator(input, { temperature: 2 });
    const losses = lossPerItem(input.modelScores, input.labels);
    let running = pairwiseSum(ase.expectedLosses);
    const samples: number[] = [];
    const u = randomStream(3, [1]);
    for (let m = 0; m < 60; m++) {
      let i = Math.floor(u() * 300);
      while (samples.includes(i)) i = (i + 1) % 300;
      samples.push(i);
      running += losses[i]! - ase.expectedLosses[i]!;
      expect(running / 300).toBeCloseTo(ase.estimate(samples, labelsOf(samples)), 13);
    }
  });

  it('moves from the zero-shot value to the true risk as labels are added', () => {
    const ase = new ActiveSurrogateEstimator(input);
    const first = (m: number) => Array.from({ length: m }, (_, i) => i);
    const gap = (m: number) => Math.abs(ase.estimate(first(m), labelsOf(first(m))) - trueRisk);
    expect(gap(0)).toBeGreaterThan(gap(150));
    expect(gap(150)).toBeGreaterThan(gap(290));
  });

  it('never modifies its inputs (the reference’s pe/nll branches overwrite the surrogate scores)', () => {
    const before = [input.modelScores.data.slice(), input.surrogateScores.data.slice(), input.labels.slice()];
    for (const mode of ['ce', 'pe', 'nll'] as AseMode[]) {
      const ase = new ActiveSurrogateEstimator(input, { mode, numerics: 'reference', poolLabels: input.labels });
      ase.estimate([0, 3, 7], labelsOf([0, 3, 7]));
      ase.zeroShotEstimate();
    }
    expect([input.modelScores.data, input.surrogateScores.data, input.labels]).toEqual(before);
  });
});

describe('ActiveSurrogateEstimator: bad input', () => {
  const input = pool(10, 2, 1);

  it('names the argument at fault', () => {
    expect(() => new ActiveSurrogateEstimator({ ...input, surrogateScores: matrix([[0, 1]]) })).toThrow(/surrogateScores/);
    expect(() => new ActiveSurrogateEstimator(input, { temperature: 0 })).toThrow(/temperature/);
    expect(() => new ActiveSurrogateEstimator(input, { mode: 'entropy' as AseMode })).toThrow(/mode/);
    expect(() => new ActiveSurrogateEstimator(input, { mode: 'nll', numerics: 'reference' })).toThrow(/poolLabels/);
    const ase = new ActiveSurrogateEstimator(input);
    expect(() => ase.estimate([3, 10], [0, 1])).toThrow(InputError);
    expect(() => ase.estimate([3, 10], [0, 1])).toThrow(/samples \(row 1\)/);
    expect(() => ase.estimate([3], [2])).toThrow(/sampleLabels \(row 0\)/);
    expect(() => ase.estimate([3, 4], [1])).toThrow(/sampleLabels/);
  });

  it('refuses a misspelt option instead of ignoring it', () => {
    expect(() => new ActiveSurrogateEstimator(input, { tempreature: 2 } as never)).toThrow(
      new InputError({
        argument: 'tempreature',
        expected: 'a known option, did you mean temperature? (valid: temperature, mode, numerics, eps, poolLabels)',
      }),
    );
  });
});

describe('ActiveSurrogateEstimator: what a plain JS call can pass', () => {
  const f = matrix([
    [0, 1],
    [2, 0],
  ]);
  const short = { data: Float64Array.of(0, 1, 2), rows: 2, cols: 2 };
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['no input', () => new ActiveSurrogateEstimator(undefined as never), /^input: expected scores \{ modelScores, surrogateScores \}/],
    [
      'null options',
      () => new ActiveSurrogateEstimator({ modelScores: f, surrogateScores: f }, null as never),
      /^options: expected an options object/,
    ],
    [
      'nested arrays',
      () => new ActiveSurrogateEstimator({ modelScores: [[0, 1]] as never, surrogateScores: f }),
      /^modelScores: expected a Matrix/,
    ],
    [
      'a short surrogate',
      () => new ActiveSurrogateEstimator({ modelScores: f, surrogateScores: short }),
      /^surrogateScores: expected 4 values in data for 2×2, got 3$/,
    ],
    [
      'a NaN logit',
      () =>
        new ActiveSurrogateEstimator({
          modelScores: matrix([
            [0, 1],
            [Number.NaN, 0],
          ]),
          surrogateScores: f,
        }),
      /^modelScores \(row 1\): expected finite values, got NaN$/,
    ],
    [
      'an infinite surrogate logit',
      () =>
        new ActiveSurrogateEstimator({
          modelScores: f,
          surrogateScores: matrix([
            [0, Infinity],
            [0, 0],
          ]),
        }),
      /^surrogateScores \(row 0\): expected finite values, got Infinity$/,
    ],
  ];
  it.each(cases)('%s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});
