import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitTemperature } from '../../src/calibration/index.js';
import { writeNpy } from '../../src/io/npy.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured, type CliRun } from '../helpers/cli.js';

const N = 300;
const K = 3;
const pool = syntheticPool({ poolSize: N, classCount: K, seed: 7 });
const heldOut = syntheticPool({ poolSize: 200, classCount: K, seed: 8 });
let dir: string;

async function cli(...argv: string[]): Promise<CliRun> {
  return runCliCaptured(argv);
}

const path = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'adaptive-cli-'));
  await writeNpy(path('f.npy'), { data: pool.modelScores.data, shape: [N, K], dtype: 'f8' });
  await writeNpy(path('g.npy'), { data: pool.surrogateScores.data, shape: [N, K], dtype: 'f8' });
  await writeNpy(path('y.npy'), { data: BigInt64Array.from(pool.labels, BigInt), shape: [N], dtype: 'i8' });
  await writeNpy(path('cg.npy'), { data: heldOut.surrogateScores.data, shape: [200, K], dtype: 'f8' });
  await writeNpy(path('cy.npy'), { data: BigInt64Array.from(heldOut.labels, BigInt), shape: [200], dtype: 'i8' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const poolFlags = (): string[] => ['--model-scores', path('f.npy'), '--surrogate-scores', path('g.npy'), '--labels', path('y.npy')];

describe('active-testing simulate: adaptive options', () => {
  it('runs adaptive acquisition calibrated on a held-out set and reports the variance ratio', async () => {
    const out = path('adaptive');
    const args = ['--acquisition', 'adaptive', '--calibration-scores', path('cg.npy'), '--calibration-labels', path('cy.npy')];
    const { code, stdout, stderr } = await cli(
      'simulate',
      ...poolFlags(),
      ...args,
      '--runs',
      '40',
      '--size',
      '60',
      '--threads',
      '1',
      '--out',
      out,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('variance ÷ random (est.)');
    expect(stderr).not.toContain('search range');
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.config.acquisition).toBe('adaptive');
    const matrix = { data: heldOut.surrogateScores.data, rows: 200, cols: K };
    expect(summary.config.temperature).toBeCloseTo(fitTemperature(matrix, heldOut.labels).temperature, 12);
    expect(summary.config.calibrationScores).toBe(path('cg.npy'));
    expect(summary.variance_ratio).toHaveLength(60);
    expect(summary.variance_ratio[59]).toBeGreaterThan(0);
    const { helping, hurting, no_evidence_yet } = summary.variance_verdict;
    for (const row of [0, 59]) {
      expect(helping[row] + hurting[row] + no_evidence_yet[row]).toBeCloseTo(1, 12);
      for (const share of [helping[row], hurting[row], no_evidence_yet[row]]) expect(Number.isInteger(share * summary.runs)).toBe(true);
    }
    // After one label no run has the evidence to say either way.
    expect(no_evidence_yet[0]).toBe(1);
  });

  it('warns in one line when the calibration set is separable and the temperature is its search bound', async () => {
    // Every held-out label is its row's top class: the likelihood grows without end as T → 0.
    const separable = new Float64Array(200 * K);
    heldOut.labels.forEach((label, row) => void (separable[row * K + label] = 3));
    await writeNpy(path('cg-separable.npy'), { data: separable, shape: [200, K], dtype: 'f8' });
    const out = path('separable');
    const args = ['--acquisition', 'adaptive', '--calibration-scores', path('cg-separable.npy'), '--calibration-labels', path('cy.npy')];
    const { code, stderr } = await cli('simulate', ...poolFlags(), ...args, '--runs', '2', '--size', '5', '--threads', '1', '--out', out);
    expect(code).toBe(0);
    const warnings = stderr.split('\n').filter((line) => line.startsWith('warning:'));
    expect(warnings).toEqual([
      'warning: --calibration-scores: the surrogate temperature T = 0.02 is the end of its search range [0.02, 50], not a fitted value: the likelihood still rises as T falls below it: the surrogate ranks (nearly) every calibration label first; more or harder calibration labels would fit it',
    ]);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.config.temperature).toBe(0.02);
  });

  it('takes --defensive and --acquisition surrogate-m2', async () => {
    const out = path('defensive');
    const { code } = await cli(
      'simulate',
      ...poolFlags(),
      '--acquisition',
      'surrogate-m2',
      '--defensive',
      '0.5',
      '--runs',
      '5',
      '--size',
      '10',
      '--out',
      out,
    );
    expect(code).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.config.defensive).toBe(0.5);
  });

  it('exits 2 on half a calibration set and on a λ out of range, naming the flag', async () => {
    const half = await cli('simulate', ...poolFlags(), '--calibration-scores', path('cg.npy'), '--out', path('x'));
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--calibration-labels');
    const bad = await cli('simulate', ...poolFlags(), '--defensive', '1.5', '--out', path('y'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--defensive: expected a number in [0, 1], got "1.5"');
  });

  it('names --temperature when it is given with a calibration set, which fits its own, writing nothing', async () => {
    const out = path('both');
    const calibration = ['--calibration-scores', path('cg.npy'), '--calibration-labels', path('cy.npy')];
    const run = await cli('simulate', ...poolFlags(), ...calibration, '--temperature', '2', '--out', out);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'active-testing simulate: --temperature: expected no temperature with a calibration set (the temperature is fitted on it), got 2',
    );
    expect(existsSync(out)).toBe(false);
  });

  // Labels in range for the two-column scores, and the held-out labels as they are, where class 2
  // occurs: out of range only for the scores, which are what is wrong, so the scores are blamed.
  it.each([
    ['labels of two classes', (y: number) => y % 2],
    ['labels right for the pool', (y: number) => y],
  ])('exits 1 on calibration scores of another class count (%s), blaming the scores, writing nothing', async (name, label) => {
    const twoClasses = Float64Array.from({ length: 200 * 2 }, (_, j) => heldOut.surrogateScores.data[Math.floor(j / 2) * K + (j % 2)]);
    const tag = name.replaceAll(' ', '-');
    await writeNpy(path(`cg2-${tag}.npy`), { data: twoClasses, shape: [200, 2], dtype: 'f8' });
    await writeNpy(path(`cy-${tag}.npy`), { data: BigInt64Array.from(heldOut.labels, (y) => BigInt(label(y))), shape: [200], dtype: 'i8' });
    expect(heldOut.labels.includes(2)).toBe(true);
    const out = path(`wrong-k-${tag}`);
    const run = await cli(
      'simulate',
      ...poolFlags(),
      '--calibration-scores',
      path(`cg2-${tag}.npy`),
      '--calibration-labels',
      path(`cy-${tag}.npy`),
      '--out',
      out,
    );
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'active-testing simulate: --calibration-scores: expected scores with 3 columns, one per class of the pool, got 2',
    );
    expect(existsSync(out)).toBe(false);
  });
});
