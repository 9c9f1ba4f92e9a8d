import { ReferenceOrderSampler } from '../../src/acquisition/reference-order-sampler.js';
import { bootstrapReplicate } from '../../src/estimators/index.js';
import { referenceEstimate, referenceWeights, type ReferenceEstimatorName } from '../../src/reference/index.js';
import type { RandomSource } from '../../src/random.js';

export interface BootstrapRun {
  results: number[];
  /** Replicate values per step m (n_boot each). */
  replicates: number[][];
  /** Resampled positions per step m and replicate. */
  picks: number[][][];
  samples: number[];
  q: number[];
}

/** A stream over recorded uniforms that knows how many it has handed out. */
export class RecordedDraws {
  used = 0;
  constructor(private readonly values: number[]) {}
  readonly next: RandomSource = () => {
    if (this.used >= this.values.length) throw new Error('ran out of recorded draws');
    return this.values[this.used++];
  };
  get exhausted(): boolean {
    return this.used === this.values.length;
  }
}

/**
 * One `Acquisition.run_bootstrap` run, as the oracle defines it, built from the library's parts:
 * the reference-order sampler, the reference-form estimate and weights, and `bootstrapReplicate`.
 */
export function replayBootstrapRun(
  values: Float64Array,
  losses: Float64Array,
  config: any,
  draws: RandomSource,
  bootstrapDraws: RandomSource,
): BootstrapRun {
  const n = values.length;
  const estimator: ReferenceEstimatorName = config.estimator;
  const step: number = config.step ?? 1;
  const sampler = new ReferenceOrderSampler(values, config.clip_percentage, config.pmf_variant === 'corrected' ? 'corrected' : 'reference');
  const rows = Math.ceil(config.size / step);
  const out: BootstrapRun = { results: new Array(rows).fill(0), replicates: new Array(rows), picks: [], samples: [], q: [] };
  const acquiredLosses: number[] = [];
  let weights: Float64Array = new Float64Array(0);
  const scratch = new Float64Array(config.size);
  for (let m = 0; m < config.size; m++) {
    const index = sampler.draw(draws);
    out.samples.push(index);
    out.q.push(sampler.lastProbability);
    acquiredLosses.push(losses[index]);
    if (m % step === 0) {
      out.results[m / step] = referenceEstimate(estimator, acquiredLosses, out.q, n);
      weights = referenceWeights(estimator, out.q, n);
    }
    if (weights.length < m + 1) throw new Error(`stale estimator weights at step ${m} (the reference raises IndexError)`);
    const terms = new Float64Array(m + 1);
    for (let j = 0; j <= m; j++) terms[j] = weights[j] * acquiredLosses[j];
    const stepReplicates: number[] = [];
    const stepPicks: number[][] = [];
    for (let i = 0; i < config.n_boot; i++) {
      const picks = new Int32Array(m + 1);
      stepReplicates.push(bootstrapReplicate(terms, m + 1, bootstrapDraws, scratch, picks));
      stepPicks.push(Array.from(picks));
    }
    out.replicates[Math.floor(m / step)] = stepReplicates;
    out.picks.push(stepPicks);
  }
  return out;
}
