import seedrandom from 'seedrandom';
import { InputError } from './errors.js';

/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * Whether `value` can seed a stream: an integer ≥ 0 or a non-empty string. Anything else would
 * seed one by its text (NaN as "NaN", 1.5 as "1.5", an object as "[object Object]").
 */
export function isSeed(value: unknown): value is number | string {
  return (Number.isSafeInteger(value) && (value as number) >= 0) || (typeof value === 'string' && value !== '');
}

/**
 * The seeded uniform stream for one purpose, identified by a seed and a path of integers
 * (e.g. `[runIndex]`, or `[runIndex, BOOTSTRAP_STREAM]`). Streams with different paths are
 * independent, and a stream depends only on (seed, path), never on how work is split across
 * threads. Uses 53-bit doubles from seedrandom's Alea generator.
 *
 * @example
 * const u = randomStream(0, [3]);
 * u(); // the first draw of run 3, always the same for seed 0
 */
export function randomStream(seed: number | string, path: readonly number[] = []): RandomSource {
  if (!isSeed(seed)) throw new InputError({ argument: 'seed', expected: 'an integer ≥ 0 or a non-empty string', received: seed });
  if (!Array.isArray(path) || !path.every((step) => Number.isSafeInteger(step))) {
    throw new InputError({ argument: 'path', expected: 'an array of integers', received: path });
  }
  const seeded = seedrandom.alea([String(seed), ...path.map(String)].join('/'), { state: true });
  const generator = new AleaStream(seeded.state());
  return () => generator.double();
}

/**
 * Alea stepped on the fields of one class, from the state seedrandom seeds: the numbers of
 * seedrandom's `double()`, bit for bit, from code the compiler inlines into a caller's loop
 * (seedrandom's per-generator closures are not inlined there, and box every float they return).
 */
class AleaStream {
  private carry: number;
  private s0: number;
  private s1: number;
  private s2: number;

  constructor(state: seedrandom.State.Alea) {
    this.carry = state.c;
    this.s0 = state.s0;
    this.s1 = state.s1;
    this.s2 = state.s2;
  }

  /** A uniform in [0, 1) with 53 random bits, from two 32-bit steps. */
  double(): number {
    this.step();
    const high = this.s2;
    this.step();
    return high + ((this.s2 * 0x200000) | 0) * 1.1102230246251565e-16; // 2^-53
  }

  /** One multiply-with-carry step; its 32-bit uniform is `s2` (returned in a field, unboxed). */
  private step(): void {
    const t = 2091639 * this.s0 + this.carry * 2.3283064365386963e-10; // 2^-32
    this.s0 = this.s1;
    this.s1 = this.s2;
    this.carry = t | 0;
    this.s2 = t - this.carry;
  }
}
