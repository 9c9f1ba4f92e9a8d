import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'vitest';

/**
 * The keys that may differ between two runs of one seed (docs/simulate.md, docs/experiments.md):
 * `summary.json`'s `config.threads` records the thread option, and `setting.json`'s `seconds` and
 * `finishedAt` when and how long a setting ran, and its `outputs` the size of that `summary.json`.
 * Every other byte of the outputs is the same.
 */
const RUN_DEPENDENT: Record<string, (json: Record<string, unknown>) => void> = {
  'summary.json': (json) => delete (json.config as Record<string, unknown> | undefined)?.threads,
  'setting.json': (json) => {
    delete json.seconds;
    delete json.finishedAt;
    delete (json.outputs as Record<string, unknown> | undefined)?.['summary.json'];
  },
};

/**
 * Expects the output folders `actual` and `expected` (of `simulate` or `experiment`) to hold the
 * same files: `.npy` files byte for byte, JSON files parsed, less the run-dependent keys above.
 */
export function expectSameOutputs(actual: string, expected: string): void {
  const files = (dir: string) =>
    (readdirSync(dir, { recursive: true }) as string[]).filter((name) => statSync(join(dir, name)).isFile()).sort();
  const names = files(expected);
  expect(files(actual)).toEqual(names);
  expect(names.some((name) => name.endsWith('.npy'))).toBe(true);
  for (const name of names) {
    const [a, b] = [readFileSync(join(actual, name)), readFileSync(join(expected, name))];
    if (!name.endsWith('.json')) {
      expect(a.equals(b), name).toBe(true);
      continue;
    }
    const [x, y] = [JSON.parse(a.toString()), JSON.parse(b.toString())] as Array<Record<string, unknown>>;
    RUN_DEPENDENT[basename(name)]?.(x);
    RUN_DEPENDENT[basename(name)]?.(y);
    expect(x, name).toEqual(y);
  }
}
