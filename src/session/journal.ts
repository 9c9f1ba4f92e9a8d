import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { FileFormatError, OutputExistsError } from '../errors.js';
import { SessionFileError } from './errors.js';
import { recoveryHint, type HeaderLineParser } from './header.js';
import {
  ChecksumReader,
  ChecksumWriter,
  checkedRecordLine,
  endsInRecordCheck,
  hasDamagedCheckKey,
  lineChecksum,
  verifyRecordLine,
  type LineChecksum,
} from './checksum.js';
import { removeStaleTemporaries, temporaryName } from '../io/atomic.js';
import { faultPoint, faultPointActive } from '../io/fault.js';
import { unreadableFile } from '../io/unreadable.js';

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

function cannotRead(path: string, error: unknown): FileFormatError {
  return unreadableFile(path, error, 'the session file');
}

/** Bytes of a session file read at a time while its header line is parsed: a few MB, reused. */
const READ_CHUNK = 1 << 22;

/**
 * The first line of the file at `path` parsed by `headerParser` as the file is read, a chunk at a
 * time into one reused buffer (at N·K = 10^7 scores per model, no 215 MB buffer of the whole file
 * and no pass over it to find the line's end), and the bytes after the line. Undefined when the
 * parser could not parse the line.
 */
function readStreamedHeader(
  path: string,
  headerParser: (fileSize: number) => HeaderLineParser,
  chunkSize: number,
): { header: Record<string, unknown>; lineLength: number; complete: boolean; rest: Buffer; checksum: LineChecksum } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw cannotRead(path, error);
  }
  try {
    const parser = headerParser(fstatSync(fd).size);
    const checksum = new ChecksumReader();
    const buffer = Buffer.allocUnsafe(chunkSize);
    const mark = readSync(fd, buffer, 0, BYTE_ORDER_MARK.length, 0);
    const before = mark === BYTE_ORDER_MARK.length && BYTE_ORDER_MARK.equals(buffer.subarray(0, mark)) ? mark : 0;
    let position = before;
    // buffer[0, filled) holds the bytes read and not yet consumed by the parser, which come after `consumed` bytes of the line.
    let filled = 0;
    let consumed = before;
    for (;;) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, position);
      position += read;
      const newline = buffer.subarray(0, filled + read).indexOf(NEWLINE, filled);
      const ended = newline !== -1 || read === 0;
      const lineEnd = newline !== -1 ? newline : filled + read;
      const taken = parser.push(buffer.subarray(0, lineEnd), ended);
      if (taken < 0 || (ended && taken !== lineEnd)) return undefined;
      checksum.update(buffer.subarray(0, taken));
      consumed += taken;
      if (ended) {
        const header = parser.end();
        if (header === undefined) return undefined;
        if (newline === -1) return { header, lineLength: consumed, complete: false, rest: Buffer.alloc(0), checksum: checksum.end() };
        // The records after the line: the rest of this chunk, then of the file.
        const after = Buffer.from(buffer.subarray(newline + 1, filled + read));
        const rest = [after];
        for (let n = readSync(fd, buffer, 0, buffer.length, position); n > 0; n = readSync(fd, buffer, 0, buffer.length, position)) {
          rest.push(Buffer.from(buffer.subarray(0, n)));
          position += n;
        }
        return { header, lineLength: consumed + 1, complete: true, rest: Buffer.concat(rest), checksum: checksum.end() };
      }
      // What the parser left (a few bytes it needs the next ones to read) moves to the front.
      buffer.copyWithin(0, taken, filled + read);
      filled = filled + read - taken;
      if (filled >= buffer.length / 2) return undefined;
    }
  } catch (error) {
    throw cannotRead(path, error);
  } finally {
    closeSync(fd);
  }
}

/**
 * The records in `bytes`, the file's from offset `start`, after the lines already `parsed` (the
 * header when it was parsed as the file was read; `needsNewlineBefore`: it ends the file without
 * its newline).
 */
function readRecords(
  path: string,
  bytes: Buffer,
  parsed: Record<string, unknown>[],
  start: number,
  needsNewlineBefore: boolean,
): Omit<JournalContents, 'checksummed'> {
  let at = 0;
  let validLength = start;
  let needsNewline = needsNewlineBefore;
  let tail = Buffer.alloc(0);
  // The line of the first record that carries its check: every record after it must carry one too.
  let checked: number | undefined;
  while (at < bytes.length) {
    const end = bytes.indexOf(NEWLINE, at);
    const complete = end !== -1;
    const next = complete ? end + 1 : bytes.length;
    const lineNumber = parsed.length + 1;
    let record: unknown;
    try {
      record = JSON.parse(bytes.toString('utf8', at, complete ? end : bytes.length));
    } catch {
      record = undefined;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      // Blank lines that end the file (an editor's) hold nothing: cut before the next append, not set aside as a torn write.
      if (lineNumber > 1 && isBlank(bytes.subarray(at))) break;
      // A write a crash interrupted leaves a start of the line, which an editor may end with a
      // newline: set aside. One that ends in its check was written whole, and changed since.
      if (next === bytes.length && lineNumber > 1 && !endsInRecordCheck(bytes.subarray(at, complete ? end : bytes.length))) {
        tail = Buffer.from(bytes.subarray(at));
        break;
      }
      if (lineNumber > 1 && endsInRecordCheck(bytes.subarray(at, complete ? end : bytes.length)))
        throw new FileFormatError(
          path,
          `line ${lineNumber} is damaged (it ends in its check "c" but is not a JSON object: the line was changed after it was written, by hand or by the disk), so the session cannot be replayed; ${recoveryHint(path)}`,
        );
      // Without its header no label can be read back: not a session file, or nothing to recover.
      if (lineNumber === 1)
        throw new FileFormatError(
          path,
          'not an active-testing session file, or its header (line 1) is damaged: line 1 is not a JSON object',
        );
      throw new FileFormatError(path, `line ${lineNumber} is not a JSON object; the session file is damaged; ${recoveryHint(path)}`);
    }
    if (lineNumber > 1) {
      const line = bytes.subarray(at, complete ? end : bytes.length);
      checked = checkRecordLine(path, line, record as Record<string, unknown>, lineNumber, checked);
    }
    parsed.push(record as Record<string, unknown>);
    validLength = start + next;
    needsNewline = !complete;
    at = next;
  }
  const [header, ...records] = parsed;
  if (header === undefined) throw new FileFormatError(path, 'empty file: no session header');
  return { header, records, validLength, tornLine: tail.length > 0, tail, needsNewline };
}

/**
 * Whether the header carries a checksum, which is then removed from it once it matches the line.
 * @throws {FileFormatError} when the checksum does not match, or the header has one where it is not written.
 */
function checkChecksum(path: string, header: Record<string, unknown>, checksum: LineChecksum): boolean {
  const damaged = (reason: string): FileFormatError =>
    new FileFormatError(path, `damaged session header (${reason}), so the session cannot be replayed; ${recoveryHint(path)}`);
  if (checksum.stored === undefined) {
    if (Object.hasOwn(header, 'checksum')) throw damaged('its checksum is not the last field of the line, where it is written');
    return false;
  }
  if (checksum.stored !== checksum.computed || header.checksum !== `sha256:${checksum.stored}`)
    throw damaged('its checksum does not match its contents: the header was changed after it was written, by hand or by the disk');
  delete header.checksum;
  return true;
}

/**
 * Checks the record on line `lineNumber`, parsed from `line`, against the check it ends in, which
 * is then taken out of it; `checked`: the line of the first record before it that carried one.
 * Returns that line for the next record. A record that carries none is read as written before
 * records carried checks, unless one before it did: then its check was removed, or damaged in its
 * key (a flipped bit turns `"c"` into `"a"`, the annotator's key), and a change to the line would
 * go unnoticed.
 * @throws {FileFormatError} when the check does not match, is not the line's last field, or is
 * missing after a record that had one.
 */
function checkRecordLine(
  path: string,
  line: Uint8Array,
  record: Record<string, unknown>,
  lineNumber: number,
  checked: number | undefined,
): number | undefined {
  const damaged = (reason: string): FileFormatError =>
    new FileFormatError(path, `line ${lineNumber} is damaged (${reason}), so the session cannot be replayed; ${recoveryHint(path)}`);
  switch (verifyRecordLine(line, record)) {
    case 'valid':
      return checked ?? lineNumber;
    case 'mismatch':
      throw damaged(
        'its check "c" does not match its contents: the line was changed after it was written, by hand or by the disk, and may read as another label or item',
      );
    case 'misplaced':
      throw damaged('its check "c" is not as it is written: the last field of the line, 8 lower-case hex digits');
    case 'none':
      if (hasDamagedCheckKey(line)) throw damaged('its check\'s key "c" was changed, so its contents cannot be trusted');
      if (checked !== undefined)
        throw damaged(
          `it has no check "c", though the records from line ${checked} on have one: the field was removed or damaged, ` +
            'or an active-testing older than the one that wrote those appended the line, so a change to it would go unnoticed',
        );
      return undefined;
  }
}

/** Whether `bytes` are all line ends, spaces and tabs. */
function isBlank(bytes: Buffer): boolean {
  return bytes.every((b) => b === NEWLINE || b === 0x0d || b === 0x20 || b === 0x09);
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
  /**
   * Whether the header carried a checksum, which matched (files written before checksums have
   * none); the checksum is not in `header`.
   */
  checksummed: boolean;
}

const NEWLINE = 0x0a;
/** What an editor saving "UTF-8 with BOM" puts before the first line: not part of the header, and kept in the file. */
const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

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

/**
 * Removes the temporary files that creations of the journal at `path` killed before they finished
 * left beside it (a large session's header takes seconds to write); those of a process still
 * running are kept.
 */
export async function removeKilledCreations(path: string): Promise<void> {
  await removeStaleTemporaries(dirname(path), [basename(path)]);
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
 * An append-only JSON-lines file: the first line is the header, ending in its checksum so that a
 * header changed after it was written (by hand, or by the disk) is refused, every later line one
 * record, ending in its check (`checkedRecordLine`) so that a record changed is refused too. Each
 * append is written with one system call and fsync'ed before `append` returns, so a record that
 * was acknowledged survives a crash. A crash can only leave a torn last line, which
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
   * existing file. `serialize` gives the bytes of the header's JSON object in chunks, each written
   * before the next is asked for (default: `JSON.stringify` in one). The line ends with the
   * object's checksum, hashed as the chunks are written: a last field
   * `"checksum":"sha256:<hex>"`, the SHA-256 of the line without that field (the header's JSON
   * as `serialize` gave it), which `read` checks.
   * @example
   * const journal = FileJournal.create('run.session', { format: 'active-testing-session' });
   */
  static create<T extends object>(
    path: string,
    header: T,
    serialize: (header: T) => Iterable<Uint8Array> = (h) => [Buffer.from(JSON.stringify(h))],
  ): FileJournal {
    const temporary = temporaryName(path);
    let length = 0;
    try {
      const fd = openSync(temporary, 'w');
      try {
        const checksum = new ChecksumWriter();
        for (const chunk of serialize(header)) {
          writeAll(fd, chunk);
          checksum.update(chunk);
          length += chunk.length;
        }
        // The checksum's field takes the place of the object's closing brace, the last byte written.
        const end = Buffer.concat([checksum.field(), Buffer.of(NEWLINE)]);
        const start = length - 1;
        for (let written = 0; written < end.length;) written += writeSync(fd, end, written, end.length - written, start + written);
        length = start + end.length;
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
   * `headerParser` may parse the first line faster than `JSON.parse`, a chunk at a time as the
   * file is read (its `end()` undefined: it could not; the file is then read whole and the line
   * parsed as JSON). `chunkSize`: the bytes read at a time for it (tests give small ones).
   * A header that ends in a checksum (as `create` writes it) is refused unless the checksum
   * matches the line; it is then taken out of `header`, and `checksummed` is true. So is a record
   * that ends in a check (as `append` writes it) unless the check matches; the check is taken out
   * of the record. Records without one (written before records carried checks) are read as they
   * are, but only before the first record that has one.
   * @throws {FileFormatError} when the file cannot be read, a line other than the last is not a
   * JSON object, the header's checksum or a record's check does not match, or a record lacks its
   * check after one that had it.
   */
  static read(path: string, headerParser?: (fileSize: number) => HeaderLineParser, chunkSize = READ_CHUNK): JournalContents {
    const streamed = headerParser === undefined ? undefined : readStreamedHeader(path, headerParser, chunkSize);
    if (streamed !== undefined) {
      const contents = readRecords(path, streamed.rest, [streamed.header], streamed.lineLength, !streamed.complete);
      return { ...contents, checksummed: checkChecksum(path, contents.header, streamed.checksum) };
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw cannotRead(path, error);
    }
    const before = bytes.subarray(0, BYTE_ORDER_MARK.length).equals(BYTE_ORDER_MARK) ? BYTE_ORDER_MARK.length : 0;
    const lines = bytes.subarray(before);
    const contents = readRecords(path, lines, [], before, false);
    const newline = lines.indexOf(NEWLINE);
    const header = lines.subarray(0, newline === -1 ? lines.length : newline);
    return { ...contents, checksummed: checkChecksum(path, contents.header, lineChecksum(header)) };
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
   * Appends record number `sequence` (which must be the next one), with its check as the last
   * field of its line, and flushes it.
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
    const bytes = checkedRecordLine(record);
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
