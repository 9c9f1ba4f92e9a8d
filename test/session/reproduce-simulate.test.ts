import { beforeAll, describe, expect, it } from 'vitest';
import { simulate, type SimulationOptions } from '../../src/simulate/simulate.js';
import { VARIANCE_VERDICTS, varianceDiagnosticRows } from '../../src/acquisition/adaptive/index.js';
import { lossPerItem } from '../../src/metrics/cross-entropy.js';
import { zeroOneLossPerItem } from '../../src/metrics/zero-one-loss.js';
import { finitePopulationFactor } from '../../src/estimators/index.js';
import type { SessionOptions } from '../../src/session/header.js';
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

  // The session's and simulate's settings for each proposal; {} is the default of both (adaptive).
  const settings: Array<[string, Partial<SimulationOptions>, Partial<SessionOptions>, number]> = [
    ['default: adaptive', {}, {}, 0],
    ['default: adaptive', {}, {}, 17],
    ['surrogate-ce', { acquisition: 'surrogate-ce' }, { acquisition: 'surrogate-ce' }, 0],
    ['surrogate-ce', { acquisition: 'surrogate-ce' }, { acquisition: 'surrogate-ce' }, 17],
    ['surrogate-m2 at T = 2', { acquisition: 'surrogate-m2', temperature: 2 }, { acquisition: 'surrogate-m2', temperature: 2 }, 5],
    ['surrogate-ce, defensive 0.5', { acquisition: 'surrogate-ce', defensive: 0.5 }, { acquisition: 'surrogate-ce', defensive: 0.5 }, 5],
    ['adaptive at T = 3', { acquisition: 'adaptive', temperature: 3 }, { acquisition: 'adaptive', temperature: 3 }, 5],
    // simulate's default estimator for iid is the sample mean, equal to LURE's only up to rounding.
    ['iid, simulated with LURE', { acquisition: 'iid', estimator: 'lure' }, { acquisition: 'iid' }, 5],
  ];
  for (const [name, simulation, sessionSettings, seed] of settings) {
    it(`draw for draw and estimate for estimate (SST-2, ${name}, seed ${seed})`, async () => {
      const input = {
        modelScores: { data: pool.modelScores.data, shape: [N, 2] as [number, number] },
        surrogateScores: { data: pool.surrogateScores.data, shape: [N, 2] as [number, number] },
        labels: pool.labels,
      };
      const result = await simulate(input, { ...simulation, runs: 1, size: SIZE, seed, threads: 1 });
      const session = await ActiveTestingSession.create(null, {
        texts: pool.texts,
        classes: ['negative', 'positive'],
        modelScores: pool.modelScores,
        surrogateScores: pool.surrogateScores,
        seed,
        ...sessionSettings,
      });
      expect(session.settings.acquisition).toBe(result.options.acquisition);
      // The verdicts too: the session counts the target's errors as simulate's summary does.
      const { ratios, verdicts } = varianceDiagnosticRows(
        result,
        lossPerItem(pool.modelScores, pool.labels),
        zeroOneLossPerItem(pool.modelScores, pool.labels),
      );
      for (let m = 0; m < SIZE; m++) {
        const [item] = await session.next();
        expect(item.index).toBe(result.samples[m]);
        expect(item.probability).toBe(result.q[m]);
        await session.record(item.id, pool.labels[item.index]);
        const { risk } = session.estimate();
        expect(risk.value).toBe(result.estimates[m]);
        // The session's interval carries the finite-population correction; simulate's output does not.
        expect(risk.standardError).toBe(
          Math.sqrt(Math.max(0, result.bootstrapVariance![m]) * finitePopulationFactor(m + 1, pool.labels.length)),
        );
        const { varianceRatio, varianceVerdict } = session.estimate();
        if (Number.isNaN(ratios[m])) expect(varianceRatio).toBeNaN();
        else expect(Math.abs(varianceRatio - ratios[m])).toBeLessThanOrEqual(1e-12 * Math.max(1, ratios[m]));
        expect(varianceVerdict).toBe(VARIANCE_VERDICTS[verdicts[m]]);
      }
      expect(session.estimate().labels).toBe(SIZE);
    });
  }
});
