import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { runDemo } from '../../src/report/demo.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'demo-options-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runDemo options', () => {
  it('names poolSize, its own option, when the pool size is not a count (not syntheticPool’s size)', async () => {
    for (const poolSize of [0, 1.5]) {
      const error = await runDemo({ out: join(dir, 'demo'), runs: 1, poolSize }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).message).toBe(`poolSize: expected an integer ≥ 1, got ${poolSize}`);
    }
  });
});
