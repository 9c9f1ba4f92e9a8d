export { fitTemperature, meanNll, solveTemperature, type TemperatureFit, type TemperatureSolution } from './temperature.js';
export { loadCalibrationSet } from './load.js';
