import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { randomStream } from '../src/random.js';
import { InputError } from '../src/errors.js';

describe('randomStream', () => {
  it('reproduces seedrandom’s Alea double() bit for bit', () => {
    for (const seed of [0, 7, 'a seed']) {
      for (const path of [[], [3], [12, 1]]) {
        const stream = randomStream(seed, path);
        const reference = seedrandom.alea([String(seed), ...path.map(String)].join('/'));
        const ours = Array.from({ length: 5000 }, stream);
        const theirs = Array.from({ length: 5000 }, () => reference.double());
        expect(ours).toEqual(theirs);
      }
    }
  });

  it('depends on the path: different runs get different streams', () => {
    expect(randomStream(0, [1])()).not.toBe(randomStream(0, [2])());
    expect(randomStream(0, [1])()).toBe(randomStream(0, [1])());
  });
});

describe('randomStream given what is no seed', () => {
  it.each([NaN, 1.5, -1, 2 ** 60, '', null, {}])('refuses the seed %s instead of seeding a stream with its text', (seed) => {
    expect(() => randomStream(seed as never)).toThrow(
      new InputError({ argument: 'seed', expected: 'an integer ≥ 0 or a non-empty string', received: seed }),
    );
  });

  it('refuses a path that is not an array of integers', () => {
    expect(() => randomStream(0, [0.5])).toThrow(/^path: expected an array of integers, got \[0\.5\]$/);
    expect(() => randomStream(0, 3 as never)).toThrow(InputError);
  });

  it('still takes integer and string seeds', () => {
    expect(randomStream(0, [3])()).toBe(randomStream(0, [3])());
    expect(randomStream('a', [3])()).not.toBe(randomStream('b', [3])());
  });
});
