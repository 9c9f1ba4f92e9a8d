import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The built CLI (`npm run build`), run as a user runs it. */
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const COMMANDS = 'simulate, experiment, report, label, serve, evaluate';

/** A usage error as every command reports one: its line, then where the usage is; exit 2, nothing on stdout. */
function expectUsageError(args: string[], line: string, help = 'active-testing --help'): void {
  const run = cli(args);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(`${line}\nRun \`${help}\` for usage.\n`);
}

describe('active-testing help <command>', () => {
  it("prints the command's help, as `<command> --help` does, and exits 0", () => {
    for (const command of ['simulate', 'evaluate', 'label']) {
      const help = cli(['help', command]);
      expect(help.code).toBe(0);
      expect(help.stdout).toBe(cli([command, '--help']).stdout);
      expect(help.stdout).toMatch(new RegExp(`^Usage: active-testing ${command} `));
    }
    const general = cli(['help']);
    expect(general.code).toBe(0);
    expect(general.stdout).toMatch(/^Usage: active-testing <command> \[options\]\n/);
    expect(general.stdout).toContain('`active-testing help <command>`');
  });

  it("prints the command's help for -h or --help before the command too", () => {
    for (const flag of ['-h', '--help']) {
      const help = cli([flag, 'simulate']);
      expect(help.code).toBe(0);
      expect(help.stdout).toBe(cli(['simulate', '--help']).stdout);
      expect(help.stdout).toMatch(/^Usage: active-testing simulate /);
      expect(cli([flag]).stdout).toBe(cli(['help']).stdout);
    }
    expectUsageError(['-h', 'simulte'], `active-testing: unknown command "simulte": did you mean simulate? (valid: ${COMMANDS})`);
  });

  it('refuses a name that is not a command in one line, suggesting the closest', () => {
    expectUsageError(['help', 'nosuch'], `active-testing help: unknown command "nosuch" (valid: ${COMMANDS})`);
    expectUsageError(['help', 'simulte'], `active-testing help: unknown command "simulte": did you mean simulate? (valid: ${COMMANDS})`);
    expectUsageError(['help', 'simulate', 'label'], 'active-testing help: expected one command name, got 2: simulate label');
  });
});

describe('an unknown option before the command', () => {
  it('is an unknown option, not an unknown command, with the closest global option', () => {
    expectUsageError(['--foo'], 'active-testing: unknown option --foo (valid: --help, --version)');
    expectUsageError(['--versio'], 'active-testing: unknown option --versio: did you mean --version? (valid: --help, --version)');
    expectUsageError(['-x', 'simulate'], 'active-testing: unknown option -x (valid: --help, --version)');
  });

  it('refuses an argument after --version rather than ignoring it', () => {
    expectUsageError(['--version', 'extra'], 'active-testing: --version takes no arguments, got "extra"');
    expectUsageError(['-V', 'simulate', '--runs'], 'active-testing: -V takes no arguments, got "simulate" "--runs"');
    const version = cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('a flag given without its value', () => {
  it('is refused in the words of the other usage errors, saying what the value must be', () => {
    expectUsageError(
      ['simulate', '--runs'],
      'active-testing simulate: --runs: expected an integer ≥ 1, got nothing',
      'active-testing simulate --help',
    );
    expectUsageError(
      ['simulate', '--runs', '--clip', '0.2'],
      'active-testing simulate: --runs: expected an integer ≥ 1, got nothing before --clip',
      'active-testing simulate --help',
    );
    // A negative number after a flag is its value, not another option.
    expectUsageError(
      ['simulate', '--clip', '-0.1', '--out'],
      'active-testing simulate: --out: expected a value (DIR), got nothing',
      'active-testing simulate --help',
    );
    expectUsageError(
      ['evaluate', '--device'],
      'active-testing evaluate: --device: expected one of cpu | cuda | auto, got nothing',
      'active-testing evaluate --help',
    );
    expectUsageError(
      ['report', 'runs', '--thresholds'],
      'active-testing report: --thresholds: expected integers ≥ 1, comma-separated, got nothing',
      'active-testing report --help',
    );
    expectUsageError(
      ['label', '--session'],
      'active-testing label: --session: expected a value (FILE), got nothing',
      'active-testing label --help',
    );
  });

  it("word report's short options and valued flags as every command's", () => {
    expectUsageError(
      ['report', 'runs', '-x'],
      'active-testing report: unknown option -x: options are written in full, with two dashes (--name)',
      'active-testing report --help',
    );
    expectUsageError(
      ['report', 'runs', '--force=yes'],
      'active-testing report: --force takes no value, got "yes"',
      'active-testing report --help',
    );
  });
});

describe('missing required options', () => {
  it('are all named in one line, in the order the help lists them', () => {
    expectUsageError(
      ['evaluate'],
      'active-testing evaluate: --model, --data, --classes and --out are required',
      'active-testing evaluate --help',
    );
    expectUsageError(
      ['evaluate', '--out', 'o', '--data', 'd.tsv'],
      'active-testing evaluate: --model and --classes are required',
      'active-testing evaluate --help',
    );
    expectUsageError(['experiment'], 'active-testing experiment: --config and --out are required', 'active-testing experiment --help');
    expectUsageError(
      ['simulate', '--out', 'o'],
      'active-testing simulate: --model-scores and --labels are required',
      'active-testing simulate --help',
    );
  });
});

describe('a surrogate acquisition without --surrogate-scores', () => {
  it('is a missing option when label or serve would create a session, refused before the pool is read and nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-surrogate-flag-'));
    try {
      const session = join(dir, 's.session');
      // Neither the pool nor the scores exist: the refusal comes first.
      const pool = ['--data', join(dir, 'pool.tsv'), '--classes', 'a,b', '--model-scores', join(dir, 'f.npy')];
      expectUsageError(
        ['label', '--session', session, ...pool, '--acquisition', 'surrogate-m2', '--answers', join(dir, 'answers.tsv')],
        'active-testing label: --surrogate-scores is required for --acquisition surrogate-m2',
        'active-testing label --help',
      );
      expectUsageError(
        ['serve', '--session', session, ...pool, '--acquisition', 'adaptive', '--port', '0'],
        'active-testing serve: --surrogate-scores is required for --acquisition adaptive',
        'active-testing serve --help',
      );
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
