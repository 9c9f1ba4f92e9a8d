import ndarray from 'ndarray';
import { IidEstimator, ISEstimator, LUREEstimator } from '../estimators/index.js';
import { InputError, ReceivedKind } from '../errors.js';
import type { AcquisitionFunction, BuiltinLoss } from '../metrics/index.js';
import { checkObject } from '../io/check-arguments.js';
import { checkChoice, checkKnownKeys, type Synonyms } from '../io/suggest.js';
import type { NdArrayView } from '../matrix.js';
import type { Numerics } from '../numerics.js';
import type { RandomSource } from '../random.js';
import { ESTIMATOR_NAMES, type EstimatorName } from '../simulate/simulation-options.js';
import { simulate, type SimulationInput, type SimulationResult } from '../simulate/simulate.js';
import { formatCount } from '../io/format-count.js';

/** An estimator by name, or by class as in the Python API (`estimator=LUREEstimator`). */
export type EstimatorChoice = EstimatorName | typeof LUREEstimator | typeof ISEstimator | typeof IidEstimator;

const ESTIMATOR_CLASSES = new Map<unknown, EstimatorName>([
  [LUREEstimator, 'lure'],
  [ISEstimator, 'is'],
  [IidEstimator, 'iid'],
]);

/** Options shared by every acquisition class (the Python constructor arguments, camel-cased). */
export interface AcquisitionOptions {
  /** Record the estimate every `step` labels (default 1). */
  step?: number;
  /** Independent runs, the columns of the results (default 1000). */
  runs?: number;
  /** Labels per run (default min(400, N)). */
  size?: number;
  /** Probability floor of the softmax (default 1e-15). */
  eps?: number;
  /**
   * Proposal floor as a fraction of uniform, in (0, 1), 0 only with `numerics: 'reference'` or
   * random labelling (default 0.1): the published name of `simulate`'s `clip`.
   */
  clipPercentage?: number;
  temperature?: number | null;
  /**
   * The loss whose pool mean is estimated: `cross-entropy` (default, the reference's), `zero-one`
   * or `brier`; `trueRisk` is then that loss's mean.
   */
  loss?: BuiltinLoss;
  estimator?: EstimatorChoice;
  seed?: number;
  /** An injected uniform source in [0, 1): one thread, reference-order sampling. */
  random?: RandomSource;
  /** `exact` (default), `none`, or a number of Monte Carlo resamples. */
  bootstrap?: 'exact' | 'none' | number;
  threads?: number;
  numerics?: Numerics;
  onProgress?: (completedRuns: number, totalRuns: number) => void;
  signal?: AbortSignal;
}

const ACQUISITION_OPTION_NAMES: readonly (keyof AcquisitionOptions)[] = [
  'step',
  'runs',
  'size',
  'eps',
  'clipPercentage',
  'temperature',
  'loss',
  'estimator',
  'seed',
  'random',
  'bootstrap',
  'threads',
  'numerics',
  'onProgress',
  'signal',
];

/** What `run` returns, shaped as the Python attributes. */
export interface AcquisitionResult {
  /**
   * rows × runs: row k is the estimate after k·step + 1 labels (the reference's `results`), then,
   * under the default numerics, a last row after all `size` labels where the step skips that
   * count (`simulation.labelsPerRow`).
   */
  estimates: NdArrayView<Float64Array>;
  /** runs × size: acquired pool indices (the reference's `samples`). */
  samples: NdArrayView<Int32Array>;
  /** runs × size: proposal probability of each acquired item (the reference's `acquisition_weights`). */
  acquisitionWeights: NdArrayView<Float64Array>;
  /** rows × runs, or null with `bootstrap: 'none'`. */
  bootstrapVariance: NdArrayView<Float64Array> | null;
  /** The true risk: the mean of the chosen loss (cross-entropy by default) over the whole pool. */
  trueRisk: number;
  /** The engine's flat result, with every option resolved. */
  simulation: SimulationResult;
}

/** The classes' names, which a caller may write as strings, as the estimators they mean. */
const ESTIMATOR_CLASS_NAMES: Synonyms = { LUREEstimator: 'lure', ISEstimator: 'is', IidEstimator: 'iid' };

function estimatorName(choice: EstimatorChoice | undefined): EstimatorName | undefined {
  if (choice === undefined) return undefined;
  // A misspelt name, or a class's name as a string, gets the name it was meant to be.
  if (typeof choice === 'string') return checkChoice(choice, ESTIMATOR_NAMES, 'estimator', ESTIMATOR_CLASS_NAMES);
  const name = ESTIMATOR_CLASSES.get(choice);
  if (name === undefined) {
    // The published code passes the class (`estimator=LUREEstimator`); an instance or the class's name is a near miss.
    throw new InputError({
      argument: 'estimator',
      expected: "'lure' | 'is' | 'iid' | 'ase' or LUREEstimator | ISEstimator | IidEstimator (the class, not an instance)",
      received: choice,
    });
  }
  return name;
}

/**
 * The active-testing loop for one acquisition function (the reference's `Acquisition` classes):
 * `run` acquires `size` labels per run from the floored proposal over the remaining pool and
 * records the risk estimate every `step` labels. Subclasses fix the acquisition function.
 *
 * @example
 * class MyAcquisition extends Acquisition {
 *   get acquisitionFunction(): AcquisitionFunction { return 'self-entropy'; }
 * }
 * const { estimates, trueRisk } = await new MyAcquisition({ runs: 10 }).run({ modelScores: f, labels: y });
 */
export abstract class Acquisition {
  /**
   * @throws {InputError} on an option the class does not take (with a "did you mean" suggestion),
   *   or an `estimator` that is neither a name nor one of the estimator classes.
   */
  constructor(readonly options: AcquisitionOptions = {}) {
    checkKnownKeys(options, ACQUISITION_OPTION_NAMES, null);
    estimatorName(options.estimator);
  }

  /** The acquisition function this class samples by. */
  abstract get acquisitionFunction(): string;

  /** The engine's name of the acquisition function; the same as `acquisitionFunction` unless a subclass says otherwise. */
  protected get engineFunction(): AcquisitionFunction {
    return this.acquisitionFunction as AcquisitionFunction;
  }

  /** Runs every run; scores accept ndarray, nested arrays or typed arrays, labels indices or one-hot rows. */
  async run(input: SimulationInput, ...rest: unknown[]): Promise<AcquisitionResult> {
    // The published code takes the arrays one by one: say what this one takes instead of failing inside.
    if (rest.length > 0 || typeof input !== 'object' || input === null || !('modelScores' in input)) {
      throw new InputError({
        argument: 'input',
        expected: 'one object { modelScores, surrogateScores?, labels }',
        received: new ReceivedKind(formatCount(1 + rest.length, 'argument')),
      });
    }
    const { estimator, clipPercentage, ...options } = this.options;
    const result = await simulate(input, {
      ...options,
      ...(clipPercentage === undefined ? {} : { clip: clipPercentage }),
      estimator: estimatorName(estimator),
      acquisition: this.engineFunction,
    }).catch((error: unknown) => {
      // Named as this class's option.
      if (error instanceof InputError && error.argument === 'clip') {
        throw new InputError({ argument: 'clipPercentage', expected: (naming) => error.expectedBy(naming), received: error.received });
      }
      throw error;
    });
    const { rows, runs, size } = result;
    return {
      estimates: ndarray(result.estimates, [rows, runs]),
      // size×runs row-major data seen as runs×size.
      samples: ndarray(result.samples, [runs, size], [1, runs]),
      acquisitionWeights: ndarray(result.q, [runs, size], [1, runs]),
      bootstrapVariance: result.bootstrapVariance === null ? null : ndarray(result.bootstrapVariance, [rows, runs]),
      trueRisk: result.trueRisk,
      simulation: result,
    };
  }
}

/**
 * Uniform sampling without replacement (the i.i.d. baseline). The default estimator is the plain mean.
 *
 * @example
 * const { estimates } = await new IidAcquisition({ runs: 100, size: 50 }).run({ modelScores: f, labels: y });
 */
export class IidAcquisition extends Acquisition {
  get acquisitionFunction(): AcquisitionFunction {
    return 'iid';
  }
}

/**
 * The oracle proposal q ∝ true loss (it reads every label: an upper bound, not a method).
 * A clip of 0 needs `numerics: 'reference'` (every item keeps a probability above 0 otherwise).
 *
 * @example
 * await new TrueLossAcquisition({ clipPercentage: 0, numerics: 'reference' }).run({ modelScores: f, labels: y });
 */
export class TrueLossAcquisition extends Acquisition {
  get acquisitionFunction(): AcquisitionFunction {
    return 'true-loss';
  }
}

/**
 * q ∝ the target model's own predictive entropy (temperature applies to the target).
 *
 * @example
 * await new SelfEntropyAcquisition({ clipPercentage: 0.01 }).run({ modelScores: f, labels: y });
 */
export class SelfEntropyAcquisition extends Acquisition {
  get acquisitionFunction(): AcquisitionFunction {
    return 'self-entropy';
  }
}

/** Options of `SurrogateEntropyAcquisition`: which surrogate quantity the proposal follows. */
export interface SurrogateAcquisitionOptions extends AcquisitionOptions {
  /** `cross-entropy` (default): the surrogate's expected loss of the target; `predictive-entropy`; `nll`. */
  acquisitionFunction?: 'cross-entropy' | 'predictive-entropy' | 'nll';
}

/** The surrogate quantities of `SurrogateEntropyAcquisition`. */
export type SurrogateFunction = NonNullable<SurrogateAcquisitionOptions['acquisitionFunction']>;

/** The published constructor's flags (`cross_entropy=False, nll=True`), which `acquisitionFunction` replaces. */
const PUBLISHED_SURROGATE_FLAGS = { cross_entropy: 'acquisitionFunction', crossEntropy: 'acquisitionFunction', nll: 'acquisitionFunction' };

const SURROGATE_FUNCTIONS: Record<SurrogateFunction, AcquisitionFunction> = {
  'cross-entropy': 'surrogate-ce',
  'predictive-entropy': 'surrogate-pe',
  nll: 'surrogate-nll',
};

/**
 * q from a surrogate model's predictions (the paper's method); temperature applies to the surrogate.
 *
 * @example
 * const at = new SurrogateEntropyAcquisition({ runs: 3000, size: 400, clipPercentage: 0.1 });
 * const { estimates, trueRisk } = await at.run({ modelScores: f, surrogateScores: g, labels: y });
 * @throws {InputError} when `options` is not an object, or an option is unknown or out of range.
 */
export class SurrogateEntropyAcquisition extends Acquisition {
  private readonly surrogateFunction: SurrogateFunction;

  constructor(options: SurrogateAcquisitionOptions = {}) {
    checkObject(options, 'options');
    checkKnownKeys(options, ['acquisitionFunction', ...ACQUISITION_OPTION_NAMES], null, PUBLISHED_SURROGATE_FLAGS);
    const { acquisitionFunction = 'cross-entropy', ...rest } = options;
    super(rest);
    if (!Object.hasOwn(SURROGATE_FUNCTIONS, acquisitionFunction)) {
      // The engine's name (`surrogate-ce`) is what the rest of the library calls it: point to this class's.
      const given: unknown = acquisitionFunction;
      const published = Object.entries(SURROGATE_FUNCTIONS).find(([, engine]) => engine === given)?.[0];
      throw new InputError({
        argument: 'acquisitionFunction',
        expected: `'cross-entropy' | 'predictive-entropy' | 'nll'${published === undefined ? '' : ` (did you mean '${published}', the published name of ${String(given)}?)`}`,
        received: acquisitionFunction,
      });
    }
    this.surrogateFunction = acquisitionFunction;
  }

  /** What the constructor took: `cross-entropy`, `predictive-entropy` or `nll`. */
  get acquisitionFunction(): SurrogateFunction {
    return this.surrogateFunction;
  }

  protected override get engineFunction(): AcquisitionFunction {
    return SURROGATE_FUNCTIONS[this.surrogateFunction];
  }
}
