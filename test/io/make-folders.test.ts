import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { assertFolderWritable, makeFolders } from '../../src/io/atomic.js';
import { writeNpy } from '../../src/io/npy.js';

// Output folders are made by `makeFolders`, not by Node's recursive mkdir, which never returns
// where a folder that exists answers ENOENT for a child it cannot hold (Linux's /proc).

const dir = mkdtempSync(join(tmpdir(), 'at-make-folders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('makeFolders', () => {
  it('makes the missing folders and returns the first it made, as mkdir -p', async () => {
    const target = join(dir, 'runs', 'a', 'b');
    expect(await makeFolders(target)).toBe(join(dir, 'runs'));
    expect(statSync(target).isDirectory()).toBe(true);
    expect(await makeFolders(target)).toBeUndefined();
    expect(await makeFolders(join(dir, 'runs', 'a', 'c'))).toBe(join(dir, 'runs', 'a', 'c'));
  });

  it('names the folders as the caller wrote them, relative ones too', async () => {
    const target = relative(process.cwd(), join(dir, 'relative', 'a'));
    expect(target.startsWith('/')).toBe(false);
    expect(await makeFolders(target)).toBe(relative(process.cwd(), join(dir, 'relative')));
    expect(statSync(target).isDirectory()).toBe(true);
  });

  it('lets calls at once make the same folders, one of them reporting the top as made', async () => {
    const target = join(dir, 'together', 'a', 'b');
    const made = await Promise.all(Array.from({ length: 6 }, () => makeFolders(target)));
    expect(statSync(target).isDirectory()).toBe(true);
    expect(made.filter((top) => top !== undefined).length).toBeGreaterThanOrEqual(1);
    expect(made.every((top) => top === undefined || top.startsWith(join(dir, 'together')))).toBe(true);
  });

  it('refuses a file in the path as mkdir does', async () => {
    const file = join(dir, 'file.txt');
    writeFileSync(file, 'x');
    await expect(makeFolders(file)).rejects.toMatchObject({ code: 'EEXIST', syscall: 'mkdir' });
    await expect(makeFolders(join(file, 'out'))).rejects.toMatchObject({ code: 'ENOTDIR', syscall: 'mkdir', path: join(file, 'out') });
  });

  it('refuses a dangling link, under it or as the folder, and makes nothing', async () => {
    const link = join(dir, 'dangling');
    symlinkSync(join(dir, 'absent-target'), link);
    await expect(makeFolders(join(link, 'out'))).rejects.toMatchObject({ code: 'EEXIST', syscall: 'mkdir', path: link });
    await expect(makeFolders(link)).rejects.toMatchObject({ code: 'EEXIST', syscall: 'mkdir', path: link });
    expect(existsSync(join(dir, 'absent-target'))).toBe(false);
  });

  it('has assertFolderWritable name a dangling link as such, before any work', async () => {
    const link = join(dir, 'dangling-out');
    symlinkSync(join(dir, 'absent-out-target'), link);
    await expect(assertFolderWritable(link, '--out')).rejects.toThrow(
      `--out: expected a folder (or a path where one can be created), got "${link}" (it is a link whose target does not exist)`,
    );
    await expect(assertFolderWritable(join(link, 'run'), '--out')).rejects.toThrow(
      `(it cannot be created: ${link} is a link whose target does not exist)`,
    );
  });
});

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliPath = join(repoRoot, 'dist/cli.js');

// Only root gets past assertFolderWritable to the mkdir under /proc that spun; anyone else is
// refused earlier, as /proc is not writable by them.
describe.runIf(process.platform === 'linux' && existsSync('/proc/self') && process.getuid?.() === 0)(
  'an --out under /proc, as root',
  () => {
    it('is refused in one line, where Node recursive mkdir would spin for ever', async () => {
      if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
      await writeNpy(join(dir, 'f.npy'), { data: Float64Array.of(1, 0, 0, 1, 2, 0), shape: [3, 2] });
      await writeNpy(join(dir, 'y.npy'), Int32Array.of(0, 1, 0));
      const out = `/proc/at-make-folders-${process.pid}`;
      const argv = ['simulate', '--model-scores', join(dir, 'f.npy'), '--labels', join(dir, 'y.npy'), '--runs', '2', '--out', out];
      // The kill only ends a run that hangs; a fixed one answers at once.
      const child = spawnSync(process.execPath, [cliPath, ...argv], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
      expect(child.signal).toBeNull();
      expect(child.status).toBe(1);
      expect(child.stderr).toBe(`active-testing simulate: ${out}: no such file (ENOENT, mkdir)\n`);
    });

    it('as the folder of serve --demo --session is refused in one line too', () => {
      if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
      const session = `/proc/at-make-folders-${process.pid}/demo.session`;
      const argv = ['serve', '--demo', '--session', session, '--port', '0'];
      const child = spawnSync(process.execPath, [cliPath, ...argv], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
      expect(child.signal).toBeNull();
      expect(child.status).toBe(1);
      expect(child.stderr).toBe(`active-testing serve: ${dirname(session)}: no such file (ENOENT, mkdir)\n`);
    });
  },
);
