import type { SimulationResult } from './simulate.js';
import { bootstrapHalfWidth } from '../estimators/bootstrap.js';
import { RiskConfidenceSequence } from '../estimators/confidence-sequence.js';
import { InputError } from '../errors.js';
import type { LossBounds } from '../metrics/loss-bounds.js';
import type { SimulationReference } from './reference.js';

import { INTERVAL_KINDS, type IntervalKind } from '../options/registry.js';

export { INTERVAL_KINDS, type IntervalKind };

/** One kind's intervals for every row and run (rows×runs, row-major like the estimates) and how they did. */
export interface SimulationIntervals {
  kind: IntervalKind;
  lower: Float64Array;
  upper: Float64Array;
  /** Per row: the fraction of runs whose interval contains the true risk. */
  coverage: number[];
  /** The fraction of runs whose interval contains the true risk at every row at once. */
  simultaneousCoverage: number;
  /** Per row: the median half-width over runs. */
  medianHalfWidth: number[];
}

/**
 * The intervals of each kind for every run of a simulation, from its draws (samples, q), the
 * per-item losses and their bounds: `anytime` the confidence sequence, `fixed` the fixed-budget
 * interval at each row's label count, `bootstrap` the approximate ±1.96σ (finite-population
 * corrected; needs the bootstrap variance). The sequences are computed after the runs, O(M) per
 * row and run, and tuned for the runs' label count (`plannedLabels: size`); with a `reference` (`simulationReference`) they use the reference bets, which
 * narrow them without touching their guarantee, and under the adaptive proposal each draw's own
 * floor (its `drawFloor` of the draw's `mixtureWeights`, one per distinct mixture).
 *
 * @example
 * const [anytime] = simulationIntervals(result, losses, lossBounds(f, 'cross-entropy'), ['anytime']);
 * anytime.simultaneousCoverage; // e.g. 0.99
 * @throws InputError for an unknown kind, `bootstrap` without a bootstrap variance, or `ase` with a sequence.
 */
export function simulationIntervals(
  result: SimulationResult,
  losses: Float64Array,
  bounds: LossBounds,
  kinds: readonly IntervalKind[],
  reference: SimulationReference | null = null,
): SimulationIntervals[] {
  for (const kind of kinds) {
    if (!INTERVAL_KINDS.includes(kind))
      throw new InputError({ argument: 'interval', expected: INTERVAL_KINDS.join(' | '), received: kind });
    if (kind === 'bootstrap' && result.bootstrapVariance === null) {
      throw new InputError({
        argument: 'interval',
        expected: "a bootstrap variance for 'bootstrap' (not bootstrap: 'none')",
        received: kind,
      });
    }
  }
  // The sequences use only the draws (items and q), whatever the estimator; the bootstrap interval is ASE's, which ignores the unlabelled items.
  if (kinds.includes('bootstrap') && result.options.estimator === 'ase') {
    throw new InputError({
      argument: 'interval',
      expected: "'anytime' or 'fixed' with the ase estimator (its bootstrap ignores the unlabelled items)",
      received: 'bootstrap',
    });
  }
  const { rows, runs, size } = result;
  const poolSize = losses.length;
  return kinds.map((kind) => {
    const lower = new Float64Array(rows * runs);
    const upper = new Float64Array(rows * runs);
    if (kind === 'bootstrap') {
      const variance = result.bootstrapVariance as Float64Array;
      for (let row = 0; row < rows; row++) {
        for (let j = row * runs; j < (row + 1) * runs; j++) {
          const half = bootstrapHalfWidth(variance[j], result.labelsPerRow[row], poolSize, result.estimates[j]);
          lower[j] = result.estimates[j] - half;
          upper[j] = result.estimates[j] + half;
        }
      }
    } else {
      // Every run labels `size` items: the sequences are tuned for that count.
      const sequence = new RiskConfidenceSequence(
        bounds.lower,
        bounds.upper,
        reference === null ? { plannedLabels: size } : { reference, plannedLabels: size },
      );
      const drawFloors = reference?.drawFloor == null ? null : new DrawFloors(reference.drawFloor, result);
      for (let run = 0; run < runs; run++) {
        sequence.reset();
        let row = 0;
        for (let m = 0; m < size && row < rows; m++) {
          const index = result.samples[m * runs + run];
          sequence.add(index, losses[index], result.q[m * runs + run], drawFloors?.at(m, run));
          if (m + 1 === result.labelsPerRow[row]) {
            const interval = kind === 'anytime' ? sequence.anytime() : sequence.fixed();
            lower[row * runs + run] = interval.lower;
            upper[row * runs + run] = interval.upper;
            row++;
          }
        }
      }
    }
    return { kind, lower, upper, ...quality(lower, upper, rows, runs, result.trueRisk) };
  });
}

/**
 * Each draw's proposal floor from the mixture weights it was drawn with (`drawFloor` returns one
 * array per distinct weights), asked for again only when a draw's weights differ from the
 * previous lookup's (O(J) while they stay the same).
 */
class DrawFloors {
  private readonly weights: Float64Array | null;
  private readonly candidates: number;
  private last: Float64Array | undefined;
  private lastAt = -1;

  constructor(
    private readonly floorOf: (weights: ArrayLike<number>) => Float64Array,
    private readonly result: SimulationResult,
  ) {
    this.weights = result.mixtureWeights;
    this.candidates = this.weights === null ? 0 : this.weights.length / (result.size * result.runs);
  }

  /** The floor of draw m of `run`; undefined without recorded weights. */
  at(m: number, run: number): Float64Array | undefined {
    const weights = this.weights;
    if (weights === null) return undefined;
    const J = this.candidates;
    const at = (m * this.result.runs + run) * J;
    if (this.last !== undefined && this.sameAsLast(at)) return this.last;
    const floor = this.floorOf(weights.subarray(at, at + J));
    this.last = floor;
    this.lastAt = at;
    return floor;
  }

  private sameAsLast(at: number): boolean {
    const weights = this.weights as Float64Array;
    for (let j = 0; j < this.candidates; j++) if (weights[at + j] !== weights[this.lastAt + j]) return false;
    return true;
  }
}

function quality(lower: Float64Array, upper: Float64Array, rows: number, runs: number, truth: number) {
  const coverage: number[] = [];
  const medianHalfWidth: number[] = [];
  const always = new Uint8Array(runs).fill(1);
  const halves = new Float64Array(runs);
  for (let row = 0; row < rows; row++) {
    let inside = 0;
    for (let run = 0; run < runs; run++) {
      const j = row * runs + run;
      if (lower[j] <= truth && truth <= upper[j]) inside++;
      else always[run] = 0;
      halves[run] = (upper[j] - lower[j]) / 2;
    }
    coverage.push(inside / runs);
    halves.sort();
    medianHalfWidth.push(runs % 2 === 1 ? halves[(runs - 1) / 2] : (halves[runs / 2 - 1] + halves[runs / 2]) / 2);
  }
  return { coverage, simultaneousCoverage: always.reduce((s, x) => s + x, 0) / runs, medianHalfWidth };
}
