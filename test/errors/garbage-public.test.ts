import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  SurrogateEntropyAcquisition,
  bootstrapSpec,
  allErrorsFrame,
  candidateMixtureDrawFloor,
  candidateMixtureFloor,
  fillTemplate,
  labelTokenIds,
  labellingCostVsRandom,
  promptPrefix,
  relativeError,
  relativeLabellingCost,
  relativeToRandom,
  renderFigure,
  secondMomentValues,
  selectIclExamples,
  settingCurves,
  settingKind,
  shotsPerClass,
  simulationReference,
  squaredErrorSpec,
  summarizeIntervals,
  summaryMarkdown,
  summaryTable,
  varianceDiagnosticRows,
  type ReportSetting,
} from '../../src/index.js';

/*
 * From JavaScript, a public function given null, a number or an empty object where it takes an
 * array, a matrix, an options object or a result must say which argument is wrong with an
 * InputError, not fail with a TypeError deep inside.
 */

const garbage = (value: unknown): never => value as never;
const matrix = { data: Float64Array.of(1, 2), rows: 1, cols: 2 };
const setting: ReportSetting = {
  name: 'iid',
  dir: 'runs/iid',
  acquisition: 'iid',
  estimator: 'iid',
  trueRisk: 0.5,
  labels: Float64Array.of(1, 2),
  labelOffset: 0,
  estimates: { data: Float64Array.of(0.4, 0.6, 0.5, 0.5), rows: 2, cols: 2 },
};
const curves = settingCurves(setting);
const backend = { tokenize: () => Promise.resolve([1]) };
const diagnosed = {
  rows: 1,
  runs: 1,
  size: 1,
  labelsPerRow: Int32Array.of(1),
  samples: Int32Array.of(0),
  q: Float64Array.of(1),
  estimates: Float64Array.of(0.5),
  bootstrapVariance: null,
};
const input = { modelScores: { data: Float64Array.of(0, 1, 1, 0), shape: [2, 2] as [number, number] }, labels: Int32Array.of(0, 1) };

/**
 * Each case: a call with `value` in one argument's place, and the `argument` its InputError names for
 * null, 42, {} and { length: 1 } (absent: the value is valid there, or not tried).
 */
const cases: Array<[string, (value: unknown) => unknown, { null?: string; 42: string; '{}'?: string; '{ length: 1 }'?: string }]> = [
  ['new SurrogateEntropyAcquisition(options)', (v) => new SurrogateEntropyAcquisition(garbage(v)), { null: 'options', 42: 'options' }],
  ['allErrorsFrame(pred)', (v) => allErrorsFrame(garbage(v), 0), { null: 'pred', 42: 'pred', '{}': 'pred' }],
  [
    'candidateMixtureFloor(candidates)',
    (v) => candidateMixtureFloor(garbage(v), 0.1),
    { null: 'candidates', 42: 'candidates', '{}': 'candidates' },
  ],
  [
    'candidateMixtureDrawFloor(candidates)',
    (v) => candidateMixtureDrawFloor(garbage(v), 0.1, [1]),
    { null: 'candidates', 42: 'candidates', '{}': 'candidates' },
  ],
  [
    'candidateMixtureDrawFloor(weights)',
    (v) => candidateMixtureDrawFloor([Float64Array.of(1)], 0.1, garbage(v)),
    { null: 'weights', 42: 'weights', '{}': 'weights' },
  ],
  [
    'fillTemplate(template)',
    (v) => fillTemplate(garbage(v), { text: 'a', answer: 'Label' }),
    { null: 'template', 42: 'template', '{}': 'template' },
  ],
  ['fillTemplate(values)', (v) => fillTemplate('{text}', garbage(v)), { null: 'values', 42: 'values' }],
  ['labelTokenIds(backend)', (v) => labelTokenIds(garbage(v), 'p', ['a', 'b']), { null: 'backend', 42: 'backend', '{}': 'backend' }],
  ['labelTokenIds(prompt)', (v) => labelTokenIds(backend, garbage(v), ['a', 'b']), { null: 'prompt', 42: 'prompt', '{}': 'prompt' }],
  [
    'labelTokenIds(labels)',
    (v) => labelTokenIds(backend, 'p', garbage(v)),
    { null: 'labels', 42: 'labels', '{}': 'labels', '{ length: 1 }': 'labels' },
  ],
  [
    'labellingCostVsRandom(curves)',
    (v) => labellingCostVsRandom(garbage(v), curves, 'mse'),
    { null: 'curves', 42: 'curves', '{}': 'curves.setting' },
  ],
  [
    'labellingCostVsRandom(baseline)',
    (v) => labellingCostVsRandom(curves, garbage(v), 'mse'),
    { 42: 'baseline', '{}': 'baseline.setting' },
  ],
  [
    'labellingCostVsRandom(metric)',
    (v) => labellingCostVsRandom(curves, curves, garbage(v)),
    { null: 'metric', 42: 'metric', '{}': 'metric' },
  ],
  [
    'promptPrefix(instruction)',
    (v) => promptPrefix(garbage(v), [], 'Label'),
    { null: 'instruction', 42: 'instruction', '{}': 'instruction' },
  ],
  ['promptPrefix(shots)', (v) => promptPrefix('', garbage(v), 'Label'), { null: 'shots', 42: 'shots', '{}': 'shots' }],
  ['promptPrefix(shots[0])', (v) => promptPrefix('', [garbage(v)], 'Label'), { null: 'shots[0]', 42: 'shots[0]' }],
  [
    'promptPrefix(answerString)',
    (v) => promptPrefix('', [], garbage(v)),
    { null: 'answerString', 42: 'answerString', '{}': 'answerString' },
  ],
  ['promptPrefix(template)', (v) => promptPrefix('', [], 'Label', garbage(v)), { null: 'template', 42: 'template' }],
  ['relativeError(pred)', (v) => relativeError(garbage(v), matrix, 0), { null: 'pred', 42: 'pred', '{}': 'pred' }],
  ['relativeError(iid)', (v) => relativeError(matrix, garbage(v), 0), { null: 'iid', 42: 'iid', '{}': 'iid' }],
  ['relativeLabellingCost(pred)', (v) => relativeLabellingCost(garbage(v), matrix, 0), { null: 'pred', 42: 'pred', '{}': 'pred' }],
  ['relativeLabellingCost(iid)', (v) => relativeLabellingCost(matrix, garbage(v), 0), { null: 'iid', 42: 'iid', '{}': 'iid' }],
  [
    'relativeToRandom(curves)',
    (v) => relativeToRandom(garbage(v), curves, 'mse'),
    { null: 'curves', 42: 'curves', '{}': 'curves.setting' },
  ],
  ['relativeToRandom(baseline)', (v) => relativeToRandom(curves, garbage(v), 'mse'), { 42: 'baseline', '{}': 'baseline.setting' }],
  ['relativeToRandom(metric)', (v) => relativeToRandom(curves, curves, garbage(v)), { null: 'metric', 42: 'metric', '{}': 'metric' }],
  ['renderFigure(spec)', (v) => renderFigure(garbage(v)), { null: 'spec', 42: 'spec' }],
  ['renderFigure(options)', (v) => renderFigure(garbage({}), garbage(v)), { null: 'options', 42: 'options' }],
  [
    'secondMomentValues(modelScores)',
    (v) => secondMomentValues(garbage(v), matrix),
    { null: 'modelScores', 42: 'modelScores', '{}': 'modelScores' },
  ],
  [
    'secondMomentValues(surrogateScores)',
    (v) => secondMomentValues(matrix, garbage(v)),
    { null: 'surrogateScores', 42: 'surrogateScores', '{}': 'surrogateScores' },
  ],
  ['selectIclExamples(labels)', (v) => selectIclExamples(garbage(v), 2, 1, 0), { null: 'labels', 42: 'labels', '{}': 'labels' }],
  ['settingCurves(setting)', (v) => settingCurves(garbage(v)), { null: 'setting', 42: 'setting', '{}': 'setting.estimates' }],
  ['settingKind(setting)', (v) => settingKind(garbage(v)), { null: 'setting', 42: 'setting' }],
  ['shotsPerClass(classCounts)', (v) => shotsPerClass(garbage(v), 1), { null: 'classCounts', 42: 'classCounts', '{}': 'classCounts' }],
  ['simulationReference(input)', (v) => simulationReference(garbage(v), garbage({})), { null: 'input', 42: 'input', '{}': 'modelScores' }],
  ['simulationReference(options)', (v) => simulationReference(input, garbage(v)), { null: 'options', 42: 'options' }],
  [
    'squaredErrorSpec(points)',
    (v) => squaredErrorSpec(garbage(v)),
    { null: 'points', 42: 'points', '{}': 'points', '{ length: 1 }': 'points' },
  ],
  ['bootstrapSpec(points)', (v) => bootstrapSpec(garbage(v)), { null: 'points', 42: 'points', '{}': 'points', '{ length: 1 }': 'points' }],
  ['squaredErrorSpec(options)', (v) => squaredErrorSpec([], garbage(v)), { null: 'options', 42: 'options' }],
  ['summarizeIntervals(intervals)', (v) => summarizeIntervals(garbage(v)), { null: 'intervals', 42: 'intervals', '{}': 'intervals' }],
  ['summarizeIntervals(intervals[0])', (v) => summarizeIntervals([garbage(v)]), { null: 'intervals[0]', 42: 'intervals[0]' }],
  ['summaryMarkdown(table)', (v) => summaryMarkdown(garbage(v)), { null: 'table', 42: 'table', '{}': 'table.thresholds' }],
  [
    'summaryMarkdown(table.thresholds)',
    (v) => summaryMarkdown(garbage({ trueRisk: 0.5, thresholds: v, settings: [] })),
    { null: 'table.thresholds', 42: 'table.thresholds', '{}': 'table.thresholds', '{ length: 1 }': 'table.thresholds' },
  ],
  [
    'summaryMarkdown(table.settings)',
    (v) => summaryMarkdown(garbage({ trueRisk: 0.5, thresholds: [], settings: v })),
    { null: 'table.settings', 42: 'table.settings', '{}': 'table.settings', '{ length: 1 }': 'table.settings' },
  ],
  [
    'summaryTable(curves)',
    (v) => summaryTable(garbage(v), null),
    { null: 'curves', 42: 'curves', '{}': 'curves', '{ length: 1 }': 'curves' },
  ],
  ['summaryTable(curves[0])', (v) => summaryTable([garbage(v)], null), { null: 'curves[0]', 42: 'curves[0]', '{}': 'curves[0].setting' }],
  ['summaryTable(baseline)', (v) => summaryTable([curves], garbage(v)), { 42: 'baseline', '{}': 'baseline.setting' }],
  ['summaryTable(options)', (v) => summaryTable([curves], null, garbage(v)), { null: 'options', 42: 'options' }],
  [
    'varianceDiagnosticRows(result)',
    (v) => varianceDiagnosticRows(garbage(v), Float64Array.of(1)),
    { null: 'result', 42: 'result', '{}': 'result.rows' },
  ],
  [
    'varianceDiagnosticRows(losses)',
    (v) => varianceDiagnosticRows(diagnosed, garbage(v)),
    { null: 'losses', 42: 'losses', '{}': 'losses' },
  ],
];

/** What `call` threw or its promise rejected with; undefined when it did neither. */
async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('garbage arguments from JavaScript to the public functions', () => {
  const rows = cases.flatMap(([name, call, argument]) =>
    (
      [
        ['null', null, argument.null],
        ['42', 42, argument[42]],
        ['{}', {}, argument['{}']],
        ['{ length: 1 }', { length: 1 }, argument['{ length: 1 }']],
      ] as const
    )
      .filter(([, , expected]) => expected !== undefined)
      .map(([label, value, expected]) => [`${name} given ${label}`, () => call(value), expected] as const),
  );

  it.each(rows)('%s: an InputError naming the argument', async (_name, call, expected) => {
    const error = await failure(call);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).argument).toBe(expected);
  });
});

describe('optional arguments left out from JavaScript', () => {
  it('summaryTable without a baseline is the table with a null one', () => {
    expect(summaryTable([curves])).toEqual(summaryTable([curves], null));
    expect(summaryTable([curves]).settings[0]!.cells[0]!.relativeMse).toBeNull();
  });
});

describe('selectIclExamples numClasses', () => {
  it('refuses a class count that is not an integer ≥ 1 by its name', () => {
    for (const numClasses of [null, {}, 0, 1.5, Number.NaN]) {
      expect(() => selectIclExamples(Int32Array.of(0, 1), numClasses as never, 1, 0)).toThrow(/^numClasses: expected an integer ≥ 1, got /);
    }
    expect(selectIclExamples(Int32Array.of(0, 1), 2, 2, 0)).toHaveLength(2);
  });
});

describe('a report setting without its label offset or true risk', () => {
  it('is refused by the key, not turned into relative numbers that are all missing', () => {
    const { labelOffset: _offset, ...noOffset } = setting;
    expect(() => settingCurves(noOffset as never)).toThrow(
      /^setting\.labelOffset: expected the labels spent before acquisition, an integer ≥ 0$/,
    );
    expect(() => settingCurves({ ...setting, trueRisk: Number.NaN })).toThrow(
      /^setting\.trueRisk: expected the pool's true risk, a finite number, got NaN$/,
    );
  });
});
