import { basename } from 'node:path';
import { FileFormatError, InputError } from '../errors.js';
import { fetchHubTable, type HubSource } from './hub.js';
import { readTable, type Table, type TableFormat } from './read-table.js';
import { filePlace } from './table.js';
import { checkKnownKeys, meantHint } from '../io/suggest.js';
import { checkArrayLike, checkObject } from '../io/check-arguments.js';

/** What a dataset is about: its classes and the reference's prompt pieces. */
export interface DatasetSpec {
  /** Short name, used as the results folder (e.g. `sst2`). */
  name: string;
  /** Class names in label-id order; also the answer words scored after the prompt. */
  classes: readonly string[];
  /** The word before the colon in the prompt (`Label`, `Answer`). */
  answerString: string;
  /** The task instruction, placed before the shots and the query (ends with a newline). */
  instruction: string;
}

/** Which columns of a table hold the text and the label, and how many rows to keep. */
export interface ColumnOptions {
  /** Column holding the text (default `sentence`). */
  textColumn?: string;
  /** Column holding the label, as a class id or a class name; only a name when a class is named by an integer (default `label`). */
  labelColumn?: string;
  /** Keep only the first N rows. */
  limit?: number;
}

/** `ColumnOptions`, and the file's format where its extension does not say it. */
export interface FileOptions extends ColumnOptions {
  format?: TableFormat;
}

const SPEC_KEYS = ['name', 'classes', 'answerString', 'instruction'] satisfies (keyof DatasetSpec)[];
/** A preset (`DATASET_PRESETS.sst2`) is a spec too, with the keys of its Hub source and columns. */
const PRESET_KEYS = [...SPEC_KEYS, 'hub', 'textColumn', 'labelColumn', 'iclSplit', 'keepLabelsBelow'];

/**
 * Refuses a misspelt key of a spec written out (a plain object), which would otherwise be ignored
 * without a word after the file is read. A spec is taken by its shape, so another object that has
 * its fields (a dataset, a preset) is taken as it is.
 */
function checkSpecKeys(spec: object): void {
  checkSpec(spec);
  const prototype: unknown = Object.getPrototypeOf(spec);
  if (prototype === Object.prototype || prototype === null) checkKnownKeys(spec, PRESET_KEYS, 'spec');
}
/** Refuses a spec that is not an object with a list of classes, before any file or network is touched. */
function checkSpec(spec: unknown): asserts spec is Pick<DatasetSpec, 'classes'> {
  checkObject(spec, 'spec', 'a dataset spec { classes, name?, answerString?, instruction? }');
  checkArrayLike((spec as Partial<DatasetSpec>).classes, 'spec.classes', 'a list of class names');
}

/** Refuses a table that is not `{ columns, rows }` (as `readTable` returns it). */
function checkTable(table: unknown): asserts table is Table {
  checkObject(table, 'table', 'a table { columns, rows } as readTable returns it');
  checkArrayLike((table as Partial<Table>).columns, 'table.columns', 'a list of column names');
  checkArrayLike((table as Partial<Table>).rows, 'table.rows', 'a list of rows');
}

const COLUMN_OPTIONS = ['textColumn', 'labelColumn', 'limit'] satisfies (keyof ColumnOptions)[];
/** The keys of `FileOptions`, which `PresetDataset.load` also takes. */
export const FILE_OPTIONS = [...COLUMN_OPTIONS, 'format'] satisfies (keyof FileOptions)[];

/**
 * A labelled text-classification dataset in memory: texts, integer labels, and the spec that
 * turns them into prompts. Subclasses (`SST2Dataset`, ...) fix the spec to the reference's.
 *
 * @example
 * const data = await TextClassificationDataset.fromFile('reviews.csv', {
 *   name: 'reviews', classes: ['negative', 'positive'], answerString: 'Label', instruction: 'Classify the review.\n',
 * }, { textColumn: 'review', labelColumn: 'stars' });
 * data.size; // number of rows
 */
export class TextClassificationDataset implements DatasetSpec {
  readonly name: string;
  readonly classes: readonly string[];
  readonly answerString: string;
  readonly instruction: string;

  constructor(
    spec: DatasetSpec,
    readonly texts: readonly string[],
    readonly labels: Int32Array,
  ) {
    checkSpec(spec);
    checkArrayLike(texts, 'texts', 'a list of texts');
    checkArrayLike(labels, 'labels', 'an Int32Array of class ids');
    this.name = spec.name;
    this.classes = spec.classes;
    this.answerString = spec.answerString;
    this.instruction = spec.instruction;
    if (spec.classes.length < 2)
      throw new InputError({ argument: 'classes', expected: 'at least two class names', received: [...spec.classes] });
    if (texts.length !== labels.length)
      throw new InputError({ argument: 'labels', expected: `one label per text (${texts.length})`, received: labels.length });
    Array.prototype.forEach.call(texts, (text: unknown, row: number) => {
      if (typeof text !== 'string' || text.trim() === '')
        throw new InputError({ argument: 'texts', expected: 'a non-empty text', row, received: text });
    });
    Array.prototype.forEach.call(labels, (label: number, row: number) => {
      if (label < 0 || label >= spec.classes.length) {
        throw new InputError({ argument: 'labels', expected: `a class id in [0, ${spec.classes.length - 1}]`, row, received: label });
      }
    });
  }

  /** Reads a TSV, CSV, JSONL or Parquet file (see `readTable`). */
  static async fromFile(
    path: string,
    spec: Partial<DatasetSpec> & Pick<DatasetSpec, 'classes'>,
    options: FileOptions = {},
  ): Promise<TextClassificationDataset> {
    checkSpecKeys(spec);
    checkKnownKeys(options, FILE_OPTIONS, null);
    const { format, ...columns } = options;
    const table = await readTable(path, format);
    return TextClassificationDataset.fromTable(table, completeSpec(spec, basename(path).replace(/\.[^.]*$/, '')), columns);
  }

  /**
   * Downloads a split from the Hugging Face Hub's dataset viewer (needs internet).
   *
   * @example
   * const data = await TextClassificationDataset.fromHub({ dataset: 'glue', config: 'sst2', split: 'validation' }, { classes: ['negative', 'positive'] });
   */
  static async fromHub(
    source: HubSource,
    spec: Partial<DatasetSpec> & Pick<DatasetSpec, 'classes'>,
    options: ColumnOptions = {},
  ): Promise<TextClassificationDataset> {
    checkKnownKeys(source, ['dataset', 'config', 'split'] satisfies (keyof HubSource)[], 'source');
    checkSpecKeys(spec);
    checkKnownKeys(options, COLUMN_OPTIONS, null);
    const table = await fetchHubTable(source, options.limit);
    return TextClassificationDataset.fromTable(table, completeSpec(spec, source.dataset.replace(/.*\//, '')), options);
  }

  /**
   * Builds a dataset from a table, checking every row: the text must be non-empty and the label a
   * class id or name.
   *
   * @throws InputError naming the column and the 0-based row; a `FileFormatError` naming the
   * file, and the file's line or Parquet row, instead when the table was read from a file (`readTable`).
   */
  static fromTable(table: Table, spec: DatasetSpec, options: ColumnOptions = {}): TextClassificationDataset {
    checkTable(table);
    checkSpec(spec);
    checkKnownKeys(options, COLUMN_OPTIONS, null);
    const textIndex = columnIndex(table, options.textColumn ?? 'sentence', 'textColumn');
    const labelIndex = columnIndex(table, options.labelColumn ?? 'label', 'labelColumn');
    // One column as both would score each label's own digits or name as the text.
    if (labelIndex === textIndex)
      throw new InputError({
        argument: 'labelColumn',
        expected: 'a column other than the text column',
        received: table.columns[labelIndex],
      });
    const rows = options.limit === undefined ? table.rows : table.rows.slice(0, checkLimit(options.limit));
    try {
      const texts = rows.map((row, i) => {
        const text = row[textIndex];
        if (typeof text !== 'string' || text.trim() === '')
          throw new InputError({ argument: 'text', expected: 'a non-empty text', row: i, received: text ?? null });
        return text;
      });
      const parseLabel = labelParser(spec.classes);
      const labels = Int32Array.from(rows, (row, i) => parseLabel(row[labelIndex], i));
      return new TextClassificationDataset(spec, texts, labels);
    } catch (error) {
      const columns = { text: table.columns[textIndex], label: table.columns[labelIndex] };
      throw atFilePlace(error, table, columns);
    }
  }

  get size(): number {
    return this.texts.length;
  }

  /** The rows at `indices`, in that order, with the same spec. */
  select(indices: ArrayLike<number>): TextClassificationDataset {
    const picked = Array.from(indices, (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= this.size)
        throw new InputError({ argument: 'indices', expected: `row indices in [0, ${this.size - 1}]`, received: i });
      return i;
    });
    return new TextClassificationDataset(
      this,
      picked.map((i) => this.texts[i] as string),
      Int32Array.from(picked, (i) => this.labels[i] as number),
    );
  }

  /** Labels as one-hot rows (N×K, row-major), as the reference stores targets. */
  oneHot(): Float32Array {
    const k = this.classes.length;
    const out = new Float32Array(this.size * k);
    this.labels.forEach((label, i) => (out[i * k + label] = 1));
    return out;
  }

  /** How many rows each class has. */
  classCounts(): number[] {
    const counts = new Array<number>(this.classes.length).fill(0);
    for (const label of this.labels) counts[label] = (counts[label] as number) + 1;
    return counts;
  }
}

function completeSpec(spec: Partial<DatasetSpec> & Pick<DatasetSpec, 'classes'>, fallbackName: string): DatasetSpec {
  return {
    name: spec.name ?? fallbackName,
    classes: spec.classes,
    answerString: spec.answerString ?? 'Label',
    instruction: spec.instruction ?? '',
  };
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new InputError({ argument: 'limit', expected: 'an integer ≥ 1', received: limit });
  return limit;
}

/** A column or class name as the messages quote it. */
const quoted = (name: string): string => JSON.stringify(name);

/**
 * The index of `column`, else an error listing the table's columns and, for a table read from a
 * file, the file: the columns name the pool's file and the ICL examples' alike.
 */
function columnIndex(table: Table, column: string, argument: string): number {
  const index = table.columns.indexOf(column);
  if (index < 0) {
    const file = table.origin ? ` of ${table.origin.path}` : '';
    // A JSON Lines file without rows, or whose rows are all {}, has no columns: "one of the
    // columns" would list none.
    const expected =
      table.columns.length === 0
        ? `a column${file}, which has none (${table.rows.length === 0 ? 'it holds no rows' : 'its rows have no fields'})`
        : `one of the columns ${table.columns.map(quoted).join(', ')}${file}${meantHint(column, table.columns, quoted)}`;
    throw new InputError({ argument, expected, received: column });
  }
  return index;
}

/**
 * A row's `InputError` as a `FileFormatError` at the row's place in the file (its line, or a
 * Parquet file's row) and its column, for a table read from a file; `columns` names the file's
 * column for each argument.
 */
function atFilePlace(error: unknown, table: Table, columns: Record<string, string | undefined>): unknown {
  if (!(error instanceof InputError) || error.row === undefined || !table.origin) return error;
  const place = filePlace(table, error.row);
  if (place === undefined) return error;
  const argument = `${place}, column ${JSON.stringify(columns[error.argument] ?? error.argument)}`;
  return new FileFormatError(
    table.origin.path,
    (naming) => new InputError({ argument, expected: error.expectedBy(naming), received: error.received }).message,
  );
}

/**
 * The class id a label written as text gives when it is a whole number: digits (`1`), or digits
 * and a zero fraction (`1.0`), as pandas writes an integer column that held a missing value or went
 * through float; undefined for anything else (`1.5`, `-1`, `nan`, `1e0`), as a number cell that is
 * not a whole number is no class id.
 *
 * @example
 * wholeNumberLabel('1.0'); // 1
 * wholeNumberLabel('1.5'); // undefined
 */
export function wholeNumberLabel(text: string): number | undefined {
  return /^\d+(?:\.0+)?$/.test(text) ? Number(text) : undefined;
}

/**
 * Whether a class is named by a whole number (star ratings "1" … "5", or "1.0"): then a label
 * written as a whole number is a class name, never a class id (see `classesByNumber`).
 */
export function classesNamedByIntegers(classes: readonly string[]): boolean {
  return classes.some((name) => wholeNumberLabel(name.trim()) !== undefined);
}

/**
 * The classes named by whole numbers, by their value: a label names the class of the same value
 * however it is written (`1`, `"1"`, `"1.0"` as pandas writes a float column, all name the class
 * "1", or the class "1.0"). A value two classes share ("1" and "1.0") names neither, so such a
 * label must match a name exactly.
 *
 * @example
 * classesByNumber(['1', '2', 'other']).get(2); // 1
 */
export function classesByNumber(classes: readonly string[]): Map<number, number> {
  const byNumber = new Map<number, number>();
  const shared = new Set<number>();
  classes.forEach((name, index) => {
    const value = wholeNumberLabel(name.trim());
    if (value === undefined) return;
    if (byNumber.has(value)) shared.add(value);
    byNumber.set(value, index);
  });
  shared.forEach((value) => byNumber.delete(value));
  return byNumber;
}

/** A label cell's whole-number value (a number, or text such as `1` or `1.0`); undefined for anything else. */
function wholeNumberValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  return typeof value === 'string' ? wholeNumberLabel(value.trim()) : undefined;
}

/**
 * The reader of label cells for `classes`: a cell is a class id (a whole number, as a number or as
 * text, `1` or `1.0`: see `wholeNumberLabel`) or a class name (case-insensitive). When a class is
 * named by a whole number (star ratings "1" … "5"), such cells are names only, matched by their
 * value (`classesByNumber`): read as ids they would silently shift to the next class. What depends
 * on the classes alone is worked out once, not once a row.
 */
function labelParser(classes: readonly string[]): (value: unknown, row: number) => number {
  const integerNames = classesNamedByIntegers(classes);
  const byNumber = classesByNumber(classes);
  // A name is read exactly first, then in any case: classes that differ only in case
  // (`positive`, `Positive`) are each reachable, and a cell matching several only in other cases
  // (`POSITIVE`) is refused rather than given to the first.
  const byExactName = new Map<string, number>();
  const byName = new Map<string, number[]>();
  classes.forEach((c, index) => {
    if (!byExactName.has(c)) byExactName.set(c, index);
    const key = c.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), index]);
  });
  const nameIndex = (name: string, row: number): number | undefined => {
    const exact = byExactName.get(name);
    if (exact !== undefined) return exact;
    const matches = byName.get(name.toLowerCase());
    if (matches !== undefined && matches.length > 1) {
      throw new InputError({
        argument: 'label',
        expected: `a class name matching one class, not ${matches.map((m) => quoted(classes[m] as string)).join(' and ')} in other cases`,
        row,
        received: name,
      });
    }
    return matches?.[0];
  };
  const expected = (value: unknown): string => {
    const names = classes.map(quoted).join(', ');
    const hint = meantHint(typeof value === 'string' ? value.trim() : value, classes, quoted);
    return integerNames
      ? `one of ${names}${hint} (whole-number labels are class names here, not ids)`
      : `a class id in [0, ${classes.length - 1}] or one of ${names}${hint}`;
  };
  return (value, row) => {
    if (!integerNames && typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < classes.length) return value;
    if (typeof value === 'string' || (integerNames && typeof value === 'number')) {
      const trimmed = String(value).trim();
      const id = integerNames ? undefined : wholeNumberLabel(trimmed);
      if (id !== undefined && id < classes.length) return id;
      const index = nameIndex(trimmed, row) ?? (integerNames ? byNumber.get(wholeNumberValue(value) ?? -1) : undefined);
      if (index !== undefined) return index;
    }
    throw new InputError({ argument: 'label', expected: expected(value), row, received: value ?? null });
  };
}
