import { readFileSync } from 'node:fs';
import { FileFormatError } from '../errors.js';

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
  /** Lines that could not be read as records (1-based line numbers); they were passed over. */
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
 * Reads the labels of a session file whatever state its header is in: for a session that cannot
 * be reopened (a header edited by hand or written by a version that stored a bad setting), this
 * recovers every label and skip recorded, with undone ones removed. It reads only; the file is
 * not locked or changed. Lines that cannot be read are passed over and listed.
 *
 * @example
 * const { labels } = exportSessionLabels('pool.session');
 * for (const { id, label } of labels) console.log(id, label ?? 'skip');
 * @throws {FileFormatError} when the file cannot be read at all.
 */
export function exportSessionLabels(path: string): SessionLabels {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FileFormatError(path, `cannot read the session file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = lines.length > 0 ? parseLine(lines[0]) : undefined;
  const ids = stringArray(header?.ids);
  const classes = stringArray(header?.classes);
  const unreadableLines: number[] = [];
  if (header === undefined) unreadableLines.push(1);
  const resolved: Array<{ index: number; y: number | null }> = [];
  for (let n = 1; n < lines.length; n++) {
    const record = parseLine(lines[n]);
    const index = record?.i;
    if (record === undefined || !Number.isInteger(index) || (index as number) < 0) {
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
 * The labels as a TSV file that `active-testing label --answers` reads: columns `id` and
 * `label` (a class name, a class index, or `skip`).
 *
 * @example
 * writeFileSync('labels.tsv', labelsTsv(exportSessionLabels('pool.session').labels));
 */
export function labelsTsv(labels: readonly ExportedLabel[]): string {
  return ['id\tlabel', ...labels.map(({ id, label }) => `${id}\t${label ?? 'skip'}`)].join('\n') + '\n';
}
