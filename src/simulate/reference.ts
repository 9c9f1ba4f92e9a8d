import { candidateMixtureFloor, fixedProposalFloor } from '../acquisition/proposal-floor.js';
import type { ConfidenceSequenceReference } from '../estimators/confidence-sequence.js';
import { toMatrix } from '../matrix.js';
import { BUILTIN_LOSSES, classProbabilities } from '../metrics/index.js';
import { NUMERICS_FLAGS } from '../numerics.js';
import { prepareSimulation, type SimulationInput } from './simulate.js';
import type { SimulationOptions } from './simulation-options.js';

/**
 * The reference bets of a simulation's confidence sequences (docs/concepts.md, Reference bets):
 * the predicted loss, the target's expected loss under the surrogate's probabilities (at the
 * simulation's temperature), or under its own without a surrogate; and a floor of every draw's q
 * under the simulation's proposal (fixed, defensive mixture or adaptive). Null when the proposal
 * has no fixed floor (negative acquisition values, or clip 0 with values that vanish): the
 * sequences then bet without reference. O(N log N), like preparing the simulation.
 *
 * @example
 * const result = await simulate(input, { acquisition: 'adaptive' });
 * const reference = simulationReference(input, result.options);
 * simulationIntervals(result, losses, bounds, ['anytime'], reference);
 */
export function simulationReference(input: SimulationInput, options: SimulationOptions): ConfidenceSequenceReference | null {
  const prepared = prepareSimulation(input, options);
  const { values, mixture } = prepared.pool;
  const clip = prepared.config.clip;
  let proposalFloor: Float64Array | null;
  if (mixture === null) {
    proposalFloor = fixedProposalFloor(values, clip);
  } else if (mixture.adaptive) {
    proposalFloor = candidateMixtureFloor(mixture.candidates, clip);
  } else {
    // A fixed mixture of floored proposals (the defensive one): at least the same mixture of their floors.
    proposalFloor = new Float64Array(values.length);
    for (let j = 0; j < mixture.components.length; j++) {
      const floor = fixedProposalFloor(mixture.components[j].weights, clip);
      if (floor === null) return null;
      for (let i = 0; i < floor.length; i++) proposalFloor[i] += mixture.weights[j] * floor[i];
    }
  }
  if (proposalFloor === null) return null;
  const modelScores = toMatrix(input.modelScores, 'modelScores');
  const surrogate = input.surrogateScores === undefined ? null : toMatrix(input.surrogateScores, 'surrogateScores');
  const belief = classProbabilities(
    surrogate ?? modelScores,
    surrogate === null ? null : options.temperature,
    options.eps,
    NUMERICS_FLAGS[options.numerics].softmax,
  );
  return { predictedLoss: BUILTIN_LOSSES[options.loss].expected(modelScores, belief), proposalFloor };
}
