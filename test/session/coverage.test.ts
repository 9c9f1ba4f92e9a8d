import { describe, expect, it } from 'vitest';
import { lossPerItem } from '../../src/metrics/cross-entropy.js';
import { zeroOneLossPerItem } from '../../src/metrics/zero-one-loss.js';
import { ActiveTestingSession, type IntervalEstimate } from '../../src/session/session.js';
import { sharedAvailable } from '../helpers/shared.js';
import { SST2_TRAIN, sst2LexiconPool } from './sst2-pool.js';

const N = 10_000;
const SESSIONS = 300;
const BUDGET = 100;
/** Width-based stopping: about the median half-width of the risk interval at 100 labels on this pool. */
const HALF_WIDTH = 0.06;
const MAX_LABELS = 400;

const covers = (interval: IntervalEstimate, truth: number) => interval.lower <= truth && truth <= interval.upper;
const mean = (values: Float64Array) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Seeded Monte Carlo: 300 labelling sessions on a 10,000-item SST-2 pool (the stand-in models of
 * sst2-pool.ts), fed the true labels. The numbers are deterministic for these seeds; the bounds
 * sit a few Monte Carlo standard errors (≈ 1.8 points at 300 sessions) below the measured coverage.
 */
describe.skipIf(!sharedAvailable(SST2_TRAIN))('coverage of the 95% interval of estimate() (SST-2, 10,000 items)', () => {
  it('with a fixed budget of 100 labels, and with width-based stopping from 100 labels on', async () => {
    const pool = await sst2LexiconPool(N);
    const trueRisk = mean(lossPerItem(pool.targetScores, pool.labels));
    const trueAccuracy = 1 - mean(zeroOneLossPerItem(pool.targetScores, pool.labels));
    let riskCovered = 0;
    let accuracyCovered = 0;
    let widthCovered = 0;
    let widthLabels = 0;
    let stoppedByWidth = 0;
    let session0Acquisition = '';
    for (let s = 0; s < SESSIONS; s++) {
      const session = await ActiveTestingSession.create(null, {
        texts: pool.texts, classes: ['negative', 'positive'], targetScores: pool.targetScores, surrogateScores: pool.surrogateScores, seed: s,
      });
      if (s === 0) session0Acquisition = session.settings.acquisition;
      const label = async () => {
        const [item] = await session.next();
        await session.record(item.id, pool.labels[item.index]);
      };
      while (!session.done({ maxLabels: BUDGET })) await label();
      const fixed = session.estimate();
      if (covers(fixed.risk, trueRisk)) riskCovered++;
      if (covers(fixed.accuracy, trueAccuracy)) accuracyCovered++;
      while (!session.done({ targetHalfWidth: HALF_WIDTH, minLabels: BUDGET, maxLabels: MAX_LABELS })) await label();
      const stopped = session.estimate();
      if (covers(stopped.risk, trueRisk)) widthCovered++;
      widthLabels += stopped.labels;
      if (stopped.labels < MAX_LABELS) stoppedByWidth++;
    }
    const coverage = {
      fixedBudgetRisk: riskCovered / SESSIONS,
      fixedBudgetAccuracy: accuracyCovered / SESSIONS,
      widthStoppingRisk: widthCovered / SESSIONS,
      meanLabelsAtWidthStop: widthLabels / SESSIONS,
      stoppedByWidth: stoppedByWidth / SESSIONS,
    };
    console.log(`session coverage (${SESSIONS} sessions, true risk ${trueRisk.toFixed(4)}, accuracy ${trueAccuracy.toFixed(4)}):`, coverage);
    expect(session0Acquisition).toBe('adaptive');
    expect(coverage.fixedBudgetAccuracy).toBeGreaterThanOrEqual(0.9);
    // The cross-entropy of this lexicon target is heavy-tailed (confident errors). The default
    // adaptive proposal keeps a uniform share, so the costly items are not left to a few huge
    // weights: 0.943 at 100 labels and 0.917 with width-based stopping, against 0.867 and 0.867
    // with fixed surrogate-ce (the issue-5 target is 0.90). See docs/sessions.md.
    expect(coverage.fixedBudgetRisk).toBeGreaterThanOrEqual(0.9);
    expect(coverage.widthStoppingRisk).toBeGreaterThanOrEqual(0.9);
    expect(coverage.stoppedByWidth).toBeGreaterThan(0.3);
  });
});
