import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { runCliCaptured } from '../helpers/cli.js';
import { modelDir } from '../model/fixtures.js';
import { writePoolFiles } from './pool-files.js';

// Real file systems: a small tmpfs that fills up, then the same remounted read-only. Mounting
// needs root (as in CI's container); elsewhere the mocked-fs suite (simulate-enospc) covers ENOSPC.
const root = mkdtempSync(join(tmpdir(), 'at-cli-tmpfs-'));
const disk = join(root, 'disk');
mkdirSync(disk);
const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', disk]).status === 0;
if (!mounted) console.log('cli-tmpfs: not root or mount unavailable; real-disk faults not injected here (simulate-enospc mocks them)');

const N = 200;
const K = 3;
let f: string;
let y: string;
let data: string;

beforeAll(async () => {
  ({ f, y } = await writePoolFiles(root, N, K, 4));
  data = join(root, 'data.tsv');
  writeFileSync(data, 'sentence\tlabel\n' + Array.from({ length: 6 }, (_, i) => `film ${i}\t${i % 2}`).join('\n') + '\n');
});
afterAll(() => {
  if (mounted) spawnSync('umount', [disk]);
  rmSync(root, { recursive: true, force: true });
});

const simulate = (out: string, runs: number, seed: number, force = false) =>
  runCliCaptured([
    'simulate',
    '--model-scores',
    f,
    '--labels',
    y,
    '--runs',
    String(runs),
    '--size',
    '40',
    '--seed',
    String(seed),
    '--threads',
    '1',
    '--out',
    out,
    ...(force ? ['--force'] : []),
  ]);

function expectOneLine(run: { code: number; stderr: string }, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe.runIf(mounted)('simulate and the other commands on a real full or read-only disk', () => {
  it('a full disk: one line, no temporaries, no summary.json; over complete outputs they stay whole', async () => {
    const fresh = join(disk, 'fresh');
    expectOneLine(await simulate(fresh, 400, 1), /no space left on the device \(ENOSPC, write\)/);
    // Nothing left behind: the folder made for the run goes again.
    expect(existsSync(fresh)).toBe(false);
    const kept = join(disk, 'kept');
    expect((await simulate(kept, 20, 1)).code).toBe(0);
    const before = readFileSync(join(kept, 'summary.json'), 'utf8');
    expectOneLine(await simulate(kept, 400, 2, true), /ENOSPC/);
    expect(readdirSync(kept).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(kept, 'summary.json'), 'utf8')).toBe(before);
    expect((await readNpy(join(kept, 'estimates.npy'))).shape).toEqual([40, 20]);
    rmSync(kept, { recursive: true });
  });

  it('a read-only file system: every command is refused before any work, in one line', async () => {
    expect(spawnSync('mount', ['-o', 'remount,ro', disk]).status).toBe(0);
    try {
      const out = join(disk, 'out');
      const grid = join(root, 'grid.json');
      writeFileSync(grid, JSON.stringify({ modelScores: f, labels: y, runs: 5, size: 20, settings: [{ acquisition: 'iid' }] }));
      const made = await simulate(join(root, 'run'), 5, 1);
      expect(made.code).toBe(0);
      for (const argv of [
        ['simulate', '--model-scores', f, '--labels', y, '--runs', '5', '--out', out],
        ['experiment', '--config', grid, '--out', out],
        ['report', join(root, 'run'), '--out', out],
        ['evaluate', '--model', modelDir('tiny-gpt2'), '--data', data, '--classes', 'negative,positive', '--out', out],
      ]) {
        expectOneLine(await runCliCaptured(argv), /--out: expected a folder that can be written, got .*is on a read-only file system/);
      }
      const label = await runCliCaptured([
        'label',
        '--session',
        join(out, 's.jsonl'),
        '--data',
        data,
        '--classes',
        'a,b,c',
        '--model-scores',
        f,
        '--answers',
        data,
      ]);
      expect(label.code).toBe(1);
      expect(label.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    } finally {
      spawnSync('mount', ['-o', 'remount,rw', disk]);
    }
  });
});
