import type { Matrix } from '../matrix.js';

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
  /** The pool the runs estimated on, as recorded in `summary.json` (absent from older outputs). */
  pool?: { fingerprint?: string; size?: number };
  /** Labels acquired at each recorded row (row k ↔ k·step + 1 labels). */
  labels: Float64Array;
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
   * Per row, the median over runs of each run's own estimate of its variance ÷ random labelling's
   * (summary.json's `variance_ratio`, docs/adaptive.md); absent in older or unbootstrapped outputs.
   */
  varianceRatio?: Float64Array;
}

/** `random`: i.i.d. labelling (the baseline of the relative figures); `ase`: the ASE baseline; `active`: active testing. */
export type SettingKind = 'random' | 'active' | 'ase';

/**
 * Which kind of setting this is.
 *
 * @example
 * settingKind({ acquisition: 'surrogate-ce', estimator: 'ase' }); // 'ase'
 */
export function settingKind(setting: Pick<ReportSetting, 'acquisition' | 'estimator'>): SettingKind {
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
