import { describe, expect, it } from 'vitest';
import { settingCurves } from '../../src/report/curves.js';
import type { ReportSetting } from '../../src/report/setting.js';
import { summaryMarkdown, summaryTable } from '../../src/report/table.js';

/** A setting whose runs recorded `labels`, each row's estimates spread around the true risk 0.5 by 1/labels. */
function setting(name: string, acquisition: string, labels: number[], labelOffset = 0, step?: number): ReportSetting {
  const runs = 2;
  const data = new Float64Array(labels.length * runs);
  labels.forEach((l, r) => {
    data[r * runs] = 0.5 + 1 / l;
    data[r * runs + 1] = 0.5 - 2 / l;
  });
  return {
    name,
    dir: name,
    acquisition,
    estimator: acquisition === 'iid' ? 'iid' : 'lure',
    trueRisk: 0.5,
    labels: Float64Array.from(labels),
    labelOffset,
    ...(step === undefined ? {} : { step }),
    estimates: { data, rows: labels.length, cols: runs },
  };
}

/** The note under the relative table wherever a cell reads `– (no row at L)`. */
const NO_ROW_NOTE =
  "– (no row at L): random labelling (iid) recorded no row at L labels (the setting's labels, plus its ICL labels if any) to divide by. It records one every step from its first label and one after its last, so it has none where it ran fewer labels than the setting, or where the setting's last row falls between its steps: under the ICL budget, for example, a setting's last row where the step skips it has one only for the largest ICL offset.";

const cellLabels = (table: ReturnType<typeof summaryTable>, s: number) => table.settings[s]?.cells.map((c) => c.labels);

describe('summaryTable: a last row after all of a run’s labels', () => {
  it('reads the last row of a run whose step is its size only at that count, not the first row at every threshold', () => {
    // --size 400 --step 400: rows after 1 and 400 labels. Before the last row the run had only the first.
    const table = summaryTable([settingCurves(setting('iid', 'iid', [1, 400]))], null, { thresholds: [50, 100, 200, 400] });
    expect(cellLabels(table, 0)).toEqual([null, null, null, 400]);
  });

  it('keeps the published step between the rows before a skipped last row', () => {
    // --size 100 --step 25: 50 reads 51 and 124 the last row (100) as within a step, as 400 reads a last row of 391 at step 10; 125 is empty.
    const table = summaryTable([settingCurves(setting('iid', 'iid', [1, 26, 51, 76, 100]))], null, { thresholds: [50, 100, 124, 125] });
    expect(cellLabels(table, 0)).toEqual([51, 100, 100, null]);
  });

  it('reads a run of two rows by its recorded step, or else at its own counts, and never half a threshold away', () => {
    const thresholds = { thresholds: [50, 100, 200, 400] };
    const cells = (labels: number[], step?: number) =>
      cellLabels(summaryTable([settingCurves(setting('a', 'iid', labels, 0, step))], null, thresholds), 0);
    // --size 51 --step 50 (rows 1 and 51), --size 101 --step 100 (1 and 101), --size 60 --step 60 (1 and the last row, 60).
    expect(cells([1, 51], 50)).toEqual([51, 51, null, null]);
    expect(cells([1, 101], 100)).toEqual([null, 101, 101, null]);
    expect(cells([1, 60], 60)).toEqual([60, 60, null, null]);
    // Without a recorded step (a hand-made setting), two rows may be 1 and a last row: each is read at its own count.
    expect(cells([1, 51])).toEqual([null, null, null, null]);
    // Reference rows up to 351 of 400 at step 50 (no last row): 400 reads 351, within a step.
    expect(
      cells(
        Array.from({ length: 8 }, (_, k) => 50 * k + 1),
        50,
      ),
    ).toEqual([51, 101, 201, 351]);
  });

  it('never falls back to a row that random labelling has but that lies half a threshold away', () => {
    // The setting at step 10 (rows 1, 11, …, 391 and its last row 400), random labelling at step 100:
    // random labelling has no row at 51, and its nearest (1) is 49 labels from the 50 column.
    const own = [...Array.from({ length: 40 }, (_, k) => 10 * k + 1), 400];
    const random = settingCurves(
      setting(
        'iid',
        'iid',
        Array.from({ length: 5 }, (_, k) => 100 * k + 1),
        0,
        100,
      ),
    );
    const table = summaryTable([random, settingCurves(setting('ce', 'surrogate-ce', own, 0, 10))], random, {
      thresholds: [50, 100, 200, 400],
    });
    expect(cellLabels(table, 1)).toEqual([51, 101, 201, 400]);
  });

  it('keeps a setting’s last row in its column under the ICL budget, its relative numbers empty, rather than an earlier row', () => {
    // size 100, step 25, ICL offsets 25 and 50: random labelling's 150 labels have rows 1, 26, …, 126
    // and 150; the n = 25 setting's last row (100 + 25 = 125) has none, the n = 50 one's (150) has.
    const random = settingCurves(setting('iid', 'iid', [1, 26, 51, 76, 101, 126, 150]));
    const n25 = settingCurves(setting('n25', 'surrogate-ce', [1, 26, 51, 76, 100], 25));
    const n50 = settingCurves(setting('n50', 'surrogate-ce', [1, 26, 51, 76, 100], 50));
    const table = summaryTable([random, n25, n50], random, { thresholds: [50, 100] });
    expect(cellLabels(table, 1)).toEqual([51, 100]);
    expect(cellLabels(table, 2)).toEqual([51, 100]);
    expect(table.settings[1]?.cells[1]?.relativeMse).toBeNull();
    expect(table.settings[1]?.cells[1]?.mse).toBeCloseTo((0.01 ** 2 + 0.02 ** 2) / 2, 15);
    expect(table.settings[2]?.cells[1]?.relativeMse).toEqual(expect.any(Number));
    // The published rows still compare: 51 + 25 = 76.
    expect(table.settings[1]?.cells[0]?.relativeMse).toEqual(expect.any(Number));
    // The report says why the cell is empty: random labelling has no row at 100 + 25.
    expect(table.settings[1]?.cells[1]?.missingBaselineLabels).toBe(125);
    expect(table.settings[1]?.cells[0]).not.toHaveProperty('missingBaselineLabels');
    expect(table.settings[2]?.cells[1]).not.toHaveProperty('missingBaselineLabels');
    const relative = summaryMarkdown(table)
      .split('### ')
      .find((s) => s.startsWith('MSE relative'));
    expect(relative).toContain('| n25 (+25 ICL labels) | 2.221 (51) | – (no row at 125) |');
    expect(relative).toContain(NO_ROW_NOTE);
  });

  it('says the same, without the ICL budget, where random labelling ran fewer labels than the setting', () => {
    // iid --size 60 (rows 1, 26, 51, 60) beside adaptive --size 100 --step 25: no random row at 100.
    const random = settingCurves(setting('iid', 'iid', [1, 26, 51, 60], 0, 25));
    const adaptive = settingCurves(setting('adaptive', 'adaptive', [1, 26, 51, 76, 100], 0, 25));
    const table = summaryTable([random, adaptive], random, { thresholds: [50, 100] });
    expect(cellLabels(table, 1)).toEqual([51, 100]);
    expect(table.settings[1]?.cells[1]?.missingBaselineLabels).toBe(100);
    const relative = summaryMarkdown(table)
      .split('### ')
      .find((s) => s.startsWith('MSE relative'));
    expect(relative).toContain('| adaptive | 1.000 (51) | – (no row at 100) |');
    expect(relative).toContain(NO_ROW_NOTE);
  });
});
