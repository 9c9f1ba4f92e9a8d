import { SumTreeSampler } from '../../src/acquisition/sum-tree-sampler.js';
import type { PoolSampler } from '../../src/acquisition/sampler.js';
import {
  ADAPTIVE_DEFAULTS,
  adaptiveCandidates,
  AdaptiveSampler,
  createAdaptiveSampler,
  createDefensiveSampler,
  secondMomentValues,
} from '../../src/acquisition/adaptive/index.js';
import { fitTemperature } from '../../src/calibration/index.js';
import type { Matrix } from '../../src/matrix.js';
import { acquisitionValues, type AcquisitionFunction } from '../../src/metrics/index.js';
import { candidateMixtureDrawFloor, candidateMixtureFloor, fixedProposalFloor } from '../../src/acquisition/proposal-floor.js';
import { EPS, NUMERICS_FLAGS } from '../../src/numerics.js';
import type { RealPair } from './pairs.js';

/** How a row of the benchmark table acquires labels. */
export interface BenchProposal {
  readonly name: string;
  /** `fixed`: a realisable fixed proposal (competes for "best fixed"); `adaptive`; `oracle`: needs the true labels. */
  readonly kind: 'random' | 'fixed' | 'adaptive' | 'oracle';
  readonly sampler: PoolSampler;
  /** A floor of every draw's q under the sampler (for the confidence sequences' reference bets). */
  readonly proposalFloor: Float64Array | null;
  /** The adaptive sampler's floor for a draw drawn with these mixture weights (`candidateMixtureDrawFloor`). */
  readonly drawFloor?: (weights: ArrayLike<number>) => Float64Array;
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
export function benchProposals(pair: RealPair): {
  proposals: BenchProposal[];
  calibratedTemperature: number;
  /** The target's expected cross-entropy under the surrogate: the sequences' predicted loss. */
  predictedLoss: Float64Array;
} {
  const modelScores = matrix(pair.targetLogits);
  const surrogateScores = matrix(pair.surrogateLogits);
  const input = { modelScores, surrogateScores, labels: pair.labels };
  const values = (kind: AcquisitionFunction, temperature: number | null = null): Float64Array =>
    acquisitionValues(kind, input, { temperature, eps: EPS, flags: NUMERICS_FLAGS.default });
  const fixed = (v: Float64Array): PoolSampler => new SumTreeSampler(v, CLIP, 'corrected');
  const { temperature } = fitTemperature(matrix(pair.calibration.logits), pair.calibration.labels);
  const t = Number(temperature.toFixed(2));
  const fixedRow = (name: string, kind: 'random' | 'fixed' | 'oracle', v: Float64Array): BenchProposal => ({
    name,
    kind,
    sampler: fixed(v),
    proposalFloor: fixedProposalFloor(v, CLIP),
  });
  const defensiveRow = (name: string, v: Float64Array): BenchProposal => ({
    name,
    kind: 'fixed',
    sampler: createDefensiveSampler(v, CLIP, DEFENSIVE_LAMBDA),
    proposalFloor: fixedProposalFloor(v, CLIP, DEFENSIVE_LAMBDA),
  });
  const candidates = adaptiveCandidates(modelScores, surrogateScores);
  const proposals: BenchProposal[] = [
    fixedRow('random', 'random', values('iid')),
    fixedRow('fixed CE', 'fixed', values('surrogate-ce')),
    fixedRow('fixed PE', 'fixed', values('surrogate-pe')),
    fixedRow(`CE, T=${TEMPERED}`, 'fixed', values('surrogate-ce', TEMPERED)),
    fixedRow('m2', 'fixed', secondMomentValues(modelScores, surrogateScores)),
    fixedRow(`CE, calibrated T=${t}`, 'fixed', values('surrogate-ce', t)),
    fixedRow(`m2, calibrated T=${t}`, 'fixed', secondMomentValues(modelScores, surrogateScores, t)),
    defensiveRow(`defensive λ=${DEFENSIVE_LAMBDA} CE`, values('surrogate-ce')),
    defensiveRow(`defensive λ=${DEFENSIVE_LAMBDA} m2`, secondMomentValues(modelScores, surrogateScores)),
    {
      name: 'adaptive',
      kind: 'adaptive',
      sampler: createAdaptiveSampler(candidates, CLIP),
      proposalFloor: candidateMixtureFloor(
        candidates.map((c) => c.values),
        CLIP,
        { candidate: ADAPTIVE_DEFAULTS.defensiveCandidate, weight: ADAPTIVE_DEFAULTS.defensiveWeight },
      ),
      drawFloor: (weights) =>
        candidateMixtureDrawFloor(
          candidates.map((c) => c.values),
          CLIP,
          weights,
        ) as Float64Array,
    },
    fixedRow('oracle (true loss)', 'oracle', values('true-loss')),
  ];
  return { proposals, calibratedTemperature: temperature, predictedLoss: values('surrogate-ce') };
}

export function isAdaptive(sampler: PoolSampler): sampler is AdaptiveSampler {
  return sampler instanceof AdaptiveSampler;
}
