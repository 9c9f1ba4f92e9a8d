import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { FileFormatError } from '../errors.js';
import { readParquet } from './read-parquet.js';
import { checkUniqueColumns, type Table } from './table.js';
import { checkPath, formatCount, unreadableFile } from '../io/index.js';
import { repeatedJsonKey } from '../io/json.js';
import { checkChoice } from '../io/suggest.js';

export type { Table } from './table.js';

/** A file format `readTable` reads: `tsv`, `csv`, `jsonl` or `parquet`. */
export type TableFormat = 'tsv' | 'csv' | 'jsonl' | 'parquet';
/** File formats `readTable` understands. */
const TABLE_FORMATS = ['tsv', 'csv', 'jsonl', 'parquet'] as const satisfies readonly TableFormat[];

/**
 * The format implied by a file name (`.tsv`, `.csv`, `.jsonl`/`.ndjson`/`.json`, `.parquet`).
 *
 * @example
 * tableFormat('data/train.tsv'); // 'tsv'
 */
export function tableFormat(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new FileFormatError(path, `unknown table format "${ext}"; expected .tsv, .csv, .jsonl or .parquet`);
}

/**
 * The format `path`'s name implies. A name without one of the table extensions is first checked
 * to be a file: a folder or a missing file (`--data .`, a mistyped name) is refused as such, not
 * as an unknown format, which would send the user looking for a format problem.
 */
async function formatOfFile(path: string): Promise<TableFormat> {
  try {
    return tableFormat(path);
  } catch (formatError) {
    let isFolder: boolean;
    try {
      isFolder = (await stat(path)).isDirectory();
    } catch (statError) {
      throw unreadableFile(path, statError);
    }
    if (isFolder) throw unreadableFile(path, Object.assign(new Error(), { code: 'EISDIR', syscall: 'read' }));
    throw formatError;
  }
}

/**
 * Reads a TSV, CSV (RFC 4180 quoting), JSON Lines or Parquet file (see `readParquet`). Blank
 * lines are passed over, and so are lines of only spaces (of spaces and tabs, in a CSV or JSON
 * Lines file), as pandas passes them over; a TSV line of only tabs and spaces is refused, as it
 * may be a row of empty fields (which pandas reads) or a blank line. Rows with the wrong number of
 * fields are a `FileFormatError` naming the line; so is a file that is not valid Parquet.
 *
 * TSV is read as GLUE ships it (one record a line, a `"` is text) and as pandas and Python's `csv`
 * write it: they quote a field that holds a quote or a tab, so a field wholly quoted on its line,
 * `"…"` with every inner `"` doubled, is unquoted when it holds `""` or a tab (`"say ""hi"""`
 * reads `say "hi"`), and every wholly quoted field is unquoted when the header's names are all
 * quoted (a file written quoting every field). Other quotes are text: `" maid in manhattan " is a
 * charmer` and `" the best disney movie "` are read as they are.
 *
 * In JSON Lines, an integer past 2^53 − 1, JavaScript's safe integers (a 64-bit id, as Python's `json`
 * and pandas write it) is read as a string of its digits, as Parquet's reader keeps it exact.
 *
 * @throws {FileFormatError} naming the file (and line) when it cannot be read or parsed.
 * @example
 * const { columns, rows } = await readTable('sst2/validation.tsv'); // columns ['sentence', 'label']
 */
export async function readTable(path: string, format?: TableFormat): Promise<Table> {
  checkPath(path);
  // Any other value would read the file as TSV.
  format = format === undefined ? await formatOfFile(path) : checkChoice(format, TABLE_FORMATS, 'format');
  if (format === 'parquet') return readParquet(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw unreadableFile(path, error);
  }
  return parseTable(bytes, format, path);
}

/**
 * A table read from bytes that were not read from a named file (a pipe), its format told by its
 * text: JSON Lines when its first non-blank character is `{`; else by the header's first separator
 * outside quotes, CSV for a comma and TSV for a tab or none (a single column, read as it is).
 * `name` stands for the file in errors. Parquet is refused: its reader needs a file.
 *
 * @throws {FileFormatError} naming `name` (and line) when the bytes cannot be parsed.
 * @example
 * const { columns } = readTableBytes(Buffer.from('id\tlabel\n0\tpositive\n'), 'stdin'); // ['id', 'label']
 */
export function readTableBytes(bytes: Buffer, name: string): Table {
  if (bytes.subarray(0, 4).toString('latin1') === 'PAR1') {
    throw new FileFormatError(name, 'a Parquet file, which is read from a file only: pass its path');
  }
  const start = bytes.toString('utf8', 0, Math.min(bytes.length, 65_536)).replace(/^\uFEFF/, '');
  const header = start.trimStart().split('\n', 1)[0] ?? '';
  // A JSON array goes to the JSON Lines reader, which says what it is: read as a CSV or TSV
  // header it would be refused for its columns, sending the user looking in the wrong place.
  const json = header.startsWith('{') || JSON_ARRAY_START.test(header);
  const format = json ? 'jsonl' : firstSeparator(header) === ',' ? 'csv' : 'tsv';
  return parseTable(bytes, format, name);
}

/** The first tab or comma of a header line that is not inside double quotes, or undefined. */
function firstSeparator(header: string): '\t' | ',' | undefined {
  let quoted = false;
  for (const character of header) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && (character === '\t' || character === ',')) return character;
  }
  return undefined;
}

/** A text table's bytes parsed as `format`; `path` names the file in errors. */
function parseTable(bytes: Buffer, format: Exclude<TableFormat, 'parquet'>, path: string): Table {
  // The decoder drops the byte-order mark an editor saving "UTF-8 with BOM" puts first.
  const text = decodeUtf8(bytes, path);
  if (format === 'jsonl') return parseJsonLines(text, path);
  const { records, lines, malformed } = format === 'csv' ? parseCsv(text, path) : parseTsv(text);
  const [header, ...rows] = records;
  const rowLines = lines.slice(1);
  if (!header) throw new FileFormatError(path, 'empty file; expected a header line');
  checkSeparator(header, format, path);
  if (malformed !== undefined) throw new FileFormatError(path, malformed);
  checkUniqueColumns(header, path, `line ${lines[0]}: `);
  rows.forEach((row, i) => {
    if (row.length !== header.length) {
      const spansLines = format === 'tsv' && row.some(isOpenQuotedField);
      const hint = spansLines ? '; a quoted field seems to go on over lines, which TSV cannot hold: save the table as CSV' : '';
      throw new FileFormatError(
        path,
        `line ${rowLines[i]}: ${formatCount(row.length, 'field')}, expected ${header.length} (${header.join(', ')})${hint}`,
      );
    }
  });
  return { columns: header, rows, origin: { path, lines: rowLines } };
}

/**
 * For each text format, the separators its files are often written with by mistake, each with
 * what it looks like and what to do: a CSV written with `;` (a spreadsheet's export where the
 * decimal mark is a comma), a TSV named `.csv`, a CSV named `.tsv`.
 */
const OTHER_SEPARATORS: Record<'csv' | 'tsv', ReadonlyArray<[separator: string, advice: string]>> = {
  csv: [
    [
      ';',
      'looks ;-separated (a spreadsheet export in some locales), but a .csv is read comma-separated; save it with commas, or tab-separated as .tsv',
    ],
    ['\t', 'looks tab-separated, but a .csv is read comma-separated; rename it to .tsv'],
  ],
  tsv: [
    [';', 'looks ;-separated, but a .tsv is read tab-separated; save it with tabs, or comma-separated as .csv'],
    [',', 'looks comma-separated, but a .tsv is read tab-separated; rename it to .csv'],
  ],
};

/**
 * Refuses a header read as one column that holds another format's separator: read as it is, every
 * line would be one field, and the first thing to fail would be a column asked for by name,
 * without saying why.
 */
function checkSeparator(header: readonly string[], format: 'csv' | 'tsv', path: string): void {
  if (header.length !== 1) return;
  const other = OTHER_SEPARATORS[format].find(([separator]) => (header[0] as string).includes(separator));
  if (other !== undefined)
    throw new FileFormatError(path, `line 1: the header ${JSON.stringify(header[0])} is one column: the file ${other[1]}`);
}

/**
 * A spreadsheet saved as a workbook rather than as text, told by its first bytes whatever the
 * file's name: an .xlsx is a zip archive, an old .xls an OLE2 compound file.
 */
const WORKBOOKS: ReadonlyArray<[magic: readonly number[], kind: string]> = [
  [[0x50, 0x4b, 0x03, 0x04], 'zip/xlsx'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'xls'],
];

/**
 * The text of a UTF-8 file; invalid bytes are refused with their line and column rather than read
 * as U+FFFD, and a workbook by what it is, which its first invalid byte would not say.
 */
function decodeUtf8(bytes: Buffer, path: string): string {
  const workbook = WORKBOOKS.find(([magic]) => magic.every((byte, i) => bytes[i] === byte));
  if (workbook !== undefined) {
    throw new FileFormatError(path, `it is an Excel workbook (${workbook[1]}), not a text CSV; save it as CSV UTF-8 or tab-separated text`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const lines = bytes.subarray(0, offset).toString('utf8').split('\n');
    const column = (lines.at(-1) ?? '').length + 1;
    const byte = (bytes[offset] ?? 0).toString(16).padStart(2, '0');
    throw new FileFormatError(
      path,
      `line ${lines.length}, column ${column}: invalid UTF-8 (byte 0x${byte} at offset ${offset}); save the file as UTF-8`,
    );
  }
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (the length when all are valid). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i] as number;
    const length =
      lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    try {
      decoder.decode(bytes.subarray(i, i + length));
    } catch {
      return i;
    }
    i += length;
  }
  return bytes.length;
}

/**
 * The first line of a JSON array of records, as Python's `json.dump(records, file)` (one line, or
 * `[` alone with `indent`) and pandas' `to_json(orient="records")` write it.
 */
const JSON_ARRAY_START = /^\[\s*($|\{|\])/;

function parseJsonLines(text: string, path: string): Table {
  const textLines = splitLines(text);
  const first = textLines.findIndex((line) => line.trim() !== '');
  if (first >= 0 && JSON_ARRAY_START.test((textLines[first] as string).trim())) {
    throw new FileFormatError(
      path,
      `line ${first + 1}: a JSON array, not JSON Lines; write one object per line (json.dumps(record) for each, or pandas' to_json(path, orient="records", lines=True))`,
    );
  }
  const columns: string[] = [];
  const objects: Record<string, unknown>[] = [];
  const lines: number[] = [];
  textLines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new FileFormatError(path, `line ${i + 1}: invalid JSON (${(error as Error).message})`);
    }
    // Parsed again only where an integer may be past 2^53: rare, and the error above quotes the line as written.
    if (LONG_DIGITS.test(line)) value = JSON.parse(exactIntegers(line));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FileFormatError(path, `line ${i + 1}: expected a JSON object`);
    }
    const repeated = repeatedJsonKey(line);
    if (repeated !== undefined)
      throw new FileFormatError(
        path,
        `line ${i + 1}: the key ${repeated} is given twice; keys must be unique (JSON.parse would keep the last)`,
      );
    for (const key of Object.keys(value)) if (!columns.includes(key)) columns.push(key);
    objects.push(value as Record<string, unknown>);
    lines.push(i + 1);
  });
  return { columns, rows: objects.map((o) => columns.map((c) => o[c])), origin: { path, lines } };
}

/** 16 digits in a row: only an integer that long can be past 2^53. */
const LONG_DIGITS = /\d{16}/;

/**
 * `line` (valid JSON) with each integer past 2^53 − 1 (`Number.isSafeInteger`) written as a
 * string of its digits, so that it reads as written: Python's `json` and pandas write 64-bit ids
 * (a tweet's, a hash) as bare numbers, which `JSON.parse` would round to other ids
 * (1234567890123456789 to 1234567890123456800), joining two items or naming one that is not in
 * the pool. Other numbers, and text in strings, are left as they are.
 */
function exactIntegers(line: string): string {
  return line.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token) => {
    // Every integer past the safe ones, even one a double holds exactly: 1234567890123456768 is one,
    // but String() gives it as 1234567890123456800, another id's digits.
    if (!/^-?[1-9]\d{15,}$/.test(token)) return token;
    return Number.isSafeInteger(Number(token)) ? token : `"${token}"`;
  });
}

/**
 * A UTF-8 text file's contents (an instruction, say) as they would be typed: lines ending in LF
 * whether the file has LF, CRLF or CR line ends, and without the byte-order mark an editor saving
 * "UTF-8 with BOM" puts first, which would otherwise become tokens of the prompt.
 *
 * @throws {FileFormatError} naming the line and column of the first invalid UTF-8 byte, or why the
 *   file could not be read.
 */
export async function readTextFile(path: string): Promise<string> {
  const bytes = await readFile(path).catch((error: unknown) => {
    throw unreadableFile(path, error);
  });
  return splitLines(decodeUtf8(bytes, path)).join('\n');
}

/**
 * A text file's lines: LF or CRLF ends a line, and so does a lone CR in a file without any LF
 * (classic Mac OS line endings, which the CSV reader also takes), rather than reading it as one line.
 */
function splitLines(text: string): string[] {
  return text.split(text.includes('\n') ? /\r?\n/ : '\r');
}

/**
 * File records and the 1-based line each starts on. Blank lines are no records, wherever they are
 * (an editor's at the end, a paste's in the middle), as for pandas and Python's `csv.DictReader`:
 * read as records they would be rows of one empty field. So are lines of only spaces and tabs
 * that hold no separator, as pandas passes them over (`skip_blank_lines`).
 */
interface Records {
  records: string[][];
  lines: number[];
  /**
   * Why the file is not well-formed, where reading on is a guess that `readTable` refuses once the
   * header is known: a file written with another separator is told as that instead.
   */
  malformed?: string;
}

/**
 * Whether a TSV field looks like one part of a quoted field cut at a line end, as a CSV writer
 * (pandas' `to_csv(sep='\t')`) leaves a text that holds a newline: an odd number of quotes, one
 * of them first (a quote opened and not closed) or last (closed and not opened here).
 */
function isOpenQuotedField(field: string): boolean {
  const quotes = field.split('"').length - 1;
  return quotes % 2 === 1 && (field.startsWith('"') || field.endsWith('"'));
}

/**
 * TSV records, one a line (see `readTable` for quoted fields). A line of only tabs and spaces
 * is malformed: it reads as a row of empty fields, as pandas reads it, where it was most likely
 * meant as a blank line, and the row it would be is no row of data.
 */
function parseTsv(text: string): Records {
  const records: string[][] = [];
  const lines: number[] = [];
  let quoteAll: boolean | undefined;
  let malformed: string | undefined;
  splitLines(text).forEach((line, i) => {
    if (/^ *$/.test(line)) return;
    if (/^[ \t]*$/.test(line))
      malformed ??= `line ${i + 1}: only tabs and spaces, a row of empty fields rather than a blank line; remove the line or fill in its fields`;
    quoteAll ??= line.split('\t').every((name) => /^"(?:[^"]|"")*"$/.test(name));
    records.push(splitTsvLine(line, quoteAll));
    lines.push(i + 1);
  });
  return { records, lines, ...(malformed !== undefined && { malformed }) };
}

/**
 * The fields of one TSV line: split at tabs, except inside a wholly quoted field that is unquoted
 * (one holding `""` or a tab, or any when `quoteAll`).
 */
function splitTsvLine(line: string, quoteAll: boolean): string[] {
  const fields: string[] = [];
  let start = 0;
  for (;;) {
    const end = line[start] === '"' ? quotedFieldEnd(line, start) : -1;
    const inner = end >= 0 ? line.slice(start + 1, end - 1) : '';
    if (end >= 0 && (quoteAll || inner.includes('""') || inner.includes('\t'))) {
      fields.push(inner.replaceAll('""', '"'));
      if (end === line.length) return fields;
      start = end + 1;
      continue;
    }
    const tab = line.indexOf('\t', start);
    if (tab < 0) {
      fields.push(line.slice(start));
      return fields;
    }
    fields.push(line.slice(start, tab));
    start = tab + 1;
  }
}

/**
 * Where the quoted field opened at `start` ends (just past its closing quote), or -1 when the
 * field is not wholly quoted: a lone `"` inside, a closing quote followed by more text, or no
 * closing quote on the line.
 */
function quotedFieldEnd(line: string, start: number): number {
  for (let i = start + 1; i < line.length; i++) {
    if (line[i] !== '"') continue;
    if (line[i + 1] === '"') {
      i++;
      continue;
    }
    return i + 1 === line.length || line[i + 1] === '\t' ? i + 1 : -1;
  }
  return -1;
}

/**
 * RFC 4180: fields separated by commas, optionally quoted with `"`, `""` for a quote, newlines
 * allowed inside quotes. A quoted field must end at its closing quote (see `Records.malformed`).
 */
function parseCsv(text: string, path: string): Records {
  const records: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let recordLine = 1;
  let record: string[] = [];
  let field = '';
  // Whether the field was quoted: a line holding `""` (or `"  "`) is a record of one field, not a blank line.
  let fieldQuoted = false;
  let quoted = false;
  let textAfterQuote: string | undefined;
  const endRecord = (): void => {
    record.push(field);
    if (!(record.length === 1 && /^[ \t]*$/.test(field) && !fieldQuoted)) {
      records.push(record);
      lines.push(recordLine);
    }
    record = [];
    field = '';
    fieldQuoted = false;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
      i++;
      continue;
    }
    // `"say "hi" now"` read on is `say hi" now"` (as Python's csv reads it unless strict): a guess, refused.
    if (fieldQuoted && ch !== ',' && ch !== '\n' && ch !== '\r')
      textAfterQuote ??= `line ${line}, field ${record.length + 1}: ${JSON.stringify(ch)} after the closing quote of a quoted field; a quote inside a quoted field is written twice ("")`;
    if (ch === '"' && field === '') quoted = fieldQuoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
      fieldQuoted = false;
    } else if (ch === '\n' || ch === '\r') {
      endRecord();
      if (ch === '\r' && text[i + 1] === '\n') i++;
      recordLine = ++line;
    } else field += ch;
    i++;
  }
  if (quoted) throw new FileFormatError(path, `line ${recordLine}: unterminated quoted field`);
  if (field !== '' || fieldQuoted || record.length > 0) endRecord();
  return { records, lines, ...(textAfterQuote !== undefined && { malformed: textAfterQuote }) };
}
