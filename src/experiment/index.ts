export {
  loadExperimentConfig,
  resolveExperimentConfig,
  withPoolSize,
  type CalibrationFiles,
  type ExperimentConfig,
  type ExperimentConfigFile,
  type ResolvedSetting,
  type SettingAcquisition,
  type SettingSpec,
  type SizedExperimentConfig,
  type SizedSetting,
  type SurrogateSpec,
} from './config.js';
export {
  runExperiment,
  simulationOptionsFor,
  type ExperimentEvent,
  type ExperimentOptions,
  type ExperimentSettingResult,
} from './experiment.js';
export {
  EXPERIMENT_MANIFEST,
  SETTING_MARKER,
  settingName,
  type ExperimentManifest,
  type ManifestSetting,
  type SettingMarker,
} from './manifest.js';
export { resolveEvaluateSteps, runEvaluateSteps, evaluateStepFolder, EVALUATE_REFERENCE, type EvaluateStep } from './evaluate-steps.js';
