import type { ExperimentConfig } from './config.js';

export { settingName } from './setting-name.js';

export { EXPERIMENT_MANIFEST } from '../simulate/outputs.js';
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
  /** How long the setting took, in seconds (this and `finishedAt` differ from run to run of one grid). */
  seconds: number;
  /** When the setting finished (ISO 8601). */
  finishedAt: string;
  /**
   * The bytes of each file the setting wrote, by name: a later run keeps the setting only while
   * every one is there at that size. Absent in markers of versions before it, whose files are
   * checked against what the setting's configuration writes.
   */
  outputs?: Record<string, number>;
}
