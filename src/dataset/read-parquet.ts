import { FileFormatError } from '../errors.js';
import { checkUniqueColumns, type Table } from './table.js';
import { checkPath, unreadableFile } from '../io/index.js';

/**
 * Reads every column of a Parquet file into a `Table`. The reader (`hyparquet`) is imported on
 * first use, so programs that never open a Parquet file never load it. Strings come back as
 * strings; 64-bit integers (how pandas and Arrow store class ids) come back as numbers when they
 * fit in a double exactly, so label columns parse like those of the text formats. Columns that
 * repeat a name are a `FileFormatError`, as in the text formats.
 *
 * @throws {FileFormatError} naming the file when it cannot be read or is not Parquet.
 * @example
 * const { columns, rows } = await readParquet('sst2/validation.parquet'); // columns ['sentence', 'label']
 */
export async function readParquet(path: string): Promise<Table> {
  checkPath(path);
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await import('hyparquet');
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  try {
    file = await asyncBufferFromFile(path);
  } catch (error) {
    throw unreadableFile(path, error);
  }
  let columns: string[];
  let objects: Record<string, unknown>[];
  try {
    const metadata = await parquetMetadataAsync(file);
    columns = parquetSchema(metadata).children.map((child) => child.element.name);
    objects = await parquetReadObjects({ file, metadata });
  } catch (error) {
    throw new FileFormatError(path, `not a readable Parquet file (${(error as Error).message})`);
  }
  // Read as objects keyed by name, a repeated name's columns would be one.
  checkUniqueColumns(columns, path);
  const rows = objects.map((object) => columns.map((column) => plainCell(object[column])));
  return { columns, rows, origin: { path, lines: [], rows: rows.map((_, i) => i) } };
}

function plainCell(value: unknown): unknown {
  if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER))
    return Number(value);
  return value;
}
