import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputExistsError } from '../errors.js';

/** Whether an existing file may be replaced. */
export interface WriteOptions {
  /** Replace existing files instead of refusing with `OutputExistsError`. Default false. */
  force?: boolean;
}

/** One file of an output folder: its name inside the folder and its contents. */
export interface OutputFile {
  name: string;
  data: Uint8Array | string;
}

export interface OutputFolderOptions extends WriteOptions {
  /**
   * Every file name this kind of output can contain, beyond those being written. Existing ones
   * are refused like the written ones, and with `force` they are removed, so that a forced run
   * never leaves a stale file from an earlier run beside its own results.
   */
  managed?: readonly string[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` to `path` and flushes it to disk. */
async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a file atomically: the contents go to a temporary file in the same folder, are flushed
 * with fsync, then renamed over `path`, so a reader sees either the old file or the complete new
 * one. The folder is created if missing. An existing `path` is refused with `OutputExistsError`
 * unless `{ force: true }`.
 *
 * @example
 * await writeFileAtomic('out/summary.json', JSON.stringify(summary), { force: true });
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  if (!options.force && (await exists(path))) throw new OutputExistsError(path);
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryName(path);
  try {
    await writeDurably(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Refuses early, before any expensive work, when an output folder already holds any of `names`
 * and `force` is not set: throws `OutputExistsError` naming the first existing file.
 *
 * @example
 * await assertOutputsWritable('runs/a', ['estimates.npy', 'summary.json'], { force: false });
 */
export async function assertOutputsWritable(dir: string, names: readonly string[], options: WriteOptions = {}): Promise<void> {
  if (options.force) return;
  for (const name of names) {
    const path = join(dir, name);
    if (await exists(path)) throw new OutputExistsError(path);
  }
}

/**
 * Writes a set of files into a folder as one unit: all are written to temporary files first,
 * and only when every one of them is on disk are they renamed into place. On failure the
 * temporary files are removed and nothing of the new output is left behind. Existing output
 * files are refused (`OutputExistsError`) unless `force`, which replaces all of them and removes
 * `managed` files that this output does not include. Returns the paths written.
 *
 * @example
 * await writeOutputFolder('runs/a', [
 *   { name: 'estimates.npy', data: encodeNpy(estimates) },
 *   { name: 'summary.json', data: JSON.stringify(summary, null, 2) },
 * ], { force: false, managed: ['bootstrap_variance.npy'] });
 */
export async function writeOutputFolder(dir: string, files: readonly OutputFile[], options: OutputFolderOptions = {}): Promise<string[]> {
  const written = files.map((f) => f.name);
  const stale = (options.managed ?? []).filter((name) => !written.includes(name));
  await assertOutputsWritable(dir, [...written, ...stale], options);
  await mkdir(dir, { recursive: true });
  const staged: Array<{ temporary: string; path: string }> = [];
  try {
    for (const file of files) {
      const path = join(dir, file.name);
      const temporary = temporaryName(path);
      staged.push({ temporary, path });
      await writeDurably(temporary, file.data);
    }
  } catch (error) {
    await Promise.all(staged.map(({ temporary }) => rm(temporary, { force: true })));
    throw error;
  }
  for (const { temporary, path } of staged) await rename(temporary, path);
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
  return staged.map(({ path }) => path);
}
