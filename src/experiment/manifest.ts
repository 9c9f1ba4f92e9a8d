import type { ExperimentConfig } from './config.js';

/** The file at the root of an experiment's output folder that lists its settings. */
export const EXPERIMENT_MANIFEST = 'experiment.json';
/** Written into a setting's folder after all of its outputs: the setting is finished. */
export const SETTING_MARKER = 'setting.json';

/** One setting as the manifest lists it. */
export interface ManifestSetting {
  name: string;
  /** Sub-folder holding the setting's `simulate` outputs. */
  folder: string;
  /** Labels spent before acquisition (ICL examples) under the ICL-budget rule, else 0. */
  labelOffset: number;
}

/** `experiment.json`: what an experiment ran, for `report` and for resuming. */
export interface ExperimentManifest {
  version: string;
  config: ExperimentConfig;
  settings: ManifestSetting[];
}

/** `setting.json`: the finished setting and the fingerprint of everything that determined its results. */
export interface SettingMarker {
  name: string;
  fingerprint: string;
  seconds: number;
  finishedAt: string;
}

/**
 * A readable setting name from its options.
 *
 * @example
 * settingName({ acquisition: 'surrogate-ce', estimator: 'lure', clip: 0.1 }); // 'surrogate-ce · LURE · clip 0.1'
 * settingName({ acquisition: 'iid', estimator: 'iid' });                      // 'Random (i.i.d.)'
 */
export function settingName(options: {
  acquisition: string;
  estimator: string;
  clip?: number | null;
  temperature?: number | 'calibrated' | null;
  defensive?: number | null;
  surrogate?: string | null;
}): string {
  const { acquisition, estimator, clip, temperature, defensive, surrogate } = options;
  if (acquisition === 'iid' && estimator === 'iid') return 'Random (i.i.d.)';
  const parts = [surrogate ? `${acquisition} (${surrogate})` : acquisition, estimator === 'ase' ? 'ASE' : estimator.toUpperCase()];
  if (acquisition !== 'iid' && clip !== undefined && clip !== null) parts.push(`clip ${clip}`);
  if (temperature !== undefined && temperature !== null) parts.push(`T ${temperature}`);
  if (defensive !== undefined && defensive !== null) parts.push(`defensive ${defensive}`);
  return parts.join(' · ');
}
