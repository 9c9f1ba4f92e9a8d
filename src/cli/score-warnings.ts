import type { Matrix } from '../matrix.js';
import { probabilitiesWarning, rowsAreProbabilities } from '../io/pool-files.js';

/**
 * Warns on stderr, one line per option, of scores that are probabilities rather than logits (see
 * `rowsAreProbabilities`). A warning, not a refusal: any finite scores are valid logits, and
 * the run is still the one asked for, only most likely not the one meant.
 *
 * @example
 * warnOfProbabilities({ '--model-scores': pool.modelScores, '--surrogate-scores': pool.surrogateScores });
 */
export function warnOfProbabilities(scoresByFlag: Record<string, Matrix | undefined>): void {
  for (const [flag, scores] of Object.entries(scoresByFlag)) {
    if (scores === undefined || !rowsAreProbabilities(scores)) continue;
    console.error(`warning: ${probabilitiesWarning(flag)}`);
  }
}
