import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';
import type { SimulationIntervals, SimulationResult } from '../../src/index.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { lossBounds, lossPerItem } from '../../src/metrics/index.js';
import { simulate } from '../../src/simulate/simulate.js';
import { simulationIntervals } from '../../src/simulate/intervals.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured } from '../helpers/cli.js';

// docs/simulate.md, "Intervals from the library": its snippet runs here as written (its import
// becomes the package root's exports, its file names this test's files), and its intervals must be
// those that the command in its first comment writes, value for value.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HEADING = '### Intervals from the library';

/** The section's ```ts block. */
function snippet(): string {
  const doc = readFileSync(join(repo, 'docs/simulate.md'), 'utf8');
  const section = doc.slice(doc.indexOf(HEADING));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (doc.indexOf(HEADING) === -1 || match === null) throw new Error(`docs/simulate.md has no ts block under "${HEADING}"`);
  return match[1]!;
}

/**
 * How many values of `got` differ from `written` (as `Object.is` tells: NaN is NaN, -0 is not 0),
 * and the first that does: comparing the whole arrays took 40 s and printed them both on failure.
 */
function mismatches(got: ArrayLike<number>, written: ArrayLike<number>): { count: number; first?: object } {
  expect(got.length).toBe(written.length);
  let count = 0;
  let first: object | undefined;
  for (let i = 0; i < got.length; i++) {
    if (Object.is(got[i], written[i])) continue;
    count++;
    first ??= { index: i, got: got[i], written: written[i] };
  }
  return first === undefined ? { count } : { count, first };
}

let dir: string;
/** The snippet's file names, and its output folder, as this test's paths. */
let paths: Record<string, string>;
const pool = syntheticPool({ poolSize: 150, classCount: 3, seed: 11 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'interval-docs-'));
  paths = { 'f.npy': join(dir, 'f.npy'), 'g.npy': join(dir, 'g.npy'), 'y.npy': join(dir, 'y.npy'), 'runs/a': join(dir, 'a') };
  await writeNpy(paths['f.npy']!, pool.modelScores);
  await writeNpy(paths['g.npy']!, pool.surrogateScores);
  await writeNpy(paths['y.npy']!, pool.labels);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('docs/simulate.md: intervals from the library', () => {
  it("gives the command line's interval files, value for value", async () => {
    const code = snippet();
    const command = /^\/\/ active-testing (simulate .*)$/m.exec(code);
    expect(command, 'the snippet says the command it stands for').not.toBeNull();
    const argv = command![1]!.split(/\s+/).map((word) => paths[word] ?? word);
    expect(argv).toContain('--interval');
    const cli = await runCliCaptured(argv);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);

    const importLine = /^import \{([^}]*)\} from 'active-testing';\n/m.exec(code)!;
    const names = importLine[1]!.split(',').map((name) => name.trim());
    const exports = library as unknown as Record<string, unknown>;
    for (const name of names) expect(exports[name], `${name} is exported from the package root`).toBeDefined();
    let body = code.replace(importLine[0], '');
    for (const [name, path] of Object.entries(paths)) body = body.replaceAll(`'${name}'`, JSON.stringify(path));
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<unknown>;
    const run = new AsyncFunction(...names, `${body}\nreturn { result, anytime, fixed, bootstrap };`);
    const got = (await run(...names.map((name) => exports[name]))) as Record<'anytime' | 'fixed' | 'bootstrap', SimulationIntervals> & {
      result: SimulationResult;
    };

    for (const kind of ['anytime', 'fixed', 'bootstrap'] as const) {
      expect(got[kind].kind).toBe(kind);
      for (const side of ['lower', 'upper'] as const) {
        const written = await readNpy(join(paths['runs/a']!, `${kind}_${side}.npy`));
        expect(written.shape).toEqual([got.result.rows, got.result.runs]);
        expect(mismatches(got[kind][side], written.data as Float64Array), `${kind}_${side}.npy`).toEqual({ count: 0 });
      }
    }
  });

  it('gives valid but wider sequences without the reference and the mixture weights, as it says', async () => {
    const options = { runs: 200, size: 60, threads: 1 };
    const withWeights = await simulate(pool, { ...options, recordMixtureWeights: true });
    const reference = library.simulationReference(pool, withWeights.options);
    const losses = lossPerItem(pool.modelScores, pool.labels);
    const bounds = lossBounds(pool.modelScores, 'cross-entropy');
    const [full] = simulationIntervals(withWeights, losses, bounds, ['anytime'], reference);
    const [plain] = simulationIntervals(await simulate(pool, options), losses, bounds, ['anytime']);
    const last = withWeights.rows - 1;
    expect(plain!.medianHalfWidth[last]).toBeGreaterThan(full!.medianHalfWidth[last]!);
    expect(plain!.coverage[last]).toBeGreaterThanOrEqual(0.95);
  });

  it("points a simulate() given the command line's interval option to the section", async () => {
    await expect(simulate(pool, { interval: ['anytime'] } as never)).rejects.toThrow(
      /interval: expected an option of simulate's options object, not the command line's --interval: .*recordMixtureWeights: true.*docs\/simulate\.md, "Intervals from the library"/,
    );
  });
});
