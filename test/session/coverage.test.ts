import { describe, expect, it } from 'vitest';
import { sharedAvailable } from '../helpers/shared.js';
import { sessionCoverage } from './coverage-monte-carlo.js';
import { SST2_TRAIN, sst2LexiconPool } from './sst2-pool.js';

const N = 10_000;
const SESSIONS = 300;
const BUDGET = 100;
/** Width-based stopping: about the median half-width of the risk interval at 100 labels on this pool. */
const HALF_WIDTH = 0.06;
const MAX_LABELS = 400;

/**
 * Seeded Monte Carlo: 300 labelling sessions on a 10,000-item SST-2 pool (the stand-in models of
 * sst2-pool.ts), fed the true labels. The numbers are deterministic for these seeds; the bounds
 * sit a few Monte Carlo standard errors (≈ 1.8 points at 300 sessions) below the measured coverage.
 */
describe.skipIf(!sharedAvailable(SST2_TRAIN))('coverage of the 95% interval of estimate() (SST-2, 10,000 items)', () => {
  it('with a fixed budget of 100 labels, and with width-based stopping from 100 labels on', async () => {
    const pool = await sst2LexiconPool(N);
    const coverage = await sessionCoverage(pool, { sessions: SESSIONS, budget: BUDGET, halfWidth: HALF_WIDTH, maxLabels: MAX_LABELS });
    console.log(`session coverage (${SESSIONS} sessions):`, coverage);
    expect(coverage.acquisition).toBe('adaptive');
    expect(coverage.fixedBudgetAccuracy).toBeGreaterThanOrEqual(0.9);
    // The cross-entropy of this lexicon target is heavy-tailed (confident errors). The default
    // adaptive proposal keeps a uniform share, so the costly items are not left to a few huge
    // weights: 0.923 at 100 labels and 0.913 with width-based stopping, against 0.890 and 0.883
    // with fixed surrogate-ce (the issue-5 target is 0.90). See docs/sessions.md.
    expect(coverage.fixedBudgetRisk).toBeGreaterThanOrEqual(0.9);
    expect(coverage.widthStoppingRisk).toBeGreaterThanOrEqual(0.9);
    expect(coverage.stoppedByWidth).toBeGreaterThan(0.3);
  });
});
