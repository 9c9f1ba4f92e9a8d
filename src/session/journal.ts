import { closeSync, fsyncSync, ftruncateSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FileFormatError, OutputExistsError } from '../errors.js';

/** Where a session's records go: a durable file, or memory for simulations and tests. */
export interface JournalSink {
  /** Appends one record; returns only once it is durable. */
  append(record: object): void;
  close(): void;
}

/** Keeps records in memory only (nothing survives the process). */
export class MemoryJournal implements JournalSink {
  readonly records: object[] = [];
  append(record: object): void {
    this.records.push(record);
  }
  close(): void {}
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
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

/** The records of a journal file, and whether a torn last line was dropped. */
export interface JournalContents {
  header: Record<string, unknown>;
  records: Record<string, unknown>[];
  /** Byte length of the complete lines (the file is cut back to this when it is reopened for writing). */
  validLength: number;
  tornLine: boolean;
}

/**
 * An append-only JSON-lines file: the first line is the header, every later line one record.
 * Each append is written with one system call and fsync'ed before `append` returns, so a record
 * that was acknowledged survives a crash. A crash can only leave a torn last line, which
 * `read` detects and drops.
 */
export class FileJournal implements JournalSink {
  private constructor(readonly path: string, private fd: number | undefined) {}

  /**
   * Creates the file with its header, atomically (temporary file + hard link), refusing an
   * existing file.
   * @example
   * const journal = FileJournal.create('run.session', { format: 'active-testing-session' });
   */
  static create(path: string, header: object): FileJournal {
    const temporary = `${path}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeAll(fd, `${JSON.stringify(header)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new OutputExistsError(path, 'open it instead of creating it, or choose another path');
      throw error;
    } finally {
      unlinkSync(temporary);
    }
    fsyncDirectory(path);
    return new FileJournal(path, openSync(path, 'a'));
  }

  /**
   * Parses a journal file. A last line without its newline, or one that is not valid JSON, is a
   * torn write: it is reported through `tornLine` and excluded. Any other bad line is an error.
   */
  static read(path: string): JournalContents {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new FileFormatError(path, `cannot read the session file (${(error as Error).message})`);
    }
    const parsed: Record<string, unknown>[] = [];
    let start = 0;
    let tornLine = false;
    let validLength = 0;
    while (start < bytes.length) {
      const end = bytes.indexOf(0x0a, start);
      const complete = end !== -1;
      const line = bytes.subarray(start, complete ? end : bytes.length).toString('utf8');
      const lineNumber = parsed.length + 1;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        record = undefined;
      }
      const isLast = !complete || end + 1 === bytes.length;
      if (!complete || record === undefined || typeof record !== 'object' || record === null) {
        if (isLast && lineNumber > 1) {
          tornLine = true;
          break;
        }
        throw new FileFormatError(path, `line ${lineNumber} is not a JSON object; the session file is damaged`);
      }
      parsed.push(record as Record<string, unknown>);
      validLength = end + 1;
      start = end + 1;
    }
    const [header, ...records] = parsed;
    if (header === undefined) throw new FileFormatError(path, 'empty file: no session header');
    return { header, records, validLength, tornLine };
  }

  /** Opens an existing journal for appending, first cutting it back to `validLength` (dropping a torn line). */
  static openForAppend(path: string, validLength: number): FileJournal {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, validLength);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return new FileJournal(path, openSync(path, 'a'));
  }

  append(record: object): void {
    if (this.fd === undefined) throw new Error(`${this.path}: journal is closed`);
    writeAll(this.fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
