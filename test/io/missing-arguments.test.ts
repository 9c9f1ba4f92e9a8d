import { describe, expect, it } from 'vitest';
import { fixedProposalFloor, InputError, labelsTsv, median, parseNpy, percentile, summarizeSimulation } from '../../src/index.js';

// From JavaScript an argument may be null or left out: each entry point refuses it with an
// InputError naming the argument, not a TypeError from where it is first read.
describe.each([null, undefined])('an argument given as %s', (missing) => {
  const got = missing === null ? ', got null' : '';
  it.each([
    ['median', () => median(missing as never), `values: expected an array of numbers${got}`],
    ['percentile', () => percentile(missing as never, 50), `values: expected an array of numbers${got}`],
    ['fixedProposalFloor', () => fixedProposalFloor(missing as never, 0.1), `values: expected an array of numbers${got}`],
    ['parseNpy', () => parseNpy(missing as never), `bytes: expected a .npy file's bytes (a Uint8Array)${got}`],
    ['labelsTsv', () => labelsTsv(missing as never), `labels: expected an array of { id, label } (exportSessionLabels().labels)${got}`],
    [
      'summarizeSimulation',
      () => summarizeSimulation(missing as never, {}),
      `result: expected a simulation result (what simulate returns)${got}`,
    ],
  ])('%s refuses it, naming the argument', (_name, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});

describe('the same entry points, given their arguments', () => {
  it('compute as before', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect([...(fixedProposalFloor(Float64Array.of(1, 3), 0.1) ?? [])]).toEqual([0.25, 0.75]);
    expect(labelsTsv([{ index: 0, id: 'a', label: 'x' }])).toBe('id\tlabel\na\tx\n');
  });

  it('labelsTsv names the row of an entry that is not an object', () => {
    expect(() => labelsTsv([{ index: 0, id: 'a', label: 'x' }, null] as never)).toThrow(
      /^labels \(row 1\): expected an \{ id, label \} object, got null$/,
    );
  });

  it('summarizeSimulation refuses a result without options, and missing inputs', () => {
    expect(() => summarizeSimulation({} as never, {})).toThrow(/^result\.options: expected the options of a simulation result/);
    expect(() => summarizeSimulation({ options: {} } as never, null as never)).toThrow(/^inputs: expected an object naming the inputs/);
  });
});
