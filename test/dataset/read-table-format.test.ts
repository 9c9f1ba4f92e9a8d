import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTable } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'read-table-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = join(dir, 'pool.csv');
writeFileSync(csv, 'sentence,label\ngood,1\n');
const tsv = join(dir, 'pool.tsv');
writeFileSync(tsv, 'sentence\tlabel\ngood\t1\n');

describe("readTable's format", () => {
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
});
