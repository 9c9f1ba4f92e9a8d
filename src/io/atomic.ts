import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, lstat, mkdir, open, readdir, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CancelledError, InputError, InterruptedOutputError, OutputExistsError, ReceivedKind } from '../errors.js';
import { processExists } from './lock.js';
import { faultPause } from './fault.js';

/** Whether an existing file may be replaced. */
export interface WriteOptions {
  /** Replace existing files instead of refusing with `OutputExistsError`. Default false. */
  force?: boolean;
}

/**
 * The contents of an output file, or their parts in order (e.g. a header and a view of an array's
 * bytes, not joined in memory). Each part is written before the next is taken, so an iterable may
 * make its parts as it goes, in one reused buffer (`int64NpyParts`).
 */
export type OutputContents = Uint8Array | string | Iterable<Uint8Array>;

/** One file of an output folder: its name inside the folder and its contents. */
export interface OutputFile {
  name: string;
  /**
   * The contents, or a function that makes them (at once or as a promise) when the file is
   * written: for the commit marker, once the writes of every other file have started, while they
   * are written and flushed to disk (e.g. a summary computed in turns while the disk works).
   */
  data: OutputContents | (() => OutputContents | Promise<OutputContents>);
}

export interface OutputFolderOptions extends WriteOptions {
  /**
   * Every file name this kind of output can contain, beyond those being written. Existing ones
   * are refused like the written ones, and with `force` they are removed, so that a forced run
   * never leaves a stale file from an earlier run beside its own results.
   */
  managed?: readonly string[];
  /**
   * The file whose presence says the folder is complete (e.g. `summary.json`). It is renamed into
   * place after every other file, and with `force` an existing one is removed before any other
   * file is replaced, so that a run killed half-way never leaves a folder that looks complete.
   */
  commitMarker?: string;
  /**
   * Files that describe the whole output beside the commit marker (e.g. a report's `summary.md`
   * beside its `summary.json`): removed with the marker before any other file is replaced, and
   * renamed into place after every other file, just before it, so that a folder left half-way by
   * a forced run never holds the old ones beside some of the new files. Only with `commitMarker`.
   */
  markerCompanions?: readonly string[];
  /**
   * Stops the write (`CancelledError`) when aborted before the files are renamed into place: the
   * temporary files are removed and nothing of the new output is left. The renames, once begun,
   * finish (they take moments): stopped between them, a forced write would leave neither the old
   * output nor the new one.
   */
  signal?: AbortSignal;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a file is written before it is put in place under `path`: beside it, hidden, under a name
 * of this process's own, which `removeStaleTemporaries` recognises once the process is gone.
 */
export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

const TEMPORARY = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

function processAlive(pid: number): boolean {
  return pid === process.pid || processExists(pid);
}

/**
 * Removes the temporary files that an earlier writer of `names` in `dir` left behind when it was
 * killed (those of a process still running are kept). Returns the names removed, so that the
 * caller can say that an earlier run was interrupted. A writer is judged by its process id on
 * this machine: a folder written from several machines at once (a network file system) is not
 * supported. Sessions and output folders are guarded there by their locks, which record their
 * host and refuse a second writer first; a single file written by `writeFileAtomic` outside them
 * (an export, a calibration file) is not, and a writer on another machine could lose its write.
 *
 * @example
 * const left = await removeStaleTemporaries('runs/a', ['estimates.npy', 'summary.json']);
 * if (left.length > 0) console.error(`removed ${left.length} files of an interrupted run`);
 */
export async function removeStaleTemporaries(dir: string, names: readonly string[]): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const stale = entries.filter((entry) => {
    const match = TEMPORARY.exec(entry);
    return match !== null && names.includes(match[1] as string) && !processAlive(Number(match[2]));
  });
  await Promise.all(stale.map((entry) => rm(join(dir, entry), { force: true })));
  return stale;
}

/** What `checkInterruptedOutputs` found and did. */
export interface InterruptedOutputs {
  /** Temporary files of a killed writer, removed. */
  removed: string[];
  /** Outputs present without the commit marker: an interrupted run's, which `force` replaces. */
  left: string[];
}

/**
 * Looks in an output folder for what an interrupted run left, before any work: removes the
 * temporary files of a killed writer of `names`, and refuses (`InterruptedOutputError`, unless
 * `force`) outputs among `names` present without `commitMarker`, the file a run writes last, so
 * that the user is told the folder holds no finished results rather than only that files exist.
 * `names` may lie in subfolders (`pool/labels.npy`); temporaries are looked for in `dir` itself.
 *
 * @example
 * const { removed, left } = await checkInterruptedOutputs('runs/a', ['estimates.npy', 'summary.json'], 'summary.json', { what: 'run' });
 * @throws InterruptedOutputError when outputs are there without the marker and `force` is not set.
 */
export async function checkInterruptedOutputs(
  dir: string,
  names: readonly string[],
  commitMarker: string,
  options: WriteOptions & { what: string },
): Promise<InterruptedOutputs> {
  const removed = await removeStaleTemporaries(dir, names);
  const left: string[] = [];
  if (!(await exists(join(dir, commitMarker)))) {
    for (const name of names) if (name !== commitMarker && (await exists(join(dir, name)))) left.push(name);
  }
  if (left.length > 0 && !options.force) {
    const cleaned = removed.length > 0 ? ` (its ${removed.length} temporary file(s) were removed)` : '';
    throw new InterruptedOutputError(dir, left, commitMarker, `${options.what}${cleaned}`);
  }
  return { removed, left };
}

/**
 * Refuses early, before any work, an output folder that cannot be written: `dir` (or, when it
 * does not exist yet, its nearest existing parent) must be a folder this user may write to.
 * Throws `InputError` naming `argument` (e.g. `--out`) and what is wrong.
 *
 * @example
 * await assertFolderWritable('runs/a', '--out');
 * @throws InputError when the path is a file, lies inside a file or a link to nothing, or cannot be
 * written by this user.
 */
export async function assertFolderWritable(dir: string, argument = 'out'): Promise<void> {
  let path = resolve(dir);
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(path);
      // A link to nothing cannot be made into a folder: mkdir would say it "already exists".
      if (code === 'ENOENT' && (await isLink(path))) {
        const link = 'a link whose target does not exist';
        const why = path === resolve(dir) ? `it is ${link}` : `it cannot be created: ${path} is ${link}`;
        throw new InputError({
          argument,
          expected: 'a folder (or a path where one can be created)',
          received: ReceivedKind.noted(dir, why),
        });
      }
      if ((code === 'ENOENT' || code === 'ENOTDIR') && parent !== path) {
        path = parent;
        continue;
      }
      throw new InputError({
        argument,
        expected: 'a folder that can be written',
        received: ReceivedKind.noted(dir, (error as Error).message),
      });
    }
    if (!isDirectory) {
      const why = path === resolve(dir) ? 'it is a file' : `it cannot be created: ${path} is a file`;
      throw new InputError({ argument, expected: 'a folder (or a path where one can be created)', received: ReceivedKind.noted(dir, why) });
    }
    try {
      await access(path, constants.W_OK | constants.X_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'EROFS' ? 'is on a read-only file system' : 'is not writable by this user';
      throw new InputError({
        argument,
        expected: 'a folder that can be written',
        received: ReceivedKind.noted(dir, `${path === resolve(dir) ? 'it' : path} ${reason}`),
      });
    }
    return;
  }
}

/**
 * Writes `contents` (or their parts, one after the other) into a new file's open handle, flushes it to
 * disk and closes it; closed also when making the contents fails.
 */
async function writeAndClose(handle: FileHandle, path: string, contents: OutputContents | Promise<OutputContents>): Promise<void> {
  try {
    const data = await contents;
    try {
      // Each writeFile on a handle continues where the last one ended.
      for (const part of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) await handle.writeFile(part);
      await handle.sync();
    } catch (error) {
      throw namingPath(error, path);
    }
  } finally {
    await handle.close();
  }
}

/** Errors of a file handle do not say which file: name it, for the message the user sees. */
function namingPath(error: unknown, path: string): unknown {
  if (typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).path === undefined)
    (error as NodeJS.ErrnoException).path = path;
  return error;
}

/** Writes `data` to a new file at `path` and flushes it to disk. */
async function writeDurably(path: string, data: OutputContents): Promise<void> {
  await writeAndClose(await open(path, 'wx'), path, data);
}

/** The codes of `link` on a file system that has no hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Writes a file atomically: the contents go to a temporary file in the same folder, are flushed
 * with fsync, then put in place at `path`, so a reader sees either the old file or the complete new
 * one. The folder is created if missing. An existing `path` is refused with `OutputExistsError`
 * unless `{ force: true }` (the temporary file then replaces it by a rename); without `force` it
 * is put in place by a hard link, which fails when `path` exists, so a file another process
 * creates meanwhile is refused too, never replaced (on a file system without hard links, by a
 * rename after the check). Temporary files of this path that a killed writer left are removed
 * first (`removeStaleTemporaries`).
 *
 * @example
 * await writeFileAtomic('out/summary.json', JSON.stringify(summary), { force: true });
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<void> {
  if (!options.force && (await exists(path))) throw new OutputExistsError(path);
  await makeFolders(dirname(path));
  // A writer of this file killed mid-write left its temporary, which nothing else would remove.
  await removeStaleTemporaries(dirname(path), [basename(path)]);
  const temporary = temporaryName(path);
  try {
    await writeDurably(temporary, data);
    if (options.force) await rename(temporary, path);
    else
      await link(temporary, path).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') throw new OutputExistsError(path);
        if (!NO_HARD_LINKS.has(error.code ?? '')) throw error;
        // A file system without hard links (FAT, exFAT, some network shares): the check above, then a rename.
        await rename(temporary, path);
      });
  } finally {
    await rm(temporary, { force: true });
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
  await assertFolderWritable(dir);
  if (options.force) return;
  for (const name of names) {
    const path = join(dir, name);
    if (await exists(path)) throw new OutputExistsError(path);
  }
}

/**
 * Writes a set of files into a folder as one unit: all are written to temporary files first,
 * and only when every one of them is on disk are they renamed into place. The files are written
 * at once, the commit marker as soon as its contents are made; a function that makes them is
 * called once the others are open, and when it returns a promise and gives the event loop turns
 * meanwhile, the others are written and flushed to disk while it works. On failure the
 * temporary files are removed and nothing of the new output is left behind, not even the
 * folders this call created (a refused summary must not leave an empty folder). Existing output
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
  cancelledBefore(options.signal, dir);
  const written = files.map((f) => f.name);
  const stale = (options.managed ?? []).filter((name) => !written.includes(name));
  await assertOutputsWritable(dir, [...written, ...stale], options);
  // What this call created, removed again if the write fails: a refused or failed write leaves
  // no new folder behind.
  const created = await makeFolders(dir);
  await removeStaleTemporaries(dir, [...written, ...stale]);
  const marker = options.commitMarker;
  const companions = marker === undefined ? [] : (options.markerCompanions ?? []);
  const rank = (f: OutputFile) => (f.name === marker ? 2 : companions.includes(f.name) ? 1 : 0);
  const ordered = marker === undefined ? files : [0, 1, 2].flatMap((r) => files.filter((f) => rank(f) === r));
  const staged: Array<{ temporary: string; path: string }> = ordered.map((file) => {
    const path = join(dir, file.name);
    return { temporary: temporaryName(path), path };
  });
  const contents = async (file: OutputFile): Promise<OutputContents> => (typeof file.data === 'function' ? file.data() : file.data);
  const last = marker !== undefined && ordered.at(-1)?.name === marker ? ordered.length - 1 : ordered.length;
  const opened = await Promise.allSettled(
    ordered.slice(0, last).map(async (_, index) => {
      await faultPause('output:step');
      return open(staged[index].temporary, 'wx');
    }),
  );
  // Every file but the marker at once, each flushed to disk as soon as it is written; the marker's
  // contents are made meanwhile (a function that gives the event loop turns lets the writes go on).
  const handles = opened.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failedOpen = opened.find((outcome) => outcome.status === 'rejected');
  const writes =
    failedOpen === undefined
      ? handles.map((handle, index) => writeAndClose(handle, staged[index].temporary, contents(ordered[index])))
      : handles.map((handle) => handle.close());
  // The marker is written (under its temporary name) as soon as it is made, while the others may
  // still be flushing: flushing to disk can take longer than making it.
  const markerWritten = (async () => {
    if (failedOpen !== undefined || last === ordered.length) return;
    const markerContents = await contents(ordered[last]);
    await faultPause('output:step');
    await writeDurably(staged[last].temporary, markerContents);
  })();
  try {
    const [made, ...outcomes] = await Promise.allSettled([markerWritten, ...writes]);
    const failed =
      failedOpen ?? outcomes.find((outcome) => outcome.status === 'rejected') ?? (made.status === 'rejected' ? made : undefined);
    if (failed !== undefined) throw failed.reason;
    cancelledBefore(options.signal, dir);
    if (marker !== undefined) {
      await rm(join(dir, marker), { force: true });
      await Promise.all(companions.map((name) => rm(join(dir, name), { force: true })));
      await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
    }
    for (const { temporary, path } of staged) {
      await faultPause('output:step');
      await rename(temporary, path);
    }
  } catch (error) {
    await Promise.all(staged.map(({ temporary }) => rm(temporary, { force: true })));
    await removeCreatedFolders(dir, created);
    throw error;
  }
  if (marker === undefined) await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
  await syncFolder(dir);
  return staged.map(({ path }) => path);
}

/** How many times `makeFolders` walks the path again after another process removed a folder of it. */
const MAKE_FOLDERS_ATTEMPTS = 10;

/**
 * Creates `dir` and its missing parents, as `mkdir(dir, { recursive: true })` does, and returns
 * the first folder it created (undefined when `dir` was there). Node's recursive mkdir spins for
 * ever, at full CPU and deaf to signals, where a folder that exists cannot hold the child it was
 * asked for and says ENOENT (`/proc/runs` on Linux): it takes the ENOENT to mean a missing parent
 * and makes the parent again. Here each missing folder is made once, from the nearest that
 * exists down, and a failure is thrown as it is, but for a missing parent or folder: another
 * process may have removed it meanwhile (a writer removing the empty folders it made), so the
 * path is walked again, a few times at most (under `/proc` each walk fails alike, at once).
 *
 * @example
 * await makeFolders('runs/a/b'); // 'runs' when it made all three
 * await makeFolders('/proc/runs'); // throws ENOENT
 * @throws the failed `mkdir`'s error (ENOENT, ENOTDIR, EACCES, EEXIST for a file or a dangling link).
 */
export async function makeFolders(dir: string): Promise<string | undefined> {
  const made: MadeFolders = { top: undefined };
  for (let attempt = 1; ; attempt++) {
    try {
      await makeMissingFolders(dir, made);
      return made.top;
    } catch (error) {
      const walkAgain = error instanceof FolderRemovedMeanwhile && attempt < MAKE_FOLDERS_ATTEMPTS;
      if (!walkAgain) throw error instanceof FolderRemovedMeanwhile ? error.cause : error;
    }
  }
}

/** The topmost folder `makeFolders` made, over all its walks. */
interface MadeFolders {
  top: string | undefined;
}

/** A mkdir that failed on a missing parent or folder, which another process may have removed meanwhile. */
class FolderRemovedMeanwhile extends Error {}

/** One walk of `makeFolders`: records in `made` the folders it makes. */
async function makeMissingFolders(dir: string, made: MadeFolders): Promise<void> {
  const missing: string[] = [];
  // Paths as the caller wrote them (relative ones too), so that an error names the folder so.
  for (let folder = dir; ; folder = dirname(folder)) {
    const kind = await folderKind(folder);
    if (kind === 'folder') break;
    if (kind === 'missing' && dirname(folder) !== folder) {
      missing.push(folder);
      continue;
    }
    // A file where a folder is asked for, a path that cannot be looked up, or a missing top (the
    // working folder was removed): making it says why (EEXIST, ENOTDIR, EACCES, ENOENT).
    if (missing.length === 0) missing.push(folder);
    break;
  }
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder);
      // Each walk goes from the nearest folder that exists down; a later walk can start higher.
      if (made.top === undefined || folder.length < made.top.length) made.top = folder;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        const now = await folderKind(folder);
        // Made meanwhile by another process: not this call's to remove.
        if (now === 'folder') continue;
        // Removed again since (a link to nothing is refused as mkdir refuses it).
        if (now === 'missing' && !(await isLink(folder))) throw new FolderRemovedMeanwhile('', { cause: error });
      }
      // No parent: removed meanwhile by another process (perhaps made again since), or a folder
      // that cannot hold this one (`/proc`), where the walks run out and the ENOENT is thrown.
      if (code === 'ENOENT') throw new FolderRemovedMeanwhile('', { cause: error });
      throw error;
    }
  }
}

/** Whether `path` is a symbolic link (one to nothing, where `stat` says it is missing). */
async function isLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * What is at `path`, links followed: a folder, nothing (a dangling link too), or something else,
 * which includes a path that cannot be looked up (a file as its parent: ENOTDIR, EACCES).
 */
async function folderKind(path: string): Promise<'folder' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'other';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'other';
  }
}

/**
 * Removes the folders from `dir` up to `created` (the first folder `makeFolders` made for it, as
 * its result says), each only while it is empty: what another process put in one meanwhile is not
 * this writer's to remove. Nothing when `created` is undefined (makeFolders made none).
 *
 * @example
 * const created = await makeFolders('runs/a/b'); // 'runs' when it made all three
 * await removeCreatedFolders('runs/a/b', created); // removes b, a and runs while each is empty
 */
export async function removeCreatedFolders(dir: string, created: string | undefined): Promise<void> {
  if (created === undefined) return;
  const top = resolve(created);
  for (let folder = resolve(dir); ; folder = dirname(folder)) {
    try {
      await rmdir(folder);
    } catch {
      return;
    }
    if (folder === top || dirname(folder) === folder) return;
  }
}

function cancelledBefore(signal: AbortSignal | undefined, dir: string): void {
  if (signal?.aborted) throw new CancelledError(`writing ${dir} was cancelled; nothing of it was written`);
}

/** Flushes a folder's entries (the renames) to disk; not every platform can open a folder. */
async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a folder; the renames are still atomic there.
  } finally {
    await handle?.close();
  }
}
