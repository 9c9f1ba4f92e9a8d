export {
  ACQUISITIONS,
  ACQUISITION_NAMES,
  acquisitionsFor,
  ESTIMATORS,
  ESTIMATOR_NAMES,
  LOSSES,
  type AcquisitionEntry,
  type AcquisitionName,
  type EstimatorEntry,
  type EstimatorName,
  type LossEntry,
  type RegistryUse,
} from './registry.js';
export {
  OPTION_DECLARATIONS,
  checkNoCommandLineFlags,
  checkOption,
  cliFlag,
  cliOptionsIn,
  optionHelp,
  optionNames,
  optionsIn,
  parseOptionText,
  type OptionContext,
  type OptionDeclaration,
  type ValueSpec,
} from './schema.js';
export { resolveProposal, type ProposalRequest, type ResolvedProposal } from './proposal-rules.js';
