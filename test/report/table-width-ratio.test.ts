import { describe, expect, it } from 'vitest';
import { summaryMarkdown, type SummaryCell, type SummaryTable } from '../../src/report/table.js';

const TRUE_RISK = 0.6362;

/** A cell at `labels` labels whose sequence and bootstrap have these median half-widths. */
function cell(labels: number, anytime: number, bootstrap: number): SummaryCell {
  return {
    threshold: labels,
    labels,
    row: labels - 1,
    mse: 0,
    medianSe: 0,
    relativeMse: null,
    relativeMedianSe: null,
    coverage: 1,
    varianceRatio: null,
    intervals: { anytime: { coverage: 1, medianHalfWidth: anytime }, bootstrap: { coverage: 1, medianHalfWidth: bootstrap } },
  };
}

const RECORDED: SummaryTable['settings'][number]['intervals'] = {
  anytime: { name: 'anytime-valid confidence sequence', guarantee: 'at every label count', simultaneousCoverage: 1 },
  bootstrap: { name: 'approximate bootstrap interval (±1.96σ)', guarantee: 'none', simultaneousCoverage: null },
};

/** An adaptive setting of 200 runs that recorded the sequence and the bootstrap, with these cells. */
function setting(name: string, dir: string, cells: SummaryCell[]): SummaryTable['settings'][number] {
  return { name, dir, kind: 'active', acquisition: 'adaptive', estimator: 'lure', labelOffset: 0, runs: 200, intervals: RECORDED, cells };
}

/**
 * The half-widths `simulate --interval anytime,bootstrap` recorded on a 20-item pool: at one label
 * the bootstrap's σ is 0 and its interval only its rounding allowance (4.1e-15), at 10 labels both
 * have a width, at 20 (the whole pool) both are the point R widened by rounding, and a zero-one
 * pool whose first labels were all correct has a bootstrap of width exactly 0.
 */
const table: SummaryTable = {
  trueRisk: TRUE_RISK,
  thresholds: [1, 10, 20],
  baseline: null,
  confidence: 1.96,
  settings: [
    setting('cross-entropy', 'a', [
      cell(1, 0.9681, 4.107825191113079e-15),
      cell(10, 0.4538, 0.3057),
      cell(20, 5.662137425588298e-15, 5.662137425588298e-15),
    ]),
    setting('zero-one', 'b', [cell(1, 0.5, 0), cell(10, 0.3, 0), cell(20, 0, 0)]),
  ],
};

function ratioRows(markdown: string): string[] {
  const section = markdown.split("### Median half-width of the anytime-valid confidence sequence ÷ the bootstrap's")[1] as string;
  return section.split('\n\n')[1]!.split('\n').slice(2);
}

describe('summaryMarkdown: half-width ÷ the bootstrap', () => {
  it('divides where the bootstrap has a width, and leaves out (–) where it has none beyond rounding', () => {
    const [crossEntropy, zeroOne] = ratioRows(summaryMarkdown(table));
    // 0.4538 / 0.3057 = 1.4845; at one label the bootstrap's σ is 0 (the ratio would read
    // 235677223179376.563), and at M = N both are rounding (1.000 would be a ratio of rounding errors).
    expect(crossEntropy).toBe('| cross-entropy | – | 1.484 | – |');
    // A bootstrap of width 0 would read Infinity (and 0/0 NaN at M = N).
    expect(zeroOne).toBe('| zero-one | – | – | – |');
  });
});

describe('summaryMarkdown: interval sections', () => {
  const headings = (markdown: string, start: string) => markdown.split('\n').filter((line) => line.startsWith(`### ${start}`));

  it("shows the bootstrap's coverage once where the table of every setting's bootstrap coverage holds it", () => {
    const markdown = summaryMarkdown(table);
    expect(headings(markdown, 'Coverage of the approximate bootstrap interval')).toEqual([
      '### Coverage of the approximate bootstrap interval, estimate ± 1.96σ (nominal 0.95, no guarantee)',
    ]);
    expect(headings(markdown, 'Median half-width of the approximate bootstrap interval')).toHaveLength(1);
    // At another --confidence that table is not the recorded interval's: both are shown.
    expect(headings(summaryMarkdown({ ...table, confidence: 1 }), 'Coverage of the approximate bootstrap interval')).toEqual([
      '### Coverage of the approximate bootstrap interval, estimate ± 1σ (nominal 0.683, no guarantee)',
      '### Coverage of the approximate bootstrap interval (±1.96σ) (nominal 0.95; approximate: no guarantee; it can lie, e.g. before any costly item is drawn)',
    ]);
  });

  it('speaks of the bootstrap under simultaneous coverage only where one was recorded', () => {
    const leftOut = 'The bootstrap interval is left out';
    expect(summaryMarkdown(table)).toContain(leftOut);
    const anytimeOnly: SummaryTable = {
      ...table,
      settings: table.settings.map((setting) => ({
        ...setting,
        intervals: { anytime: RECORDED!.anytime! },
        cells: setting.cells.map((c) => ({ ...c, coverage: null, intervals: { anytime: c.intervals!.anytime! } })),
      })),
    };
    const markdown = summaryMarkdown(anytimeOnly);
    expect(markdown).toContain('### Simultaneous coverage');
    expect(markdown).not.toContain(leftOut);
    expect(markdown).not.toContain('bootstrap');
  });
});

describe('summaryMarkdown: the variance-ratio diagnostic', () => {
  // On a pool whose labels so far all had the same loss no run defines the ratio: summary.json
  // records its median as NaN, which the table printed as "NaN" beside the other sections' "–".
  it('reads – where no run defines it, and the median where runs do', () => {
    const withRatio = (varianceRatio: number): SummaryCell => ({ ...cell(10, 0.4, 0.3), varianceRatio });
    const markdown = summaryMarkdown({
      ...table,
      thresholds: [10, 20],
      settings: [setting('a', 'a', [withRatio(NaN), withRatio(0.4567)])],
    });
    const section = markdown.split("### Variance ÷ random labelling's")[1] as string;
    expect(section.split('\n\n')[1]!.split('\n')[2]).toBe('| a | – | 0.457 |');
  });
});
