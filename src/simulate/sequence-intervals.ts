import { cachedDrawFloor } from '../acquisition/reference-basis.js';
import { RiskConfidenceSequence, type ConfidenceSequenceReference } from '../estimators/confidence-sequence.js';
import type { LossBounds } from '../metrics/loss-bounds.js';
import type { IntervalKind } from '../options/registry.js';
import { claimTile } from './run-block.js';

/** The interval kinds computed from a confidence sequence. */
export type SequenceKind = Exclude<IntervalKind, 'bootstrap'>;

/** What the sequences of a simulation's runs are computed from: its draws, and where its rows fall. */
export interface SequenceRuns {
  runs: number;
  size: number;
  labelsPerRow: Int32Array;
  samples: Int32Array;
  q: Float64Array;
  mixtureWeights: Float64Array | null;
}

/**
 * One kind of confidence sequence interval (`anytime` or `fixed`) for runs of a simulation, into
 * `lower` and `upper` (rows×runs): one sequence, tuned for the runs' label count, reset between runs.
 */
export class SequenceIntervals {
  private readonly sequence: RiskConfidenceSequence;
  private readonly drawFloors: DrawFloors | null;

  constructor(
    private readonly kind: SequenceKind,
    private readonly draws: SequenceRuns,
    private readonly losses: Float64Array,
    bounds: LossBounds,
    reference: ConfidenceSequenceReference | null,
    drawFloor: ((weights: ArrayLike<number>) => Float64Array) | null,
    private readonly lower: Float64Array,
    private readonly upper: Float64Array,
  ) {
    // Every run labels `size` items: the sequences are tuned for that count.
    const plannedLabels = draws.size;
    const evaluationRounding = bounds.evaluationRounding ?? 0;
    this.sequence = new RiskConfidenceSequence(
      bounds.lower,
      bounds.upper,
      reference === null ? { plannedLabels, evaluationRounding } : { reference, plannedLabels, evaluationRounding },
    );
    this.drawFloors = drawFloor === null ? null : new DrawFloors(drawFloor, draws);
  }

  /** Runs `from` to `to` (exclusive). */
  fill(from: number, to: number): void {
    const { sequence, draws, losses, drawFloors, lower, upper } = this;
    const { runs, size, labelsPerRow, samples, q } = draws;
    const rows = labelsPerRow.length;
    for (let run = from; run < to; run++) {
      sequence.reset();
      let row = 0;
      for (let m = 0; m < size && row < rows; m++) {
        const index = samples[m * runs + run];
        sequence.add(index, losses[index], q[m * runs + run], drawFloors?.at(m, run));
        if (m + 1 === labelsPerRow[row]) {
          const interval = this.kind === 'anytime' ? sequence.anytime() : sequence.fixed();
          lower[row * runs + run] = interval.lower;
          upper[row * runs + run] = interval.upper;
          row++;
        }
      }
    }
  }
}

/** Runs per tile claimed by a thread computing intervals. */
export const INTERVAL_TILE_RUNS = 8;

/** The adaptive proposal's candidate values and clip, from which `cachedDrawFloor` rebuilds each draw's floor. */
export interface DrawFloorCandidates {
  candidates: readonly Float64Array[];
  clip: number;
}

/** What a worker computing intervals receives: the draws and outputs in shared memory, the rest copied. */
export interface IntervalTask {
  kinds: SequenceKind[];
  draws: SequenceRuns;
  losses: Float64Array;
  bounds: LossBounds;
  reference: ConfidenceSequenceReference | null;
  drawFloorCandidates: DrawFloorCandidates | null;
  outputs: { lower: Float64Array; upper: Float64Array }[];
  tiles: Int32Array;
}

/** A worker's share of an `IntervalTask`: the tiles it claims, until none is left. */
export function runIntervalTask(task: IntervalTask): void {
  const { drawFloorCandidates } = task;
  const drawFloor = drawFloorCandidates === null ? null : cachedDrawFloor(drawFloorCandidates.candidates, drawFloorCandidates.clip);
  const fillers = task.kinds.map(
    (kind, k) =>
      new SequenceIntervals(
        kind,
        task.draws,
        task.losses,
        task.bounds,
        task.reference,
        drawFloor,
        task.outputs[k].lower,
        task.outputs[k].upper,
      ),
  );
  const runs = task.draws.runs;
  for (let from = claimTile(task.tiles, runs, INTERVAL_TILE_RUNS); from >= 0; from = claimTile(task.tiles, runs, INTERVAL_TILE_RUNS)) {
    const to = Math.min(from + INTERVAL_TILE_RUNS, runs);
    for (const filler of fillers) filler.fill(from, to);
  }
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
    private readonly draws: SequenceRuns,
  ) {
    this.weights = draws.mixtureWeights;
    this.candidates = this.weights === null ? 0 : this.weights.length / (draws.size * draws.runs);
  }

  /** The floor of draw m of `run`; undefined without recorded weights. */
  at(m: number, run: number): Float64Array | undefined {
    const weights = this.weights;
    if (weights === null) return undefined;
    const J = this.candidates;
    const at = (m * this.draws.runs + run) * J;
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
