import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../helpers/cli.js';
import { writePoolFiles } from './pool-files.js';

const root = mkdtempSync(join(tmpdir(), 'at-simulate-inputs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let f: string;
let y: string;

beforeAll(async () => {
  ({ f, y } = await writePoolFiles(root, 80, 3, 4));
});

const simulate = (scores: string, labels: string, out: string) =>
  runCliCaptured([
    'simulate',
    '--model-scores',
    scores,
    '--labels',
    labels,
    '--runs',
    '10',
    '--size',
    '10',
    '--threads',
    '1',
    '--out',
    out,
    '--force',
  ]);

describe('simulate --out where an output would replace an input file', () => {
  it('is refused in one line, even with --force, and the inputs are left as they were', async () => {
    const out = join(root, 'out');
    mkdirSync(out);
    copyFileSync(f, join(out, 'samples.npy'));
    copyFileSync(y, join(out, 'q.npy'));
    const refused = await simulate(join(out, 'samples.npy'), join(out, 'q.npy'), out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing simulate: --out: expected a folder whose outputs replace none of the input files, got "${out}" (its samples.npy is the --model-scores file)`,
    );
    expect(readFileSync(join(out, 'samples.npy'))).toEqual(readFileSync(f));
    expect(readFileSync(join(out, 'q.npy'))).toEqual(readFileSync(y));
    expect(readdirSync(out).sort()).toEqual(['q.npy', 'samples.npy']);
    // Also when the folder is reached through a link.
    const link = join(root, 'link');
    symlinkSync(out, link);
    const linked = await simulate(f, join(link, 'q.npy'), out);
    expect(linked.stderr).toMatch(/" \(its q\.npy is the --labels file\)$/);
    expect(readFileSync(join(out, 'q.npy'))).toEqual(readFileSync(y));
  });

  it('an input beside the outputs under another name is fine', async () => {
    const out = join(root, 'beside');
    mkdirSync(out);
    copyFileSync(y, join(out, 'y.npy'));
    const run = await simulate(f, join(out, 'y.npy'), out);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(out, 'y.npy'))).toEqual(readFileSync(y));
  });
});
