import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { randomStream } from '../../src/random.js';
import { runCliCaptured } from '../helpers/cli.js';
import { writePoolFiles } from './pool-files.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliPath = join(repoRoot, 'dist/cli.js');
const root = mkdtempSync(join(tmpdir(), 'at-simulate-kill-'));
const N = 120;
const K = 3;
const KILLS = 24;
const STEP_DELAY_MS = 25;
let f: string;
let y: string;

beforeAll(async () => {
  ({ f, y } = await writePoolFiles(root, N, K, 3));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const args = (out: string, seed: number) => [
  'simulate',
  '--model-scores',
  f,
  '--labels',
  y,
  '--runs',
  '40',
  '--size',
  '30',
  '--seed',
  String(seed),
  '--threads',
  '1',
  '--out',
  out,
  '--force',
];

/** Starts a simulate run that pauses before each write step, and SIGKILLs it `afterMs` after its first output's temporary file appears. */
async function killWhileWriting(out: string, seed: number, afterMs: number): Promise<{ stderr: string; killed: boolean }> {
  const child = spawn(process.execPath, [cliPath, ...args(out, seed)], {
    env: { ...process.env, ACTIVE_TESTING_FAULT_DELAY_MS: `output:step=${STEP_DELAY_MS}` },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let finished = false;
  void exited.then(() => (finished = true));
  // An output's temporary, not the lock's pid file (`.active-testing.lock.<pid>.<hex>.tmp`): a kill while
  // the lock is taken leaves that one for a minute, in case another machine's acquisition owns it.
  while (
    !finished &&
    !(existsSync(out) && readdirSync(out).some((name) => name.endsWith('.tmp') && !name.startsWith('.active-testing.lock.')))
  )
    await new Promise((r) => setTimeout(r, 2));
  if (!finished) {
    await new Promise((r) => setTimeout(r, afterMs));
    child.kill('SIGKILL');
  }
  await exited;
  return { stderr, killed: child.signalCode === 'SIGKILL' };
}

/** A folder with summary.json must hold the outputs that summary describes: its bias is the mean of estimates.npy's rows. */
async function expectCompleteAndConsistent(out: string): Promise<void> {
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    bias: number[];
    true_risk: number;
    rows: number;
    runs: number;
    size: number;
  };
  const estimates = await readNpy(join(out, 'estimates.npy'));
  expect(estimates.shape).toEqual([summary.rows, summary.runs]);
  for (const name of ['samples.npy', 'q.npy', 'bootstrap_variance.npy']) expect(existsSync(join(out, name)), name).toBe(true);
  const data = estimates.data as Float64Array;
  for (const r of [0, summary.rows - 1]) {
    let sum = 0;
    for (let c = 0; c < summary.runs; c++) sum += data[r * summary.runs + c] as number;
    expect(sum / summary.runs - summary.true_risk).toBeCloseTo(summary.bias[r] as number, 10);
  }
}

describe('simulate killed at random points while writing its outputs', () => {
  it(`never leaves a folder that looks complete but is not, and the next run says what happened (${KILLS} kills)`, async () => {
    const random = randomStream(20261202);
    const out = join(root, 'out');
    let killed = 0;
    let interrupted = 0;
    for (let i = 0; i < KILLS; i++) {
      // Every write step (the 4 .npy files written at once, summary.json, then 5 renames) pauses STEP_DELAY_MS; the
      // first temporary file appears after the first: kill anywhere in the 6 steps left, or just after.
      const run = await killWhileWriting(out, i, random() * 7 * STEP_DELAY_MS);
      if (run.killed) killed++;
      expect(run.stderr).not.toMatch(/\n\s+at /);
      const complete = existsSync(join(out, 'summary.json'));
      if (complete) await expectCompleteAndConsistent(out);
      const leftovers = readdirSync(out).filter((name) => name.endsWith('.tmp'));
      const partial = !complete && readdirSync(out).some((name) => name.endsWith('.npy'));
      if (partial) {
        interrupted++;
        const refused = await runCliCaptured(args(out, 100 + i).filter((a) => a !== '--force'));
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/holds an interrupted run/);
        if (leftovers.length > 0) expect(refused.stderr).toMatch(/its \d+ temporary file\(s\) were removed/);
        const report = await runCliCaptured(['report', out, '--out', join(root, `report-${i}`)]);
        expect(report.code).toBe(1);
        expect(report.stderr).toMatch(/interrupted simulate run/);
      }
      if (i % 4 === 3 || partial || leftovers.length > 0) {
        // Finish the folder now and then, so that later kills also hit a --force replacement of complete outputs.
        const rerun = await runCliCaptured(args(out, 200 + i));
        expect(rerun.code, rerun.stderr).toBe(0);
        if (leftovers.length > 0 && !partial)
          expect(rerun.stderr).toMatch(/an earlier run was interrupted while writing; removed its \d+ temporary file/);
        if (partial) expect(rerun.stderr).toMatch(/replacing an interrupted run/);
        expect(readdirSync(out).filter((name) => name.endsWith('.tmp'))).toEqual([]);
        await expectCompleteAndConsistent(out);
      }
    }
    console.log(`simulate-kill: ${KILLS} kill attempts, ${killed} killed while writing, ${interrupted} left an interrupted folder`);
    expect(killed).toBeGreaterThanOrEqual(KILLS * 0.75);
  });
});
