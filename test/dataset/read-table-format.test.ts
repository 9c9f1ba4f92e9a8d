import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError, readTable } from '../../src/index.js';
import { readTableBytes } from '../../src/dataset/read-table.js';

const dir = mkdtempSync(join(tmpdir(), 'read-table-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = join(dir, 'pool.csv');
writeFileSync(csv, 'sentence,label\ngood,1\n');
const tsv = join(dir, 'pool.tsv');
writeFileSync(tsv, 'sentence\tlabel\ngood\t1\n');
const folder = join(dir, 'pools');
mkdirSync(folder);
const noExtension = join(dir, 'pool');
writeFileSync(noExtension, 'sentence\tlabel\ngood\t1\n');

describe("readTable's format", () => {
  it('reads a JSON Lines integer past 2^53 (a 64-bit id) as its digits, not rounded to another', async () => {
    const path = join(dir, 'ids.jsonl');
    // As Python's json.dumps writes them: two ids 1 apart that one double would hold both of.
    writeFileSync(
      path,
      [
        '{"id": 1234567890123456789, "big": 1000000000000000000, "x": 12345678901234567.5, "text": "id 1234567890123456789", "n": -9007199254740993}',
        '{"id": 1234567890123456790, "big": 9007199254740992, "x": 1.5, "text": "b", "n": 9007199254740991}',
        // A double holds the first exactly, but prints it as the second's digits: both are read as written.
        '{"id": 1234567890123456768, "big": -0, "x": 0, "text": "c", "n": 1}',
        '{"id": 1234567890123456800, "big": 0, "x": 0, "text": "d", "n": 1}',
      ].join('\n'),
    );
    const table = await readTable(path);
    // A number with a fraction is a measurement, read as a double (rounded) as before.
    expect(table.rows).toEqual([
      ['1234567890123456789', '1000000000000000000', Number('12345678901234567.5'), 'id 1234567890123456789', '-9007199254740993'],
      ['1234567890123456790', '9007199254740992', 1.5, 'b', 9007199254740991],
      ['1234567890123456768', -0, 0, 'c', 1],
      ['1234567890123456800', 0, 0, 'd', 1],
    ]);
    // Invalid JSON is told as written.
    writeFileSync(path, '{"id": 1234567890123456789,}');
    await expect(readTable(path)).rejects.toThrow(/^[^\n]*ids\.jsonl: line 1: invalid JSON \([^)]*\)$/);
  });

  it('refuses a .json file holding a JSON array as one, saying how to write JSON Lines', async () => {
    const array = join(dir, 'answers.json');
    writeFileSync(array, '[{"id": "a", "label": 1}, {"id": "b", "label": 0}]');
    await expect(readTable(array)).rejects.toThrow(
      new FileFormatError(
        array,
        'line 1: a JSON array, not JSON Lines; write one object per line (json.dumps(record) for each, or pandas\' to_json(path, orient="records", lines=True))',
      ),
    );
  });

  it('refuses a format it does not read, instead of reading the file as TSV', async () => {
    await expect(readTable(csv, 'xls' as never)).rejects.toMatchObject({
      name: 'InputError',
      argument: 'format',
      expected: 'one of tsv | csv | jsonl | parquet',
      received: 'xls',
    });
    await expect(readTable(tsv, 'xlsx' as never)).rejects.toMatchObject({ name: 'InputError', argument: 'format' });
    await expect(readTable(csv, { format: 'csv' } as never)).rejects.toThrow(
      /^format: expected one of tsv \| csv \| jsonl \| parquet, got /,
    );
  });

  it('suggests the closest format', async () => {
    await expect(readTable(csv, 'CSV' as never)).rejects.toThrow('format: expected one of tsv | csv | jsonl | parquet (did you mean csv?)');
  });

  it('reads the file in the format given', async () => {
    expect(await readTable(csv, 'csv')).toMatchObject({ columns: ['sentence', 'label'], rows: [['good', '1']] });
  });

  it('refuses a folder or a missing file as such, not as a file of unknown format', async () => {
    await expect(readTable(folder)).rejects.toThrow(new FileFormatError(folder, 'cannot read: a folder, not a file (EISDIR)'));
    const missing = join(dir, 'absent');
    await expect(readTable(missing)).rejects.toThrow(new FileFormatError(missing, 'cannot read: no such file (ENOENT)'));
  });

  it('refuses a file whose name implies no format', async () => {
    await expect(readTable(noExtension)).rejects.toThrow(
      new FileFormatError(noExtension, 'unknown table format ""; expected .tsv, .csv, .jsonl or .parquet'),
    );
  });
});

describe('readTableBytes: a table without a file name, its format told by its text', () => {
  const table = (text: string | Buffer) => readTableBytes(Buffer.isBuffer(text) ? text : Buffer.from(text), 'stdin');

  it('reads JSON Lines from a first "{", else CSV or TSV by the header\'s first separator outside quotes', () => {
    expect(table('\n{"id": "a", "label": 1}\n{"id": "b", "label": 0}\n')).toMatchObject({
      columns: ['id', 'label'],
      rows: [
        ['a', 1],
        ['b', 0],
      ],
    });
    expect(table('\uFEFFid\tlabel\na\tx, y\n')).toMatchObject({ columns: ['id', 'label'], rows: [['a', 'x, y']] });
    expect(table('id,label\na,"x\ty"\n')).toMatchObject({ columns: ['id', 'label'], rows: [['a', 'x\ty']] });
    // One column, read as it is (a comma in a value is no separator), and a header whose quoted name holds a tab.
    expect(table('label\nyes, surely\n')).toMatchObject({ columns: ['label'], rows: [['yes, surely']] });
    expect(table('"a\tb",label\nx,y\n')).toMatchObject({ columns: ['a\tb', 'label'], rows: [['x', 'y']] });
    expect(table('"a,b"\tlabel\nx\ty\n')).toMatchObject({ columns: ['"a,b"', 'label'], rows: [['x', 'y']] });
  });

  it('refuses a JSON array (json.dump of a list) as one, not as a CSV or TSV header', () => {
    const reason =
      'a JSON array, not JSON Lines; write one object per line (json.dumps(record) for each, or pandas\' to_json(path, orient="records", lines=True))';
    // json.dump(records, f) and pandas' to_json(orient="records"): one line; with indent=2, "[" alone.
    expect(() => table('[{"id": "a", "label": 1}, {"id": "b", "label": 0}]')).toThrow(new FileFormatError('stdin', `line 1: ${reason}`));
    expect(() => table('\uFEFF\n[\n  {\n    "id": "a",\n    "label": 1\n  }\n]')).toThrow(
      new FileFormatError('stdin', `line 2: ${reason}`),
    );
    // A header that only begins with a bracket is still a header.
    expect(table('[id],label\na,1\n')).toMatchObject({ columns: ['[id]', 'label'], rows: [['a', '1']] });
  });

  it('names stdin in its errors, and refuses Parquet, which needs a file', () => {
    expect(() => table('id\tlabel\na\n')).toThrow(new FileFormatError('stdin', 'line 2: 1 field, expected 2 (id, label)'));
    expect(() => table(Buffer.from('PAR1\u0000\u0000'))).toThrow(/^stdin: a Parquet file, which is read from a file only: pass its path$/);
  });
});
