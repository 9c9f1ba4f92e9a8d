import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../src/errors.js';
import { HateSpeechDataset, SST2Dataset, TextClassificationDataset, loadOrCreateSplits, readTable } from '../../src/dataset/index.js';

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

const SPEC = { name: 'toy', classes: ['negative', 'positive'], answerString: 'Label', instruction: '' };

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

  it('include lines of only spaces (and tabs, in a CSV), which pandas passes over too', async () => {
    const tsv = file('spaces.tsv', 'sentence\tlabel\nhello\t1\n   \nbye\t0\n  \n');
    expect(await readTable(tsv)).toEqual({
      columns: ['sentence', 'label'],
      rows: [
        ['hello', '1'],
        ['bye', '0'],
      ],
      origin: { path: tsv, lines: [2, 4] },
    });
    const csv = file('spaces.csv', 'sentence,label\r\nhello,1\r\n \t \r\nbye,0\r\n\t\r\n');
    expect(await readTable(csv)).toEqual({
      columns: ['sentence', 'label'],
      rows: [
        ['hello', '1'],
        ['bye', '0'],
      ],
      origin: { path: csv, lines: [2, 4] },
    });
    // Quoted, spaces are a field's text: a row of one field, as pandas reads it.
    expect((await readTable(file('quoted-spaces.csv', 'text\n"  "\na\n'))).rows).toEqual([['  '], ['a']]);
  });

  it('refuse a TSV line of only tabs and spaces, a row of empty fields more likely meant as a blank line', async () => {
    for (const line of ['\t', ' \t ', '\t\t']) {
      const tsv = file('tabs.tsv', `sentence\tlabel\nhello\t1\n${line}\nbye\t0\n`);
      await expect(readTable(tsv)).rejects.toThrow(
        new FileFormatError(
          tsv,
          'line 3: only tabs and spaces, a row of empty fields rather than a blank line; remove the line or fill in its fields',
        ),
      );
    }
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
  it('has its refused cells told by file, row and column', async () => {
    const nullText = parquet('null-text.parquet', [
      { name: 'sentence', data: ['fine', null, 'good'], type: 'STRING' },
      { name: 'label', data: [1, 0, 1], type: 'INT32' },
    ]);
    await expect(SST2Dataset.load(nullText)).rejects.toThrow(
      new FileFormatError(nullText, 'row 1 (counting from 0), column "sentence": expected a non-empty text, got null'),
    );
    const labels = parquet('labels.parquet', [
      { name: 'review', data: ['fine', 'dull', 'good', 'odd'], type: 'STRING', nullable: false },
      { name: 'stars', data: [1n, 0n, null, 5n], type: 'INT64' },
    ]);
    await expect(TextClassificationDataset.fromFile(labels, SPEC, { textColumn: 'review', labelColumn: 'stars' })).rejects.toThrow(
      new FileFormatError(
        labels,
        'row 2 (counting from 0), column "stars": expected a class id in [0, 1] or one of "negative", "positive", got null',
      ),
    );
  });

  it('has a refused row told by its place in the file after a preset drops rows', async () => {
    const path = parquet('hate.parquet', [
      { name: 'text', data: ['a', 'b', ' ', 'd'], type: 'STRING' },
      { name: 'label', data: [0, 3, 1, 2], type: 'INT32' },
    ]);
    await expect(HateSpeechDataset.load(path, { textColumn: 'text' })).rejects.toThrow(
      new FileFormatError(path, 'row 2 (counting from 0), column "text": expected a non-empty text, got " "'),
    );
    const tsv = file('hate.tsv', 'text\tlabel\na\t0\nb\t3\n \t1\nd\t2\n');
    await expect(HateSpeechDataset.load(tsv, { textColumn: 'text' })).rejects.toThrow(
      new FileFormatError(tsv, 'line 4, column "text": expected a non-empty text, got " "'),
    );
  });

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

  it('reads dictionary-encoded and nullable string columns value for value', async () => {
    const texts = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 'a repeated review' : i % 3 === 1 ? 'another one' : 'a third'));
    const path = parquet('dictionary.parquet', [
      { name: 'sentence', data: texts, type: 'STRING', encoding: 'RLE_DICTIONARY' },
      { name: 'label', data: texts.map((_, i) => (i % 3 === 1 ? 'Positive' : 'NEGATIVE')), type: 'STRING', nullable: true },
    ]);
    const data = await SST2Dataset.load(path);
    expect(data.texts).toEqual(texts);
    expect(Array.from(data.labels)).toEqual(texts.map((_, i) => (i % 3 === 1 ? 1 : 0)));
  });
});

describe('a JSON Lines file without rows', () => {
  it('is told as holding no rows, not as a list of no columns', async () => {
    const path = file('empty.jsonl', '\n\n');
    await expect(TextClassificationDataset.fromFile(path, SPEC)).rejects.toThrow(
      `textColumn: expected a column of ${path}, which has none (it holds no rows), got "sentence"`,
    );
  });

  it('or whose rows are all {}, as rows without fields', async () => {
    const path = file('fieldless.jsonl', '{}\n{}\n');
    await expect(TextClassificationDataset.fromFile(path, SPEC)).rejects.toThrow(
      `textColumn: expected a column of ${path}, which has none (its rows have no fields), got "sentence"`,
    );
  });
});

describe('a splits file that is not what it says', () => {
  const redraw = 'remove it to draw the splits again';
  const saved = (splits: unknown): string => JSON.stringify({ n: 10, seed: 0, sizes: { pool: 2, icl: 1 }, splits });

  it.each([
    ['it is cut short', '{"n": 10, "seed": 0', /^not a splits file: invalid JSON \(.*\); remove it to draw the splits again$/],
    ['it is null', 'null', `not a splits file (expected an object { n, seed, sizes, splits }); ${redraw}`],
    ['it misses a split', saved({ pool: [1, 2] }), `split "icl" does not hold 1 row indices as its size says; ${redraw}`],
    ['it holds a row past the data', saved({ pool: [3, 10], icl: [0] }), `split "pool" holds 10, not a row index in [0, 9]; ${redraw}`],
    ['it holds a fraction', saved({ pool: [3, 1.5], icl: [0] }), `split "pool" holds 1.5, not a row index in [0, 9]; ${redraw}`],
    [
      'with a row in two splits',
      saved({ pool: [3, 4], icl: [4] }),
      `split "icl" holds row 4 a second time (splits are disjoint); ${redraw}`,
    ],
  ])('is refused, naming the file, when %s', async (_, content, reason) => {
    const path = file('splits.json', content);
    const error = (await loadOrCreateSplits(path, 10, { pool: 2, icl: 1 }, 0).catch((e: unknown) => e)) as FileFormatError;
    expect(error).toBeInstanceOf(FileFormatError);
    expect(error.path).toBe(path);
    if (typeof reason === 'string') expect(error.reason).toBe(reason);
    else expect(error.reason).toMatch(reason);
  });

  it('is refused when it is a folder', async () => {
    const path = join(dir, 'folder-splits.json');
    mkdirSync(path);
    await expect(loadOrCreateSplits(path, 10, { pool: 2 }, 0)).rejects.toThrow(
      new FileFormatError(path, 'cannot read: a folder, not a file (EISDIR)'),
    );
  });

  it('is read when its splits are distinct rows, as many as their sizes', async () => {
    const path = file('splits.json', saved({ pool: [3, 7], icl: [0] }));
    const splits = await loadOrCreateSplits(path, 10, { pool: 2, icl: 1 }, 0);
    expect(splits).toEqual({ pool: Int32Array.of(3, 7), icl: Int32Array.of(0) });
  });
});

describe('a JSON Lines row that gives a key twice', () => {
  it('is refused naming the line and the key, rather than read as its last value', async () => {
    const path = file('twice.jsonl', '{"sentence":"fine","label":1}\n\n{"sentence":"dull","label":1,"label":0}\n');
    await expect(readTable(path)).rejects.toThrow(
      new FileFormatError(path, 'line 3: the key label is given twice; keys must be unique (JSON.parse would keep the last)'),
    );
    const escaped = file('escaped.jsonl', '{"sentence":"fine","label":1,"\\u006cabel":0}\n');
    await expect(readTable(escaped)).rejects.toThrow(/^.*escaped\.jsonl: line 1: the key label is given twice/);
  });

  it('is not confused by keys in nested objects or by colons and quotes inside strings', async () => {
    const path = file(
      'nested.jsonl',
      '{"sentence":"say \\"label\\": no, {x: [y]}","meta":{"label":2,"tags":[{"label":3}]},"label":"positive"}\n',
    );
    const table = await readTable(path);
    expect(table.columns).toEqual(['sentence', 'meta', 'label']);
    expect(table.rows).toEqual([['say "label": no, {x: [y]}', { label: 2, tags: [{ label: 3 }] }, 'positive']]);
  });
});

describe('a CSV field with text after its closing quote', () => {
  const after = (where: string, ch: string): string =>
    `${where}: ${JSON.stringify(ch)} after the closing quote of a quoted field; a quote inside a quoted field is written twice ("")`;

  it('is refused naming its line and field, rather than read with its quotes moved', async () => {
    const undoubled = file('undoubled.csv', 'sentence,label\nfine,1\n"He said "hi" to me",1\n');
    await expect(readTable(undoubled)).rejects.toThrow(new FileFormatError(undoubled, after('line 3, field 1', 'h')));
    const spanning = file('spanning.csv', 'label,sentence\n0,"two\nlines" and more\n');
    await expect(readTable(spanning)).rejects.toThrow(new FileFormatError(spanning, after('line 3, field 2', ' ')));
  });

  it('is no error when a quote is doubled or the field ends at its quote', async () => {
    const path = file('doubled.csv', 'sentence,label\n"He said ""hi"" to me",1\n"a, b",0\n');
    expect((await readTable(path)).rows).toEqual([
      ['He said "hi" to me', '1'],
      ['a, b', '0'],
    ]);
  });
});

describe('labels written as whole numbers with a decimal point, as pandas writes a float column', () => {
  const rows = (labels: string[]) => labels.map((label, i) => `text ${i}\t${label}`).join('\n');

  it('are read as class ids in every format', async () => {
    const expected = [1, 0, 1];
    const tsv = file('float-ids.tsv', `sentence\tlabel\n${rows(['1.0', '0.0', ' 1.00 '])}\n`);
    const csv = file('float-ids.csv', 'sentence,label\na,1.0\nb,0.0\nc,1.0\n');
    const jsonl = file('float-ids.jsonl', '{"sentence":"a","label":1.0}\n{"sentence":"b","label":"0.0"}\n{"sentence":"c","label":1}\n');
    const parquetFile = parquet('float-ids.parquet', [
      { name: 'sentence', data: ['a', 'b', 'c'], type: 'STRING' },
      { name: 'label', data: [1, 0, 1], type: 'DOUBLE' },
    ]);
    for (const path of [tsv, csv, jsonl, parquetFile]) {
      expect(Array.from((await TextClassificationDataset.fromFile(path, SPEC)).labels), path).toEqual(expected);
    }
  });

  it('refuse a fraction, NaN, a negative or an out-of-range id, naming the file, the row and what was expected', async () => {
    const expected = 'expected a class id in [0, 1] or one of "negative", "positive"';
    for (const label of ['1.5', '-1.0', '2.0', 'nan', '1e0']) {
      const tsv = file('bad-id.tsv', `sentence\tlabel\n${rows(['0', label])}\n`);
      await expect(TextClassificationDataset.fromFile(tsv, SPEC)).rejects.toThrow(
        new FileFormatError(tsv, `line 3, column "label": ${expected}, got "${label}"`),
      );
    }
    const jsonl = file('bad-id.jsonl', '{"sentence":"a","label":0}\n{"sentence":"b","label":1.5}\n');
    await expect(TextClassificationDataset.fromFile(jsonl, SPEC)).rejects.toThrow(
      new FileFormatError(jsonl, `line 2, column "label": ${expected}, got 1.5`),
    );
    const nan = parquet('nan-id.parquet', [
      { name: 'sentence', data: ['a', 'b'], type: 'STRING' },
      { name: 'label', data: [0, NaN], type: 'DOUBLE' },
    ]);
    await expect(TextClassificationDataset.fromFile(nan, SPEC)).rejects.toThrow(
      new FileFormatError(nan, `row 1 (counting from 0), column "label": ${expected}, got NaN`),
    );
  });

  it('are class names only, matched by their value, when a class is named by a whole number', async () => {
    // "1.0" (as pandas writes a float column) names the class "1", never the class of id 1 ("2").
    const stars = { ...SPEC, classes: ['1', '2', '3'] };
    const tsv = file('stars.tsv', `sentence\tlabel\n${rows(['2', '1.0', '03'])}\n`);
    expect(Array.from((await TextClassificationDataset.fromFile(tsv, stars)).labels)).toEqual([1, 0, 2]);
    const jsonl = file('stars.jsonl', '{"sentence":"a","label":1.0}\n{"sentence":"b","label":"3.0"}\n');
    expect(Array.from((await TextClassificationDataset.fromFile(jsonl, stars)).labels)).toEqual([0, 2]);
    const zero = file('stars-zero.tsv', `sentence\tlabel\n${rows(['0'])}\n`);
    await expect(TextClassificationDataset.fromFile(zero, stars)).rejects.toThrow(
      new FileFormatError(
        zero,
        'line 2, column "label": expected one of "1", "2", "3" (whole-number labels are class names here, not ids), got "0"',
      ),
    );
    // Classes named "1.0" and "2.0": "1" names "1.0", where as an id it would be the class "2.0".
    const decimals = { ...SPEC, classes: ['1.0', '2.0'] };
    const named = file('decimal-names.tsv', `sentence\tlabel\n${rows(['2.0', '1', '1.00'])}\n`);
    expect(Array.from((await TextClassificationDataset.fromFile(named, decimals)).labels)).toEqual([1, 0, 0]);
    // Two classes of one value ("1" and "1.0"): only an exact name picks one.
    const twins = { ...SPEC, classes: ['1', '1.0', '2'] };
    const exact = file('twins.tsv', `sentence\tlabel\n${rows(['1.0', '1', '2.0'])}\n`);
    expect(Array.from((await TextClassificationDataset.fromFile(exact, twins)).labels)).toEqual([1, 0, 2]);
    const ambiguous = file('twins-ambiguous.tsv', `sentence\tlabel\n${rows(['1.00'])}\n`);
    await expect(TextClassificationDataset.fromFile(ambiguous, twins)).rejects.toThrow(/got "1\.00"/);
  });
});
