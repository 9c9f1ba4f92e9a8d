// Writes test/fixtures/parquet/reviews.parquet, the Parquet fixture of test/dataset: six rows in
// two row groups, texts holding characters TSV cannot (tab, newline, quotes, non-ASCII), class ids
// as INT64 (as pandas and Arrow write them) and the same classes by name.
// Run: node scripts/make_parquet_fixture.mjs   (needs the devDependency hyparquet-writer)
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteFile } from 'hyparquet-writer';

const filename = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'parquet', 'reviews.parquet');
const reviews = [
  ['a gorgeous , witty film', 1],
  ['tab\tinside and "quotes"', 0],
  ['two\nlines , still dull', 0],
  ['café crème — très bien', 1],
  ['utterly forgettable', 0],
  ['the best thing this year', 1],
];
const names = ['negative', 'positive'];

mkdirSync(dirname(filename), { recursive: true });
parquetWriteFile({
  filename,
  rowGroupSize: 3,
  columnData: [
    { name: 'idx', data: Int32Array.from(reviews, (_, i) => i), type: 'INT32' },
    { name: 'review', data: reviews.map(([text]) => text), type: 'STRING' },
    { name: 'sentiment', data: BigInt64Array.from(reviews, ([, label]) => BigInt(label)), type: 'INT64' },
    { name: 'sentiment_name', data: reviews.map(([, label]) => names[label]), type: 'STRING' },
  ],
});
console.log(`wrote ${filename}`);
