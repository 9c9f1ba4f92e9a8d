import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `$ACTIVE_TESTING_SHARED`, default `../shared` beside the checkout: reference fixtures and real data. */
export const SHARED_DIR = resolve(repoRoot, process.env.ACTIVE_TESTING_SHARED ?? '../shared');
export const ORACLE_FIXTURES = resolve(repoRoot, process.env.ORACLE_FIXTURES ?? resolve(SHARED_DIR, 'reference/oracle/fixtures'));
export const DATA_DIR = resolve(SHARED_DIR, 'data');
/** The subset of the oracle fixtures committed with the repository (its README says which). */
export const COMMITTED_ORACLE_FIXTURES = resolve(repoRoot, 'test/fixtures/oracle');

/**
 * Whether the files a test needs exist. When they do not, the test is skipped with a visible
 * notice, unless `ACTIVE_TESTING_REQUIRE_SHARED=1` (set by `.ci/run`), where a missing path fails.
 */
export function sharedAvailable(path: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.ACTIVE_TESTING_REQUIRE_SHARED === '1') {
    throw new Error(`ACTIVE_TESTING_REQUIRE_SHARED=1 but ${path} is missing`);
  }
  console.warn(`NOTICE: skipping tests that need ${path} (set ACTIVE_TESTING_SHARED to the shared folder)`);
  return false;
}
