import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../src/errors.js';
import { SST2Dataset, readTable } from '../../src/dataset/index.js';

const dir = mkdtempSync(join(tmpdir(), 'user-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

type Column = Parameters<typeof parquetWriteFile>[0]['columnData'][number];

function parquet(name: string, columnData: Column[]): string {
  const path = join(dir, name);
  parquetWriteFile({ filename: path, columnData });
  return path;
}

describe('blank lines in a TSV or CSV file', () => {
  it('are passed over wherever they are, each row keeping its line', async () => {
    const tsv = file('blank.tsv', '\nsentence\tlabel\nhello\t1\n\nbye\t0\n\n\n');
    expect(await readTable(tsv)).toEqual({
      columns: ['sentence', 'label'],
      rows: [
        ['hello', '1'],
        ['bye', '0'],
      ],
      origin: { path: tsv, lines: [3, 5] },
    });
    const csv = file('blank.csv', 'sentence,label\r\n"two\r\n\r\nlines",1\r\n\r\nbye,0\r\n');
    expect(await readTable(csv)).toEqual({
      columns: ['sentence', 'label'],
      rows: [
        ['two\r\n\r\nlines', '1'],
        ['bye', '0'],
      ],
      origin: { path: csv, lines: [2, 6] },
    });
  });

  it('leave a quoted empty field a row, and a refused row told by its own line', async () => {
    const csv = file('quoted-empty.csv', 'text\n""\n\na\n');
    expect((await readTable(csv)).rows).toEqual([[''], ['a']]);
    const tsv = file('after-blank.tsv', 'sentence\tlabel\nhello\t1\n\nbye\tmaybe\n');
    await expect(SST2Dataset.load(tsv)).rejects.toThrow(
      new FileFormatError(tsv, 'line 4, column "label": expected a class id in [0, 1] or one of "negative", "positive", got "maybe"'),
    );
  });
});

describe('a Parquet file', () => {
  it('is refused when two columns share a name, rather than read as one', async () => {
    const path = parquet('twice.parquet', [
      { name: 'sentence', data: ['fine', 'dull'], type: 'STRING' },
      { name: 'label', data: [1, 0], type: 'INT32' },
      { name: 'label', data: [0, 1], type: 'INT32' },
    ]);
    await expect(readTable(path)).rejects.toThrow(
      new FileFormatError(path, 'column 3 is named "label" like column 2; column names must be unique'),
    );
  });
});
