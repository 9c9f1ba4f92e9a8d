import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reportText } from '../../scripts/api-report.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * api/public-api.txt is the reviewed list of the package's exports: an export added, removed or
 * changed in kind fails here until the report is regenerated (`npm run api:report`), so the
 * change shows in review. Needs dist/ (npm test builds first).
 */
describe.skipIf(!existsSync(join(repo, 'dist/reference.d.ts')))('the public API report', () => {
  it('lists exactly the exports of the built entry points', () => {
    expect(reportText()).toBe(readFileSync(join(repo, 'api/public-api.txt'), 'utf8'));
  });

  it('keeps the engine internals out of the public API', () => {
    const report = readFileSync(join(repo, 'api/public-api.txt'), 'utf8');
    for (const internal of [
      'RunBlock',
      'TILE_RUNS',
      'BOOTSTRAP_STREAM',
      'SortedPool',
      'MixturePlan',
      'hubRowsUrl',
      'aliasTable',
      'toJson',
      'runPrepared',
      'OPTION_DECLARATIONS',
    ]) {
      expect(report).not.toMatch(new RegExp(`^\\w+ ${internal}$`, 'm'));
    }
    expect(report).not.toMatch(/\bndarray\b/);
  });

  it("exports what ActiveTestingSession's methods return and throw", () => {
    const report = readFileSync(join(repo, 'api/public-api.txt'), 'utf8');
    // history() returns ProposalRecord[]; a failed write makes every later action throw SessionWriteError.
    for (const name of ['interface ProposalRecord', 'class SessionWriteError']) expect(report).toMatch(new RegExp(`^${name}$`, 'm'));
  });

  it("gives the published code's class names from active-testing/reference, the same objects as the root's", async () => {
    const root = (await import(join(repo, 'dist/index.js'))) as Record<string, unknown>;
    const reference = (await import(join(repo, 'dist/reference.js'))) as Record<string, unknown>;
    const names = ['Model', 'SST2Dataset', 'EvaluationClassification', 'IidAcquisition', 'SurrogateEntropyAcquisition', 'LUREEstimator'];
    for (const name of names) {
      expect(typeof reference[name], name).toBe('function');
      expect(reference[name], name).toBe(root[name]);
    }
  });
});
