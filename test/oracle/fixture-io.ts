import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { matrix } from '../helpers/matrix.js';
import { ORACLE_FIXTURES } from '../helpers/shared.js';
import type { Matrix } from '../../src/matrix.js';
import { acquisitionValues } from '../../src/metrics/index.js';
import type { NumericsFlags } from '../../src/numerics.js';

/** Reads a fixture file, decoding the README's non-finite strings ("NaN", "Infinity", "-Infinity"). */
export function readFixture<T = any>(name: string): T {
  const text = readFileSync(join(ORACLE_FIXTURES, name), 'utf8');
  return JSON.parse(text, (_key, value) => {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    return value;
  }) as T;
}

/**
 * Fixture files in the fixture directory whose name matches `pattern`, sorted; none without the
 * directory (the suites that use them are then skipped with a notice by `sharedAvailable`).
 */
export function fixtureFiles(pattern: RegExp): string[] {
  if (!existsSync(ORACLE_FIXTURES)) return [];
  return readdirSync(ORACLE_FIXTURES)
    .filter((f) => pattern.test(f))
    .sort();
}

export interface Pool {
  id: string;
  N: number;
  K: number;
  modelScores: Matrix;
  surrogateScores?: Matrix;
  labels: Int32Array;
}

/** The pools of `pools.json`, by id (none without the fixtures). */
export function readPools(): Map<string, Pool> {
  if (!existsSync(ORACLE_FIXTURES)) return new Map();
  const { pools } = readFixture<{ pools: any[] }>('pools.json');
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
 * One test per fixture file matching `pattern`: replays every case through `replay`, then fails
 * on any mismatch, on a case not replayed, or on a file that checked nothing.
 */
export function replayEveryCase(pattern: RegExp, replay: (pool: Pool, fixtureCase: any, bad: Mismatches) => void): void {
  let pools: Map<string, Pool> | undefined;
  for (const file of fixtureFiles(pattern)) {
    it(`${file}: replays every case`, () => {
      pools ??= readPools();
      const { cases } = readFixture<{ cases: any[] }>(file);
      const bad = new Mismatches();
      let replayed = 0;
      for (const c of cases) {
        const pool = pools.get(c.pool);
        if (pool === undefined) throw new Error(`${file}: ${c.id} names unknown pool ${c.pool}`);
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
