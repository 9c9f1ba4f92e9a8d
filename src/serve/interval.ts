import type { IntervalEstimate, SessionEstimate } from '../session/session.js';
import type { DisplayedInterval } from './protocol.js';

/**
 * The one place that chooses which interval of the session the browser shows for the risk (and,
 * through 1 − risk for the zero-one loss, for accuracy). Today the session's 95% bootstrap
 * interval; when the session gains an anytime-valid confidence sequence, switch it here.
 *
 * @example
 * const { lower, upper, name } = riskInterval(session.estimate());
 */
export function riskInterval(estimate: SessionEstimate): DisplayedInterval {
  return { lower: estimate.risk.lower, upper: estimate.risk.upper, name: '95% bootstrap interval' };
}

/** The accuracy's interval, named as the risk's is. */
export function accuracyInterval(estimate: SessionEstimate): DisplayedInterval {
  const accuracy: IntervalEstimate = estimate.accuracy;
  return { lower: accuracy.lower, upper: accuracy.upper, name: riskInterval(estimate).name };
}
