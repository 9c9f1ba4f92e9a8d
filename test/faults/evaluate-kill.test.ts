import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { runCliCaptured } from '../helpers/cli.js';
import { signalSelf } from '../helpers/signal-self.js';
import { tinyEvaluateFlags } from './evaluate-args.js';
import { BUILT_CLI } from './children.js';

const root = mkdtempSync(join(tmpdir(), 'at-evaluate-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const OLD_ROWS = 8;
const NEW_ROWS = 12;
const oldData = join(root, 'old.tsv');
const newData = join(root, 'new.tsv');
const args = (data: string, out: string, ...extra: string[]) => ['evaluate', ...tinyEvaluateFlags(data, out, ...extra)];
let expected: Float32Array;

function writeData(path: string, rows: number): void {
  writeFileSync(path, 'sentence\tlabel\n' + Array.from({ length: rows }, (_, i) => `a good film number ${i}\t${i % 2}`).join('\n') + '\n');
}

/**
 * Runs the built CLI and SIGKILLs it as soon as it has renamed a new `scores.npy` into place, before
 * its next rename: the child kills itself there, where a kill sent by this process once it saw the
 * new file could come after the next rename on a loaded machine.
 */
async function killAfterFirstRename(argv: string[]): Promise<{ killed: boolean; stderr: string }> {
  const kill = signalSelf('rename', /^scores\.npy$/, 'SIGKILL');
  const child = spawn(process.execPath, [...kill.nodeArgs, BUILT_CLI, ...argv], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...kill.env },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((done) => child.on('exit', () => done()));
  return { killed: child.signalCode === 'SIGKILL', stderr };
}

async function rows(out: string, name: string): Promise<number> {
  return (await readNpy(join(out, name))).shape[0] as number;
}

beforeAll(async () => {
  writeData(oldData, OLD_ROWS);
  writeData(newData, NEW_ROWS);
  const reference = join(root, 'reference');
  const run = await runCliCaptured(args(newData, reference));
  expect(run.code, run.stderr).toBe(0);
  expected = (await readNpy(join(reference, 'scores.npy'))).data as Float32Array;
});

describe('evaluate killed between the renames of its outputs', () => {
  it('a --force run killed there leaves no meta.json, and the next run resumes from the checkpoint', async () => {
    const out = join(root, 'forced');
    const first = await runCliCaptured(args(oldData, out));
    expect(first.code, first.stderr).toBe(0);
    const kill = await killAfterFirstRename(args(newData, out, '--force'));
    expect(kill.killed, kill.stderr).toBe(true);
    expect(await rows(out, 'scores.npy')).toBe(NEW_ROWS);
    expect(await rows(out, 'labels.npy')).toBe(OLD_ROWS);
    // The old meta.json would say the mismatched files are complete results of the old data.
    expect(existsSync(join(out, 'meta.json'))).toBe(false);
    expect(readdirSync(out).filter((name) => name.endsWith('.tmp')).length).toBeGreaterThan(0);

    const rerun = await runCliCaptured(args(newData, out));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(new RegExp(`^${NEW_ROWS} items: accuracy`));
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta.n).toBe(NEW_ROWS);
    expect(meta.timings.items_scored_now).toBe(0);
    expect((await readNpy(join(out, 'scores.npy'))).data).toEqual(expected);
    expect(await rows(out, 'labels.npy')).toBe(NEW_ROWS);
    expect(readdirSync(out).sort()).toEqual(['labels.npy', 'meta.json', 'scores.npy']);
    const again = await runCliCaptured(args(newData, out));
    expect(again.stdout).toMatch(/already complete/);
  });

  it('a first run killed there is resumed by the same command, not refused for its own scores.npy', async () => {
    const out = join(root, 'fresh');
    const kill = await killAfterFirstRename(args(newData, out));
    expect(kill.killed, kill.stderr).toBe(true);
    expect(existsSync(join(out, 'scores.npy'))).toBe(true);
    expect(existsSync(join(out, 'meta.json'))).toBe(false);

    const rerun = await runCliCaptured(args(newData, out));
    expect(rerun.code, rerun.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta.timings.items_scored_now).toBe(0);
    expect((await readNpy(join(out, 'scores.npy'))).data).toEqual(expected);
    expect(readdirSync(out).sort()).toEqual(['labels.npy', 'meta.json', 'scores.npy']);
  });

  it('output files without meta.json and without a checkpoint to resume are refused, naming the file', async () => {
    const out = join(root, 'stray');
    const run = await runCliCaptured(args(newData, out));
    expect(run.code, run.stderr).toBe(0);
    rmSync(join(out, 'meta.json'));
    const refused = await runCliCaptured(args(newData, out));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing evaluate: ${join(out, 'scores.npy')} already exists; without meta.json (written last) it is not finished ` +
        `results, and no checkpoint of this configuration is there to resume; pass --force to replace it`,
    );
    const forced = await runCliCaptured(args(newData, out, '--force'));
    expect(forced.code, forced.stderr).toBe(0);
    expect((await readNpy(join(out, 'scores.npy'))).data).toEqual(expected);
  });
});
