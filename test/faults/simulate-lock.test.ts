import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { simulateCommand } from '../../src/cli/simulate.js';
import { OutputLockedError } from '../../src/errors.js';
import { runCliCaptured } from '../helpers/cli.js';
import { BUILT_CLI } from './children.js';
import { tinyEvaluateFlags } from './evaluate-args.js';
import { writePoolFiles } from './pool-files.js';

const root = mkdtempSync(join(tmpdir(), 'at-simulate-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let f: string;
let y: string;

beforeAll(async () => {
  ({ f, y } = await writePoolFiles(root, 300, 3, 5));
});

const args = (out: string, seed: number, { size = 60, extra = [] as string[] } = {}) => [
  '--model-scores',
  f,
  '--labels',
  y,
  '--runs',
  '400',
  '--size',
  String(size),
  '--seed',
  String(seed),
  '--threads',
  '1',
  '--out',
  out,
  ...extra,
];

/** The id of a process that has exited (the owner of a stale lock). */
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

const seedOf = (out: string) => (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { config: { seed: number } }).config.seed;

describe('simulate runs on the same --out', () => {
  it('refuses the second of two runs at once, instead of letting one replace the other without --force', async () => {
    const out = join(root, 'both');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    let runs: PromiseSettledResult<number>[];
    try {
      runs = await Promise.allSettled([simulateCommand.run(args(out, 1)), simulateCommand.run(args(out, 2))]);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    const refused = runs.flatMap((run) => (run.status === 'rejected' ? [run.reason as unknown] : []));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(OutputLockedError);
    const winner = runs.findIndex((run) => run.status === 'fulfilled');
    expect(seedOf(out)).toBe(winner + 1);
    expect(readdirSync(out).sort()).toEqual(['bootstrap_variance.npy', 'estimates.npy', 'q.npy', 'samples.npy', 'summary.json']);
  });

  it('a lock of a live process is a one-line error that leaves the folder alone; one of a process that died is taken over', async () => {
    const out = join(root, 'locked');
    mkdirSync(out);
    const lock = join(out, '.active-testing.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname() }));
    const refused = await runCliCaptured(['simulate', ...args(out, 1, { extra: ['--force'] })]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing simulate: ${out} is being written by process ${process.ppid} on ${hostname()}; wait for that run to finish ` +
        `or stop it (if that process is gone from another machine, delete ${lock})`,
    );
    expect(readdirSync(out)).toEqual(['.active-testing.lock']);
    writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: hostname() }));
    const taken = await runCliCaptured(['simulate', ...args(out, 1)]);
    expect(taken.code, taken.stderr).toBe(0);
    expect(seedOf(out)).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  it('refuses a folder that another command is writing: one lock for every command', async () => {
    const out = join(root, 'evaluating');
    const data = join(root, 'evaluate.tsv');
    writeFileSync(data, 'sentence\tlabel\n' + Array.from({ length: 8 }, (_, i) => `a film ${i}\t${i % 2}`).join('\n') + '\n');
    // An evaluate that holds the folder's lock and then waits (killed once checked), long enough for any machine to run the simulate.
    const evaluate = spawn(process.execPath, [BUILT_CLI, 'evaluate', ...tinyEvaluateFlags(data, out)], {
      stdio: 'ignore',
      env: { ...process.env, ACTIVE_TESTING_FAULT_DELAY_MS: 'evaluate:locked=60000' },
    });
    const exited = new Promise<void>((done) => evaluate.once('close', () => done()));
    const lock = join(out, '.active-testing.lock');
    try {
      while (!existsSync(lock)) {
        expect(evaluate.exitCode).toBeNull();
        await new Promise((done) => setTimeout(done, 5));
      }
      const refused = await runCliCaptured(['simulate', ...args(out, 1)]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        `active-testing simulate: ${out} is being written by process ${evaluate.pid} on ${hostname()}; wait for that run to finish ` +
          `or stop it (if that process is gone from another machine, delete ${lock})`,
      );
      expect(readdirSync(out)).toEqual(['.active-testing.lock']);
    } finally {
      evaluate.kill('SIGKILL');
      await exited;
    }
  });

  it('bad input leaves no folder made only for the lock', async () => {
    const out = join(root, 'new', 'out');
    const run = await runCliCaptured(['simulate', ...args(out, 1, { extra: ['--step', '1000'] })]);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')).toHaveLength(1);
    expect(existsSync(join(root, 'new'))).toBe(false);
  });
});
