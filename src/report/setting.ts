import { InputError } from '../errors.js';
import { checkArrayLike, checkObject } from '../io/check-arguments.js';
import type { Matrix } from '../matrix.js';
import { checkMatrix } from '../metrics/validate.js';
import type { IntervalKind } from '../simulate/intervals.js';

/** One interval kind's record in a simulation (summary.json `intervals.<kind>`), per recorded row. */
export interface SettingIntervals {
  /** Labels acquired at each entry: every row's, or those of the rows the intervals were computed at (`simulate --demo`). */
  labels: Float64Array;
  /** Per entry: the fraction of runs whose interval contains the true risk. */
  coverage: Float64Array;
  /**
   * The fraction of runs whose interval contains the true risk at every entry at once; null for
   * the bootstrap, which claims nothing about entries jointly (whatever an older summary.json recorded).
   */
  simultaneousCoverage: number | null;
  /** Per entry: the median half-width over runs. */
  medianHalfWidth: Float64Array;
}

/** One setting's simulation outputs, as the report reads them from a `simulate` or `experiment` folder. */
export interface ReportSetting {
  /** Display name, unique within a report. */
  name: string;
  /** The folder the outputs were read from. */
  dir: string;
  /** Acquisition function (`iid`, `surrogate-ce`, ...). `iid` settings are random-labelling baselines. */
  acquisition: string;
  /** Estimator (`lure`, `is`, `iid`, `ase`). */
  estimator: string;
  /** The pool's true risk. */
  trueRisk: number;
  /** The loss whose risk the runs estimated (`cross-entropy`, `zero-one`, `brier`), as `summary.json` records it. */
  loss?: string;
  /** The pool the runs estimated on, as recorded in `summary.json` (absent from older outputs). */
  pool?: { fingerprint?: string; size?: number };
  /** Labels acquired at each recorded row (row k ↔ k·step + 1 labels, and a last row at the run's size where the step skips it). */
  labels: Float64Array;
  /** The labels between the published rows (the run's `--step`), where its summary records it. */
  step?: number;
  /**
   * Labels spent before acquisition started, e.g. the surrogate's n in-context examples. The
   * ICL-budget fairness rule compares k active labels of this setting with n + k random ones.
   */
  labelOffset: number;
  /** Estimates of the risk, rows × runs. */
  estimates: Matrix;
  /** Bootstrap variance of each estimate, rows × runs, when the simulation bootstrapped. */
  bootstrapVariance?: Matrix;
  /**
   * Per row, the median over the runs where it is defined of each run's own estimate of its
   * variance ÷ random labelling's (summary.json's `variance_ratio`, docs/adaptive.md); absent in
   * older or unbootstrapped outputs.
   */
  varianceRatio?: Float64Array;
  /** Per interval kind the simulation computed (`simulate --interval`): coverage and median half-width per row. */
  intervals?: Partial<Record<IntervalKind, SettingIntervals>>;
}

/**
 * Refuses a `value` that is not a report setting with its estimates matrix, label counts, label
 * offset and true risk, the parts every statistic of a setting reads first.
 *
 * @throws {InputError} naming `argument` or the key at fault (`setting.estimates`).
 * @example
 * checkReportSetting({}, 'setting'); // InputError: setting.estimates: expected a Matrix { data: Float64Array, rows, cols } …
 */
export function checkReportSetting(value: unknown, argument: string): asserts value is ReportSetting {
  checkObject(value, argument, 'a report setting (what loadReportSettings returns)');
  const { estimates, labels, labelOffset, trueRisk } = value as Partial<ReportSetting>;
  checkMatrix(estimates, `${argument}.estimates`);
  checkArrayLike(labels, `${argument}.labels`, 'an array of label counts, one per row');
  // Left out from JavaScript, either would make every relative number NaN, shown as missing.
  if (!(Number.isSafeInteger(labelOffset) && labelOffset! >= 0))
    throw new InputError({
      argument: `${argument}.labelOffset`,
      expected: 'the labels spent before acquisition, an integer ≥ 0',
      received: labelOffset,
    });
  if (!Number.isFinite(trueRisk))
    throw new InputError({ argument: `${argument}.trueRisk`, expected: "the pool's true risk, a finite number", received: trueRisk });
}

/** `random`: i.i.d. labelling (the baseline of the relative figures); `ase`: the ASE baseline; `active`: active testing. */
export type SettingKind = 'random' | 'active' | 'ase';

/**
 * Which kind of setting this is.
 *
 * @example
 * settingKind({ acquisition: 'surrogate-ce', estimator: 'ase' }); // 'ase'
 * @throws {InputError} when `setting` is not an object.
 */
export function settingKind(setting: Pick<ReportSetting, 'acquisition' | 'estimator'>): SettingKind {
  checkObject(setting, 'setting', 'a setting { acquisition, estimator }');
  if (setting.acquisition === 'iid') return 'random';
  return setting.estimator === 'ase' ? 'ase' : 'active';
}

/**
 * The report's order: random labelling first, active testing in the given order, ASE last.
 *
 * @example
 * reportOrder(settings).map(settingKind); // ['random', 'active', 'active', 'ase']
 */
export function reportOrder<T extends Pick<ReportSetting, 'acquisition' | 'estimator'>>(settings: readonly T[]): T[] {
  const rank: Record<SettingKind, number> = { random: 0, active: 1, ase: 2 };
  return [...settings].sort((a, b) => rank[settingKind(a)] - rank[settingKind(b)]);
}

/** How the report names each interval kind: by what it guarantees. */
export const INTERVAL_NAMES: Readonly<Record<IntervalKind, string>> = {
  anytime: 'anytime-valid confidence sequence',
  fixed: 'fixed-budget interval',
  bootstrap: 'approximate bootstrap interval (±1.96σ)',
};

/** What each interval kind promises at the nominal 95%, for figure subtitles and the table. */
export const INTERVAL_GUARANTEES: Readonly<Record<IntervalKind, string>> = {
  anytime: 'covers R at every label count at once with probability ≥ 0.95, so also under data-dependent stopping',
  fixed: 'covers R with probability ≥ 0.95 at a label count chosen before labelling',
  bootstrap: 'approximate: no guarantee; it can lie, e.g. before any costly item is drawn',
};
