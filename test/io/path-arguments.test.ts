import { describe, expect, it } from 'vitest';
import {
  ActiveTestingSession,
  exportSessionLabels,
  InputError,
  loadCalibrationSet,
  loadExperimentConfig,
  loadOrCreateSplits,
  Model,
  readNpy,
  readParquet,
  readTable,
  SST2Dataset,
  writeNpy,
} from '../../src/index.js';

// A file path that is not a string, as JavaScript callers may pass: node:fs would take a number
// for an open file descriptor (0 is stdin) and throw a bare TypeError on null. Each entry point
// must refuse it first, with an InputError naming the argument.
const NOT_PATHS: Array<[string, unknown]> = [
  ['the number 0 (a file descriptor to node:fs)', 0],
  ['null', null],
  ['an empty string', ''],
  ['a URL object', new URL('file:///tmp/x')],
];

const pool = {
  texts: ['a', 'b'],
  classes: ['x', 'y'],
  modelScores: [
    [1, 0],
    [0, 1],
  ],
};

const calls: Array<[string, string, (path: never) => unknown]> = [
  ['readTable', 'path', (p) => readTable(p)],
  ['readParquet', 'path', (p) => readParquet(p)],
  ['readNpy', 'path', (p) => readNpy(p)],
  ['writeNpy', 'path', (p) => writeNpy(p, new Float64Array(1))],
  ['loadCalibrationSet', 'path', (p) => loadCalibrationSet(p, p)],
  ['loadOrCreateSplits', 'path', (p) => loadOrCreateSplits(p, 10, { pool: 1 }, 0)],
  ['loadExperimentConfig', 'path', (p) => loadExperimentConfig(p)],
  ['exportSessionLabels', 'path', (p) => exportSessionLabels(p)],
  ['ActiveTestingSession.create', 'path', (p) => ActiveTestingSession.create(p, pool)],
  ['ActiveTestingSession.open', 'path', (p) => ActiveTestingSession.open(p)],
  ['SST2Dataset.load', 'path', (p) => SST2Dataset.load(p)],
  ['Model.fromPretrained', 'idOrPath', (p) => Model.fromPretrained(p)],
];

describe.each(calls)('%s', (name, argument, call) => {
  // create(null, …) is an in-memory session, not a bad path.
  const cases = NOT_PATHS.filter(([, path]) => !(path === null && name === 'ActiveTestingSession.create'));
  it.each(cases)(`refuses %s with an InputError naming ${argument}`, async (_kind, path) => {
    const error = await (async () => call(path as never))().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).argument).toBe(argument);
  });
});
