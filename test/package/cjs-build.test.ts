import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist');
const ESM_ONLY = ['hyparquet', 'vega', 'vega-lite'];

/**
 * The CommonJS build (`npm test` builds first): the ESM-only dependencies must stay `import()`,
 * since `require()` of an ES module needs Node 20.19 and the package supports Node 20.
 */
describe.skipIf(!existsSync(join(dist, 'index.cjs')))('the CommonJS build', () => {
  it('loads the ESM-only dependencies with import(), never require()', () => {
    const bundle = readFileSync(join(dist, 'index.cjs'), 'utf8');
    for (const name of ESM_ONLY) expect(bundle).not.toContain(`require("${name}")`);
    expect(bundle).toContain('import("hyparquet")');
  });

  it('reads a Parquet file when required from CommonJS', () => {
    const fixture = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/parquet/reviews.parquet');
    const script = `require(${JSON.stringify(join(dist, 'index.cjs'))}).readTable(${JSON.stringify(fixture)}).then((t) => console.log(JSON.stringify([t.columns, t.rows.length])))`;
    const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual([['idx', 'review', 'sentiment', 'sentiment_name'], 6]);
  });
});
