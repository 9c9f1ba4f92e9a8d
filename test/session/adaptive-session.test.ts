import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adaptiveCandidates, createAdaptiveSampler } from '../../src/acquisition/adaptive/index.js';
import { lossPerItem } from '../../src/metrics/cross-entropy.js';
import { randomStream } from '../../src/random.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

const N = 400;
const pool = syntheticPool({ poolSize: N, classCount: 2, seed: 21 });
const texts = Array.from({ length: N }, (_, i) => `item ${i}`);
const options: CreateSessionOptions = { texts, classes: ['a', 'b'], modelScores: pool.modelScores, surrogateScores: pool.surrogateScores };
const losses = lossPerItem(pool.modelScores, pool.labels);
const trueRisk = losses.reduce((a, b) => a + b, 0) / N;

/** Proposes `batch` items, then labels them all: each proposal sees only the labels of earlier batches. */
async function labelInBatches(session: ActiveTestingSession, batches: number, batch: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    for (const item of await session.next(batch)) await session.record(item.id, pool.labels[item.index]);
  }
}

describe('adaptive acquisition in a session', () => {
  it('is the default with target and surrogate scores; the paper’s surrogate-ce stays the default for comparisons', async () => {
    expect((await ActiveTestingSession.create(null, options)).settings.acquisition).toBe('adaptive');
    const paired = await ActiveTestingSession.create(null, { ...options, comparisonScores: pool.surrogateScores });
    expect(paired.settings.acquisition).toBe('surrogate-ce');
    expect((await ActiveTestingSession.create(null, { ...options, loss: 'zero-one' })).settings.acquisition).toBe('surrogate-ce');
    await expect(ActiveTestingSession.create(null, { ...options, acquisition: 'adaptive', defensive: 0.5 })).rejects.toThrow(/defensive/);
    const { modelScores: _, ...withoutTarget } = options;
    await expect(
      ActiveTestingSession.create(null, { ...withoutTarget, acquisition: 'adaptive', scoreTarget: async () => [[0, 0]] }),
    ).rejects.toThrow(/target/);
  });

  it('proposes next(k) from the labels recorded before the call, in draw order (the sampler driven the same way)', async () => {
    const session = await ActiveTestingSession.create(null, { ...options, seed: 4 });
    await labelInBatches(session, 6, 10);
    // The same adaptive sampler, fed each batch's losses only after the whole batch is drawn.
    const sampler = createAdaptiveSampler(adaptiveCandidates(pool.modelScores, pool.surrogateScores), 0.1, { deferredLosses: true });
    const u = randomStream(4, [0]);
    const expected: Array<[number, number]> = [];
    for (let b = 0; b < 6; b++) {
      const batch = Array.from({ length: 10 }, () => [sampler.draw(u), sampler.lastProbability] as [number, number]);
      for (const [item] of batch) sampler.observe(losses[item]);
      expected.push(...batch);
    }
    expect(session.history().map((h) => [h.index, h.probability])).toEqual(expected);
    // The weights moved from the prior by the end: the batches' labels were learned from.
    expect(sampler.mixture).not.toEqual(Float64Array.of(0.5, 0.5, 0, 0, 0, 0, 0));
  });

  it('reopens a file with batches, skips and undos to the same next proposal', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'at-adaptive-')), 'pool.session');
    const act = async (session: ActiveTestingSession) => {
      await labelInBatches(session, 3, 7);
      const [first, second, third, fourth] = await session.next(4);
      await session.record(first.id, pool.labels[first.index]);
      await session.skip(second.id);
      await session.undo(); // the skip, re-pending the second item
      await session.skip(third.id); // a skip the sampler learns as a draw without a loss
      await session.record(fourth.id, pool.labels[fourth.index]);
      await session.record(second.id, pool.labels[second.index]);
      await labelInBatches(session, 2, 9);
    };
    const live = await ActiveTestingSession.create(path, { ...options, seed: 8 });
    await act(live);
    await live.close();
    const memory = await ActiveTestingSession.create(null, { ...options, seed: 8 });
    await act(memory);
    const reopened = await ActiveTestingSession.open(path);
    expect(reopened.history()).toEqual(memory.history());
    expect((await reopened.next(5)).map((p) => p.id)).toEqual((await memory.next(5)).map((p) => p.id));
    expect(reopened.estimate()).toEqual(memory.estimate());
    await reopened.close();
  });

  // Seeded Monte Carlo: 400 sessions labelled in batches of 8, so every proposal is made before
  // up to 7 earlier labels are known. The mean of LURE stays within 4 standard errors of the truth.
  it('keeps LURE unbiased when next(k) proposes ahead of the labels', async () => {
    const sessions = 400;
    const estimates = new Float64Array(sessions);
    const ratios = new Float64Array(sessions);
    for (let s = 0; s < sessions; s++) {
      const session = await ActiveTestingSession.create(null, { ...options, seed: s });
      await labelInBatches(session, 5, 8);
      const { risk, varianceRatio, varianceVerdict } = session.estimate();
      expect(['helping', 'hurting', 'no evidence yet']).toContain(varianceVerdict);
      estimates[s] = risk.value;
      ratios[s] = varianceRatio;
    }
    const mean = estimates.reduce((a, b) => a + b, 0) / sessions;
    const sd = Math.sqrt(estimates.reduce((a, x) => a + (x - mean) ** 2, 0) / (sessions - 1));
    expect(Math.abs(mean - trueRisk) / (sd / Math.sqrt(sessions))).toBeLessThan(4);
    expect(ratios.every((r) => r >= 0 && Number.isFinite(r))).toBe(true);
  });
});
