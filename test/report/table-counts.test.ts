import { describe, expect, it } from 'vitest';
import { summaryMarkdown, type SummaryTable } from '../../src/report/table.js';

function tableWithOffsets(offsets: number[]): SummaryTable {
  return {
    trueRisk: 0.2,
    thresholds: [10],
    baseline: null,
    confidence: 1.96,
    settings: offsets.map((labelOffset, i) => ({
      name: `setting ${i}`,
      dir: `s${i}`,
      kind: 'simulation',
      acquisition: 'iid',
      estimator: 'lure',
      labelOffset,
      runs: 2,
      cells: [],
    })) as unknown as SummaryTable['settings'],
  };
}

describe('summaryMarkdown', () => {
  it('names a setting with its ICL labels, one in the singular', () => {
    const markdown = summaryMarkdown(tableWithOffsets([1, 3, 0]));
    expect(markdown).toContain('| setting 0 (+1 ICL label) |');
    expect(markdown).toContain('| setting 1 (+3 ICL labels) |');
    expect(markdown).toMatch(/\| setting 2 \|/);
  });
});
