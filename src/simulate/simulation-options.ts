import { InputError, ReceivedKind } from '../errors.js';
import type { AcquisitionFunction, BuiltinLoss } from '../metrics/index.js';
import {
  checkNoCommandLineFlags,
  checkOption,
  optionNames,
  optionSynonyms,
  resolveProposal,
  type EstimatorName,
} from '../options/index.js';
import { checkKnownKeys } from '../io/suggest.js';
import { formatCount } from '../io/format-count.js';
import { EPS, type Numerics } from '../numerics.js';
import type { RandomSource } from '../random.js';
import type { LabelsInput, MatrixInput } from '../matrix.js';
import { fitCalibrationSet, type ProposalAcquisition } from '../acquisition/adaptive/index.js';
import type { CalibrationFit } from '../calibration/index.js';
import { checkProposalClip, proposalClip } from '../acquisition/clip.js';
import { checkObject } from '../io/index.js';
import { usableCores } from './usable-cores.js';

/**
 * The keys of `simulate`'s first argument, the pool: flags of `active-testing simulate`, but never
 * keys of its options object, where they would be ignored.
 */
export const SIMULATION_INPUT_KEYS: readonly string[] = ['modelScores', 'surrogateScores', 'labels'];

export { ESTIMATOR_NAMES, type EstimatorName } from '../options/index.js';

/** Every option of `simulate`, resolved (see `resolveSimulationOptions` for the defaults). */
export interface SimulationOptions {
  /** An acquisition function, `surrogate-m2` (√E_π[ℓ²]) or `adaptive` (docs/adaptive.md). */
  acquisition: AcquisitionFunction | ProposalAcquisition;
  /**
   * The loss whose mean over the pool (the true risk) is estimated: `cross-entropy` (default),
   * `zero-one` (the error rate) or `brier`. `true-loss` then uses this loss and `surrogate-ce` the
   * surrogate's expected value of it; `self-entropy`, `surrogate-pe`, `surrogate-m2` and `adaptive`'s
   * candidates are loss-free or cross-entropy proposals, still valid (LURE stays unbiased) and
   * adaptive picks among them by the variance of the chosen loss; `surrogate-nll` is cross-entropy only.
   */
  loss: BuiltinLoss;
  /** Weight λ of the uniform proposal in the defensive mixture (1−λ)·q + λ·uniform; null for none. */
  defensive: number | null;
  /**
   * Held-out labelled surrogate scores: the surrogate temperature is fitted on them (not kept once
   * resolved: `temperature` holds the fitted value, and `SimulationResult.calibration` the fit).
   */
  calibration?: { scores: MatrixInput; labels: LabelsInput };
  estimator: EstimatorName;
  /**
   * Floor of the proposal, as a fraction of the uniform probability; in [0, 1). Resolved to 0 for
   * iid acquisition (its uniform proposal has no floor to raise), except under reference numerics.
   */
  clip: number;
  /** Temperature of the surrogate (surrogate-*) or of the target (self-entropy); null for none. */
  temperature: number | null;
  runs: number;
  /** Labels acquired per run (M ≤ N). */
  size: number;
  /**
   * Record the estimate every `step` labels: row k holds it after k·step + 1 labels, and under the
   * default numerics a last row after all `size` labels where the step skips that count.
   */
  step: number;
  /** An integer ≥ 0 or a non-empty string. */
  seed: number | string;
  /** `exact`: the infinite-resample variance, O(1) per step; B: Monte Carlo with B resamples, O(B·M); `none`. */
  bootstrap: 'exact' | 'none' | number;
  /** At most this many threads: workers start only when the runs left would outlast starting them. */
  threads: number;
  numerics: Numerics;
  eps: number;
  /**
   * Keep each adaptive draw's mixture weights in `SimulationResult.mixtureWeights` (J numbers per
   * draw, J times the memory of `q`), for `simulationIntervals` to bet on each draw's own proposal
   * floor; without them its intervals use the proposal's fixed floor (valid, wider). Default false.
   */
  recordMixtureWeights?: boolean;
  /** An injected uniform source: forces one thread and the reference-order sampler. */
  random?: RandomSource;
  onProgress?: (completedRuns: number, totalRuns: number) => void;
  /**
   * Receives `simulate`'s warnings of inputs that are valid but most likely not meant: scores whose
   * rows are probabilities (read as logits), a calibration set that is the pool itself, a
   * calibration fit at an end of its search range, a `size` above the pool size (each run labels
   * the whole pool). Default `process.emitWarning`. Not kept in the
   * resolved options.
   */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/** The labels per run when none are given: 400, or the whole pool when it holds fewer items. */
export const defaultRunSize = (poolSize: number): number => Math.min(400, poolSize);

/**
 * The warning for labels per run (`argument`, the `size` asked for) above the pool size: each run
 * labels the whole pool instead, where its estimate is the pool's risk.
 *
 * @example
 * oversizedRunWarning('--size', 400, 20); // '--size 400 is more than the pool's 20 items: each run labels all 20'
 */
export function oversizedRunWarning(argument: string, size: number, poolSize: number): string {
  return `${argument} ${size} is more than the pool's ${formatCount(poolSize, 'item')}: each run labels all ${poolSize}`;
}

/** Resolved options and the fit behind their temperature: null without a calibration set. */
export interface ResolvedSimulation {
  options: SimulationOptions;
  calibration: CalibrationFit | null;
}

/**
 * Fills in the defaults and validates every option through the option schema (src/options),
 * throwing an `InputError` that names the option; unknown keys are refused with a suggestion.
 * Defaults: acquisition `adaptive` with surrogate scores (`surrogate-ce`, the paper's, under
 * reference numerics, with a defensive weight or another loss), else `iid`; estimator `lure`
 * (`iid` for iid acquisition); clip 0.1 (0 for iid but under reference
 * numerics, `proposalClip`); runs 1000; size min(400, N); step 1; seed 0; bootstrap
 * `exact`; threads = the cores this process can use (`usableCores`); temperature null; numerics `default`; loss `cross-entropy`.
 * A size above N comes back as N (the whole pool; `simulate` warns of it, `oversizedRunWarning`),
 * and a step that fits the size given, at most N.
 * `classCount`, the pool's classes, is checked against the calibration set's scores.
 *
 * @throws {InputError} on an unknown key or a bad value.
 * @example
 * resolveSimulationOptions({ runs: 10 }, 1000, true).acquisition; // 'adaptive'
 */
export function resolveSimulationOptions(
  partial: Partial<SimulationOptions>,
  poolSize: number,
  hasSurrogate: boolean,
  classCount?: number,
): SimulationOptions {
  return resolveSimulation(partial, poolSize, hasSurrogate, classCount).options;
}

/**
 * `resolveSimulationOptions`, with the calibration set's fit (`fitCalibrationSet`) kept beside the
 * options rather than dropped: what a simulation records, and the command line warns of, without
 * fitting the set again.
 *
 * @throws {InputError} on an unknown key or a bad value.
 * @example
 * resolveSimulation({ calibration: { scores: [[3, 0], [0, 3]], labels: [0, 1] } }, 1000, true).calibration?.atBound; // true
 */
export function resolveSimulation(
  partial: Partial<SimulationOptions>,
  poolSize: number,
  hasSurrogate: boolean,
  classCount?: number,
): ResolvedSimulation {
  if (!(Number.isSafeInteger(poolSize) && poolSize >= 1))
    throw new InputError({ argument: 'modelScores', expected: 'a non-empty pool (N ≥ 1 rows)', received: poolSize });
  checkObject(partial, 'options');
  const misplaced = SIMULATION_INPUT_KEYS.find((key) => (partial as Record<string, unknown>)[key] !== undefined);
  if (misplaced !== undefined) {
    throw new InputError({
      argument: misplaced,
      expected: "to be in simulate's input { modelScores, surrogateScores?, labels } (its first argument), not in its options",
    });
  }
  checkNoCommandLineFlags(partial, 'simulate', null);
  checkKnownKeys(
    partial,
    optionNames('simulate').filter((name) => !SIMULATION_INPUT_KEYS.includes(name)),
    null,
    optionSynonyms('simulate'),
  );
  const given = <T>(name: keyof SimulationOptions): T | undefined => checkOption(name, partial[name], 'simulate') as T | undefined;
  const numerics = given<Numerics>('numerics') ?? 'default';
  const loss = given<BuiltinLoss>('loss') ?? 'cross-entropy';
  const defensive = given<number | null>('defensive') ?? null;
  const clip = given<number>('clip') ?? 0.1;
  const givenTemperature = given<number | null>('temperature') ?? null;
  const { acquisition, estimator } = resolveProposal(
    {
      acquisition: partial.acquisition,
      estimator: partial.estimator,
      loss,
      defensive,
      numerics,
      temperature: givenTemperature,
      calibration: partial.calibration !== undefined,
      hasSurrogate,
      hasTarget: true,
      comparison: false,
    },
    'simulate',
  );
  // LURE is unbiased only if every remaining item can be drawn: clip 0 lets a zero acquisition value
  // (zero-one or Brier on a confident prediction) hide items for good.
  checkProposalClip(clip, { randomLabelling: acquisition === 'iid', referenceNumerics: numerics === 'reference' });
  const calibration = partial.calibration !== undefined ? fitCalibrationSet(partial.calibration, classCount) : null;
  const temperature = calibration?.temperature ?? givenTemperature;
  const runs = given<number>('runs') ?? 1000;
  // A budget above the pool labels the whole pool (with a warning, `oversizedRunWarning`), as a
  // session asked for more labels than it has stops when they run out; a step that fits the budget
  // asked for is cut with it, so one size and step run over pools of every size.
  const givenSize = given<number>('size') ?? defaultRunSize(poolSize);
  const size = Math.min(givenSize, poolSize);
  const givenStep = given<number>('step') ?? 1;
  if (givenStep > givenSize) {
    throw new InputError({
      argument: 'step',
      expected: (naming) => `an integer in [1, ${givenSize}] (at most ${naming.option('size')}, the labels per run)`,
      received: givenStep,
    });
  }
  const step = Math.min(givenStep, size);
  const seed = given<number | string>('seed') ?? 0;
  const bootstrap = given<SimulationOptions['bootstrap']>('bootstrap') ?? 'exact';
  const threads = given<number>('threads') ?? usableCores();
  const eps = given<number>('eps') ?? EPS;
  given('random');
  given('onProgress');
  given('onWarning');
  given('signal');
  const resolved: SimulationOptions = {
    acquisition,
    loss,
    estimator,
    // Random labelling draws at clip 0 whatever clip was given, as grids record it, but under the
    // paper's numerics (`proposalClip`).
    clip: proposalClip(acquisition, clip, numerics),
    temperature,
    defensive,
    runs,
    size,
    step,
    seed,
    bootstrap,
    threads,
    numerics,
    eps,
  };
  if (given<boolean>('recordMixtureWeights') === true) resolved.recordMixtureWeights = true;
  if (partial.random !== undefined) resolved.random = checkedRandom(partial.random);
  if (partial.onProgress !== undefined) resolved.onProgress = partial.onProgress;
  if (partial.signal !== undefined) resolved.signal = partial.signal;
  return { options: resolved, calibration };
}

/**
 * An injected random source that refuses any draw outside [0, 1) (NaN included) with an
 * `InputError`, instead of letting it steer the sampler silently. Only injected sources are
 * wrapped: the seeded default stream is correct by construction and stays unwrapped.
 */
function checkedRandom(source: RandomSource): RandomSource {
  let draws = 0;
  return () => {
    const u = source();
    if (!(typeof u === 'number' && u >= 0 && u < 1)) {
      throw new InputError({
        argument: 'random',
        expected: 'a function returning uniforms in [0, 1)',
        received: ReceivedKind.noted(u, `at draw ${draws}`),
      });
    }
    draws++;
    return u;
  };
}
