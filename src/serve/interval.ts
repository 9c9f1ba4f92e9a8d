import type { IntervalEstimate, SessionEstimate } from '../session/session.js';
import type { DisplayedInterval } from './protocol.js';

const ANYTIME = '95% confidence sequence (anytime-valid)';
const BOOTSTRAP = '95% bootstrap interval (approximate)';

/**
 * The interval the page shows for an estimate: the anytime-valid confidence sequence, which stays
 * valid however often the page is looked at and whenever labelling stops; the approximate
 * bootstrap interval only where the session has no sequence (a custom loss without per-item bounds,
 * or no target scores to bound the loss before labelling).
 */
function displayed(interval: IntervalEstimate): DisplayedInterval {
  const { anytime } = interval;
  if (anytime !== undefined) return { lower: anytime.lower, upper: anytime.upper, name: ANYTIME };
  return { lower: interval.lower, upper: interval.upper, name: BOOTSTRAP };
}

/**
 * The one place that chooses which interval of the session the browser shows for the risk.
 *
 * @example
 * const { lower, upper, name } = riskInterval(session.estimate()); // name: '95% confidence sequence (anytime-valid)'
 */
export function riskInterval(estimate: SessionEstimate): DisplayedInterval {
  return displayed(estimate.risk);
}

/** The accuracy's interval, chosen as the risk's is. */
export function accuracyInterval(estimate: SessionEstimate): DisplayedInterval {
  return displayed(estimate.accuracy);
}
