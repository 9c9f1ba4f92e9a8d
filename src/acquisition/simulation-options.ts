import { availableParallelism } from 'node:os';
import { InputError } from '../errors.js';
import { ACQUISITION_FUNCTIONS, BUILTIN_LOSS_NAMES, type AcquisitionFunction, type BuiltinLoss } from '../metrics/index.js';
import { EPS, type Numerics } from '../numerics.js';
import type { RandomSource } from '../random.js';
import type { LabelsInput, MatrixInput } from '../matrix.js';
import { calibratedTemperature, PROPOSAL_ACQUISITIONS, type ProposalAcquisition } from './adaptive/index.js';

/** The risk estimator of a simulation: LURE, naive IS, the unweighted mean, or ASE. */
export type EstimatorName = 'lure' | 'is' | 'iid' | 'ase';

export const ESTIMATOR_NAMES: readonly EstimatorName[] = ['lure', 'is', 'iid', 'ase'];

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
  /** Held-out labelled surrogate scores: the surrogate temperature is fitted on them (not kept once resolved). */
  calibration?: { scores: MatrixInput; labels: LabelsInput };
  estimator: EstimatorName;
  /** Floor of the proposal, as a fraction of the uniform probability; in [0, 1). */
  clipPercentage: number;
  /** Temperature of the surrogate (surrogate-*) or of the target (self-entropy); null for none. */
  temperature: number | null;
  runs: number;
  /** Labels acquired per run (M ≤ N). */
  size: number;
  /** Record the estimate every `step` labels: row k holds it after k·step + 1 labels. */
  step: number;
  seed: number;
  /** `exact`: the infinite-resample variance, O(1) per step; B: Monte Carlo with B resamples, O(B·M); `none`. */
  bootstrap: 'exact' | 'none' | number;
  /** At most this many threads: workers start only when the runs left would outlast starting them. */
  threads: number;
  numerics: Numerics;
  eps: number;
  /** An injected uniform source: forces one thread and the reference-order sampler. */
  random?: RandomSource;
  onProgress?: (completedRuns: number, totalRuns: number) => void;
  signal?: AbortSignal;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/**
 * Fills in the defaults of issue 2 §8 and validates every option, throwing an `InputError` that
 * names the option. Defaults: acquisition `adaptive` with surrogate scores (`surrogate-ce`, the
 * paper's, under reference numerics or with a defensive weight), else `iid`;
 * estimator `lure` (`iid` for iid acquisition); clip 0.1; runs 1000; size min(400, N); step 1;
 * seed 0; bootstrap `exact`; threads = available cores; temperature null; numerics `default`;
 * loss `cross-entropy` (with another loss the surrogate default is `surrogate-ce`, its expected loss).
 *
 * @example
 * resolveSimulationOptions({ runs: 10 }, 1000, true).acquisition; // 'adaptive'
 */
export function resolveSimulationOptions(
  partial: Partial<SimulationOptions>,
  poolSize: number,
  hasSurrogate: boolean,
): SimulationOptions {
  if (!isPositiveInteger(poolSize)) throw new InputError({ argument: 'modelScores', expected: 'a non-empty pool (N ≥ 1 rows)', received: poolSize });
  const numerics = partial.numerics ?? 'default';
  if (numerics !== 'default' && numerics !== 'reference') {
    throw new InputError({ argument: 'numerics', expected: "'default' | 'reference'", received: numerics });
  }
  // Adaptive is never much worse than random labelling and close to the best fixed proposal on
  // real pairs (docs/adaptive.md). The reference numerics reproduce the paper, which has no such
  // proposal, and a defensive weight mixes uniform into a fixed proposal: both keep surrogate-ce.
  const loss = partial.loss ?? 'cross-entropy';
  if (!BUILTIN_LOSS_NAMES.includes(loss)) throw new InputError({ argument: 'loss', expected: BUILTIN_LOSS_NAMES.join(' | '), received: loss });
  // Adaptive's candidates are cross-entropy proposals; for another loss the default is that loss's
  // own surrogate expected loss, as in sessions.
  const fixedDefault = numerics === 'reference' || partial.defensive != null || loss !== 'cross-entropy';
  const acquisition = partial.acquisition ?? (hasSurrogate ? (fixedDefault ? 'surrogate-ce' : 'adaptive') : 'iid');
  const acquisitions = [...ACQUISITION_FUNCTIONS, ...PROPOSAL_ACQUISITIONS];
  if (!acquisitions.includes(acquisition)) {
    throw new InputError({ argument: 'acquisition', expected: acquisitions.join(' | '), received: acquisition });
  }
  if ((acquisition.startsWith('surrogate-') || acquisition === 'adaptive') && !hasSurrogate) {
    throw new InputError({ argument: 'surrogateScores', expected: `surrogate scores (N×K) for acquisition ${acquisition}` });
  }
  if (acquisition === 'surrogate-nll' && loss !== 'cross-entropy') {
    throw new InputError({ argument: 'acquisition', expected: `an acquisition other than surrogate-nll for the ${loss} loss (surrogate-nll is the cross-entropy's)`, received: acquisition });
  }
  const estimator = partial.estimator ?? (acquisition === 'iid' ? 'iid' : 'lure');
  if (!ESTIMATOR_NAMES.includes(estimator)) throw new InputError({ argument: 'estimator', expected: ESTIMATOR_NAMES.join(' | '), received: estimator });
  if (estimator === 'ase' && !hasSurrogate) {
    throw new InputError({ argument: 'surrogateScores', expected: 'surrogate scores (N×K) for the ase estimator' });
  }
  const clipPercentage = partial.clipPercentage ?? 0.1;
  if (!(typeof clipPercentage === 'number' && clipPercentage >= 0 && clipPercentage < 1)) {
    throw new InputError({ argument: 'clipPercentage', expected: 'a clip fraction in [0, 1)', received: clipPercentage });
  }
  // LURE is unbiased only if every remaining item can be drawn: clip 0 lets a zero acquisition value
  // (zero-one or Brier on a confident prediction) hide items for good. Only the paper's numerics keep it.
  if (clipPercentage === 0 && numerics !== 'reference' && acquisition !== 'iid') {
    throw new InputError({ argument: 'clipPercentage', expected: "a clip fraction in (0, 1) (0 only with numerics 'reference'): every item needs q > 0", received: clipPercentage });
  }
  if (partial.calibration !== undefined && partial.temperature != null) {
    throw new InputError({ argument: 'calibration', expected: 'either a calibration set or a temperature, not both', received: partial.temperature });
  }
  const temperature = partial.calibration !== undefined ? calibratedTemperature(partial.calibration) : (partial.temperature ?? null);
  if (temperature !== null && !(typeof temperature === 'number' && Number.isFinite(temperature) && temperature > 0)) {
    throw new InputError({ argument: 'temperature', expected: 'a positive finite number or null', received: temperature });
  }
  const defensive = partial.defensive ?? null;
  if (defensive !== null && !(typeof defensive === 'number' && defensive >= 0 && defensive <= 1)) {
    throw new InputError({ argument: 'defensive', expected: 'a mixture weight λ in [0, 1], or null', received: defensive });
  }
  const runs = partial.runs ?? 1000;
  if (!isPositiveInteger(runs)) throw new InputError({ argument: 'runs', expected: 'an integer ≥ 1', received: runs });
  const size = partial.size ?? Math.min(400, poolSize);
  if (!isPositiveInteger(size) || size > poolSize) {
    throw new InputError({ argument: 'size', expected: `an integer in [1, ${poolSize}] (labels per run, at most the pool size N)`, received: size });
  }
  const step = partial.step ?? 1;
  if (!isPositiveInteger(step)) throw new InputError({ argument: 'step', expected: 'an integer ≥ 1', received: step });
  const seed = partial.seed ?? 0;
  if (!(typeof seed === 'number' && Number.isFinite(seed))) throw new InputError({ argument: 'seed', expected: 'a finite number', received: seed });
  const bootstrap = partial.bootstrap ?? 'exact';
  if (!(bootstrap === 'exact' || bootstrap === 'none' || isPositiveInteger(bootstrap))) {
    throw new InputError({ argument: 'bootstrap', expected: "'exact', 'none' or a number of resamples ≥ 1", received: bootstrap });
  }
  const threads = partial.threads ?? availableParallelism();
  if (!isPositiveInteger(threads)) throw new InputError({ argument: 'threads', expected: 'an integer ≥ 1', received: threads });
  const eps = partial.eps ?? EPS;
  if (!(typeof eps === 'number' && eps > 0 && eps < 1)) throw new InputError({ argument: 'eps', expected: 'a number in (0, 1)', received: eps });
  if (partial.random !== undefined && typeof partial.random !== 'function') {
    throw new InputError({ argument: 'random', expected: 'a function returning uniforms in [0, 1)', received: typeof partial.random });
  }
  const resolved: SimulationOptions = {
    acquisition,
    loss,
    estimator,
    clipPercentage,
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
  if (partial.random !== undefined) resolved.random = partial.random;
  if (partial.onProgress !== undefined) resolved.onProgress = partial.onProgress;
  if (partial.signal !== undefined) resolved.signal = partial.signal;
  return resolved;
}
