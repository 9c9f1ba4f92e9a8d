export { pairwiseSum, pairwiseMean } from './pairwise-sum.js';
export { stableSoftmax, logSoftmax, clippedSoftmax, clipProbabilities } from './softmax.js';
export { softmaxClamp } from './softmax-clamp.js';
export { classProbabilities } from './probabilities.js';
export { lossPerItem, softLossPerItem, crossEntropyLoss, softCrossEntropyLoss } from './cross-entropy.js';
export { predictiveEntropy, rowCrossEntropy, type ProbabilityOptions } from './entropy.js';
export { accuracy } from './accuracy.js';
export {
  acquisitionValues,
  ACQUISITION_FUNCTIONS,
  type AcquisitionFunction,
  type AcquisitionInput,
  type AcquisitionValueOptions,
} from './acquisition-values.js';
export { percentile, median, rowPercentile, rowPercentiles, rowMedian } from './percentile.js';
export { se, bias, logMse, mse, medianSe, meanLogMse, meanBias, variance, meanVariance, rowMeans } from './error-metrics.js';
export { sma } from './sma.js';
export { errorSummary, labelsAtRows, type ErrorSummary } from './error-summary.js';
export {
  BOOTSTRAP_Z,
  coverage,
  coveredShare,
  bootstrapMse,
  bootstrapHalfWidthFrom,
  bootstrapRoundingPerUnit,
  correctedBootstrapVariance,
} from './bootstrap-quality.js';
export { allErrorsFrame, type ErrorsFrame } from './all-errors-frame.js';
export { zeroOneLossPerItem, expectedZeroOneLoss, predictedClass } from './zero-one-loss.js';
export { brierLossPerItem, expectedBrierLoss } from './brier-loss.js';
export { BUILTIN_LOSSES, BUILTIN_LOSS_NAMES, type BuiltinLoss, type LossFunctions } from './builtin-losses.js';
export { lossBounds, differenceBounds, pairedDifferenceBounds, lossMagnitudeLimit, lossLimitText, type LossBounds } from './loss-bounds.js';
