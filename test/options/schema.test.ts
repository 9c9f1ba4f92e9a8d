import { describe, expect, it } from 'vitest';
import { PROPOSAL_ACQUISITIONS } from '../../src/acquisition/adaptive/index.js';
import { resolveSimulationOptions, simulate } from '../../src/simulate/simulate.js';
import type { Command } from '../../src/cli/command.js';
import { CREATE_OPTIONS, LABEL_FLAGS } from '../../src/cli/label.js';
import { commandFlags, commandValues, parseOptions } from '../../src/cli/options.js';
import { checkEvaluateOptions } from '../../src/evaluation/evaluate-options.js';
import { InputError, UsageError } from '../../src/errors.js';
import { resolveExperimentConfig } from '../../src/experiment/config.js';
import { ACQUISITION_FUNCTIONS, BUILTIN_LOSS_NAMES } from '../../src/metrics/index.js';
import {
  ACQUISITION_NAMES,
  ACQUISITIONS,
  acquisitionsFor,
  checkOption,
  cliFlag,
  cliOptionsIn,
  LOSSES,
  OPTION_DECLARATIONS,
  optionNames,
  optionsIn,
  parseOptionText,
  resolveProposal,
  type OptionDeclaration,
} from '../../src/options/index.js';
import { closestChoice, closestName, editDistance } from '../../src/io/suggest.js';
import {
  COMMAND_CONTEXTS,
  commandLineExpectation,
  commandOptions,
  declaration,
  flagWithMetavar,
  isCommandLineOnlyIn,
  type CommandName,
} from '../../src/options/schema.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';

/** A valid number for a number option: 0.5, or above the minimum where that is higher (a multiple of σ ≥ 1). */
function sampleNumber(spec: OptionDeclaration['value']): number {
  return spec.kind === 'number' && spec.min >= 0.5 ? spec.min + 1 : 0.5;
}

/** A valid command-line text for each option with a value, by the kind of its value. */
function sampleText(d: OptionDeclaration): string {
  switch (d.value.kind) {
    case 'integer':
      return String(d.value.min + 1);
    case 'number':
    case 'temperature':
      return String(sampleNumber(d.value));
    case 'choice':
      return d.value.choices('simulate')[0]!;
    case 'bootstrap':
      return 'exact';
    case 'seed':
      return '7';
    case 'input':
      return 'file.npy';
    case 'text':
      return 'some-name';
    case 'list':
      return d.value.choices?.[0] ?? (d.value.item === 'counts' ? '10,20' : 'a,b');
    case 'flag':
      throw new Error(`${d.name} is a flag: it takes no value`);
    case 'function':
    case 'signal':
      throw new Error(`${d.name} is an option of the library alone`);
  }
}

/** A valid JSON value for each grid option. */
function sampleJson(d: OptionDeclaration, context: 'grid' | 'setting' | 'evaluate'): unknown {
  switch (d.value.kind) {
    case 'integer':
      return d.value.min + 1;
    case 'number':
    case 'temperature':
      return sampleNumber(d.value);
    case 'choice':
      return d.value.choices(context)[context === 'setting' ? 3 : 0];
    case 'bootstrap':
      return 'none';
    case 'seed':
      return 7;
    case 'input':
    case 'text':
      return 'file.npy';
    case 'list':
      return d.value.choices?.slice(0, 2) ?? (d.value.item === 'counts' ? [10, 20] : ['a', 'b']);
    case 'flag':
      return true;
  }
}

/** Every command, loaded as the CLI loads it. */
async function loadCommands(): Promise<Record<CommandName, Command>> {
  return {
    simulate: (await import('../../src/cli/simulate.js')).simulateCommand,
    evaluate: (await import('../../src/cli/evaluate.js')).evaluateCommand,
    experiment: (await import('../../src/cli/experiment.js')).experimentCommand,
    report: (await import('../../src/cli/report.js')).reportCommand,
    label: (await import('../../src/cli/label.js')).labelCommand,
    serve: (await import('../../src/cli/serve.js')).serveCommand,
  };
}

const COMMAND_NAMES = Object.keys(COMMAND_CONTEXTS) as CommandName[];

/** Each command's parser table: the schema's flags, and for `label` where `--export/--import label-studio FILE` put the file. */
const PARSER_TABLES: Record<CommandName, Record<string, unknown>> = {
  ...(Object.fromEntries(COMMAND_NAMES.map((command) => [command, commandFlags(command)])) as Record<CommandName, Record<string, unknown>>),
  label: LABEL_FLAGS,
};
const PARSE_ONLY: Partial<Record<CommandName, string[]>> = { label: ['export-file', 'import-file'] };

describe('every command: flags, help and grid keys from the schema', () => {
  it('declares no flag twice in a command, and a name shared by contexts with one kind of value', () => {
    for (const command of COMMAND_NAMES) {
      const flags = commandOptions(command).map(({ declaration: d }) => cliFlag(d.name));
      expect(new Set(flags).size, command).toBe(flags.length);
      expect(flags.length, command).toBeGreaterThan(3);
    }
    for (const d of OPTION_DECLARATIONS) {
      for (const other of OPTION_DECLARATIONS.filter((o) => o !== d && o.name === d.name)) {
        expect(other.value.kind, d.name).toBe(d.value.kind);
        expect(
          other.contexts.filter((c) => d.contexts.includes(c)),
          d.name,
        ).toEqual([]);
      }
    }
  });

  for (const command of COMMAND_NAMES) {
    it(`${command}: the parser takes exactly the schema's flags, each parsed and checked to its TypeScript name`, () => {
      const fromSchema = commandOptions(command).map(({ declaration: d }) => cliFlag(d.name).slice(2));
      expect(new Set(Object.keys(PARSER_TABLES[command]))).toEqual(new Set([...fromSchema, ...(PARSE_ONLY[command] ?? [])]));
      for (const { declaration: d } of commandOptions(command)) {
        const argv = d.value.kind === 'flag' ? [cliFlag(d.name)] : [cliFlag(d.name), sampleText(d)];
        const given = commandValues(parseOptions(argv, commandFlags(command)), command);
        expect(Object.keys(given), `${command} ${argv.join(' ')}`).toEqual([d.name]);
        expect(given[d.name]).toBeDefined();
      }
    });

    it(`${command}: --help shows every flag with its metavariable, in lines of at most 100 columns`, async () => {
      const { help } = (await loadCommands())[command];
      for (const { declaration: d } of commandOptions(command)) {
        // serve lists the pool options by name only (they are label's, see label --help).
        const shown = command === 'serve' && CREATE_OPTIONS.includes(d.name) ? cliFlag(d.name) : flagWithMetavar(d);
        expect(help, `${command} ${shown}`).toMatch(new RegExp(`${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ ,.\n]`));
      }
      for (const line of help.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    });

    it(`${command}: an unknown flag is a usage error with a suggestion, before anything runs`, async () => {
      const longest = commandOptions(command)
        .map(({ declaration: d }) => cliFlag(d.name))
        .sort((a, b) => b.length - a.length)[0]!;
      const typo = longest.slice(0, -1);
      const run = (await loadCommands())[command].run([typo, '1']);
      await expect(run).rejects.toThrow(UsageError);
      await expect((await loadCommands())[command].run([typo, '1'])).rejects.toThrow(`unknown option ${typo}: did you mean ${longest}?`);
    });
  }

  it('a grid evaluate step takes the schema keys of evaluate (camelCase), not the flags, and not out or force', () => {
    const step = { model: 'm', data: 'd.tsv', classes: 'a,b' };
    const keys = optionNames('evaluate');
    expect(keys).toContain('iclExamples');
    expect(keys).not.toContain('out');
    expect(keys).not.toContain('force');
    for (const name of keys) {
      const d = OPTION_DECLARATIONS.find((o) => o.name === name && o.contexts.includes('evaluate'))!;
      const value = sampleJson(d, 'evaluate');
      const extra = name === 'iclData' ? { iclExamples: 2 } : {};
      expect(checkEvaluateOptions({ ...step, ...extra, [name]: value }, 'evaluate.s'), name).toHaveProperty(name);
    }
    for (const name of keys.filter((n) => /[A-Z]/.test(n))) {
      const kebab = cliFlag(name).slice(2);
      expect(() => checkEvaluateOptions({ ...step, [kebab]: 1 }, 'evaluate.s')).toThrow(
        `evaluate.s.${kebab}: expected a known option, did you mean ${name}?`,
      );
    }
  });
});

describe('a command-line-only flag given as an option', () => {
  it('says, for every such flag of simulate and evaluate, what does its work from TypeScript', async () => {
    const pool = { modelScores: { data: new Float64Array(4), rows: 2, cols: 2 }, labels: Int32Array.of(0, 1) };
    const step = { model: 'm', data: 'd.tsv', classes: 'a,b' };
    const flags = OPTION_DECLARATIONS.filter((d) =>
      d.contexts.some((c) => (c === 'simulate' || c === 'evaluate') && isCommandLineOnlyIn(d, c)),
    );
    expect(flags.map((d) => d.name).sort()).toEqual([
      'calibrationLabels',
      'calibrationScores',
      'demo',
      'force',
      'force',
      'interval',
      'out',
      'out',
    ]);
    for (const { name, inTypeScript, contexts } of flags) {
      expect(inTypeScript, name).toBeDefined();
      if (contexts.includes('simulate')) {
        await expect(simulate(pool, { [name]: 1 } as never)).rejects.toThrow(
          `${name}: expected an option of simulate's options object, not the command line's ${cliFlag(name)}: ${inTypeScript}`,
        );
      } else {
        // Each names where the library takes it: `run.out`, `run.force`.
        expect(inTypeScript).toMatch(new RegExp(`takes \`run\\.${name}\`$`));
        expect(() => checkEvaluateOptions({ ...step, [name]: 1 }, 'evaluate.s')).toThrow(
          `evaluate.s.${name}: expected an option of evaluate's options object, not the command line's ${cliFlag(name)}: ${inTypeScript}`,
        );
      }
    }
    // A near miss of a flag is told the same; one nearer to an option still gets the suggestion.
    await expect(simulate(pool, { intervals: ['anytime'] } as never)).rejects.toThrow(
      /^intervals: .*--interval: simulationIntervals\(result/,
    );
    await expect(simulate(pool, { 'calibration-scores': 'a.npy' } as never)).rejects.toThrow(/--calibration-scores: the `calibration/);
    await expect(simulate(pool, { ruts: 3 } as never)).rejects.toThrow(/^ruts: expected a known option, did you mean runs\?/);
    // A key that only contains a flag's name is not taken for it.
    await expect(simulate(pool, { scout: 3 } as never)).rejects.toThrow(/^scout: expected a known option \(valid: /);
    expect(() => checkEvaluateOptions({ ...step, timeout: 5 }, null)).toThrow(
      /^timeout: expected a known option, did you mean requestTimeout\?/,
    );
    expect(() => checkEvaluateOptions({ ...step, forceRefresh: true }, null)).toThrow(/^forceRefresh: expected a known option/);
    // Nearer to the flag than to any option: the flag; too short to tell: no guess.
    await expect(simulate(pool, { outs: 'x' } as never)).rejects.toThrow(/^outs: .*not the command line's --out:/);
    await expect(simulate(pool, { put: 'x' } as never)).rejects.toThrow(/^put: expected a known option/);
  });
});

describe('option schema: one declaration per option', () => {
  it('derives every CLI flag as the kebab-case of the TypeScript name', () => {
    expect(cliFlag('modelScores')).toBe('--model-scores');
    expect(cliFlag('surrogateScores')).toBe('--surrogate-scores');
    expect(cliFlag('clip')).toBe('--clip');
    for (const d of OPTION_DECLARATIONS) expect(cliFlag(d.name)).toMatch(/^--[a-z]+(-[a-z]+)*$/);
  });

  it('refuses a misspelt flag with the closest one, also written with =', () => {
    const flags = commandFlags('simulate');
    expect(() => parseOptions(['--clp', '0.2'], flags)).toThrow(UsageError);
    expect(() => parseOptions(['--clp', '0.2'], flags)).toThrow(/unknown option --clp: did you mean --clip\?/);
    expect(() => parseOptions(['--model-score=f.npy'], flags)).toThrow(/did you mean --model-scores\?/);
    expect(() => parseOptions(['--zzzzzzzzzz'], flags)).toThrow(/^unknown option --zzzzzzzzzz \(valid: --model-scores, /);
  });

  it('suggests the option a declared synonym means, on every surface, before a name it spells or resembles', async () => {
    // `budget` is a word of iclBudget, a boolean grid rule; the docs call the labels per run a budget.
    expect(() => parseOptions(['--budget', '20'], commandFlags('simulate'))).toThrow(/^unknown option --budget: did you mean --size\?/);
    const pool = {
      modelScores: [
        [1, 0],
        [0, 1],
      ],
      labels: [0, 1],
    };
    await expect(simulate(pool, { budget: 20 } as never)).rejects.toThrow(/^budget: expected a known option, did you mean size\?/);
    expect(closestName('budget', ['size', 'iclBudget'], { budget: 'size' })).toBe('size');
    expect(closestName('budget', ['size', 'iclBudget'])).toBe('iclBudget');
  });

  it('declares no synonym that is a name of its own contexts: it could never be refused, so never suggested', () => {
    for (const d of OPTION_DECLARATIONS) {
      for (const synonym of d.synonyms ?? []) {
        for (const context of d.contexts) expect(optionsIn(context).map((other) => other.name)).not.toContain(synonym);
      }
    }
  });

  it('refuses every valued flag of every command given without its value, saying what the value must be', () => {
    for (const command of COMMAND_NAMES) {
      for (const { declaration: d, context } of commandOptions(command)) {
        if (d.value.kind === 'flag') continue;
        const flag = cliFlag(d.name);
        const expected = `${flag}: expected ${commandLineExpectation(d, context)}, got nothing`;
        expect(() => parseOptions([flag], commandFlags(command)), `${command} ${flag}`).toThrow(new UsageError(expected));
        expect(() => parseOptions([flag, '--help'], commandFlags(command))).toThrow(new UsageError(`${expected} before --help`));
      }
    }
    // What the schema declares, in the words of the refusals of a wrong value.
    const expects = (name: string, context: 'simulate' | 'evaluate' | 'report' | 'serve') =>
      commandLineExpectation(declaration(name, context), context);
    expect(expects('runs', 'simulate')).toBe('an integer ≥ 1');
    expect(expects('clip', 'simulate')).toBe('a clip fraction in (0, 1)');
    expect(expects('bootstrap', 'simulate')).toBe('exact, none or a number of resamples ≥ 1');
    expect(expects('seed', 'simulate')).toBe('an integer ≥ 0');
    expect(expects('temperature', 'simulate')).toBe('a finite number > 0');
    expect(expects('loss', 'simulate')).toBe('one of cross-entropy | zero-one | brier');
    expect(expects('interval', 'simulate')).toBe('anytime | fixed | bootstrap, comma-separated');
    expect(expects('classes', 'evaluate')).toBe('at least 2 names, comma-separated');
    expect(expects('model', 'evaluate')).toBe('a value (ID|DIR)');
    expect(expects('port', 'serve')).toBe('an integer in [0, 65535]');
    expect(() => parseOptionText('runs', '0', 'simulate')).toThrow(`--runs: expected ${expects('runs', 'simulate')}, got "0"`);
  });

  it('refuses an option with one value given twice, which would keep only the last', () => {
    const flags = commandFlags('simulate');
    expect(() => parseOptions(['--runs', '10', '--runs', '1000'], flags)).toThrow(new UsageError('--runs is given twice: give it once'));
    expect(() => parseOptions(['--clip=-0.1', '--clip', '-0.2'], flags)).toThrow(/^--clip is given twice/);
    expect(parseOptions(['--force', '--force', '--interval', 'anytime,fixed'], flags)).toEqual({ force: true, interval: 'anytime,fixed' });
  });

  it('joins the values of a list option given several times, in order', () => {
    const flags = commandFlags('simulate');
    expect(parseOptions(['--interval', 'anytime', '--runs', '5', '--interval=fixed'], flags)).toEqual({
      interval: 'anytime,fixed',
      runs: '5',
    });
    const given = parseOptions(['--interval', 'fixed', '--interval', 'anytime,bootstrap'], flags);
    expect(commandValues(given, 'simulate').interval).toEqual(['fixed', 'anytime', 'bootstrap']);
    // A kind given twice over two flags is refused as within one list.
    const twice = parseOptions(['--interval', 'fixed', '--interval', 'fixed'], flags);
    expect(() => commandValues(twice, 'simulate')).toThrow(/^--interval: expected .*, each once, got "fixed,fixed"$/);
    expect(parseOptions(['--classes', 'neg', '--classes', 'pos'], commandFlags('label'))).toEqual({ classes: 'neg,pos' });
  });

  it('refuses a list with an item twice (a class name, a threshold, an interval kind)', () => {
    expect(() => parseOptionText('classes', 'positive,positive', 'evaluate')).toThrow(
      '--classes: expected at least 2 names, comma-separated, each once, got "positive,positive"',
    );
    expect(() => parseOptionText('thresholds', '500,5,5', 'report')).toThrow(
      '--thresholds: expected integers ≥ 1, comma-separated, each once',
    );
    expect(() => checkOption('interval', ['anytime', 'anytime'], 'simulate')).toThrow(/interval: expected .*, each once/);
    expect(parseOptionText('thresholds', '5,500', 'report')).toEqual([5, 500]);
  });

  it('offers on the command line only what command-line text can give', () => {
    expect(() => parseOptionText('defensive', '1.5', 'simulate')).toThrow('--defensive: expected a number in [0, 1], got "1.5"');
    // The clip's range and its rule (above 0) say the same fraction, NaN included.
    expect(() => parseOptionText('clip', '1', 'simulate')).toThrow('--clip: expected a clip fraction in (0, 1), got "1"');
    expect(() => checkOption('clip', Number.NaN, 'session')).toThrow('clip: expected a clip fraction in (0, 1), got NaN');
    expect(() => checkOption('defensive', 1.5, 'simulate')).toThrow('defensive: expected a number in [0, 1], or null, got 1.5');
    expect(() => parseOptionText('temperature', '-1', 'simulate')).toThrow('--temperature: expected a finite number > 0, got "-1"');
    expect(() => parseOptionText('seed', '-1', 'simulate')).toThrow('--seed: expected an integer ≥ 0, got "-1"');
    expect(() => checkOption('seed', -1, 'simulate')).toThrow('seed: expected an integer ≥ 0 or a non-empty string, got -1');
  });

  it('an experiment grid accepts every schema key at its level and refuses others with a suggestion', () => {
    const base = { modelScores: 'f.npy', labels: 'y.npy', surrogates: { g: 'g.npy' } };
    for (const d of cliOptionsIn('grid').filter((o) => o.value.kind !== 'input')) {
      const config = resolveExperimentConfig({ ...base, [d.name]: sampleJson(d, 'grid'), settings: [{ acquisition: 'iid' }] }, '/tmp');
      expect(config).toHaveProperty(d.name, sampleJson(d, 'grid'));
    }
    for (const d of cliOptionsIn('setting')) {
      const setting = { acquisition: 'surrogate-ce', [d.name]: sampleJson(d, 'setting') };
      expect(() => resolveExperimentConfig({ ...base, settings: [setting] }, '/tmp')).not.toThrow();
    }
    expect(() => resolveExperimentConfig({ ...base, rusn: 10, settings: [{ acquisition: 'iid' }] }, '/tmp')).toThrow(
      /^rusn: expected a known option, did you mean runs\?/,
    );
    expect(() => resolveExperimentConfig({ ...base, settings: [{ acquisition: 'surrogate-ce', clipPercentage: 0.2 }] }, '/tmp')).toThrow(
      /^settings\[0\]\.clipPercentage: expected a known option, did you mean clip\?/,
    );
    expect(() => resolveExperimentConfig({ ...base, loss: 'ce', settings: [{ acquisition: 'iid' }] }, '/tmp')).toThrow(
      /^loss: .*did you mean cross-entropy\?/,
    );
    expect(resolveExperimentConfig({ ...base, settings: [{ acquisition: 'iid' }] }, '/tmp').loss).toBe('cross-entropy');
  });

  it('uses the TS names as grid keys: the same names as simulate, minus the data and callbacks', () => {
    expect(optionNames('grid')).toEqual(
      ['modelScores', 'loss', 'labels', 'runs', 'size', 'step', 'seed', 'bootstrap', 'numerics', 'interval'].sort(
        (a, b) => optionNames('grid').indexOf(a) - optionNames('grid').indexOf(b),
      ),
    );
    expect(optionNames('setting')).toEqual(['acquisition', 'estimator', 'clip', 'temperature', 'defensive']);
  });
});

describe('strict command-line numbers', () => {
  it.each([
    ['runs', '0x10'],
    ['runs', ' 5'],
    ['runs', '5 '],
    ['runs', '1e3'],
    ['runs', '1.0'],
    ['runs', ''],
    ['runs', '0'],
    ['clip', '0x1'],
    ['clip', 'Infinity'],
    ['clip', ''],
    ['clip', '1'],
    ['seed', '-1'],
    ['bootstrap', '0'],
    ['bootstrap', '1e2'],
  ])('refuses --%s "%s" with a one-line usage error naming the flag', (name, text) => {
    expect(() => parseOptionText(name, text, 'simulate')).toThrow(UsageError);
    expect(() => parseOptionText(name, text, 'simulate')).toThrow(new RegExp(`^--${name}: expected [^\\n]*$`));
  });

  it('accepts decimal integers and decimal numbers', () => {
    expect(parseOptionText('runs', '16', 'simulate')).toBe(16);
    expect(parseOptionText('clip', '.05', 'simulate')).toBe(0.05);
    expect(parseOptionText('clip', '5e-2', 'simulate')).toBe(0.05);
    expect(parseOptionText('bootstrap', '200', 'simulate')).toBe(200);
    expect(parseOptionText('loss', 'zero-one', 'simulate')).toBe('zero-one');
  });

  it('refuses every bad --bootstrap in the words of its help, a word or a number alike', () => {
    for (const text of ['abc', '0', '-3']) {
      expect(() => parseOptionText('bootstrap', text, 'simulate')).toThrow(
        new UsageError(`--bootstrap: expected exact, none or a number of resamples ≥ 1, got "${text}"`),
      );
    }
  });

  it('suggests iid for random labelling by the words the reports use for it, in a grid and on the command line', () => {
    const valid = 'iid | true-loss | self-entropy | surrogate-ce | surrogate-pe | surrogate-nll | surrogate-m2 | adaptive';
    expect(() => parseOptionText('acquisition', 'random', 'simulate')).toThrow(
      `--acquisition: expected one of ${valid} (did you mean iid?), got "random"`,
    );
    expect(() =>
      resolveExperimentConfig({ modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'uniform' }] }, '/tmp'),
    ).toThrow(`settings[0].acquisition: expected one of ${valid} (did you mean iid?), got "uniform"`);
  });

  it('suggests the choice a value is the start of, on the command line and in the library alike', async () => {
    expect(() => parseOptionText('numerics', 'ref', 'simulate')).toThrow(
      new UsageError('--numerics: expected one of default | reference (did you mean reference?), got "ref"'),
    );
    expect(() => parseOptionText('interval', 'anytime,fix', 'simulate')).toThrow(/\(did you mean fixed\?\), got "fix"/);
    // `ad` is 2 edits from `iid`, but the start of `adaptive` alone.
    expect(() => checkOption('acquisition', 'ad', 'simulate')).toThrow(/\(did you mean adaptive\?\), got "ad"$/);
    expect(() => checkOption('numerics', 'REF', 'grid')).toThrow(/\(did you mean reference\?\)/);
    const sessionOptions = {
      texts: ['a', 'b'],
      classes: ['x', 'y'],
      modelScores: [
        [1, 0],
        [0, 1],
      ],
    };
    await expect(ActiveTestingSession.create(null, { ...sessionOptions, loss: 'zero' } as never)).rejects.toThrow(
      /^loss: expected one of cross-entropy \| zero-one \| brier \(did you mean zero-one\?\), or a custom loss/,
    );
    // Only suggested: the start of a choice is not taken for it.
    expect(() => checkOption('estimator', 'lu', 'simulate')).toThrow(/\(did you mean lure\?\), got "lu"$/);
    // The start of several choices names none of them.
    expect(() => checkOption('acquisition', 'su', 'simulate')).toThrow(/adaptive, got "su"$/);
    expect(closestChoice('su', ['surrogate-ce', 'surrogate-pe'])).toBeUndefined();
  });

  it('refuses --loss ce with a suggestion', () => {
    expect(() => parseOptionText('loss', 'ce', 'simulate')).toThrow(
      '--loss: expected one of cross-entropy | zero-one | brier (did you mean cross-entropy?), got "ce"',
    );
  });
});

describe('unknown keys in options objects', () => {
  const pool = {
    modelScores: [
      [2, 0],
      [0, 1],
      [1, 1],
    ],
    labels: [0, 1, 1],
  };

  it('simulate refuses { clipPercentage } and honours { clip }', async () => {
    await expect(simulate(pool, { clipPercentage: 0.2 } as never)).rejects.toThrow(
      /^clipPercentage: expected a known option, did you mean clip\?/,
    );
    await expect(simulate(pool, { rnus: 2 } as never)).rejects.toThrow(/did you mean runs\?/);
    const result = await simulate(pool, { acquisition: 'self-entropy', clip: 0.2, runs: 2, size: 2, threads: 1 });
    expect(result.options.clip).toBe(0.2);
    // Random labelling (the default without surrogate scores) ignores it, and says so.
    expect((await simulate(pool, { clip: 0.2, runs: 2, size: 2, threads: 1 })).options).toMatchObject({ acquisition: 'iid', clip: 0 });
  });

  it('a session refuses { targetScores } with a suggestion, and takes modelScores', async () => {
    const options: CreateSessionOptions = { texts: ['a', 'b', 'c'], classes: ['x', 'y'], modelScores: pool.modelScores };
    await expect(ActiveTestingSession.create(null, { ...options, targetScores: pool.modelScores } as never)).rejects.toThrow(
      /^targetScores: expected a known option, did you mean modelScores\?/,
    );
    await expect(ActiveTestingSession.create(null, { ...options, clp: 0.2 } as never)).rejects.toThrow(/did you mean clip\?/);
    const session = await ActiveTestingSession.create(null, { ...options, acquisition: 'self-entropy', clip: 0.2 });
    expect(session.settings.clip).toBe(0.2);
    const random = await ActiveTestingSession.create(null, { ...options, clip: 0.2 });
    expect(random.settings).toMatchObject({ acquisition: 'iid', clip: 0 });
  });

  it('lists the valid names after an unknown one that suggests nothing, with no dangling comma', async () => {
    await expect(simulate(pool, { verbose: true } as never)).rejects.toThrow(/^verbose: expected a known option \(valid: acquisition, /);
    expect(() =>
      resolveExperimentConfig({ modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'iid', verbose: true }] }, '/tmp'),
    ).toThrow(/^settings\[0\]\.verbose: expected a known option \(valid: acquisition, /);
  });
});

describe('registries and the shared proposal rules', () => {
  it('lists every acquisition of the engine once', () => {
    expect(new Set(ACQUISITION_NAMES)).toEqual(new Set([...ACQUISITION_FUNCTIONS, ...PROPOSAL_ACQUISITIONS]));
    expect(ACQUISITION_NAMES).toHaveLength(ACQUISITION_FUNCTIONS.length + PROPOSAL_ACQUISITIONS.length);
    expect(Object.keys(LOSSES)).toEqual(BUILTIN_LOSS_NAMES);
    // Sessions have no labels, so the oracle-style acquisitions are simulation-only.
    expect(acquisitionsFor('session')).toEqual(ACQUISITION_NAMES.filter((name) => !ACQUISITIONS[name].needsLabels));
  });

  const request = {
    loss: 'cross-entropy',
    defensive: null,
    numerics: 'default',
    temperature: null,
    calibration: false,
    hasSurrogate: true,
    hasTarget: true,
    comparison: false,
  } as const;

  it('defaults as simulate and sessions always did', () => {
    expect(resolveProposal(request, 'simulate')).toEqual({ acquisition: 'adaptive', estimator: 'lure' });
    expect(resolveProposal({ ...request, loss: 'zero-one' }, 'simulate').acquisition).toBe('surrogate-ce');
    expect(resolveProposal({ ...request, defensive: 0.2 }, 'session').acquisition).toBe('surrogate-ce');
    expect(resolveProposal({ ...request, comparison: true }, 'session').acquisition).toBe('surrogate-ce');
    expect(resolveProposal({ ...request, hasTarget: false }, 'session').acquisition).toBe('surrogate-pe');
    expect(resolveProposal({ ...request, hasSurrogate: false }, 'simulate')).toEqual({ acquisition: 'iid', estimator: 'iid' });
  });

  it('refuses self-entropy with a surrogate calibration set in simulate and in sessions alike', async () => {
    const calibration = {
      scores: [
        [1, 0],
        [0, 1],
      ],
      labels: [0, 1],
    };
    expect(() => resolveSimulationOptions({ acquisition: 'self-entropy', calibration }, 3, true)).toThrow(
      /^calibration: expected a surrogate acquisition/,
    );
    const options: CreateSessionOptions = {
      texts: ['a', 'b', 'c'],
      classes: ['x', 'y'],
      modelScores: [
        [2, 0],
        [0, 1],
        [1, 1],
      ],
      acquisition: 'self-entropy',
      calibration,
    };
    await expect(ActiveTestingSession.create(null, options)).rejects.toThrow(/^calibration: expected a surrogate acquisition/);
  });

  it('refuses a calibration set that nothing would read (iid, true-loss, or no surrogate at all) before fitting it', async () => {
    const calibration = { scores: [[1, 0]], labels: [7] }; // a fit would refuse label 7 (K = 2): the rule comes first
    for (const [acquisition, hasSurrogate, named] of [
      ['iid', true, 'iid'],
      ['true-loss', true, 'true-loss'],
      [undefined, false, 'iid, the default without surrogate scores,'],
    ] as const) {
      expect(() => resolveSimulationOptions({ acquisition, calibration }, 3, hasSurrogate, 2)).toThrow(
        `calibration: expected a surrogate acquisition (${named} reads no model's probabilities), got "${acquisition ?? 'iid'}"`,
      );
    }
    const session: CreateSessionOptions = {
      texts: ['a', 'b'],
      classes: ['x', 'y'],
      modelScores: [
        [2, 0],
        [0, 1],
      ],
      acquisition: 'iid',
      calibration,
    };
    await expect(ActiveTestingSession.create(null, session)).rejects.toThrow(
      /^calibration: expected a surrogate acquisition \(iid reads no model's probabilities\)/,
    );
    // A scalar temperature stays ignored by iid, as its help says.
    expect(resolveSimulationOptions({ acquisition: 'iid', temperature: 2 }, 3, false).acquisition).toBe('iid');
  });

  it('refuses a defensive weight where the registry says the acquisition takes none, everywhere', () => {
    expect(() => resolveSimulationOptions({ acquisition: 'adaptive', defensive: 0.2 }, 3, true)).toThrow(InputError);
    expect(() => resolveSimulationOptions({ acquisition: 'iid', defensive: 0.2 }, 3, true)).toThrow(
      /^defensive: expected no defensive weight with iid acquisition, got 0\.2$/,
    );
    // iid that no one asked for says why it is the proposal.
    expect(() => resolveSimulationOptions({ defensive: 0.2 }, 3, false)).toThrow(
      "defensive: expected no defensive weight with iid acquisition, the default without surrogateScores (give them to mix a surrogate's proposal with uniform), got 0.2",
    );
    expect(() => resolveProposal({ ...request, acquisition: 'adaptive', defensive: 0.2 }, 'setting', (n) => `settings[0].${n}`)).toThrow(
      /^settings\[0\]\.defensive/,
    );
  });

  it('names the valid acquisitions of each place, with a suggestion', () => {
    expect(() => checkOption('acquisition', 'surogate-ce', 'session')).toThrow(/did you mean surrogate-ce\?/);
    expect(() => checkOption('acquisition', 'true-loss', 'session')).toThrow(/^acquisition: expected one of iid \| self-entropy/);
    expect(checkOption('acquisition', 'true-loss', 'simulate')).toBe('true-loss');
  });

  // Read among the proposals (iid, surrogate-ce, …, defensive), `defensive` was given as one and
  // refused with the list of acquisitions alone, which does not say where the mixture is asked for.
  it('says that a defensive mixture is an option, not an acquisition, in each place', async () => {
    const hint = (option: string) =>
      `(a defensive mixture is not an acquisition: give ${option} λ in [0, 1] with a fixed one, e.g. surrogate-ce)`;
    expect(() => parseOptionText('acquisition', 'defensive', 'simulate')).toThrow(
      new UsageError(
        `--acquisition: expected one of iid | true-loss | self-entropy | surrogate-ce | surrogate-pe | surrogate-nll | surrogate-m2 | adaptive ${hint('--defensive')}, got "defensive"`,
      ),
    );
    expect(() => resolveSimulationOptions({ acquisition: 'defensive' as never }, 3, true)).toThrow(
      `acquisition: expected one of iid | true-loss | self-entropy | surrogate-ce | surrogate-pe | surrogate-nll | surrogate-m2 | adaptive ${hint('defensive')}, got "defensive"`,
    );
    expect(() => resolveProposal({ ...request, acquisition: 'defensive' }, 'setting', (n) => `settings[0].${n}`)).toThrow(
      `settings[0].acquisition: expected one of iid | true-loss | self-entropy | surrogate-ce | surrogate-pe | surrogate-nll | surrogate-m2 | adaptive ${hint('settings[0].defensive')}, got "defensive"`,
    );
    const scores = { data: Float64Array.of(1, 0, 0, 1, 2, 0), rows: 3, cols: 2 };
    const session = { texts: ['a', 'b', 'c'], classes: ['x', 'y'], modelScores: scores, surrogateScores: scores };
    await expect(ActiveTestingSession.create(null, { ...session, acquisition: 'defensive' as never })).rejects.toThrow(
      `acquisition: expected one of iid | self-entropy | surrogate-ce | surrogate-pe | surrogate-m2 | adaptive ${hint('defensive')}, got "defensive"`,
    );
  });
});

describe('suggestions', () => {
  it('edit distance and the closest name', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closestName('rnus', ['runs', 'size'])).toBe('runs');
    expect(closestName('pe', ['surrogate-pe', 'predictive-entropy'])).toBe('predictive-entropy');
    expect(closestName('zzzzzz', ['runs', 'size'])).toBeUndefined();
  });

  it('a name inside a valid one is suggested only as whole words of it', () => {
    const evaluateKeys = ['model', 'data', 'classes', 'requestTimeout', 'maxRetries', 'iclExamples'];
    expect(closestName('timeout', evaluateKeys)).toBe('requestTimeout');
    expect(closestName('retries', evaluateKeys)).toBe('maxRetries');
    expect(closestName('request-timeout', evaluateKeys)).toBe('requestTimeout');
    // Letters inside a word are no likely misspelling: `out` is not `requestTimeout`.
    expect(closestName('out', evaluateKeys)).toBeUndefined();
    expect(closestName('output', evaluateKeys)).toBeUndefined();
    expect(closestName('quest', evaluateKeys)).toBeUndefined();
  });

  it('a valid name inside a longer one is suggested only as its first words: words before it make it another thing', () => {
    // `plannedLabels` (a session's) given to a grid is not the grid's pool labels file.
    expect(closestName('plannedLabels', optionNames('grid'))).toBeUndefined();
    expect(closestName('maxClip', optionNames('setting'))).toBeUndefined();
    expect(closestName('iclBudgetLabels', ['labels', 'runs'])).toBeUndefined();
    // Words after a name say what form it takes.
    expect(closestName('labelsFile', optionNames('grid'))).toBe('labels');
    expect(closestName('export-file', ['export', 'import'])).toBe('export');
    // Valid names of several words (a flag, a class name) are compared word by word too.
    expect(closestName('allowed-host-names', ['allowed-host', 'host', 'port'])).toBe('allowed-host');
    expect(closestName('positive review text', ['positive', 'negative'])).toBe('positive');
    expect(closestName('labelsfile', optionNames('grid'))).toBeUndefined();
    // Where the option is, a misspelling of it is still named.
    expect(closestName('plannedLabel', optionNames('session'))).toBe('plannedLabels');
    expect(closestName('planned-labels', optionNames('session'))).toBe('plannedLabels');
  });
});

describe('docs/options.md', () => {
  it('documents every option and every acquisition under its one name', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../docs/options.md', import.meta.url), 'utf8');
    for (const d of OPTION_DECLARATIONS) {
      expect(doc).toContain(`\`${d.name}\``);
      if (d.metavar !== null) expect(doc).toContain(`\`${cliFlag(d.name)}\``);
    }
    for (const name of ACQUISITION_NAMES) expect(doc).toContain(`| \`${name}\` |`);
  });

  it('quotes the refusals of unknown names as they are given', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../docs/options.md', import.meta.url), 'utf8');
    // Each line of the page's ```text block: what is given → the message (`…` elides), then the exit code of a usage error.
    const lines = /```text\n([\s\S]*?)```/.exec(doc)![1]!.trim().split('\n');
    const pool = { modelScores: [[1, 0]], labels: [0] };
    const given: Record<string, () => unknown> = {
      'simulate(pool, { clipPercentage: 0.2 })': () => simulate(pool, { clipPercentage: 0.2 } as never),
      'active-testing simulate --clp 0.2 …': () => parseOptions(['--clp', '0.2'], commandFlags('simulate')),
      'active-testing simulate --loss ce …': () => commandValues(parseOptions(['--loss', 'ce'], commandFlags('simulate')), 'simulate'),
      'active-testing simulate --numerics ref …': () =>
        commandValues(parseOptions(['--numerics', 'ref'], commandFlags('simulate')), 'simulate'),
      '{ "settings": [{ "acquisition": "iid", "clp": 0.2 }] }': () =>
        resolveExperimentConfig({ modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'iid', clp: 0.2 }] }, '/tmp'),
    };
    expect(lines.map((line) => line.split(' → ')[0]!.trim())).toEqual(Object.keys(given));
    for (const line of lines) {
      const [input, said] = line.split(' → ').map((part) => part.trim()) as [string, string];
      const error = await Promise.resolve()
        .then(given[input])
        .then(
          () => null,
          (e: unknown) => e as Error,
        );
      expect(error, input).toBeInstanceOf(said.endsWith('(exit 2)') ? UsageError : InputError);
      let from = 0;
      for (const fragment of said.replace(/\(exit 2\)$/, '').split('…')) {
        const at = error!.message.indexOf(fragment.trim(), from);
        expect(at, `${input}: ${JSON.stringify(fragment.trim())} in ${JSON.stringify(error!.message)}`).toBeGreaterThanOrEqual(0);
        from = at + fragment.trim().length;
      }
    }
  });
});

describe('the schema covers what the resolvers return', () => {
  it('every resolved simulate option and session setting is a schema option (an undeclared one would be refused as unknown)', async () => {
    const resolved = resolveSimulationOptions(
      {
        calibration: {
          scores: [
            [1, 0],
            [0, 1],
          ],
          labels: [0, 1],
        },
      },
      10,
      true,
    );
    for (const key of Object.keys(resolved)) expect(optionNames('simulate')).toContain(key);
    const session = await ActiveTestingSession.create(null, {
      texts: ['a', 'b'],
      classes: ['x', 'y'],
      modelScores: [
        [1, 0],
        [0, 1],
      ],
    });
    const stored = Object.keys(session.settings).filter((key) => !['format', 'formatVersion'].includes(key));
    for (const key of stored) expect(optionNames('session')).toContain(key);
  });
});
