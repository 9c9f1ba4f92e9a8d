export { ActiveSurrogateEstimator, type AseInput, type AseMode, type AseOptions } from './active-surrogate-estimator.js';
