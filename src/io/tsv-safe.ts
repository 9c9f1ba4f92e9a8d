import { InputError } from '../errors.js';

/**
 * Whether `text` holds a tab or a line break: as an item id or a class name it would split its
 * line in the labels TSV that a labelling session exports (and `--answers` reads back, one record
 * a line).
 */
export function splitsTsvLine(text: string): boolean {
  return /[\t\r\n]/.test(text);
}

/**
 * Refuses ids or class names with a tab or a line break: the labels TSV that
 * `exportSessionLabels` and `--export-labels` write holds both, one record a line. Evaluations
 * refuse such class names too, so that their scores never feed a session that would refuse them.
 *
 * @throws {InputError} naming `argument`, the row of the first such value and the value.
 * @example
 * checkTsvSafe(['neg', 'pos\n'], 'classes', 'class names'); // InputError: classes (row 1): expected class names without tabs or line breaks (…), got "pos\n"
 */
export function checkTsvSafe(values: readonly string[], argument: string, what: 'ids' | 'class names'): void {
  const row = values.findIndex(splitsTsvLine);
  if (row === -1) return;
  throw new InputError({
    argument,
    expected: `${what} without tabs or line breaks (one would split its line in the labels TSV that exportSessionLabels and --export-labels write)`,
    received: values[row],
    row,
  });
}
