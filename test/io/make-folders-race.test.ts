import { mkdtempSync, rmdirSync, rmSync, statSync } from 'node:fs';
import type * as fsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { makeFolders } from '../../src/io/atomic.js';

// Another process removing a folder of the path between makeFolders' look and its mkdir, played
// deterministically: the mocked mkdir removes the parent once, just before the real call.

/** The folders whose parent the next mkdir of them removes first, once each. */
const removeParentBefore = new Set<string>();

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsPromises>();
  return {
    ...real,
    mkdir: (async (path: string, options?: unknown) => {
      if (removeParentBefore.delete(path)) rmdirSync(dirname(path));
      return real.mkdir(path, options as never);
    }) as typeof real.mkdir,
  };
});

const dir = mkdtempSync(join(tmpdir(), 'at-make-folders-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('makeFolders when another process removes a folder of the path meanwhile', () => {
  it('walks the path again, makes the folder and reports the topmost it made', async () => {
    const parent = join(dir, 'parent');
    await makeFolders(parent);
    const target = join(parent, 'run');
    removeParentBefore.add(target);
    expect(await makeFolders(target)).toBe(parent);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(removeParentBefore.size).toBe(0);
  });

  it('walks again when a folder it made is removed before its child is made', async () => {
    const target = join(dir, 'a', 'b', 'c');
    removeParentBefore.add(join(dir, 'a', 'b'));
    expect(await makeFolders(target)).toBe(join(dir, 'a'));
    expect(statSync(target).isDirectory()).toBe(true);
  });
});
