import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { bootstrapSpec, squaredErrorSpec } from '../../src/report/specs.js';

describe('bootstrapSpec: what a plain JS call can pass', () => {
  const point = { setting: 'surrogate-ce', labels: 1, mse: 0.1, meanBootstrapVariance: 0.09, coverage: 0.9 };
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['a single point', () => bootstrapSpec(point as never), /^points: expected an array of bootstrap points/],
    ['no points', () => bootstrapSpec(undefined as never), /^points: expected an array of bootstrap points$/],
    ['null options', () => bootstrapSpec([point], null as never), /^options: expected an options object/],
    ['a negative confidence', () => bootstrapSpec([point], { confidence: -1 }), /^confidence: expected .*got -1$/],
    ['a NaN confidence', () => bootstrapSpec([point], { confidence: Number.NaN }), /^confidence: expected .*got NaN$/],
  ];
  it.each(cases)('%s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });

  it('draws the nominal coverage of the given multiple of σ: 0.683 at 1σ', () => {
    const text = JSON.stringify(bootstrapSpec([point], { confidence: 1 }));
    expect(text).toContain('Coverage of estimate ± 1σ (approximate');
    expect(text).toContain('0.683');
  });

  it('names the dashed rule of the coverage panel, which the left panel uses for the bootstrap variance, and says the interval is approximate', () => {
    const coveragePanel = (spec: ReturnType<typeof bootstrapSpec>) => (spec.hconcat as Array<{ title: unknown }>)[1]?.title;
    expect(coveragePanel(bootstrapSpec([point]))).toEqual({
      text: 'Coverage of estimate ± 1.96σ (approximate; true risk R)',
      subtitle: ['no guarantee; dashed line: nominal 0.95'],
    });
    expect(coveragePanel(bootstrapSpec([point], { confidence: 1, coverageNote: 'moving average over 5 rows' }))).toEqual({
      text: 'Coverage of estimate ± 1σ (approximate; true risk R)',
      subtitle: ['no guarantee; dashed line: nominal 0.683', 'moving average over 5 rows'],
    });
  });
});

describe('squaredErrorSpec: errors of 0, which a log scale cannot show', () => {
  const point = { setting: 'iid', labels: 1, mse: 0.2, medianSe: 0.1, p45: 0.08, p55: 0.12 };

  it('says it leaves them out, instead of drawing a blank panel without a word', () => {
    // A pool whose every item has the same loss: every estimate is exactly right.
    const exact = [{ ...point, mse: 0, medianSe: 0, p45: 0, p55: 0 }];
    expect(squaredErrorSpec(exact).title).toEqual({
      text: 'Squared error of the risk estimate',
      subtitle: 'left out: errors of 0 (estimates exactly right), which a log scale cannot show',
    });
    expect(squaredErrorSpec([point, { ...point, labels: 2, medianSe: 0 }]).title).toMatchObject({ subtitle: /^left out/ });
    // The band's lower edge alone at 0 leaves the band out, the median line drawn.
    expect(squaredErrorSpec([point, { ...point, labels: 2, p45: 0 }]).title).toMatchObject({ subtitle: /^left out/ });
  });

  it('keeps the plain title where every error can be drawn', () => {
    expect(squaredErrorSpec([point]).title).toBe('Squared error of the risk estimate');
  });
});
