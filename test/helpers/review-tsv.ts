import { writeFileSync } from 'node:fs';

/**
 * Writes a small labelled TSV to `path` (columns `sentence` and `label`): `rows` made-up review
 * sentences numbered from `offset` (another offset gives other rows, e.g. a file of shots), labelled
 * 1 or 0 by the parity of their number. Returns `path`.
 */
export function writeReviewTsv(path: string, rows: number, offset = 0): string {
  const words = ['good', 'bad', 'fine', 'awful', 'great', 'dull'];
  const lines = Array.from(
    { length: rows },
    (_, i) => `the film was ${words[(i + offset) % words.length]} , item ${i + offset}\t${(i + offset) % 2 === 0 ? 1 : 0}`,
  );
  writeFileSync(path, ['sentence\tlabel', ...lines].join('\n') + '\n');
  return path;
}
