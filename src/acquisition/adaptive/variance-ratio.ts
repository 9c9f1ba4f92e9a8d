import { InputError } from '../../errors.js';
import { checkArrayLike, checkObject } from '../../io/check-arguments.js';
import { finitePopulationFactor, LUREEstimator } from '../../estimators/index.js';
import { correctedBootstrapVariance } from '../../metrics/bootstrap-quality.js';

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
  /** Those of them on which the target was wrong. */
  private errors = 0;
  /** Whether a label's squared loss overflowed a double: the mean square, and random labelling's variance with it, is unknown. */
  private squareOverflowed = false;

  constructor(readonly poolSize: number) {
    this.squares = new LUREEstimator(poolSize);
  }

  get count(): number {
    return this.squares.count;
  }

  /**
   * Adds the next label: its loss, the probability q it was drawn with, and whether the target was
   * wrong on it (its zero-one loss is 1). Without that flag every label counts as an error, and the
   * verdict may say "helping" before the run has drawn one (see `verdict`).
   */
  add(loss: number, q: number, targetWrong = true): void {
    if ((this.poolSize - this.squares.count) * q < 1 - 1e-9) {
      this.underweighted++;
      if (targetWrong) this.errors++;
    }
    const square = loss * loss;
    if (square === Infinity) this.squareOverflowed = true;
    // The label still counts; 0 stands in for its square, which `meanSquare` then never reads.
    this.squares.add(square === Infinity ? 0 : square, q);
  }

  /** LURE's estimate of the pool's mean squared loss; NaN once a square has overflowed. */
  private meanSquare(): number {
    return this.squareOverflowed ? Number.NaN : this.squares.estimate();
  }

  /** Labels so far whose importance weight `1/((N−m+1)·q)` was above 1. */
  get evidenceLabels(): number {
    return this.underweighted;
  }

  /** Those of `evidenceLabels` on which the target was wrong: errors among the items the proposal under-samples. */
  get evidenceErrors(): number {
    return this.errors;
  }

  /**
   * Whether active testing is helping, with the diagnostic's own uncertainty: `'no evidence yet'`
   * until a label with importance weight above 1 has been drawn (only such labels show what the
   * proposal under-samples), and while `ratio·(1 ± 2/√E)` straddles 1, E being their number;
   * otherwise `'hurting'` (above 1), or `'helping'` (below 1) once the target was wrong on one of
   * those labels. Until then the run has seen only items its proposal under-samples rightly, which
   * a proposal blind to rare errors sees as well: errors it has never drawn cannot show, and the
   * uniform share of the proposal is the guarantee.
   */
  verdict(activeVariance: number, riskEstimate: number): VarianceVerdict {
    return VARIANCE_VERDICTS[verdictCode(this.ratio(activeVariance, riskEstimate), this.underweighted, this.errors)];
  }

  /** Estimated variance of the mean of M labels drawn uniformly without replacement; NaN before the second label. */
  randomVariance(riskEstimate: number): number {
    return randomLabellingVariance(this.meanSquare(), riskEstimate, this.squares.count, this.poolSize);
  }

  /**
   * How many labels drawn uniformly without replacement would give `activeVariance`: the m with
   * `σ²/m·(N−m)/(N−1) = activeVariance`, i.e. `σ²N / (activeVariance·(N−1) + σ²)`, with the same σ²
   * as `randomVariance`. It is above the label count exactly when `ratio` is below 1 (the same
   * question, with the same finite-population correction). NaN before the second label (one estimates no spread), and where
   * the labels estimate no spread of the loss but the session's variance is not 0 (random labelling
   * would then match no number of labels: `ratio` is NaN too); the label count when neither varies.
   *
   * @example
   * diagnostic.equivalentLabels(lure.bootstrapVariance(), lure.estimate()); // e.g. 412 (of 300 labelled: helping)
   */
  equivalentLabels(activeVariance: number, riskEstimate: number): number {
    const m = this.squares.count;
    const n = this.poolSize;
    if (m < 2) return Number.NaN;
    const meanSquare = this.meanSquare();
    const spread = lossSpread(meanSquare, riskEstimate);
    if (spread === 0) return activeVariance <= ROUNDING_RESIDUE * meanSquare ? m : Number.NaN;
    return (spread * n) / (activeVariance * (n - 1) + spread);
  }

  /** `activeVariance / randomVariance`; NaN before the second label or when random labelling has no variance. */
  ratio(activeVariance: number, riskEstimate: number): number {
    return ratioToRandom(activeVariance, this.randomVariance(riskEstimate));
  }

  reset(): void {
    this.squares.reset();
    this.underweighted = 0;
    this.errors = 0;
    this.squareOverflowed = false;
  }
}

/** The diagnostic's reading of one run: see `VarianceRatioToRandom.verdict`. */
export type VarianceVerdict = 'helping' | 'hurting' | 'no evidence yet';

/** The verdicts in the order `varianceDiagnosticRows` codes them (0, 1, 2). */
export const VARIANCE_VERDICTS: readonly VarianceVerdict[] = ['no evidence yet', 'helping', 'hurting'];

/** The verdict (see `VarianceRatioToRandom.verdict`) as its index in `VARIANCE_VERDICTS`. */
function verdictCode(ratio: number, evidence: number, errors: number): number {
  if (!(evidence > 0) || Number.isNaN(ratio)) return 0;
  return spreadVerdictCode(ratio, verdictSpread(evidence), errors);
}

/** The diagnostic's relative uncertainty 2/√E after E labels of importance weight above 1. */
function verdictSpread(evidence: number): number {
  return 2 / Math.sqrt(evidence);
}

/** `verdictCode` of a finite ratio, given the spread of its positive evidence count and the target's errors among those labels. */
function spreadVerdictCode(ratio: number, spread: number, errors: number): number {
  if (ratio * (1 + spread) < 1) return errors > 0 ? 1 : 0;
  if (ratio * (1 - spread) > 1) return 2;
  return 0;
}

/**
 * The variance-ratio diagnostic of every recorded row of a simulation, from its acquired items and
 * proposal probabilities (size×runs), its bootstrap variances and estimates (rows×runs) and the
 * per-item losses: `rows×runs`, NaN where undefined. O(size·runs).
 *
 * @example
 * const ratios = varianceRatioRows(result, lossPerItem(f, y)); // median per row: is it helping?
 */
export function varianceRatioRows(result: DiagnosedSimulation, losses: Float64Array): Float64Array {
  return varianceDiagnosticRows(result, losses).ratios;
}

/** What the diagnostic reads of a simulation: its acquired items and their probabilities, estimates and bootstrap variances. */
export interface DiagnosedSimulation {
  rows: number;
  runs: number;
  size: number;
  labelsPerRow: Int32Array;
  samples: Int32Array;
  q: Float64Array;
  estimates: Float64Array;
  bootstrapVariance: Float64Array | null;
}

/**
 * `varianceRatioRows` and each run's verdict per recorded row (`rows×runs`, coded as the index in
 * `VARIANCE_VERDICTS`: 0 no evidence yet, 1 helping, 2 hurting), given the target's errors per
 * item (`zeroOneLossPerItem(f, y)`: 1 where it is wrong; without them every item counts as an
 * error, see `VarianceRatioToRandom.verdict`). O(size·runs).
 *
 * @example
 * const { ratios, verdicts } = varianceDiagnosticRows(result, lossPerItem(f, y), zeroOneLossPerItem(f, y));
 * VARIANCE_VERDICTS[verdicts[(result.rows - 1) * result.runs]!]; // run 0's verdict after the last label
 * @throws InputError when `result` is not a simulation result, `losses` not an array, or
 * `targetErrors` does not have one entry per pool item (with a bootstrap).
 */
export function varianceDiagnosticRows(
  result: DiagnosedSimulation,
  losses: Float64Array,
  targetErrors?: ArrayLike<number>,
): { ratios: Float64Array; verdicts: Uint8Array } {
  checkDiagnosedSimulation(result);
  checkArrayLike(losses, 'losses', 'a Float64Array of losses, one per pool item');
  const { rows, runs, bootstrapVariance } = result;
  const ratios = new Float64Array(rows * runs).fill(Number.NaN);
  const verdicts = new Uint8Array(rows * runs);
  if (bootstrapVariance === null) return { ratios, verdicts };
  const byRow = new VarianceDiagnosticByRow(result, bootstrapVariance, losses, targetErrors);
  for (let row = 0; row < rows; row++)
    byRow.nextRow(ratios.subarray(row * runs, (row + 1) * runs), verdicts.subarray(row * runs, (row + 1) * runs));
  return { ratios, verdicts };
}

/**
 * Refuses a `result` without the counts and arrays of a simulation result, before anything reads
 * them: from JavaScript, a missing one would fail far inside with a TypeError.
 *
 * @throws {InputError} naming `result` or the key at fault (`result.rows`, `result.estimates`, …).
 * @example
 * checkDiagnosedSimulation({}); // InputError: result.rows: expected an integer ≥ 0, as in a simulation result (what simulate returns)
 */
export function checkDiagnosedSimulation(result: DiagnosedSimulation): void {
  const expected = 'a simulation result (what simulate returns)';
  checkObject(result, 'result', expected);
  for (const count of ['rows', 'runs', 'size'] as const) {
    const value: unknown = result[count];
    if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0))
      throw new InputError({ argument: `result.${count}`, expected: `an integer ≥ 0, as in ${expected}`, received: value });
  }
  for (const array of ['estimates', 'samples', 'q', 'labelsPerRow'] as const)
    checkArrayLike(result[array], `result.${array}`, `a typed array, as in ${expected}`);
  if (result.bootstrapVariance !== null)
    checkArrayLike(result.bootstrapVariance, 'result.bootstrapVariance', `a typed array or null, as in ${expected}`);
}

/**
 * The diagnostic of `varianceDiagnosticRows`, one recorded row at a time, for a caller that needs
 * each row only once (the summary's medians and shares): no rows×runs tables. All runs move
 * forward together, label by label, so the size×runs tables are read along their rows. Per run it
 * keeps the state of `VarianceRatioToRandom`: LURE's compensated sums S₁ and S₂ over the squared
 * losses, and the counts of labels with importance weight above 1 and of the target's errors
 * among them; the same operations in the same order, so the same bits (where a squared loss
 * overflows, both give NaN: the sums here reach ∞, and `VarianceRatioToRandom` marks the overflow).
 *
 * @example
 * const byRow = new VarianceDiagnosticByRow(result, result.bootstrapVariance, losses, zeroOneLossPerItem(f, y));
 * byRow.nextRow(ratios, verdicts); // row 0's ratio and verdict code of every run
 */
export class VarianceDiagnosticByRow {
  private readonly primarySum: Float64Array;
  private readonly primaryError: Float64Array;
  private readonly secondarySum: Float64Array;
  private readonly secondaryError: Float64Array;
  private readonly underweighted: Int32Array;
  private readonly errors: Int32Array;
  /** Per item: 1 where the target is wrong (every item without the target's errors). */
  private readonly wrongItems: Uint8Array;
  /** `verdictSpread` of each evidence count up to `size`, computed once rather than per run and row. */
  private readonly spreads: Float64Array;
  /** Labels taken into the sums so far, in every run. */
  private labels = 0;
  private row = 0;

  constructor(
    private readonly result: DiagnosedSimulation,
    private readonly bootstrapVariance: Float64Array,
    private readonly losses: Float64Array,
    targetErrors?: ArrayLike<number>,
  ) {
    const { runs } = result;
    this.primarySum = new Float64Array(runs);
    this.primaryError = new Float64Array(runs);
    this.secondarySum = new Float64Array(runs);
    this.secondaryError = new Float64Array(runs);
    this.underweighted = new Int32Array(runs);
    this.errors = new Int32Array(runs);
    if (targetErrors !== undefined && targetErrors.length !== losses.length) {
      throw new InputError({
        argument: 'targetErrors',
        expected: `${losses.length} errors, one per pool item`,
        received: targetErrors.length,
      });
    }
    this.wrongItems = Uint8Array.from(losses, (_, i) => (targetErrors === undefined || targetErrors[i] !== 0 ? 1 : 0));
    this.spreads = Float64Array.from({ length: result.size + 1 }, (_, evidence) => verdictSpread(evidence));
  }

  /** Writes the next recorded row's ratio (NaN where undefined) and verdict code of every run into `ratios` and `verdicts` (length `runs`). */
  nextRow(ratios: Float64Array, verdicts: Uint8Array): void {
    const labels = this.result.labelsPerRow[this.row] as number;
    while (this.labels < labels) this.addLabel(++this.labels);
    this.writeRow(this.row++, labels, ratios, verdicts);
  }

  /** Label m (1-based) of every run into the sums. */
  private addLabel(m: number): void {
    const { runs, samples, q } = this.result;
    const { losses, underweighted, errors, wrongItems, primarySum, primaryError, secondarySum, secondaryError } = this;
    const n = losses.length;
    const labelled = (m - 1) * runs;
    // LURE's r_m = ℓ²·(1/(N−m))·(1/((N−m+1)q) − 1), 0 at m = N.
    const last = m === n;
    const remaining = 1 / (n - m);
    for (let b = 0; b < runs; b++) {
      const item = samples[labelled + b];
      const loss = losses[item];
      const probability = q[labelled + b];
      if ((n - m + 1) * probability < 1 - 1e-9) {
        underweighted[b]++;
        errors[b] += wrongItems[item];
      }
      const primary = loss * loss;
      const secondary = last ? 0 : primary * (remaining * (1 / ((n - m + 1) * probability) - 1));
      // Knuth's two-sum, as CompensatedSum.add.
      let sum = primarySum[b];
      let next = sum + primary;
      let part = next - sum;
      primaryError[b] += sum - (next - part) + (primary - part);
      primarySum[b] = next;
      sum = secondarySum[b];
      next = sum + secondary;
      part = next - sum;
      secondaryError[b] += sum - (next - part) + (secondary - part);
      secondarySum[b] = next;
    }
  }

  /** Row `row`, after `m` labels in every run. */
  private writeRow(row: number, m: number, ratios: Float64Array, verdicts: Uint8Array): void {
    const { runs, estimates } = this.result;
    const { losses, bootstrapVariance, underweighted, errors, spreads, primarySum, primaryError, secondarySum, secondaryError } = this;
    const n = losses.length;
    // With the finite-population correction, as random labelling's variance and sessions have it.
    const factor = finitePopulationFactor(m, n);
    const kappa = n - m;
    const start = row * runs;
    for (let b = 0; b < runs; b++) {
      const secondary = kappa === 0 ? 0 : kappa * (secondarySum[b] + secondaryError[b]);
      const meanSquare = (primarySum[b] + primaryError[b] + secondary) / m;
      const random = randomLabellingVariance(meanSquare, estimates[start + b], m, n);
      const ratio = ratioToRandom(correctedBootstrapVariance(Math.max(0, bootstrapVariance[start + b]), factor), random);
      ratios[b] = ratio;
      const evidence = underweighted[b];
      verdicts[b] = !(evidence > 0) || Number.isNaN(ratio) ? 0 : spreadVerdictCode(ratio, spreads[evidence], errors[b]);
    }
  }
}

/**
 * A variance at most this fraction of the mean square is rounding, not spread: with every labelled
 * loss the same, E[ℓ²] − R² comes out a few ulps of E[ℓ²] either side of 0, and read as spread it
 * turned the ratio into 0 and the equivalent labels into the whole pool. 64 ulps leave any real
 * spread (a relative spread of the losses above about 1e-7) as it is.
 */
const ROUNDING_RESIDUE = 64 * Number.EPSILON;

/**
 * The per-item loss variance `E[ℓ²] − R²` from their estimates; 0 where it is negative or a
 * rounding residue, NaN where they are (a loss whose square overflowed).
 */
function lossSpread(meanSquare: number, riskEstimate: number): number {
  const spread = meanSquare - riskEstimate * riskEstimate;
  return Number.isNaN(spread) || spread > ROUNDING_RESIDUE * meanSquare ? spread : 0;
}

/**
 * Random labelling's variance with M of N labels, `σ²/M·(N−M)/(N−1)`, from the estimates of E[ℓ²]
 * and R. NaN before the second label: one label estimates no spread, and the variance it is
 * compared with (a bootstrap over one term) is 0 whatever the proposal, which read as a ratio of 0
 * ("helping") after the first label of every run.
 */
function randomLabellingVariance(meanSquare: number, riskEstimate: number, m: number, n: number): number {
  if (m < 2) return Number.NaN;
  const spread = lossSpread(meanSquare, riskEstimate);
  return n === 1 ? 0 : ((spread / m) * (n - m)) / (n - 1);
}

function ratioToRandom(activeVariance: number, randomVariance: number): number {
  return randomVariance > 0 ? activeVariance / randomVariance : Number.NaN;
}
