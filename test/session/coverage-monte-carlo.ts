import type { Matrix } from '../../src/matrix.js';
import { lossPerItem } from '../../src/metrics/cross-entropy.js';
import { zeroOneLossPerItem } from '../../src/metrics/zero-one-loss.js';
import type { SessionAcquisition } from '../../src/session/header.js';
import { ActiveTestingSession, type RiskInterval } from '../../src/session/session.js';

/** A pool with its true labels, as a coverage Monte Carlo feeds them to the sessions. */
export interface LabelledPool {
  texts: readonly string[];
  labels: Int32Array;
  modelScores: Matrix;
  surrogateScores: Matrix;
}

/** How the sessions stop: a fixed budget first, then a target half-width from that budget on. */
export interface CoveragePlan {
  /** The sessions' acquisition (default: the sessions' default). */
  acquisition?: SessionAcquisition;
  sessions: number;
  budget: number;
  halfWidth: number;
  maxLabels: number;
}

/** What the Monte Carlo measured, as fractions of the sessions. */
export interface SessionCoverage {
  trueRisk: number;
  trueAccuracy: number;
  /** Coverage of `risk.fixed` and `accuracy.fixed` after the budget. */
  fixedRisk: number;
  fixedAccuracy: number;
  /** Coverage of the approximate bootstrap interval after the budget (no guarantee; for comparison). */
  bootstrapRisk: number;
  /** Median half-widths after the budget: the confidence sequence, the fixed-budget interval, the bootstrap. */
  halfWidths: { anytime: number; fixed: number; bootstrap: number };
  /** Of the sessions whose fixed-budget risk interval missed, the share that lay below the true risk. */
  fixedMissesBelow: number;
  /** Coverage of `risk.anytime` (the confidence sequence) when the session stopped on its width. */
  widthStoppingRisk: number;
  meanLabelsAtWidthStop: number;
  stoppedByWidth: number;
  /** The acquisition the sessions used (their default). */
  acquisition: string;
}

const covers = (interval: RiskInterval | undefined, truth: number) =>
  interval !== undefined && interval.lower <= truth && truth <= interval.upper;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mean = (values: Float64Array) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Seeded Monte Carlo of labelling sessions (seeds 0 … sessions − 1) fed the true labels: the
 * fraction whose 95% interval covers the true risk and accuracy after the fixed budget, and the
 * true risk after stopping at the half-width.
 */
export async function sessionCoverage(pool: LabelledPool, plan: CoveragePlan): Promise<SessionCoverage> {
  const trueRisk = mean(lossPerItem(pool.modelScores, pool.labels));
  const trueAccuracy = 1 - mean(zeroOneLossPerItem(pool.modelScores, pool.labels));
  let riskCovered = 0;
  let bootstrapCovered = 0;
  const widths = { anytime: [] as number[], fixed: [] as number[], bootstrap: [] as number[] };
  const half = (interval: RiskInterval | undefined) => (interval === undefined ? NaN : (interval.upper - interval.lower) / 2);
  let missesBelow = 0;
  let accuracyCovered = 0;
  let widthCovered = 0;
  let widthLabels = 0;
  let stoppedByWidth = 0;
  let acquisition = '';
  for (let s = 0; s < plan.sessions; s++) {
    const session = await ActiveTestingSession.create(null, {
      texts: pool.texts,
      classes: ['negative', 'positive'],
      modelScores: pool.modelScores,
      surrogateScores: pool.surrogateScores,
      seed: s,
      ...(plan.acquisition === undefined ? {} : { acquisition: plan.acquisition }),
    });
    acquisition = session.settings.acquisition;
    const label = async () => {
      const [item] = await session.next();
      await session.record(item.id, pool.labels[item.index]);
    };
    while (!session.done({ maxLabels: plan.budget })) await label();
    const atBudget = session.estimate();
    if (covers(atBudget.risk.fixed, trueRisk)) riskCovered++;
    else if ((atBudget.risk.fixed?.upper ?? NaN) < trueRisk) missesBelow++;
    if (covers(atBudget.risk.bootstrap, trueRisk)) bootstrapCovered++;
    if (covers(atBudget.accuracy.fixed, trueAccuracy)) accuracyCovered++;
    widths.anytime.push(half(atBudget.risk.anytime));
    widths.fixed.push(half(atBudget.risk.fixed));
    widths.bootstrap.push(half(atBudget.risk.bootstrap));
    while (!session.done({ targetHalfWidth: plan.halfWidth, minLabels: plan.budget, maxLabels: plan.maxLabels })) await label();
    const stopped = session.estimate();
    if (covers(stopped.risk.anytime, trueRisk)) widthCovered++;
    widthLabels += stopped.labels;
    if (stopped.labels < plan.maxLabels) stoppedByWidth++;
  }
  return {
    trueRisk,
    trueAccuracy,
    fixedRisk: riskCovered / plan.sessions,
    fixedAccuracy: accuracyCovered / plan.sessions,
    bootstrapRisk: bootstrapCovered / plan.sessions,
    halfWidths: { anytime: median(widths.anytime), fixed: median(widths.fixed), bootstrap: median(widths.bootstrap) },
    fixedMissesBelow: riskCovered === plan.sessions ? 0 : missesBelow / (plan.sessions - riskCovered),
    widthStoppingRisk: widthCovered / plan.sessions,
    meanLabelsAtWidthStop: widthLabels / plan.sessions,
    stoppedByWidth: stoppedByWidth / plan.sessions,
    acquisition,
  };
}

/** A labelled pool with a second target, for the paired comparison's coverage. */
export interface ComparedPool extends LabelledPool {
  classes: readonly string[];
  comparisonScores: Matrix;
}

/** What the comparison Monte Carlo measured, as fractions of the sessions. */
export interface DifferenceCoverage {
  /** The true paired difference: the target's mean cross-entropy minus the comparison's. */
  trueDifference: number;
  /** Sessions whose `comparison.difference.anytime` contained the truth at every label count. */
  simultaneous: number;
  /** Coverage of `comparison.difference.fixed` at each budget, in the plan's order. */
  fixed: number[];
  /** Median half-width of the sequence at the last budget, and of the bootstrap interval there. */
  medianHalfWidth: { anytime: number; bootstrap: number };
  acquisition: string;
}

/**
 * Seeded Monte Carlo of comparison sessions (seeds 0 … sessions − 1, cross-entropy) fed the true
 * labels: the fraction whose confidence sequence for the difference target − comparison contains
 * the true difference after every label up to `maxLabels`, and the fixed-budget interval's
 * coverage at each of `budgets`.
 */
export async function differenceCoverage(
  pool: ComparedPool,
  plan: { acquisition?: SessionAcquisition; sessions: number; budgets: readonly number[]; maxLabels: number },
): Promise<DifferenceCoverage> {
  const target = lossPerItem(pool.modelScores, pool.labels);
  const comparison = lossPerItem(pool.comparisonScores, pool.labels);
  const trueDifference = mean(target.map((loss, i) => loss - comparison[i]));
  let simultaneous = 0;
  const fixedCovered = plan.budgets.map(() => 0);
  const widths = { anytime: [] as number[], bootstrap: [] as number[] };
  let acquisition = '';
  for (let s = 0; s < plan.sessions; s++) {
    const session = await ActiveTestingSession.create(null, {
      texts: pool.texts,
      classes: pool.classes,
      modelScores: pool.modelScores,
      comparisonScores: pool.comparisonScores,
      surrogateScores: pool.surrogateScores,
      seed: s,
      ...(plan.acquisition === undefined ? {} : { acquisition: plan.acquisition }),
    });
    acquisition = session.settings.acquisition;
    let coveredThroughout = true;
    for (let m = 1; m <= plan.maxLabels; m++) {
      const [item] = await session.next();
      await session.record(item.id, pool.labels[item.index]);
      const difference = session.estimate().comparison?.difference;
      if (!covers(difference?.anytime, trueDifference)) coveredThroughout = false;
      const budget = plan.budgets.indexOf(m);
      if (budget < 0 || difference === undefined) continue;
      if (covers(difference.fixed, trueDifference)) fixedCovered[budget]++;
      if (budget === plan.budgets.length - 1) {
        widths.anytime.push((difference.anytime!.upper - difference.anytime!.lower) / 2);
        widths.bootstrap.push((difference.bootstrap.upper - difference.bootstrap.lower) / 2);
      }
    }
    if (coveredThroughout) simultaneous++;
  }
  return {
    trueDifference,
    simultaneous: simultaneous / plan.sessions,
    fixed: fixedCovered.map((covered) => covered / plan.sessions),
    medianHalfWidth: { anytime: median(widths.anytime), bootstrap: median(widths.bootstrap) },
    acquisition,
  };
}
