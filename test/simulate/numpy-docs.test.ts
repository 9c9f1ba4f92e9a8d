import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

// docs/simulate.md, "Reading the outputs with numpy": its Python block runs as written on a
// simulate output folder, so that what it says of samples.npy and q.npy (and its asserts: the
// true risk, an estimate rebuilt from the draws, the MSE) holds.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HEADING = '### Reading the outputs with numpy';
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
if (!hasNumpy) console.warn('NOTICE: skipping the numpy snippet of docs/simulate.md (no python3 with numpy)');

const dir = mkdtempSync(join(tmpdir(), 'numpy-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function snippet(): string {
  const doc = readFileSync(join(repo, 'docs/simulate.md'), 'utf8');
  const start = doc.indexOf(HEADING);
  const match = /```python\n([\s\S]*?)```/.exec(doc.slice(start));
  if (start === -1 || match === null) throw new Error(`docs/simulate.md has no python block under "${HEADING}"`);
  return match[1]!;
}

describe.skipIf(!hasNumpy)('docs/simulate.md: reading the outputs with numpy', () => {
  it('runs as written on a simulate folder, with labels of either shape and scores of any float width', async () => {
    const size = 300;
    const pool = syntheticPool({ poolSize: size, classCount: 2, seed: 3 });
    await writeNpy(join(dir, 'f.npy'), { data: Float32Array.from(pool.modelScores.data), shape: [size, 2], dtype: 'f4' });
    await writeNpy(join(dir, 'g.npy'), { data: pool.surrogateScores.data, shape: [size, 2], dtype: 'f8' });
    const code = snippet();
    for (const shape of [[size], [size, 1]]) {
      await writeNpy(join(dir, 'y.npy'), { data: Int32Array.from(pool.labels), shape, dtype: 'i4' }, { force: true });
      const out = join(dir, 'runs/sst2-adaptive');
      rmSync(out, { recursive: true, force: true });
      mkdirSync(dirname(out), { recursive: true });
      const simulate = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(repo, 'src/cli/main.ts'),
          'simulate',
          ...['--model-scores', join(dir, 'f.npy'), '--surrogate-scores', join(dir, 'g.npy'), '--labels', join(dir, 'y.npy')],
          ...['--runs', '20', '--size', '60', '--step', '7', '--out', out],
        ],
        // From the repository, where tsx resolves; the snippet reads the files from `dir`.
        { cwd: repo, encoding: 'utf8' },
      );
      expect(simulate.status, simulate.stderr).toBe(0);
      const python = spawnSync(PYTHON, ['-c', `${code}\nprint(int(M), estimates.shape)`], { cwd: dir, encoding: 'utf8' });
      expect(python.stderr).toBe('');
      // The last row: after all 60 labels, where the step of 7 (1, 8, …, 57) skips that count.
      expect(python.stdout).toBe('60 (10, 20)\n');
    }
  });
});
