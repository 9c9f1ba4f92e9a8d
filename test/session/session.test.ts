import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActiveTestingError, FileFormatError, InputError, OutputExistsError, ReceivedKind } from '../../src/errors.js';
import type { Matrix } from '../../src/matrix.js';
import { lossPerItem } from '../../src/metrics/cross-entropy.js';
import { lossEvaluationRounding } from '../../src/metrics/loss-bounds.js';
import { brierLossPerItem } from '../../src/metrics/brier-loss.js';
import { zeroOneLossPerItem } from '../../src/metrics/zero-one-loss.js';
import { INTERVAL_KINDS } from '../../src/options/registry.js';
import { randomStream } from '../../src/random.js';
import { SessionLockedError, SessionStateError } from '../../src/session/errors.js';
import { ActiveTestingSession, type CreateSessionOptions, type IntervalEstimate } from '../../src/session/session.js';
import type { CustomLoss } from '../../src/session/loss.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { signedRecordLine } from '../helpers/record-lines.js';

const N = 120;
const pool = syntheticPool({ poolSize: N, classCount: 3, seed: 11 });
const classes = ['a', 'b', 'c'];
const texts = Array.from({ length: N }, (_, i) => `item ${i}`);
const ids = texts.map((_, i) => `id${i}`);
const options: CreateSessionOptions = {
  texts,
  ids,
  classes,
  modelScores: pool.modelScores,
  surrogateScores: pool.surrogateScores,
  seed: 3,
};
const scratch = () => join(mkdtempSync(join(tmpdir(), 'at-session-')), 'pool.session');
const truth = (id: string): number => pool.labels[ids.indexOf(id)];

/** Labels `count` proposals with the true labels. */
async function drive(session: ActiveTestingSession, count: number): Promise<void> {
  for (let m = 0; m < count; m++) {
    const [item] = await session.next();
    await session.record(item.id, truth(item.id));
  }
}

/** The LURE estimate written out from its definition (SPEC.md §2.7), independent of the running sums. */
function lureByDefinition(losses: number[], q: number[], n: number): number {
  const M = losses.length;
  if (M === n) return losses.reduce((a, b) => a + b, 0) / M;
  let total = 0;
  for (let m = 1; m <= M; m++) total += (1 + ((n - M) / (n - m)) * (1 / ((n - m + 1) * q[m - 1]) - 1)) * losses[m - 1];
  return total / M;
}

function rowLoss(fn: (m: Matrix, y: Int32Array) => Float64Array, scores: Matrix, index: number, label: number): number {
  return fn(
    { data: scores.data.subarray(index * scores.cols, (index + 1) * scores.cols), rows: 1, cols: scores.cols },
    Int32Array.of(label),
  )[0];
}

describe('ActiveTestingSession', () => {
  it('refuses a call of its private constructor from JavaScript, saying to use create or open', () => {
    const Constructor = ActiveTestingSession as unknown as new (...args: unknown[]) => unknown;
    const expected = new ActiveTestingError(
      'ActiveTestingSession is not constructed with new: start a session with ActiveTestingSession.create(path, options) or reopen one with ActiveTestingSession.open(path)',
    );
    for (const garbage of [[], [undefined], [null], [{}], [42], ['pool.session', options]])
      expect(() => new Constructor(...garbage)).toThrow(expected);
  });

  it('estimates risk and accuracy by LURE over the labelled prefix, with ±1.96σ intervals', async () => {
    const session = await ActiveTestingSession.create(null, options);
    await drive(session, 40);
    const history = session.history();
    const losses = history.map((h) => rowLoss(lossPerItem, pool.modelScores, h.index, pool.labels[h.index]));
    const errors = history.map((h) => rowLoss(zeroOneLossPerItem, pool.modelScores, h.index, pool.labels[h.index]));
    const q = history.map((h) => h.probability);
    const estimate = session.estimate();
    expect(estimate.labels).toBe(40);
    expect(estimate.risk.value).toBeCloseTo(lureByDefinition(losses, q, N), 12);
    expect(estimate.accuracy.value).toBeCloseTo(1 - lureByDefinition(errors, q, N), 12);
    // ±1.96σ, widened by 2ε·N·|R̂| for rounding (what keeps R inside the point at M = N), and the
    // risk's by the losses' evaluation rounding (R computed from the scores along another path).
    const rounding = (value: number) => 2 * Number.EPSILON * N * Math.abs(value);
    expect(estimate.risk.bootstrap.upper - estimate.risk.value).toBeCloseTo(
      1.96 * estimate.risk.standardError + rounding(estimate.risk.value) + lossEvaluationRounding(pool.modelScores, 'cross-entropy'),
      14,
    );
    const errorRate = 1 - estimate.accuracy.value;
    expect(estimate.accuracy.bootstrap.lower).toBeCloseTo(
      estimate.accuracy.value - 1.96 * estimate.accuracy.standardError - rounding(errorRate),
      14,
    );
    expect(estimate.risk.standardError).toBeGreaterThan(0);
  });

  it('gives the exact pool risk, accuracy and Brier score once every item is labelled', async () => {
    for (const loss of ['cross-entropy', 'brier'] as const) {
      const session = await ActiveTestingSession.create(null, { ...options, loss });
      await drive(session, N);
      expect(session.done()).toBe(true);
      const fn = loss === 'brier' ? brierLossPerItem : lossPerItem;
      const losses = fn(pool.modelScores, pool.labels);
      const exact = losses.reduce((a, b) => a + b, 0) / N;
      const accuracy = 1 - zeroOneLossPerItem(pool.modelScores, pool.labels).reduce((a, b) => a + b, 0) / N;
      const estimate = session.estimate();
      expect(estimate.risk.value).toBeCloseTo(exact, 12);
      expect(estimate.accuracy.value).toBeCloseTo(accuracy, 12);
      // Every interval kind is the point, widened for rounding only: each contains the exact values.
      const intervals = INTERVAL_KINDS.flatMap(
        (kind) =>
          [
            [estimate.risk[kind]!, exact],
            [estimate.accuracy[kind]!, accuracy],
          ] as const,
      );
      expect(intervals).toHaveLength(6);
      for (const [interval, value] of intervals) {
        expect(interval.lower).toBeLessThanOrEqual(value);
        expect(interval.upper).toBeGreaterThanOrEqual(value);
        expect(interval.upper - interval.lower).toBeLessThan(1e-12);
      }
      // The bootstrap's σ is exactly 0: its interval is the point R̂, widened for rounding, so R summed in any order is inside.
      expect(estimate.risk.standardError).toBe(0);
      const sorted = Float64Array.from(losses).sort();
      for (const value of [exact, losses.reduceRight((a, b) => a + b, 0) / N, sorted.reduce((a, b) => a + b, 0) / N]) {
        expect(estimate.risk.bootstrap.lower).toBeLessThanOrEqual(value);
        expect(estimate.risk.bootstrap.upper).toBeGreaterThanOrEqual(value);
      }
      expect(estimate.risk.bootstrap.upper - estimate.risk.bootstrap.lower).toBeLessThan(1e-12);
      expect(await session.next()).toEqual([]);
    }
  });

  it('accepts a custom per-item loss; reopening needs the same loss', async () => {
    const errorRate = { name: 'error-rate', itemLoss: (f: Float64Array, y: number) => (f.indexOf(Math.max(...f)) === y ? 0 : 1) };
    const custom = await ActiveTestingSession.create(null, { ...options, loss: errorRate });
    const builtin = await ActiveTestingSession.create(null, { ...options, loss: 'zero-one' });
    await drive(custom, 30);
    await drive(builtin, 30);
    expect(custom.history().map((h) => h.id)).toEqual(builtin.history().map((h) => h.id));
    expect(custom.estimate().risk.value).toBeCloseTo(builtin.estimate().risk.value, 12);
    expect(custom.estimate().risk.value).toBeCloseTo(1 - custom.estimate().accuracy.value, 12);
    const path = scratch();
    await (await ActiveTestingSession.create(path, { ...options, loss: errorRate })).close();
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(/custom loss "error-rate"/);
    await (await ActiveTestingSession.open(path, { loss: errorRate })).close();
    await expect(ActiveTestingSession.open(path, { loss: 'zero-one' as unknown as CustomLoss })).rejects.toThrow(
      new InputError({ argument: 'loss', expected: `the custom loss "error-rate" that ${path} was created with`, received: 'zero-one' }),
    );
    await expect(ActiveTestingSession.open(path, { loss: 'error-rate' as unknown as CustomLoss })).rejects.toThrow(
      `loss: expected the custom loss "error-rate" that ${path} was created with (the loss object, with its itemLoss: its name alone cannot score), got "error-rate"`,
    );
    await expect(ActiveTestingSession.create(null, { ...options, loss: 'hinge' as 'brier' })).rejects.toThrow(InputError);
  });

  // A loss given to `open` was ignored for a session of a built-in loss: the caller read the
  // cross-entropy's estimate believing it the Brier risk, or the zero-one risk through a custom loss.
  it('refuses to reopen a session of a built-in loss with another loss, naming both', async () => {
    const path = scratch();
    const created = await ActiveTestingSession.create(path, { ...options, loss: 'cross-entropy' });
    await drive(created, 10);
    const risk = created.estimate().risk.value;
    await created.close();
    await expect(ActiveTestingSession.open(path, { loss: 'brier' as unknown as CustomLoss })).rejects.toThrow(
      new InputError({
        argument: 'loss',
        expected: `the loss cross-entropy that ${path} was created with (a built-in loss is restored by name: leave loss out)`,
        received: 'brier',
      }),
    );
    const errorRate = { name: 'error-rate', itemLoss: (f: Float64Array, y: number) => (f.indexOf(Math.max(...f)) === y ? 0 : 1) };
    await expect(ActiveTestingSession.open(path, { loss: errorRate })).rejects.toThrow(
      /^loss: expected the loss cross-entropy that .* was created with \(a built-in loss is restored by name: leave loss out\), got the custom loss "error-rate"$/,
    );
    // The refusals released the lock; the same name, or none, reopens it.
    const same = await ActiveTestingSession.open(path, { loss: 'cross-entropy' as unknown as CustomLoss });
    expect(same.estimate().risk.value).toBe(risk);
    await same.close();
    // null, as JavaScript callers write "none", leaves the loss out.
    const leftOut = await ActiveTestingSession.open(path, { loss: null as unknown as CustomLoss });
    expect(leftOut.estimate().risk.value).toBe(risk);
    await leftOut.close();
  });

  it('names both counts when the texts and the scores differ in length, and the shape alone when only the columns do', async () => {
    const twoByTwo = [
      [1, 0],
      [0, 1],
    ];
    await expect(ActiveTestingSession.create(null, { texts: ['a', 'b', 'c'], classes: ['x', 'y'], modelScores: twoByTwo })).rejects.toThrow(
      new InputError({
        argument: 'modelScores',
        expected: '3×2 scores (one row per text, one column per class; texts: 3, modelScores: 2)',
        received: new ReceivedKind('the shape 2×2'),
      }),
    );
    await expect(
      ActiveTestingSession.create(null, { texts: ['a', 'b'], classes: ['x', 'y'], modelScores: twoByTwo, surrogateScores: [[1, 0]] }),
    ).rejects.toThrow(
      /^surrogateScores: expected 2×2 scores \(one row per text, one column per class; texts: 2, surrogateScores: 1\), got the shape 1×2$/,
    );
    await expect(ActiveTestingSession.create(null, { texts: ['a', 'b'], classes: ['x', 'y', 'z'], modelScores: twoByTwo })).rejects.toThrow(
      /^modelScores: expected 2×3 scores \(one row per text, one column per class\), got the shape 2×2$/,
    );
  });

  it('refuses a pool whose loss bounds are not finite with a typed error, leaving no file behind', async () => {
    const path = scratch();
    const nanBound = { name: 'nan-bound', itemLoss: (f: Float64Array, y: number) => y, bounds: (): [number, number] => [0, NaN] };
    const refused = ActiveTestingSession.create(path, { ...options, loss: nanBound });
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow(/loss nan-bound bounds \(row 0\): expected finite \[lower, upper\]/);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.lock`)).toBe(false);
    // Finite logits 2e308 apart: the cross-entropy's upper bound overflows.
    const spread = Float64Array.from(pool.modelScores.data);
    spread.set([1e308, -1e308, 0], 5 * 3);
    const overflow = ActiveTestingSession.create(path, { ...options, modelScores: { data: spread, rows: N, cols: 3 } });
    await expect(overflow).rejects.toThrow(/modelScores \(row 5\): expected scores whose loss bounds are finite/);
    expect(existsSync(path)).toBe(false);
    // Nothing left behind: the same path takes a valid session.
    await (await ActiveTestingSession.create(path, options)).close();
    expect(existsSync(path)).toBe(true);
  });

  it('refuses losses whose squares overflow the error bars (a logit of -1e300 on the label), and is finite just under the limit', async () => {
    const limit = 2 ** 480 / Math.sqrt(N);
    const onLabel = (logit: number): Matrix => {
      const scores = Float64Array.from(pool.modelScores.data);
      for (let i = 0; i < N; i++) scores[i * 3 + pool.labels[i]] = logit;
      return { data: scores, rows: N, cols: 3 };
    };
    // Its standard error and bootstrap interval were ±∞; at 1e307 the sequences' sums gave NaN.
    for (const logit of [-1e300, -1e307, -limit * (1 + 1e-9)]) {
      const path = scratch();
      const refused = ActiveTestingSession.create(path, { ...options, modelScores: onLabel(logit) });
      await expect(refused).rejects.toThrow(InputError);
      await expect(refused).rejects.toThrow(
        /^modelScores \(row 0\): expected scores whose loss bounds are finite and at most 2\^480\/√N = 2\.85e\+143 for N = 120/,
      );
      expect(existsSync(path)).toBe(false);
    }
    const session = await ActiveTestingSession.create(null, { ...options, modelScores: onLabel(-limit * (1 - 1e-9)) });
    const finite = (estimate: IntervalEstimate) =>
      [
        estimate.value,
        estimate.standardError,
        estimate.bootstrap.lower,
        estimate.bootstrap.upper,
        estimate.anytime!.lower,
        estimate.anytime!.upper,
        estimate.fixed!.lower,
        estimate.fixed!.upper,
      ].every(Number.isFinite);
    await drive(session, 3);
    const early = session.estimate();
    expect(early.risk.value).toBeGreaterThan(limit / 2);
    expect(finite(early.risk)).toBe(true);
    expect(early.risk.anytime!.upper).toBeGreaterThan(early.risk.value);
    expect(Number.isFinite(early.varianceRatio)).toBe(true);
    await drive(session, N - 3);
    const all = session.estimate();
    expect(all.labels).toBe(N);
    expect(finite(all.risk)).toBe(true);
    expect(all.risk.standardError).toBe(0);
    expect(all.risk.bootstrap.lower).toBeLessThanOrEqual(all.risk.value);
    expect(all.risk.bootstrap.upper).toBeGreaterThanOrEqual(all.risk.value);
  });

  it('compares with scores of equal huge logits: the difference bounds hold the losses (1e308 + log 2 is 1e308)', async () => {
    const path = scratch();
    const comparison = Float64Array.from(pool.surrogateScores.data);
    // A third of the rows each: equal huge logits, and huge logits 16 apart (whose sum rounds too).
    for (let i = 0; i < N; i += 3) comparison.set([1e308, 1e308, 1e308], i * 3);
    for (let i = 1; i < N; i += 3) comparison.set([1e17, 1e17 + 16, 1e17], i * 3);
    const comparisonScores = { data: comparison, rows: N, cols: 3 };
    const session = await ActiveTestingSession.create(path, { ...options, comparisonScores });
    await drive(session, N);
    const all = session.estimate();
    const comparisonLosses = Array.from(pool.labels, (y, i) => rowLoss(lossPerItem, comparisonScores, i, y));
    expect(comparisonLosses[0]).toBeCloseTo(Math.log(3), 15);
    expect(comparisonLosses[1]).toBeCloseTo(Math.log(1 + 2 * Math.exp(-16)) + (pool.labels[1] === 1 ? 0 : 16), 12);
    const meanOf = (values: ArrayLike<number>) => Array.from(values).reduce((a, b) => a + b, 0) / N;
    expect(all.comparison?.risk.value).toBeCloseTo(meanOf(comparisonLosses), 12);
    const targetRisk = meanOf(Array.from(pool.labels, (y, i) => rowLoss(lossPerItem, pool.modelScores, i, y)));
    expect(all.comparison?.difference.value).toBeCloseTo(targetRisk - meanOf(comparisonLosses), 12);
    const difference = all.comparison!.difference;
    for (const kind of ['anytime', 'fixed'] as const) {
      expect(difference[kind]!.lower).toBeLessThanOrEqual(difference.value);
      expect(difference[kind]!.upper).toBeGreaterThanOrEqual(difference.value);
    }
    await session.close();
    // The labels journaled replay: the session reopens and estimates the same.
    const reopened = await ActiveTestingSession.open(path);
    expect(reopened.estimate().comparison?.difference.value).toBe(all.comparison?.difference.value);
    await reopened.close();
  });

  it('says what it got for an id that is no pool item, undefined included', async () => {
    const session = await ActiveTestingSession.create(null, options);
    await expect(session.record(undefined as never, 'a')).rejects.toThrow(/^id: expected the id of a pool item, got undefined$/);
    await expect(session.record('id999', 'a')).rejects.toThrow(/^id: expected the id of a pool item, got "id999"$/);
  });

  // The type's name was given as the value: `texts (row 1): expected a string, got "object"` read as
  // though the text were the word "object".
  it('names what a text that is not a string is, not as a string', async () => {
    await expect(
      ActiveTestingSession.create(null, { ...options, texts: texts.map((t, i) => (i === 1 ? null : t)) as string[] }),
    ).rejects.toThrow(/^texts \(row 1\): expected a string, got null$/);
    await expect(
      ActiveTestingSession.create(null, { ...options, texts: texts.map((t, i) => (i === 2 ? 7 : t)) as string[] }),
    ).rejects.toThrow(/^texts \(row 2\): expected a string, got a value of type number$/);
  });

  // Ids are strings; a caller passing the proposal's `index`, or an id a JSON or CSV reader turned
  // into a number, was told only that 7 is no id, though "7" is one.
  it('says that ids are strings when given a number that is an id as a string', async () => {
    const session = await ActiveTestingSession.create(null, { ...options, ids: undefined });
    const [item] = await session.next();
    await expect(session.record(item.index as never, 'a')).rejects.toThrow(
      new InputError({
        argument: 'id',
        expected: 'the id of a pool item',
        received: ReceivedKind.noted(item.index, `ids are strings: did you mean "${item.index}"?`),
      }),
    );
    await expect(session.skip(9999 as never)).rejects.toThrow(/^id: expected the id of a pool item, got 9999$/);
  });

  it('suggests the class meant by a misspelt label, and nothing for a label close to none', async () => {
    const session = await ActiveTestingSession.create(null, options);
    const [item] = await session.next();
    await expect(session.record(item.id, 'B')).rejects.toThrow(
      new InputError({ argument: 'label', expected: 'a class name (a, b, c) or index in [0, 2] (did you mean b?)', received: 'B' }),
    );
    await expect(session.record(item.id, 'neutral')).rejects.toThrow(
      new InputError({ argument: 'label', expected: 'a class name (a, b, c) or index in [0, 2]', received: 'neutral' }),
    );
    expect(session.estimate().labels).toBe(0);
  });

  // A class index read from a file or a form is a string: "2" was refused as "expected a class
  // name (a, b, c) or index in [0, 2], got "2"", an index in range seemingly refused.
  it('says that class indices are numbers when given an index as a string', async () => {
    const session = await ActiveTestingSession.create(null, options);
    const [item] = await session.next();
    await expect(session.record(item.id, '2')).rejects.toThrow(
      new InputError({
        argument: 'label',
        expected: 'a class name (a, b, c) or index in [0, 2]',
        received: ReceivedKind.noted('2', 'class indices are numbers: did you mean 2?'),
      }),
    );
    // Out of range, or not a whole number: no index is meant, so nothing is suggested.
    await expect(session.record(item.id, '3')).rejects.toThrow(/^label: expected a class name \(a, b, c\) or index in \[0, 2\], got "3"$/);
    await expect(session.record(item.id, '1.5')).rejects.toThrow(
      /^label: expected a class name \(a, b, c\) or index in \[0, 2\], got "1.5"$/,
    );
    expect(session.estimate().labels).toBe(0);
    // A class named by digits is still that class, not an index.
    const digits = await ActiveTestingSession.create(null, { ...options, classes: ['2', '0', '1'] });
    const [first] = await digits.next();
    await digits.record(first.id, '0');
    expect(digits.history()[0].label).toBe('0');
  });

  it("refuses, changing nothing, a label whose loss lies outside a custom loss's declared bounds", async () => {
    const path = scratch();
    // Declares [0, 1] but returns 5 for class c.
    const liar = { name: 'liar', itemLoss: (_f: Float64Array, y: number) => (y === 2 ? 5 : y / 2), bounds: (): [number, number] => [0, 1] };
    const session = await ActiveTestingSession.create(path, { ...options, loss: liar });
    const [item] = await session.next();
    const before = readFileSync(path, 'utf8');
    await expect(session.record(item.id, 'c')).rejects.toThrow(
      /loss liar \(row \d+\): expected a loss within the item's bounds \[0, 1\], got 5/,
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(session.estimate().labels).toBe(0);
    await session.record(item.id, 'b');
    const { risk } = session.estimate();
    // LURE after one label: its loss (1/2 for class b) over N·q.
    expect(risk.value).toBeCloseTo(0.5 / (N * item.probability), 12);
    expect(risk.anytime!.lower).toBeLessThan(risk.anytime!.upper);
    await session.close();
  });

  it('refuses labels for items not proposed, twice, or of unknown classes, changing nothing', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, options);
    const [item] = await session.next();
    const unproposed = ids.find((id) => id !== item.id) as string;
    const before = readFileSync(path, 'utf8');
    await expect(session.record(unproposed, 0)).rejects.toThrow(SessionStateError);
    await expect(session.record('nope', 0)).rejects.toThrow(InputError);
    await expect(session.record(item.id, 'd')).rejects.toThrow(/a class name \(a, b, c\)/);
    await expect(session.record(item.id, 3)).rejects.toThrow(InputError);
    await expect(session.undo()).rejects.toThrow(/nothing to undo/);
    expect(readFileSync(path, 'utf8')).toBe(before);
    await session.record(item.id, 'b');
    await expect(session.record(item.id, 'b')).rejects.toThrow(/already labelled/);
    expect(session.estimate().recorded).toBe(1);
    await session.close();
    await expect(session.next()).rejects.toThrow(/closed/);
  });

  it('takes an int64 label as readNpy gives it (a bigint), and says so when it is out of range', async () => {
    const session = await ActiveTestingSession.create(null, options);
    const [first, second] = await session.next(2);
    // The message must not show 3n as "3" next to "index in [0, 2]", nor 2n as "2".
    await expect(session.record(first.id, 3n)).rejects.toThrow(/got 3n \(a bigint\)/);
    await session.record(first.id, BigInt64Array.of(BigInt(truth(first.id)))[0]);
    await session.record(second.id, truth(second.id));
    const plain = await ActiveTestingSession.create(null, options);
    await drive(plain, 2);
    expect(session.history().map((h) => h.label)).toEqual(plain.history().map((h) => h.label));
    expect(session.estimate().risk.value).toBe(plain.estimate().risk.value);
  });

  it('undo makes the item pending again without rewinding the random stream', async () => {
    const plain = await ActiveTestingSession.create(null, options);
    await drive(plain, 12);
    const undone = await ActiveTestingSession.create(null, options);
    await drive(undone, 5);
    const [fifth] = undone.history().slice(-1);
    expect(await undone.undo()).toEqual({ id: fifth.id, label: classes[truth(fifth.id)] });
    expect(undone.estimate().labels).toBe(4);
    const [again] = await undone.next();
    expect(again.id).toBe(fifth.id);
    await undone.record(again.id, truth(again.id));
    await drive(undone, 7);
    expect(undone.history().map((h) => h.id)).toEqual(plain.history().map((h) => h.id));
    expect(undone.estimate().risk.value).toBe(plain.estimate().risk.value);
  });

  it('estimates over the longest fully labelled prefix when labels arrive out of order', async () => {
    const session = await ActiveTestingSession.create(null, options);
    const batch = await session.next(3);
    expect(batch.map((b) => b.position)).toEqual([0, 1, 2]);
    expect((await session.next(3)).map((b) => b.id)).toEqual(batch.map((b) => b.id));
    await session.record(batch[1].id, truth(batch[1].id));
    await session.record(batch[2].id, truth(batch[2].id));
    expect(session.estimate()).toMatchObject({ labels: 0, recorded: 2, pending: 1 });
    expect(Number.isNaN(session.estimate().risk.value)).toBe(true);
    await session.record(batch[0].id, truth(batch[0].id));
    expect(session.estimate()).toMatchObject({ labels: 3, recorded: 3, pending: 0 });
  });

  it('skips an item: it leaves the pool and the estimate covers the remaining items', async () => {
    const session = await ActiveTestingSession.create(null, options);
    await drive(session, 3);
    const [item] = await session.next();
    await session.skip(item.id);
    await drive(session, 2);
    const estimate = session.estimate();
    expect(estimate).toMatchObject({ labels: 5, skipped: 1, poolSize: N - 1 });
    const labelled = session.history().filter((h) => h.status === 'labelled');
    const losses = labelled.map((h) => rowLoss(lossPerItem, pool.modelScores, h.index, pool.labels[h.index]));
    expect(estimate.risk.value).toBeCloseTo(
      lureByDefinition(
        losses,
        labelled.map((h) => h.probability),
        N - 1,
      ),
      12,
    );
    await expect(session.record(item.id, 0)).rejects.toThrow(/already skipped/);
    await session.undo();
    await session.undo();
    expect(await session.undo()).toEqual({ id: item.id, label: null });
    expect(session.estimate()).toMatchObject({ labels: 3, skipped: 0, poolSize: N, pending: 3 });
    expect((await session.next())[0].id).toBe(item.id);
  });

  it('skips every item: done, and an estimate of nothing (NaN over a covered pool of 0), also reopened', async () => {
    const first = (m: Matrix, n: number) => ({ data: m.data.slice(0, n * m.cols), shape: [n, m.cols] as [number, number] });
    const small: CreateSessionOptions = {
      ...options,
      texts: texts.slice(0, 6),
      ids: ids.slice(0, 6),
      modelScores: first(pool.modelScores, 6),
      surrogateScores: first(pool.surrogateScores, 6),
    };
    const path = scratch();
    let session = await ActiveTestingSession.create(path, small);
    await drive(session, 2);
    while (!session.done({ maxLabels: 100 })) await session.skip((await session.next())[0].id);
    expect(session.estimate()).toMatchObject({ labels: 2, skipped: 4, poolSize: 2, pending: 0 });
    for (let undone = 0; undone < 6; undone++) await session.undo();
    expect(session.estimate()).toMatchObject({ labels: 0, skipped: 0, poolSize: 6, pending: 6 });
    for (const item of await session.next(6)) await session.skip(item.id);
    for (let reopen = 0; reopen < 2; reopen++) {
      expect(session.done()).toBe(true);
      expect(session.done({ maxLabels: 3, targetHalfWidth: 0.1 })).toBe(true);
      const estimate = session.estimate();
      expect(estimate).toMatchObject({ labels: 0, recorded: 0, skipped: 6, pending: 0, poolSize: 0, varianceVerdict: 'no evidence yet' });
      expect([estimate.risk.value, estimate.risk.anytime?.lower, estimate.accuracy.value, estimate.varianceRatio]).toEqual([
        NaN,
        NaN,
        NaN,
        NaN,
      ]);
      await session.close();
      session = await ActiveTestingSession.open(path);
    }
    await session.close();
  });

  it('compares two targets on the same labels, with a paired interval for the difference', async () => {
    const other = syntheticPool({ poolSize: N, classCount: 3, seed: 12 }).modelScores;
    const session = await ActiveTestingSession.create(null, { ...options, comparisonScores: other });
    await drive(session, 50);
    const { risk, comparison } = session.estimate();
    expect(comparison).toBeDefined();
    const { difference } = comparison!;
    expect(difference.value).toBeCloseTo(risk.value - comparison!.risk.value, 10);
    // ±1.96σ, and a rounding allowance of 2ε·Σ(|ℓ₁| + |ℓ₂|) on each side (about 10⁻¹² here).
    expect(difference.bootstrap.upper - difference.bootstrap.lower).toBeCloseTo(2 * 1.96 * difference.standardError, 10);
    const same = await ActiveTestingSession.create(null, { ...options, comparisonScores: pool.modelScores });
    await drive(same, 20);
    const identical = same.estimate().comparison!.difference;
    expect(identical).toMatchObject({ value: 0, standardError: 0 });
    // The exact per-item bounds of the difference of a target with itself are 0: each interval is
    // the point 0, widened for rounding only.
    for (const kind of ['anytime', 'fixed', 'bootstrap'] as const) {
      const { lower, upper } = identical[kind]!;
      expect(lower <= 0 && 0 <= upper, `${kind}: [${lower}, ${upper}]`).toBe(true);
      expect(upper - lower).toBeLessThan(1e-9);
    }
  });

  it("labelled to the end, the difference's intervals hold R₁ − R₂ summed from each target's losses, also when the targets nearly agree", async () => {
    // 20 items, the comparison the target's logits moved by at most 0.0005: each difference is
    // rounded at the size of the two losses, far more than the differences' own rounding allowance.
    const n = 20;
    const small = syntheticPool({ poolSize: n, classCount: 3, seed: 5 });
    const u = randomStream(9);
    const nearby: Matrix = { data: small.modelScores.data.map((x) => x + 0.001 * (u() - 0.5)), rows: n, cols: 3 };
    const smallTexts = texts.slice(0, n);
    for (const loss of ['cross-entropy', 'brier'] as const) {
      const fn = loss === 'brier' ? brierLossPerItem : lossPerItem;
      const mean = (values: Float64Array) => values.reduce((a, b) => a + b, 0) / n;
      const truth = mean(fn(small.modelScores, small.labels)) - mean(fn(nearby, small.labels));
      for (let seed = 0; seed < 8; seed++) {
        const session = await ActiveTestingSession.create(null, {
          texts: smallTexts,
          classes,
          modelScores: small.modelScores,
          surrogateScores: small.surrogateScores,
          comparisonScores: nearby,
          loss,
          seed,
        });
        while (!session.done()) {
          const [item] = await session.next();
          await session.record(item.id, small.labels[item.index]);
        }
        const { difference } = session.estimate().comparison!;
        for (const kind of ['anytime', 'fixed', 'bootstrap'] as const) {
          const { lower, upper } = difference[kind]!;
          expect(lower <= truth && truth <= upper, `${loss}, seed ${seed}, ${kind}: [${lower}, ${upper}] ∌ ${truth}`).toBe(true);
          expect(upper - lower).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('runs the target only on labelled items without target predictions (surrogate-pe)', async () => {
    const scored: string[] = [];
    const scoreTarget = async (batch: readonly string[]) => {
      scored.push(...batch);
      const i = texts.indexOf(batch[0]);
      return [Array.from(pool.modelScores.data.subarray(i * 3, i * 3 + 3))];
    };
    const lazy = await ActiveTestingSession.create(null, { ...options, modelScores: undefined, scoreTarget });
    expect(lazy.settings.acquisition).toBe('surrogate-pe');
    const eager = await ActiveTestingSession.create(null, { ...options, acquisition: 'surrogate-pe' });
    await drive(lazy, 25);
    await drive(eager, 25);
    expect(scored).toEqual(lazy.history().map((h) => h.text));
    // Without target scores the cross-entropy has no per-item bounds before labelling: no confidence sequence for the risk.
    const withoutSequence = ({ anytime: _anytime, fixed: _fixed, ...rest }: IntervalEstimate) => rest;
    const { risk: lazyRisk, accuracy: lazyAccuracy, ...lazyRest } = lazy.estimate();
    const { risk: eagerRisk, accuracy: eagerAccuracy, ...eagerRest } = eager.estimate();
    expect(lazyRisk.anytime).toBeUndefined();
    expect(eagerRisk.anytime).toBeDefined();
    // The same but for the bootstrap's widening by the losses' evaluation rounding, known only from the scores.
    const { bootstrap: lazyBootstrap, ...lazyPoint } = withoutSequence(lazyRisk);
    const { bootstrap: eagerBootstrap, ...eagerPoint } = withoutSequence(eagerRisk);
    expect(lazyPoint).toEqual(eagerPoint);
    const evaluationRounding = lossEvaluationRounding(pool.modelScores, 'cross-entropy');
    expect(lazyBootstrap.lower - evaluationRounding).toBeCloseTo(eagerBootstrap.lower, 15);
    expect(lazyBootstrap.upper + evaluationRounding).toBeCloseTo(eagerBootstrap.upper, 15);
    // The accuracy's sequence exists in both, but only the eager one has the predictions its reference bets need.
    expect(lazyAccuracy.anytime).toBeDefined();
    expect(withoutSequence(lazyAccuracy)).toEqual(withoutSequence(eagerAccuracy));
    expect(lazyRest).toEqual(eagerRest);
    await expect(ActiveTestingSession.create(null, { ...options, modelScores: undefined })).rejects.toThrow(/scoreTarget/);
    await expect(
      ActiveTestingSession.create(null, { ...options, modelScores: undefined, scoreTarget, acquisition: 'surrogate-ce' }),
    ).rejects.toThrow(/surrogate-pe/);
  });

  it('refuses a path in a missing folder as the path, before taking a lock there', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'at-session-')), 'missing');
    const path = join(folder, 'pool.session');
    const refusal = await ActiveTestingSession.create(path, options).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(InputError);
    expect((refusal as InputError).argument).toBe('path');
    expect((refusal as InputError).message).toBe(
      `path: expected a file in an existing folder that can be written (the session file is created, not its folder), got "${path}" (${folder} does not exist)`,
    );
    expect(existsSync(folder)).toBe(false);
  });

  it('tells a scorer that answered without rows which item it was asked for, not of an empty pool', async () => {
    for (const answer of [[], { data: [], shape: [0, 3] }]) {
      const session = await ActiveTestingSession.create(null, { ...options, modelScores: undefined, scoreTarget: async () => answer });
      const [item] = await session.next();
      const refusal = await session.record(item.id, 0).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(InputError);
      expect((refusal as InputError).argument).toBe('scoreTarget');
      expect((refusal as InputError).message).toBe(`scoreTarget: expected 1×3 scores for item ${item.id}, got no rows`);
      expect(session.history().map((h) => h.status)).toEqual(['pending']);
    }
  });

  it('reports how many random labels would give the same interval', async () => {
    const session = await ActiveTestingSession.create(null, { ...options, acquisition: 'iid' });
    await drive(session, 60);
    // Under uniform sampling LURE is the sample mean, and its bootstrap variance with the
    // finite-population correction is σ̂²/M·(N−M)/(N−1): exactly random labelling's variance with
    // m = M labels. So the equivalent number of random labels is M and the variance ratio 1.
    const { equivalentRandomLabels, varianceRatio } = session.estimate();
    expect(equivalentRandomLabels).toBe(60);
    expect(varianceRatio).toBeCloseTo(1, 12);
  });

  it('says the same thing in both diagnostics: more random labels than labelled exactly when the variance ratio is below 1', async () => {
    for (const acquisition of ['iid', 'surrogate-ce', 'self-entropy', 'adaptive'] as const) {
      const session = await ActiveTestingSession.create(null, { ...options, acquisition });
      for (const labels of [5, 20, 60]) {
        await drive(session, labels - session.estimate().labels);
        const { equivalentRandomLabels: m, varianceRatio, labels: count } = session.estimate();
        expect(count).toBe(labels);
        // Rounding aside (m within half a label of the count), the two answers agree.
        if (Math.abs(m - count) > 0.5) expect(varianceRatio < 1).toBe(m > count);
      }
    }
  });

  it('never says that random labelling would need 0 labels: at least 1, or NaN where the labels cannot say', async () => {
    /** A session on a binary pool of `size` items whose first proposals are labelled so that the target is wrong on them or right, as `targetWrong` says. */
    const early = async (size: number, loss: 'zero-one' | 'brier', seed: number, targetWrong: boolean[]) => {
      const binary = syntheticPool({ poolSize: size, classCount: 2, seed: 3 });
      const session = await ActiveTestingSession.create(null, {
        texts: Array.from({ length: size }, (_, i) => `item ${i}`),
        classes: ['a', 'b'],
        modelScores: binary.modelScores,
        surrogateScores: binary.surrogateScores,
        loss,
        seed,
      });
      for (const wrong of targetWrong) {
        const [item] = await session.next();
        const i = Number(item.id);
        const predicted = binary.modelScores.data[2 * i + 1] > binary.modelScores.data[2 * i] ? 1 : 0;
        await session.record(item.id, wrong ? 1 - predicted : predicted);
      }
      return session.estimate();
    };
    // Two costly items drawn with small probabilities: the variance is 98× random labelling's with
    // 2 labels, so a single random label (σ̂², under a fiftieth of a label by the formula) does better.
    const costly = await early(200, 'brier', 6, [true, true]);
    expect(costly.varianceRatio).toBeGreaterThan(50);
    expect(costly.equivalentRandomLabels).toBe(1);
    // The zero-one risk estimated at 3.5 (above its range): the labels estimate the loss's spread
    // R̂ − R̂² as none, random labelling's variance as 0, and no number of random labels matches.
    const outside = await early(60, 'zero-one', 7, [true, false]);
    expect(outside.risk.value).toBeGreaterThan(1);
    expect(outside.varianceRatio).toBeNaN();
    expect(outside.equivalentRandomLabels).toBeNaN();
  });

  it('stops on the label budget, or on the interval width from minLabels on', async () => {
    const session = await ActiveTestingSession.create(null, options);
    await drive(session, 10);
    expect(session.done({ maxLabels: 10 })).toBe(true);
    expect(session.done({ maxLabels: 11 })).toBe(false);
    expect(session.done({ targetHalfWidth: 100 })).toBe(false);
    expect(session.done({ targetHalfWidth: 100, minLabels: 10 })).toBe(true);
    expect(session.done({ targetHalfWidth: 1e-9, minLabels: 10 })).toBe(false);
    // A rule that could never stop, or a count that is not one, is refused as the CLI refuses it.
    expect(() => session.done({ targetHalfWidth: Number.NaN })).toThrow('targetHalfWidth: expected a number > 0, got NaN');
    expect(() => session.done({ targetHalfWidth: 0 })).toThrow(InputError);
    expect(() => session.done({ maxLabels: 0 })).toThrow(/maxLabels/);
    expect(() => session.done({ targetHalfWidth: 0.1, minLabels: 2.5 })).toThrow(/minLabels/);
    // minLabels only delays a stop on the width: alone it is refused, not silently ignored.
    expect(() => session.done({ maxLabels: 100, minLabels: 5 })).toThrow(
      'minLabels: expected targetHalfWidth as well (minLabels is the labels needed before the width may stop the session), got 5',
    );
    // A misspelt rule would never stop the session: refused with the closest name, as options are.
    expect(() => session.done({ maxlabels: 10 } as never)).toThrow(/^maxlabels: expected a known option, did you mean maxLabels\?/);
  });

  it('lives in a file: reopening restores the state and the next proposal', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, options);
    await expect(ActiveTestingSession.create(path, options)).rejects.toThrow(SessionLockedError);
    await drive(session, 9);
    await session.next(2);
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(SessionLockedError);
    await session.close();
    await expect(ActiveTestingSession.create(path, options)).rejects.toThrow(OutputExistsError);
    const reopened = await ActiveTestingSession.open(path);
    expect(reopened.history()).toEqual(session.history());
    expect(reopened.estimate()).toEqual(session.estimate());
    const reference = await ActiveTestingSession.create(null, options);
    await drive(reference, 15);
    await drive(reopened, 6);
    expect(reopened.history()).toEqual(reference.history());
    await reopened.close();
  });

  it('gives the same intervals, bit for bit, read after every label (as serve reads them) and reopened', async () => {
    const path = scratch();
    const comparisonScores = syntheticPool({ poolSize: N, classCount: 3, seed: 12 }).modelScores;
    const session = await ActiveTestingSession.create(path, { ...options, comparisonScores });
    const live = [];
    for (let m = 0; m < 60; m++) {
      await drive(session, 1);
      live.push(session.estimate());
    }
    await session.close();
    const reopened = await ActiveTestingSession.open(path);
    const last = live[live.length - 1]!;
    expect(reopened.estimate()).toEqual(last);
    // The guaranteed intervals are there to compare (not NaN on both sides).
    expect(Number.isFinite(last.risk.anytime!.lower) && Number.isFinite(last.comparison!.difference.fixed!.upper)).toBe(true);
    await reopened.close();
  });

  it('keeps who labelled or skipped each item in the file, and forgets it on undo', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, options);
    const [first, second, third] = await session.next(3);
    await session.record(first!.id, truth(first!.id), { annotator: 'ana' });
    await session.skip(second!.id, { annotator: 'bo' });
    await session.record(third!.id, truth(third!.id));
    await expect(session.record(third!.id, 0, { annotator: '' })).rejects.toThrow(
      new InputError({ argument: 'annotator', expected: 'a name of 1 to 200 characters', received: '' }),
    );
    await expect(session.skip(third!.id, { annotator: 'x'.repeat(201) })).rejects.toThrow(/annotator: expected a name of 1 to 200/);
    expect(await session.undo()).toEqual({ id: third!.id, label: classes[truth(third!.id)] });
    expect(session.lastResolution()).toEqual({ id: second!.id, label: null, annotator: 'bo' });
    expect(await session.undo()).toEqual({ id: second!.id, label: null, annotator: 'bo' });
    await session.skip(second!.id, { annotator: 'cy' });
    await expect(session.undo({ annotator: 'ana' })).rejects.toThrow(
      new SessionStateError('the last label was made by another annotator; only they can undo it'),
    );
    await session.close();
    const reopened = await ActiveTestingSession.open(path);
    expect(reopened.history().map(({ id, status, annotator }) => ({ id, status, annotator }))).toEqual([
      { id: first!.id, status: 'labelled', annotator: 'ana' },
      { id: second!.id, status: 'skipped', annotator: 'cy' },
      { id: third!.id, status: 'pending', annotator: undefined },
    ]);
    await reopened.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    const forged = scratch();
    const label = JSON.parse(lines.find((line) => line.includes('"ana"'))!);
    appendFileSync(
      forged,
      [...lines.slice(0, lines.indexOf(JSON.stringify(label))), signedRecordLine({ ...label, a: 7 })].join('\n') + '\n',
    );
    await expect(ActiveTestingSession.open(forged)).rejects.toThrow(/annotator 7 is not a name of 1 to 200 characters/);
  });

  it('drops a torn last line with a warning, and rejects a journal that does not match its seed', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, options);
    await drive(session, 4);
    await session.close();
    appendFileSync(path, '{"e":"label","i":');
    const warnings: string[] = [];
    const reopened = await ActiveTestingSession.open(path, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/not a complete record.*moved to .*torn-1/)]);
    expect(reopened.estimate().labels).toBe(4);
    await drive(reopened, 1);
    await reopened.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.every((line) => JSON.parse(line))).toBe(true);
    const forged = scratch();
    const header = JSON.parse(lines[0]);
    appendFileSync(forged, `${JSON.stringify(header)}\n{"e":"propose","i":0,"q":0.5}\n`);
    await expect(ActiveTestingSession.open(forged)).rejects.toThrow(FileFormatError);
  });
});
