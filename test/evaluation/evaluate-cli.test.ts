import { describe, expect, it, vi, beforeAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { evaluateCommand } from '../../src/cli/evaluate.js';
import { describeFailure } from '../../src/cli/run.js';
import { evaluateToFolder, resolveEvaluateOptions, type EvaluateConfig, type EvaluateRun } from '../../src/index.js';
import { FileFormatError, OutputExistsError, UsageError } from '../../src/errors.js';
import { readNpy } from '../../src/io/npy.js';
import { runCliCaptured } from '../helpers/cli.js';
import { DATA_DIR, sharedAvailable } from '../helpers/shared.js';
import { TEST_MODELS, loadExpected, maxAbsDiff, modelDir } from '../model/fixtures.js';

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

function writeTsv(rows: Array<[string, string | number]>, header = 'sentence\tlabel'): string {
  const path = join(temp('at-cli-data-'), 'data.tsv');
  writeFileSync(path, [header, ...rows.map((r) => r.join('\t'))].join('\n') + '\n');
  return path;
}

async function evaluate(args: string[]): Promise<number> {
  return evaluateCommand.run(args);
}

beforeAll(() => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
});

describe.each(TEST_MODELS)('active-testing evaluate on %s', (name) => {
  const expected = loadExpected(name);
  const zeroShot = expected.cases.filter((c) => c.kind === 'zero_shot');

  it('writes the reference logits, labels and metadata', async () => {
    const data = writeTsv(expected.items.map((text, i) => [text, i % 2]));
    const out = join(temp('at-cli-out-'), 'run');
    const code = await evaluate([
      '--model',
      modelDir(name),
      '--data',
      data,
      '--classes',
      'negative,positive',
      '--instruction',
      expected.instruction,
      '--batch-size',
      '4',
      '--device',
      'auto',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    const scores = await readNpy(join(out, 'scores.npy'));
    expect(scores.shape).toEqual([zeroShot.length, 2]);
    expect(
      maxAbsDiff(
        scores.data as Float32Array,
        zeroShot.map((c) => c.label_logits),
      ),
    ).toBeLessThan(1e-4);
    const labels = await readNpy(join(out, 'labels.npy'));
    expect(labels.dtype).toBe('i4');
    expect(Array.from(labels.data as Int32Array)).toEqual([0, 1, 0, 1, 0, 1]);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta.first_prompt).toBe(zeroShot[0]!.prompt);
    expect(meta.label_token_ids).toEqual(zeroShot[0]!.label_token_ids);
    expect(meta.classes).toEqual(['negative', 'positive']);
    expect(meta.icl_rows).toEqual([]);
    // The device that ran, which `auto` resolves to (the CPU wherever CUDA's provider is not installed).
    expect(meta.run.device).toMatch(/^(cpu|cuda)$/);
    // What ran: the instruction is encoded once where the graph takes a key/value cache.
    expect(meta.run.prefix_cache).toBe(name !== 'tiny-gpt2-nocache');
    for (const key of ['accuracy', 'loss', 'timings', 'config', 'version']) expect(meta).toHaveProperty(key);
    expect(meta.n).toBe(zeroShot.length);
    // The help lists every key of meta.json, so a reader of the file finds each one explained.
    const listed = /meta\.json \(([^)]*)\)/.exec(evaluateCommand.help.replace(/\s+/g, ' '))?.[1]?.split(', ');
    expect(listed?.sort()).toEqual(Object.keys(meta).sort());
    expect(readdirSync(out).sort()).toEqual(['labels.npy', 'meta.json', 'scores.npy']);
  });
});

describe.skipIf(!sharedAvailable(join(DATA_DIR, 'sst2')))('active-testing evaluate with ICL on SST-2', () => {
  const sst2 = join(DATA_DIR, 'sst2/validation.tsv');
  const base = [
    '--model',
    modelDir('tiny-gpt2'),
    '--data',
    sst2,
    '--classes',
    'negative,positive',
    '--limit',
    '30',
    '--icl-examples',
    '6',
    '--icl-seed',
    '2',
  ];

  it('removes the shots from the pool, puts them in the prompt, and gives the same scores without the prefix cache', async () => {
    const out = join(temp('at-cli-out-'), 'icl');
    expect(await evaluate([...base, '--out', out])).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta.icl_rows).toHaveLength(6);
    expect(meta.n).toBe(24);
    const text = readFileSync(sst2, 'utf8')
      .split('\n')
      .slice(1, 31)
      .map((l) => l.split('\t')[0]);
    const shotsText = (meta.icl_rows as number[]).map((r) => `Sentence: '${text[r]}' \nLabel: `);
    let position = 0;
    for (const shot of shotsText) {
      const at = meta.first_prompt.indexOf(shot, position);
      expect(at).toBeGreaterThanOrEqual(position);
      position = at + shot.length;
    }
    const firstPoolRow = [...Array(30).keys()].find((i) => !meta.icl_rows.includes(i))!;
    expect(meta.first_prompt.endsWith(`Sentence: '${text[firstPoolRow]}' \nLabel:`)).toBe(true);
    const plain = join(temp('at-cli-out-'), 'plain');
    expect(await evaluate([...base, '--no-prefix-cache', '--out', plain])).toBe(0);
    const a = (await readNpy(join(out, 'scores.npy'))).data as Float32Array;
    const b = (await readNpy(join(plain, 'scores.npy'))).data as Float32Array;
    expect(
      maxAbsDiff(
        a,
        Array.from({ length: 24 }, (_, i) => [b[2 * i]!, b[2 * i + 1]!]),
      ),
    ).toBeLessThan(1e-4);
  });

  it('finds a finished run complete, refuses another configuration, and replaces it with --force', async () => {
    const out = join(temp('at-cli-out-'), 'again');
    const args = ['--model', modelDir('tiny-gpt2'), '--data', sst2, '--classes', 'negative,positive', '--limit', '8', '--out', out];
    expect(await evaluate(args)).toBe(0);
    const before = readFileSync(join(out, 'meta.json'), 'utf8');
    // No instruction and no shots: nothing comes before the query, so no prefix was cached.
    expect(JSON.parse(before).run.prefix_cache).toBe(false);
    expect(await evaluate(args)).toBe(0);
    expect(readFileSync(join(out, 'meta.json'), 'utf8')).toBe(before);
    await expect(evaluate([...args, '--answer-string', 'Answer'])).rejects.toThrow(OutputExistsError);
    expect(await evaluate([...args, '--answer-string', 'Answer', '--force'])).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')).first_prompt.endsWith('Answer:')).toBe(true);
  });
});

describe('active-testing evaluate on bad input leaves nothing behind', () => {
  const good = writeTsv([
    ['a fine film', 1],
    ['dull', 0],
  ]);
  const poolAsCsv = join(temp('at-cli-data-'), 'pool.csv');
  writeFileSync(poolAsCsv, 'label,sentence\n0,dull\n1,a fine film\n');
  const malformed = join(temp('at-cli-data-'), 'bad.tsv');
  writeFileSync(malformed, 'sentence\tlabel\nok\t1\nno tab here\n');
  const shotsWithOtherColumns = join(temp('at-cli-data-'), 'shots.tsv');
  writeFileSync(shotsWithOtherColumns, 'text\tlabel\na fine film\t1\n');
  const cases: Array<[string, string[], RegExp | (abstract new (...args: never[]) => Error)]> = [
    ['missing model folder', ['--model', join(modelDir('.'), 'missing-model')], /model: expected an existing model folder/],
    ['label not in the vocabulary', ['--classes', 'negative,日本'], /^--classes: expected label "日本".*unknown token/],
    ['a header and no rows', ['--data', writeTsv([])], /^--data: expected rows to score, got 0 rows in \/.*\/data\.tsv$/],
    [
      'every row taken as an ICL example',
      ['--icl-examples', '2'],
      /^--icl-examples: expected an integer in \[0, 1\] \(shots leave the pool, and at least one of the 2 rows of \/.*\/data\.tsv must be left to score\), got 2$/,
    ],
    [
      'every row that --limit kept taken as an ICL example',
      ['--icl-examples', '1', '--limit', '1'],
      /^--icl-examples: expected 0 \(shots leave the pool, and at least one of the 1 row that --limit 1 kept of \/.*\/data\.tsv must be left to score\), got 1$/,
    ],
    [
      'more ICL examples than rows',
      ['--icl-examples', '5'],
      /^--icl-examples: expected an integer in \[0, 1\] \(shots leave the pool, and at least one of the 2 rows of \/.*\/data\.tsv must be left to score\), got 5$/,
    ],
    [
      'a class name with a tab',
      ['--classes', 'nega\ttive,positive'],
      /^--classes \(row 0\): expected class names without tabs or line breaks \(one would split its line in the labels TSV that exportSessionLabels and --export-labels write\), got "nega\\ttive"$/,
    ],
    [
      'a class name with a line break',
      ['--classes', 'negative,posi\r\ntive'],
      /^--classes \(row 1\): expected class names without tabs .*, got "posi\\r\\ntive"$/,
    ],
    ['classes sharing a first token', ['--classes', 'negative,negatively'], /^--classes: expected labels with distinct first tokens/],
    [
      'empty text',
      [
        '--data',
        writeTsv([
          ['ok', 1],
          [' ', 0],
        ]),
      ],
      /data\.tsv: line 3, column "sentence": expected a non-empty text, got " "$/,
    ],
    ['malformed row', ['--data', malformed], FileFormatError],
    [
      'a prompt longer than the model takes',
      ['--instruction', 'film '.repeat(1100)],
      /^prompts \(row 0\): expected a prompt of at most 1024 tokens, the model's limit \(n_positions\)/,
    ],
    [
      'unknown column',
      ['--text-column', 'review'],
      /^--text-column: expected one of the columns "sentence", "label" of \/.*\/data\.tsv, got "review"$/,
    ],
    [
      'a column the --icl-data file lacks',
      ['--icl-examples', '1', '--icl-data', shotsWithOtherColumns],
      /^--text-column: expected one of the columns "text", "label" of \/.*\/shots\.tsv, got "sentence"$/,
    ],
    [
      'one column as text and label',
      ['--label-column', 'sentence'],
      /^--label-column: expected a column other than the text column, got "sentence"$/,
    ],
    [
      "a served model's option with a local model",
      ['--concurrency', '4'],
      /^--concurrency: expected only with a served model \(model openai:http:\/\/host:port\/v1#name\); a local or Hub model runs here, got 4$/,
    ],
    ['--request-timeout with a local model', ['--request-timeout', '30'], /^--request-timeout: expected only with a served model/],
    ['unknown label', ['--data', writeTsv([['ok', 'great']])], /line 2, column "label": expected a class id in \[0, 1\] or one of/],
    ['missing --classes', ['--classes', ''], UsageError],
    ['--icl-data without --icl-examples', ['--icl-data', good], /^--icl-data: expected in-context examples with it/],
    [
      '--icl-data the pool file itself',
      ['--icl-data', good, '--icl-examples', '1'],
      /^--icl-data: expected a file other than the data \(to take the shots from the pool itself, leave it out/,
    ],
    [
      "--icl-data the pool's rows in another order",
      [
        '--icl-data',
        writeTsv([
          ['dull', 0],
          ['a fine film', 1],
        ]),
        '--icl-examples',
        '1',
      ],
      /^--icl-data: expected a file other than the data .*, got .*data\.tsv, whose every row is a row of the data$/,
    ],
    ["--icl-data the pool's rows as CSV", ['--icl-data', poolAsCsv, '--icl-examples', '1'], /whose every row is a row of the data$/],
    [
      '--instruction and --instruction-file',
      ['--instruction', 'x', '--instruction-file', good],
      /^--instruction-file: expected no --instruction beside it: the instruction or its file$/,
    ],
  ];

  it.each(cases)('%s', async (_, override, error) => {
    const out = join(temp('at-cli-bad-'), 'out');
    const args = new Map<string, string>([
      ['--model', modelDir('tiny-gpt2')],
      ['--data', good],
      ['--classes', 'negative,positive'],
      ['--out', out],
    ]);
    for (let i = 0; i < override.length; i += 2) args.set(override[i]!, override[i + 1]!);
    if (error instanceof RegExp) {
      // As the command line prints it (library errors name their flag there).
      const failure = await evaluate([...args].flat()).then(
        () => undefined,
        (thrown: unknown) => describeFailure(thrown, 'evaluate'),
      );
      expect(failure?.message).toMatch(error);
    } else {
      await expect(evaluate([...args].flat())).rejects.toThrow(error);
    }
    expect(existsSync(out)).toBe(false);
  });
});

describe('evaluate from the library, under the option schema names', () => {
  it('resolves the options the command takes and writes the same scores', async () => {
    const data = writeTsv([
      ['a fine film', 1],
      ['dull', 0],
      ['great fun', 1],
      ['boring', 0],
      ['lovely', 1],
    ]);
    const flags = ['--model', modelDir('tiny-gpt2'), '--data', data, '--classes', 'negative,positive', '--icl-examples', '2'];
    const byCommand = join(temp('at-eval-lib-'), 'cli');
    expect(await evaluate([...flags, '--out', byCommand])).toBe(0);
    const options = { model: modelDir('tiny-gpt2'), data, classes: ['negative', 'positive'], iclExamples: 2 };
    const { config, run } = await resolveEvaluateOptions(options);
    const byLibrary = join(temp('at-eval-lib-'), 'library');
    const outcome = await evaluateToFolder(config, { ...run, out: byLibrary });
    expect(outcome.n).toBe(3);
    expect(readFileSync(join(byLibrary, 'scores.npy'))).toEqual(readFileSync(join(byCommand, 'scores.npy')));
    await expect(resolveEvaluateOptions({ ...options, iclExample: 2 } as typeof options)).rejects.toThrow(
      /iclExample: .*did you mean iclExamples\?/,
    );
  });

  it('refuses a configuration written by hand that the options would refuse, writing nothing', async () => {
    const data = writeTsv([
      ['a fine film', 1],
      ['dull', 0],
    ]);
    const { config, run } = await resolveEvaluateOptions({ model: modelDir('tiny-gpt2'), data, classes: ['negative', 'positive'] });
    const cases: Array<[Partial<EvaluateConfig>, Partial<EvaluateRun>, RegExp]> = [
      [{ icl_examples: -1 }, {}, /^icl_examples: expected an integer ≥ 0, got -1$/],
      [{ icl_seed: 0.5 }, {}, /^icl_seed: expected an integer ≥ 0, got 0\.5$/],
      [{ classes: ['negative'] }, {}, /^classes: expected at least 2 names/],
      [{ classes: undefined as unknown as string[] }, {}, /^classes: expected a value: it is required$/],
      [{ classes: ['negative', 'posi\ttive'] }, {}, /^classes \(row 1\): expected class names without tabs or line breaks/],
      [{ limit: 0 }, {}, /^limit: expected an integer ≥ 1, got 0$/],
      [{}, { batchSize: 0 }, /^batchSize: expected an integer ≥ 1, got 0$/],
      [{}, { device: 'gpu' as EvaluateRun['device'] }, /^device: expected one of cpu \| cuda \| auto/],
    ];
    for (const [configChange, runChange, error] of cases) {
      const out = join(temp('at-eval-lib-'), 'out');
      await expect(evaluateToFolder({ ...config, ...configChange }, { ...run, ...runChange, out })).rejects.toThrow(error);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('resolveEvaluateOptions reading --instruction-file', () => {
  it('reads a file saved on Windows (byte-order mark, CRLF line ends) as the instruction typed with LF', async () => {
    const path = join(temp('at-instruction-'), 'instruction.txt');
    writeFileSync(path, '\uFEFFClassify the sentence.\r\nRespond with one word.\r\n');
    const options = { model: modelDir('tiny-gpt2'), data: writeTsv([['good', 1]]), classes: ['negative', 'positive'] };
    const { config } = await resolveEvaluateOptions({ ...options, instructionFile: path });
    expect(config.instruction).toBe('Classify the sentence.\nRespond with one word.\n');
    writeFileSync(path, Buffer.from([0x43, 0xff, 0x0a]));
    // The file is named once, with the position of the bad byte, and the option named first.
    const invalid = await resolveEvaluateOptions({ ...options, instructionFile: path }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(FileFormatError);
    expect((invalid as FileFormatError).message).toMatch(/^instructionFile: \S*instruction\.txt: line 1, column 2: invalid UTF-8/);
    expect((invalid as FileFormatError).message.split(path)).toHaveLength(2);
    // On the command line the option is named by its flag.
    expect(describeFailure(invalid, 'evaluate').message).toMatch(
      /^--instruction-file: \S*instruction\.txt: line 1, column 2: invalid UTF-8/,
    );
    const absent = join(dirname(path), 'absent.txt');
    await expect(resolveEvaluateOptions({ ...options, instructionFile: absent })).rejects.toThrow(
      new FileFormatError(absent, 'cannot read: no such file (ENOENT)', 'instructionFile'),
    );
  });
});

describe('class names of several tokens', () => {
  it('counts each class name’s tokens after the prompt', async () => {
    const { Model } = await import('../../src/model/model.js');
    const { labelTokenCounts } = await import('../../src/index.js');
    const model = await Model.fromPretrained(modelDir('tiny-gpt2'));
    try {
      // The tiny tokenizers' vocabulary has "World" and "Sports" as words and spells the others out.
      expect(await labelTokenCounts(model.backend, "Sentence: 'fine' \nLabel:", ['World', 'Sports', 'Sci/Tech', 'unsubjective'])).toEqual([
        1, 1, 8, 12,
      ]);
    } finally {
      await model.dispose();
    }
  });

  it('warns that such a class is scored by its first token alone, records the counts, and warns again on a complete rerun', async () => {
    const data = writeTsv([
      ['a match', 1],
      ['a summit', 0],
    ]);
    const out = join(temp('at-cli-out-'), 'run');
    const args = ['--model', modelDir('tiny-gpt2'), '--data', data, '--classes', 'World,Sci/Tech', '--out', out];
    const warning =
      'warning: class "Sci/Tech" spans 8 tokens after the prompt: its score is the logit of its first token alone (a class name of one token is scored whole; docs/llm-scoring.md)';
    for (let run = 0; run < 2; run++) {
      const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        expect(await evaluate(args)).toBe(0);
        expect(errors.mock.calls.map((call) => call.join(' '))).toEqual([warning]);
      } finally {
        errors.mockRestore();
      }
    }
    expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')).label_token_counts).toEqual([1, 8]);
  });

  it('says nothing when every class is one token', async () => {
    const data = writeTsv([
      ['fine', 1],
      ['bad', 0],
    ]);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const out = join(temp('at-cli-out-'), 'run');
      expect(await evaluate(['--model', modelDir('tiny-gpt2'), '--data', data, '--classes', 'negative,positive', '--out', out])).toBe(0);
      expect(errors).not.toHaveBeenCalled();
      expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')).label_token_counts).toEqual([1, 1]);
    } finally {
      errors.mockRestore();
    }
  });
});

describe('active-testing evaluate --force on results it cannot read', () => {
  it('replaces an unreadable meta.json, which without --force is refused naming --force', async () => {
    const data = writeTsv(Array.from({ length: 6 }, (_, i) => [`a ${i % 2 === 0 ? 'fine' : 'dull'} film ${i}`, i % 2]));
    const out = join(temp('at-cli-out-'), 'torn');
    const args = ['evaluate', '--model', modelDir('tiny-gpt2'), '--data', data, '--classes', 'negative,positive', '--out', out];
    mkdirSync(out);
    writeFileSync(join(out, 'meta.json'), '{bad');
    const refused = await runCliCaptured(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/meta\.json: is not readable JSON \(.*\); pass --force to start fresh$/);
    const forced = await runCliCaptured([...args, '--force']);
    expect(forced.stderr).not.toMatch(/not readable JSON/);
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'))).toMatchObject({ n: 6, config: { classes: ['negative', 'positive'] } });
    expect((await readNpy(join(out, 'scores.npy'))).shape).toEqual([6, 2]);
  });
});

describe('active-testing evaluate on complete results with a file missing or cut short', () => {
  const data = writeTsv(Array.from({ length: 6 }, (_, i): [string, number] => [`the film was ${i % 2 ? 'good' : 'bad'} ${i}`, i % 2]));
  const args = (out: string) => ['--model', modelDir('tiny-gpt2'), '--data', data, '--classes', 'negative,positive', '--out', out];

  for (const [name, damage, reason] of [
    ['scores.npy', (path: string) => rmSync(path), 'cannot read: no such file \\(ENOENT\\)'],
    [
      'labels.npy',
      (path: string) => writeFileSync(path, readFileSync(path).subarray(0, -4)),
      'not a readable \\.npy file: expected 24 data bytes .*, found 20',
    ],
  ] as const) {
    it(`refuses them when ${name} is damaged, rather than saying they are complete; --force scores the data again`, async () => {
      const out = join(temp('at-cli-out-'), 'whole');
      expect(await evaluate(args(out))).toBe(0);
      const written = readFileSync(join(out, name));
      damage(join(out, name));
      const refused = await runCliCaptured(['evaluate', ...args(out)]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(
        new RegExp(
          `^active-testing evaluate: ${join(out, name)}: ${reason}; the results beside meta\\.json are not whole: pass --force to score the data again$`,
        ),
      );
      expect(await evaluate([...args(out), '--force'])).toBe(0);
      expect(readFileSync(join(out, name))).toEqual(written);
    });
  }
});
