import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evaluateCommand } from '../../src/cli/evaluate.js';
import { OutputLockedError } from '../../src/errors.js';
import { readNpy } from '../../src/io/npy.js';
import { runCliCaptured } from '../helpers/cli.js';
import { tinyEvaluateFlags } from './evaluate-args.js';

const root = mkdtempSync(join(tmpdir(), 'at-evaluate-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ROWS = 12;
const data = join(root, 'data.tsv');
const reference = join(root, 'reference');
const args = (out: string, ...extra: string[]) => tinyEvaluateFlags(data, out, ...extra);
let expected: Float32Array;

/** The id of a process that has exited (the owner of a stale lock). */
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

async function scores(out: string): Promise<Float32Array> {
  const npy = await readNpy(join(out, 'scores.npy'));
  expect(npy.shape).toEqual([ROWS, 2]);
  return npy.data as Float32Array;
}

beforeAll(async () => {
  writeFileSync(data, 'sentence\tlabel\n' + Array.from({ length: ROWS }, (_, i) => `a good film number ${i}\t${i % 2}`).join('\n') + '\n');
  const run = await runCliCaptured(['evaluate', ...args(reference)]);
  expect(run.code, run.stderr).toBe(0);
  expected = await scores(reference);
});

describe('evaluate runs on the same --out', () => {
  it('refuses a second run while the first holds the folder, and the first writes the scores of a run alone', async () => {
    const out = join(root, 'both');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const runs = await Promise.allSettled([evaluateCommand.run(args(out)), evaluateCommand.run(args(out))]);
      const refused = runs.flatMap((run) => (run.status === 'rejected' ? [run.reason as unknown] : []));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(OutputLockedError);
      expect((refused[0] as OutputLockedError).pid).toBe(process.pid);
    } finally {
      log.mockRestore();
    }
    expect(await scores(out)).toEqual(expected);
    expect(readdirSync(out).sort()).toEqual(['labels.npy', 'meta.json', 'scores.npy']);
  });

  it('a lock of a live process is a one-line error naming the folder; a lock of a process that died is taken over', async () => {
    const out = join(root, 'locked');
    mkdirSync(out);
    const lock = join(out, '.active-testing.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname() }));
    const refused = await runCliCaptured(['evaluate', ...args(out)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing evaluate: ${out} is being written by process ${process.ppid} on ${hostname()}; wait for that run to finish ` +
        `or stop it (if that process is gone from another machine, delete ${lock})`,
    );
    expect(readdirSync(out)).toEqual(['.active-testing.lock']);
    writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: hostname() }));
    const resumed = await runCliCaptured(['evaluate', ...args(out)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await scores(out)).toEqual(expected);
    expect(existsSync(lock)).toBe(false);
  });

  it('refuses a checkpoint with more rows than the pool, naming it, and --force starts fresh', async () => {
    const out = join(root, 'overfull');
    mkdirSync(out);
    const base = join(out, '.evaluate');
    const meta = JSON.parse(readFileSync(join(reference, 'meta.json'), 'utf8')) as { config: unknown };
    // What two runs appending to one checkpoint leave: the configuration of this run, and more rows than it has items.
    writeFileSync(`${base}.partial.json`, `${JSON.stringify(meta.config)}\n`);
    writeFileSync(`${base}.partial.f32`, Buffer.from(Float32Array.from({ length: 2 * (ROWS + 4) }, (_, i) => i).buffer));
    const refused = await runCliCaptured(['evaluate', ...args(out)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing evaluate: ${base}.partial.f32: holds ${ROWS + 4} rows of scores, more than the ${ROWS} items to score, ` +
        `so it is not one run's (two runs on the same folder at once?); remove it, or pass --force to start fresh`,
    );
    const forced = await runCliCaptured(['evaluate', ...args(out, '--force')]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await scores(out)).toEqual(expected);
    expect(readdirSync(out).sort()).toEqual(['labels.npy', 'meta.json', 'scores.npy']);
  });
});
