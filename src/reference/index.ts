/**
 * The Python-parity layer, under the design card's names: the `Acquisition` classes,
 * `EvaluationClassification`, the reference-form estimates and weights, the reference's
 * relative-error plotting helpers, and its exact operation order (`softmaxClamp`,
 * `ReferenceOrderSampler`). Published as `active-testing/reference` and also from the root.
 */
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
export { relativeError, relativeLabellingCost, barplotValues, type Curve, type RelativeOptions, type XAxis } from './relative.js';
export {
  lureWeights,
  isWeights,
  referenceWeights,
  referenceEstimate,
  weightedTerms,
  type ReferenceEstimatorName,
} from './reference-form.js';
export { softmaxClamp } from '../metrics/softmax-clamp.js';
export { ReferenceOrderSampler } from '../acquisition/reference-order-sampler.js';
export { EvaluationClassification } from '../evaluation/evaluation-classification.js';
