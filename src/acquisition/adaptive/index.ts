export { secondMomentValues } from './second-moment.js';
export { MixtureSampler } from './mixture-sampler.js';
export { AdaptiveSampler, ADAPTIVE_DEFAULTS, type AdaptiveOptions } from './adaptive-sampler.js';
export {
  adaptiveCandidates,
  adaptivePrior,
  createAdaptiveSampler,
  createDefensiveSampler,
  CANDIDATE_TEMPERATURE_FACTORS,
  ADAPTIVE_CANDIDATE_COUNT,
  type Candidate,
  type CandidateRows,
} from './candidates.js';
export {
  VarianceRatioToRandom,
  varianceRatioRows,
  varianceDiagnosticRows,
  VARIANCE_VERDICTS,
  type VarianceVerdict,
  type DiagnosedSimulation,
} from './variance-ratio.js';
export {
  planProposal,
  mixtureSampler,
  fitCalibrationSet,
  PROPOSAL_ACQUISITIONS,
  type ProposalAcquisition,
  type ProposalInput,
  type ProposalPlan,
  type ProposalSettings,
  type MixturePlan,
} from './engine-plan.js';
export { CandidateMixture } from './candidate-mixture.js';
