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

describe('the CLI entry point', () => {
  it('prints the version with --version (also after a command) and help with -h for every command', async () => {
    const { runCliCaptured } = await import('../helpers/cli.js');
    const { VERSION } = await import('../../src/version.js');
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    for (const argv of [['--version'], ['-V'], ['simulate', '--version']]) {
      const run = await runCliCaptured(argv);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(VERSION);
    }
    for (const command of ['simulate', 'label', 'experiment', 'report', 'evaluate']) {
      const run = await runCliCaptured([command, '-h']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: active-testing /);
    }
  });

  it('exits 2 on out-of-range flag values in every command: label --max-labels 0, evaluate --limit 0', async () => {
    const { runCliCaptured } = await import('../helpers/cli.js');
    const label = await runCliCaptured(['label', '--session', 'none.session', '--max-labels', '0']);
    expect(label.code).toBe(2);
    expect(label.stderr).toMatch(/--max-labels: expected an integer ≥ 1, got "0"/);
    const evaluate = await runCliCaptured(['evaluate', '--limit', '0']);
    expect(evaluate.code).toBe(2);
  });
});
