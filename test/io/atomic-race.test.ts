import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { OutputExistsError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/io/atomic.js';

/** A file that another process creates while the temporary file is being written (no timing: inside `open`). */
const race = vi.hoisted(() => ({ target: '', linkError: '' }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (path, ...rest) => {
    if (race.target !== '' && String(path).endsWith('.tmp')) writeFileSync(race.target, 'theirs');
    return actual.open(path, ...rest);
  };
  // A file system without hard links: link fails with this code.
  const link: typeof actual.link = async (existing, path) => {
    if (race.linkError !== '') throw Object.assign(new Error(`${race.linkError}: link`), { code: race.linkError });
    return actual.link(existing, path);
  };
  return { ...actual, open, link, default: { ...actual, open, link } };
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

describe('writeFileAtomic on a file system without hard links', () => {
  it('puts the file in place by a rename after the check, leaving no temporary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atomic-nolink-'));
    race.target = '';
    race.linkError = 'EPERM';
    try {
      await writeFileAtomic(join(dir, 'labels.tsv'), 'ours');
      expect(readFileSync(join(dir, 'labels.tsv'), 'utf8')).toBe('ours');
      expect(await readdir(dir)).toEqual(['labels.tsv']);
      await expect(writeFileAtomic(join(dir, 'labels.tsv'), 'again')).rejects.toThrow(OutputExistsError);
    } finally {
      race.linkError = '';
    }
  });
});
