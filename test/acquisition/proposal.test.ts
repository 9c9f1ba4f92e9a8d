import { describe, expect, it } from 'vitest';
import { floorProposal } from '../../src/acquisition/proposal.js';
import { InputError } from '../../src/errors.js';

describe('floorProposal', () => {
  it('floors and renormalises the weights', () => {
    const proposal = floorProposal([0, 1, 3], 0.3, 'corrected');
    [0.1 / 1.1, 0.25 / 1.1, 0.75 / 1.1].forEach((p, i) => expect(proposal[i]).toBeCloseTo(p, 15));
  });

  it('refuses weights that are not an array by name, as an InputError rather than a TypeError', () => {
    for (const weights of [null, undefined, 3]) {
      const call = () => floorProposal(weights as never, 0.1, 'corrected');
      expect(call).toThrow(InputError);
      expect(call).toThrow(/^weights: expected an array of numbers/);
    }
  });
});
