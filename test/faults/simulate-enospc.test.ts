import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readNpy } from '../../src/io/npy.js';
import { runCliCaptured } from '../helpers/cli.js';
import { writePoolFiles } from './pool-files.js';

/** Which output write (1-based, counting temporary files written or renamed) fails, and how. */
const fault = vi.hoisted(() => ({ writeAt: 0, renameAt: 0, writes: 0, renames: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const failure = (code: string, syscall: string, path: string) =>
    Object.assign(new Error(`${code}: injected, ${syscall} '${path}'`), { code, syscall, path, errno: code === 'ENOSPC' ? -28 : -5 });
  const open: typeof actual.open = async (path, flags, mode) => {
    const handle = await actual.open(path, flags, mode);
    if (String(path).endsWith('.tmp')) {
      const writeFile = handle.writeFile.bind(handle);
      handle.writeFile = async (...a: Parameters<typeof writeFile>) => {
        if (++fault.writes === fault.writeAt) {
          await writeFile(Buffer.alloc(10)); // a partly written file, as a full disk leaves it
          throw failure('ENOSPC', 'write', String(path));
        }
        return writeFile(...a);
      };
    }
    return handle;
  };
  const rename: typeof actual.rename = async (from, to) => {
    if (String(from).endsWith('.tmp') && ++fault.renames === fault.renameAt) throw failure('EIO', 'rename', String(to));
    return actual.rename(from, to);
  };
  return { ...actual, open, rename, default: { ...actual, open, rename } };
});

const root = mkdtempSync(join(tmpdir(), 'at-simulate-enospc-'));
const N = 100;
const K = 3;
let f: string;
let y: string;

beforeAll(async () => {
  ({ f, y } = await writePoolFiles(root, N, K, 9));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const simulate = (out: string, seed: number, force: boolean) =>
  runCliCaptured([
    'simulate',
    '--model-scores',
    f,
    '--labels',
    y,
    '--runs',
    '20',
    '--size',
    '25',
    '--seed',
    String(seed),
    '--threads',
    '1',
    '--out',
    out,
    ...(force ? ['--force'] : []),
  ]);

async function expectConsistent(out: string, seed: number): Promise<void> {
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    bias: number[];
    true_risk: number;
    runs: number;
    config: { seed: number };
  };
  expect(summary.config.seed).toBe(seed);
  const estimates = (await readNpy(join(out, 'estimates.npy'))).data as Float64Array;
  let sum = 0;
  for (let c = 0; c < summary.runs; c++) sum += estimates[c] as number;
  expect(sum / summary.runs - summary.true_risk).toBeCloseTo(summary.bias[0] as number, 10);
}

describe('a full disk (or a failing rename) while simulate writes its outputs', () => {
  const cases = [1, 2, 3, 4, 5].flatMap((at) => [
    { kind: 'write' as const, at, force: false },
    { kind: 'write' as const, at, force: true },
    { kind: 'rename' as const, at, force: false },
    { kind: 'rename' as const, at, force: true },
  ]);
  it.each(cases)(
    '$kind $at fails (over complete outputs with --force: $force): one line, no temporaries, nothing that looks complete but is not',
    async ({ kind, at, force }) => {
      const out = join(root, `${kind}-${at}-${force}`);
      if (force) expect((await simulate(out, 1, false)).code).toBe(0);
      Object.assign(fault, { writes: 0, renames: 0, writeAt: kind === 'write' ? at : 0, renameAt: kind === 'rename' ? at : 0 });
      const run = await simulate(out, 2, force);
      Object.assign(fault, { writeAt: 0, renameAt: 0 });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(
        kind === 'write' ? /no space left on the device \(ENOSPC, write\); free some space/ : /input\/output error \(EIO, rename\)/,
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
      const names = existsSync(out) ? readdirSync(out) : [];
      expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
      if (names.includes('summary.json')) {
        // Only a failure before the old outputs are touched may leave a summary: the old one, whole.
        expect(kind === 'write' && force).toBe(true);
        await expectConsistent(out, 1);
      }
      const retry = await simulate(out, 3, true);
      expect(retry.code, retry.stderr).toBe(0);
      await expectConsistent(out, 3);
    },
  );
});
