export type { RiskEstimator } from './risk-estimator.js';
export { TermMeanEstimator } from './risk-estimator.js';
export { LUREEstimator } from './lure.js';
export { ISEstimator } from './importance-sampling.js';
export { IidEstimator } from './iid.js';
export { RunningAseEstimator } from './running-ase.js';
export { CompensatedSum } from './compensated-sum.js';
export { bootstrapReplicate, populationVarianceInPlace, monteCarloBootstrapVariance, finitePopulationFactor } from './bootstrap.js';
export {
  RiskConfidenceSequence,
  sequenceSolveSpacing,
  type RiskInterval,
  type ConfidenceSequenceOptions,
  type ConfidenceSequenceReference,
} from './confidence-sequence.js';
