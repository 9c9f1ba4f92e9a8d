import { describe, expect, it } from 'vitest';
import { floorProposal } from '../../src/acquisition/proposal.js';
import type { PoolSampler } from '../../src/acquisition/sampler.js';
import { acquisitionValues, BUILTIN_LOSSES, classProbabilities, type BuiltinLoss } from '../../src/metrics/index.js';
import { EPS, NUMERICS_FLAGS } from '../../src/numerics.js';
import type { SessionAcquisition } from '../../src/session/header.js';
import { sessionProposal, sessionSampler } from '../../src/session/proposer.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { engineSampler } from '../../src/simulate/run-block.js';
import { prepareSimulation, simulate } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

const N = 60;
const pool = syntheticPool({ poolSize: N, classCount: 3, seed: 23 });
const comparisonPool = syntheticPool({ poolSize: N, classCount: 3, seed: 24 });
const classes = ['a', 'b', 'c'];
const texts = Array.from({ length: N }, (_, i) => `item ${i}`);
const SEEDS = 12;

/** Options that simulate and sessions both take, under the same names. */
interface Setting {
  acquisition: SessionAcquisition;
  loss?: BuiltinLoss;
  temperature?: number;
  defensive?: number;
  clip?: number;
}

/** Every proposal a session can make, with the same options for simulate and for the session. */
const SETTINGS: Array<[string, Setting]> = [
  ['iid', { acquisition: 'iid' }],
  ['surrogate-ce', { acquisition: 'surrogate-ce' }],
  ['surrogate-ce at T = 2', { acquisition: 'surrogate-ce', temperature: 2 }],
  ['surrogate-ce of the zero-one loss', { acquisition: 'surrogate-ce', loss: 'zero-one' }],
  ['surrogate-ce of the Brier loss, clip 0.3', { acquisition: 'surrogate-ce', loss: 'brier', clip: 0.3 }],
  ['surrogate-pe', { acquisition: 'surrogate-pe' }],
  ['self-entropy at T = 0.5', { acquisition: 'self-entropy', temperature: 0.5 }],
  ['surrogate-m2', { acquisition: 'surrogate-m2' }],
  ['adaptive', { acquisition: 'adaptive' }],
  ['adaptive at T = 3', { acquisition: 'adaptive', temperature: 3 }],
  ['defensive surrogate-ce, λ = 0.3', { acquisition: 'surrogate-ce', defensive: 0.3 }],
  ['defensive surrogate-m2, λ = 0.6', { acquisition: 'surrogate-m2', defensive: 0.6 }],
];

const simulationInput = { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: pool.labels };

/** The sampler simulate's runs draw from (before its first draw). */
function simulateSampler(setting: Setting): PoolSampler {
  const prepared = prepareSimulation(simulationInput, { ...setting, runs: 1, size: 1 });
  return engineSampler(prepared.pool, prepared.config);
}

/** The sampler a session with these options draws from (before its first draw). */
function sessionDrawSampler(setting: Setting, comparison = false): PoolSampler {
  const clip = setting.clip ?? 0.1;
  const plan = sessionProposal(
    {
      acquisition: setting.acquisition,
      defensive: setting.defensive ?? null,
      clip,
      temperature: setting.temperature ?? null,
    },
    {
      size: N,
      modelScores: pool.modelScores,
      surrogateScores: pool.surrogateScores,
      ...(comparison ? { comparisonScores: comparisonPool.modelScores } : {}),
    },
    BUILTIN_LOSSES[setting.loss ?? 'cross-entropy'],
  );
  return sessionSampler(plan, clip);
}

function probabilities(sampler: PoolSampler): number[] {
  return Array.from({ length: N }, (_, i) => sampler.probability(i));
}

function expectClose(actual: number[], expected: ArrayLike<number>): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((q, i) => expect(Math.abs(q - expected[i])).toBeLessThanOrEqual(1e-12 * expected[i]));
}

describe("a session's first proposal is simulate's first-step proposal", () => {
  for (const [name, setting] of SETTINGS) {
    it(`${name}: the same q for every item, and the same first draw for ${SEEDS} seeds`, async () => {
      const expected = probabilities(simulateSampler(setting));
      expect(expected.reduce((sum, q) => sum + q, 0)).toBeCloseTo(1, 12);
      // The same values and samplers' arithmetic: equal to the last bit.
      expect(probabilities(sessionDrawSampler(setting))).toEqual(expected);
      for (let seed = 0; seed < SEEDS; seed++) {
        const result = await simulate(simulationInput, { ...setting, runs: 1, size: 1, seed, threads: 1 });
        const session = await ActiveTestingSession.create(null, {
          texts,
          classes,
          modelScores: pool.modelScores,
          surrogateScores: pool.surrogateScores,
          ...setting,
          seed,
        });
        const [first] = await session.next();
        expect({ index: first.index, probability: first.probability }).toEqual({ index: result.samples[0], probability: result.q[0] });
        await session.close();
      }
    });
  }

  it('matches the floored proposal of the acquisition values, in closed form', () => {
    const clip = 0.1;
    const ce = acquisitionValues('surrogate-ce', simulationInput, { temperature: null, eps: EPS, flags: NUMERICS_FLAGS.default });
    expectClose(probabilities(sessionDrawSampler({ acquisition: 'surrogate-ce' })), floorProposal(ce, clip, 'corrected'));
    expectClose(probabilities(sessionDrawSampler({ acquisition: 'iid' })), new Float64Array(N).fill(1 / N));
    // The defensive mixture (1 − λ)·q + λ·uniform.
    const floored = floorProposal(ce, clip, 'corrected');
    const defensive = floored.map((q) => 0.7 * q + 0.3 / N);
    expectClose(probabilities(sessionDrawSampler({ acquisition: 'surrogate-ce', defensive: 0.3 })), defensive);
  });

  it("with a comparison target, serves both: q from the mean of the two targets' expected losses", () => {
    const belief = classProbabilities(pool.surrogateScores, null, EPS, 'stable');
    const expected = BUILTIN_LOSSES['zero-one'].expected;
    const target = expected(pool.modelScores, belief);
    const other = expected(comparisonPool.modelScores, belief);
    const mean = target.map((value, i) => (value + other[i]) / 2);
    const setting: Setting = { acquisition: 'surrogate-ce', loss: 'zero-one' };
    expectClose(probabilities(sessionDrawSampler(setting, true)), floorProposal(mean, 0.1, 'corrected'));
  });
});

describe("an iid session draws simulate's items, whatever either's clip", () => {
  // Random labelling ignores the clip. At N = 200 the samplers' arithmetic once let it steer the
  // draws from the 26th on; a session and simulate must agree draw for draw, at any clip of either.
  const size = 200;
  const draws = 60;
  const large = syntheticPool({ poolSize: size, classCount: 3, seed: 31 });
  const largeTexts = Array.from({ length: size }, (_, i) => `item ${i}`);

  it.each([
    [0.1, 0.1],
    [0.1, 0.9],
    [0.9, 0.1],
  ])('session clip %s, simulate clip %s', async (sessionClip, simulateClip) => {
    for (const seed of [0, 7]) {
      const input = { modelScores: large.modelScores, surrogateScores: large.surrogateScores, labels: large.labels };
      const result = await simulate(input, { acquisition: 'iid', clip: simulateClip, runs: 1, size: draws, seed, threads: 1 });
      const session = await ActiveTestingSession.create(null, {
        texts: largeTexts,
        classes,
        modelScores: large.modelScores,
        surrogateScores: large.surrogateScores,
        acquisition: 'iid',
        clip: sessionClip,
        seed,
      });
      const drawn: Array<{ index: number; probability: number }> = [];
      for (let m = 0; m < draws; m++) {
        const [item] = await session.next();
        drawn.push({ index: item.index, probability: item.probability });
        await session.record(item.id, large.labels[item.index]);
      }
      await session.close();
      expect(drawn).toEqual(Array.from(result.samples, (index, m) => ({ index, probability: result.q[m] })));
    }
  });
});
