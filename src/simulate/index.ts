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
export * from './syntheticPool.js';
export * from './inputs.js';
export * from './outputs.js';
export * from './demo.js';
