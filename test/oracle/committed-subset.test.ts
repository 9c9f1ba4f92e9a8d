import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMITTED_ORACLE_FIXTURES, ORACLE_FIXTURES, sharedAvailable } from '../helpers/shared.js';
import { readFixture } from '../metrics/fixture-helpers.js';

/** Every case of the full set's acquisition files, by id. */
function fullSetCases(pattern: RegExp): Map<string, unknown> {
  const cases = new Map<string, unknown>();
  for (const name of readdirSync(ORACLE_FIXTURES).filter((n) => pattern.test(n)))
    for (const c of readFixture(ORACLE_FIXTURES, name).cases) cases.set(c.id, c);
  return cases;
}

/** The committed subset is the full set's data, cut but never edited. */
describe.skipIf(!sharedAvailable(ORACLE_FIXTURES))('the committed oracle fixtures are a subset of the full set', () => {
  const committed = readdirSync(COMMITTED_ORACLE_FIXTURES).filter((name) => name.endsWith('.json'));

  it('holds the small files byte for byte and the selected cases unchanged', () => {
    expect(committed.sort()).toEqual(
      [
        'acquisition_subset.json',
        'ase.json',
        'bootstrap.json',
        'corrected_acquisition.json',
        'coverage.json',
        'metrics.json',
        'pmf_sampling.json',
        'pools.json',
        'visualize.json',
      ].sort(),
    );
    for (const name of committed.filter((n) => !['acquisition_subset.json', 'corrected_acquisition.json'].includes(n)))
      expect(readFileSync(join(COMMITTED_ORACLE_FIXTURES, name)).equals(readFileSync(join(ORACLE_FIXTURES, name))), name).toBe(true);
    const full = fullSetCases(/^acquisition_p\d+_k\d+\.json$/);
    const subset: any[] = readFixture(COMMITTED_ORACLE_FIXTURES, 'acquisition_subset.json').cases;
    expect(subset.length).toBe(17);
    for (const c of subset) expect(c, c.id).toEqual(full.get(c.id));
    const corrected = readFixture(ORACLE_FIXTURES, 'corrected_acquisition.json');
    expect(readFixture(COMMITTED_ORACLE_FIXTURES, 'corrected_acquisition.json')).toEqual({ cases: corrected.cases });
  });

  it('stays within a few hundred kilobytes', () => {
    const bytes = committed.reduce((total, name) => total + readFileSync(join(COMMITTED_ORACLE_FIXTURES, name)).length, 0);
    expect(bytes).toBeLessThan(600_000);
  });
});
