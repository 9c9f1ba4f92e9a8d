import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, OutputExistsError } from '../../src/errors.js';
import { evaluateToFolder, resolveEvaluateOptions } from '../../src/index.js';
import { runEvaluateSteps, type EvaluateStep } from '../../src/experiment/evaluate-steps.js';
import { loadExperimentConfig, resolveExperimentConfig } from '../../src/experiment/config.js';
import { runExperiment, type ExperimentEvent } from '../../src/experiment/experiment.js';
import { writeReviewTsv } from '../helpers/review-tsv.js';

/** How many data files were parsed, and model tokenizers loaded without their weights. */
const counts = vi.hoisted(() => ({ readTable: 0, loadFolderTokenizer: 0 }));
/** The files streamed, which is how evaluate hashes its inputs. */
const streamed = vi.hoisted(() => [] as string[]);
/**
 * The times (ns) that `statSync` gives of a file (asked for as bigints, as evaluate asks for them
 * to tell whether a file is unchanged since it was hashed). Without `frozen`, an hour earlier
 * than written, so that whether a fingerprint is recent (and not remembered) does not depend on how
 * long a test took. With `frozen`, a file's times are those of its first stat since: a coarse
 * clock that has not ticked since, as on an old kernel, FAT or NFS, under which a file rewritten
 * at the same size keeps its stamp.
 */
const clock = vi.hoisted(() => ({ frozen: null as Map<string, bigint> | null }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const statSync = (path: string, options?: { bigint?: boolean }) => {
    const stats = fs.statSync(path, options);
    if (options?.bigint !== true) return stats;
    const real = stats as import('node:fs').BigIntStats;
    let time = real.ctimeNs - 3_600_000_000_000n;
    if (clock.frozen !== null) {
      time = clock.frozen.get(String(path)) ?? BigInt(Date.now()) * 1_000_000n;
      clock.frozen.set(String(path), time);
    }
    return Object.assign(Object.create(Object.getPrototypeOf(real) as object) as object, real, { mtimeNs: time, ctimeNs: time });
  };
  return {
    ...fs,
    statSync,
    createReadStream: (...args: Parameters<typeof fs.createReadStream>) => {
      streamed.push(String(args[0]));
      return fs.createReadStream(...args);
    },
  };
});
vi.mock('../../src/dataset/read-table.js', async (original) => {
  const { withCountedCalls } = await import('../helpers/counted.js');
  return withCountedCalls(await original<typeof import('../../src/dataset/read-table.js')>(), 'readTable', counts);
});
vi.mock('../../src/model/transformers-backend.js', async (original) => {
  const { withCountedCalls } = await import('../helpers/counted.js');
  return withCountedCalls(await original<typeof import('../../src/model/transformers-backend.js')>(), 'loadFolderTokenizer', counts);
});

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const root = mkdtempSync(join(tmpdir(), 'at-complete-steps-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  clock.frozen = null;
  counts.readTable = 0;
  counts.loadFolderTokenizer = 0;
  streamed.length = 0;
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

/** Two steps: a zero-shot target on the pool, and a surrogate with two shots from another file. */
function steps(dir: string): Map<string, EvaluateStep> {
  const target = { model: join(repo, 'test/models/tiny-gpt2'), data: join(dir, 'pool.tsv'), classes: 'negative,positive' };
  return new Map<string, EvaluateStep>([
    ['target', target],
    ['surrogate', { ...target, model: join(repo, 'test/models/tiny-llama'), iclExamples: 2, iclData: join(dir, 'shots.tsv') }],
  ]);
}

describe('evaluate steps whose results are complete', () => {
  it('are not read again: their recorded rows are the pool sizes checked before scoring', async () => {
    const dir = join(root, 'complete');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 12, 0);
    writeReviewTsv(join(dir, 'shots.tsv'), 6, 1000);
    const sizes: Array<ReadonlyMap<string, number>> = [];
    const runSteps = (): Promise<void> =>
      runEvaluateSteps(
        steps(dir),
        dir,
        false,
        () => {},
        undefined,
        (poolSizes) => sizes.push(poolSizes),
      );
    await runSteps();
    // Each file read up front and again at its step's turn; each model's tokenizer read up front.
    expect(counts).toEqual({ readTable: 6, loadFolderTokenizer: 2 });
    const meta = readFileSync(join(dir, 'scores/surrogate/meta.json'), 'utf8');
    counts.readTable = 0;
    counts.loadFolderTokenizer = 0;
    streamed.length = 0;
    await runSteps();
    expect(counts).toEqual({ readTable: 0, loadFolderTokenizer: 0 });
    // Hashed again, once (up front; each turn finds it): what an earlier run hashed is not trusted.
    const modelFiles = (model: string) =>
      ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'].map((file) => join(repo, 'test/models', model, file));
    expect(streamed).toEqual([join(dir, 'pool.tsv'), ...modelFiles('tiny-gpt2'), join(dir, 'shots.tsv'), ...modelFiles('tiny-llama')]);
    expect(sizes.map((poolSizes) => [...poolSizes])).toEqual([
      [
        ['target', 12],
        ['surrogate', 12],
      ],
      [
        ['target', 12],
        ['surrogate', 12],
      ],
    ]);
    expect(readFileSync(join(dir, 'scores/surrogate/meta.json'), 'utf8')).toBe(meta);
    // The grid's size is checked against the recorded pool before anything else is done.
    const grid = (size: number) =>
      resolveExperimentConfig(
        {
          evaluate: Object.fromEntries(steps(dir)),
          modelScores: 'evaluate:target',
          labels: 'evaluate:target',
          surrogates: { surrogate: 'evaluate:surrogate' },
          runs: 2,
          size,
          settings: [{ acquisition: 'iid' }],
        },
        dir,
      );
    counts.readTable = 0;
    await expect(runExperiment(grid(20), { out: dir, threads: 1 })).rejects.toThrow(
      `size: expected at most the pool size 12 (the labels per run: the grid's "size"), got 20`,
    );
    expect(counts.readTable).toBe(0);
  });

  it('are read again, and refused, when an input changed at the same path', async () => {
    const dir = join(root, 'changed');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 12, 0);
    writeReviewTsv(join(dir, 'shots.tsv'), 6, 1000);
    await runEvaluateSteps(steps(dir), dir, false, () => {});
    appendFileSync(join(dir, 'shots.tsv'), 'the film was new , item 2000\t1\n');
    counts.readTable = 0;
    streamed.length = 0;
    const error = await runEvaluateSteps(steps(dir), dir, false, () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputExistsError);
    expect((error as Error).message).toMatch(/\(changed: the contents of evaluate\.surrogate\.iclData\); pass force: true to start fresh$/);
    // The surrogate's two files, up front: the target's results are complete, and kept at its turn.
    expect(counts.readTable).toBe(2);
    // Each hashed once, up front: the turns find their fingerprints.
    expect(streamed.filter((path) => path.startsWith(dir))).toEqual([join(dir, 'pool.tsv'), join(dir, 'shots.tsv')]);
  });
});

/** A pool and a copy of a model folder in `dir`, and a step of them; rewrites either in place at the same size. */
function ownInputs(dir: string): { step: EvaluateStep; rewrite: Record<'data' | 'model', () => void> } {
  mkdirSync(dir, { recursive: true });
  writeReviewTsv(join(dir, 'pool.tsv'), 12, 0);
  cpSync(join(repo, 'test/models/tiny-gpt2'), join(dir, 'model'), { recursive: true });
  const inPlace = (path: string, from: string, to: string) => {
    const before = readFileSync(path, 'utf8');
    const after = before.replace(from, to);
    expect(after).not.toBe(before);
    expect(after.length).toBe(before.length);
    writeFileSync(path, after);
  };
  return {
    step: { model: join(dir, 'model'), data: join(dir, 'pool.tsv'), classes: 'negative,positive' },
    rewrite: {
      // A label flipped, and the same configuration written on one line less.
      data: () => inPlace(join(dir, 'pool.tsv'), 'item 0\t1', 'item 0\t0'),
      model: () => inPlace(join(dir, 'model/config.json'), '"pad_token_id": 0\n}', '"pad_token_id": 0}\n'),
    },
  };
}

const changedInput = {
  data: 'the contents of evaluate.target.data',
  model: 'the model files',
};

describe('evaluate steps whose input is rewritten in place at the same size, its times unchanged (a coarse clock)', () => {
  it.each(['data', 'model'] as const)('are refused when their %s changed after an earlier run in this process', async (input) => {
    const dir = join(root, `coarse-later-${input}`);
    const { step, rewrite } = ownInputs(dir);
    clock.frozen = new Map();
    await runEvaluateSteps(new Map([['target', step]]), dir, false, () => {});
    rewrite[input]();
    await expect(runEvaluateSteps(new Map([['target', step]]), dir, false, () => {})).rejects.toThrow(
      `(changed: ${changedInput[input]}); pass force: true to start fresh`,
    );
  });

  it.each(['data', 'model'] as const)('are refused at their turn when their %s changed after the check up front', async (input) => {
    const dir = join(root, `coarse-turn-${input}`);
    const { step, rewrite } = ownInputs(dir);
    await runEvaluateSteps(new Map([['target', step]]), dir, false, () => {});
    clock.frozen = new Map();
    // Hashed up front (found complete), rewritten before the step's turn, within the clock's tick.
    const run = runEvaluateSteps(new Map([['target', step]]), dir, false, () => rewrite[input]());
    await expect(run).rejects.toThrow(`(changed: ${changedInput[input]}); pass force: true to start fresh`);
  });
});

describe('evaluate steps sharing a model folder', () => {
  it('have their classes checked up front with its tokenizer, loaded once', async () => {
    const dir = join(root, 'shared-model');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 12, 0);
    const step = { model: join(repo, 'test/models/tiny-gpt2'), data: join(dir, 'pool.tsv'), classes: 'negative,positive' };
    const sizes: Array<[string, number]> = [];
    await runEvaluateSteps(
      new Map<string, EvaluateStep>([
        ['first', step],
        ['second', { ...step, limit: 10 }],
      ]),
      dir,
      false,
      () => {},
      undefined,
      (poolSizes) => sizes.push(...poolSizes),
    );
    expect(sizes).toEqual([
      ['first', 12],
      ['second', 10],
    ]);
    expect(counts.loadFolderTokenizer).toBe(1);
  });
});

describe('evaluation results of a data file', () => {
  it('are of another configuration when the file is read as another format, its bytes the same', async () => {
    const dir = join(root, 'extension');
    mkdirSync(dir, { recursive: true });
    writeReviewTsv(join(dir, 'pool.tsv'), 12, 0);
    const options = { model: join(repo, 'test/models/tiny-gpt2'), classes: ['negative', 'positive'] };
    const first = await resolveEvaluateOptions({ ...options, data: join(dir, 'pool.tsv') });
    await evaluateToFolder(first.config, { ...first.run, out: join(dir, 'out') });
    // Its extension, in another case, reads it as before: the same results.
    cpSync(join(dir, 'pool.tsv'), join(dir, 'pool.TSV'));
    const same = await resolveEvaluateOptions({ ...options, data: join(dir, 'pool.TSV') });
    expect(await evaluateToFolder(same.config, { ...same.run, out: join(dir, 'out') })).toMatchObject({ alreadyComplete: true, n: 12 });
    cpSync(join(dir, 'pool.tsv'), join(dir, 'pool.csv'));
    const other = await resolveEvaluateOptions({ ...options, data: join(dir, 'pool.csv') });
    await expect(evaluateToFolder(other.config, { ...other.run, out: join(dir, 'out') })).rejects.toThrow(
      '(changed: data); pass force: true to start fresh',
    );
  });
});

describe('evaluate steps of a project folder moved elsewhere', () => {
  it('keep their results, and still see an input changed there', async () => {
    const before = join(root, 'project');
    mkdirSync(before, { recursive: true });
    writeReviewTsv(join(before, 'pool.tsv'), 12, 0);
    writeReviewTsv(join(before, 'shots.tsv'), 6, 1000);
    await runEvaluateSteps(steps(before), join(before, 'out'), false, () => {});
    const moved = join(root, 'elsewhere', 'project');
    cpSync(before, moved, { recursive: true });
    rmSync(before, { recursive: true });
    const meta = (step: string) => readFileSync(join(moved, 'out/scores', step, 'meta.json'), 'utf8');
    const kept = { target: meta('target'), surrogate: meta('surrogate') };
    counts.readTable = 0;
    // Without force (refused before) and with it (scored again before): kept as they are.
    await runEvaluateSteps(steps(moved), join(moved, 'out'), false, () => {});
    await runEvaluateSteps(steps(moved), join(moved, 'out'), true, () => {});
    expect({ target: meta('target'), surrogate: meta('surrogate') }).toEqual(kept);
    expect(counts.readTable).toBe(0);
    // Its data changed in the moved folder: named as the change, the paths are not.
    writeReviewTsv(join(moved, 'pool.tsv'), 12, 1);
    await expect(runEvaluateSteps(steps(moved), join(moved, 'out'), false, () => {})).rejects.toThrow(
      /\/target\/meta\.json already exists; it holds results made with other settings or inputs \(changed: the contents of evaluate\.target\.data\); pass force: true to start fresh$/,
    );
  });

  it('as a whole experiment, run again from the moved grid, finds every setting finished', async () => {
    const before = join(root, 'grid-project');
    mkdirSync(before, { recursive: true });
    writeReviewTsv(join(before, 'pool.tsv'), 12, 0);
    writeReviewTsv(join(before, 'shots.tsv'), 6, 1000);
    const [target, surrogate] = [...steps('.').values()];
    writeFileSync(
      join(before, 'grid.json'),
      JSON.stringify({
        evaluate: { target, surrogate },
        modelScores: 'evaluate:target',
        labels: 'evaluate:target',
        surrogates: { surrogate: 'evaluate:surrogate' },
        runs: 2,
        size: 6,
        settings: [{ acquisition: 'iid' }, { acquisition: 'surrogate-ce' }],
      }),
    );
    const run = async (dir: string) => {
      const events: ExperimentEvent[] = [];
      await runExperiment(loadExperimentConfig(join(dir, 'grid.json')), {
        out: join(dir, 'out'),
        threads: 1,
        onEvent: (event) => events.push(event),
      });
      return events.find((event) => event.event === 'done');
    };
    expect(await run(before)).toMatchObject({ ran: 2, skipped: 0 });
    const moved = join(root, 'elsewhere', 'grid-project');
    cpSync(before, moved, { recursive: true });
    rmSync(before, { recursive: true });
    counts.readTable = 0;
    expect(await run(moved)).toMatchObject({ ran: 0, skipped: 2 });
    expect(counts.readTable).toBe(0);
  });

  it('resume an unfinished step from its checkpoint', async () => {
    const before = join(root, 'unfinished');
    mkdirSync(before, { recursive: true });
    writeReviewTsv(join(before, 'pool.tsv'), 12, 0);
    const options = { model: join(repo, 'test/models/tiny-gpt2'), classes: ['negative', 'positive'], batchSize: 4 };
    const first = await resolveEvaluateOptions({ ...options, data: join(before, 'pool.tsv') });
    const controller = new AbortController();
    // Stopped after two batches of four: eight items are in the checkpoint.
    const onProgress = (done: number) => (done === 8 ? controller.abort() : undefined);
    const stopped = evaluateToFolder(first.config, { ...first.run, out: join(before, 'out'), signal: controller.signal, onProgress });
    await expect(stopped).rejects.toThrow(CancelledError);
    const moved = join(root, 'elsewhere', 'unfinished');
    cpSync(before, moved, { recursive: true });
    rmSync(before, { recursive: true });
    const again = await resolveEvaluateOptions({ ...options, data: join(moved, 'pool.tsv') });
    await evaluateToFolder(again.config, { ...again.run, out: join(moved, 'out') });
    const meta = JSON.parse(readFileSync(join(moved, 'out/meta.json'), 'utf8'));
    expect(meta.n).toBe(12);
    expect(meta.timings.items_scored_now).toBe(4);
    expect(meta.config.data).toBe(join(moved, 'pool.tsv'));
  });
});
