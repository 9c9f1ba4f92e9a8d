/**
 * A count with its noun in the number that agrees with it, for messages, progress lines, reports
 * and the labelling page: "1 item", "0 items", "3 items". Pure, no DOM: the terminal and the page
 * share it.
 *
 * @example
 * formatCount(1, 'label'); // "1 label"
 * formatCount(400, 'label'); // "400 labels"
 * formatCount(2, 'entry', 'entries'); // "2 entries"
 */
export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/**
 * Where a row of a file without lines (Parquet, `.npy`) is, in the words every message uses:
 * rows counted from 0, as the libraries that write those files count them.
 *
 * @example
 * zeroBasedRow(11); // "row 11 (counting from 0)"
 */
export function zeroBasedRow(row: number): string {
  return `row ${row} (counting from 0)`;
}
