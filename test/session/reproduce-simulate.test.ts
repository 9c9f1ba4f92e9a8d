import { beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../src/acquisition/simulate.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { sharedAvailable } from '../helpers/shared.js';
import { SST2_TRAIN, sst2LexiconPool, type ScoredPool } from './sst2-pool.js';

const N = 2000;
const SIZE = 150;

describe.skipIf(!sharedAvailable(SST2_TRAIN))('a session driven with the true labels reproduces simulate', () => {
  let pool: ScoredPool;
  beforeAll(async () => {
    pool = await sst2LexiconPool(N);
  });

  for (const seed of [0, 17]) {
    it(`draw for draw and estimate for estimate (SST-2, surrogate-ce, seed ${seed})`, async () => {
      const input = {
        modelScores: { data: pool.targetScores.data, shape: [N, 2] as [number, number] },
        surrogateScores: { data: pool.surrogateScores.data, shape: [N, 2] as [number, number] },
        labels: pool.labels,
      };
      const result = await simulate(input, { runs: 1, size: SIZE, seed, threads: 1 });
      const session = await ActiveTestingSession.create(null, {
        texts: pool.texts, classes: ['negative', 'positive'], targetScores: pool.targetScores, surrogateScores: pool.surrogateScores, seed,
      });
      for (let m = 0; m < SIZE; m++) {
        const [item] = await session.next();
        expect(item.index).toBe(result.samples[m]);
        expect(item.probability).toBe(result.q[m]);
        await session.record(item.id, pool.labels[item.index]);
        const { risk } = session.estimate();
        expect(risk.value).toBe(result.estimates[m]);
        expect(risk.standardError).toBe(Math.sqrt(result.bootstrapVariance![m]));
      }
      expect(session.estimate().labels).toBe(SIZE);
    });
  }
});
