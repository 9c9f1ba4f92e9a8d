/**
 * The Python-parity layer, under the design card's names: the `Acquisition` classes,
 * `EvaluationClassification`, the reference-form estimates and weights, the reference's
 * relative-error plotting helpers, and its exact operation order (`softmaxClamp`,
 * `ReferenceOrderSampler`). Published as `active-testing/reference` and also from the root. The
 * classes a user of the published code pairs with them (`Model`, the datasets, the estimators)
 * are here too, the same objects as the root's, so that one import serves such code.
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
  type SurrogateFunction,
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
export { Model } from '../model/index.js';
export {
  AGNewsDataset,
  FPBDataset,
  HateSpeechDataset,
  SST2Dataset,
  SubjectivityDataset,
  TextClassificationDataset,
} from '../dataset/index.js';
export { IidEstimator, ISEstimator, LUREEstimator } from '../estimators/index.js';
