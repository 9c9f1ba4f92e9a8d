/** A table as read from disk: column names and rows of raw cell values. */
export interface Table {
  columns: string[];
  rows: unknown[][];
}
