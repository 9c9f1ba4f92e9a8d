import { InputError } from '../errors.js';
import { floorProposalInPlace, inverseCdfIndex, type ProposalVariant } from './proposal.js';
import type { RandomSource } from '../random.js';
import type { PoolSampler } from './sampler.js';
import { checkClip } from './clip.js';

/**
 * The oracle's sampler: at every step it rebuilds the floored proposal over the remaining items in
 * ascending index order and inverts its sequential CDF at `u`. O(N) per step; it reproduces the
 * reference's acquired indices draw for draw, so fixture replay uses it.
 *
 * @example
 * const sampler = new ReferenceOrderSampler(Float64Array.of(1, 1, 2), 0.1, 'reference');
 * sampler.draw(() => 0.6); // 2 (proposal [0.25, 0.25, 0.5])
 * sampler.lastProbability; // 0.5
 */
export class ReferenceOrderSampler implements PoolSampler {
  readonly size: number;
  private remainingCount: number;
  private probabilityOfLast = Number.NaN;
  private positionOfLast = -1;
  private readonly isRemaining: Uint8Array;
  private readonly proposalBuffer: Float64Array;
  private readonly indexBuffer: Int32Array;
  private readonly removed: Int32Array;
  private removedCount = 0;

  constructor(
    private readonly weights: Float64Array,
    private readonly clip: number,
    private readonly variant: ProposalVariant,
  ) {
    checkClip(clip);
    this.size = weights.length;
    this.remainingCount = this.size;
    this.isRemaining = new Uint8Array(this.size).fill(1);
    this.proposalBuffer = new Float64Array(this.size);
    this.indexBuffer = new Int32Array(this.size);
    this.removed = new Int32Array(this.size);
  }

  get remaining(): number {
    return this.remainingCount;
  }

  get lastProbability(): number {
    return this.probabilityOfLast;
  }

  /** Position of the last drawn item within the remaining pool (ascending index order). */
  get lastPosition(): number {
    return this.positionOfLast;
  }

  /** Inverts the proposal's CDF at one uniform from `random`. */
  draw(random: RandomSource): number {
    const n = this.computeProposal();
    const position = inverseCdfIndex(this.proposalBuffer, random(), n);
    const index = this.indexBuffer[position];
    this.positionOfLast = position;
    this.probabilityOfLast = this.proposalBuffer[position];
    this.remove(index);
    return index;
  }

  probability(index: number): number {
    if (!this.isRemaining[index]) return 0;
    const n = this.computeProposal();
    for (let j = 0; j < n; j++) if (this.indexBuffer[j] === index) return this.proposalBuffer[j];
    return 0;
  }

  /** The current proposal over the remaining items, in ascending index order (a copy). */
  proposal(): Float64Array {
    return this.proposalBuffer.slice(0, this.computeProposal());
  }

  remove(index: number): void {
    if (!(index >= 0 && index < this.size && this.isRemaining[index] === 1)) {
      throw new InputError({ argument: 'index', expected: `a remaining pool item in [0, ${this.size - 1}]`, received: index });
    }
    this.isRemaining[index] = 0;
    this.removed[this.removedCount++] = index;
    this.remainingCount--;
  }

  reset(): void {
    for (let j = 0; j < this.removedCount; j++) this.isRemaining[this.removed[j]] = 1;
    this.removedCount = 0;
    this.remainingCount = this.size;
  }

  private computeProposal(): number {
    if (this.remainingCount === 0) {
      throw new InputError({ argument: 'sampler', expected: 'at least one remaining item to draw', received: 0 });
    }
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.isRemaining[i]) {
        this.indexBuffer[n] = i;
        this.proposalBuffer[n++] = this.weights[i];
      }
    }
    floorProposalInPlace(this.proposalBuffer, n, this.clip, this.variant);
    return n;
  }
}
