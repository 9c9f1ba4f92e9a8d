import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActiveTestingError, FileFormatError, InputError, OutputExistsError } from '../../src/errors.js';
import {
  AGNewsDataset,
  HateSpeechDataset,
  SST2Dataset,
  SubjectivityDataset,
  TextClassificationDataset,
  createSplits,
  fetchHubTable,
  hubRowsUrl,
  loadOrCreateSplits,
  parseHubRows,
  parseHubSpec,
  PresetDataset,
  readTable,
} from '../../src/dataset/index.js';
import { DATA_DIR, sharedAvailable } from '../helpers/shared.js';

function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'at-data-')), name);
  writeFileSync(path, content);
  return path;
}

const SPEC = { name: 'toy', classes: ['negative', 'positive'], answerString: 'Label', instruction: '' };

describe('readTable', () => {
  it('reads TSV without quoting, CSV with RFC 4180 quoting and JSON Lines', async () => {
    const tsv = tempFile('a.tsv', 'sentence\tlabel\nit \'s "fine"\t1\nbad , bad\t0\n');
    expect(await readTable(tsv)).toEqual({
      columns: ['sentence', 'label'],
      rows: [
        ['it \'s "fine"', '1'],
        ['bad , bad', '0'],
      ],
      origin: { path: tsv, lines: [2, 3] },
    });
    const csv = tempFile('a.csv', 'text,y\r\n"a, ""quoted""\nline",positive\nplain,0\n');
    expect(await readTable(csv)).toEqual({
      columns: ['text', 'y'],
      rows: [
        ['a, "quoted"\nline', 'positive'],
        ['plain', '0'],
      ],
      origin: { path: csv, lines: [2, 4] },
    });
    const jsonl = tempFile('a.jsonl', '{"text":"x","label":1}\n\n{"label":0,"text":"y"}\n');
    expect(await readTable(jsonl)).toEqual({
      columns: ['text', 'label'],
      rows: [
        ['x', 1],
        ['y', 0],
      ],
      origin: { path: jsonl, lines: [1, 3] },
    });
  });

  it('reads CRLF, a byte-order mark and classic Mac (CR) line endings as LF', async () => {
    const lf = {
      columns: ['sentence', 'label'],
      rows: [
        ['good', 'positive'],
        ['bad', 'negative'],
      ],
    };
    for (const [name, text] of [
      ['crlf.tsv', '\ufeffsentence\tlabel\r\ngood\tpositive\r\nbad\tnegative\r\n\r\n'],
      ['cr.tsv', 'sentence\tlabel\rgood\tpositive\rbad\tnegative\r'],
      ['cr.csv', 'sentence,label\rgood,positive\rbad,negative\r'],
    ]) {
      const table = await readTable(tempFile(name, text));
      expect({ columns: table.columns, rows: table.rows }).toEqual(lf);
      expect(table.origin?.lines).toEqual([2, 3]);
    }
    const jsonl = await readTable(tempFile('cr.jsonl', '{"sentence":"good","label":"positive"}\r{"sentence":"bad","label":"negative"}\r'));
    expect({ columns: jsonl.columns, rows: jsonl.rows }).toEqual(lf);
  });

  it('takes several unnamed columns, as a spreadsheet writes empty trailing ones', async () => {
    const excel = await readTable(tempFile('excel.csv', 'sentence,label,,\r\ngood,positive,,\r\nbad,negative,,\r\n'));
    expect(excel.rows).toEqual([
      ['good', 'positive', '', ''],
      ['bad', 'negative', '', ''],
    ]);
    expect(Array.from((await TextClassificationDataset.fromTable(excel, SPEC)).labels)).toEqual([1, 0]);
  });

  it('unquotes TSV fields quoted as pandas and Python csv write them, and keeps other quotes as text', async () => {
    const minimal = [
      'sentence\tlabel',
      '"say ""hi"""\t1',
      '"a\tb"\t0',
      '" maid in manhattan " is a charmer\t1',
      '" the best disney movie "\t1',
      '"unterminated\t0',
      '""""\t1',
    ].join('\n');
    expect((await readTable(tempFile('q.tsv', minimal))).rows).toEqual([
      ['say "hi"', '1'],
      ['a\tb', '0'],
      ['" maid in manhattan " is a charmer', '1'],
      ['" the best disney movie "', '1'],
      ['"unterminated', '0'],
      ['"', '1'],
    ]);
    expect(await readTable(tempFile('all.tsv', '"sentence"\t"label"\n"plain"\t"1"\n"say ""hi"""\t0\n'))).toMatchObject({
      columns: ['sentence', 'label'],
      rows: [
        ['plain', '1'],
        ['say "hi"', '0'],
      ],
    });
  });

  it('says a TSV cannot hold a quoted field over lines, as a CSV writer leaves a text with a newline', async () => {
    const pandas = 'id\tsentence\na\t"first line\nsecond line"\nb\tok\n';
    await expect(readTable(tempFile('ml.tsv', pandas))).rejects.toThrow(
      /line 3: 1 field, expected 2 \(id, sentence\); a quoted field seems to go on over lines, which TSV cannot hold: save the table as CSV$/,
    );
    const opened = 'id\tsentence\tlabel\na\t"say ""hi""\n and more"\t1\n';
    await expect(readTable(tempFile('open.tsv', opened))).rejects.toThrow(
      /line 2: 2 fields, expected 3 \(id, sentence, label\); a quoted field/,
    );
    // Quotes that open and close on the line are text, and say nothing of lines.
    await expect(readTable(tempFile('q.tsv', 'id\tsentence\na\tshe said "hi"\tx\n'))).rejects.toThrow(
      /line 2: 3 fields, expected 2 \(id, sentence\)$/,
    );
  });

  it('names the line of a malformed row', async () => {
    await expect(readTable(tempFile('b.tsv', 'sentence\tlabel\nok\t1\nno label here\n'))).rejects.toThrow(
      /line 3: 1 field, expected 2 \(sentence, label\)$/,
    );
    await expect(readTable(tempFile('b.jsonl', '{"a":1}\n{oops\n'))).rejects.toThrow(/line 2: invalid JSON/);
    await expect(readTable(tempFile('b.csv', 'a,b\n"two\nlines",1\n"open,1\n'))).rejects.toThrow(/line 4: unterminated/);
    await expect(readTable(tempFile('c.csv', 'a,b\n"two\r\nlines",1\nshort\n'))).rejects.toThrow(/line 4: 1 field, expected 2/);
    await expect(readTable('/nonexistent/file.tsv')).rejects.toThrow(FileFormatError);
  });

  it('says a workbook named .csv or .tsv is an Excel file, not text, by its first bytes', async () => {
    const file = (name: string, bytes: number[]) => {
      const path = join(mkdtempSync(join(tmpdir(), 'at-data-')), name);
      writeFileSync(path, Uint8Array.from(bytes));
      return path;
    };
    // An .xlsx's start: a zip local file header for [Content_Types].xml, then deflated bytes.
    const entry = [...Buffer.from('[Content_Types].xml')];
    const zipHeader = [0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0x06, 0, 0x08, 0, ...Array<number>(16).fill(0), entry.length, 0, 0, 0];
    const xlsx = [...zipHeader, ...entry, 0xb4, 0x94, 0xcb, 0x6e, 0xc2, 0x30, 0xff];
    // An .xls's start: the OLE2 compound file signature.
    const xls = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...Array<number>(24).fill(0)];
    for (const [name, bytes, kind] of [
      ['reviews.csv', xlsx, 'zip/xlsx'],
      ['reviews.tsv', xlsx, 'zip/xlsx'],
      ['reviews.csv', xls, 'xls'],
    ] as const) {
      const path = file(name, [...bytes]);
      const expected = new FileFormatError(
        path,
        `it is an Excel workbook (${kind}), not a text CSV; save it as CSV UTF-8 or tab-separated text`,
      );
      await expect(readTable(path)).rejects.toThrow(expected);
      await expect(TextClassificationDataset.fromFile(path, { classes: ['negative', 'positive'] })).rejects.toThrow(expected);
    }
    // Text that merely starts with the letters PK is read as text.
    expect((await readTable(tempFile('pk.csv', 'PK,label\nx,1\n'))).columns).toEqual(['PK', 'label']);
  });

  it('refuses a header read as one column that holds another separator, saying which, before any column is looked for', async () => {
    const semicolons = tempFile('eu.csv', 'sentence;label\ngood, really;positive\nbad;negative\n');
    await expect(readTable(semicolons)).rejects.toThrow(
      `${semicolons}: line 1: the header "sentence;label" is one column: the file looks ;-separated (a spreadsheet export in some locales), but a .csv is read comma-separated; save it with commas, or tab-separated as .tsv`,
    );
    await expect(TextClassificationDataset.fromFile(semicolons, SPEC)).rejects.toThrow(/looks ;-separated/);
    // A spreadsheet that quotes every field: `"sentence";"label"` reads as one field too.
    await expect(readTable(tempFile('quoted.csv', '"sentence";"label"\n"good";"positive"\n'))).rejects.toThrow(
      /the header "sentence;\\"label\\"" is one column: the file looks ;-separated/,
    );
    await expect(readTable(tempFile('tabs.csv', 'sentence\tlabel\ngood\t1\n'))).rejects.toThrow(
      /looks tab-separated, but a \.csv is read comma-separated; rename it to \.tsv$/,
    );
    await expect(readTable(tempFile('commas.tsv', 'sentence,label\ngood,1\n'))).rejects.toThrow(
      /looks comma-separated, but a \.tsv is read tab-separated; rename it to \.csv$/,
    );
    await expect(readTable(tempFile('eu.tsv', 'sentence;label\ngood;1\n'))).rejects.toThrow(
      /looks ;-separated, but a \.tsv is read tab-separated/,
    );
  });

  it('reads a separator inside a named column as text, and a one-column file without another separator', async () => {
    expect((await readTable(tempFile('ok.csv', 'sentence,label\n"a; b",1\n'))).rows).toEqual([['a; b', '1']]);
    expect((await readTable(tempFile('ok.tsv', 'sentence\tlabel\na, b; c\t1\n'))).rows).toEqual([['a, b; c', '1']]);
    expect(await readTable(tempFile('one.csv', 'sentence\n"a; b"\n'))).toMatchObject({ columns: ['sentence'], rows: [['a; b']] });
  });
});

describe('Parquet', () => {
  // Written by scripts/make_parquet_fixture.mjs: two row groups, INT64 class ids, texts with tab and newline.
  const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'parquet', 'reviews.parquet');
  const texts = [
    'a gorgeous , witty film',
    'tab\tinside and "quotes"',
    'two\nlines , still dull',
    'café crème — très bien',
    'utterly forgettable',
    'the best thing this year',
  ];

  it('reads every column and row, INT64 ids as numbers', async () => {
    const table = await readTable(fixture);
    expect(table.columns).toEqual(['idx', 'review', 'sentiment', 'sentiment_name']);
    expect(table.rows.map((row) => row[1])).toEqual(texts);
    expect(table.rows[3]).toEqual([3, 'café crème — très bien', 1, 'positive']);
  });

  it('loads a dataset with configurable columns, labels given as ids or names', async () => {
    const byId = await TextClassificationDataset.fromFile(fixture, SPEC, { textColumn: 'review', labelColumn: 'sentiment' });
    expect(byId.texts).toEqual(texts);
    expect(Array.from(byId.labels)).toEqual([1, 0, 0, 1, 0, 1]);
    const byName = await SST2Dataset.load(fixture, { textColumn: 'review', labelColumn: 'sentiment_name', limit: 4 });
    expect(Array.from(byName.labels)).toEqual([1, 0, 0, 1]);
    await expect(TextClassificationDataset.fromFile(fixture, SPEC, { textColumn: 'sentence' })).rejects.toThrow(
      /textColumn: expected one of the columns "idx", "review"/,
    );
  });

  it('gives a FileFormatError for a file that is not valid Parquet', async () => {
    const bytes = readFileSync(fixture);
    const truncated = join(mkdtempSync(join(tmpdir(), 'at-data-')), 'cut.parquet');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 20));
    for (const path of [truncated, tempFile('text.parquet', 'sentence\tlabel\nnot parquet\t1\n'), tempFile('tiny.parquet', 'PAR1')]) {
      const error = await readTable(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileFormatError);
      expect((error as FileFormatError).path).toBe(path);
      expect((error as Error).message).toMatch(/not a readable Parquet file/);
    }
    await expect(readTable('/nonexistent/file.parquet')).rejects.toThrow(/cannot read/);
  });
});

describe('TextClassificationDataset', () => {
  it('takes labels as ids or class names and gives one-hot targets', () => {
    const data = TextClassificationDataset.fromTable(
      {
        columns: ['sentence', 'label'],
        rows: [
          ['a', '1'],
          ['b', 'Negative'],
          ['c', 1],
        ],
      },
      SPEC,
    );
    expect(Array.from(data.labels)).toEqual([1, 0, 1]);
    expect(Array.from(data.oneHot())).toEqual([0, 1, 1, 0, 0, 1]);
    expect(data.classCounts()).toEqual([1, 2]);
    expect(data.select([2, 0]).texts).toEqual(['c', 'a']);
  });

  it('reads a class name exactly before in any case, and refuses a name that two classes match in other cases', () => {
    const spec = { ...SPEC, classes: ['negative', 'positive', 'Positive'] };
    const rows = [
      ['a', 'Positive'],
      ['b', 'positive'],
      ['c', 'NEGATIVE'],
    ];
    const data = TextClassificationDataset.fromTable({ columns: ['sentence', 'label'], rows }, spec);
    expect(Array.from(data.labels)).toEqual([2, 1, 0]);
    expect(() => TextClassificationDataset.fromTable({ columns: ['sentence', 'label'], rows: [['a', 'POSITIVE']] }, spec)).toThrow(
      /^label \(row 0\): expected a class name matching one class, not "positive" and "Positive" in other cases, got "POSITIVE"$/,
    );
  });

  it('suggests the column or class meant by a misspelt name, and nothing for a name close to none', () => {
    const table = { columns: ['sentence', 'label'], rows: [['a', 'negatve']] };
    expect(() => TextClassificationDataset.fromTable(table, SPEC, { textColumn: 'sentense' })).toThrow(
      /^textColumn: expected one of the columns "sentence", "label" \(did you mean "sentence"\?\), got "sentense"$/,
    );
    expect(() => TextClassificationDataset.fromTable(table, SPEC, { labelColumn: 'lable' })).toThrow(
      /^labelColumn: expected one of the columns "sentence", "label" \(did you mean "label"\?\), got "lable"$/,
    );
    expect(() => TextClassificationDataset.fromTable(table, SPEC)).toThrow(
      /^label \(row 0\): expected a class id in \[0, 1\] or one of "negative", "positive" \(did you mean "negative"\?\), got "negatve"$/,
    );
    expect(() => TextClassificationDataset.fromTable({ columns: ['sentence', 'label'], rows: [['a', 'neutral']] }, SPEC)).toThrow(
      /^label \(row 0\): expected a class id in \[0, 1\] or one of "negative", "positive", got "neutral"$/,
    );
  });

  it('names unknown columns, empty texts and bad labels with their row', () => {
    const table = {
      columns: ['sentence', 'label'],
      rows: [
        ['a', '1'],
        ['  ', '0'],
      ],
    };
    expect(() => TextClassificationDataset.fromTable(table, SPEC, { textColumn: 'text' })).toThrow(
      /textColumn: expected one of the columns "sentence", "label", got "text"/,
    );
    expect(() => TextClassificationDataset.fromTable(table, SPEC)).toThrow(/text \(row 1\): expected a non-empty text/);
    expect(() => TextClassificationDataset.fromTable({ columns: ['sentence', 'label'], rows: [['a', '2']] }, SPEC)).toThrow(
      /label \(row 0\)/,
    );
    expect(() => TextClassificationDataset.fromTable({ columns: ['sentence', 'label'], rows: [['a', 'maybe']] }, SPEC)).toThrow(InputError);
    expect(() => TextClassificationDataset.fromTable(table, SPEC, { labelColumn: 'sentence' })).toThrow(
      /^labelColumn: expected a column other than the text column, got "sentence"$/,
    );
    expect(TextClassificationDataset.fromTable(table, SPEC, { limit: 1 }).size).toBe(1);
    expect(() => TextClassificationDataset.fromTable(table, SPEC, { limit: 0 })).toThrow(/^limit: expected an integer ≥ 1, got 0$/);
  });

  it('reads integer labels as class names when the classes are named by integers', async () => {
    const stars = { ...SPEC, classes: ['1', '2', '3', '4', '5'] };
    const tsv = tempFile('stars.tsv', 'sentence\tlabel\nawful\t1\nmeh\t3\ngreat\t 5 \n');
    expect(Array.from((await TextClassificationDataset.fromFile(tsv, stars)).labels)).toEqual([0, 2, 4]);
    const jsonl = tempFile('stars.jsonl', '{"sentence":"awful","label":1}\n{"sentence":"great","label":5}\n');
    expect(Array.from((await TextClassificationDataset.fromFile(jsonl, stars)).labels)).toEqual([0, 4]);
    const ids = tempFile('ids.tsv', 'sentence\tlabel\nawful\t0\n');
    await expect(TextClassificationDataset.fromFile(ids, stars)).rejects.toThrow(
      new FileFormatError(
        ids,
        'line 2, column "label": expected one of "1", "2", "3", "4", "5" (whole-number labels are class names here, not ids), got "0"',
      ),
    );
  });

  it('names the file, line and column of a bad text or label in a file', async () => {
    const csv = tempFile('d.csv', 'sentence,label\n"two\nlines",1\n" ",0\n');
    await expect(TextClassificationDataset.fromFile(csv, SPEC)).rejects.toThrow(
      new FileFormatError(csv, 'line 4, column "sentence": expected a non-empty text, got " "'),
    );
    const jsonl = tempFile('d.jsonl', '{"review":"fine","stars":"positive"}\n\n{"review":"meh","stars":"so-so"}\n');
    await expect(TextClassificationDataset.fromFile(jsonl, SPEC, { textColumn: 'review', labelColumn: 'stars' })).rejects.toThrow(
      /d\.jsonl: line 3, column "stars": expected a class id in \[0, 1\] or one of "negative", "positive", got "so-so"$/,
    );
  });

  it('refuses garbage arguments from JavaScript with an InputError naming the argument', async () => {
    const garbage = (value: unknown): never => value as never;
    expect(() => new TextClassificationDataset(garbage(undefined), [], new Int32Array())).toThrow(
      new InputError({ argument: 'spec', expected: 'a dataset spec { classes, name?, answerString?, instruction? }', received: undefined }),
    );
    expect(() => new TextClassificationDataset(garbage({}), [], new Int32Array())).toThrow(
      /^spec\.classes: expected a list of class names$/,
    );
    expect(() => new TextClassificationDataset(SPEC, garbage(undefined), new Int32Array())).toThrow(/^texts: expected a list of texts$/);
    expect(() => new TextClassificationDataset(SPEC, ['a'], garbage(null))).toThrow(
      /^labels: expected an Int32Array of class ids, got null$/,
    );
    expect(() => new SST2Dataset(garbage(undefined), new Int32Array())).toThrow(/^texts: expected a list of texts$/);
    expect(() => new SST2Dataset(garbage('str'), new Int32Array())).toThrow(/^texts: expected a list of texts, got "str"$/);
    expect(() => new PresetDataset(['a'], Int32Array.of(0))).toThrow(
      new ActiveTestingError('PresetDataset has no preset: use one of its subclasses (SST2Dataset, …) or TextClassificationDataset'),
    );
    await expect(PresetDataset.load()).rejects.toThrow(/^PresetDataset has no preset: /);
    expect(() => TextClassificationDataset.fromTable(garbage(null), SPEC)).toThrow(
      /^table: expected a table \{ columns, rows \} as readTable returns it, got null$/,
    );
    expect(() => TextClassificationDataset.fromTable(garbage({}), SPEC)).toThrow(/^table\.columns: expected a list of column names$/);
    const table = { columns: ['sentence', 'label'], rows: [['a', '1']] };
    expect(() => TextClassificationDataset.fromTable(table, garbage(undefined))).toThrow(/^spec: expected a dataset spec \{ classes, /);
    // Checked before the file is read: no such file is ever opened.
    await expect(TextClassificationDataset.fromFile('/nonexistent/file.tsv', garbage(undefined))).rejects.toThrow(
      /^spec: expected a dataset spec \{ classes, name\?, answerString\?, instruction\? \}$/,
    );
    await expect(TextClassificationDataset.fromFile('/nonexistent/file.tsv', garbage(42))).rejects.toThrow(/^spec: expected .*, got 42$/);
    await expect(TextClassificationDataset.fromHub({ dataset: 'glue' }, garbage(undefined))).rejects.toThrow(
      /^spec: expected a dataset spec/,
    );
  });

  it('drops hate_speech18 labels 2 and 3 and keeps the reference prompt pieces', async () => {
    const path = tempFile('hate.tsv', 'text\tlabel\na\t0\nb\t3\nc\t1\nd\t2\n');
    const data = await HateSpeechDataset.load(path, { textColumn: 'text' });
    expect(data.texts).toEqual(['a', 'c']);
    expect(data.classes).toEqual(['no', 'yes']);
    expect(AGNewsDataset.preset.classes).toEqual(['world', 'sports', 'business', 'science and technology']);
    expect(SubjectivityDataset.preset.answerString).toBe('Answer');
    expect(SST2Dataset.preset.instruction).toBe(
      'Classify the sentiment of the following sentence as "positive" or "negative". Respond with "positive" or "negative".\n',
    );
  });
});

describe.skipIf(!sharedAvailable(join(DATA_DIR, 'sst2')))('real data', () => {
  it('loads SST-2 validation and Subj with the reference specs', async () => {
    const sst2 = await SST2Dataset.load(join(DATA_DIR, 'sst2/validation.tsv'));
    expect(sst2).toBeInstanceOf(SST2Dataset);
    expect(sst2.size).toBe(872);
    expect(sst2.classCounts()).toEqual([428, 444]);
    expect(sst2.answerString).toBe('Label');
    const subj = await SubjectivityDataset.load(join(DATA_DIR, 'subj/all.tsv'));
    expect(subj.size).toBe(10000);
    expect(subj.classCounts()).toEqual([5000, 5000]);
    expect(subj.texts.filter((text) => text.startsWith('"'))).toHaveLength(74);
  });

  it('reads AG News, whose rows with quotes are quoted as pandas writes them, unquoted', async () => {
    const agNews = await AGNewsDataset.load(join(DATA_DIR, 'agnews/test.tsv'));
    expect(agNews.size).toBe(7600);
    expect(agNews.texts.filter((text) => text.includes('""'))).toEqual([]);
    expect(agNews.texts[8]).toBe('Wiltshire Police warns about "phishing" after its fraud squad chief was targeted.');
  });
});

describe('splits', () => {
  it('are disjoint, of the asked sizes, sorted and reproducible from the seed', () => {
    const a = createSplits(1000, { pool: 300, icl: 50, test: 100 }, 7);
    const all = [...a.pool!, ...a.icl!, ...a.test!];
    expect(new Set(all).size).toBe(450);
    expect(a.pool!.length).toBe(300);
    expect(Array.from(a.pool!)).toEqual(Array.from(a.pool!).sort((x, y) => x - y));
    expect(createSplits(1000, { pool: 300, icl: 50, test: 100 }, 7)).toEqual(a);
    expect(Array.from(createSplits(1000, { pool: 300, icl: 50, test: 100 }, 8).pool!)).not.toEqual(Array.from(a.pool!));
    expect(() => createSplits(10, { pool: 8, icl: 3 }, 0)).toThrow(/at most the 10 rows/);
  });

  it.each([NaN, 10.5, -1, Infinity])('refuse the row count %s instead of returning short splits', (n) => {
    expect(() => createSplits(n, { pool: 1 }, 0)).toThrow(/^n: expected a row count \(an integer ≥ 0\), got /);
  });

  it.each([NaN, -1, 1.5, undefined])('refuse the seed %s', (seed) => {
    expect(() => createSplits(10, { pool: 1 }, seed as number)).toThrow(/^seed: expected an integer ≥ 0 or a non-empty string/);
  });

  it('refuse sizes that are not an object', () => {
    expect(() => createSplits(10, null as never, 0)).toThrow(/^sizes: expected an object of subset sizes/);
    expect(() => createSplits(10, { pool: -1 }, 0)).toThrow(/^sizes\.pool: expected an integer ≥ 0, got -1$/);
  });

  it('are saved with their indices, reused, and never silently replaced', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'at-splits-')), 'sst2', 'splits.json');
    const first = await loadOrCreateSplits(path, 500, { pool: 100, icl: 20 }, 1);
    expect(existsSync(path)).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8')).splits.icl).toEqual(Array.from(first.icl!));
    expect(await loadOrCreateSplits(path, 500, { pool: 100, icl: 20 }, 1)).toEqual(first);
    await expect(loadOrCreateSplits(path, 500, { pool: 100, icl: 20 }, 2)).rejects.toThrow(OutputExistsError);
  });
});

describe('Hugging Face Hub parsing', () => {
  it('parses hub specs, builds viewer URLs and reads a /rows page', () => {
    expect(parseHubSpec('hub:glue:sst2:validation')).toEqual({ dataset: 'glue', config: 'sst2', split: 'validation' });
    expect(parseHubSpec('hub:SetFit/subj')).toEqual({ dataset: 'SetFit/subj' });
    expect(hubRowsUrl({ dataset: 'SetFit/subj' }, 100, 50)).toBe(
      'https://datasets-server.huggingface.co/rows?dataset=SetFit%2Fsubj&config=default&split=train&offset=100&length=50',
    );
    const body = {
      features: [
        { feature_idx: 0, name: 'sentence', type: { dtype: 'string', _type: 'Value' } },
        { feature_idx: 1, name: 'label', type: { names: ['negative', 'positive'], _type: 'ClassLabel' } },
      ],
      rows: [{ row_idx: 0, row: { sentence: 'hide new secretions ', label: 0 }, truncated_cells: [] }],
      num_rows_total: 67349,
    };
    const { table, total } = parseHubRows(body, 'url');
    expect(total).toBe(67349);
    expect(TextClassificationDataset.fromTable(table, SPEC).labels[0]).toBe(0);
    expect(() => parseHubRows({ error: 'not found' }, 'url')).toThrow(FileFormatError);
  });

  it('refuses a spec or source of the wrong kind before the Hub is asked', async () => {
    expect(() => parseHubSpec(undefined as never)).toThrow(/^spec: expected a string hub:name\[:config\]\[:split\]$/);
    expect(() => parseHubSpec(42 as never)).toThrow(/^spec: expected a string hub:name\[:config\]\[:split\], got 42$/);
    await expect(fetchHubTable(null as never)).rejects.toThrow(
      /^source: expected a Hub source \{ dataset, config\?, split\? \}, got null$/,
    );
    await expect(TextClassificationDataset.fromHub({} as never, SPEC)).rejects.toThrow(
      new InputError({ argument: 'source.dataset', expected: 'a Hub dataset name (a non-empty string)' }),
    );
  });
});
