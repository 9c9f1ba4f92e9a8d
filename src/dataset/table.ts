import { FileFormatError } from '../errors.js';
import { zeroBasedRow } from '../io/index.js';

/** A table as read from disk: column names and rows of raw cell values. */
export interface Table {
  columns: string[];
  rows: unknown[][];
  /**
   * The file the table was read from, for messages: its path and where each row is in it. A text
   * file (TSV, CSV, JSON Lines) gives the 1-based line each row starts on; a file without lines
   * (Parquet, a Hugging Face Hub split named `hub:name:config:split`) gives no lines but each
   * row's 0-based index in the file in `rows`.
   */
  origin?: { path: string; lines: readonly number[]; rows?: readonly number[] };
}

/**
 * Refuses a file whose columns repeat a name: a column asked for by name would be read from the
 * first of them, and the other silently left unread. Unnamed columns (the empty trailing ones a
 * spreadsheet writes, `a,b,,`) are never asked for by name: several are harmless. `where` says
 * where the names are (`line 1: ` for a text file's header).
 */
export function checkUniqueColumns(columns: readonly string[], path: string, where = ''): void {
  columns.forEach((name, column) => {
    const first = columns.indexOf(name);
    if (first !== column && name !== '')
      throw new FileFormatError(
        path,
        `${where}column ${column + 1} is named "${name}" like column ${first + 1}; column names must be unique`,
      );
  });
}

/**
 * Where row `row` of a table read from a file is in that file, as messages name it: its line, or
 * a Parquet file's row (which has no lines); undefined where the table does not say.
 *
 * @example
 * filePlace({ columns: ['text'], rows: [['hi']], origin: { path: 'pool.tsv', lines: [2] } }, 0); // "line 2"
 * filePlace({ columns: ['text'], rows: [['hi']], origin: { path: 'pool.parquet', lines: [], rows: [0] } }, 0); // "row 0 (counting from 0)"
 */
export function filePlace(table: Table, row: number): string | undefined {
  const line = table.origin?.lines[row];
  if (line !== undefined) return `line ${line}`;
  const fileRow = table.origin?.rows?.[row];
  return fileRow === undefined ? undefined : zeroBasedRow(fileRow);
}
