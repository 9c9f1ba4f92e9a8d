import { InputError, type OptionNaming } from '../errors.js';
import {
  ACQUISITIONS,
  acquisitionsFor,
  checkAcquisitionName,
  ESTIMATORS,
  REFERENCELESS_ACQUISITIONS,
  type AcquisitionName,
  type EstimatorName,
} from './registry.js';
import type { OptionContext } from './schema.js';
import { checkChoice } from '../io/suggest.js';

/** What the proposal rules look at: the options as given, and which scores there are. */
export interface ProposalRequest {
  acquisition?: unknown;
  estimator?: unknown;
  /** The loss's id: a built-in name, or `custom:<name>` for a session's own loss. */
  loss: string;
  defensive: number | null;
  numerics: 'default' | 'reference';
  temperature: number | 'calibrated' | null;
  /** A calibration set was given. */
  calibration: boolean;
  hasSurrogate: boolean;
  /** The target's predictions on the whole pool are known (false: a session scoring the target on demand). */
  hasTarget: boolean;
  /** A session comparing two targets. */
  comparison: boolean;
}

/** The acquisition and estimator, resolved. */
export interface ResolvedProposal {
  acquisition: AcquisitionName;
  estimator: EstimatorName;
}

/**
 * The one set of rules for choosing and checking a proposal, shared by `simulate`, sessions and
 * experiment grids. Default acquisition: `iid` without surrogate scores; `surrogate-pe` without the
 * target's predictions; `adaptive` for the cross-entropy of one target with default numerics and no
 * defensive weight (its candidates are cross-entropy proposals); else `surrogate-ce`, the paper's.
 * Default estimator: `iid` for iid acquisition, else `lure`.
 *
 * @param argument - how errors name an option (e.g. `settings[2].acquisition`, `--clip`).
 * @throws {InputError} when the acquisition is unknown or unusable in `context`, lacks the scores it
 *   needs, does not fit the loss, or is combined with an option it does not take.
 * @example
 * resolveProposal({ loss: 'cross-entropy', defensive: null, numerics: 'default', temperature: null, calibration: false, hasSurrogate: true, hasTarget: true, comparison: false }, 'simulate');
 * // { acquisition: 'adaptive', estimator: 'lure' }
 */
export function resolveProposal(
  request: ProposalRequest,
  context: OptionContext,
  argument: (name: string) => string = (name) => name,
): ResolvedProposal {
  const { loss, defensive, hasSurrogate, hasTarget } = request;
  const adaptiveFits = loss === 'cross-entropy' && !request.comparison && defensive === null && request.numerics === 'default';
  const fallback: AcquisitionName = hasSurrogate ? (hasTarget ? (adaptiveFits ? 'adaptive' : 'surrogate-ce') : 'surrogate-pe') : 'iid';
  const use = context === 'setting' ? 'grid' : context === 'session' ? 'session' : context === 'grid' ? 'grid' : 'simulate';
  const acquisition =
    request.acquisition === undefined
      ? fallback
      : checkAcquisitionName(request.acquisition, use, argument('acquisition'), argument('defensive'));
  const entry = ACQUISITIONS[acquisition];
  if (entry.needsSurrogate && !hasSurrogate) {
    throw new InputError({ argument: argument('surrogateScores'), expected: `surrogate scores (N×K) for acquisition ${acquisition}` });
  }
  if (entry.needsTarget && !hasTarget) {
    const without = acquisitionsFor(use).filter((name) => !ACQUISITIONS[name].needsTarget);
    throw new InputError({
      argument: argument('acquisition'),
      expected: `${without.join(' or ')} without target scores (the others read the target's predictions)`,
      received: acquisition,
    });
  }
  if (entry.losses !== null && !(entry.losses as readonly string[]).includes(loss)) {
    throw new InputError({
      argument: argument('acquisition'),
      expected: `an acquisition defined for the ${loss} loss (${acquisition} is for ${entry.losses.join(', ')} only)`,
      received: acquisition,
    });
  }
  if (defensive !== null && !entry.defensive) {
    // iid chosen by default was never asked for: the user should learn why it is the proposal.
    const why = (naming: OptionNaming): string =>
      acquisition === 'adaptive'
        ? ' (it keeps its own uniform share)'
        : request.acquisition === undefined && acquisition === 'iid'
          ? `, the default without ${naming.option(argument('surrogateScores'))} (give them to mix a surrogate's proposal with uniform)`
          : '';
    throw new InputError({
      argument: argument('defensive'),
      expected: (naming) => `no defensive weight with ${acquisition} acquisition${why(naming)}`,
      received: defensive,
    });
  }
  // Checked here, with the options, so that a grid refuses such a setting before any setting runs.
  if (REFERENCELESS_ACQUISITIONS.includes(acquisition) && request.numerics === 'reference') {
    throw new InputError({
      argument: argument('numerics'),
      expected: `'default' for acquisition ${acquisition} (the reference has no such proposal)`,
      received: 'reference',
    });
  }
  if (defensive !== null && request.numerics === 'reference') {
    throw new InputError({ argument: argument('numerics'), expected: "'default' with a defensive mixture", received: 'reference' });
  }
  if (request.calibration && request.temperature !== null && request.temperature !== 'calibrated') {
    // Named after the temperature, the value it reports: the calibration set fits its own.
    throw new InputError({
      argument: argument('temperature'),
      expected: 'no temperature with a calibration set (the temperature is fitted on it)',
      received: request.temperature,
    });
  }
  // Only a surrogate's temperature is fitted. A scalar temperature is documented as ignored where no
  // model's probabilities are read (as clip is by iid), but a calibration set is data prepared and
  // fitted for nothing, and a grid setting's "calibrated" would hand the setting its surrogate's set.
  if ((request.calibration || request.temperature === 'calibrated') && entry.temperatureOf !== 'surrogate') {
    // A grid setting asks for the fit by its temperature: it has no calibration key to name.
    const byTemperature = request.temperature === 'calibrated';
    const which = request.acquisition === undefined ? `${acquisition}, the default without surrogate scores,` : acquisition;
    const reason =
      entry.temperatureOf === 'target' ? `${acquisition}'s temperature is the target's` : `${which} reads no model's probabilities`;
    throw new InputError({
      argument: argument(byTemperature ? 'temperature' : 'calibration'),
      expected: `${byTemperature ? '"calibrated" only with ' : ''}a surrogate acquisition (${reason})`,
      received: acquisition,
    });
  }
  const estimator =
    request.estimator === undefined
      ? acquisition === 'iid'
        ? 'iid'
        : 'lure'
      : checkChoice(request.estimator, Object.keys(ESTIMATORS) as EstimatorName[], argument('estimator'));
  if (ESTIMATORS[estimator].needsSurrogate && !hasSurrogate) {
    throw new InputError({ argument: argument('surrogateScores'), expected: `surrogate scores (N×K) for the ${estimator} estimator` });
  }
  return { acquisition, estimator };
}
