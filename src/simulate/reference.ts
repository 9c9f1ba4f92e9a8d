import { ADAPTIVE_DEFAULTS } from '../acquisition/adaptive/index.js';
import { referenceBelief, referenceFloors } from '../acquisition/reference-basis.js';
import type { ConfidenceSequenceReference } from '../estimators/confidence-sequence.js';
import { matrixView, type Matrix } from '../matrix.js';
import { BUILTIN_LOSSES } from '../metrics/index.js';
import { NUMERICS_FLAGS } from '../numerics.js';
import { prepareSimulation, type PreparedSimulation, type SimulationInput } from './simulate.js';
import type { DrawFloorCandidates } from './sequence-intervals.js';
import type { SimulationOptions } from './simulation-options.js';

/** A simulation's reference bets, and each draw's proposal floor where the proposal changes from draw to draw. */
export interface SimulationReference extends ConfidenceSequenceReference {
  /**
   * The adaptive proposal's floor for a draw drawn with these mixture weights
   * (`candidateMixtureDrawFloor`, from `SimulationResult.mixtureWeights`); null for a fixed proposal.
   * It should return the same array for the same weights (the library's does), so that a sequence
   * computes each floor's range once.
   */
  drawFloor?: ((weights: ArrayLike<number>) => Float64Array) | null;
}

/**
 * The reference bets of a simulation's confidence sequences (docs/concepts.md, Reference bets):
 * the predicted loss, the target's expected loss under the surrogate's probabilities (at the
 * simulation's temperature), or under its own without a surrogate; and a floor of every draw's q
 * under the simulation's proposal (fixed, defensive mixture or adaptive), as `referenceBasis`
 * gives them (sessions use the same); its `drawFloor` bets on each adaptive draw's own floor where
 * the result recorded the draws' mixture weights (`recordMixtureWeights: true`, as `simulate
 * --interval` does). Null when the proposal has no fixed floor (negative
 * acquisition values, or clip 0 with values that vanish): the sequences then bet without
 * reference. O(N log N), like preparing the simulation.
 *
 * @example
 * const result = await simulate(input, { acquisition: 'adaptive', recordMixtureWeights: true });
 * const reference = simulationReference(input, result.options);
 * simulationIntervals(result, losses, bounds, ['anytime'], reference); // simulate --interval anytime's bounds
 * @throws {InputError} when `input` or `options` is not what `simulate` takes.
 */
export function simulationReference(input: SimulationInput, options: SimulationOptions): SimulationReference | null {
  return simulationReferenceAndSource(input, options).reference;
}

/**
 * `simulationReference`, and the adaptive proposal's candidates and clip its `drawFloor` is built
 * from (null for a fixed proposal or without reference): what `simulationIntervalsInThreads`
 * hands its workers, which cannot receive a function.
 *
 * @example
 * const { reference, drawFloorCandidates } = simulationReferenceAndSource(input, result.options);
 * await simulationIntervalsInThreads(result, losses, bounds, ['anytime'], reference, drawFloorCandidates, { threads: 4 });
 */
export function simulationReferenceAndSource(
  input: SimulationInput,
  options: SimulationOptions,
): { reference: SimulationReference | null; drawFloorCandidates: DrawFloorCandidates | null } {
  // Prepared first: it checks the input and options before anything reads them.
  const prepared = prepareSimulation(input, options);
  const modelScores = matrixView(input.modelScores, 'modelScores');
  const surrogateScores = input.surrogateScores === undefined ? undefined : matrixView(input.surrogateScores, 'surrogateScores');
  return preparedReferenceAndSource(prepared, modelScores, surrogateScores);
}

/**
 * `simulationReferenceAndSource` of a simulation already prepared from these scores: its proposal
 * is not planned again (at N·K = 10^7 scores, seconds), nor the expected loss it computed.
 *
 * @example
 * const prepared = prepareSimulation(input, options);
 * const result = await runPrepared(prepared);
 * const { reference } = preparedReferenceAndSource(prepared, f, g);
 */
export function preparedReferenceAndSource(
  prepared: PreparedSimulation,
  modelScores: Matrix,
  surrogateScores: Matrix | undefined,
): { reference: SimulationReference | null; drawFloorCandidates: DrawFloorCandidates | null } {
  const { options } = prepared;
  // The engine's adaptive sampler (`mixtureSampler`) keeps the default defensive share.
  const floors = referenceFloors(prepared.pool, prepared.config.clip, ADAPTIVE_DEFAULTS);
  if (floors === null) return { reference: null, drawFloorCandidates: null };
  const predictedLoss =
    prepared.expectedLoss ??
    BUILTIN_LOSSES[options.loss].expected(
      modelScores,
      referenceBelief({
        modelScores,
        surrogateScores,
        temperature: options.temperature,
        eps: options.eps,
        softmax: NUMERICS_FLAGS[options.numerics].softmax,
      }),
    );
  const { mixture } = prepared.pool;
  return {
    reference: { predictedLoss, proposalFloor: floors.proposalFloor, drawFloor: floors.drawFloor },
    drawFloorCandidates:
      floors.drawFloor !== null && mixture !== null ? { candidates: mixture.candidates, clip: prepared.config.clip } : null,
  };
}
