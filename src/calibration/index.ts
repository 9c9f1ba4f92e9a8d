export {
  type CalibrationFit,
  fitTemperature,
  INVERSE_TEMPERATURE_RANGE,
  meanNll,
  solveTemperature,
  temperatureBoundWarning,
  type TemperatureFit,
  type TemperatureSolution,
} from './temperature.js';
export { checkCalibrationKeys, loadCalibrationSet } from './load.js';
export { calibratesOnPool, calibrationOnPoolWarning } from './pool-itself.js';
