import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileFormatError, InputError } from '../../src/errors.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import type { CustomLoss } from '../../src/session/loss.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { signedRecordLine } from '../helpers/record-lines.js';

const N = 30;
const pool = syntheticPool({ poolSize: N, classCount: 3, seed: 5 });
const options: CreateSessionOptions = {
  texts: Array.from({ length: N }, (_, i) => `item ${i}`),
  classes: ['a', 'b', 'c'],
  modelScores: pool.modelScores,
  surrogateScores: pool.surrogateScores,
  seed: 1,
};
const scratch = () => join(mkdtempSync(join(tmpdir(), 'at-custom-loss-')), 'pool.session');
const argmax = (f: Float64Array): number => f.indexOf(Math.max(...f));
/** |predicted class − label|, within [0, max distance to an end]. */
const distance: CustomLoss = {
  name: 'distance',
  itemLoss: (f, y) => Math.abs(argmax(f) - y),
  bounds: (f) => [0, Math.max(argmax(f), f.length - 1 - argmax(f))],
};

describe("a custom loss's values at labelling time", () => {
  it('refuses a label whose loss is not a finite number before journaling it, naming the item, for a loss without bounds too', async () => {
    const path = scratch();
    // NaN for class c only: iid never evaluates it before a label.
    const partial: CustomLoss = { name: 'partial', itemLoss: (_f, y) => (y === 2 ? Number.NaN : y) };
    const session = await ActiveTestingSession.create(path, { ...options, acquisition: 'iid', loss: partial });
    const [item] = await session.next();
    const before = readFileSync(path, 'utf8');
    await expect(session.record(item.id, 'c')).rejects.toThrow(
      new InputError({ argument: 'loss partial', expected: 'a finite loss', received: Number.NaN, row: item.index }),
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(session.estimate().labels).toBe(0);
    await session.record(item.id, 'b');
    await session.close();
    // The file replays: the refused label never reached it.
    const reopened = await ActiveTestingSession.open(path, { loss: partial });
    expect(reopened.estimate().risk.value).toBeCloseTo(1 / (N * item.probability), 12);
    await reopened.close();
  });

  it('refuses, before journaling it, a label whose loss of the comparison target is not a number', async () => {
    const path = scratch();
    const comparisonScores = { data: pool.modelScores.data.map((v) => -v), rows: N, cols: 3 };
    // A string from the comparison's scores only (its first logit negative where the target's is positive).
    const picky: CustomLoss = { name: 'picky', itemLoss: (f, y) => (f[0] < 0 && y === 0 ? ('0.5' as unknown as number) : 1) };
    const session = await ActiveTestingSession.create(path, { ...options, acquisition: 'iid', comparisonScores, loss: picky });
    let refused = false;
    for (let m = 0; m < N && !refused; m++) {
      const [item] = await session.next();
      const before = readFileSync(path, 'utf8');
      if (comparisonScores.data[item.index * 3] < 0) {
        await expect(session.record(item.id, 'a')).rejects.toThrow(
          new InputError({ argument: 'loss picky of comparisonScores', expected: 'a finite loss', received: '0.5', row: item.index }),
        );
        expect(readFileSync(path, 'utf8')).toBe(before);
        refused = true;
      }
      await session.record(item.id, 'b');
    }
    expect(refused).toBe(true);
    await session.close();
    await (await ActiveTestingSession.open(path, { loss: picky })).close();
  });
});

describe('a label whose loss difference target − comparison lies outside its bounds', () => {
  /** A session of target rows (5, 0, 0) against comparison rows (3, 0, 0), random labelling, under `loss`. */
  const pairedSession = (path: string, loss: CustomLoss) => {
    const rows = (first: number) => ({ data: Float64Array.from({ length: N * 3 }, (_, i) => (i % 3 === 0 ? first : 0)), rows: N, cols: 3 });
    return ActiveTestingSession.create(path, { ...options, modelScores: rows(5), comparisonScores: rows(3), acquisition: 'iid', loss });
  };

  it('is refused before it is journaled, not taken in and then refused by every estimate', async () => {
    const path = scratch();
    // Each loss is within a relative 1e-9 of its own bounds, as sessions allow for rounding; their
    // difference, 4e-9 past [2, 2], is not within 1e-9 of its bounds.
    const nudged: CustomLoss = { name: 'nudged', itemLoss: (f) => (f[0] > 4 ? f[0] + 4e-9 : f[0]), bounds: (f) => [f[0], f[0]] };
    const session = await pairedSession(path, nudged);
    const [item] = await session.next();
    const before = readFileSync(path, 'utf8');
    await expect(session.record(item.id, 'a')).rejects.toThrow(
      new InputError({
        argument: 'loss nudged, target − comparisonScores',
        expected: "a loss difference within the item's bounds [2, 2]",
        received: 5 + 4e-9 - 3,
        row: item.index,
      }),
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(session.estimate().labels).toBe(0);
    await session.close();
    const reopened = await ActiveTestingSession.open(path, { loss: nudged });
    expect(reopened.estimate().labels).toBe(0);
    await reopened.close();
  });

  it('still opens a file that holds one (written before record refused it), so the label can be undone', async () => {
    const path = scratch();
    const nudge = { value: 0 };
    // The same loss throughout; its nudge set after the label is on file, as the check did not exist then.
    const nudged: CustomLoss = { name: 'nudged', itemLoss: (f) => (f[0] > 4 ? f[0] + nudge.value : f[0]), bounds: (f) => [f[0], f[0]] };
    const session = await pairedSession(path, nudged);
    const [item] = await session.next();
    await session.record(item.id, 'a');
    await session.close();
    nudge.value = 4e-9;
    const reopened = await ActiveTestingSession.open(path, { loss: nudged });
    expect(() => reopened.estimate()).toThrow(/within the item's bounds \[2, 2\]/);
    await reopened.undo();
    expect(reopened.estimate().labels).toBe(0);
    await reopened.close();
  });
});

describe('a custom loss that can be negative under adaptive acquisition', () => {
  it('is refused when the session is created if its bounds reach below 0, leaving no file', async () => {
    const path = scratch();
    const signed: CustomLoss = { name: 'signed', itemLoss: (f, y) => (argmax(f) === y ? -1 : 1), bounds: () => [-1, 1] };
    await expect(ActiveTestingSession.create(path, { ...options, acquisition: 'adaptive', loss: signed })).rejects.toThrow(
      /^loss signed bounds \(row 0\): expected lower bounds ≥ 0 under adaptive acquisition .*, got -1$/,
    );
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.lock`)).toBe(false);
    // Any other acquisition takes it, and labels it to the end: the pool's mean loss.
    const session = await ActiveTestingSession.create(null, { ...options, acquisition: 'surrogate-ce', loss: signed });
    let total = 0;
    for (let m = 0; m < N; m++) {
      const [item] = await session.next();
      await session.record(item.id, pool.labels[item.index]);
      total += signed.itemLoss(pool.modelScores.data.subarray(item.index * 3, item.index * 3 + 3), pool.labels[item.index]);
    }
    const { risk } = session.estimate();
    expect(risk.value).toBeCloseTo(total / N, 14);
    expect(risk.anytime!.lower).toBeLessThanOrEqual(total / N);
    expect(risk.anytime!.upper).toBeGreaterThanOrEqual(total / N);
  });

  it('refuses a negative label loss of a loss without bounds before journaling it, and proposes on', async () => {
    const path = scratch();
    const signed: CustomLoss = { name: 'signed', itemLoss: (f, y) => (argmax(f) === y ? -1 : 1) };
    const session = await ActiveTestingSession.create(path, { ...options, acquisition: 'adaptive', loss: signed });
    const [item] = await session.next();
    const right = argmax(pool.modelScores.data.subarray(item.index * 3, item.index * 3 + 3));
    const before = readFileSync(path, 'utf8');
    await expect(session.record(item.id, right)).rejects.toThrow(
      /^loss signed \(row \d+\): expected a loss ≥ 0 under adaptive acquisition .*, got -1$/,
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
    await session.record(item.id, (right + 1) % 3);
    // Before the fix the adaptive sampler refused the journaled -1 at every later draw.
    expect(await session.next()).toHaveLength(1);
    await session.close();
  });
});

describe('open with a custom loss of the same name', () => {
  it('refuses at open, as an InputError naming the loss and leaving the file as it was, a loss that refuses a journaled label', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, { ...options, acquisition: 'iid', loss: distance });
    for (let m = 0; m < 10; m++) {
      const [item] = await session.next();
      await session.record(item.id, pool.labels[item.index]);
    }
    await session.close();
    const before = readFileSync(path, 'utf8');
    const scaled: CustomLoss = { ...distance, itemLoss: (f, y) => 10 * distance.itemLoss(f, y) };
    const nan: CustomLoss = { name: 'distance', itemLoss: () => Number.NaN };
    for (const loss of [scaled, nan]) {
      const refused = ActiveTestingSession.open(path, { loss });
      await expect(refused).rejects.toThrow(InputError);
      await expect(refused).rejects.toThrow(
        /^loss: expected the custom loss "distance" that .* was created with: the loss given refuses the label on its line \d+ \(loss distance \(row \d+\): expected a /,
      );
      await expect(ActiveTestingSession.open(path, { loss, readOnly: true })).rejects.toThrow(InputError);
    }
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(existsSync(`${path}.lock`)).toBe(false);
    // The loss it was created with still opens it, and estimates.
    const reopened = await ActiveTestingSession.open(path, { loss: { ...distance } });
    expect(reopened.estimate().labels).toBe(10);
    await reopened.close();
  });

  it('says, when no loss is given, where the loss object goes (the command line, which names it --loss, has none)', async () => {
    const path = scratch();
    await (await ActiveTestingSession.create(path, { ...options, loss: distance })).close();
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(
      `loss: expected the custom loss "distance" that ${path} was created with: its loss object, passed to ActiveTestingSession.open(path, { loss }) (a session of a custom loss cannot be reopened from the command line)`,
    );
  });

  it('names the loss as a cause when the proposals it steers do not replay', async () => {
    const path = scratch();
    const session = await ActiveTestingSession.create(path, { ...options, acquisition: 'surrogate-ce', loss: distance });
    await session.next();
    await session.close();
    const other: CustomLoss = { ...distance, itemLoss: (f, y) => (argmax(f) === y ? 0 : 2) };
    const refused = ActiveTestingSession.open(path, { loss: other });
    await expect(refused).rejects.toThrow(FileFormatError);
    await expect(refused).rejects.toThrow(/or the custom loss given to open is not the "distance" it was created with\)/);
  });
});

describe("a custom loss's bounds", () => {
  it("of the comparison's scores, refused, are named as theirs", async () => {
    const comparisonScores = { data: pool.modelScores.data.map((v) => v + 100), rows: N, cols: 3 };
    const shifted: CustomLoss = { name: 'shifted', itemLoss: () => 0, bounds: (f) => (f[0] > 50 ? [0, Number.NaN] : [0, 1]) };
    await expect(ActiveTestingSession.create(null, { ...options, comparisonScores, loss: shifted })).rejects.toThrow(
      'loss shifted bounds of comparisonScores (row 0): expected finite [lower, upper] with lower ≤ upper, got [0, NaN]',
    );
    // Its expected loss for the proposal likewise.
    const nan: CustomLoss = { name: 'nan', itemLoss: (f) => (f[0] > 50 ? Number.NaN : 0), bounds: () => [0, 1] };
    await expect(
      ActiveTestingSession.create(null, { ...options, acquisition: 'surrogate-ce', comparisonScores, loss: nan }),
    ).rejects.toThrow('loss nan of comparisonScores (row 0): expected a finite loss, got NaN');
  });

  it('refuses bounds that return more than a pair', async () => {
    const triple = { ...distance, bounds: () => [0, 2, 5] as unknown as [number, number] };
    await expect(ActiveTestingSession.create(null, { ...options, loss: triple })).rejects.toThrow(
      'loss distance bounds (row 0): expected finite [lower, upper] with lower ≤ upper, got [0, 2, 5]',
    );
  });

  it('targetHalfWidth, refused without target scores, says that those are missing, not the bounds', async () => {
    const session = await ActiveTestingSession.create(null, {
      texts: options.texts,
      classes: options.classes,
      surrogateScores: pool.surrogateScores,
      acquisition: 'surrogate-pe',
      loss: distance,
      scoreTarget: async (texts) =>
        texts.map((t) => Array.from(pool.modelScores.data.subarray(3 * Number(t.slice(5)), 3 * Number(t.slice(5)) + 3))),
    });
    expect(() => session.done({ targetHalfWidth: 0.1 })).toThrow(
      'targetHalfWidth: expected per-item loss bounds known before labelling, to stop on the confidence sequence: modelScores (this session scores the target on demand), or the zero-one or Brier loss, got "custom:distance"',
    );
    const unbounded = await ActiveTestingSession.create(null, { ...options, loss: { name: 'u', itemLoss: distance.itemLoss } });
    expect(() => unbounded.done({ targetHalfWidth: 0.1 })).toThrow(
      'targetHalfWidth: expected per-item loss bounds known before labelling, to stop on the confidence sequence: a custom loss with `bounds`, or the zero-one or Brier loss, got "custom:u"',
    );
  });
});

describe("a custom loss's scores argument", () => {
  it('is a copy: a loss that softmaxes it in place leaves the session as the same loss computed on a copy', async () => {
    const oneMinusP = (f: Float64Array, y: number): number => {
      const top = Math.max(...f);
      let total = 0;
      for (let k = 0; k < f.length; k++) total += Math.exp(f[k] - top);
      return 1 - Math.exp(f[y] - top) / total;
    };
    const inPlace: CustomLoss = {
      name: 'one-minus-p',
      itemLoss: (f, y) => {
        const top = Math.max(...f);
        let total = 0;
        for (let k = 0; k < f.length; k++) total += f[k] = Math.exp(f[k] - top);
        for (let k = 0; k < f.length; k++) f[k] /= total;
        return 1 - f[y];
      },
      bounds: () => [0, 1],
    };
    const copying: CustomLoss = { ...inPlace, itemLoss: (f, y) => oneMinusP(Float64Array.from(f), y) };
    const path = scratch();
    const sessions = [await ActiveTestingSession.create(path, { ...options, acquisition: 'surrogate-ce', loss: inPlace })];
    sessions.push(await ActiveTestingSession.create(null, { ...options, acquisition: 'surrogate-ce', loss: copying }));
    for (let m = 0; m < 12; m++) {
      for (const session of sessions) {
        const [item] = await session.next();
        await session.record(item.id, pool.labels[item.index]);
      }
    }
    expect(sessions[0].history()).toEqual(sessions[1].history());
    expect(sessions[0].estimate()).toEqual(sessions[1].estimate());
    await sessions[0].close();
    const reopened = await ActiveTestingSession.open(path, { loss: inPlace });
    expect(reopened.estimate()).toEqual(sessions[1].estimate());
    await reopened.close();
  });
});

describe("a custom loss's bounds, checked before the proposal", () => {
  it('refuses a bound before any itemLoss call of a surrogate-ce proposal, and computes each bound once', async () => {
    let losses = 0;
    let bounds = 0;
    const counted = (lastBound: number): CustomLoss => ({
      name: 'counted',
      itemLoss: (f, y) => {
        losses++;
        return distance.itemLoss(f, y);
      },
      bounds: (f) => {
        bounds++;
        return bounds === N ? [0, lastBound] : distance.bounds!(f);
      },
    });
    await expect(ActiveTestingSession.create(null, { ...options, acquisition: 'surrogate-ce', loss: counted(Number.NaN) })).rejects.toThrow(
      `loss counted bounds (row ${N - 1}): expected finite [lower, upper] with lower ≤ upper, got [0, NaN]`,
    );
    expect(losses).toBe(0);
    bounds = 0;
    await ActiveTestingSession.create(null, { ...options, acquisition: 'surrogate-ce', loss: counted(2) });
    expect(bounds).toBe(N);
    expect(losses).toBe(N * 3);
  });
});

describe('a custom loss, found out by the review', () => {
  it('leaves a target scored on demand unknown when its label is refused, so the next label journals its scores', async () => {
    const path = scratch();
    const { modelScores: _scores, ...onDemand } = options;
    const scoreTarget = async (texts: readonly string[]) =>
      texts.map((text) => Array.from(pool.modelScores.data.subarray(+text.slice(5) * 3, +text.slice(5) * 3 + 3)));
    const partial: CustomLoss = { name: 'partial', itemLoss: (f, y) => (y === 2 ? Number.NaN : Math.abs(f[y])) };
    const session = await ActiveTestingSession.create(path, { ...onDemand, acquisition: 'iid', loss: partial, scoreTarget });
    const [item] = await session.next();
    await expect(session.record(item.id, 'c')).rejects.toThrow(InputError);
    await session.record(item.id, 'b');
    const live = session.estimate().risk.value;
    await session.close();
    const label = readFileSync(path, 'utf8').trim().split('\n').at(-1) as string;
    expect(JSON.parse(label).f).toEqual(Array.from(pool.modelScores.data.subarray(item.index * 3, item.index * 3 + 3)));
    const reopened = await ActiveTestingSession.open(path, { loss: partial, scoreTarget });
    expect(reopened.estimate().risk.value).toBe(live);
    await reopened.close();
  });

  it('gives each item its own array, so a loss caching by its argument reads its own row', async () => {
    const plain: CustomLoss = { name: 'top', itemLoss: (f, y) => Math.exp(f[y]) / f.reduce((s, v) => s + Math.exp(v), 0) };
    const cache = new WeakMap<Float64Array, number>();
    const caching: CustomLoss = {
      name: 'top',
      itemLoss: (f, y) => {
        const total = cache.get(f) ?? f.reduce((s, v) => s + Math.exp(v), 0);
        cache.set(f, total);
        return Math.exp(f[y]) / total;
      },
    };
    const run = async (loss: CustomLoss) => {
      const session = await ActiveTestingSession.create(null, { ...options, acquisition: 'surrogate-ce', loss });
      for (let m = 0; m < 5; m++) {
        const [item] = await session.next();
        await session.record(item.id, pool.labels[item.index]);
      }
      return { history: session.history().map((record) => record.index), risk: session.estimate().risk.value };
    };
    expect(await run(caching)).toEqual(await run(plain));
  });

  it('opens a file holding an undone negative label under adaptive acquisition, as the build that wrote it did', async () => {
    const path = scratch();
    const signed: CustomLoss = { name: 'signed', itemLoss: (f, y) => (argmax(f) === y ? -1 : 1) };
    const session = await ActiveTestingSession.create(path, { ...options, acquisition: 'adaptive', loss: signed });
    const [item] = await session.next();
    const right = argmax(pool.modelScores.data.subarray(item.index * 3, item.index * 3 + 3));
    await session.record(item.id, (right + 1) % 3);
    await session.close();
    // What an earlier build let through: a negative label, undone.
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const label = JSON.parse(lines.at(-1) as string) as { s: number };
    writeFileSync(
      path,
      [
        ...lines.slice(0, -1),
        signedRecordLine({ ...JSON.parse(lines.at(-1) as string), y: right }),
        signedRecordLine({ e: 'undo', i: item.index, s: label.s + 1 }),
      ].join('\n') + '\n',
    );
    const reopened = await ActiveTestingSession.open(path, { loss: signed });
    expect(reopened.estimate().labels).toBe(0);
    await reopened.close();
  });
});

describe('losses past 2^480/√N, whose squares overflow the error bars', () => {
  const limit = 2 ** 480 / Math.sqrt(N);

  it('with a comparison, refuses bounds whose difference passes the limit under the loss’s name', async () => {
    // Each side within the limit, the difference of [−0.9L, 0.9L] with itself reaches 1.8L: it was
    // refused by the difference's sequence, naming its own `lowerBounds`.
    const signed: CustomLoss = { name: 'signed', itemLoss: () => 0, bounds: () => [-0.9 * limit, 0.9 * limit] };
    await ActiveTestingSession.create(null, { ...options, acquisition: 'iid', loss: signed });
    const compared = ActiveTestingSession.create(null, {
      ...options,
      acquisition: 'iid',
      loss: signed,
      comparisonScores: pool.modelScores,
    });
    await expect(compared).rejects.toThrow(InputError);
    await expect(compared).rejects.toThrow(
      /^loss signed bounds \(row 0\): expected bounds whose difference target − comparison is at most 2\^480\/√N = 5\.70e\+143 for N = 30 in magnitude \(two sides within it can reach twice it\), got a difference in \[-1\.02\d*e\+144, 1\.02\d*e\+144\]$/,
    );
  });

  it('refuses declared bounds past the limit when the session is created, writing nothing', async () => {
    const path = scratch();
    const huge: CustomLoss = { name: 'huge', itemLoss: () => 0, bounds: () => [0, 1e300] };
    await expect(ActiveTestingSession.create(path, { ...options, acquisition: 'iid', loss: huge })).rejects.toThrow(
      new InputError({
        argument: 'loss huge bounds',
        expected: 'bounds at most 2^480/√N = 5.70e+143 for N = 30 in magnitude',
        received: [0, 1e300],
        row: 0,
      }),
    );
    expect(existsSync(path)).toBe(false);
    // Just under it: every interval finite.
    const under: CustomLoss = {
      name: 'under',
      itemLoss: (_f, y) => (y === 0 ? limit * (1 - 1e-9) : 0),
      bounds: () => [0, limit * (1 - 1e-9)],
    };
    const session = await ActiveTestingSession.create(null, { ...options, acquisition: 'iid', loss: under });
    for (let m = 0; m < 10; m++) {
      const [item] = await session.next();
      await session.record(item.id, m % 3);
    }
    const { risk } = session.estimate();
    expect(risk.value).toBeGreaterThan(0);
    for (const value of [
      risk.standardError,
      risk.bootstrap.lower,
      risk.bootstrap.upper,
      risk.anytime!.lower,
      risk.anytime!.upper,
      risk.fixed!.lower,
      risk.fixed!.upper,
    ]) {
      expect(Number.isFinite(value)).toBe(true);
    }
  });

  it('refuses, before journaling it, a label whose loss without bounds is past the limit, for a target scored on demand too', async () => {
    const path = scratch();
    // Without bounds the loss is only known at the label: its bootstrap interval was [−∞, ∞].
    const huge: CustomLoss = { name: 'huge', itemLoss: (_f, y) => (y === 2 ? -1e300 : y) };
    const session = await ActiveTestingSession.create(path, { ...options, acquisition: 'iid', loss: huge });
    const [item] = await session.next();
    const before = readFileSync(path, 'utf8');
    await expect(session.record(item.id, 'c')).rejects.toThrow(
      new InputError({
        argument: 'loss huge',
        expected: 'a loss at most 2^480/√N = 5.70e+143 for N = 30 in magnitude',
        received: -1e300,
        row: item.index,
      }),
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
    await session.record(item.id, 'b');
    expect(session.estimate().risk.value).toBeCloseTo(1 / (N * item.probability), 12);
    await session.close();
    // The cross-entropy of a target scored on demand has no bounds up front either.
    const { modelScores: _scores, ...onDemand } = options;
    const scoreTarget = async (texts: readonly string[]) => texts.map(() => [0, 0, 1e300]);
    const scored = await ActiveTestingSession.create(null, { ...onDemand, acquisition: 'iid', scoreTarget });
    const [next] = await scored.next();
    await expect(scored.record(next.id, 'a')).rejects.toThrow(/^loss cross-entropy \(row \d+\): expected a loss at most 2\^480\/√N/);
    expect(scored.estimate().labels).toBe(0);
  });
});
