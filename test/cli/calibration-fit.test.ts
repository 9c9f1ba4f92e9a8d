import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fitTemperature } from '../../src/calibration/temperature.js';
import { writeNpy } from '../../src/io/npy.js';
import { runCli } from '../../src/cli/run.js';
import { runCliCaptured } from '../helpers/cli.js';
import { createArgs, writePoolFiles } from '../session/cli-pool.js';

// Every fit of a surrogate temperature, counted: a command fits its calibration set once and warns
// from that fit, not from a second one.
vi.mock('../../src/calibration/temperature.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/calibration/temperature.js')>();
  return { ...original, fitTemperature: vi.fn(original.fitTemperature) };
});

const BOUND_WARNING =
  'warning: --calibration-scores: the surrogate temperature T = 0.02 is the end of its search range [0.02, 50], not a fitted value: the likelihood still rises as T falls below it: the surrogate ranks (nearly) every calibration label first; more or harder calibration labels would fit it';

/** A binary calibration set whose every label is its row's top class: its temperature is the search bound. */
async function writeSeparableCalibration(dir: string): Promise<string[]> {
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % 2);
  const scores = Float64Array.from({ length: 80 }, (_, j) => (j % 2 === labels[j >> 1] ? 2 : 0));
  await writeNpy(join(dir, 'cal-g.npy'), { data: scores, shape: [40, 2], dtype: 'f8' });
  await writeNpy(join(dir, 'cal-y.npy'), { data: labels, shape: [40], dtype: 'i4' });
  return ['--calibration-scores', join(dir, 'cal-g.npy'), '--calibration-labels', join(dir, 'cal-y.npy')];
}

const warnings = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('warning:'));

beforeEach(() => {
  vi.mocked(fitTemperature).mockClear();
});

describe('a calibration set whose fitted temperature is its search bound, on the command line', () => {
  it('simulate fits it once, warns once, and records the fit in summary.json', async () => {
    const files = await writePoolFiles(60, 3);
    const calibration = await writeSeparableCalibration(files.dir);
    const out = join(files.dir, 'out');
    const pool = ['--model-scores', files.modelScores, '--surrogate-scores', files.surrogateScores];
    const labels = join(files.dir, 'y.npy');
    await writeNpy(labels, { data: files.pool.labels, shape: [60], dtype: 'i4' });
    const run = await runCliCaptured([
      'simulate',
      ...pool,
      '--labels',
      labels,
      ...calibration,
      '--runs',
      '2',
      '--size',
      '5',
      '--threads',
      '1',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(warnings(run.stderr)).toEqual([BOUND_WARNING]);
    expect(fitTemperature).toHaveBeenCalledTimes(1);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.calibration).toMatchObject({ rows: 40, temperature: 0.02, at_bound: true });
    expect(summary.config.temperature).toBe(0.02);
  });

  it('label fits it once when it creates the session, and warns once from the fit the session recorded', async () => {
    const files = await writePoolFiles(60, 8);
    const calibration = await writeSeparableCalibration(files.dir);
    const answers = join(files.dir, 'answers.tsv');
    writeFileSync(answers, ['id\tlabel', ...files.ids.map((id, i) => `${id}\t${files.pool.labels[i]}`)].join('\n'));
    const session = join(files.dir, 'c.session');
    const run = await runCliCaptured([
      ...createArgs(files, session, 1),
      '--acquisition',
      'surrogate-ce',
      '--answers',
      answers,
      '--max-labels',
      '3',
      ...calibration,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(warnings(run.stderr)).toEqual([BOUND_WARNING]);
    expect(fitTemperature).toHaveBeenCalledTimes(1);
    expect(JSON.parse(readFileSync(session, 'utf8').split('\n')[0] as string).calibration).toMatchObject({
      temperature: 0.02,
      atBound: true,
    });
  });

  it('serve fits it once when it creates the session, and warns once', async () => {
    const files = await writePoolFiles(60, 8);
    const calibration = await writeSeparableCalibration(files.dir);
    const session = join(files.dir, 'serve.session');
    const [, ...pool] = createArgs(files, session, 1);
    // Stopped as Ctrl-C stops it, once it serves: the session is created by then.
    const stderr: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      if (a.join(' ').startsWith('Stop with Ctrl-C')) setImmediate(() => process.emit('SIGINT'));
    });
    try {
      expect(await runCli(['serve', ...pool, ...calibration, '--port', '0'])).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    // The pool file's label column gets its own warning, as every pool file with one does.
    const unread =
      `warning: ${files.data} has a "label" column, which a session does not read (the annotators give its labels); ` +
      `to label the session from it, after stopping the server, run active-testing label --session ${session} --answers ${files.data}`;
    expect(warnings(stderr.join('\n'))).toEqual([BOUND_WARNING, unread]);
    expect(fitTemperature).toHaveBeenCalledTimes(1);
    const header = JSON.parse(readFileSync(session, 'utf8').split('\n')[0] as string);
    expect(header.temperature).toBe(0.02);
    expect(header.calibration).toMatchObject({ atBound: true });
  });
});

describe('a calibration set that is the pool itself', () => {
  it('simulate warns once, naming --calibration-scores, and not of a held-out set', async () => {
    const files = await writePoolFiles(60, 3);
    const labels = join(files.dir, 'y.npy');
    await writeNpy(labels, { data: files.pool.labels, shape: [60], dtype: 'i4' });
    const held = join(files.dir, 'held-y.npy');
    await writeNpy(held, { data: files.pool.labels.map((y) => (y === 0 ? 1 : 0)), shape: [60], dtype: 'i4' });
    const pool = ['--model-scores', files.modelScores, '--surrogate-scores', files.surrogateScores, '--labels', labels];
    const run = (calibrationLabels: string, out: string, calibrationScores = files.surrogateScores) =>
      runCliCaptured([
        'simulate',
        ...pool,
        '--calibration-scores',
        calibrationScores,
        '--calibration-labels',
        calibrationLabels,
        ...['--runs', '2', '--size', '5', '--threads', '1', '--out', join(files.dir, out)],
      ]);
    const itself = await run(labels, 'itself');
    expect(itself.code, itself.stderr).toBe(0);
    expect(warnings(itself.stderr)).toEqual([
      "warning: --calibration-scores: the calibration set is the pool itself (the surrogate's scores and the pool's labels): the temperature is fitted on the very labels whose risk is estimated, so the proposal has seen the labels it is tested on, as no real run's has; calibrate on labelled items outside the pool",
    ]);
    const heldOut = await run(held, 'held-out');
    expect(heldOut.code, heldOut.stderr).toBe(0);
    // Other labels on the same items are not the pool (their fit is warned of on its own).
    expect(heldOut.stderr).not.toMatch(/pool itself/);
    // Nor are the pool's labels with other scores (the target's), as a set sharing them by chance.
    const otherScores = await run(labels, 'other-scores', files.modelScores);
    expect(otherScores.code, otherScores.stderr).toBe(0);
    expect(otherScores.stderr).not.toMatch(/pool itself/);
    // A set the options refuse (iid reads no model's probabilities) is refused alone, not warned of first.
    const refused = await runCliCaptured([
      'simulate',
      ...pool,
      ...['--acquisition', 'iid', '--calibration-scores', files.surrogateScores, '--calibration-labels', labels],
      ...['--runs', '2', '--size', '5', '--out', join(files.dir, 'refused')],
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'active-testing simulate: --calibration-scores: expected a surrogate acquisition (iid reads no model\'s probabilities), got "iid"',
    );
  });
});
