import { InputError } from '../../errors.js';
import type { RandomSource } from '../../random.js';
import { aliasTable } from '../alias-table.js';
import type { PoolSampler } from '../sampler.js';
import { checkMixtureWeights } from './mixture-sampler.js';
import { checkCandidateValues } from '../proposal-floor.js';

/** Alias proposals one component draw makes before it scans the remaining items instead. */
const MAX_PROPOSALS = 64;
/** The largest double below 1. */
const ONE_BELOW = 1 - 2 ** -53;

/**
 * Draws without replacement from a mixture `q = Σ_j α_j q_j` of candidate proposals over one pool,
 * each `q_j(i) = w_ji / Σ_{remaining} w_j` with static weights `w_ji = v_ji + clip·mean(v_j)` (the
 * clip share spreads every candidate over the whole pool, as the floor of the fixed proposals
 * does). All candidates share one record of removed items and keep only their remaining sums, so a
 * draw costs O(J): the component is chosen with one uniform, the item by its alias table over the
 * full pool (none for a candidate with equal weights, the uniform one: its bucket is its item;
 * proposals already drawn are rejected, which leaves exactly q_j over the remaining
 * items; where the uniform fell within the component's share is the first proposal's uniform, so
 * most draws take one random number), and every candidate's probability of the item is one
 * division, reading the item's weights from one item-major row. When a component's
 * remaining mass is so small that 64 proposals all hit drawn items, the draw scans the remaining
 * items instead (O(N)); runs that draw a small part of the pool never get there.
 *
 * @example
 * const mixture = new CandidateMixture([new Float64Array(n).fill(1), ceValues], 0.1, [0.5, 0.5]);
 * const item = mixture.draw(randomStream(0, [0]));
 * mixture.lastProbability; // 0.5/n + 0.5·q_CE(item)
 * @throws {InputError} on candidates of different lengths, negative or non-finite values, or bad weights.
 */
export class CandidateMixture implements PoolSampler {
  readonly size: number;
  /** Probability of the last drawn item under each candidate, just before it was drawn. */
  readonly lastComponentProbabilities: Float64Array;
  private readonly weights: Float64Array;
  /**
   * Every candidate's static weight of each item, item-major, then the item's companion value
   * (`itemWeights[i·(J+1) + j]`, the companion at j = J): a draw reads one item's row, and a caller
   * that reads the companion of each drawn item finds it there.
   */
  private readonly itemWeights: Float64Array;
  /** Per candidate, its alias table; null for a candidate whose weights are all equal (the uniform one), drawn by its bucket alone. */
  private readonly keep: (Float64Array | null)[];
  private readonly alias: (Int32Array | null)[];
  private readonly fullSums: Float64Array;
  private readonly remainingSums: Float64Array;
  /** Each candidate's remaining sum when it was last summed afresh. */
  private readonly summedSums: Float64Array;
  private readonly isRemoved: Uint8Array;
  private readonly removed: Int32Array;
  private removedCount = 0;
  /** The first proposal's uniform, from `draw` to `drawFrom`. */
  private readonly firstUniform = new Float64Array(1);
  private probabilityOfLast = Number.NaN;

  /** `companions`: one value per item, kept in the item's row (read back with `companionOf`); zeros when null. */
  constructor(candidates: readonly Float64Array[], clip: number, weights: ArrayLike<number>, companions: Float64Array | null = null) {
    checkCandidateValues(candidates);
    if (!(clip >= 0 && clip < 1)) throw new InputError({ argument: 'clip', expected: 'a fraction in [0, 1)', received: clip });
    const n = candidates[0].length;
    if (n === 0) throw new InputError({ argument: 'candidates', expected: 'a non-empty pool', received: 0 });
    this.size = n;
    const J = candidates.length;
    const stride = J + 1;
    if (companions !== null && companions.length !== n)
      throw new InputError({ argument: 'companions', expected: `${n} values`, received: companions.length });
    this.itemWeights = new Float64Array(n * stride);
    if (companions !== null) for (let i = 0; i < n; i++) this.itemWeights[i * stride + J] = companions[i];
    this.keep = [];
    this.alias = [];
    this.fullSums = new Float64Array(J);
    candidates.forEach((v, j) => {
      if (v.length !== n) throw new InputError({ argument: `candidates[${j}]`, expected: `${n} values`, received: v.length });
      let total = 0;
      for (let i = 0; i < n; i++) {
        if (!(v[i] >= 0 && Number.isFinite(v[i])))
          throw new InputError({ argument: `candidates[${j}]`, expected: 'finite values ≥ 0', received: v[i], row: i });
        total += v[i];
      }
      // All zero: the candidate is uniform.
      const shift = total > 0 ? (clip * total) / n : 1;
      const w = new Float64Array(n);
      let mass = 0;
      for (let i = 0; i < n; i++) {
        mass += w[i] = v[i] + shift;
        this.itemWeights[i * stride + j] = w[i];
      }
      const table = aliasTable(w, mass);
      // Equal weights put every bucket on one side of 1, so each is kept: the table is the identity.
      const identity = table.keep.every((k) => k === 1);
      this.keep.push(identity ? null : table.keep);
      this.alias.push(identity ? null : table.alias);
      this.fullSums[j] = mass;
    });
    this.remainingSums = this.fullSums.slice();
    this.summedSums = this.fullSums.slice();
    this.isRemoved = new Uint8Array(n);
    this.removed = new Int32Array(n);
    this.weights = new Float64Array(J);
    this.lastComponentProbabilities = new Float64Array(J);
    this.setWeights(weights);
  }

  /** Number of candidates J. */
  get candidateCount(): number {
    return this.weights.length;
  }

  /** The mixture weights α (a copy). */
  get mixture(): Float64Array {
    return this.weights.slice();
  }

  /** The companion value of item `index` (see the constructor). */
  companionOf(index: number): number {
    const J = this.weights.length;
    return this.itemWeights[index * (J + 1) + J];
  }

  /** α_j, without a copy. */
  weightOf(candidate: number): number {
    return this.weights[candidate];
  }

  /** Sets α; it must have one non-negative entry per candidate, summing to 1. */
  setWeights(weights: ArrayLike<number>): void {
    checkMixtureWeights(weights, this.weights.length);
    this.weights.set(weights);
  }

  get remaining(): number {
    return this.size - this.removedCount;
  }

  get lastProbability(): number {
    return this.probabilityOfLast;
  }

  draw(random: RandomSource): number {
    if (this.removedCount === this.size)
      throw new InputError({ argument: 'sampler', expected: 'at least one remaining item to draw', received: 0 });
    const { weights } = this;
    const J = weights.length;
    const u = random();
    let chosen = -1;
    let below = 0;
    let lastPositive = -1;
    for (let j = 0; j < J; j++) {
      if (weights[j] > 0) {
        if (u < below + weights[j]) {
          chosen = j;
          break;
        }
        lastPositive = j;
      }
      below += weights[j];
    }
    // Rounding can leave u above the last cumulative weight: take the last component with any.
    if (chosen < 0) {
      chosen = lastPositive;
      below -= weights[chosen];
    }
    // Where u fell within the chosen component's share is a fresh uniform for its first proposal.
    // It travels in a typed array, as a raw double: an argument of a call not inlined would be boxed.
    this.firstUniform[0] = Math.min((u - below) / weights[chosen], ONE_BELOW);
    const index = this.drawFrom(chosen, random);
    this.removeUnchecked(index, true);
    return index;
  }

  probability(index: number): number {
    if (!(index >= 0 && index < this.size) || this.isRemoved[index] === 1) return 0;
    const J = this.weights.length;
    let q = 0;
    for (let j = 0; j < J; j++)
      if (this.weights[j] > 0) q += (this.weights[j] * this.itemWeights[index * (J + 1) + j]) / this.remainingSums[j];
    return q;
  }

  remove(index: number): void {
    if (!(Number.isInteger(index) && index >= 0 && index < this.size) || this.isRemoved[index] === 1) {
      throw new InputError({ argument: 'index', expected: `a remaining pool item in [0, ${this.size - 1}]`, received: index });
    }
    this.removeUnchecked(index, false);
  }

  reset(): void {
    for (let k = 0; k < this.removedCount; k++) this.isRemoved[this.removed[k]] = 0;
    this.removedCount = 0;
    this.remainingSums.set(this.fullSums);
    this.summedSums.set(this.fullSums);
    this.probabilityOfLast = Number.NaN;
  }

  /**
   * Removes item `index` from every candidate's remaining sum. A draw (`recordDraw`) first keeps
   * each candidate's probability of the item, and the mixture's, in the same pass over its weights.
   */
  private removeUnchecked(index: number, recordDraw: boolean): void {
    const { weights, itemWeights, remainingSums, summedSums, lastComponentProbabilities } = this;
    this.isRemoved[index] = 1;
    this.removed[this.removedCount++] = index;
    const updateSums = this.removedCount < this.size;
    const J = weights.length;
    let q = 0;
    for (let j = 0, at = index * (J + 1); j < J; j++, at++) {
      const weight = itemWeights[at];
      if (recordDraw) {
        const p = weight / remainingSums[j];
        lastComponentProbabilities[j] = p;
        q += weights[j] * p;
      }
      if (!updateSums) continue;
      const left = remainingSums[j] - weight;
      // Subtraction loses relative precision once most of the mass is drawn: sum the rest afresh
      // each time it has fallen by 4× (O(N log N) in all, however much of the pool is drawn).
      if (left > 0.25 * summedSums[j]) {
        remainingSums[j] = left;
      } else {
        remainingSums[j] = summedSums[j] = this.sumRemaining(j);
      }
    }
    if (recordDraw) this.probabilityOfLast = q;
  }

  private sumRemaining(j: number): number {
    const J = this.weights.length;
    let total = 0;
    for (let i = 0, at = j; i < this.size; i++, at += J + 1) if (this.isRemoved[i] === 0) total += this.itemWeights[at];
    return total;
  }

  /** An item from candidate j's proposal over the remaining items; `firstUniform[0]` is the first proposal's uniform. */
  private drawFrom(j: number, random: RandomSource): number {
    const first = this.firstUniform[0];
    const keep = this.keep[j];
    const alias = this.alias[j];
    const n = this.size;
    for (let proposal = 0; proposal < MAX_PROPOSALS; proposal++) {
      // Each branch scales its own uniform: a later proposal's random() may come back boxed (a call
      // not inlined), and choosing between it and `first` before scaling would box `first` too.
      const scaled = proposal === 0 ? first * n : random() * n;
      const bucket = Math.min(Math.floor(scaled), n - 1);
      // An identity table needs no read: its cache lines stay free for the rows the draw does read.
      const item = keep === null || scaled - bucket < keep[bucket] ? bucket : (alias as Int32Array)[bucket];
      if (this.isRemoved[item] === 0) return item;
    }
    const J = this.weights.length;
    let target = random() * this.remainingSums[j];
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (this.isRemoved[i] === 1) continue;
      last = i;
      target -= this.itemWeights[i * (J + 1) + j];
      if (target < 0) return i;
    }
    return last;
  }
}
