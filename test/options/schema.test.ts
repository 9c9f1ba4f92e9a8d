import { describe, expect, it } from 'vitest';
import { PROPOSAL_ACQUISITIONS } from '../../src/acquisition/adaptive/index.js';
import { resolveSimulationOptions, simulate } from '../../src/simulate/simulate.js';
import { LABEL_FLAGS } from '../../src/cli/label.js';
import { parseOptions, schemaValues } from '../../src/cli/options.js';
import { SIMULATE_FLAGS } from '../../src/cli/simulate.js';
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
  closestName,
  editDistance,
  LOSS_NAMES,
  OPTION_DECLARATIONS,
  optionNames,
  parseOptionText,
  resolveProposal,
  type OptionDeclaration,
} from '../../src/options/index.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';

/** A valid command-line text for each option with a flag, by the kind of its value. */
function sampleText(d: OptionDeclaration): string {
  switch (d.value.kind) {
    case 'integer':
      return String(d.value.min + 1);
    case 'number':
    case 'temperature':
      return '0.5';
    case 'choice':
      return d.value.choices('simulate')[0]!;
    case 'bootstrap':
      return 'exact';
    case 'seed':
      return '7';
    case 'input':
      return 'file.npy';
  }
}

/** A valid JSON value for each grid option. */
function sampleJson(d: OptionDeclaration, context: 'grid' | 'setting'): unknown {
  switch (d.value.kind) {
    case 'integer':
      return d.value.min + 1;
    case 'number':
    case 'temperature':
      return 0.5;
    case 'choice':
      return d.value.choices(context)[context === 'setting' ? 3 : 0];
    case 'bootstrap':
      return 'none';
    case 'seed':
      return 7;
    case 'input':
      return 'file.npy';
  }
}

const commandFlags = [
  ['simulate', SIMULATE_FLAGS, ['calibration-scores', 'calibration-labels', 'interval', 'out', 'force', 'demo']],
  [
    'session',
    LABEL_FLAGS,
    [
      'session',
      'answers',
      'answer-column',
      'max-labels',
      'target-half-width',
      'min-labels',
      'data',
      'text-column',
      'id-column',
      'classes',
      'calibration-scores',
      'calibration-labels',
      'export',
      'import',
      'export-file',
      'import-file',
      'export-labels',
    ],
  ],
] as const;

describe('option schema: one declaration per option', () => {
  it('derives every CLI flag as the kebab-case of the TypeScript name', () => {
    expect(cliFlag('modelScores')).toBe('--model-scores');
    expect(cliFlag('surrogateScores')).toBe('--surrogate-scores');
    expect(cliFlag('clip')).toBe('--clip');
    for (const d of OPTION_DECLARATIONS) expect(cliFlag(d.name)).toMatch(/^--[a-z]+(-[a-z]+)*$/);
  });

  for (const [context, flags, own] of commandFlags) {
    it(`the ${context} command accepts exactly the schema's flags and its own`, () => {
      const fromSchema = cliOptionsIn(context).map((d) => cliFlag(d.name).slice(2));
      expect(new Set(Object.keys(flags))).toEqual(new Set([...fromSchema, ...own]));
      for (const d of cliOptionsIn(context)) {
        const argv = [cliFlag(d.name), sampleText(d)];
        const values = parseOptions(argv, flags);
        // Every schema flag parses to the TypeScript name with a checked value.
        expect(Object.keys(schemaValues(values, context))).toEqual([d.name]);
      }
      expect(() => parseOptions(['--clp', '0.2'], flags)).toThrow(UsageError);
      expect(() => parseOptions(['--clp', '0.2'], flags)).toThrow(/unknown option --clp: did you mean --clip\?/);
      expect(() => parseOptions(['--model-score=f.npy'], flags)).toThrow(/did you mean --model-scores\?/);
    });
  }

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
      /^config\.rusn: expected a known option, did you mean runs\?/,
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
      ['modelScores', 'loss', 'labels', 'runs', 'size', 'step', 'seed', 'bootstrap', 'numerics'].sort(
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
    const result = await simulate(pool, { clip: 0.2, runs: 2, size: 2, threads: 1 });
    expect(result.options.clip).toBe(0.2);
  });

  it('a session refuses { targetScores } with a suggestion, and takes modelScores', async () => {
    const options: CreateSessionOptions = { texts: ['a', 'b', 'c'], classes: ['x', 'y'], modelScores: pool.modelScores };
    await expect(ActiveTestingSession.create(null, { ...options, targetScores: pool.modelScores } as never)).rejects.toThrow(
      /^targetScores: expected a known option, did you mean modelScores\?/,
    );
    await expect(ActiveTestingSession.create(null, { ...options, clp: 0.2 } as never)).rejects.toThrow(/did you mean clip\?/);
    const session = await ActiveTestingSession.create(null, { ...options, clip: 0.2 });
    expect(session.settings.clip).toBe(0.2);
  });
});

describe('registries and the shared proposal rules', () => {
  it('lists every acquisition of the engine once', () => {
    expect(new Set(ACQUISITION_NAMES)).toEqual(new Set([...ACQUISITION_FUNCTIONS, ...PROPOSAL_ACQUISITIONS]));
    expect(ACQUISITION_NAMES).toHaveLength(ACQUISITION_FUNCTIONS.length + PROPOSAL_ACQUISITIONS.length);
    expect(LOSS_NAMES).toEqual(BUILTIN_LOSS_NAMES);
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

  it('refuses a defensive weight where the registry says the acquisition takes none, everywhere', () => {
    expect(() => resolveSimulationOptions({ acquisition: 'adaptive', defensive: 0.2 }, 3, true)).toThrow(InputError);
    expect(() => resolveSimulationOptions({ acquisition: 'iid', defensive: 0.2 }, 3, true)).toThrow(
      /^defensive: expected no defensive weight with iid/,
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
});

describe('suggestions', () => {
  it('edit distance and the closest name', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closestName('rnus', ['runs', 'size'])).toBe('runs');
    expect(closestName('pe', ['surrogate-pe', 'predictive-entropy'])).toBe('predictive-entropy');
    expect(closestName('zzzzzz', ['runs', 'size'])).toBeUndefined();
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
});

describe('--help from the schema', () => {
  it('lists every schema flag of simulate and label, in lines of at most 100 columns', async () => {
    const { simulateCommand } = await import('../../src/cli/simulate.js');
    const { labelCommand } = await import('../../src/cli/label.js');
    for (const [help, context] of [
      [simulateCommand.help, 'simulate'],
      [labelCommand.help, 'session'],
    ] as const) {
      for (const d of cliOptionsIn(context)) expect(help).toContain(`  ${cliFlag(d.name)} ${d.metavar}`);
      for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
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
