import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTable } from '../../src/dataset/read-table.js';
import { labelsTsv, type ExportedLabel } from '../../src/session/export-labels.js';

describe('labelsTsv', () => {
  it('quotes a field that begins with a quote, so that the TSV reader gives every id and class back as it was', async () => {
    const labels: ExportedLabel[] = [
      { index: 0, id: '"q""u"', label: '"c""d"' },
      { index: 1, id: '"a"', label: null },
      { index: 2, id: '"', label: 'x"y' },
      { index: 3, id: '=1+2', label: '@SUM(A1)' },
      { index: 4, id: ' sp ', label: ' a' },
    ];
    const text = labelsTsv(labels);
    expect(text).toBe('id\tlabel\n"""q""""u"""\t"""c""""d"""\n"""a"""\tskip\n""""\tx"y\n=1+2\t@SUM(A1)\n sp \t a\n');
    const path = join(mkdtempSync(join(tmpdir(), 'at-labels-tsv-')), 'labels.tsv');
    writeFileSync(path, text);
    const { columns, rows } = await readTable(path);
    expect(columns).toEqual(['id', 'label']);
    expect(rows).toEqual(labels.map(({ id, label }) => [id, label ?? 'skip']));
  });
});
