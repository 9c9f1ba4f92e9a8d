export {
  simulate,
  prepareSimulation,
  prepareResolvedSimulation,
  runPrepared,
  resolveSimulation,
  resolveSimulationOptions,
  type ResolvedSimulation,
  ESTIMATOR_NAMES,
  type EstimatorName,
  type PreparedSimulation,
  type SimulationInput,
  type SimulationOptions,
  type SimulationResult,
} from './simulate.js';
export { BOOTSTRAP_STREAM, TILE_RUNS, RunBlock, type EngineConfig, type EngineOutputs, type EnginePool } from './run-block.js';
export { syntheticPool, type SyntheticPool, type SyntheticPoolOptions } from './syntheticPool.js';
export { INTERVAL_KINDS, type IntervalKind, type SimulationIntervals, simulationIntervals } from './intervals.js';
export { simulationReference, type SimulationReference } from './reference.js';
export {
  type IntervalSummary,
  summarizeIntervals,
  SIMULATION_FILES,
  type SimulationSummary,
  summarizeSimulation,
  writeSimulationOutputs,
} from './outputs.js';
