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

  it('simulates the same numbers when required as when imported, and other numbers for another seed', () => {
    // Each seed's outputs, hashed: adaptive acquisition, runs not a whole number of tiles.
    const run = (load: string) => {
      const script = `(async () => {
        const { simulate, syntheticPool } = ${load};
        const pool = syntheticPool({ poolSize: 300, seed: 5 });
        const hashes = [];
        for (const seed of [3, 4]) {
          const r = await simulate(pool, { acquisition: 'adaptive', runs: 101, size: 40, step: 7, seed, threads: 1 });
          const hash = require('node:crypto').createHash('sha256');
          for (const a of [r.estimates, r.samples, r.q, r.bootstrapVariance]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
          hashes.push([r.trueRisk, hash.digest('hex')]);
        }
        console.log(JSON.stringify(hashes));
      })()`;
      return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Array<[number, string]>;
    };
    const imported = run(`await import(${JSON.stringify(join(dist, 'index.js'))})`);
    expect(run(`require(${JSON.stringify(join(dist, 'index.cjs'))})`)).toEqual(imported);
    expect(imported[0]![0]).toBe(imported[1]![0]);
    expect(imported[0]![1]).not.toBe(imported[1]![1]);
  });
});
