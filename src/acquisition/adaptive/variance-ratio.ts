import { finitePopulationFactor, LUREEstimator } from '../../estimators/index.js';

/**
 * "Is active testing helping here?": the ratio of the estimate's variance to the variance random
 * labelling would have had with the same number of labels, both estimated from the run's own data.
 * Random labelling's variance is `σ²/M·(N−M)/(N−1)` (sampling without replacement) with
 * `σ² = E[ℓ²] − R²`; E[ℓ²] is estimated by LURE over the squared losses (unbiased under the same
 * proposal), R by the run's estimate. The active variance is the caller's (e.g. the bootstrap's).
 * Below 1: active testing is helping; above 1: random labelling would have done better.
 *
 * @example
 * const diagnostic = new VarianceRatioToRandom(N);
 * diagnostic.add(loss, q); // after each label, as for the estimator
 * diagnostic.ratio(lure.bootstrapVariance(), lure.estimate()); // e.g. 0.74
 */
export class VarianceRatioToRandom {
  private readonly squares: LUREEstimator;
  /** Labels drawn with importance weight above 1: items the proposal gave less than random labelling would. */
  private underweighted = 0;

  constructor(readonly poolSize: number) {
    this.squares = new LUREEstimator(poolSize);
  }

  get count(): number {
    return this.squares.count;
  }

  add(loss: number, q: number): void {
    if ((this.poolSize - this.squares.count) * q < 1 - 1e-9) this.underweighted++;
    this.squares.add(loss * loss, q);
  }

  /** Labels so far whose importance weight `1/((N−m+1)·q)` was above 1. */
  get evidenceLabels(): number {
    return this.underweighted;
  }

  /**
   * Whether active testing is helping, with the diagnostic's own uncertainty: `'no evidence yet'`
   * until a label with importance weight above 1 has been drawn (only such labels show what the
   * proposal under-samples), and while `ratio·(1 ± 2/√E)` straddles 1, E being their number;
   * otherwise `'helping'` (below 1) or `'hurting'` (above). A run that has never drawn a costly item
   * its proposal under-samples cannot see it: the uniform share of the proposal is the guarantee.
   */
  verdict(activeVariance: number, riskEstimate: number): VarianceVerdict {
    return verdictOf(this.ratio(activeVariance, riskEstimate), this.underweighted);
  }

  /** Estimated variance of the mean of M labels drawn uniformly without replacement. */
  randomVariance(riskEstimate: number): number {
    const m = this.squares.count;
    const n = this.poolSize;
    if (m === 0) return Number.NaN;
    const spread = Math.max(this.squares.estimate() - riskEstimate * riskEstimate, 0);
    return n === 1 ? 0 : ((spread / m) * (n - m)) / (n - 1);
  }

  /**
   * How many labels drawn uniformly without replacement would give `activeVariance`: the m with
   * `σ²/m·(N−m)/(N−1) = activeVariance`, i.e. `σ²N / (activeVariance·(N−1) + σ²)`, with the same σ²
   * as `randomVariance`. It is above the label count exactly when `ratio` is below 1 (the same
   * question, with the same finite-population correction). NaN before the first label; the label
   * count when neither varies.
   *
   * @example
   * diagnostic.equivalentLabels(lure.bootstrapVariance(), lure.estimate()); // e.g. 412 (of 300 labelled: helping)
   */
  equivalentLabels(activeVariance: number, riskEstimate: number): number {
    const m = this.squares.count;
    const n = this.poolSize;
    if (m === 0) return Number.NaN;
    const spread = Math.max(this.squares.estimate() - riskEstimate * riskEstimate, 0);
    if (spread === 0 && activeVariance === 0) return m;
    return (spread * n) / (activeVariance * (n - 1) + spread);
  }

  /** `activeVariance / randomVariance`; NaN before the first label or when random labelling has no variance. */
  ratio(activeVariance: number, riskEstimate: number): number {
    const random = this.randomVariance(riskEstimate);
    return random > 0 ? activeVariance / random : Number.NaN;
  }

  reset(): void {
    this.squares.reset();
    this.underweighted = 0;
  }
}

/** The diagnostic's reading of one run: see `VarianceRatioToRandom.verdict`. */
export type VarianceVerdict = 'helping' | 'hurting' | 'no evidence yet';

/** The verdicts in the order `varianceDiagnosticRows` codes them (0, 1, 2). */
export const VARIANCE_VERDICTS: readonly VarianceVerdict[] = ['no evidence yet', 'helping', 'hurting'];

function verdictOf(ratio: number, evidence: number): VarianceVerdict {
  if (!(evidence > 0) || Number.isNaN(ratio)) return 'no evidence yet';
  const spread = 2 / Math.sqrt(evidence);
  if (ratio * (1 + spread) < 1) return 'helping';
  if (ratio * (1 - spread) > 1) return 'hurting';
  return 'no evidence yet';
}

/**
 * The variance-ratio diagnostic of every recorded row of a simulation, from its acquired items and
 * proposal probabilities (size×runs), its bootstrap variances and estimates (rows×runs) and the
 * per-item losses: `rows×runs`, NaN where undefined. O(size·runs).
 *
 * @example
 * const ratios = varianceRatioRows(result, lossPerItem(f, y)); // median per row: is it helping?
 */
export function varianceRatioRows(result: Parameters<typeof varianceDiagnosticRows>[0], losses: Float64Array): Float64Array {
  return varianceDiagnosticRows(result, losses).ratios;
}

/**
 * `varianceRatioRows` and each run's verdict per recorded row (`rows×runs`, coded as the index in
 * `VARIANCE_VERDICTS`: 0 no evidence yet, 1 helping, 2 hurting). O(size·runs).
 *
 * @example
 * const { ratios, verdicts } = varianceDiagnosticRows(result, lossPerItem(f, y));
 */
export function varianceDiagnosticRows(
  result: {
    rows: number;
    runs: number;
    size: number;
    labelsPerRow: Int32Array;
    samples: Int32Array;
    q: Float64Array;
    estimates: Float64Array;
    bootstrapVariance: Float64Array | null;
  },
  losses: Float64Array,
): { ratios: Float64Array; verdicts: Uint8Array } {
  const { rows, runs, size, labelsPerRow, samples, q, estimates, bootstrapVariance } = result;
  const ratios = new Float64Array(rows * runs).fill(Number.NaN);
  const verdicts = new Uint8Array(rows * runs);
  if (bootstrapVariance === null) return { ratios, verdicts };
  const diagnostic = new VarianceRatioToRandom(losses.length);
  for (let r = 0; r < runs; r++) {
    diagnostic.reset();
    for (let m = 0, row = 0; m < size && row < rows; m++) {
      diagnostic.add(losses[samples[m * runs + r]], q[m * runs + r]);
      if (m + 1 === labelsPerRow[row]) {
        const at = row * runs + r;
        // With the finite-population correction, as random labelling's variance and sessions have it.
        const variance = Math.max(0, bootstrapVariance[at]) * finitePopulationFactor(m + 1, losses.length);
        ratios[at] = diagnostic.ratio(variance, estimates[at]);
        verdicts[at] = VARIANCE_VERDICTS.indexOf(verdictOf(ratios[at], diagnostic.evidenceLabels));
        row++;
      }
    }
  }
  return { ratios, verdicts };
}
