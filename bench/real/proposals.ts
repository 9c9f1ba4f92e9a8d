import { SumTreeSampler } from '../../src/acquisition/sum-tree-sampler.js';
import type { PoolSampler } from '../../src/acquisition/sampler.js';
import {
  adaptiveCandidates,
  AdaptiveSampler,
  createAdaptiveSampler,
  createDefensiveSampler,
  secondMomentValues,
} from '../../src/acquisition/adaptive/index.js';
import { fitTemperature } from '../../src/calibration/index.js';
import type { Matrix } from '../../src/matrix.js';
import { acquisitionValues, type AcquisitionFunction } from '../../src/metrics/index.js';
import { EPS, NUMERICS_FLAGS } from '../../src/numerics.js';
import type { RealPair } from './pairs.js';

/** How a row of the benchmark table acquires labels. */
export interface BenchProposal {
  readonly name: string;
  /** `fixed`: a realisable fixed proposal (competes for "best fixed"); `adaptive`; `oracle`: needs the true labels. */
  readonly kind: 'random' | 'fixed' | 'adaptive' | 'oracle';
  readonly sampler: PoolSampler;
}

export const CLIP = 0.1;
const DEFENSIVE_LAMBDA = 0.5;
const TEMPERED = 2;

const matrix = (l: { data: Float64Array; shape: [number, number] }): Matrix => ({ data: l.data, rows: l.shape[0], cols: l.shape[1] });

/**
 * Every proposal the benchmark compares on one pair, each as a sampler built once and reset
 * between runs. Calibrated rows fit the surrogate's temperature on the pair's 200 held-out labels
 * (outside the pool, not counted in the table's label budgets).
 */
export function benchProposals(pair: RealPair): { proposals: BenchProposal[]; calibratedTemperature: number } {
  const modelScores = matrix(pair.targetLogits);
  const surrogateScores = matrix(pair.surrogateLogits);
  const input = { modelScores, surrogateScores, labels: pair.labels };
  const values = (kind: AcquisitionFunction, temperature: number | null = null): Float64Array =>
    acquisitionValues(kind, input, { temperature, eps: EPS, flags: NUMERICS_FLAGS.default });
  const fixed = (v: Float64Array): PoolSampler => new SumTreeSampler(v, CLIP, 'corrected');
  const { temperature } = fitTemperature(matrix(pair.calibration.logits), pair.calibration.labels);
  const t = Number(temperature.toFixed(2));
  const proposals: BenchProposal[] = [
    { name: 'random', kind: 'random', sampler: fixed(values('iid')) },
    { name: 'fixed CE', kind: 'fixed', sampler: fixed(values('surrogate-ce')) },
    { name: 'fixed PE', kind: 'fixed', sampler: fixed(values('surrogate-pe')) },
    { name: `CE, T=${TEMPERED}`, kind: 'fixed', sampler: fixed(values('surrogate-ce', TEMPERED)) },
    { name: 'm2', kind: 'fixed', sampler: fixed(secondMomentValues(modelScores, surrogateScores)) },
    { name: `CE, calibrated T=${t}`, kind: 'fixed', sampler: fixed(values('surrogate-ce', t)) },
    { name: `m2, calibrated T=${t}`, kind: 'fixed', sampler: fixed(secondMomentValues(modelScores, surrogateScores, t)) },
    {
      name: `defensive λ=${DEFENSIVE_LAMBDA} CE`,
      kind: 'fixed',
      sampler: createDefensiveSampler(values('surrogate-ce'), CLIP, DEFENSIVE_LAMBDA),
    },
    {
      name: `defensive λ=${DEFENSIVE_LAMBDA} m2`,
      kind: 'fixed',
      sampler: createDefensiveSampler(secondMomentValues(modelScores, surrogateScores), CLIP, DEFENSIVE_LAMBDA),
    },
    { name: 'adaptive', kind: 'adaptive', sampler: createAdaptiveSampler(adaptiveCandidates(modelScores, surrogateScores), CLIP) },
    { name: 'oracle (true loss)', kind: 'oracle', sampler: fixed(values('true-loss')) },
  ];
  return { proposals, calibratedTemperature: temperature };
}

export function isAdaptive(sampler: PoolSampler): sampler is AdaptiveSampler {
  return sampler instanceof AdaptiveSampler;
}
