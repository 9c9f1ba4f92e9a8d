export { fitTemperature, meanNll, type TemperatureFit } from './temperature.js';
export { loadCalibrationSet } from './load.js';
