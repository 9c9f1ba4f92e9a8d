import { caught } from '../helpers/caught.js';
import { describe, expect, it } from 'vitest';
import {
  ActiveTestingSession,
  IidAcquisition,
  InputError,
  resolveEvaluateOptions,
  runDemo,
  runExperiment,
  simulate,
  syntheticPool,
  writeReport,
} from '../../src/index.js';

// What a JavaScript caller may pass where an options object belongs: each must be refused with an
// InputError naming the argument, never a TypeError from where the object is first read.
const NOT_OBJECTS: Array<[string, unknown]> = [
  ['null', null],
  ['an array', [1]],
  ['a string', 'runs=2'],
  ['a number', 2],
];

const pool = syntheticPool({ poolSize: 20, seed: 0 });
const sessionPool = {
  texts: ['a', 'b'],
  classes: ['x', 'y'],
  modelScores: [
    [1, 0],
    [0, 1],
  ],
};

const calls: Array<[string, string, (value: unknown) => unknown]> = [
  ['simulate(input, options)', 'options', (v) => simulate(pool, v as never)],
  ['simulate(input)', 'input', (v) => simulate(v as never)],
  ['syntheticPool(options)', 'options', (v) => syntheticPool(v as never)],
  ['ActiveTestingSession.create(null, options)', 'options', (v) => ActiveTestingSession.create(null, v as never)],
  ['new IidAcquisition(options)', 'options', (v) => new IidAcquisition(v as never)],
  ['runExperiment(config, options)', 'options', (v) => runExperiment({ settings: [] } as never, v as never)],
  ['writeReport(dirs, options)', 'options', (v) => writeReport([], v as never)],
  ['resolveEvaluateOptions(options)', 'options', (v) => resolveEvaluateOptions(v as never)],
  ['runDemo(options)', 'options', (v) => runDemo(v as never)],
];

describe.each(calls)('%s', (_name, argument, call) => {
  it.each(NOT_OBJECTS)(`refuses %s with an InputError naming ${argument}`, async (_kind, value) => {
    const error = await caught(() => call(value));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).argument).toBe(argument);
    expect((error as Error).message).toMatch(new RegExp(`^${argument}: expected an (options )?object`));
  });
});

describe('a session method given a non-object options argument', () => {
  it.each(NOT_OBJECTS)('record and skip refuse %s with an InputError naming options', async (_kind, value) => {
    const session = await ActiveTestingSession.create(null, sessionPool);
    const [item] = await session.next();
    for (const call of [() => session.record(item!.id, 0, value as never), () => session.skip(item!.id, value as never)]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).argument).toBe('options');
    }
    // Nothing was recorded: the item can still be labelled.
    await session.record(item!.id, 0);
    expect(session.estimate().labels).toBe(1);
  });
});
