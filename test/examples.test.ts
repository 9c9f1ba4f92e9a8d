import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DATA_DIR, sharedAvailable } from './helpers/shared.js';

// The examples are what a new user copies first: each runs against the built package (`npm test`
// builds it first) as its header says, and prints what its comments promise. Every file in
// examples/ is run, so a new example is covered without a line here.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = join(repoRoot, 'examples');
const run = promisify(execFile);

/** What each example must print (seeded: the same text on every machine); examples not listed here fail. */
const EXPECTED: Record<string, { needs?: string; stdout: RegExp[] }> = {
  'experiment-and-report.mjs': {
    stdout: [
      /^ran 6 settings \(Random \(i\.i\.d\.\), .*\) in /m,
      /^second run: 6 of 6 settings skipped as finished$/m,
      /^True risk of the pool: 0\.167848\.$/m,
    ],
  },
  'labelling-session.mjs': {
    // The interval shown is the confidence sequence, not the approximate bootstrap.
    stdout: [/^after 100 labels: risk 0\.1355, 95% confidence sequence \[0\.1243, 1\.3020\], true 0\.1679: inside it$/m],
  },
  'simulate-workflow.mjs': {
    stdout: [
      /^coverage of estimate ± 1\.96σ \(bootstrap, approximate\) across 2000 runs:$/m,
      /^ {2}adaptive {6}0\.41$/m,
      /^ {2}surrogate-ce {2}0\.33$/m,
    ],
  },
  'sst2-end-to-end.mjs': { needs: join(DATA_DIR, 'sst2'), stdout: [/^ {3}60 labels: mean estimate \d+\.\d{4}, MSE \d\.\d{2}e[-+]\d+$/m] },
};

describe('examples/', () => {
  it('has an expectation for every example', () => {
    expect(
      readdirSync(examplesDir)
        .filter((name) => name.endsWith('.mjs'))
        .sort(),
    ).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s runs and prints what it promises', async (name, { needs, stdout: patterns }) => {
    if (needs !== undefined && !sharedAvailable(needs)) return;
    const { stdout, stderr } = await run(process.execPath, [join(examplesDir, name)], { cwd: repoRoot, maxBuffer: 16 << 20 });
    expect(stderr).not.toMatch(/\n\s+at /);
    for (const pattern of patterns) expect(stdout).toMatch(pattern);
  });
});
