import { closeSync, fstatSync, fsyncSync, ftruncateSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FileFormatError, OutputExistsError } from '../errors.js';
import { SessionFileError } from './errors.js';
import { recoveryHint } from './header.js';
import { faultPoint, faultPointActive } from '../io/fault.js';

/** Where a session's records go: a durable file, or memory for simulations and tests. */
export interface JournalSink {
  /** Appends record number `sequence` (1 for the first after the header); returns only once it is durable. */
  append(record: object, sequence: number): void;
  close(): void;
}

/** Keeps records in memory only (nothing survives the process). */
export class MemoryJournal implements JournalSink {
  readonly records: object[] = [];
  append(record: object, sequence: number): void {
    if (sequence !== this.records.length + 1)
      throw new Error(`record ${sequence} is out of sequence (the journal holds ${this.records.length})`);
    this.records.push(record);
  }
  close(): void {}
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

function fsyncDirectory(path: string): void {
  const fd = openSync(dirname(path), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The records of a journal file, and what of its end is not a record. */
export interface JournalContents {
  header: Record<string, unknown>;
  records: Record<string, unknown>[];
  /** Byte length of the complete records (an unreadable tail beyond it is set aside when the file is reopened for writing). */
  validLength: number;
  /** Whether the file ends in an unreadable last line (a write interrupted by a crash). */
  tornLine: boolean;
  /** The unreadable last line's bytes (empty when there is none). */
  tail: Buffer;
  /** Whether the last record lacks its newline (the file was saved by an editor): one is added before the next append. */
  needsNewline: boolean;
}

const NEWLINE = 0x0a;

function fileError(path: string, action: string, error: unknown): SessionFileError {
  return new SessionFileError(
    `cannot ${action} the session file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
  );
}

/** Runs a file-system action, reporting an error of the file system as a one-line `SessionFileError`. */
function withFileError<T>(path: string, action: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof SessionFileError || !(error as NodeJS.ErrnoException).code) throw error;
    throw fileError(path, action, error);
  }
}

/** Where a journal's unreadable tail is moved: beside it, under a name no other file has. */
function sideFile(path: string): string {
  for (let n = 1; ; n++) {
    const candidate = `${path}.torn-${n}`;
    try {
      closeSync(openSync(candidate, 'r'));
    } catch {
      return candidate;
    }
  }
}

/**
 * An append-only JSON-lines file: the first line is the header, every later line one record.
 * Each append is written with one system call and fsync'ed before `append` returns, so a record
 * that was acknowledged survives a crash. A crash can only leave a torn last line, which
 * `read` detects; reopening moves it to a side file. Every record carries its sequence number
 * `s` (1, 2, ...), and an append is refused unless it is the next one and the file is still as
 * this process left it, so that two writers can never interleave records unnoticed, and unless
 * the path still names the open file, so that a record never goes to a deleted or replaced file.
 */
export class FileJournal implements JournalSink {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
    /** Records in the file (the header excluded). */
    private count: number,
    /** The file's length as this process last wrote it. */
    private length: number,
  ) {}

  /** Records in the file, the header excluded: the next record's sequence number is one more. */
  get records(): number {
    return this.count;
  }

  /**
   * Creates the file with its header, atomically (temporary file + hard link), refusing an
   * existing file. `serialize` gives the bytes of the header's JSON in chunks, each written before
   * the next is asked for (default: `JSON.stringify` in one).
   * @example
   * const journal = FileJournal.create('run.session', { format: 'active-testing-session' });
   */
  static create<T extends object>(
    path: string,
    header: T,
    serialize: (header: T) => Iterable<Uint8Array> = (h) => [Buffer.from(JSON.stringify(h))],
  ): FileJournal {
    const temporary = `${path}.${process.pid}.tmp`;
    let length = 0;
    try {
      const fd = openSync(temporary, 'w');
      try {
        for (const chunk of serialize(header)) {
          writeAll(fd, chunk);
          length += chunk.length;
        }
        writeAll(fd, '\n');
        length += 1;
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new OutputExistsError(path, 'open it instead of creating it, or choose another path');
      throw fileError(path, 'create', error);
    } finally {
      try {
        unlinkSync(temporary);
      } catch {
        // Never created.
      }
    }
    return withFileError(path, 'create', () => {
      fsyncDirectory(path);
      return new FileJournal(path, openSync(path, 'a'), 0, length);
    });
  }

  /**
   * Parses a journal file. Every line that parses as a JSON object is a record, the last one
   * too when its newline is missing. Only an unreadable last line is a torn write: it is
   * reported through `tornLine` and `tail` and excluded. Any other bad line is an error.
   * `parseHeader` may parse the first line faster than `JSON.parse` (undefined: it could not).
   */
  static read(path: string, parseHeader?: (line: Buffer) => Record<string, unknown> | undefined): JournalContents {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new FileFormatError(path, `cannot read the session file (${(error as Error).message})`);
    }
    const parsed: Record<string, unknown>[] = [];
    let start = 0;
    let validLength = 0;
    let needsNewline = false;
    let tail = Buffer.alloc(0);
    while (start < bytes.length) {
      const end = bytes.indexOf(NEWLINE, start);
      const complete = end !== -1;
      const next = complete ? end + 1 : bytes.length;
      const lineNumber = parsed.length + 1;
      const line = bytes.subarray(start, complete ? end : bytes.length);
      let record: unknown = lineNumber === 1 ? parseHeader?.(line) : undefined;
      if (record === undefined) {
        try {
          record = JSON.parse(line.toString('utf8'));
        } catch {
          record = undefined;
        }
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        if (next === bytes.length && lineNumber > 1) {
          tail = Buffer.from(bytes.subarray(start));
          break;
        }
        throw new FileFormatError(path, `line ${lineNumber} is not a JSON object; the session file is damaged; ${recoveryHint(path)}`);
      }
      parsed.push(record as Record<string, unknown>);
      validLength = next;
      needsNewline = !complete;
      start = next;
    }
    const [header, ...records] = parsed;
    if (header === undefined) throw new FileFormatError(path, 'empty file: no session header');
    return { header, records, validLength, tornLine: tail.length > 0, tail, needsNewline };
  }

  /**
   * Opens an existing journal for appending. A torn tail is first copied to a side file next to
   * the journal (`<path>.torn-1`, ...), flushed, and only then cut from the journal; a last record
   * without its newline gets one. Returns the journal and the side file, if one was written.
   */
  static openForAppend(path: string, contents: JournalContents): { journal: FileJournal; sideFile?: string } {
    return withFileError(path, 'open for writing', () => FileJournal.reopen(path, contents));
  }

  private static reopen(path: string, contents: JournalContents): { journal: FileJournal; sideFile?: string } {
    let aside: string | undefined;
    if (contents.tail.length > 0) {
      aside = sideFile(path);
      const fd = openSync(aside, 'wx');
      try {
        writeAll(fd, contents.tail);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      fsyncDirectory(aside);
      faultPoint('journal:set-aside');
    }
    const fd = openSync(path, 'r+');
    let length = contents.validLength;
    try {
      ftruncateSync(fd, length);
      if (contents.needsNewline) length += writeSync(fd, '\n', length);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { journal: new FileJournal(path, openSync(path, 'a'), contents.records.length, length), sideFile: aside };
  }

  /**
   * Appends record number `sequence` (which must be the next one) and flushes it.
   * @throws {SessionFileError} when `sequence` is not the next number, another process has
   * written to the file since this one last did, or the file was deleted, renamed or replaced.
   */
  append(record: object, sequence = this.count + 1): void {
    if (this.fd === undefined) throw new Error(`${this.path}: journal is closed`);
    if (sequence !== this.count + 1) {
      throw new SessionFileError(`${this.path}: record ${sequence} is out of sequence (the journal holds ${this.count} records)`);
    }
    const open = fstatSync(this.fd);
    // A record written to a file no longer at the path would be acknowledged and then lost: the
    // next open reads whatever is at the path now (nothing, or another file).
    const atPath = withFileError(this.path, 'check', () => statSync(this.path, { throwIfNoEntry: false }));
    if (open.nlink === 0 || atPath === undefined || atPath.ino !== open.ino || atPath.dev !== open.dev) {
      throw new SessionFileError(
        `${this.path}: the session file was deleted, renamed or replaced since this process opened it, so a record written now would be lost`,
      );
    }
    if (open.size !== this.length) {
      throw new SessionFileError(
        `${this.path}: another process has written to the session file since this one opened it (${open.size} bytes, expected ${this.length})`,
      );
    }
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    if (faultPointActive('journal:append')) {
      const half = bytes.length >> 1;
      writeAll(this.fd, bytes.subarray(0, half));
      faultPoint('journal:append');
      writeAll(this.fd, bytes.subarray(half));
    } else writeAll(this.fd, bytes);
    fsyncSync(this.fd);
    this.count++;
    this.length += bytes.length;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
