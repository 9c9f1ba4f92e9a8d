import { describe, expect, it } from 'vitest';
import { choiceOption, flag, integerOption, numberOption, parseOptions, requiredString } from '../../src/cli/options.js';
import { UsageError } from '../../src/errors.js';

const spec = { runs: { type: 'string' }, clip: { type: 'string' }, force: { type: 'boolean' }, mode: { type: 'string' } } as const;

describe('command-line option helpers', () => {
  it('parses values and flags', () => {
    const values = parseOptions(['--runs', '12', '--clip=0.5', '--force'], spec);
    expect(integerOption(values, 'runs')).toBe(12);
    expect(numberOption(values, 'clip')).toBe(0.5);
    expect(flag(values, 'force')).toBe(true);
    expect(integerOption(values, 'mode')).toBeUndefined();
    expect(choiceOption(parseOptions(['--mode', 'b'], spec), 'mode', ['a', 'b'])).toBe('b');
  });

  it.each([
    [['--bogus'], /bogus/],
    [['positional'], /positional/],
    [['--runs'], /runs/],
  ])('rejects %j as a usage error', (argv, message) => {
    expect(() => parseOptions(argv, spec)).toThrow(UsageError);
    expect(() => parseOptions(argv, spec)).toThrow(message);
  });

  it('rejects malformed values as usage errors naming the option', () => {
    expect(() => integerOption({ runs: '1.5' }, 'runs')).toThrow('--runs: expected an integer, got "1.5"');
    expect(() => integerOption({ runs: '' }, 'runs')).toThrow(UsageError);
    expect(() => numberOption({ clip: 'abc' }, 'clip')).toThrow('--clip: expected a number, got "abc"');
    expect(() => numberOption({ clip: 'Infinity' }, 'clip')).toThrow(UsageError);
    expect(() => choiceOption({ mode: 'c' }, 'mode', ['a', 'b'])).toThrow('--mode: expected one of a, b, got "c"');
    expect(() => requiredString({}, 'out')).toThrow('--out is required');
    expect(() => requiredString({ out: true }, 'out')).toThrow('--out takes a value');
  });
});
