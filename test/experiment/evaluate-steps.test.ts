import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { CancelledError, InputError, OutputExistsError } from '../../src/errors.js';
import { runEvaluateSteps, type EvaluateStep } from '../../src/experiment/evaluate-steps.js';
import { resolveExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment, type ExperimentEvent } from '../../src/experiment/experiment.js';
import { EXPERIMENT_MANIFEST, type ExperimentManifest } from '../../src/experiment/manifest.js';
import { readNpy } from '../../src/io/npy.js';
import { writeReviewTsv } from '../helpers/review-tsv.js';
import { startHubStandIn } from '../helpers/hub-stand-in.js';
import { checkEvaluationData } from '../../src/evaluation/evaluate.js';
import { resolveEvaluateOptions } from '../../src/evaluation/evaluate-options.js';
import { env } from '@huggingface/transformers';
import { runCliCaptured } from '../helpers/cli.js';
import { fakeModel, ScriptedServer } from '../openai/scripted-server.js';

const HUB_HOST = env.remoteHost;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const root = mkdtempSync(join(tmpdir(), 'at-evaluate-steps-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('evaluate steps in a grid', () => {
  it('stop when the experiment is interrupted, leaving no results', async () => {
    const dir = join(root, 'interrupted');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 40, 0);
    const step = { model: join(repo, 'test/models/tiny-gpt2'), data: join(dir, 'pool.tsv'), classes: 'negative,positive' };
    const controller = new AbortController();
    controller.abort();
    await expect(runEvaluateSteps(new Map([['target', step]]), dir, false, () => {}, controller.signal)).rejects.toThrow(CancelledError);
    expect(existsSync(join(dir, 'scores/target/scores.npy'))).toBe(false);
  });

  it('check every step before scoring the first, naming the step at fault', async () => {
    const dir = join(root, 'later-mistake');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 30, 0);
    const step = { model: join(repo, 'test/models/tiny-gpt2'), data: join(dir, 'pool.tsv'), classes: 'negative,positive' };
    const steps = new Map([
      ['target', step],
      ['broken', { ...step, model: join(dir, 'no-such-model') }],
    ]);
    await expect(runEvaluateSteps(steps, dir, false, () => {})).rejects.toThrow(
      /^evaluate\.broken\.model: expected an existing model folder/,
    );
    expect(existsSync(join(dir, 'scores/target'))).toBe(false);
  });

  it("check every step's data before scoring the first: labels, rows, and a size larger than the pool", async () => {
    const dir = join(root, 'later-data');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 12, 0);
    writeReviewTsv(join(dir, 'shots.tsv'), 4, 1000);
    writeFileSync(join(dir, 'neutral.tsv'), 'sentence\tlabel\nthe film was fine\tneutral\n');
    writeFileSync(join(dir, 'header.tsv'), 'sentence\tlabel\n');
    const model = join(repo, 'test/models/tiny-gpt2');
    const target = { model, data: join(dir, 'pool.tsv'), classes: 'negative,positive' };
    const steps = (later: Partial<EvaluateStep>) =>
      new Map<string, EvaluateStep>([
        ['target', target],
        ['later', { ...target, iclExamples: 2, iclData: join(dir, 'shots.tsv'), ...later }],
      ]);
    await expect(runEvaluateSteps(steps({ iclData: join(dir, 'neutral.tsv') }), dir, false, () => {})).rejects.toThrow(
      /neutral\.tsv: line 2, column "label": expected a class id in \[0, 1\] or one of "negative", "positive", got "neutral"$/,
    );
    await expect(runEvaluateSteps(steps({ data: join(dir, 'header.tsv') }), dir, false, () => {})).rejects.toThrow(
      /^evaluate\.later\.data: expected rows to score, got 0 rows in .*header\.tsv$/,
    );
    expect(existsSync(join(dir, 'scores/target'))).toBe(false);
    // The pool's 12 rows, known from the target step's data, cannot give 20 labels a run.
    const grid = resolveExperimentConfig(
      {
        evaluate: { target, later: { ...target, iclExamples: 2, iclData: join(dir, 'shots.tsv') } },
        modelScores: 'evaluate:target',
        labels: 'evaluate:target',
        surrogates: { later: 'evaluate:later' },
        runs: 4,
        size: 20,
        settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }],
      },
      dir,
    );
    await expect(runExperiment(grid, { out: join(dir, 'out'), threads: 1 })).rejects.toThrow(
      `size: expected at most the pool size 12 (the labels per run: the grid's "size"), got 20`,
    );
    expect(existsSync(join(dir, 'out/scores/target/scores.npy'))).toBe(false);
  });

  it('name the step at fault for bad input found while scoring, too', async () => {
    const dir = join(root, 'scoring-mistake');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 30, 0);
    const step = { model: join(repo, 'test/models/tiny-gpt2'), data: join(dir, 'pool.tsv') };
    const run = (broken: Record<string, unknown>) =>
      runEvaluateSteps(
        new Map([
          ['target', { ...step, classes: 'negative,positive' }],
          ['broken', { ...step, classes: 'negative,positive', ...broken }],
        ]),
        dir,
        false,
        () => {},
      );
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await expect(run({ classes: 'negative,negatively' })).rejects.toThrow(
      /^evaluate\.broken\.classes: expected labels with distinct first tokens, but "negative" and "negatively"/,
    );
    await expect(run({ textColumn: 'review' })).rejects.toThrow(/^evaluate\.broken\.textColumn: expected one of the columns/);
    await expect(run({ iclExamples: 500 })).rejects.toThrow(
      /^evaluate\.broken\.iclExamples: expected an integer in \[0, 29\] \(shots leave the pool, and at least one of the 30 rows of .*pool\.tsv must be left to score\), got 500$/,
    );
    expect(existsSync(join(dir, 'scores/broken'))).toBe(false);
  });

  it('refuse classes that share a first token before the first step scores, with the message of its turn', async () => {
    const dir = join(root, 'classes-up-front');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 30, 0);
    const step = { data: join(dir, 'pool.tsv'), classes: 'negative,positive' };
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    for (const model of ['tiny-gpt2', 'tiny-llama']) {
      const steps = new Map<string, EvaluateStep>([
        ['target', { ...step, model: join(repo, 'test/models', model) }],
        ['broken', { ...step, model: join(repo, 'test/models', model), classes: 'negative,negatively' }],
      ]);
      const started: string[] = [];
      await expect(runEvaluateSteps(steps, dir, false, (name) => started.push(name))).rejects.toThrow(
        /^evaluate\.broken\.classes: expected labels with distinct first tokens, but "negative" and "negatively" both map to token \d+, got \["negative", "negatively"\]$/,
      );
      expect(started).toEqual([]);
      expect(existsSync(join(dir, 'scores/target'))).toBe(false);
    }
  });

  it('refuse a Hub split the dataset viewer does not serve before scoring an earlier step, reading one row of it once', async () => {
    const dir = join(root, 'hub-split-up-front');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 30, 0);
    const target = { data: join(dir, 'pool.tsv'), classes: 'negative,positive', model: join(repo, 'test/models/tiny-gpt2') };
    const asked: string[] = [];
    const viewer = (status: number, body: unknown) =>
      vi.stubGlobal('fetch', (url: string) => {
        asked.push(new URL(url).searchParams.toString());
        return Promise.resolve(Response.json(body, { status }));
      });
    const started: string[] = [];
    const run = (steps: Array<[string, EvaluateStep]>, beforeScoring?: () => void) =>
      runEvaluateSteps(new Map(steps), dir, false, (name) => started.push(name), undefined, beforeScoring);
    try {
      viewer(404, { error: 'The split does not exist.' });
      await expect(
        run([
          ['target', target],
          ['later', { ...target, data: 'hub:org/reviews:default:tset' }],
        ]),
      ).rejects.toThrow(
        /^evaluate\.later\.data: the Hugging Face Hub answered 404 for https:\/\/datasets-server\.huggingface\.co\/rows\?dataset=org%2Freviews&config=default&split=tset&offset=0&length=1: "The split does not exist\."$/,
      );
      expect(asked).toEqual(['dataset=org%2Freviews&config=default&split=tset&offset=0&length=1']);
      expect(started).toEqual([]);
      await expect(
        run([
          ['target', target],
          ['later', { ...target, data: 'hub:' }],
        ]),
      ).rejects.toThrow(/^evaluate\.later\.data: hub:: expected hub:name\[:config\]\[:split\]$/);
      // Cancelled while the split is checked: a cancellation, as such.
      const cancel = new AbortController();
      cancel.abort();
      await expect(
        runEvaluateSteps(new Map([['later', { ...target, data: 'hub:org/reviews' }]]), dir, false, () => {}, cancel.signal),
      ).rejects.toThrow(CancelledError);
      expect(existsSync(join(dir, 'scores/target'))).toBe(false);
      // A split served is read once up front, however many steps and spellings name it.
      asked.length = 0;
      viewer(200, { features: [{ name: 'sentence' }, { name: 'label' }], rows: [{ row: { sentence: 'a', label: 'negative' } }] });
      const hub = { ...target, data: 'hub:org/reviews' };
      const stop = () => {
        throw new Error('checked');
      };
      await expect(
        run(
          [
            ['target', target],
            ['later', hub],
            ['again', { ...hub, data: 'hub:org/reviews:default:train' }],
          ],
          stop,
        ),
      ).rejects.toThrow('checked');
      expect(asked).toEqual(['dataset=org%2Freviews&config=default&split=train&offset=0&length=1']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("refuse a Hub model's classes up front from its tokenizer alone, and a Hub id the Hub does not have", async () => {
    const dir = join(root, 'hub-classes-up-front');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 30, 0);
    const target = { data: join(dir, 'pool.tsv'), classes: 'negative,positive', model: join(repo, 'test/models/tiny-gpt2') };
    const hub = await startHubStandIn({ 'busy-model': 503, 'limited-model': 429 });
    try {
      const started: string[] = [];
      const run = (later: Partial<EvaluateStep>) =>
        runEvaluateSteps(
          new Map<string, EvaluateStep>([
            ['target', target],
            ['later', { ...target, ...later }],
          ]),
          dir,
          false,
          (name) => started.push(name),
        );
      await expect(run({ model: 'test-org/tiny-llama', classes: 'negative,negatively' })).rejects.toThrow(
        /^evaluate\.later\.classes: expected labels with distinct first tokens, but "negative" and "negatively" both map to token \d+/,
      );
      // The tokenizer's files only: the weights are downloaded at the step's turn.
      expect(hub.requests.filter((r) => r.startsWith('GET /test-org/tiny-llama/'))).not.toEqual([]);
      expect(hub.requests.filter((r) => r.includes('onnx'))).toEqual([]);
      await expect(run({ model: 'test-org/no-such-model' })).rejects.toThrow(
        /^could not load model "test-org\/no-such-model": the Hub \(http:\/\/127\.0\.0\.1:\d+\/\) refused it: no such model, or a private or gated one/,
      );
      expect(started).toEqual([]);
      expect(existsSync(join(dir, 'scores/target'))).toBe(false);
      // A Hub failing for a while (503, 429) leaves the check to the step's turn.
      for (const model of ['test-org/busy-model', 'test-org/limited-model']) {
        const { config } = await resolveEvaluateOptions({ ...target, model, classes: 'negative,negatively' });
        expect(await checkEvaluationData(config)).toBe(30);
      }
    } finally {
      await hub.close();
    }
    // A Hub that cannot be reached leaves the check to the step's turn, which says so.
    // (An id not looked up before: transformers.js remembers a file's lookup for the process.)
    const { config } = await resolveEvaluateOptions({ ...target, model: 'test-org/unreachable', classes: 'negative,negatively' });
    env.remoteHost = 'http://127.0.0.1:4/';
    try {
      expect(await checkEvaluationData(config)).toBe(30);
    } finally {
      env.remoteHost = HUB_HOST;
    }
  });

  it('under force rescore a step only where its configuration changed', async () => {
    const dir = join(root, 'forced');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 30, 0);
    const step = { model: join(repo, 'test/models/tiny-gpt2'), data: join(dir, 'pool.tsv'), classes: 'negative,positive' };
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const meta = () => readFileSync(join(dir, 'scores/target/meta.json'), 'utf8');
    await runEvaluateSteps(new Map([['target', step]]), dir, false, () => {});
    const first = meta();
    // Unchanged: kept as it is (its timings included), even with force.
    await runEvaluateSteps(new Map([['target', step]]), dir, true, () => {});
    expect(meta()).toBe(first);
    // Changed: refused without force, rescored with it.
    const changed = new Map([['target', { ...step, limit: 20 }]]);
    await expect(runEvaluateSteps(changed, dir, false, () => {})).rejects.toThrow(OutputExistsError);
    // Named by the grid key the user wrote, not by evaluate's flag (--limit).
    await expect(runEvaluateSteps(changed, dir, false, () => {})).rejects.toThrow(
      /it holds results made with other settings or inputs \(changed: evaluate\.target\.limit \(recorded none, given 20\)\); pass force: true to start fresh$/,
    );
    await runEvaluateSteps(changed, dir, true, () => {});
    expect(JSON.parse(meta()).n).toBe(20);
  });

  it("under force replace a step's meta.json or checkpoint that cannot be read, which without force are refused", async () => {
    const dir = join(root, 'forced-unreadable');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 30, 0);
    const steps = new Map([
      ['target', { model: join(repo, 'test/models/tiny-gpt2'), data: join(dir, 'pool.tsv'), classes: 'negative,positive' }],
    ]);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const folder = join(dir, 'scores/target');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'meta.json'), '{bad');
    await expect(runEvaluateSteps(steps, dir, false, () => {})).rejects.toThrow(
      /meta\.json: is not readable JSON \(.*\); pass force: true to start fresh$/,
    );
    await runEvaluateSteps(steps, dir, true, () => {});
    expect(JSON.parse(readFileSync(join(folder, 'meta.json'), 'utf8')).n).toBe(30);
    // A checkpoint with scores whose configuration is not JSON, of a run killed before its meta.json.
    rmSync(folder, { recursive: true });
    mkdirSync(folder);
    writeFileSync(join(folder, '.evaluate.partial.json'), 'garbage\n');
    writeFileSync(join(folder, '.evaluate.partial.f32'), new Uint8Array(8));
    await expect(runEvaluateSteps(steps, dir, false, () => {})).rejects.toThrow(/unreadable checkpoint \(not JSON\)/);
    await runEvaluateSteps(steps, dir, true, () => {});
    expect(JSON.parse(readFileSync(join(folder, 'meta.json'), 'utf8')).n).toBe(30);
    expect(existsSync(join(folder, '.evaluate.partial.json'))).toBe(false);
  });

  it('resolves evaluate:<step> references and file options against the grid, and takes iclExamples from the step', () => {
    const config = resolveExperimentConfig(
      {
        evaluate: {
          target: { model: 'no/such/dir', data: 'hub:glue:sst2', classes: 'a,b' },
          // The pool's data, as the target's: steps paired on other data are refused.
          icl: { model: 'm', data: 'hub:glue:sst2', classes: 'a,b', iclExamples: 8, iclData: 'shots.tsv' },
          served: { model: 'openai:http://localhost:8000/v1#m', data: 'd', classes: 'a,b', instructionFile: 'say.txt' },
        },
        modelScores: 'evaluate:target',
        labels: 'evaluate:target',
        surrogates: { icl: 'evaluate:icl' },
        iclBudget: true,
        settings: [{ acquisition: 'surrogate-ce' }],
      },
      '/grids',
    );
    // A path by its shape is the grid's, present or not; a Hub id, hub: data and a served model are kept.
    expect(config.evaluate.target).toEqual({ model: '/grids/no/such/dir', data: 'hub:glue:sst2', classes: ['a', 'b'] });
    expect(config.evaluate.icl).toMatchObject({ model: 'm', data: 'hub:glue:sst2', iclData: '/grids/shots.tsv' });
    expect(config.evaluate.served).toMatchObject({
      model: 'openai:http://localhost:8000/v1#m',
      data: '/grids/d',
      instructionFile: '/grids/say.txt',
    });
    expect(config.settings[0]).toMatchObject({ surrogateScores: 'evaluate:icl', labelOffset: 8 });
    expect(() =>
      resolveExperimentConfig({ modelScores: 'evaluate:nope', labels: 'y.npy', settings: [{ acquisition: 'iid' }] }, '/grids'),
    ).toThrow(InputError);
    expect(() =>
      resolveExperimentConfig(
        { evaluate: { t: { out: 'x' } }, modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'iid' }] },
        '/grids',
      ),
    ).toThrow(/experiment sets it/);
  });

  it('refuses, before scoring, steps whose pools cannot line up: shots taken from the pool, or another limit', () => {
    const step = (extra: Record<string, unknown>) => ({ model: 'm', data: 'pool.tsv', classes: 'a,b', ...extra });
    const grid = (icl: Record<string, unknown>, target: Record<string, unknown> = {}) => ({
      evaluate: { target: step(target), icl: step(icl) },
      modelScores: 'evaluate:target',
      labels: 'evaluate:target',
      surrogates: { icl: 'evaluate:icl' },
      settings: [{ acquisition: 'surrogate-ce' }],
    });
    expect(() => resolveExperimentConfig(grid({ iclExamples: 50 }), '/grids')).toThrow(
      'evaluate.icl: expected the rows evaluate.target scores for modelScores (every row), so that surrogates.icl.scores lines up with them item by item; take the shots from another file (iclData), got "every row less 50 shots drawn with seed 0"',
    );
    expect(() => resolveExperimentConfig(grid({ limit: 100 }), '/grids')).toThrow(
      /^evaluate\.icl: expected the rows evaluate\.target scores for modelScores \(every row\).*; give the steps the same limit, got "the first 100 rows"$/,
    );
    // The same shots from the same pool leave the same rows; shots from another file leave them all.
    expect(() => resolveExperimentConfig(grid({ iclExamples: 4, iclSeed: 2 }, { iclExamples: 4, iclSeed: 2 }), '/grids')).not.toThrow();
    expect(() => resolveExperimentConfig(grid({ iclExamples: 4, iclSeed: 3 }, { iclExamples: 4, iclSeed: 2 }), '/grids')).toThrow(
      /seed 2\), so that .* got "every row less 4 shots drawn with seed 3"$/,
    );
    expect(() => resolveExperimentConfig(grid({ iclExamples: 50, iclData: 'shots.tsv' }), '/grids')).not.toThrow();
  });

  it('refuse, when the grid is read, paired steps whose classes differ in number or in order', () => {
    const grid = (iclClasses: string, heldoutClasses = 'negative,positive') => ({
      evaluate: {
        target: { model: 'm', data: 'pool.tsv', classes: 'negative,positive' },
        icl20: { model: 'm', data: 'pool.tsv', classes: iclClasses, iclExamples: 20, iclData: 'shots.tsv' },
        heldout: { model: 'm', data: 'heldout.tsv', classes: heldoutClasses, iclExamples: 20, iclData: 'shots.tsv' },
      },
      modelScores: 'evaluate:target',
      labels: 'evaluate:target',
      surrogates: { icl20: { scores: 'evaluate:icl20', calibration: { scores: 'evaluate:heldout', labels: 'evaluate:heldout' } } },
      settings: [{ acquisition: 'surrogate-ce' }],
    });
    // Column 0 of the surrogate's scores would mean "positive", the target's "negative".
    expect(() => resolveExperimentConfig(grid('positive,negative'), '/grids')).toThrow(
      'evaluate.icl20.classes: expected the classes of evaluate.target (negative,positive) in that order, so that the columns of surrogates.icl20.scores mean what those of modelScores do: a name at another position would swap them, got "positive,negative"',
    );
    // Names match labels in any case: swapped in another case is swapped all the same.
    expect(() => resolveExperimentConfig(grid('Positive,Negative'), '/grids')).toThrow(/^evaluate\.icl20\.classes: .* would swap them/);
    expect(() => resolveExperimentConfig(grid('negative,positive,neutral'), '/grids')).toThrow(
      'evaluate.icl20.classes: expected as many classes as evaluate.target (negative,positive), so that the columns of surrogates.icl20.scores mean what those of modelScores do, got "negative,positive,neutral"',
    );
    // Other words for the classes at the same positions (data labelled by class ids), or the same
    // names in another case, mean the same columns.
    expect(() => resolveExperimentConfig(grid('terrible,great'), '/grids')).not.toThrow();
    expect(() => resolveExperimentConfig(grid('Negative,Positive'), '/grids')).not.toThrow();
    // A calibration set's columns are read as the pool's too.
    expect(() => resolveExperimentConfig(grid('negative,positive', 'positive,negative'), '/grids')).toThrow(
      /^evaluate\.heldout\.classes: .* so that the columns of surrogates\.icl20\.calibration\.scores mean what those of modelScores do/,
    );
    expect(() => resolveExperimentConfig(grid('negative,positive'), '/grids')).not.toThrow();
    // A .npy file's classes are not known: it is paired as given.
    expect(() =>
      resolveExperimentConfig({ ...grid('positive,negative'), modelScores: 'target.npy', labels: 'labels.npy' }, '/grids'),
    ).toThrow(/^evaluate\.heldout\.classes: expected the classes of evaluate\.icl20 \(positive,negative\)/);
    expect(() =>
      resolveExperimentConfig(
        { ...grid('positive,negative', 'positive,negative'), modelScores: 'target.npy', labels: 'labels.npy' },
        '/grids',
      ),
    ).not.toThrow();
  });

  it('refuse, when the grid is read, paired steps that score different data, comparing the files by content', () => {
    const dir = join(root, 'other-data');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 20, 0);
    writeReviewTsv(join(dir, 'copy.tsv'), 20, 0);
    writeReviewTsv(join(dir, 'other.tsv'), 20, 100);
    writeReviewTsv(join(dir, 'longer.tsv'), 30, 0);
    // The pool's rows in another order: the same size, so only the bytes tell it apart.
    const [header, ...rows] = readFileSync(join(dir, 'pool.tsv'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'reversed.tsv'), `${[header, ...rows.reverse()].join('\n')}\n`);
    const grid = (surrogateData: string, heldoutData = 'other.tsv') => ({
      evaluate: {
        target: { model: 'm', data: 'pool.tsv', classes: 'negative,positive' },
        icl: { model: 'm', data: surrogateData, classes: 'negative,positive', iclExamples: 4, iclData: 'shots.tsv' },
        heldout: { model: 'm', data: heldoutData, classes: 'negative,positive', iclExamples: 4, iclData: 'shots.tsv' },
      },
      modelScores: 'evaluate:target',
      labels: 'evaluate:target',
      surrogates: { icl: { scores: 'evaluate:icl', calibration: { scores: 'evaluate:heldout', labels: 'evaluate:heldout' } } },
      settings: [{ acquisition: 'surrogate-ce' }],
    });
    // Rows of the same count: paired item by item, they would give wrong statistics without an error.
    expect(() => resolveExperimentConfig(grid('other.tsv'), dir)).toThrow(
      `evaluate.icl.data: expected the data of evaluate.target for modelScores (${join(dir, 'pool.tsv')}), or a file of the same bytes, so that surrogates.icl.scores scores the same items row by row, got "${join(dir, 'other.tsv')}"`,
    );
    expect(statSync(join(dir, 'reversed.tsv')).size).toBe(statSync(join(dir, 'pool.tsv')).size);
    expect(() => resolveExperimentConfig(grid('reversed.tsv'), dir)).toThrow(/^evaluate\.icl\.data: .*, got ".*reversed\.tsv"$/);
    expect(() => resolveExperimentConfig(grid('longer.tsv'), dir)).toThrow(/^evaluate\.icl\.data: /);
    expect(() => resolveExperimentConfig(grid('hub:glue:sst2'), dir)).toThrow(/^evaluate\.icl\.data: .*, got "hub:glue:sst2"$/);
    // Another path to the same bytes scores the same items; a calibration set is held out, other data by design.
    expect(() => resolveExperimentConfig(grid('copy.tsv'), dir)).not.toThrow();
    expect(() => resolveExperimentConfig(grid('pool.tsv'), dir)).not.toThrow();
    // Two spellings of one Hub split are one split; another split is other data.
    const hub = (target: string, surrogate: string) => ({
      ...grid(surrogate),
      evaluate: { ...grid(surrogate).evaluate, target: { model: 'm', data: target, classes: 'negative,positive' } },
    });
    expect(() => resolveExperimentConfig(hub('hub:glue:sst2', 'hub:glue:sst2:train'), dir)).not.toThrow();
    expect(() => resolveExperimentConfig(hub('hub:glue:sst2', 'hub:glue:sst2:validation'), dir)).toThrow(
      'evaluate.icl.data: expected the data of evaluate.target for modelScores (hub:glue:sst2), or another spelling of that Hub split, so that surrogates.icl.scores scores the same items row by row, got "hub:glue:sst2:validation"',
    );
  });

  it('refuse the grid of steps with swapped classes from the command line, before any scoring, in one line', async () => {
    const dir = join(root, 'swapped-cli');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 20, 0);
    writeReviewTsv(join(dir, 'shots.tsv'), 20, 1000);
    const grid = {
      evaluate: {
        target: { model: join(repo, 'test/models/tiny-gpt2'), data: 'pool.tsv', classes: 'negative,positive' },
        icl20: {
          model: join(repo, 'test/models/tiny-llama'),
          data: 'pool.tsv',
          classes: 'positive,negative',
          iclExamples: 20,
          iclData: 'shots.tsv',
        },
      },
      modelScores: 'evaluate:target',
      labels: 'evaluate:target',
      surrogates: { icl20: 'evaluate:icl20' },
      settings: [{ acquisition: 'surrogate-ce' }],
    };
    writeFileSync(join(dir, 'grid.json'), JSON.stringify(grid));
    const stderr: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ')));
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await runCli(['experiment', '--config', join(dir, 'grid.json'), '--out', join(dir, 'o')]);
    vi.restoreAllMocks();
    expect(code).toBe(1);
    expect(stderr.join('\n')).toMatch(
      /^active-testing experiment: .*grid\.json: evaluate\.icl20\.classes: expected the classes of evaluate\.target \(negative,positive\) in that order, .*, got "positive,negative"$/,
    );
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });

  it('stopped by a served model gone down, say the items scored are kept, as evaluate does, and resume from them', async () => {
    const dir = join(root, 'outage');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 8, 0);
    // Two batches of 2 items answered, then 503 for every completions request until the server is back.
    let answeredBeforeOutage = 2;
    const server = await ScriptedServer.start((request) =>
      request.path === '/v1/completions' && answeredBeforeOutage-- <= 0
        ? { status: 503, body: JSON.stringify({ error: { message: 'Service Unavailable' } }) }
        : fakeModel(request),
    );
    try {
      const step = { model: server.spec, data: 'pool.tsv', classes: 'negative,positive', batchSize: 2, concurrency: 1, maxRetries: 0 };
      const grid = {
        evaluate: { target: step },
        modelScores: 'evaluate:target',
        labels: 'evaluate:target',
        runs: 2,
        size: 4,
        settings: [{ acquisition: 'iid' }],
      };
      writeFileSync(join(dir, 'grid.json'), JSON.stringify(grid));
      const argv = ['experiment', '--config', join(dir, 'grid.json'), '--out', join(dir, 'o')];
      const stopped = await runCliCaptured(argv);
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toMatch(
        /^active-testing experiment: http:\/\/127\.0\.0\.1:\d+\/v1\/completions: HTTP 503: Service Unavailable \(gave up after 1 attempt\); the 4 of 8 items scored are kept: run the same command again to resume from them$/,
      );
      answeredBeforeOutage = Infinity;
      const requests = server.requests.filter((request) => request.path === '/v1/completions').length;
      const resumed = await runCliCaptured(argv);
      expect(resumed.code, resumed.stderr).toBe(0);
      // Only the 2 batches left were asked for.
      expect(server.requests.filter((request) => request.path === '/v1/completions').length - requests).toBe(2);
    } finally {
      await server.close();
    }
  });

  it("warn, under iclBudget, of a surrogate's iclExamples that contradicts its step's", async () => {
    const dir = join(root, 'shots-contradicted');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 12, 0);
    writeReviewTsv(join(dir, 'shots.tsv'), 4, 1000);
    const model = join(repo, 'test/models/tiny-gpt2');
    const grid = (surrogate: Record<string, unknown>) =>
      resolveExperimentConfig(
        {
          evaluate: {
            target: { model, data: 'pool.tsv', classes: 'negative,positive' },
            icl: { model, data: 'pool.tsv', classes: 'negative,positive', iclExamples: 2, iclData: 'shots.tsv' },
          },
          modelScores: 'evaluate:target',
          labels: 'evaluate:target',
          surrogates: { icl: { scores: 'evaluate:icl', ...surrogate } },
          iclBudget: true,
          runs: 4,
          size: 6,
          settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }],
        },
        dir,
      );
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const warnings = async (surrogate: Record<string, unknown>) => {
      const events: ExperimentEvent[] = [];
      await runExperiment(grid(surrogate), { out: join(dir, 'out'), threads: 1, force: true, onEvent: (e) => events.push(e) });
      return events.filter((e) => e.event === 'warning');
    };
    // The surrogate's 0 wins: its settings are charged no labels for the 2 shots it was scored with.
    expect(await warnings({ iclExamples: 0 })).toEqual([
      {
        event: 'warning',
        argument: 'surrogates.icl.iclExamples',
        file: 'evaluate:icl',
        message:
          "surrogates.icl.iclExamples: 0, but evaluate.icl scores it with 2 in-context examples: under iclBudget its settings are charged 0 labels for them; remove surrogates.icl.iclExamples to take evaluate.icl's",
      },
    ]);
    expect(await warnings({})).toEqual([]);
    expect(await warnings({ iclExamples: 2 })).toEqual([]);
  });

  it('take the schema keys of evaluate and refuse the flag spelling, naming the key to use', () => {
    const grid = (step: Record<string, unknown>) => ({
      evaluate: { icl: { model: 'm', data: 'd', classes: 'a,b', ...step } },
      modelScores: 'f.npy',
      labels: 'y.npy',
      settings: [{ acquisition: 'iid' }],
    });
    expect(() => resolveExperimentConfig(grid({ 'icl-examples': 8 }), '/grids')).toThrow(
      'evaluate.icl.icl-examples: expected a known option, did you mean iclExamples?',
    );
    expect(() => resolveExperimentConfig(grid({ 'no-prefix-cache': true }), '/grids')).toThrow(/did you mean noPrefixCache\?/);
    expect(() => resolveExperimentConfig(grid({ iclExamples: '8' }), '/grids')).toThrow(
      'evaluate.icl.iclExamples: expected an integer ≥ 0, got "8"',
    );
    expect(() => resolveExperimentConfig(grid({ iclData: 'shots.tsv' }), '/grids')).toThrow(
      /^evaluate\.icl\.iclData: expected in-context examples with it/,
    );
    // A class name that a labelling session would refuse, refused when the grid is read, before any step scores.
    expect(() => resolveExperimentConfig(grid({ classes: ['a', 'b\nc'] }), '/grids')).toThrow(
      'evaluate.icl.classes (row 1): expected class names without tabs or line breaks (one would split its line in the labels TSV that exportSessionLabels and --export-labels write), got "b\\nc"',
    );
    const config = resolveExperimentConfig(grid({ iclExamples: 8, noPrefixCache: true, batchSize: 4, classes: ['a', 'b'] }), '/grids');
    expect(config.evaluate.icl).toEqual({
      model: 'm',
      data: '/grids/d',
      classes: ['a', 'b'],
      iclExamples: 8,
      noPrefixCache: true,
      batchSize: 4,
    });
  });

  it('scores the pool with a model, runs the grid on the scores, and keeps stdout for JSON lines', async () => {
    writeReviewTsv(join(root, 'pool.tsv'), 120, 0);
    writeReviewTsv(join(root, 'shots.tsv'), 20, 1000);
    const grid = {
      evaluate: {
        target: { model: join(repo, 'test/models/tiny-gpt2'), data: 'pool.tsv', classes: 'negative,positive' },
        icl: {
          model: join(repo, 'test/models/tiny-gpt2'),
          data: 'pool.tsv',
          classes: 'negative,positive',
          iclExamples: 4,
          iclData: 'shots.tsv',
        },
      },
      modelScores: 'evaluate:target',
      labels: 'evaluate:target',
      surrogates: { icl: 'evaluate:icl' },
      iclBudget: true,
      runs: 30,
      size: 20,
      settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }],
    };
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'grid.json'), JSON.stringify(grid));
    const out = join(root, 'grid');
    const run = async () => {
      const stdout: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void stdout.push(a.join(' ')));
      vi.spyOn(console, 'error').mockImplementation(() => {});
      const code = await runCli(['experiment', '--config', join(root, 'grid.json'), '--out', out, '--json', '--threads', '1']);
      vi.restoreAllMocks();
      return { code, events: stdout.map((line) => JSON.parse(line) as { event: string }) };
    };
    const first = await run();
    expect(first.code).toBe(0);
    expect(first.events.filter((e) => e.event === 'evaluate')).toHaveLength(2);
    const scores = await readNpy(join(out, 'scores', 'target', 'scores.npy'));
    expect(scores.shape).toEqual([120, 2]);
    expect((await readNpy(join(out, 'scores', 'icl', 'scores.npy'))).shape).toEqual([120, 2]);
    const manifest = JSON.parse(readFileSync(join(out, EXPERIMENT_MANIFEST), 'utf8')) as ExperimentManifest;
    expect(manifest.settings.map((s) => s.labelOffset)).toEqual([0, 4]);
    expect((await readNpy(join(out, manifest.settings[0]?.folder as string, 'estimates.npy'))).shape).toEqual([24, 30]);
    const summary = JSON.parse(readFileSync(join(out, manifest.settings[1]?.folder as string, 'summary.json'), 'utf8'));
    expect(summary.config.surrogateScores).toBe(join(out, 'scores', 'icl', 'scores.npy'));

    const second = await run();
    expect(second.code).toBe(0);
    expect(second.events.filter((e) => e.event === 'skipped')).toHaveLength(2);
    expect(existsSync(join(out, 'scores', 'target', 'meta.json'))).toBe(true);
  });
});
