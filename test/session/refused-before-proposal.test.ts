import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { lossMagnitudeLimit } from '../../src/metrics/index.js';
import { ActiveTestingSession } from '../../src/session/session.js';

// Logits of one row further apart than lossMagnitudeLimit give a cross-entropy bound past it, which
// a session refuses. The bounds were computed after the proposal (under the default adaptive
// proposal, gathered from its softmax's exponentials), so the refusal came after that O(N·K) work;
// they are checked first.

let proposals = 0;
vi.mock('../../src/session/proposer.js', async (original) => {
  const proposer = await original<typeof import('../../src/session/proposer.js')>();
  return {
    ...proposer,
    sessionProposal: (...args: Parameters<typeof proposer.sessionProposal>) => {
      proposals++;
      return proposer.sessionProposal(...args);
    },
  };
});

describe('a session refuses logits too far apart before building its proposal', () => {
  const n = 6;
  const options = (spread: number) => ({
    texts: Array.from({ length: n }, (_, i) => `item ${i}`),
    classes: ['a', 'b'],
    modelScores: { data: Float64Array.from({ length: 2 * n }, (_, k) => (k === 7 ? spread : k % 3)), shape: [n, 2] as [number, number] },
    surrogateScores: { data: Float64Array.from({ length: 2 * n }, (_, k) => k % 2), shape: [n, 2] as [number, number] },
    loss: 'cross-entropy' as const,
    seed: 0,
  });

  it.each(['adaptive', 'iid', 'surrogate-pe'] as const)(
    '%s, cross-entropy: row 3 past the limit is refused, and no proposal was built',
    async (acquisition) => {
      proposals = 0;
      const refused = ActiveTestingSession.create(null, { ...options(-2 * lossMagnitudeLimit(n)), acquisition });
      await expect(refused).rejects.toThrow(InputError);
      await expect(refused).rejects.toThrow(/^modelScores \(row 3\): expected scores whose loss bounds are finite and at most 2\^480/);
      expect(proposals).toBe(0);
    },
  );

  it('builds the proposal once where every row is within the limit', async () => {
    proposals = 0;
    await ActiveTestingSession.create(null, options(-lossMagnitudeLimit(n) / 2));
    expect(proposals).toBe(1);
  });
});
