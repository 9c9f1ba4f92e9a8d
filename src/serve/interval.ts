import type { IntervalEstimate, SessionEstimate } from '../session/session.js';
import type { DisplayedInterval } from './protocol.js';

/** A `DisplayedInterval` as the server builds it: its ends are numbers, NaN where there is none (JSON sends null). */
export type IntervalShown = DisplayedInterval & { lower: number; upper: number };

/** The name the page gives the anytime-valid confidence sequence. */
export const ANYTIME = '95% confidence sequence (anytime-valid)';
/** The name the page gives the bootstrap interval. */
const BOOTSTRAP = '95% bootstrap interval (approximate)';
const ANYTIME_MEANING =
  'With 95% probability the true value lies in this interval at every number of labels at once: ' +
  'it stays valid however often you look, and wherever labelling stops.';
const BOOTSTRAP_MEANING =
  'An approximation: the true value may lie outside it more often than 1 time in 20, ' +
  'and more often still when labelling stops because of what it shows.';
const FIXED = '95% fixed-budget interval';
const FIXED_MEANING =
  'With 95% probability the true value lies in this interval at this number of labels, when it was chosen ' +
  'before labelling, as the budget (--max-labels) was: not at a count stopped at because of what the intervals ' +
  'showed, nor with skips that may depend on the labels.';
/**
 * The sequence is not centred on the estimate: it also uses the per-item loss bounds and the
 * surrogate's predictions, so early in a cross-entropy session, when the labels drawn so far
 * happen to be cheap, the estimate can lie below it (on the demo's pools, in most sessions at
 * some count before 40 labels).
 */
const OUTSIDE =
  'The estimate lies outside the interval: with few labels it rests on the items drawn so far, ' +
  'while the interval also uses what each unlabelled item can cost. Read the interval; it holds at 95%.';

/**
 * The interval the page shows for an estimate: the anytime-valid confidence sequence, which stays
 * valid however often the page is looked at and whenever labelling stops; the approximate
 * bootstrap interval only where the session has no sequence (a custom loss without per-item bounds,
 * or no target scores to bound the loss before labelling).
 */
function displayed(interval: IntervalEstimate): IntervalShown {
  const { anytime, bootstrap, value } = interval;
  const shown =
    anytime === undefined
      ? { lower: bootstrap.lower, upper: bootstrap.upper, name: BOOTSTRAP, meaning: BOOTSTRAP_MEANING }
      : { lower: anytime.lower, upper: anytime.upper, name: ANYTIME, meaning: ANYTIME_MEANING };
  return value < shown.lower || value > shown.upper ? { ...shown, note: OUTSIDE } : shown;
}

/**
 * The one place that chooses which interval of the session the browser shows for the risk.
 *
 * @example
 * const { lower, upper, name } = riskInterval(session.estimate()); // name: '95% confidence sequence (anytime-valid)'
 */
export function riskInterval(estimate: SessionEstimate): IntervalShown {
  return displayed(estimate.risk);
}

/**
 * An estimate with the interval the page shows for it, chosen as the risk's is: for a comparison
 * session's second model and the paired difference.
 */
export function displayedEstimate(interval: IntervalEstimate): { value: number } & IntervalShown {
  return { value: interval.value, ...displayed(interval) };
}

/** The accuracy's interval, chosen as the risk's is. */
export function accuracyInterval(estimate: SessionEstimate): IntervalShown {
  return displayed(estimate.accuracy);
}

/**
 * The intervals of `interval` other than the one `displayed` shows beside the estimate, as `label`
 * prints them at its stop: the fixed-budget interval, then the bootstrap (named approximate).
 */
function otherIntervals(interval: IntervalEstimate): IntervalShown[] {
  const { anytime, fixed, bootstrap } = interval;
  // Without a sequence the page already shows the bootstrap, and there is no fixed-budget interval either.
  if (anytime === undefined) return [];
  const others: IntervalShown[] = [];
  if (fixed !== undefined) others.push({ lower: fixed.lower, upper: fixed.upper, name: FIXED, meaning: FIXED_MEANING });
  others.push({ lower: bootstrap.lower, upper: bootstrap.upper, name: BOOTSTRAP, meaning: BOOTSTRAP_MEANING });
  return others;
}

/**
 * The accuracy's and the risk's other intervals (`otherIntervals`) for the page to show once a
 * session stopped at its label budget, the count chosen before labelling at which the fixed-budget
 * interval holds; null where the session has only the interval the page shows.
 *
 * @example
 * budgetIntervals(session.estimate())?.risk; // the fixed-budget interval, then the bootstrap (approximate), each named
 */
export function budgetIntervals(estimate: SessionEstimate): { accuracy: IntervalShown[]; risk: IntervalShown[] } | null {
  const risk = otherIntervals(estimate.risk);
  const accuracy = otherIntervals(estimate.accuracy);
  return risk.length === 0 && accuracy.length === 0 ? null : { accuracy, risk };
}
