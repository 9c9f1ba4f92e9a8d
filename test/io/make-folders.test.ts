import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFolders } from '../../src/io/atomic.js';
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
});

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliPath = join(repoRoot, 'dist/cli.js');

describe.runIf(process.platform === 'linux' && existsSync('/proc/self'))('an --out under /proc', () => {
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
});
