import { describe, expect, it } from 'vitest';
import {
  ACCURACY_RANGE,
  coveredItems,
  decimals,
  differenceRange,
  intervalEnds,
  intervalText,
  plotCaption,
  plotPlaceholder,
  purposeText,
  riskRange,
  shownEstimate,
  withinRange,
} from '../../src/serve/estimate-display.js';

describe('shownEstimate', () => {
  it('shows an estimate within its range as it is, to 4 decimals, with no note', () => {
    expect(shownEstimate(0.81234, ACCURACY_RANGE, 'an accuracy')).toEqual({ text: '0.8123', note: '' });
    expect(shownEstimate(0, ACCURACY_RANGE, 'an accuracy')).toEqual({ text: '0.0000', note: '' });
    expect(shownEstimate(1, ACCURACY_RANGE, 'an accuracy')).toEqual({ text: '1.0000', note: '' });
  });

  it('shows an accuracy below 0 as 0, with a note giving the estimate', () => {
    expect(shownEstimate(-2.41893, ACCURACY_RANGE, 'an accuracy')).toEqual({
      text: '0.0000',
      note:
        'The estimate is -2.4189, below 0, the least an accuracy can be: with few labels, an item drawn with a small ' +
        'probability weighs heavily in it (it is unbiased, not bounded). Shown as 0.0000; read the interval.',
    });
  });

  it("shows a risk above the loss's maximum as the maximum, and a cross-entropy risk however large as it is", () => {
    expect(shownEstimate(3.41893, riskRange('zero-one'), 'the zero-one risk')).toEqual({
      text: '1.0000',
      note:
        'The estimate is 3.4189, above 1, the most the zero-one risk can be: with few labels, an item drawn with a small ' +
        'probability weighs heavily in it (it is unbiased, not bounded). Shown as 1.0000; read the interval.',
    });
    expect(shownEstimate(2.5, riskRange('brier'), 'the brier risk').text).toBe('2.0000');
    expect(shownEstimate(37.5, riskRange('cross-entropy'), 'the cross-entropy risk')).toEqual({ text: '37.5000', note: '' });
  });

  it('shows a custom loss as it is, negative too', () => {
    expect(riskRange('custom:margin')).toEqual({ lower: -Infinity, upper: Infinity });
    expect(shownEstimate(-0.25, riskRange('custom:margin'), 'the custom:margin risk')).toEqual({ text: '-0.2500', note: '' });
  });

  it('never shows "-0.0000" for a rounding error below 0, and says nothing of it', () => {
    expect(shownEstimate(-1e-17, riskRange('zero-one'), 'the zero-one risk')).toEqual({ text: '0.0000', note: '' });
    expect(shownEstimate(1 + 1e-9, ACCURACY_RANGE, 'an accuracy')).toEqual({ text: '1.0000', note: '' });
  });

  it("shows '–' where there is no estimate yet (NaN before the first label)", () => {
    expect(shownEstimate(NaN, ACCURACY_RANGE, 'an accuracy')).toEqual({ text: '–', note: '' });
    expect(decimals(null)).toBe('–');
    expect(withinRange(null, ACCURACY_RANGE)).toBeNull();
    expect(withinRange(-0.5, riskRange('brier'))).toBe(0);
  });
});

describe('intervalText', () => {
  const name = '95% confidence sequence (anytime-valid)';

  it('shows an interval with finite ends in brackets, moved into the range', () => {
    expect(intervalText({ name, lower: -0.21, upper: 0.30001 }, ACCURACY_RANGE, 40)).toBe(`${name}: [0.0000, 0.3000]`);
  });

  it('says there are no labels yet where a state sent before the first label has no ends (null in JSON), not "[–, –]"', () => {
    const sent = JSON.parse(JSON.stringify({ name, lower: NaN, upper: NaN })) as { name: string; lower: null; upper: null };
    expect(sent).toEqual({ name, lower: null, upper: null });
    expect(intervalText(sent, ACCURACY_RANGE, 0)).toBe(`${name}: no labels yet`);
    expect(intervalText({ name, lower: NaN, upper: NaN }, riskRange('brier'), 1)).toBe(`${name}: not enough labels yet`);
  });

  it('shows the known end of an interval with one end unknown, alike live and sent as JSON (an infinite end is null there)', () => {
    expect(intervalText({ name, lower: null, upper: 0.5 }, riskRange('brier'), 1)).toBe(`${name}: [–, 0.5000]`);
    for (const interval of [
      { lower: 0.2, upper: Infinity },
      { lower: -Infinity, upper: Infinity },
      { lower: NaN, upper: 0.3 },
    ]) {
      const sent = JSON.parse(JSON.stringify(interval)) as { lower: number | null; upper: number | null };
      for (const range of [riskRange('brier'), ACCURACY_RANGE, riskRange('cross-entropy')])
        expect(intervalEnds(interval, range, 50)).toBe(intervalEnds(sent, range, 50));
    }
    expect(intervalEnds({ lower: 0.2, upper: Infinity }, riskRange('brier'), 50)).toBe('[0.2000, –]');
    expect(intervalEnds({ lower: -Infinity, upper: Infinity }, ACCURACY_RANGE, 50)).toBe('unbounded');
  });
});

describe('differenceRange', () => {
  it('spans minus to plus the width of the quantities’ range', () => {
    expect(differenceRange(riskRange('zero-one'))).toEqual({ lower: -1, upper: 1 });
    expect(differenceRange(riskRange('brier'))).toEqual({ lower: -2, upper: 2 });
    expect(differenceRange(riskRange('cross-entropy'))).toEqual({ lower: -Infinity, upper: Infinity });
    expect(differenceRange(riskRange('custom:margin'))).toEqual({ lower: -Infinity, upper: Infinity });
  });
});

describe('plotPlaceholder', () => {
  it('says how many more labels the plot waits for, and why after a restart', () => {
    const plot = 'The plot of the estimate and its interval appears after';
    expect(plotPlaceholder(0, 0, 0, false)).toBe(`${plot} two labels.`);
    expect(plotPlaceholder(1, 1, 0, false)).toBe(`${plot} the next label.`);
    // An estimate whose interval is not finite yet (a bootstrap after one label) is not drawn.
    expect(plotPlaceholder(1, 0, 0, false)).toBe(`${plot} two more labels.`);
    expect(plotPlaceholder(2, 1, 0, false)).toBe(`${plot} the next label.`);
    // A server started after one label has lost no estimate; one started (or restarted) after 90 has.
    expect(plotPlaceholder(3, 1, 1, false)).toBe(`${plot} the next label.`);
    expect(plotPlaceholder(90, 1, 90, false)).toBe(
      `${plot} the next label: it starts again from the current estimate ` +
        'when the server restarts (the estimates at earlier label counts are not stored).',
    );
  });

  it('says why there is no plot once the session is done, instead of waiting for labels that will not come', () => {
    expect(plotPlaceholder(1, 1, 0, true)).toBe('No plot: the session ended with one estimate to draw.');
    // A budget of one label with an interval not finite after it.
    expect(plotPlaceholder(1, 0, 0, true)).toBe('No plot: the session ended with no estimate to draw.');
    // A server started on a session at its budget, with one estimate plotted since.
    expect(plotPlaceholder(90, 1, 90, true)).toBe(
      'No plot: the session ended with one estimate to draw since the server started ' +
        '(the estimates at earlier label counts are not stored).',
    );
  });
});

describe('coveredItems', () => {
  it('gives the pool with the skipped items beside the items the estimate covers', () => {
    expect(coveredItems(388, 12)).toBe('388 of 400 items (12 skipped)');
    expect(coveredItems(0, 1)).toBe('0 of 1 item (1 skipped)');
  });

  it('gives the pool alone while nothing is skipped', () => {
    expect(coveredItems(400, 0)).toBe('400 items');
    expect(coveredItems(1, 0)).toBe('1 item');
  });
});

describe('plotCaption', () => {
  it('names the line and the band once there is a plot', () => {
    expect(plotCaption('95% confidence sequence (anytime-valid)', 2)).toBe(
      'Solid line: the estimated risk; band between the dashed lines: its 95% confidence sequence (anytime-valid), against the number of labels.',
    );
  });

  it('is null while there is no plot (fewer than two points)', () => {
    expect(plotCaption('95% confidence sequence (anytime-valid)', 0)).toBeNull();
    expect(plotCaption('95% confidence sequence (anytime-valid)', 1)).toBeNull();
  });
});

describe('purposeText', () => {
  const purpose = "Your answers estimate the model's accuracy and risk on this pool of items, shown beside the item as they come in.";

  it('names what stops labelling: the budget, the width target, or either', () => {
    expect(purposeText({ targetHalfWidth: 0.05 }, '95% confidence sequence (anytime-valid)')).toBe(
      `${purpose} Labelling stops once the risk's interval is as narrow as its target, 0.05 either side (--target-half-width); the page says when.`,
    );
    expect(purposeText({ maxLabels: 1, targetHalfWidth: 0.05 }, '95% confidence sequence (anytime-valid)')).toBe(
      `${purpose} Labelling stops after 1 label (--max-labels), or once the risk's interval is as narrow as its target, 0.05 either side (--target-half-width); the page says when.`,
    );
  });

  it('without a rule, says an approximate interval shown is no anytime guarantee', () => {
    expect(purposeText({}, null)).toBe(
      `${purpose} No stopping rule was given, so you may stop at any time: the interval shown is approximate, and less reliable when you stop because of what it shows.`,
    );
  });
});
