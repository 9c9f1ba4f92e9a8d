import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { FileFormatError } from '../errors.js';
import { readParquet } from './read-parquet.js';
import type { Table } from './table.js';

export type { Table } from './table.js';

/** File formats `readTable` understands. */
export type TableFormat = 'tsv' | 'csv' | 'jsonl' | 'parquet';

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
 * Reads a TSV (header line, tab-separated, no quoting, as GLUE ships it), CSV (RFC 4180 quoting),
 * JSON Lines or Parquet file (see `readParquet`). Rows with the wrong number of fields are a
 * `FileFormatError` naming the line; so is a file that is not valid Parquet.
 *
 * @example
 * const { columns, rows } = await readTable('sst2/validation.tsv'); // columns ['sentence', 'label']
 */
export async function readTable(path: string, format: TableFormat = tableFormat(path)): Promise<Table> {
  if (format === 'parquet') return readParquet(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FileFormatError(path, `cannot read: ${(error as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (format === 'jsonl') return parseJsonLines(text, path);
  const records = format === 'csv' ? parseCsv(text, path) : text.split(/\r?\n/).map((line) => line.split('\t'));
  while (records.length > 0 && isBlank(records[records.length - 1] as string[])) records.pop();
  const [header, ...rows] = records;
  if (!header) throw new FileFormatError(path, 'empty file; expected a header line');
  rows.forEach((row, i) => {
    if (row.length !== header.length) {
      throw new FileFormatError(path, `line ${i + 2}: ${row.length} fields, expected ${header.length} (${header.join(', ')})`);
    }
  });
  return { columns: header, rows };
}

function isBlank(record: string[]): boolean {
  return record.length === 1 && record[0] === '';
}

function parseJsonLines(text: string, path: string): Table {
  const columns: string[] = [];
  const objects: Record<string, unknown>[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new FileFormatError(path, `line ${i + 1}: invalid JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FileFormatError(path, `line ${i + 1}: expected a JSON object`);
    }
    for (const key of Object.keys(value)) if (!columns.includes(key)) columns.push(key);
    objects.push(value as Record<string, unknown>);
  });
  return { columns, rows: objects.map((o) => columns.map((c) => o[c])) };
}

/** RFC 4180: fields separated by commas, optionally quoted with `"`, `""` for a quote, newlines allowed inside quotes. */
function parseCsv(text: string, path: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
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
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else field += ch;
    i++;
  }
  if (quoted) throw new FileFormatError(path, `line ${records.length + 1}: unterminated quoted field`);
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
