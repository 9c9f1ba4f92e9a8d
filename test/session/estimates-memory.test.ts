import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ReferenceBasis } from '../../src/acquisition/reference-basis.js';
import type { Matrix } from '../../src/matrix.js';
import { SessionEstimates } from '../../src/session/estimates.js';
import { resolveLoss } from '../../src/session/loss.js';
import { SessionState } from '../../src/session/state.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const N = 4;
const K = 2;
const scores: Matrix = { data: Float64Array.of(2, 0, 0, 2, 1, 1, -1, 1), rows: N, cols: K };
const probabilities = Float64Array.of(0.9, 0.1, 0.2, 0.8, 0.5, 0.5, 0.3, 0.7);

/** Estimates built with a reference whose belief only a WeakRef holds outside them. */
function estimatesWithBelief(): { estimates: SessionEstimates; state: SessionState; belief: WeakRef<Matrix> } {
  const belief: Matrix = { data: probabilities.slice(), rows: N, cols: K };
  const reference: ReferenceBasis = { proposalFloor: new Float64Array(N).fill(0.05), belief, drawFloor: null };
  const state = new SessionState(['a', 'b', 'c', 'd'], K);
  const estimates = new SessionEstimates(state, resolveLoss('zero-one'), scores, undefined, reference);
  return { estimates, state, belief: new WeakRef(belief) };
}

describe('SessionEstimates memory', () => {
  it('lets the reference belief (N×K) go once the predictions are made, and still bets with the reference', async () => {
    const { estimates, state, belief } = estimatesWithBelief();
    // A WeakRef's target is kept until the job that made it ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(belief.deref()).toBeUndefined();

    state.propose(1, 0.25);
    state.record(1, 1);
    estimates.labelled(1, 1, { data: scores.data.subarray(2, 4), rows: 1, cols: K });
    const { risk } = estimates.estimate();
    expect(risk.value).toBe(0);
    expect(risk.anytime).toBeDefined();
  });
});
