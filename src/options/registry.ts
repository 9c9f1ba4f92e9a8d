import { InputError } from '../errors.js';
import { checkChoice } from '../io/suggest.js';
import type { AcquisitionFunction } from '../metrics/acquisition-values.js';
import type { BuiltinLoss } from '../metrics/builtin-losses.js';

/** Where an acquisition, loss or estimator may be used. */
/** Where a registry entry can be used: a simulation, a labelling session, an experiment grid. */
export type RegistryUse = 'simulate' | 'session' | 'grid';

/** Every acquisition by name: the functions of the metrics layer and the proposals of docs/adaptive.md. */
export type AcquisitionName = AcquisitionFunction | 'surrogate-m2' | 'adaptive';

/** What an acquisition needs and where it may be used. */
export interface AcquisitionEntry {
  readonly name: AcquisitionName;
  /** One line for `--help` and docs. */
  readonly doc: string;
  /** Reads the surrogate's scores. */
  readonly needsSurrogate: boolean;
  /** Reads the target's predictions on the whole pool (a session scoring the target on demand cannot). */
  readonly needsTarget: boolean;
  /** Reads the labels of the whole pool: an oracle, for simulations only. */
  readonly needsLabels: boolean;
  /** Whose logits `temperature` divides; a calibration set fits the surrogate's, so it is refused where this is `target`. */
  readonly temperatureOf: 'surrogate' | 'target' | null;
  /** The losses it is defined for; null: any (LURE stays unbiased under any proposal). */
  readonly losses: readonly BuiltinLoss[] | null;
  /** Takes a defensive mixture weight (fixed, non-uniform proposals only). */
  readonly defensive: boolean;
  readonly usableIn: readonly RegistryUse[];
}

const EVERYWHERE: readonly RegistryUse[] = ['simulate', 'session', 'grid'];
const SIMULATION_ONLY: readonly RegistryUse[] = ['simulate', 'grid'];

const entry = (e: AcquisitionEntry): AcquisitionEntry => e;

/**
 * The acquisitions, in the order `--help` lists them. Adding one: a line here, its values in
 * metrics/acquisition-values.ts (or a proposal in acquisition/adaptive/engine-plan.ts).
 *
 * @example
 * ACQUISITIONS['surrogate-pe'].needsTarget; // false: usable by a session without target scores
 */
export const ACQUISITIONS: Readonly<Record<AcquisitionName, AcquisitionEntry>> = {
  iid: entry({
    name: 'iid',
    doc: 'uniform random labelling',
    needsSurrogate: false,
    needsTarget: false,
    needsLabels: false,
    temperatureOf: null,
    losses: null,
    defensive: false,
    usableIn: EVERYWHERE,
  }),
  'true-loss': entry({
    name: 'true-loss',
    doc: 'q ∝ the true loss (an oracle that reads every label: an upper bound)',
    needsSurrogate: false,
    needsTarget: true,
    needsLabels: true,
    temperatureOf: null,
    losses: null,
    defensive: true,
    usableIn: SIMULATION_ONLY,
  }),
  'self-entropy': entry({
    name: 'self-entropy',
    doc: "q ∝ the target's own predictive entropy",
    needsSurrogate: false,
    needsTarget: true,
    needsLabels: false,
    temperatureOf: 'target',
    losses: null,
    defensive: true,
    usableIn: EVERYWHERE,
  }),
  'surrogate-ce': entry({
    name: 'surrogate-ce',
    doc: "q ∝ the surrogate's expected loss of the target (the paper's), for the chosen loss",
    needsSurrogate: true,
    needsTarget: true,
    needsLabels: false,
    temperatureOf: 'surrogate',
    losses: null,
    defensive: true,
    usableIn: EVERYWHERE,
  }),
  'surrogate-pe': entry({
    name: 'surrogate-pe',
    doc: "q ∝ the surrogate's predictive entropy (needs no target predictions)",
    needsSurrogate: true,
    needsTarget: false,
    needsLabels: false,
    temperatureOf: 'surrogate',
    losses: null,
    defensive: true,
    usableIn: EVERYWHERE,
  }),
  'surrogate-nll': entry({
    name: 'surrogate-nll',
    doc: "q ∝ the surrogate's NLL of the true label (reads the labels; cross-entropy only)",
    needsSurrogate: true,
    needsTarget: false,
    needsLabels: true,
    temperatureOf: 'surrogate',
    losses: ['cross-entropy'],
    defensive: true,
    usableIn: SIMULATION_ONLY,
  }),
  'surrogate-m2': entry({
    name: 'surrogate-m2',
    doc: "q ∝ √E_π[ℓ²], the surrogate's second moment of the cross-entropy",
    needsSurrogate: true,
    needsTarget: true,
    needsLabels: false,
    temperatureOf: 'surrogate',
    losses: null,
    defensive: true,
    usableIn: EVERYWHERE,
  }),
  adaptive: entry({
    name: 'adaptive',
    doc: 'a mixture of uniform and cross-entropy proposals refitted from the labels so far (docs/adaptive.md)',
    needsSurrogate: true,
    needsTarget: true,
    needsLabels: false,
    temperatureOf: 'surrogate',
    losses: null,
    defensive: false,
    usableIn: EVERYWHERE,
  }),
};

/** The proposals the published code does not have, refused under `numerics: 'reference'`. */
export const REFERENCELESS_ACQUISITIONS: readonly AcquisitionName[] = ['surrogate-m2', 'adaptive'];

/** Every acquisition name, in registry order. */
export const ACQUISITION_NAMES = Object.keys(ACQUISITIONS) as AcquisitionName[];

/**
 * Words users reach for when they mean an acquisition, suggested for it: the reports and docs call
 * `iid` random labelling, and no acquisition's name resembles those words.
 */
export const ACQUISITION_SYNONYMS: Readonly<Record<string, AcquisitionName>> = { random: 'iid', uniform: 'iid' };

/** The acquisitions that may be used in `use`. */
export function acquisitionsFor(use: RegistryUse): AcquisitionName[] {
  return ACQUISITION_NAMES.filter((name) => ACQUISITIONS[name].usableIn.includes(use));
}

/**
 * Checks the name of an acquisition usable in `use`. `defensive`, read among the proposals (iid,
 * surrogate-ce, …, defensive), is given as one, though it is a weight mixed into a fixed one: its
 * refusal says so, naming that option `defensiveOption` (`defensive`, `--defensive`), which a
 * list of the acquisitions alone would not.
 *
 * @example
 * checkAcquisitionName('surrogate-ce', 'simulate', 'acquisition', 'defensive'); // 'surrogate-ce'
 * checkAcquisitionName('defensive', 'session', 'acquisition', 'defensive'); // InputError: acquisition: expected one of iid | … (a defensive mixture is not an acquisition: give defensive λ in [0, 1] with a fixed one, e.g. surrogate-ce), got "defensive"
 * @throws InputError naming `argument` for a name not among them.
 */
export function checkAcquisitionName(value: unknown, use: RegistryUse, argument: string, defensiveOption: string): AcquisitionName {
  const choices = acquisitionsFor(use);
  if (value === 'defensive') {
    const hint = `a defensive mixture is not an acquisition: give ${defensiveOption} λ in [0, 1] with a fixed one, e.g. surrogate-ce`;
    throw new InputError({ argument, expected: `one of ${choices.join(' | ')} (${hint})`, received: value });
  }
  return checkChoice(value, choices, argument, ACQUISITION_SYNONYMS);
}

/** A built-in loss: its name and what its true risk is. */
export interface LossEntry {
  readonly name: BuiltinLoss;
  readonly doc: string;
  /** What "true risk" means under this loss, for summaries and docs. */
  readonly trueRisk: string;
}

/**
 * The built-in losses, by the one name used in TypeScript, on the command line (`--loss`) and in grids.
 *
 * @example
 * LOSSES['zero-one'].trueRisk; // 'the error rate (mean zero-one loss) of the target over the pool'
 */
export const LOSSES: Readonly<Record<BuiltinLoss, LossEntry>> = {
  'cross-entropy': {
    name: 'cross-entropy',
    doc: 'the negative log-likelihood of the true class',
    trueRisk: 'the mean cross-entropy of the target over the pool',
  },
  'zero-one': {
    name: 'zero-one',
    doc: '1 when the predicted class is wrong, else 0',
    trueRisk: 'the error rate (mean zero-one loss) of the target over the pool',
  },
  brier: {
    name: 'brier',
    doc: 'the squared distance between the predicted probabilities and the one-hot label',
    trueRisk: 'the mean Brier score of the target over the pool',
  },
};

/** The risk estimators of a simulation. */
export type EstimatorName = 'lure' | 'is' | 'iid' | 'ase';

/** What an estimator needs. */
export interface EstimatorEntry {
  readonly name: EstimatorName;
  readonly doc: string;
  readonly needsSurrogate: boolean;
  /** Sessions always use LURE. */
  readonly usableIn: readonly RegistryUse[];
}

/**
 * The estimators; the default is `lure`, and `iid` for iid acquisition.
 *
 * @example
 * ESTIMATORS.ase.needsSurrogate; // true
 */
export const ESTIMATORS: Readonly<Record<EstimatorName, EstimatorEntry>> = {
  lure: { name: 'lure', doc: 'LURE, the unbiased importance-weighted estimate', needsSurrogate: false, usableIn: SIMULATION_ONLY },
  is: { name: 'is', doc: 'naive importance sampling', needsSurrogate: false, usableIn: SIMULATION_ONLY },
  iid: { name: 'iid', doc: 'the unweighted mean of the labelled losses', needsSurrogate: false, usableIn: SIMULATION_ONLY },
  ase: {
    name: 'ase',
    doc: "the active surrogate estimator (the surrogate's expected loss, corrected by the labels)",
    needsSurrogate: true,
    usableIn: SIMULATION_ONLY,
  },
};

/** Every estimator name, in registry order: what `estimator` accepts. */
export const ESTIMATOR_NAMES = Object.keys(ESTIMATORS) as EstimatorName[];

/** The interval kinds `simulate` can report (`--interval`), named by what they guarantee. */
export type IntervalKind = 'anytime' | 'fixed' | 'bootstrap';
/** Every interval kind, in `--help` order: what `--interval` accepts. */
export const INTERVAL_KINDS: readonly IntervalKind[] = ['anytime', 'fixed', 'bootstrap'];

/** The weight precisions transformers.js knows (`auto` picks the device's default). */
export const MODEL_DTYPES = ['auto', 'fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'q4f16'] as const;

/** Where a model may run (`auto`: CUDA where it is installed and works, else the CPU). */
export type ModelDevice = 'cpu' | 'cuda' | 'auto';
/** Every `ModelDevice`, for validation and help. */
export const MODEL_DEVICES = ['cpu', 'cuda', 'auto'] as const satisfies readonly ModelDevice[];
