import { describe, expect, it } from 'vitest';
import { commandFlags, commandValues, parseOptions, required, strayListValues } from '../../src/cli/options.js';
import { UsageError } from '../../src/errors.js';

const spec = { runs: { type: 'string' }, clip: { type: 'string' }, force: { type: 'boolean' }, mode: { type: 'string' } } as const;

describe('command-line option helpers', () => {
  it('parses values and flags, then the schema checks them under their TypeScript names', () => {
    const values = parseOptions(['--runs', '12', '--clip=0.5', '--force', '--out', 'o'], commandFlags('simulate'));
    expect(values).toEqual({ runs: '12', clip: '0.5', force: true, out: 'o' });
    expect(commandValues(values, 'simulate')).toEqual({ runs: 12, clip: 0.5, force: true, out: 'o' });
    const report = commandValues(parseOptions(['--thresholds', '50, 100', '--json'], commandFlags('report')), 'report');
    expect(report).toEqual({ thresholds: [50, 100], json: true });
  });

  it.each([
    [['--bogus'], /bogus/],
    [['positional'], /positional/],
    [['--runs'], /runs/],
  ])('rejects %j as a usage error', (argv, message) => {
    expect(() => parseOptions(argv, spec)).toThrow(UsageError);
    expect(() => parseOptions(argv, spec)).toThrow(message);
  });

  it("words parseArgs's refusals as the other usage errors: an argument, a short option, a value for a flag", () => {
    expect(() => parseOptions(['--runs', '10', '20'], spec)).toThrow(
      new UsageError('unexpected argument "20": this command takes only options, each with its value (--name value)'),
    );
    // Values of a choice list separated by spaces, as the shell would split them (and argparse's
    // nargs='+' reads them): more of its values, joined as repeated flags are.
    const simulateFlags = commandFlags('simulate');
    const refusal = (argv: string[]): string => {
      try {
        return JSON.stringify(parseOptions(argv, simulateFlags));
      } catch (error) {
        return (error as UsageError).message;
      }
    };
    expect(refusal(['--interval', 'anytime', 'fixed', 'bootstrap'])).toBe('{"interval":"anytime,fixed,bootstrap"}');
    expect(refusal(['--interval', 'anytime', '--runs', '5', '--interval', 'fixed', 'bootstrap'])).toBe(
      '{"interval":"anytime,fixed,bootstrap","runs":"5"}',
    );
    expect(refusal(['--interval=anytime', 'fixed', '--runs', '5'])).toBe('{"interval":"anytime,fixed","runs":"5"}');
    // A value the shell split after its comma, or an empty --interval=, continues with the choice.
    expect(refusal(['--interval', 'anytime,', 'fixed'])).toBe('{"interval":"anytime,fixed"}');
    expect(refusal(['--interval=anytime,', 'fixed', 'bootstrap'])).toBe('{"interval":"anytime,fixed,bootstrap"}');
    expect(refusal(['--interval=', 'fixed'])).toBe('{"interval":"fixed"}');
    expect(refusal(['--interval', 'anytime', 'fixed,', 'bootstrap'])).toBe('{"interval":"anytime,fixed,bootstrap"}');
    expect(refusal(['--interval', 'anytime', ',fixed'])).toBe('{"interval":"anytime,fixed"}');
    expect(refusal(['--interval', 'anytime', 'fixed,bootstrap'])).toBe('{"interval":"anytime,fixed,bootstrap"}');
    // Spaced values twice are passed on joined, for commandValues to refuse as any repeated value.
    expect(refusal(['--interval', 'anytime', 'anytime'])).toBe('{"interval":"anytime,anytime"}');
    // A misspelt choice after the list's values: its choices, and the one meant.
    expect(refusal(['--interval', 'anytime', 'fxed'])).toBe(
      'unexpected argument "fxed": this command takes only options, each with its value (--name value); --interval takes anytime, fixed, bootstrap (did you mean fixed?)',
    );
    // The hint is about the occurrence refused, not an earlier one given as an option's value or a choice.
    expect(refusal(['--out', 'fxed', '--interval', 'anytime', 'fxed'])).toBe(
      'unexpected argument "fxed": this command takes only options, each with its value (--name value); --interval takes anytime, fixed, bootstrap (did you mean fixed?)',
    );
    // Also where the stray is spelt as the list's own value, or follows that value at once.
    for (const argv of [
      ['--interval', 'fxed', 'anytime', 'fxed'],
      ['--interval', 'fxed', 'fxed'],
      ['--interval=fxed', 'fxed'],
      ['--interval', 'fxed', 'anytime', 'fixd'],
    ]) {
      expect(refusal(argv)).toBe(
        `unexpected argument "${argv.at(-1)}": this command takes only options, each with its value (--name value); --interval takes anytime, fixed, bootstrap (did you mean fixed?)`,
      );
    }
    expect(refusal(['--interval', 'anytime', 'fixed', '--runs', '3', 'fixed'])).toBe(
      'unexpected argument "fixed": this command takes only options, each with its value (--name value)',
    );
    // Not a value the list takes (a forgotten --out), or after another option's value: unexpected.
    const plain = (stray: string) => `unexpected argument "${stray}": this command takes only options, each with its value (--name value)`;
    expect(refusal(['--interval', 'anytime', 'out/dir'])).toBe(plain('out/dir'));
    expect(refusal(['--interval', 'anytime', 'fixed', 'out/dir'])).toBe(plain('out/dir'));
    expect(refusal(['--seed', '3', '--interval', 'anytime', '3'])).toBe(plain('3'));
    expect(refusal(['--runs', '10', 'fixed'])).toBe(plain('fixed'));
    expect(refusal(['-', '--interval', 'anytime', 'fixed'])).toBe(plain('-'));
    expect(refusal(['--interval', 'anytime', '--', 'fixed'])).toBe(plain('fixed'));
    // A list of counts takes whole numbers only.
    expect(strayListValues(['--thresholds', '50', '100', 'runs/a'], commandFlags('report'))).toEqual({
      stray: '100',
      flag: '--thresholds',
      hint: "give --thresholds's values comma-separated (--thresholds 50,100) or repeat --thresholds",
    });
    expect(strayListValues(['runs/a', '--thresholds', '50', 'runs/b'], commandFlags('report'))).toBeUndefined();
    // A list without named choices cannot tell its values from a forgotten option's.
    expect(() => parseOptions(['--classes', 'a,b', 'data.csv'], commandFlags('label'))).toThrow(new UsageError(plain('data.csv')));
    expect(() => parseOptions(['-x'], spec)).toThrow(
      new UsageError('unknown option -x: options are written in full, with two dashes (--name)'),
    );
    expect(() => parseOptions(['--force=yes'], spec)).toThrow(new UsageError('--force takes no value, got "yes"'));
  });

  it('rejects malformed values as usage errors naming the flag and quoting the text', () => {
    const given = (argv: string[], command: 'simulate' | 'report' | 'evaluate' = 'simulate') =>
      commandValues(parseOptions(argv, commandFlags(command)), command);
    expect(() => given(['--runs', '1.5'])).toThrow('--runs: expected an integer, got "1.5"');
    expect(() => given(['--runs', ''])).toThrow(UsageError);
    expect(() => given(['--clip', 'abc'])).toThrow('--clip: expected a number, got "abc"');
    expect(() => given(['--clip', 'Infinity'])).toThrow(UsageError);
    // A negative number is a value, checked by the option itself rather than refused by the parser.
    expect(parseOptions(['--clip', '-0.1', '--runs', '-.5'], spec)).toEqual({ clip: '-0.1', runs: '-.5' });
    expect(() => parseOptions(['--clip', '-x'], spec)).toThrow(/--clip/);
    expect(() => given(['--interval', 'anytime,fixd'])).toThrow(
      '--interval: expected one of anytime | fixed | bootstrap (did you mean fixed?), got "fixd" in "anytime,fixd"',
    );
    expect(() => given(['--thresholds', '50,0'], 'report')).toThrow('--thresholds: expected integers ≥ 1, comma-separated, got "50,0"');
    expect(() => given(['--confidence', '0'], 'report')).toThrow(
      '--confidence: expected a multiple of σ ≥ 1 (1.96 for a 95% band), got "0"',
    );
    expect(() => given(['--confidence', '0.9'], 'report')).toThrow(
      '--confidence: expected a multiple of σ ≥ 1 (1.64 for a 90% band), got "0.9"',
    );
    expect(() => given(['--confidence', '0.8'], 'report')).toThrow(
      '--confidence: expected a multiple of σ ≥ 1 (1.28 for an 80% band), got "0.8"',
    );
    // A level whose multiple is itself below 1 is shown the 95% one.
    expect(() => given(['--confidence', '0.5'], 'report')).toThrow(
      '--confidence: expected a multiple of σ ≥ 1 (1.96 for a 95% band), got "0.5"',
    );
    expect(() => given(['--classes', 'negative'], 'evaluate')).toThrow(
      '--classes: expected at least 2 names, comma-separated, got "negative"',
    );
    expect(() => given(['--device', 'gpu'], 'evaluate')).toThrow(
      '--device: expected one of cpu | cuda | auto (did you mean cpu?), got "gpu"',
    );
    expect(() => required({}, 'outDir')).toThrow('--out-dir is required');
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
    for (const command of ['simulate', 'label', 'serve', 'experiment', 'report', 'evaluate']) {
      const run = await runCliCaptured([command, '-h']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: active-testing /);
      // What each exit code means, last, as every command's help says it: a paragraph of its own,
      // and no blank line after it.
      expect(run.stdout).toMatch(/\n\nExit codes: 0 [^\n]+(\n[^\n]+){0,2}$/);
      expect(run.stdout).toMatch(/2 usage error/);
    }
  });

  it('exits 2 on out-of-range flag values in every command: label --max-labels 0, evaluate --limit 0', async () => {
    const { runCliCaptured } = await import('../helpers/cli.js');
    const label = await runCliCaptured(['label', '--session', 'none.session', '--max-labels', '0']);
    expect(label.code).toBe(2);
    expect(label.stderr).toMatch(/--max-labels: expected an integer ≥ 1, got "0"/);
    const serve = await runCliCaptured(['serve', '--session', 'none.session', '--port', '70000']);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/--port: expected an integer in \[0, 65535\], got "70000"/);
    const evaluate = await runCliCaptured(['evaluate', '--limit', '0']);
    expect(evaluate.code).toBe(2);
  });
});

describe('a misspelt choice on the command line', () => {
  it('suggests the choice it is the start of, in one line and exit 2, as other misspelt choices', async () => {
    const { runCliCaptured } = await import('../helpers/cli.js');
    const run = await runCliCaptured(['simulate', '--demo', '--numerics', 'ref', '--out', 'never-written']);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd()).toBe(
      'active-testing simulate: --numerics: expected one of default | reference (did you mean reference?), got "ref"\n' +
        'Run `active-testing simulate --help` for usage.',
    );
    const loss = await runCliCaptured(['simulate', '--demo', '--loss', 'ce', '--out', 'never-written']);
    expect(loss.code).toBe(2);
  });
});

describe('an unknown command', () => {
  it('is a usage error in one line that suggests the closest command and lists them all, then where usage is', async () => {
    const { runCliCaptured } = await import('../helpers/cli.js');
    const misspelt = await runCliCaptured(['simulte', '--demo']);
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr.trimEnd()).toBe(
      'active-testing: unknown command "simulte": did you mean simulate? (valid: simulate, experiment, report, label, serve, evaluate)\n' +
        'Run `active-testing --help` for usage.',
    );
    const unrelated = await runCliCaptured(['zzz']);
    expect(unrelated.code).toBe(2);
    expect(unrelated.stderr.split('\n')[0]).toBe(
      'active-testing: unknown command "zzz" (valid: simulate, experiment, report, label, serve, evaluate)',
    );
  });
});

describe('an unknown key in a grid file', () => {
  it('is named as the grid key, not as the command flag of the same name', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runCliCaptured } = await import('../helpers/cli.js');
    const dir = mkdtempSync(join(tmpdir(), 'at-grid-key-'));
    for (const key of ['threads', 'out']) {
      const grid = join(dir, `${key}.json`);
      writeFileSync(grid, JSON.stringify({ modelScores: 'f.npy', labels: 'y.npy', [key]: 1, settings: [{ acquisition: 'iid' }] }));
      const run = await runCliCaptured(['experiment', '--config', grid, '--out', join(dir, 'runs')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `active-testing experiment: ${grid}: ${key}: expected a top-level grid key; it is a command-line flag: experiment --${key}`,
      );
    }
  });
});
