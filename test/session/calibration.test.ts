import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitTemperature } from '../../src/calibration/index.js';
import { InputError } from '../../src/errors.js';
import { writeNpy } from '../../src/io/npy.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { simulate } from '../../src/simulate/simulate.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { CLI, createArgs, writePoolFiles } from './cli-pool.js';

const N = 100;
const pool = syntheticPool({ poolSize: N, classCount: 3, seed: 21 });
const heldOut = syntheticPool({ poolSize: 60, classCount: 3, seed: 22 });
const texts = Array.from({ length: N }, (_, i) => `item ${i}`);
const base: CreateSessionOptions = {
  texts,
  classes: ['a', 'b', 'c'],
  modelScores: pool.modelScores,
  surrogateScores: pool.surrogateScores,
  acquisition: 'surrogate-ce',
  seed: 4,
};
const calibration = { scores: heldOut.surrogateScores, labels: heldOut.labels };

/** The one line `label` and `serve` print when the calibration set leaves the temperature at its search bound. */
const BOUND_WARNING =
  'warning: --calibration-scores: the surrogate temperature T = 0.02 is the end of its search range [0.02, 50], not a fitted value: the likelihood still rises as T falls below it: the surrogate ranks (nearly) every calibration label first; more or harder calibration labels would fit it';

/** A calibration set whose every label is its row's top class: the likelihood grows without end as T → 0. */
async function writeSeparableCalibration(dir: string): Promise<{ scores: string; labels: string }> {
  const labelsOf = Int32Array.from({ length: 40 }, (_, i) => i % 2);
  const separable = Float64Array.from({ length: 80 }, (_, j) => (j % 2 === labelsOf[j >> 1] ? 2 : 0));
  const scores = join(dir, 'cal-g.npy');
  const labels = join(dir, 'cal-y.npy');
  await writeNpy(scores, { data: separable, shape: [40, 2], dtype: 'f8' });
  await writeNpy(labels, { data: labelsOf, shape: [40], dtype: 'i4' });
  return { scores, labels };
}

async function proposals(options: CreateSessionOptions, count: number): Promise<string[]> {
  const session = await ActiveTestingSession.create(null, options);
  const ids: string[] = [];
  for (let m = 0; m < count; m++) {
    const [item] = await session.next();
    ids.push(item.id);
    await session.record(item.id, pool.labels[Number(item.id)]);
  }
  await session.close();
  return ids;
}

describe('session surrogate calibration', () => {
  it('fits the surrogate temperature on the held-out set, records it, and proposes as with that temperature given', async () => {
    const fit = fitTemperature(heldOut.surrogateScores, heldOut.labels);
    const session = await ActiveTestingSession.create(null, { ...base, calibration });
    expect(session.settings.temperature).toBe(fit.temperature);
    expect(fit.atBound).toBe(false);
    expect(session.settings.calibration).toEqual({ rows: 60, temperature: fit.temperature, nll: fit.nll, atBound: false });
    await session.close();
    const calibrated = await proposals({ ...base, calibration }, 15);
    expect(calibrated).toEqual(await proposals({ ...base, temperature: fit.temperature }, 15));
    expect(calibrated).not.toEqual(await proposals(base, 15));
  });

  it('records when the temperature is its search bound, and opens files written before that was recorded', async () => {
    // Every label its row's top class: the likelihood rises without end as T → 0.
    const separable = {
      scores: [
        [3, 0, 0],
        [0, 3, 0],
        [0, 0, 3],
        [3, 0, 0],
      ],
      labels: [0, 1, 2, 0],
    };
    const fit = fitTemperature(separable.scores, separable.labels);
    const recorded = { rows: 4, temperature: 0.02, nll: fit.nll, atBound: true };
    const path = join(mkdtempSync(join(tmpdir(), 'at-calibration-')), 'bound.session');
    const session = await ActiveTestingSession.create(path, { ...base, calibration: separable });
    expect(session.settings.calibration).toEqual(recorded);
    expect(session.settings.temperature).toBe(0.02);
    const [item] = await session.next();
    await session.record(item.id, pool.labels[Number(item.id)]);
    await session.close();
    const reopened = await ActiveTestingSession.open(path);
    expect(reopened.settings.calibration).toEqual(recorded);
    await reopened.close();

    const [line, ...records] = readFileSync(path, 'utf8').split('\n');
    /** The file with its header's calibration replaced, checksummed as the library writes it. */
    const withCalibration = (calibration: Record<string, unknown>): void => {
      const { checksum: _checksum, ...header } = JSON.parse(line as string) as Record<string, unknown>;
      const json = JSON.stringify({ ...header, calibration });
      const digest = createHash('sha256').update(json).digest('hex');
      writeFileSync(path, [`${json.slice(0, -1)},"checksum":"sha256:${digest}"}`, ...records].join('\n'));
    };
    // As a version that did not record atBound wrote it: it opens, and says nothing of the bound.
    const { atBound: _atBound, ...older } = recorded;
    withCalibration(older);
    const old = await ActiveTestingSession.open(path);
    expect(old.settings.calibration).toEqual(older);
    expect(old.history().map((entry) => entry.id)).toEqual([item.id]);
    await old.close();
    withCalibration({ ...recorded, atBound: 'yes' });
    await expect(ActiveTestingSession.open(path)).rejects.toThrow(/calibration is damaged/);
  });

  it('refuses a temperature as well, self-entropy, and a calibration set with the wrong number of classes', async () => {
    await expect(ActiveTestingSession.create(null, { ...base, calibration, temperature: 2 })).rejects.toThrow(/calibration/);
    await expect(ActiveTestingSession.create(null, { ...base, calibration, acquisition: 'self-entropy' })).rejects.toThrow(InputError);
    const twoClasses = { scores: { data: new Float64Array(4), shape: [2, 2] as [number, number] }, labels: Int32Array.of(0, 1) };
    await expect(ActiveTestingSession.create(null, { ...base, calibration: twoClasses })).rejects.toThrow(/calibration\.scores/);
  });

  it('refuses a calibration set without its scores or its labels with an InputError, in sessions and simulate alike', async () => {
    for (const partial of [{ scores: heldOut.surrogateScores }, { labels: heldOut.labels }]) {
      await expect(ActiveTestingSession.create(null, { ...base, calibration: partial as never })).rejects.toThrow(InputError);
      await expect(simulate(pool, { acquisition: 'surrogate-ce', runs: 2, size: 5, calibration: partial as never })).rejects.toThrow(
        InputError,
      );
    }
    await expect(simulate({ modelScores: pool.modelScores } as never, { runs: 2, size: 5 })).rejects.toThrow(/^labels: expected/);
  });

  it('names the part of the calibration set at fault as sessions do, calibration.scores or calibration.labels, in simulate too', async () => {
    const twoClasses = { scores: { data: new Float64Array(4), shape: [2, 2] as [number, number] }, labels: Int32Array.of(0, 1) };
    const options = { acquisition: 'surrogate-ce', runs: 2, size: 5 } as const;
    await expect(simulate(pool, { ...options, calibration: twoClasses })).rejects.toThrow(
      /^calibration\.scores: expected scores with 3 columns/,
    );
    await expect(simulate(pool, { ...options, calibration: { ...calibration, labels: heldOut.labels.slice(1) } })).rejects.toThrow(
      /^calibration\.labels: expected 60 labels/,
    );
  });

  it('active-testing label --calibration-scores/--calibration-labels stores the fitted temperature in the session header', async () => {
    const files = await writePoolFiles(60, 8);
    const binary = syntheticPool({ poolSize: 40, classCount: 2, seed: 9 });
    const scores = join(files.dir, 'cal-g.npy');
    const labels = join(files.dir, 'cal-y.npy');
    await writeNpy(scores, { data: binary.surrogateScores.data, shape: [40, 2], dtype: 'f8' });
    await writeNpy(labels, { data: binary.labels, shape: [40], dtype: 'i4' });
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    const session = join(files.dir, 'c.session');
    const args = [...createArgs(files, session, 1), '--acquisition', 'surrogate-ce', '--answers', answers, '--max-labels', '3'];
    const result = spawnSync(process.execPath, [...CLI, ...args, '--calibration-scores', scores, '--calibration-labels', labels], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const fit = fitTemperature(binary.surrogateScores, binary.labels);
    expect(result.stdout).toContain(`surrogate temperature fitted on 40 calibration labels: T = ${fit.temperature.toFixed(4)}`);
    const header = JSON.parse(readFileSync(session, 'utf8').split('\n')[0] as string);
    expect(header.temperature).toBe(fit.temperature);
    expect(header.calibration).toEqual({ rows: 40, temperature: fit.temperature, nll: fit.nll, atBound: false });
    const alone = spawnSync(
      process.execPath,
      [...CLI, ...createArgs(files, join(files.dir, 'd.session'), 1), '--answers', answers, '--calibration-scores', scores],
      { encoding: 'utf8' },
    );
    expect(alone.status).toBe(2);
    expect(alone.stderr).toMatch(/--calibration-labels/);
    // A calibration set of another number of classes: named by its flag, as in simulate.
    const three = syntheticPool({ poolSize: 40, classCount: 3, seed: 9 });
    await writeNpy(join(files.dir, 'cal-g3.npy'), { data: three.surrogateScores.data, shape: [40, 3], dtype: 'f8' });
    const wrong = spawnSync(
      process.execPath,
      [
        ...CLI,
        ...createArgs(files, join(files.dir, 'e.session'), 1),
        '--answers',
        answers,
        '--calibration-scores',
        join(files.dir, 'cal-g3.npy'),
        '--calibration-labels',
        labels,
      ],
      { encoding: 'utf8' },
    );
    expect(wrong.status).toBe(1);
    // In the words simulate and a grid use, before the labels are read.
    expect(wrong.stderr).toBe(
      'active-testing label: --calibration-scores: expected scores with 2 columns, one per class of the pool, got 3\n',
    );
    // A class count wrong in --classes or in the model scores: the model scores' own check names it,
    // and the calibration scores, right for the other one, are not blamed.
    const createWith = (name: string, flag: string, value: string) => {
      const args = createArgs(files, join(files.dir, name), 1);
      args[args.indexOf(flag) + 1] = value;
      return spawnSync(
        process.execPath,
        [...CLI, ...args, '--answers', answers, '--calibration-scores', scores, '--calibration-labels', labels],
        {
          encoding: 'utf8',
        },
      );
    };
    const typo = createWith('f.session', '--classes', 'negative,positive,neutral');
    expect(typo.status).toBe(1);
    expect(typo.stderr).toBe(
      'active-testing label: --model-scores: expected 60×3 scores (one row per text, one column per class), got the shape 60×2\n',
    );
    const wideScores = join(files.dir, 'f3.npy');
    const wide = syntheticPool({ poolSize: 60, classCount: 3, seed: 8 });
    await writeNpy(wideScores, { data: wide.modelScores.data, shape: [60, 3], dtype: 'f8' });
    const wider = createWith('g.session', '--model-scores', wideScores);
    expect(wider.status).toBe(1);
    expect(wider.stderr).toBe(
      'active-testing label: --model-scores: expected 60×2 scores (one row per text, one column per class), got the shape 60×3\n',
    );
  });

  it('active-testing label warns in one line when the calibration set is separable and the temperature is its search bound', async () => {
    const files = await writePoolFiles(60, 8);
    const { scores, labels } = await writeSeparableCalibration(files.dir);
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    const session = join(files.dir, 'c.session');
    const args = [...createArgs(files, session, 1), '--acquisition', 'surrogate-ce', '--answers', answers, '--max-labels', '3'];
    const result = spawnSync(process.execPath, [...CLI, ...args, '--calibration-scores', scores, '--calibration-labels', labels], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(`${BOUND_WARNING}\n`);
    expect(result.stdout).toContain('surrogate temperature fitted on 40 calibration labels: T = 0.0200');
    expect(JSON.parse(readFileSync(session, 'utf8').split('\n')[0] as string).temperature).toBe(0.02);
  });
});
