import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RiskConfidenceSequence } from '../../src/estimators/confidence-sequence.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

const N = 120;
const pool = syntheticPool({ poolSize: N, classCount: 3, seed: 2 });
const dir = mkdtempSync(join(tmpdir(), 'at-skip-sequences-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A cross-entropy session over the pool, journalled at `path`. */
function createSession(path: string, seed: number): Promise<ActiveTestingSession> {
  return ActiveTestingSession.create(path, {
    texts: Array.from({ length: N }, (_, i) => `item ${i}`),
    classes: ['a', 'b', 'c'],
    modelScores: pool.modelScores,
    surrogateScores: pool.surrogateScores,
    loss: 'cross-entropy',
    seed,
  });
}

describe('a skip', () => {
  it("does not feed the confidence sequences the labels they hold again: only the LURE estimators' pool shrinks", async () => {
    const session = await createSession(join(dir, 'a.session'), 1);
    for (let m = 0; m < 30; m++) {
      const [item] = await session.next();
      await session.record(item!.id, pool.labels[item!.index]!);
      session.estimate();
    }
    const adds = vi.spyOn(RiskConfidenceSequence.prototype, 'add');
    const unobserved = vi.spyOn(RiskConfidenceSequence.prototype, 'addUnobserved');
    const [item] = await session.next();
    await session.skip(item!.id);
    const estimate = session.estimate();
    // The risk's and the accuracy's sequences each take in the skip alone; rebuilt, they took the
    // 30 labels in again (60 adds) to reach the same state.
    expect({ adds: adds.mock.calls.length, unobserved: unobserved.mock.calls.length }).toEqual({ adds: 0, unobserved: 2 });
    expect({ labels: estimate.labels, skipped: estimate.skipped, poolSize: estimate.poolSize }).toEqual({
      labels: 30,
      skipped: 1,
      poolSize: N - 1,
    });
    await session.close();
  });

  it('gives the estimate a reopened session gives, after undoing one skip and skipping another item', async () => {
    const path = join(dir, 'b.session');
    const session = await createSession(path, 3);
    for (let m = 0; m < 10; m++) {
      const [item] = await session.next();
      await session.record(item!.id, pool.labels[item!.index]!);
    }
    const [, second, third] = await session.next(3);
    await session.skip(third!.id);
    session.estimate();
    await session.undo();
    // One item skipped before and after: the count alone does not say that the skipped item changed.
    await session.skip(second!.id);
    const live = session.estimate();
    await session.close();
    const reopened = await ActiveTestingSession.open(path);
    expect(live).toEqual(reopened.estimate());
    await reopened.close();
  });
});
