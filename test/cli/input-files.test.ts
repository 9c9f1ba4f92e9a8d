import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';

// Input files saved the wrong way, as the built command meets them: each says what the file is and
// what to do, naming the flag (one line, exit 1), or warns where the input is valid but most likely
// not what was meant.

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliPath = join(repoRoot, 'dist/cli.js');
const fixtures = join(repoRoot, 'test/fixtures/npy');
const dir = mkdtempSync(join(tmpdir(), 'at-input-files-'));
const N = 6;
const K = 3;
/** Logits of 6 items, 3 classes; `probabilities` are their softmax (each row sums to 1). */
const logits = Float64Array.of(2, 0, -1, 0.5, 1.5, 0, -1, -1, 3, 1, 0, 0, 0, 2, 1, 0.3, 0.3, 0.3);
const probabilities = Float64Array.from(logits, (_, i) => {
  const row = Math.floor(i / K);
  const values = Array.from(logits.subarray(row * K, (row + 1) * K));
  return Math.exp(logits[i]!) / values.reduce((s, v) => s + Math.exp(v), 0);
});
const labels = Int32Array.of(0, 1, 2, 0, 1, 2);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...argv: string[]): Run {
  const child = spawnSync(process.execPath, [cliPath, ...argv], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** A refusal as the user should see it: exit 1, this one line on stderr and nothing else, no stack trace. */
function expectRefused(run: Run, line: string): void {
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr).toBe(`${line}\n`);
}

const path = (name: string): string => join(dir, name);

beforeAll(async () => {
  await writeNpy(path('f.npy'), { data: logits, shape: [N, K] });
  await writeNpy(path('p.npy'), { data: probabilities, shape: [N, K] });
  await writeNpy(path('y.npy'), labels);
  copyFileSync(join(fixtures, 'scores.npz'), path('scores.npz'));
  copyFileSync(join(fixtures, 'scores.pkl'), path('scores.pkl'));
  // A pickle under a .npy name: told by its bytes, not by its name.
  copyFileSync(join(fixtures, 'scores.pkl'), path('pickled.npy'));
  writeFileSync(path('pool.csv'), 'sentence,label\ngood film,0\nbad film,1\nodd film,2\nfine,0\nmeh,1\nugh,2\n');
  writeFileSync(path('pool-semicolon.csv'), 'sentence;label\ngood, really;0\nbad film;1\nodd film;2\nfine;0\nmeh;1\nugh;2\n');
  writeFileSync(path('pool-tabs.csv'), 'sentence\tlabel\ngood film\t0\n');
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
});

const simulate = (scores: string, more: string[] = []): Run =>
  cli(
    'simulate',
    '--model-scores',
    scores,
    '--labels',
    path('y.npy'),
    '--runs',
    '2',
    '--size',
    '3',
    ...more,
    '--out',
    path(`out-${Math.random()}`),
  );

/** `label` creating `session` from a 6-item pool, answering from the pool's own labels. */
const label = (session: string, data: string, ...scores: string[]): Run =>
  cli('label', '--session', session, '--data', data, '--classes', 'a,b,c', ...scores, '--answers', path('pool.csv'), '--max-labels', '2');

describe('score and label files that are not .npy files', () => {
  it('an .npz archive given as --model-scores is named as one, with what to do', () => {
    expectRefused(
      simulate(path('scores.npz')),
      `active-testing simulate: --model-scores: ${path('scores.npz')}: not a readable .npy file: it is a NumPy .npz archive (zip; first array "scores"); save each array with numpy.save to its own .npy file`,
    );
  });

  it('a pickle given as --surrogate-scores or --labels is named as one, also under a .npy name', () => {
    const pickle = (file: string): string =>
      `${file}: not a readable .npy file: it is a Python pickle (protocol 4), not a .npy file; save the array with numpy.save(path, array) to a .npy file, not pickle.dump`;
    expectRefused(
      simulate(path('f.npy'), ['--surrogate-scores', path('pickled.npy')]),
      `active-testing simulate: --surrogate-scores: ${pickle(path('pickled.npy'))}`,
    );
    expectRefused(
      cli('simulate', '--model-scores', path('f.npy'), '--labels', path('scores.pkl'), '--runs', '2', '--out', path('out-labels')),
      `active-testing simulate: --labels: ${pickle(path('scores.pkl'))}`,
    );
    expect(existsSync(path('out-labels'))).toBe(false);
  });

  it('label names the flag of an .npz given as --model-scores', () => {
    const session = path('npz-session.jsonl');
    const run = label(session, path('pool.csv'), '--model-scores', path('scores.npz'));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /^active-testing label: --model-scores: .*scores\.npz: not a readable \.npy file: it is a NumPy \.npz archive/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(session)).toBe(false);
  });
});

describe('a CSV that is not comma-separated', () => {
  it('a ;-separated --data file is refused as one, not as a missing column', () => {
    const session = path('semicolon-session.jsonl');
    expectRefused(
      label(session, path('pool-semicolon.csv'), '--model-scores', path('f.npy')),
      `active-testing label: --data: ${path('pool-semicolon.csv')}: line 1: the header "sentence;label" is one column: the file looks ;-separated (a spreadsheet export in some locales), but a .csv is read comma-separated; save it with commas, or tab-separated as .tsv`,
    );
    expect(existsSync(session)).toBe(false);
  });

  it('a tab-separated file named .csv is told to be renamed', () => {
    const run = label(path('tabs.jsonl'), path('pool-tabs.csv'), '--model-scores', path('f.npy'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /: line 1: the header "sentence\\tlabel" is one column: the file looks tab-separated, but a \.csv is read comma-separated; rename it to \.tsv\n$/,
    );
  });
});

describe('probabilities given where logits are expected', () => {
  const warning = (flag: string): string =>
    `warning: ${flag}: every row is in [0, 1] and sums to 1, as probabilities do; scores are read as logits (a softmax is applied), so pass log-probabilities instead, floored where p is 0 (np.log(np.maximum(p, 1e-12))): −Infinity is refused`;

  it('simulate warns once per flag given probabilities, and runs as asked', () => {
    const calibration = ['--calibration-scores', path('p.npy'), '--calibration-labels', path('y.npy')];
    const run = simulate(path('p.npy'), ['--surrogate-scores', path('p.npy'), ...calibration]);
    expect(run.code, run.stderr).toBe(0);
    // Probabilities as logits leave every calibration label nearly certain: the fit ends at its bound, and says so.
    // The calibration set here is the pool itself, which is warned of once the options accept the set.
    expect(run.stderr.split('\n').filter((line) => line.startsWith('warning:'))).toEqual([
      warning('--model-scores'),
      warning('--surrogate-scores'),
      warning('--calibration-scores'),
      "warning: --calibration-scores: the calibration set is the pool itself (the surrogate's scores and the pool's labels): the temperature is fitted on the very labels whose risk is estimated, so the proposal has seen the labels it is tested on, as no real run's has; calibrate on labelled items outside the pool",
      'warning: --calibration-scores: the surrogate temperature T = 0.02 is the end of its search range [0.02, 50], not a fitted value: the likelihood still rises as T falls below it: the surrogate ranks (nearly) every calibration label first; more or harder calibration labels would fit it',
    ]);
  });

  it('simulate says nothing of logits, nor of the log-probabilities the warning asks for', async () => {
    await writeNpy(path('logp.npy'), { data: probabilities.map(Math.log), shape: [N, K] });
    for (const scores of [path('f.npy'), path('logp.npy')]) {
      const run = simulate(scores, ['--surrogate-scores', path('f.npy')]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/warning/);
    }
  });

  it('label warns when a session is created from probabilities', () => {
    const run = label(path('p-session.jsonl'), path('pool.csv'), '--model-scores', path('f.npy'), '--surrogate-scores', path('p.npy'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('warning:'))).toEqual([warning('--surrogate-scores')]);
  });
});
