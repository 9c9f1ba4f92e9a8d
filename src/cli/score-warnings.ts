import type { Matrix } from '../matrix.js';
import { probabilitiesWarnings } from '../io/pool-files.js';
import { temperatureBoundWarning } from '../calibration/index.js';

/**
 * Warns on stderr, one line per option, of scores that are probabilities rather than logits (see
 * `rowsAreProbabilities`). A warning, not a refusal: any finite scores are valid logits, and
 * the run is still the one asked for, only most likely not the one meant.
 *
 * @example
 * warnOfProbabilities({ '--model-scores': pool.modelScores, '--surrogate-scores': pool.surrogateScores });
 */
export function warnOfProbabilities(scoresByFlag: Record<string, Matrix | undefined>): void {
  for (const warning of probabilitiesWarnings(scoresByFlag)) console.error(`warning: ${warning}`);
}

/**
 * Warns on stderr, in one line, when a surrogate temperature fitted on the calibration set is an
 * end of its search range rather than a fitted value (`TemperatureFit.atBound`): the fit the run
 * recorded (`SimulationResult.calibration`, a session's `settings.calibration`), not fitted again.
 * A warning, not a refusal: the run uses that temperature, as the library does, but the user
 * should know that the calibration set did not determine it. Session files written before the fit
 * recorded `atBound` have none, and are not warned of.
 *
 * @example
 * warnOfTemperatureBound(resolution.calibration); // warning: --calibration-scores: the surrogate temperature T = 0.02 is …
 */
export function warnOfTemperatureBound(fit: { temperature: number; atBound?: boolean } | null | undefined): void {
  if (fit?.atBound === true) console.error(`warning: ${temperatureBoundWarning('--calibration-scores', fit)}`);
}
