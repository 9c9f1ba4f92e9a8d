import { InputError } from '../../errors.js';
import type { RandomSource } from '../../random.js';
import type { PoolSampler } from '../sampler.js';

/**
 * Throws unless `weights` are `count` non-negative mixture weights summing to 1 (within 1e-9).
 *
 * @throws {InputError} naming `argument` (default `weights`).
 * @example
 * checkMixtureWeights([0.25, 0.75], 2); // passes
 */
export function checkMixtureWeights(weights: ArrayLike<number>, count: number, argument = 'weights'): void {
  if (typeof weights !== 'object' || weights === null || weights.length !== count)
    throw new InputError({
      argument,
      expected: `${count} mixture weights`,
      received: typeof weights === 'object' && weights !== null ? weights.length : weights,
    });
  let total = 0;
  for (let j = 0; j < weights.length; j++) {
    if (!(weights[j] >= 0)) throw new InputError({ argument, expected: 'mixture weights ≥ 0', received: weights[j], row: j });
    total += weights[j];
  }
  if (!(Math.abs(total - 1) < 1e-9)) throw new InputError({ argument, expected: 'mixture weights summing to 1', received: total });
}

/**
 * Draws from a mixture `q = Σ_j α_j q_j` of component samplers over the same pool, without
 * replacement: each draw picks component j with probability α_j, draws from it, and removes the
 * item from every other component. q is exactly the mixture of the components' proposals over the
 * remaining items. The weights may change between draws (`setWeights`), which is how the adaptive
 * proposal works; the probability every component gave the drawn item is kept for it.
 *
 * @example
 * const defensive = new MixtureSampler(
 *   [new SumTreeSampler(ceValues, 0.1, 'corrected'), new SumTreeSampler(ones, 0, 'corrected')],
 *   Float64Array.of(0.5, 0.5),
 * );
 * const item = defensive.draw(randomStream(0, [0]));
 * defensive.lastProbability; // 0.5·q_CE(item) + 0.5/N
 */
export class MixtureSampler implements PoolSampler {
  readonly size: number;
  /** Probability of the last drawn item under each component, just before it was drawn. */
  readonly lastComponentProbabilities: Float64Array;
  private readonly weights: Float64Array;
  private probabilityOfLast = Number.NaN;

  constructor(
    readonly components: readonly PoolSampler[],
    weights: ArrayLike<number>,
  ) {
    if (!Array.isArray(components) || components.length === 0) {
      throw new InputError({ argument: 'components', expected: 'at least one component sampler, in an array', received: components });
    }
    this.size = components[0].size;
    components.forEach((component: unknown, j) => {
      if (typeof component !== 'object' || component === null || !('draw' in component) || !('size' in component)) {
        throw new InputError({ argument: `components[${j}]`, expected: 'a pool sampler (with draw and size)', received: component });
      }
      if (component.size !== this.size) {
        throw new InputError({ argument: `components[${j}]`, expected: `a sampler over ${this.size} items`, received: component.size });
      }
    });
    this.weights = new Float64Array(components.length);
    this.lastComponentProbabilities = new Float64Array(components.length);
    this.setWeights(weights);
  }

  /** The mixture weights α (a copy). */
  get mixture(): Float64Array {
    return this.weights.slice();
  }

  /** Sets α; it must have one non-negative entry per component, summing to 1. */
  setWeights(weights: ArrayLike<number>): void {
    checkMixtureWeights(weights, this.components.length);
    this.weights.set(weights);
  }

  get remaining(): number {
    return this.components[0].remaining;
  }

  get lastProbability(): number {
    return this.probabilityOfLast;
  }

  /** One uniform from `random` chooses the component, which draws the item with the next ones. */
  draw(random: RandomSource): number {
    const { components, weights } = this;
    const u = random();
    let chosen = -1;
    let below = 0;
    let lastPositive = -1;
    for (let j = 0; j < weights.length; j++) {
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
    if (chosen < 0) chosen = lastPositive;
    const index = components[chosen].draw(random);
    let q = 0;
    for (let j = 0; j < components.length; j++) {
      const p = j === chosen ? components[j].lastProbability : components[j].probability(index);
      if (j !== chosen) components[j].remove(index);
      this.lastComponentProbabilities[j] = p;
      q += weights[j] * p;
    }
    this.probabilityOfLast = q;
    return index;
  }

  probability(index: number): number {
    let q = 0;
    for (let j = 0; j < this.components.length; j++) if (this.weights[j] > 0) q += this.weights[j] * this.components[j].probability(index);
    return q;
  }

  remove(index: number): void {
    for (const component of this.components) component.remove(index);
  }

  reset(): void {
    for (const component of this.components) component.reset();
    this.probabilityOfLast = Number.NaN;
  }
}
