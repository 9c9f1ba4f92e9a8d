import { closeSync, openSync, readSync } from 'node:fs';
import { checkPath, unreadableFile, withoutByteOrderMark } from '../io/index.js';
import { InputError } from '../errors.js';
import { verifyRecordLine } from './checksum.js';

/** One item's outcome as a session file records it. */
export interface ExportedLabel {
  /** Row of the item in the pool. */
  index: number;
  /** Its id from the header, or the row number when the header has no readable ids. */
  id: string;
  /** The class name (or the class index as text when the header has no readable classes), or null for a skip. */
  label: string | null;
}

/** What `exportSessionLabels` recovers from a session file. */
export interface SessionLabels {
  /** Labelled and skipped items, in the order they were recorded (undone ones removed). */
  labels: ExportedLabel[];
  /** Whether the header could be read (ids and classes then come from it). */
  headerReadable: boolean;
  /** Lines that could not be read as records, or whose check does not match (1-based line numbers); they were passed over. */
  unreadableLines: number[];
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((x) => typeof x === 'string') ? (value as string[]) : undefined;
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a record line may be exported: its check matches, or it has none. A line that has none
 * after lines that do is exported all the same: single damage there is to the check's key, which
 * leaves the label as written, and `open` refuses it.
 */
function trustworthy(line: string, record: Record<string, unknown>): boolean {
  const check = verifyRecordLine(Buffer.from(line, 'utf8'), record);
  return check === 'valid' || check === 'none';
}

/** Where a stored score text begins in a header line: its contents are all a header's bytes but a few. */
const SCORE_TEXT = Buffer.from('"float64":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/**
 * The bytes of the file at `path`, read `chunkSize` at a time, without the contents of the score
 * texts (`"float64":"…"`) of its first line, which labels do not need: at N·K = 10^7 scores per
 * model they are 215 MB of a 217 MB file, and a file past about 512 MB could not be read as one
 * string at all. The JSON around each text is kept (the text becomes ""), and a text ends where its
 * string ends (at a quote not escaped by a backslash) or where the line does, so the line parses,
 * or fails to, as it did whole.
 */
function readWithoutScoreTexts(path: string, chunkSize: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const kept: Buffer[] = [];
    const buffer = Buffer.allocUnsafe(chunkSize);
    let state: 'header' | 'text' | 'records' = 'header';
    // A backslash ended the last chunk inside a text: the next byte is escaped.
    let escaped = false;
    // The header's last bytes of a chunk, which may begin a score text's key.
    let carry = Buffer.alloc(0);
    for (let read = readSync(fd, buffer, 0, chunkSize, null); read > 0; read = readSync(fd, buffer, 0, chunkSize, null)) {
      const bytes = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, read)]) : buffer.subarray(0, read);
      carry = Buffer.alloc(0);
      let at = 0;
      while (at < bytes.length) {
        if (state === 'records') {
          kept.push(Buffer.from(bytes.subarray(at)));
          break;
        }
        if (state === 'header') {
          const newline = bytes.indexOf(NEWLINE, at);
          const key = bytes.indexOf(SCORE_TEXT, at);
          if (key !== -1 && (newline === -1 || key < newline)) {
            kept.push(Buffer.from(bytes.subarray(at, key + SCORE_TEXT.length)));
            at = key + SCORE_TEXT.length;
            state = 'text';
          } else if (newline !== -1) {
            kept.push(Buffer.from(bytes.subarray(at, newline + 1)));
            at = newline + 1;
            state = 'records';
          } else {
            const keep = Math.max(at, bytes.length - (SCORE_TEXT.length - 1));
            kept.push(Buffer.from(bytes.subarray(at, keep)));
            carry = Buffer.from(bytes.subarray(keep));
            break;
          }
          continue;
        }
        // Inside a text: skipped up to its closing quote (kept) or the line's end.
        if (escaped) {
          escaped = false;
          // An escaped newline still ends the line, as splitting the file into lines does.
          if (bytes[at] !== NEWLINE) at++;
          else state = 'header';
          continue;
        }
        const quote = bytes.indexOf(QUOTE, at);
        const newline = bytes.indexOf(NEWLINE, at);
        const end = quote === -1 ? newline : newline === -1 ? quote : Math.min(quote, newline);
        const backslash = bytes.indexOf(BACKSLASH, at);
        if (backslash !== -1 && (end === -1 || backslash < end)) {
          at = backslash + 1;
          escaped = true;
        } else if (end === -1) {
          at = bytes.length;
        } else {
          at = end;
          state = 'header';
        }
      }
    }
    kept.push(carry);
    return Buffer.concat(kept);
  } finally {
    closeSync(fd);
  }
}

/** Bytes of a session file read at a time by `exportSessionLabels`. */
const EXPORT_CHUNK = 1 << 22;

/**
 * Reads the labels of a session file whatever state its header is in: for a session that cannot
 * be reopened (a header edited by hand or written by a version that stored a bad setting), this
 * recovers every label and skip recorded, with undone ones removed. It reads only; the file is
 * not locked or changed. Lines that cannot be read are passed over and listed, and so are lines
 * whose check does not match (changed after they were written: their label may be another).
 *
 * @example
 * const { labels } = exportSessionLabels('pool.session');
 * for (const { id, label } of labels) console.log(id, label ?? 'skip');
 * @throws {FileFormatError} when the file cannot be read at all.
 */
export function exportSessionLabels(path: string): SessionLabels {
  checkPath(path);
  return exportSessionLabelsInChunks(path, EXPORT_CHUNK);
}

/** `exportSessionLabels`, reading the file `chunkSize` bytes at a time. */
export function exportSessionLabelsInChunks(path: string, chunkSize: number): SessionLabels {
  let text: string;
  try {
    text = readWithoutScoreTexts(path, chunkSize).toString('utf8');
  } catch (error) {
    throw unreadableFile(path, error, 'the session file');
  }
  // The byte order mark an editor may put before the header (which the journal reads past too).
  const lines = withoutByteOrderMark(text).split('\n');
  // Blank lines that end the file (an editor's) are no records, as the journal reads them.
  while (lines.length > 1 && lines[lines.length - 1].trim() === '') lines.pop();
  const header = lines.length > 0 ? parseLine(lines[0]) : undefined;
  const ids = stringArray(header?.ids);
  const classes = stringArray(header?.classes);
  const unreadableLines: number[] = [];
  if (header === undefined) unreadableLines.push(1);
  const resolved: Array<{ index: number; y: number | null }> = [];
  for (let n = 1; n < lines.length; n++) {
    const record = parseLine(lines[n]);
    const index = record?.i;
    if (record === undefined || !Number.isInteger(index) || (index as number) < 0 || !trustworthy(lines[n], record)) {
      unreadableLines.push(n + 1);
      continue;
    }
    const i = index as number;
    if (record.e === 'label' && Number.isInteger(record.y)) resolved.push({ index: i, y: record.y as number });
    else if (record.e === 'skip') resolved.push({ index: i, y: null });
    else if (record.e === 'undo') {
      let last = resolved.length - 1;
      while (last >= 0 && resolved[last].index !== i) last--;
      if (last >= 0) resolved.splice(last, 1);
    } else if (record.e !== 'propose') unreadableLines.push(n + 1);
  }
  const labels = resolved.map(({ index, y }) => ({
    index,
    id: ids?.[index] ?? String(index),
    label: y === null ? null : (classes?.[y] ?? String(y)),
  }));
  return { labels, headerReadable: ids !== undefined && classes !== undefined, unreadableLines };
}

/**
 * A TSV field as `readTable` reads it back: one that begins with a quote is quoted, every quote
 * doubled (as pandas and Python's `csv` quote it), since a field wholly quoted with `""` inside
 * (`"a""b"`) would otherwise be read unquoted (`a"b`). Other fields are written as they are: ids
 * and class names hold no tabs or line breaks, and a leading `=`, `+`, `-` or `@` is kept, since
 * the file is data that `--answers` must read back exactly (docs/sessions.md).
 */
function tsvField(value: string): string {
  return value.startsWith('"') ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * The labels as a TSV file that `active-testing label --answers` reads back exactly: columns `id`
 * and `label` (a class name, or `skip`).
 *
 * @example
 * writeFileSync('labels.tsv', labelsTsv(exportSessionLabels('pool.session').labels));
 * @throws InputError when `labels` is not an array of objects.
 */
export function labelsTsv(labels: readonly ExportedLabel[]): string {
  if (!Array.isArray(labels))
    throw new InputError({ argument: 'labels', expected: 'an array of { id, label } (exportSessionLabels().labels)', received: labels });
  labels.forEach((entry: unknown, row) => {
    if (typeof entry !== 'object' || entry === null)
      throw new InputError({ argument: 'labels', expected: 'an { id, label } object', received: entry, row });
  });
  return ['id\tlabel', ...labels.map(({ id, label }) => `${tsvField(id)}\t${label === null ? 'skip' : tsvField(label)}`)].join('\n') + '\n';
}
