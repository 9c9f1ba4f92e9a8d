import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { OutputExistsError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/io/atomic.js';

/** A file that another process creates while the temporary file is being written (no timing: inside `open`). */
const race = vi.hoisted(() => ({ target: '' }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (path, ...rest) => {
    if (race.target !== '' && String(path).endsWith('.tmp')) writeFileSync(race.target, 'theirs');
    return actual.open(path, ...rest);
  };
  return { ...actual, open, default: { ...actual, open } };
});

describe('writeFileAtomic without force', () => {
  it('refuses a file that appears at the path while it writes, leaving that file and no temporary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atomic-race-'));
    race.target = join(dir, 'labels.tsv');
    const writing = writeFileAtomic(race.target, 'ours');
    await expect(writing).rejects.toThrow(OutputExistsError);
    await expect(writing).rejects.toThrow(`${race.target} already exists`);
    expect(readFileSync(race.target, 'utf8')).toBe('theirs');
    expect(await readdir(dir)).toEqual(['labels.tsv']);
  });
});
