import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { matrix } from '../helpers/matrix.js';
import { COMMITTED_ORACLE_FIXTURES, ORACLE_FIXTURES, sharedAvailable } from '../helpers/shared.js';
import { readFixture } from '../metrics/fixture-helpers.js';
import type { Matrix } from '../../src/matrix.js';
import { acquisitionValues } from '../../src/metrics/index.js';
import type { NumericsFlags } from '../../src/numerics.js';

/** One fixture file to replay: its folder (with the `pools.json` its cases refer to) and its name. */
export interface FixtureFile {
  dir: string;
  name: string;
  /** `committed/<name>` or `shared/<name>`, for test titles. */
  label: string;
}

let fullSetPresent: boolean | undefined;

/**
 * The fixture files whose name matches `pattern`: those of the subset committed under
 * test/fixtures/oracle always, then those of the full set in the shared folder when it is there
 * (required in CI), except the ones the subset holds byte for byte (replayed once, from the
 * subset). Throws when the committed subset has none, so that a plain clone never tests nothing.
 */
export function oracleFixtureFiles(pattern: RegExp): FixtureFile[] {
  const matching = (dir: string) =>
    readdirSync(dir)
      .filter((name) => pattern.test(name))
      .sort();
  const committed = matching(COMMITTED_ORACLE_FIXTURES);
  if (committed.length === 0) throw new Error(`no committed oracle fixture matches ${pattern}`);
  const files = committed.map((name) => ({ dir: COMMITTED_ORACLE_FIXTURES, name, label: `committed/${name}` }));
  fullSetPresent ??= sharedAvailable(ORACLE_FIXTURES);
  if (!fullSetPresent) return files;
  const bytes = (dir: string, name: string) => readFileSync(join(dir, name));
  for (const name of matching(ORACLE_FIXTURES)) {
    if (committed.includes(name) && bytes(ORACLE_FIXTURES, name).equals(bytes(COMMITTED_ORACLE_FIXTURES, name))) continue;
    files.push({ dir: ORACLE_FIXTURES, name, label: `shared/${name}` });
  }
  return files;
}

export interface Pool {
  id: string;
  N: number;
  K: number;
  modelScores: Matrix;
  surrogateScores?: Matrix;
  labels: Int32Array;
}

/** The pools of `dir`'s `pools.json`, by id. */
export function readPools(dir: string): Map<string, Pool> {
  const { pools } = readFixture(dir, 'pools.json') as { pools: any[] };
  const byId = new Map<string, Pool>();
  for (const p of pools) {
    byId.set(p.id, {
      id: p.id,
      N: p.N,
      K: p.K,
      modelScores: matrix(p.model_scores),
      surrogateScores: p.surrogate_scores ? matrix(p.surrogate_scores) : undefined,
      labels: Int32Array.from(p.labels),
    });
  }
  return byId;
}

/** The README's tolerance: 1e-12 relative or 1e-20 absolute; NaN matches NaN, ±Infinity itself. */
export function close(actual: number, expected: number, relative = 1e-12): boolean {
  if (Number.isNaN(expected) || Number.isNaN(actual)) return Number.isNaN(expected) && Number.isNaN(actual);
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return actual === expected;
  const diff = Math.abs(actual - expected);
  return diff <= 1e-20 || diff <= relative * Math.max(Math.abs(actual), Math.abs(expected));
}

/** Collects mismatches so that one assertion reports all of them. */
export class Mismatches {
  readonly list: string[] = [];
  checked = 0;

  value(label: string, actual: number, expected: number, relative = 1e-12): void {
    this.checked++;
    if (!close(actual, expected, relative)) this.list.push(`${label}: got ${actual}, expected ${expected}`);
  }

  values(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, relative = 1e-12): void {
    if (actual.length !== expected.length) {
      this.list.push(`${label}: length ${actual.length}, expected ${expected.length}`);
      return;
    }
    for (let i = 0; i < expected.length; i++) this.value(`${label}[${i}]`, actual[i], expected[i], relative);
  }

  exact(label: string, actual: unknown, expected: unknown): void {
    this.checked++;
    if (actual !== expected) this.list.push(`${label}: got ${String(actual)}, expected ${String(expected)}`);
  }

  indices(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
    this.exact(`${label} length`, actual.length, expected.length);
    for (let i = 0; i < Math.min(actual.length, expected.length); i++) this.exact(`${label}[${i}]`, actual[i], expected[i]);
  }
}

/** The fixtures' acquisition names in the library's spelling (`surrogate_ce` → `surrogate-ce`). */
export function acquisitionName(fixtureName: string): any {
  return fixtureName.replace(/_/g, '-');
}

/** The reference's softmax always; the `corrected` variants switch the NLL value and the proposal. */
export function caseFlags(config: any): NumericsFlags {
  return {
    softmax: 'clamp',
    nll: config.value_variant === 'corrected' ? 'true' : 'reference',
    proposal: config.pmf_variant === 'corrected' ? 'corrected' : 'reference',
  };
}

export function caseValues(pool: Pool, config: any): Float64Array {
  return acquisitionValues(
    acquisitionName(config.acquisition),
    { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: pool.labels },
    { temperature: config.temperature, eps: config.eps, flags: caseFlags(config) },
  );
}

/**
 * One test per fixture file matching `pattern` (`oracleFixtureFiles`): replays every case through
 * `replay`, then fails on any mismatch, on a case not replayed, or on a file that checked nothing.
 */
export function replayEveryCase(pattern: RegExp, replay: (pool: Pool, fixtureCase: any, bad: Mismatches) => void): void {
  for (const file of oracleFixtureFiles(pattern)) {
    it(`${file.label}: replays every case`, () => {
      const pools = readPools(file.dir);
      const { cases } = readFixture(file.dir, file.name) as { cases: any[] };
      const bad = new Mismatches();
      let replayed = 0;
      for (const c of cases) {
        const pool = pools.get(c.pool);
        if (pool === undefined) throw new Error(`${file.label}: ${c.id} names unknown pool ${c.pool}`);
        replay(pool, c, bad);
        replayed++;
      }
      expect(bad.list.slice(0, 20)).toEqual([]);
      expect(cases.length).toBeGreaterThan(0);
      expect(replayed).toBe(cases.length);
      expect(bad.checked).toBeGreaterThan(cases.length);
    });
  }
}
