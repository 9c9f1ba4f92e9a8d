import { describe, expect, it } from 'vitest';
import {
  AdaptiveSampler,
  mixtureSampler,
  planProposal,
  secondMomentValues,
  VARIANCE_VERDICTS,
  VarianceRatioToRandom,
  varianceDiagnosticRows,
  varianceRatioRows,
} from '../../src/acquisition/adaptive/index.js';
import { finitePopulationFactor } from '../../src/estimators/index.js';
import { lossPerItem } from '../../src/metrics/cross-entropy.js';
import { zeroOneLossPerItem } from '../../src/metrics/zero-one-loss.js';
import { simulate } from '../../src/simulate/simulate.js';
import { InputError } from '../../src/errors.js';
import type { Matrix } from '../../src/matrix.js';
import { EPS, NUMERICS_FLAGS } from '../../src/numerics.js';
import { randomStream } from '../../src/random.js';

function scores(n: number, seed: number): { size: number; modelScores: Matrix; surrogateScores: Matrix; labels: Int32Array } {
  const u = randomStream(seed, [0]);
  const f = new Float64Array(2 * n);
  const g = new Float64Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = u() < 0.5 ? 0 : 1;
    f[2 * i + 1] = 4 * (u() - 0.5);
    g[2 * i + 1] = 6 * (u() - 0.5);
  }
  return { size: n, modelScores: { data: f, rows: n, cols: 2 }, surrogateScores: { data: g, rows: n, cols: 2 }, labels };
}

const input = scores(300, 1);
const options = { temperature: null, eps: EPS, flags: NUMERICS_FLAGS.default, defensive: null, clip: 0.1 };

describe('planProposal', () => {
  it('gives surrogate-m2 the second-moment values and no mixture', () => {
    const plan = planProposal('surrogate-m2', input, options);
    expect(plan.values).toEqual(secondMomentValues(input.modelScores, input.surrogateScores));
    expect(plan.mixture).toBeNull();
  });

  it('turns a defensive weight into a two-component mixture that keeps λ/remaining under every item', () => {
    const plan = planProposal('surrogate-ce', input, { ...options, defensive: 0.3 });
    expect(Array.from(plan.mixture!.weights)).toEqual([0.7, 0.3]);
    const sampler = mixtureSampler(plan.mixture!, 0);
    const u = randomStream(2, [0]);
    for (let m = 0; m < 100; m++) {
      const remaining = sampler.remaining;
      sampler.draw(u);
      expect(sampler.lastProbability).toBeGreaterThanOrEqual((0.3 / remaining) * (1 - 1e-12));
    }
  });

  it('builds the adaptive sampler from its prior', () => {
    const plan = planProposal('adaptive', input, options);
    const sampler = mixtureSampler(plan.mixture!, 0.1);
    expect(sampler).toBeInstanceOf(AdaptiveSampler);
    // Uniform, then the second moment and the cross-entropy at T and 2T: the prior is half uniform, half second moment at T.
    expect(Array.from(sampler.mixture)).toEqual([0.5, 0.5, 0, 0, 0]);
  });

  it('refuses what it cannot do, naming the option', () => {
    const { surrogateScores: _omitted, ...withoutSurrogate } = input;
    expect(() => planProposal('adaptive', withoutSurrogate, options)).toThrow(/surrogateScores/);
    expect(() => planProposal('adaptive', input, { ...options, defensive: 0.5 })).toThrow(/defensive/);
    expect(() => planProposal('surrogate-ce', input, { ...options, defensive: 1.5 })).toThrow(InputError);
    expect(() => planProposal('surrogate-m2', input, { ...options, flags: NUMERICS_FLAGS.reference })).toThrow(/numerics/);
    const { modelScores: _target, labels: _labels, ...withoutTarget } = input;
    expect(() => planProposal('surrogate-ce', withoutTarget, options)).toThrow(/modelScores: expected target scores/);
    expect(() => planProposal('true-loss', { ...input, labels: undefined }, options)).toThrow(/labels: expected the pool's labels/);
  });

  it('plans the acquisitions that read no target scores without them, with the same values', () => {
    const { modelScores: _target, labels: _labels, ...withoutTarget } = input;
    expect(planProposal('surrogate-pe', withoutTarget, options).values).toEqual(planProposal('surrogate-pe', input, options).values);
    expect(Array.from(planProposal('iid', { size: 4 }, options).values)).toEqual([1, 1, 1, 1]);
  });
});

describe('varianceRatioRows', () => {
  it('replays the diagnostic of each run at each recorded row', () => {
    const losses = Float64Array.of(0.1, 2, 0.4, 0.3, 1.1);
    // Two runs of three labels, rows after 1 and 3 labels (step 2).
    const samples = Int32Array.of(1, 0, 3, 2, 4, 1);
    const q = Float64Array.of(0.4, 0.2, 0.3, 0.25, 0.5, 0.5);
    const estimates = Float64Array.of(0.9, 0.5, 0.8, 0.7);
    const bootstrapVariance = Float64Array.of(0.01, 0.02, 0.03, 0.04);
    const ratios = varianceRatioRows(
      { rows: 2, runs: 2, size: 3, labelsPerRow: Int32Array.of(1, 3), samples, q, estimates, bootstrapVariance },
      losses,
    );
    const expected = [0, 1].map((r) => {
      const d = new VarianceRatioToRandom(5);
      d.add(losses[samples[r]], q[r]);
      // Each row's bootstrap variance with the finite-population correction (N − m)/(N − 1), N = 5.
      const first = d.ratio(bootstrapVariance[r] * (4 / 4), estimates[r]);
      d.add(losses[samples[2 + r]], q[2 + r]);
      d.add(losses[samples[4 + r]], q[4 + r]);
      return [first, d.ratio(bootstrapVariance[2 + r] * (2 / 4), estimates[2 + r])];
    });
    expect(Array.from(ratios)).toEqual([expected[0][0], expected[1][0], expected[0][1], expected[1][1]]);
    expect(Number.isFinite(ratios[2])).toBe(true);
  });

  /** The diagnostic replayed run by run with VarianceRatioToRandom, as a session computes it. */
  function replayed(result: Parameters<typeof varianceDiagnosticRows>[0], losses: Float64Array, errors: Float64Array) {
    const { rows, runs, size, labelsPerRow, samples, q, estimates } = result;
    const bootstrapVariance = result.bootstrapVariance as Float64Array;
    const ratios = new Float64Array(rows * runs);
    const verdicts = new Uint8Array(rows * runs);
    const diagnostic = new VarianceRatioToRandom(losses.length);
    for (let r = 0; r < runs; r++) {
      diagnostic.reset();
      for (let m = 1, row = 0; m <= size; m++) {
        const item = samples[(m - 1) * runs + r];
        diagnostic.add(losses[item], q[(m - 1) * runs + r], errors[item] === 1);
        if (m !== labelsPerRow[row]) continue;
        const at = row++ * runs + r;
        const variance = Math.max(0, bootstrapVariance[at]) * finitePopulationFactor(m, losses.length);
        ratios[at] = diagnostic.ratio(variance, estimates[at]);
        verdicts[at] = VARIANCE_VERDICTS.indexOf(diagnostic.verdict(variance, estimates[at]));
      }
    }
    return { ratios, verdicts };
  }

  it.each([
    // size = N reaches LURE's last label (weight 1).
    { name: 'surrogate-ce, the whole pool, step 3', n: 40, acquisition: 'surrogate-ce' as const, runs: 150, size: 40, step: 3 },
    { name: 'adaptive, step 1', n: 300, acquisition: 'adaptive' as const, runs: 70, size: 120, step: 1 },
  ])('gives, bit for bit, the per-run replay of VarianceRatioToRandom ($name)', async ({ n, acquisition, runs, size, step }) => {
    const pool = scores(n, 7);
    const { modelScores, surrogateScores, labels } = pool;
    const result = await simulate({ modelScores, surrogateScores, labels }, { acquisition, runs, size, step, seed: 11, threads: 1 });
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const errors = zeroOneLossPerItem(pool.modelScores, pool.labels);
    const { ratios, verdicts } = varianceDiagnosticRows(result, losses, errors);
    const expected = replayed(result, losses, errors);
    expect(Array.from(ratios)).toEqual(Array.from(expected.ratios));
    expect(Array.from(verdicts)).toEqual(Array.from(expected.verdicts));
    // The comparison has teeth: finite ratios and more than one verdict.
    expect(ratios.filter(Number.isFinite).length).toBeGreaterThan(ratios.length / 2);
    expect(new Set(verdicts).size).toBeGreaterThan(1);
  });
});
