import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquisitionValues, classProbabilities } from '../../src/metrics/index.js';
import { brierLossPerItem, expectedBrierLoss, expectedZeroOneLoss, zeroOneLossPerItem } from '../../src/metrics/index.js';
import { InputError } from '../../src/errors.js';
import { EPS, NUMERICS_FLAGS } from '../../src/numerics.js';
import { resolveLoss } from '../../src/session/loss.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { matrix } from '../helpers/matrix.js';

describe('zero-one and Brier losses', () => {
  it('zero-one: 1 when the first arg max is not the label', () => {
    expect(
      Array.from(
        zeroOneLossPerItem(
          matrix([
            [2, 1, 0],
            [0, 3, 3],
            [1, 1, 1],
          ]),
          Int32Array.of(0, 2, 0),
        ),
      ),
    ).toEqual([0, 1, 0]);
  });

  it('Brier: Σ_k (p_k − 1[k = y])² against hand-computed values', () => {
    // softmax([0, ln 3]) = [1/4, 3/4]: label 1 → (1/4)² + (1/4)² = 1/8; label 0 → (3/4)² + (3/4)² = 9/8.
    const out = brierLossPerItem(
      matrix([
        [0, Math.log(3)],
        [0, Math.log(3)],
      ]),
      Int32Array.of(1, 0),
    );
    expect(out[0]).toBeCloseTo(1 / 8, 15);
    expect(out[1]).toBeCloseTo(9 / 8, 15);
  });

  it("their acquisition values are the surrogate's expected loss Σ_k π_k ℓ(f, k)", () => {
    const pool = syntheticPool({ poolSize: 50, classCount: 4, seed: 2 });
    const pi = classProbabilities(pool.surrogateScores, 2, EPS, 'stable');
    for (const [perItem, expected] of [
      [zeroOneLossPerItem, expectedZeroOneLoss],
      [brierLossPerItem, expectedBrierLoss],
    ] as const) {
      const values = expected(pool.modelScores, pi);
      for (let i = 0; i < 50; i++) {
        const row = matrix([Array.from(pool.modelScores.data.subarray(4 * i, 4 * i + 4))]);
        let enumerated = 0;
        for (let k = 0; k < 4; k++) enumerated += pi.data[4 * i + k] * perItem(row, Int32Array.of(k))[0];
        expect(values[i]).toBeCloseTo(enumerated, 14);
      }
    }
  });

  it("the session's cross-entropy acquisition value is simulate's surrogate-ce, bit for bit", () => {
    const pool = syntheticPool({ poolSize: 200, classCount: 3, seed: 4 });
    for (const temperature of [null, 2]) {
      const pi = classProbabilities(pool.surrogateScores, temperature, EPS, 'stable');
      const reference = acquisitionValues('surrogate-ce', { ...pool }, { temperature, eps: EPS, flags: NUMERICS_FLAGS.default });
      expect(resolveLoss('cross-entropy').expected(pool.modelScores, pi)).toEqual(reference);
    }
  });
});

/** A 10-item session's options, and the parts of a custom loss named flag: its loss, and bounds [0, 1]. */
function flagLoss() {
  const pool = syntheticPool({ poolSize: 10, seed: 2 });
  const options = { texts: Array.from({ length: 10 }, (_, i) => `t${i}`), classes: ['a', 'b'], modelScores: pool.modelScores };
  const itemLoss = (_f: Float64Array, y: number): number => y;
  const unit = (): [number, number] => [0, 1];
  return { options, itemLoss, unit };
}

describe('the loss option of a session', () => {
  it('refuses an unknown name as simulate and grids do: the valid names and the closest one', async () => {
    const pool = syntheticPool({ poolSize: 10, seed: 2 });
    const options = { texts: Array.from({ length: 10 }, (_, i) => `t${i}`), classes: ['a', 'b'], modelScores: pool.modelScores };
    await expect(ActiveTestingSession.create(null, { ...options, loss: 'ce' as never })).rejects.toThrow(
      /^loss: expected one of cross-entropy \| zero-one \| brier \(did you mean cross-entropy\?\), or a custom loss \{ name, itemLoss \}, got "ce"$/,
    );
    expect(() => resolveLoss(3 as never)).toThrow(/^loss: expected one of cross-entropy \| zero-one \| brier, or a custom loss/);
  });

  it("refuses a custom loss's missing name or itemLoss by that part, not as an unknown loss", () => {
    const itemLoss = (_f: Float64Array, y: number): number => y;
    // The object's JSON leaves its function out: "got {"name":""}" read as if itemLoss were missing.
    expect(() => resolveLoss({ name: '', itemLoss })).toThrow(
      new InputError({ argument: 'loss.name', expected: 'a non-empty string naming the custom loss', received: '' }),
    );
    expect(() => resolveLoss({ itemLoss } as never)).toThrow(
      /^loss\.name: expected a non-empty string naming the custom loss, got undefined$/,
    );
    expect(() => resolveLoss({ name: 'sq' } as never)).toThrow(
      /^loss sq\.itemLoss: expected a function \(scores, label\) => loss, got undefined$/,
    );
    expect(() => resolveLoss({ name: 'sq', itemLoss: 2 } as never)).toThrow(
      /^loss sq\.itemLoss: expected a function \(scores, label\) => loss, got 2$/,
    );
    // An object with neither is no attempt at a custom loss: the choices are said.
    expect(() => resolveLoss({ kind: 'ce' } as never)).toThrow(
      /^loss: expected one of cross-entropy \| zero-one \| brier, or a custom loss/,
    );
  });

  it('refuses a custom loss whose bounds are not a function, naming them', async () => {
    const pool = syntheticPool({ poolSize: 10, seed: 2 });
    const options = { texts: Array.from({ length: 10 }, (_, i) => `t${i}`), classes: ['a', 'b'], modelScores: pool.modelScores };
    const itemLoss = (_f: Float64Array, y: number): number => y;
    for (const [bounds, received] of [
      [[0, 1], '[0, 1]'],
      [1, '1'],
    ] as const) {
      const loss = { name: 'flag', itemLoss, bounds } as never;
      await expect(ActiveTestingSession.create(null, { ...options, loss })).rejects.toThrow(InputError);
      await expect(ActiveTestingSession.create(null, { ...options, loss })).rejects.toThrow(
        `loss flag bounds: expected a function (scores) => [lower, upper], or no bounds, got ${received}`,
      );
    }
  });

  // Read as "no bounds", a misspelt method left the loss without a confidence sequence, and the
  // first word of it was `done({ targetHalfWidth })` refusing a loss "without bounds".
  it('refuses bounds under a misspelt name, own, inherited or not enumerable, at create and open', async () => {
    const { options, itemLoss, unit } = flagLoss();
    class Base {
      name = 'flag';
      itemLoss = itemLoss;
      Bounds(): [number, number] {
        return [0, 1];
      }
    }
    class Derived extends Base {}
    const hidden = Object.defineProperty({ name: 'flag', itemLoss }, 'bound', { value: unit, enumerable: false });
    const refusal = (key: string) =>
      new InputError({
        argument: `loss flag.${key}`,
        expected: 'the per-item bounds under the name bounds (did you mean bounds?), or bounds: undefined for none',
      });
    for (const [loss, key] of [
      [{ name: 'flag', itemLoss, bound: unit }, 'bound'],
      [{ name: 'flag', itemLoss, lossBounds: unit }, 'lossBounds'],
      [{ name: 'flag', itemLoss, bonds: unit }, 'bonds'],
      [new Derived(), 'Bounds'],
      [hidden, 'bound'],
    ] as const) {
      await expect(ActiveTestingSession.create(null, { ...options, loss: loss as never })).rejects.toThrow(refusal(key));
    }
    // A session created with a loss without bounds, opened with one whose bounds are misnamed.
    const path = join(mkdtempSync(join(tmpdir(), 'at-misnamed-bounds-')), 'flag.session');
    await (await ActiveTestingSession.create(path, { ...options, loss: { name: 'flag', itemLoss } })).close();
    await expect(ActiveTestingSession.open(path, { loss: { name: 'flag', itemLoss, bound: unit } as never })).rejects.toThrow(
      refusal('bound'),
    );
  });

  it('leaves alone helpers named otherwise, getters (never called), and a loss that says bounds: undefined', async () => {
    const { options, itemLoss, unit } = flagLoss();
    class WithGetters {
      name = 'flag';
      itemLoss = itemLoss;
      get bound(): () => [number, number] {
        throw new Error('a getter was called');
      }
      get broken(): number {
        throw new Error('a getter was called');
      }
    }
    for (const loss of [
      { name: 'flag', itemLoss, upperBound: unit, lowerBound: unit, outOfBounds: unit, rounds: Math.round, b: unit },
      { name: 'flag', itemLoss, bound: 0.5 },
      { name: 'flag', itemLoss, bounds: undefined, bound: unit },
      { name: 'flag', itemLoss, bounds: unit, lossBounds: unit },
      new WithGetters(),
    ]) {
      const session = await ActiveTestingSession.create(null, { ...options, loss: loss as never });
      expect(session.estimate().labels).toBe(0);
    }
  });
});
