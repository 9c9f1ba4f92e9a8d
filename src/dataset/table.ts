/** A table as read from disk: column names and rows of raw cell values. */
export interface Table {
  columns: string[];
  rows: unknown[][];
  /** For a text file (TSV, CSV, JSON Lines): its path and the 1-based line each row starts on, for messages. */
  origin?: { path: string; lines: readonly number[] };
}
