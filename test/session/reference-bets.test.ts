import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedProposalFloor } from '../../src/acquisition/proposal-floor.js';
import { RiskConfidenceSequence, type ConfidenceSequenceReference, type RiskInterval } from '../../src/estimators/confidence-sequence.js';
import type { Matrix } from '../../src/matrix.js';
import { BUILTIN_LOSSES, classProbabilities, type BuiltinLoss } from '../../src/metrics/index.js';
import { lossBounds, pairedDifferenceBounds, type LossBounds } from '../../src/metrics/loss-bounds.js';
import { EPS } from '../../src/numerics.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { simulationReference } from '../../src/simulate/reference.js';
import { AdaptiveSampler, mixtureSampler } from '../../src/acquisition/adaptive/index.js';
import { randomStream } from '../../src/random.js';
import { prepareSimulation } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

const N = 150;
const K = 3;
const pool = syntheticPool({ poolSize: N, classCount: K, seed: 5 });
const other = syntheticPool({ poolSize: N, classCount: K, seed: 6 });
const ids = Array.from({ length: N }, (_, i) => `id${i}`);
const base: CreateSessionOptions = {
  texts: ids.map((id) => `text of ${id}`),
  ids,
  classes: ['a', 'b', 'c'],
  modelScores: pool.modelScores,
  surrogateScores: pool.surrogateScores,
  seed: 9,
};
const simulationInput = { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: pool.labels };

interface Setting {
  acquisition: 'surrogate-ce' | 'adaptive' | 'iid';
  loss: BuiltinLoss;
  defensive?: number;
  temperature?: number;
  clip?: number;
}

/** Labels `count` proposals with the true labels, skipping the proposals at `skips` (0-based draw numbers). */
async function drive(session: ActiveTestingSession, count: number, skips: ReadonlySet<number> = new Set()): Promise<void> {
  for (let m = 0; m < count; m++) {
    const [item] = await session.next();
    if (skips.has(m)) await session.skip(item.id);
    else await session.record(item.id, pool.labels[item.index]);
  }
}

/** What a session reports of a sequence: its anytime and fixed-budget intervals. */
interface Intervals {
  anytime(): RiskInterval;
  fixed(): RiskInterval;
}

/**
 * The sequence a session should report, built by hand: over the whole pool with the given bounds
 * and reference, fed the session's proposals in draw order, the skipped ones as losses never known;
 * its intervals turned into the covered items' (N·R = covered·R_covered + the skipped losses, each
 * within its bounds), intersected with what the labels make certain for the covered items.
 */
function byHand(
  session: ActiveTestingSession,
  bounds: LossBounds,
  reference: ConfidenceSequenceReference | null,
  lossOf: (index: number, label: number) => number,
  drawFloors: readonly Float64Array[] | null = null,
  plannedLabels?: number,
): Intervals {
  const history = session.history();
  // The bounds' evaluation rounding (lossBounds gives it for built-in losses) widens the session's sequences too.
  const evaluationRounding = bounds.evaluationRounding ?? 0;
  const cs = new RiskConfidenceSequence(
    bounds.lower,
    bounds.upper,
    reference === null ? { plannedLabels, evaluationRounding } : { plannedLabels, evaluationRounding, reference },
  );
  let skippedLower = 0;
  let skippedUpper = 0;
  history.forEach((h, m) => {
    const floor = drawFloors === null ? undefined : drawFloors[m];
    if (h.status === 'labelled') cs.add(h.index, lossOf(h.index, pool.labels[h.index]), h.probability, floor);
    else {
      cs.addUnobserved(h.index, h.probability, floor);
      skippedLower += bounds.lower[h.index];
      skippedUpper += bounds.upper[h.index];
    }
  });
  const skipped = history.length - history.filter((h) => h.status === 'labelled').length;
  const coveredCount = N - skipped;
  const covered = (whole: RiskInterval): RiskInterval => {
    if (skipped === 0) return whole;
    const certain = cs.deterministic();
    const certainLower = (N * certain.lower - skippedLower) / coveredCount;
    const certainUpper = (N * certain.upper - skippedUpper) / coveredCount;
    const lower = Math.max((N * whole.lower - skippedUpper) / coveredCount, certainLower);
    const upper = Math.min((N * whole.upper - skippedLower) / coveredCount, certainUpper);
    return upper < lower ? { lower: certainLower, upper: certainUpper } : { lower, upper };
  };
  return { anytime: () => covered(cs.anytime()), fixed: () => covered(cs.fixed()) };
}

/**
 * The adaptive session's draw floors, by replaying its proposals: the sampler `simulate` plans,
 * drawing from the session's stream, taught each outcome before the next draw as `drive` records
 * them; each draw's floor from the weights it is drawn with (`simulationReference`'s `drawFloor`).
 */
function adaptiveDrawFloors(session: ActiveTestingSession, setting: Setting, lossOf: (index: number) => number): Float64Array[] {
  const prepared = prepareSimulation(simulationInput, { acquisition: 'adaptive', loss: setting.loss, clip: 0.1, runs: 1 });
  const sampler = mixtureSampler(prepared.pool.mixture!, 0.1, { deferredLosses: true }) as AdaptiveSampler;
  const drawFloor = simulationReference(simulationInput, prepared.options)!.drawFloor!;
  const random = randomStream(9, [0]);
  return session.history().map((h) => {
    const floor = drawFloor(sampler.mixture);
    expect(sampler.draw(random)).toBe(h.index);
    if (h.status === 'labelled') sampler.observe(lossOf(h.index));
    else sampler.discard();
    return floor;
  });
}

function rowLoss(loss: BuiltinLoss, scores: Matrix, index: number, label: number): number {
  const row = { data: scores.data.subarray(index * K, (index + 1) * K), rows: 1, cols: K };
  return BUILTIN_LOSSES[loss].perItem(row, Int32Array.of(label))[0];
}

/** Simulate's reference for these settings, from `simulationReference`. */
function simulateReference(setting: Setting): ConfidenceSequenceReference {
  const { options } = prepareSimulation(simulationInput, {
    acquisition: setting.acquisition,
    loss: setting.loss,
    defensive: setting.defensive ?? null,
    temperature: setting.temperature ?? null,
    clip: setting.clip ?? 0.1,
    runs: 1,
  });
  const reference = simulationReference(simulationInput, options);
  expect(reference).not.toBeNull();
  return reference!;
}

const zeroOneBounds: LossBounds = { lower: new Float64Array(N), upper: new Float64Array(N).fill(1) };

describe('session confidence sequences bet with simulate’s reference', () => {
  const settings: Setting[] = [
    { acquisition: 'surrogate-ce', loss: 'cross-entropy' },
    { acquisition: 'surrogate-ce', loss: 'zero-one', temperature: 1.7, clip: 0.2 },
    { acquisition: 'surrogate-ce', loss: 'brier', defensive: 0.3 },
    { acquisition: 'adaptive', loss: 'cross-entropy' },
    { acquisition: 'iid', loss: 'cross-entropy' },
  ];
  for (const setting of settings) {
    it(`${setting.acquisition} ${setting.loss}${setting.defensive ? ' defensive' : ''}: risk and accuracy equal hand-built sequences, skips included`, async () => {
      const session = await ActiveTestingSession.create(null, { ...base, ...setting });
      // Skipped items stay in the sequences as losses never known, and leave the reported pool.
      await drive(session, 70, new Set([3, 20, 41]));
      const reference = simulateReference(setting);
      // Under the adaptive proposal each draw also bets with its own floor.
      const floors =
        setting.acquisition === 'adaptive'
          ? adaptiveDrawFloors(session, setting, (i) => rowLoss(setting.loss, pool.modelScores, i, pool.labels[i]))
          : null;
      const risk = byHand(
        session,
        lossBounds(pool.modelScores, setting.loss),
        reference,
        (i, y) => rowLoss(setting.loss, pool.modelScores, i, y),
        floors,
      );
      const belief = classProbabilities(pool.surrogateScores, setting.temperature ?? null, EPS, 'stable');
      const zeroOneReference = {
        predictedLoss: BUILTIN_LOSSES['zero-one'].expected(pool.modelScores, belief),
        proposalFloor: reference.proposalFloor,
      };
      const errors = byHand(session, zeroOneBounds, zeroOneReference, (i, y) => rowLoss('zero-one', pool.modelScores, i, y), floors);
      const estimate = session.estimate();
      expect(estimate.labels).toBe(67);
      expect(estimate.risk.anytime).toEqual(risk.anytime());
      expect(estimate.risk.fixed).toEqual(risk.fixed());
      const errorInterval = errors.anytime();
      expect(estimate.accuracy.anytime).toEqual({ lower: 1 - errorInterval.upper, upper: 1 - errorInterval.lower });
    });
  }

  it('differs from the bets without reference (the reference reaches the sequence)', async () => {
    const setting: Setting = { acquisition: 'surrogate-ce', loss: 'cross-entropy' };
    const session = await ActiveTestingSession.create(null, { ...base, ...setting });
    await drive(session, 100);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const lossOf = (i: number, y: number) => rowLoss('cross-entropy', pool.modelScores, i, y);
    const withReference = byHand(session, bounds, simulateReference(setting), lossOf).anytime();
    const without = byHand(session, bounds, null, lossOf).anytime();
    expect(session.estimate().risk.anytime).toEqual(withReference);
    expect(Math.abs(withReference.upper - without.upper)).toBeGreaterThan(1e-3);
  });

  it('tunes its sequences for plannedLabels, kept in the session file', async () => {
    const setting: Setting = { acquisition: 'surrogate-ce', loss: 'cross-entropy' };
    const dir = mkdtempSync(join(tmpdir(), 'at-planned-'));
    try {
      const path = join(dir, 'pool.session');
      const session = await ActiveTestingSession.create(path, { ...base, ...setting, plannedLabels: 60 });
      await drive(session, 40, new Set([5]));
      const bounds = lossBounds(pool.modelScores, 'cross-entropy');
      const lossOf = (i: number, y: number) => rowLoss('cross-entropy', pool.modelScores, i, y);
      const reference = simulateReference(setting);
      const estimate = session.estimate();
      expect(estimate.risk.anytime).toEqual(byHand(session, bounds, reference, lossOf, null, 60).anytime());
      expect(estimate.risk.anytime).not.toEqual(byHand(session, bounds, reference, lossOf).anytime());
      await session.close();
      const reopened = await ActiveTestingSession.open(path);
      expect(reopened.settings.plannedLabels).toBe(60);
      expect(reopened.estimate().risk.anytime).toEqual(estimate.risk.anytime);
      await reopened.close();
      // An integer ≥ 1.
      for (const plannedLabels of [0, 2.5]) {
        await expect(ActiveTestingSession.create(null, { ...base, ...setting, plannedLabels })).rejects.toThrow(/plannedLabels/);
      }
      // Above the pool size: a plan to label the whole pool, warned of, tuned as for N itself.
      const warnings: string[] = [];
      const whole = { ...base, ...setting, plannedLabels: N };
      const above = await ActiveTestingSession.create(null, { ...whole, plannedLabels: 400, onWarning: (m) => warnings.push(m) });
      expect(warnings).toEqual([`plannedLabels: 400 is more than the pool's ${N} items: the sequences are tuned for all ${N}`]);
      expect(above.settings.plannedLabels).toBe(N);
      const exact = await ActiveTestingSession.create(null, { ...whole, onWarning: (m) => warnings.push(m) });
      expect(warnings).toHaveLength(1);
      for (const session of [above, exact]) await drive(session, 30);
      expect(above.estimate().risk).toEqual(exact.estimate().risk);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('predicts the paired difference as the difference of the predicted losses', async () => {
    const session = await ActiveTestingSession.create(null, {
      ...base,
      acquisition: 'surrogate-ce',
      comparisonScores: other.modelScores,
    });
    await drive(session, 60, new Set([7]));
    const belief = classProbabilities(pool.surrogateScores, null, EPS, 'stable');
    const expected = BUILTIN_LOSSES['cross-entropy'].expected;
    const targetPrediction = expected(pool.modelScores, belief);
    const comparisonPrediction = expected(other.modelScores, belief);
    const differencePrediction = targetPrediction.map((value, i) => value - comparisonPrediction[i]);
    // A paired surrogate-ce proposal's values are the mean of both targets' expected losses (simulate has no such proposal).
    const values = targetPrediction.map((value, i) => (value + comparisonPrediction[i]) / 2);
    const sessionFloor = fixedProposalFloor(values, 0.1)!;
    const difference = byHand(
      session,
      pairedDifferenceBounds(pool.modelScores, other.modelScores, 'cross-entropy'),
      { predictedLoss: differencePrediction, proposalFloor: sessionFloor },
      (i, y) => rowLoss('cross-entropy', pool.modelScores, i, y) - rowLoss('cross-entropy', other.modelScores, i, y),
    );
    const comparisonRisk = byHand(
      session,
      lossBounds(other.modelScores, 'cross-entropy'),
      { predictedLoss: comparisonPrediction, proposalFloor: sessionFloor },
      (i, y) => rowLoss('cross-entropy', other.modelScores, i, y),
    );
    const estimate = session.estimate().comparison!;
    // The session widens the difference's intervals by a rounding allowance of order ε·Σ(|ℓ₁| + |ℓ₂|)
    // (session.test.ts shows why): the same sequence, at most 1e-11 wider on each side.
    const byHandDifference = difference.anytime();
    const { lower, upper } = estimate.difference.anytime!;
    expect(lower).toBeLessThan(byHandDifference.lower);
    expect(lower).toBeGreaterThan(byHandDifference.lower - 1e-11);
    expect(upper).toBeGreaterThan(byHandDifference.upper);
    expect(upper).toBeLessThan(byHandDifference.upper + 1e-11);
    expect(estimate.risk.anytime).toEqual(comparisonRisk.anytime());
  });
});
