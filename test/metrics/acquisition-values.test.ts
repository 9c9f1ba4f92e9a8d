import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { EPS, NUMERICS_FLAGS } from '../../src/numerics.js';
import { ACQUISITION_FUNCTIONS, acquisitionValues, type AcquisitionFunction } from '../../src/metrics/index.js';
import { matrix } from '../helpers/matrix.js';

const modelScores = matrix([
  [0, Math.log(3)],
  [0, 0],
]);
const surrogateScores = matrix([
  [Math.log(4), 0],
  [0, Math.log(9)],
]);
const labels = Int32Array.of(1, 0);
const input = { modelScores, surrogateScores, labels };
const defaults = { temperature: null, eps: EPS, flags: NUMERICS_FLAGS.default };
const reference = { temperature: null, eps: EPS, flags: NUMERICS_FLAGS.reference };
const entropy = (p: number[]) => -p.reduce((s, v) => s + v * Math.log(v), 0);

describe('acquisitionValues: closed forms', () => {
  it('iid is 1 for every item', () => {
    expect(Array.from(acquisitionValues('iid', input, defaults))).toEqual([1, 1]);
  });

  it('true-loss is the target’s loss on the true label', () => {
    const v = acquisitionValues('true-loss', input, defaults);
    expect(v[0]).toBeCloseTo(-Math.log(0.75), 15);
    expect(v[1]).toBeCloseTo(Math.LN2, 15);
  });

  it('self-entropy is the target’s predictive entropy', () => {
    const v = acquisitionValues('self-entropy', input, defaults);
    expect(v[0]).toBeCloseTo(entropy([0.25, 0.75]), 15);
    expect(v[1]).toBeCloseTo(Math.LN2, 15);
  });

  it('surrogate-ce is −Σ π_g log π_f', () => {
    const v = acquisitionValues('surrogate-ce', input, defaults);
    expect(v[0]).toBeCloseTo(-(0.8 * Math.log(0.25) + 0.2 * Math.log(0.75)), 14);
    expect(v[1]).toBeCloseTo(Math.LN2, 15);
  });

  it('surrogate-pe is the surrogate’s predictive entropy', () => {
    const v = acquisitionValues('surrogate-pe', input, defaults);
    expect(v[0]).toBeCloseTo(entropy([0.8, 0.2]), 15);
    expect(v[1]).toBeCloseTo(entropy([0.1, 0.9]), 15);
  });

  it('surrogate-nll is −log π_g(y) by default, and CE against softmaxed one-hot labels in reference numerics (B-M1)', () => {
    const v = acquisitionValues('surrogate-nll', input, defaults);
    expect(v[0]).toBeCloseTo(-Math.log(0.2), 15);
    expect(v[1]).toBeCloseTo(-Math.log(0.1), 15);
    const smoothed = Math.E / (Math.E + 1);
    const r = acquisitionValues('surrogate-nll', input, reference);
    expect(r[0]).toBeCloseTo(-((1 - smoothed) * Math.log(0.8) + smoothed * Math.log(0.2)), 14);
  });

  it('temperature applies to the surrogate for surrogate-* and to the target for self-entropy', () => {
    const hot = { ...defaults, temperature: 2 };
    // g row 0 at T = 2: [ln 2, 0] → [2/3, 1/3]; f row 0 at T = 2: [0, ln 3 / 2] → [1/(1+√3), √3/(1+√3)].
    expect(acquisitionValues('surrogate-pe', input, hot)[0]).toBeCloseTo(entropy([2 / 3, 1 / 3]), 14);
    expect(acquisitionValues('surrogate-ce', input, hot)[0]).toBeCloseTo(-((2 / 3) * Math.log(0.25) + (1 / 3) * Math.log(0.75)), 14);
    const s = Math.sqrt(3);
    expect(acquisitionValues('self-entropy', input, hot)[0]).toBeCloseTo(entropy([1 / (1 + s), s / (1 + s)]), 14);
  });
});

describe('acquisitionValues: stability', () => {
  const saturating = {
    modelScores: matrix([
      [40, 38],
      [800, 0],
    ]),
    surrogateScores: matrix([
      [38, 40],
      [0, 800],
    ]),
    labels: Int32Array.of(0, 0),
  };

  it('default numerics keep confident rows confident: finite, and not flattened to maximum entropy', () => {
    for (const kind of ACQUISITION_FUNCTIONS) {
      const v = acquisitionValues(kind, saturating, defaults);
      expect(v.every(Number.isFinite), kind).toBe(true);
    }
    const h = acquisitionValues('self-entropy', saturating, defaults);
    expect(h[0]).toBeCloseTo(entropy([1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2))]), 14);
  });

  it('reference numerics saturate at logits above 34.54, as the published code (B-M2)', () => {
    expect(acquisitionValues('self-entropy', saturating, reference)[0]).toBeCloseTo(Math.LN2, 15);
  });
});

describe('acquisitionValues: bad input', () => {
  it('requires surrogate scores for surrogate-* functions', () => {
    for (const kind of ['surrogate-ce', 'surrogate-pe', 'surrogate-nll'] as const) {
      expect(() => acquisitionValues(kind, { modelScores, labels }, defaults)).toThrow(/surrogateScores/);
    }
  });

  it('rejects a surrogate of another shape, labels out of range, unknown kinds, bad eps and temperature', () => {
    expect(() => acquisitionValues('surrogate-ce', { ...input, surrogateScores: matrix([[0, 1]]) }, defaults)).toThrow(
      /surrogateScores: expected shape \[2, 2\]/,
    );
    expect(() => acquisitionValues('true-loss', { ...input, labels: Int32Array.of(0, 2) }, defaults)).toThrow(InputError);
    expect(() => acquisitionValues('entropy' as AcquisitionFunction, input, defaults)).toThrow(/acquisition/);
    expect(() => acquisitionValues('iid', input, { ...defaults, eps: 0 })).toThrow(/eps/);
    expect(() => acquisitionValues('surrogate-pe', input, { ...defaults, temperature: -1 })).toThrow(
      /^temperature: expected a finite number > 0 or null, got -1$/,
    );
  });
});

describe('acquisitionValues: what a plain JS call can pass', () => {
  const short = { data: Float64Array.of(0, 1, 2), rows: 2, cols: 2 };
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['a scores matrix as the input', () => acquisitionValues('iid', modelScores as never, defaults), /^modelScores: expected a Matrix/],
    [
      'no input',
      () => acquisitionValues('iid', undefined as never, defaults),
      /^input: expected scores \{ modelScores, surrogateScores\?, labels \}/,
    ],
    [
      'the temperature as the options',
      () => acquisitionValues('iid', input, 2 as never),
      /^options: expected options \{ temperature, eps, flags \}, got 2$/,
    ],
    [
      'no flags',
      () => acquisitionValues('surrogate-ce', input, { temperature: null, eps: EPS } as never),
      /^flags: expected numerics flags/,
    ],
    [
      'nested arrays as model scores',
      () => acquisitionValues('iid', { modelScores: [[0, 1]] as never, labels }, defaults),
      /^modelScores: expected a Matrix/,
    ],
    [
      'a short model matrix',
      () => acquisitionValues('true-loss', { modelScores: short, labels }, defaults),
      /^modelScores: expected 4 values in data for 2×2, got 3$/,
    ],
    [
      'a short surrogate matrix',
      () => acquisitionValues('surrogate-pe', { ...input, surrogateScores: short }, defaults),
      /^surrogateScores: expected 4 values/,
    ],
    [
      'null labels',
      () => acquisitionValues('iid', { modelScores, labels: null as never }, defaults),
      /^labels: expected 2 class indices, one per row of the scores, got null$/,
    ],
  ];
  it.each(cases)('%s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});
