import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFormatError, InputError } from '../../src/errors.js';
import { loadExperimentConfig, resolveExperimentConfig, withPoolSize } from '../../src/experiment/config.js';
import { caught } from '../helpers/caught.js';

const base = '/data/grid';
const files = { modelScores: 'target.npy', labels: 'labels.npy' };

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('resolveExperimentConfig', () => {
  it("fills in simulate's defaults and resolves paths against the config's folder", () => {
    const config = resolveExperimentConfig(
      {
        ...files,
        surrogates: { icl: 'surrogate.npy' },
        settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }, { acquisition: 'self-entropy', temperature: 2 }],
      },
      base,
    );
    expect(config).toMatchObject({
      modelScores: '/data/grid/target.npy',
      labels: '/data/grid/labels.npy',
      runs: 1000,
      size: null,
      step: 1,
      seed: 0,
      bootstrap: 'exact',
      numerics: 'default',
      loss: 'cross-entropy',
      iclBudget: false,
      interval: [],
    });
    expect(config.settings).toEqual([
      {
        name: 'Random (i.i.d.)',
        folder: 'random-i.i.d.',
        acquisition: 'iid',
        estimator: 'iid',
        clip: 0,
        temperature: null,
        calibration: null,
        defensive: null,
        surrogate: null,
        surrogateScores: null,
        size: null,
        labelOffset: 0,
      },
      {
        name: 'surrogate-ce · LURE · clip 0.1',
        folder: 'surrogate-ce-lure-clip-0.1',
        acquisition: 'surrogate-ce',
        estimator: 'lure',
        clip: 0.1,
        temperature: null,
        calibration: null,
        defensive: null,
        surrogate: 'icl',
        surrogateScores: '/data/grid/surrogate.npy',
        size: null,
        labelOffset: 0,
      },
      {
        name: 'self-entropy · LURE · clip 0.1 · T 2',
        folder: 'self-entropy-lure-clip-0.1-t-2',
        acquisition: 'self-entropy',
        estimator: 'lure',
        clip: 0.1,
        temperature: 2,
        calibration: null,
        defensive: null,
        surrogate: null,
        surrogateScores: null,
        size: null,
        labelOffset: 0,
      },
    ]);
  });

  it('takes the proposals of docs/adaptive.md: adaptive, surrogate-m2 and a defensive weight', () => {
    const config = resolveExperimentConfig(
      {
        ...files,
        surrogates: { icl: 'surrogate.npy' },
        settings: [
          { acquisition: 'adaptive' },
          { acquisition: 'surrogate-m2', temperature: 2 },
          { acquisition: 'surrogate-ce', defensive: 0.5 },
        ],
      },
      base,
    );
    expect(config.settings.map((s) => [s.name, s.folder, s.acquisition, s.defensive, s.surrogate])).toEqual([
      ['adaptive · LURE · clip 0.1', 'adaptive-lure-clip-0.1', 'adaptive', null, 'icl'],
      ['surrogate-m2 · LURE · clip 0.1 · T 2', 'surrogate-m2-lure-clip-0.1-t-2', 'surrogate-m2', null, 'icl'],
      ['surrogate-ce · LURE · clip 0.1 · defensive 0.5', 'surrogate-ce-lure-clip-0.1-defensive-0.5', 'surrogate-ce', 0.5, 'icl'],
    ]);
    const bad = (setting: object) => resolveExperimentConfig({ ...files, surrogates: { icl: 'surrogate.npy' }, settings: [setting] }, base);
    expect(() => bad({ acquisition: 'adaptive', defensive: 0.5 })).toThrow(/settings\[0\]\.defensive/);
    expect(() => bad({ acquisition: 'surrogate-ce', defensive: 2 })).toThrow(/settings\[0\]\.defensive/);
    expect(() => bad({ acquisition: 'adaptive-ish' })).toThrow(/surrogate-m2 | adaptive \(did you mean adaptive\?\)/);
  });

  it('applies the ICL-budget rule: surrogate settings carry n labels, random labelling runs n longer', () => {
    const config = resolveExperimentConfig(
      {
        ...files,
        size: 300,
        iclBudget: true,
        surrogates: { icl40: { scores: 's40.npy', iclExamples: 40 }, icl10: { scores: 's10.npy', iclExamples: 10 } },
        settings: [
          { acquisition: 'iid' },
          { acquisition: 'surrogate-ce', surrogate: 'icl40' },
          { acquisition: 'surrogate-pe', surrogate: 'icl10' },
          { acquisition: 'self-entropy' },
        ],
      },
      base,
    );
    expect(config.settings.map((s) => [s.name, s.size, s.labelOffset])).toEqual([
      ['Random (i.i.d.)', 340, 0],
      ['surrogate-ce (icl40) · LURE · clip 0.1', 300, 40],
      ['surrogate-pe (icl10) · LURE · clip 0.1', 300, 10],
      ['self-entropy · LURE · clip 0.1', 300, 0],
    ]);
    const withoutRule = resolveExperimentConfig(
      {
        ...files,
        surrogates: { icl40: { scores: 's40.npy', iclExamples: 40 } },
        settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }],
      },
      base,
    );
    // A left-out size is simulate's min(400, N), known once the pool is read.
    expect(withoutRule.settings.map((s) => [s.size, s.labelOffset])).toEqual([
      [null, 0],
      [null, 0],
    ]);
    expect(withPoolSize(withoutRule, 20).settings.map((s) => s.size)).toEqual([20, 20]);
    expect(withPoolSize(withoutRule, 1000).settings.map((s) => s.size)).toEqual([400, 400]);
    const unsizedRule = resolveExperimentConfig(
      {
        ...files,
        iclBudget: true,
        surrogates: { icl40: { scores: 's40.npy', iclExamples: 40 } },
        settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }],
      },
      base,
    );
    // The pool holds random labelling's 40 more labels: min(400, N − 40), the same 400 on a pool of 440 or more.
    expect(withPoolSize(unsizedRule, 100).settings.map((s) => s.size)).toEqual([100, 60]);
    expect(withPoolSize(unsizedRule, 440).settings.map((s) => s.size)).toEqual([440, 400]);
    expect(withPoolSize(unsizedRule, 1000).settings.map((s) => s.size)).toEqual([440, 400]);
  });

  it("refuses a step that puts random labelling's rows off n + k labels under the ICL-budget rule", () => {
    const grid = (step: number) => ({
      ...files,
      size: 300,
      step,
      iclBudget: true,
      surrogates: { icl40: { scores: 's40.npy', iclExamples: 40 }, icl10: { scores: 's10.npy', iclExamples: 10 } },
      settings: [
        { acquisition: 'iid' },
        { acquisition: 'surrogate-ce', surrogate: 'icl40' },
        { acquisition: 'surrogate-ce', surrogate: 'icl10' },
      ],
    });
    // Rows hold k·step + 1 labels: with step 5, random labelling has rows at 41 + 5j and 11 + 5j.
    expect(resolveExperimentConfig(grid(5), base).settings.map((s) => s.labelOffset)).toEqual([0, 40, 10]);
    // With step 4 the icl10 setting's k + 10 labels never fall on one (11 + 4j is never 1 + 4i), so
    // every relative number of it would be empty.
    expect(inputError(() => resolveExperimentConfig(grid(4), base)).message).toBe(
      'step: expected a step dividing every ICL offset under iclBudget (settings[2] is charged 10 labels), so that random labelling has a row at each n + k labels, got 4',
    );
    expect(resolveExperimentConfig({ ...grid(4), iclBudget: false }, base).step).toBe(4);
  });

  it("names the options of a setting's refused interval in the reader's words", () => {
    const error = inputError(() =>
      resolveExperimentConfig({ ...files, interval: ['bootstrap'], bootstrap: 'none', settings: [{ acquisition: 'iid' }] }, base),
    );
    const flags = { option: (name: string) => `--${name}`, setting: (name: string, value: unknown) => `--${name} ${String(value)}` };
    expect(error.namedBy(flags)).toBe(
      `--interval: expected kinds that settings[0] ("Random (i.i.d.)") can give: a bootstrap variance for 'bootstrap' (not --bootstrap none), got "bootstrap"`,
    );
  });

  it('says what it got where a list or an object belongs', () => {
    const message = (grid: Record<string, unknown>) => inputError(() => resolveExperimentConfig({ ...files, ...grid }, base)).message;
    expect(message({ settings: { iid: { acquisition: 'iid' } } })).toBe(
      'settings: expected a non-empty list of acquisition settings, got an object',
    );
    expect(message({ settings: [] })).toBe('settings: expected a non-empty list of acquisition settings, got an empty list');
    expect(message({ settings: 'iid' })).toBe('settings: expected a non-empty list of acquisition settings, got "iid"');
    expect(message({})).toBe('settings: expected a non-empty list of acquisition settings');
    expect(message({ surrogates: ['s.npy'], settings: [{ acquisition: 'iid' }] })).toBe('surrogates: expected a JSON object, got a list');
    expect(message({ settings: [['iid']] })).toBe('settings[0]: expected a JSON object, got a list');
  });

  it('names the setting and field at fault', () => {
    expect(
      inputError(() => resolveExperimentConfig({ ...files, settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-xx' }] }, base))
        .argument,
    ).toBe('settings[1].acquisition');
    expect(inputError(() => resolveExperimentConfig({ ...files, settings: [{ acquisition: 'surrogate-ce' }] }, base)).message).toMatch(
      /settings\[0\]\.surrogate: expected a surrogate/,
    );
    expect(inputError(() => resolveExperimentConfig({ ...files, settings: [{ acquisition: 'true-loss', clip: 1 }] }, base)).argument).toBe(
      'settings[0].clip',
    );
    // Every item needs q > 0: clip 0 only with the paper's numerics, a negative clip never, refused
    // while the grid is read, before any scoring.
    const truthful = { ...files, settings: [{ acquisition: 'true-loss', clip: 0 }] };
    expect(inputError(() => resolveExperimentConfig(truthful, base)).message).toBe(
      "settings[0].clip: expected a clip fraction in (0, 1) (0 only under numerics: 'reference'): every item needs a proposal probability above 0, got 0",
    );
    expect(resolveExperimentConfig({ ...truthful, numerics: 'reference' }, base).settings[0].clip).toBe(0);
    expect(
      inputError(() =>
        resolveExperimentConfig({ ...files, numerics: 'reference', settings: [{ acquisition: 'true-loss', clip: -0.1 }] }, base),
      ).argument,
    ).toBe('settings[0].clip');
    // Random labelling ignores the clip, but a clip that simulate --clip would refuse is refused
    // here too rather than silently dropped.
    for (const clip of ['abc', -4, 1.5]) {
      expect(inputError(() => resolveExperimentConfig({ ...files, settings: [{ acquisition: 'iid', clip }] }, base)).message).toMatch(
        /^settings\[0\]\.clip: expected a clip fraction in \(0, 1\)/,
      );
    }
    expect(resolveExperimentConfig({ ...files, settings: [{ acquisition: 'iid', clip: 0.2 }] }, base).settings[0].clip).toBe(0);
    expect(inputError(() => resolveExperimentConfig({ ...files, settings: [{ acquisition: 'iid', surrogate: 'a' }] }, base)).argument).toBe(
      'settings[0].surrogate',
    );
    expect(
      inputError(() => resolveExperimentConfig({ ...files, settings: [{ acquisition: 'iid' }, { acquisition: 'iid' }] }, base)).argument,
    ).toBe('settings[1].name');
    expect(inputError(() => resolveExperimentConfig({ ...files, runs: 0, settings: [{ acquisition: 'iid' }] }, base)).argument).toBe(
      'runs',
    );
    expect(inputError(() => resolveExperimentConfig({ ...files, settings: [] }, base)).argument).toBe('settings');
    expect(inputError(() => resolveExperimentConfig({ labels: 'y.npy', settings: [{ acquisition: 'iid' }] }, base)).argument).toBe(
      'modelScores',
    );
    expect(
      inputError(() => resolveExperimentConfig({ ...files, bootstrap: 'lots', settings: [{ acquisition: 'iid' }] }, base)).argument,
    ).toBe('bootstrap');
    expect(inputError(() => resolveExperimentConfig({ ...files, run: 10, settings: [{ acquisition: 'iid' }] }, base)).argument).toBe('run');
    expect(inputError(() => resolveExperimentConfig({ ...files, settings: [{ acquisition: 'iid', temperatur: 2 }] }, base)).argument).toBe(
      'settings[0].temperatur',
    );
  });
});

describe('keys in the wrong place, and words for a key', () => {
  const grid = (extra: object, setting: object = {}) => ({
    ...files,
    ...extra,
    settings: [{ acquisition: 'iid' }, { acquisition: 'iid', name: 'b', ...setting }],
  });

  it('says where a key of elsewhere belongs: a setting, the top level, an evaluate step, the command line', () => {
    expect(() => resolveExperimentConfig(grid({ acquisition: 'iid' }), base)).toThrow(
      /^acquisition: expected a top-level grid key; it is a setting key: put it in settings\[\]$/,
    );
    expect(() => resolveExperimentConfig(grid({ threads: 1 }), base)).toThrow(
      /^threads: expected a top-level grid key; it is a command-line flag: experiment --threads$/,
    );
    expect(() => resolveExperimentConfig(grid({ model: 'models/x' }), base)).toThrow(
      'model: expected a top-level grid key; it is a key of an evaluate step: put it in one ("evaluate": { "<step>": { … } })',
    );
    expect(() => resolveExperimentConfig(grid({}, { runs: 10 }), base)).toThrow(
      /^settings\[1\]\.runs: expected a setting key; it is a top-level grid key: put it beside "settings", where it holds for every setting$/,
    );
  });

  it('suggests the option a word means before one it spells: budget is size, not the boolean iclBudget', () => {
    expect(() => resolveExperimentConfig(grid({ budget: 20 }), base)).toThrow(
      /^budget: expected a known option, did you mean size\? \(valid: /,
    );
  });

  it('says to add a top-level "surrogates" object when a setting names a surrogate and there is none', () => {
    expect(() => resolveExperimentConfig(grid({}, { acquisition: 'surrogate-ce', surrogate: 'icl' }), base)).toThrow(
      /^settings\[1\]\.surrogate: expected one of the surrogates, but none is given: add a top-level "surrogates" object \(\{ "<name>": \{ "scores": "…" \} \}\), got "icl"$/,
    );
  });
});

describe('settings of one name or one folder', () => {
  it('refuses a name used twice, naming the setting that has it first', () => {
    const error = inputError(() => resolveExperimentConfig({ ...files, settings: [{ acquisition: 'iid' }, { acquisition: 'iid' }] }, base));
    expect(error.message).toBe(
      'settings[1].name: expected a name not used by another setting (settings[0] has it; give one of them a "name"), got "Random (i.i.d.)"',
    );
  });

  it('refuses two names that make one folder, naming both and the folder', () => {
    const settings = [
      { acquisition: 'iid', name: 'A b' },
      { acquisition: 'self-entropy', name: 'a' },
      { acquisition: 'iid', name: 'a  B', clip: 0.2 },
    ];
    const error = inputError(() => resolveExperimentConfig({ ...files, settings }, base));
    expect(error.message).toBe(
      `settings[2].name: expected a name whose folder is not another setting's (settings[0], "A b", writes to the folder a-b), got "a  B"`,
    );
  });

  it('refuses a name whose folder is a demo’s comparison, which the experiment would then refuse to resume', () => {
    const error = inputError(() =>
      resolveExperimentConfig({ ...files, settings: [{ acquisition: 'iid', name: 'Comparison.json' }] }, base),
    );
    expect(error.message).toBe(
      'settings[0].name: expected a name whose folder is none of scores, report, experiment.json, comparison.json and the files of a simulate run (the experiment\'s evaluate steps, its default report, its manifest, a demo\'s comparison; summary.json, estimates.npy, …), got "Comparison.json"',
    );
  });
});

describe('settings of one result under two names', () => {
  it('refuses a setting whose options and scores an earlier one has, naming it', () => {
    const settings = [
      { acquisition: 'iid' },
      { acquisition: 'surrogate-ce' },
      { acquisition: 'surrogate-ce', estimator: 'lure', clip: 0.1, name: 'ce again' },
    ];
    const error = inputError(() => resolveExperimentConfig({ ...files, surrogates: { icl: 'surrogate.npy' }, settings }, base));
    expect(error.message).toBe(
      'settings[2]: expected a setting that differs from the others in an option its acquisition uses or its surrogate\'s scores (settings[1], "surrogate-ce · LURE · clip 0.1", has the same, with the same seed: its results would be computed twice), got "ce again" (its name)',
    );
  });

  it('refuses two iid settings that differ only in the clip, which iid does not use', () => {
    const settings = [{ acquisition: 'iid' }, { acquisition: 'iid', clip: 0.2, name: 'iid, clip 0.2' }];
    const error = inputError(() => resolveExperimentConfig({ ...files, settings }, base));
    expect(error.message).toMatch(
      /^settings\[1\]: expected a setting that differs from the others in an option its acquisition uses \(iid draws without the clip\) or its surrogate's scores \(settings\[0\], .*\), got "iid, clip 0\.2" \(its name\)$/,
    );
  });

  it('accepts settings that differ only in their surrogate, or in the labels charged for it under iclBudget', () => {
    const surrogates = { a: 'surrogate.npy', b: 'other.npy', shots: { scores: 'surrogate.npy', iclExamples: 10 } };
    const settings = [
      { acquisition: 'iid' },
      { acquisition: 'surrogate-ce', surrogate: 'a' },
      { acquisition: 'surrogate-ce', surrogate: 'b' },
      { acquisition: 'surrogate-ce', surrogate: 'shots' },
    ];
    const config = resolveExperimentConfig({ ...files, surrogates, iclBudget: true, settings }, base);
    expect(config.settings.map((s) => s.labelOffset)).toEqual([0, 0, 0, 10]);
  });
});

describe('a setting the reference numerics cannot run', () => {
  it('is refused when the grid is read, before any setting runs, naming the grid key and the setting', () => {
    const grid = { ...files, surrogates: { icl: 'surrogate.npy' }, numerics: 'reference' };
    for (const acquisition of ['adaptive', 'surrogate-m2']) {
      const error = inputError(() => resolveExperimentConfig({ ...grid, settings: [{ acquisition: 'iid' }, { acquisition }] }, base));
      expect(error.message).toBe(
        `numerics (with settings[1]): expected 'default' for acquisition ${acquisition} (the reference has no such proposal), got "reference"`,
      );
    }
    const defensive = inputError(() =>
      resolveExperimentConfig({ ...grid, settings: [{ acquisition: 'surrogate-ce', defensive: 0.2 }] }, base),
    );
    expect(defensive.message).toBe(`numerics (with settings[0]): expected 'default' with a defensive mixture, got "reference"`);
  });
});

describe('a setting name too long for a folder', () => {
  it('is refused naming the setting, not the output folder where making it would fail', () => {
    const name = `clip sweep ${'x'.repeat(250)}`;
    const error = inputError(() => resolveExperimentConfig({ ...files, settings: [{ acquisition: 'iid', name }] }, base));
    expect(error.argument).toBe('settings[0].name');
    expect(error.message).toMatch(
      /^settings\[0\]\.name: expected a name whose folder name has at most 255 characters, as file systems allow \(its folder would have 261\), got "clip sweep x+"…/,
    );
    const longest = { acquisition: 'iid', name: 'x'.repeat(255) };
    expect(resolveExperimentConfig({ ...files, settings: [longest] }, base).settings[0]?.folder).toBe('x'.repeat(255));
  });
});

describe('loadExperimentConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'at-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and resolves paths against its folder; bad JSON is a FileFormatError', () => {
    const path = join(dir, 'grid.json');
    writeFileSync(path, JSON.stringify({ ...files, runs: 10, settings: [{ acquisition: 'iid' }] }));
    expect(loadExperimentConfig(path)).toMatchObject({ modelScores: join(dir, 'target.npy'), runs: 10 });
    writeFileSync(path, '{ "settings": [');
    expect(() => loadExperimentConfig(path)).toThrow(FileFormatError);
    expect(() => loadExperimentConfig(join(dir, 'missing.json'))).toThrow(FileFormatError);
    // A failed read in the words every reader uses, not Node's message repeating the path.
    expect(() => loadExperimentConfig(join(dir, 'missing.json'))).toThrow(
      `${join(dir, 'missing.json')}: cannot read: no such file (ENOENT)`,
    );
    expect(() => loadExperimentConfig(dir)).toThrow(`${dir}: cannot read: a folder, not a file (EISDIR)`);
  });

  it('reads a file an editor saved as UTF-8 with a byte-order mark', () => {
    const path = join(dir, 'bom.json');
    writeFileSync(path, `\uFEFF${JSON.stringify({ ...files, runs: 10, settings: [{ acquisition: 'iid' }] })}`);
    expect(loadExperimentConfig(path)).toMatchObject({ modelScores: join(dir, 'target.npy'), runs: 10 });
  });

  it('refuses a key given twice, at any depth, naming its place: JSON.parse would keep the last alone', () => {
    const path = join(dir, 'twice.json');
    const grid = (body: string) => `{"modelScores": "target.npy", "labels": "labels.npy", ${body}}`;
    const cases: Array<[string, string]> = [
      [grid('"runs": 5, "runs": 7, "settings": [{"acquisition": "iid"}]'), 'runs'],
      [grid('"settings": [{"acquisition": "iid"}, {"acquisition": "surrogate-ce", "acquisition": "iid"}]'), 'settings[1].acquisition'],
      [
        grid('"surrogates": {"s": {"scores": "a.npy", "scores": "b.npy"}}, "settings": [{"acquisition": "surrogate-ce"}]'),
        'surrogates.s.scores',
      ],
      // Keys that are not plain names are quoted, so that a dotted key is not read as a nested one.
      [grid('"surrogates": {"a.b": {"c": 1, "c": 2}}, "settings": [{"acquisition": "iid"}]'), 'surrogates["a.b"].c'],
      [grid('"": 1, "": 2, "settings": [{"acquisition": "iid"}]'), '[""]'],
    ];
    for (const [text, place] of cases) {
      writeFileSync(path, text);
      expect(() => loadExperimentConfig(path)).toThrow(
        new FileFormatError(path, `${place} is given twice; keys must be unique (JSON.parse would keep the last)`),
      );
    }
    // The same key in two objects, and a key's name as a string value, are not repeats.
    writeFileSync(path, grid('"settings": [{"acquisition": "iid", "name": "runs"}, {"acquisition": "true-loss"}], "runs": 5'));
    expect(loadExperimentConfig(path)).toMatchObject({ runs: 5 });
  });

  it('says a YAML grid is not read, and refuses a file that is not UTF-8, naming the file', () => {
    const yaml = join(dir, 'grid.yaml');
    writeFileSync(yaml, 'modelScores: target.npy\nlabels: labels.npy\nsettings:\n  - acquisition: iid\n');
    expect(() => loadExperimentConfig(yaml)).toThrow(new RegExp(`^${yaml}: is not valid JSON \\(.*\\); a grid file is JSON, not YAML$`));
    const utf16 = join(dir, 'utf16.json');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"settings": []}', 'utf16le')]));
    expect(() => loadExperimentConfig(utf16)).toThrow(`${utf16}: is not UTF-8 text; expected a JSON grid file saved as UTF-8`);
  });

  it('suggests no grid key for a session option that contains one: plannedLabels is not labels', () => {
    expect(() => resolveExperimentConfig({ ...files, plannedLabels: 100, settings: [{ acquisition: 'iid' }] }, base)).toThrow(
      new InputError({
        argument: 'plannedLabels',
        expected:
          'a known option (valid: modelScores, labels, loss, runs, size, step, seed, bootstrap, numerics, interval, evaluate, surrogates, settings, iclBudget)',
      }),
    );
  });

  it("names the grid file first in a refusal of its contents: a user with several grids sees which one's key is wrong", async () => {
    const path = join(dir, 'several.json');
    writeFileSync(
      path,
      JSON.stringify({ ...files, settings: [{ acquisition: 'iid' }, { acquisition: 'iid', name: 'b' }, { acquisition: 'iid', loss: 3 }] }),
    );
    expect(() => loadExperimentConfig(path)).toThrow(
      new FileFormatError(
        path,
        'settings[2].loss: expected a setting key; it is a top-level grid key: put it beside "settings", where it holds for every setting',
      ),
    );
    writeFileSync(path, JSON.stringify({ ...files, runs: 0, settings: [{ acquisition: 'iid' }] }));
    expect(() => loadExperimentConfig(path)).toThrow(new RegExp(`^${path}: runs: expected an integer ≥ 1, got 0$`));
    // The key's own error is kept as the cause, with its argument.
    const { cause } = (await caught(() => loadExperimentConfig(path))) as FileFormatError;
    expect(cause).toBeInstanceOf(InputError);
    expect((cause as InputError).argument).toBe('runs');
  });
});
