export { floorProposal, floorProposalInPlace, inverseCdfIndex, type ProposalVariant } from './proposal.js';
export type { PoolSampler } from './sampler.js';
export { ReferenceOrderSampler } from './reference-order-sampler.js';
export { FenwickSampler } from './fenwick-sampler.js';
export { SortedPool, type RejectionTables, type SortedPoolArrays } from './sorted-pool.js';
export { aliasTable } from './alias-table.js';
export {
  simulate,
  prepareSimulation,
  runPrepared,
  resolveSimulationOptions,
  ESTIMATOR_NAMES,
  type EstimatorName,
  type PreparedSimulation,
  type SimulationInput,
  type SimulationOptions,
  type SimulationResult,
} from './simulate.js';
export { BOOTSTRAP_STREAM, TILE_RUNS, RunBlock, type EngineConfig, type EngineOutputs, type EnginePool } from './run-block.js';
export {
  Acquisition,
  IidAcquisition,
  TrueLossAcquisition,
  SelfEntropyAcquisition,
  SurrogateEntropyAcquisition,
  type AcquisitionOptions,
  type AcquisitionResult,
  type EstimatorChoice,
  type SurrogateAcquisitionOptions,
} from './acquisition.js';
