import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { randomStream } from '../src/random.js';

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
