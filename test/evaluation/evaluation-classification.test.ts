import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, InputError, OutputExistsError } from '../../src/errors.js';
import { SST2Dataset, createSplits } from '../../src/dataset/index.js';
import { EvaluationClassification, itemPrompt, promptPrefix } from '../../src/evaluation/index.js';
import { fitTemperature } from '../../src/calibration/index.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { simulate } from '../../src/simulate/simulate.js';
import { Model } from '../../src/model/index.js';
import { DATA_DIR, sharedAvailable } from '../helpers/shared.js';
import { modelDir } from '../model/fixtures.js';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe.skipIf(!sharedAvailable(join(DATA_DIR, 'sst2')))('EvaluationClassification on SST-2 with a test model', () => {
  let model: Model;
  let sst2: SST2Dataset;
  const splits = createSplits(872, { pool: 24, icl: 60 }, 5);

  beforeAll(async () => {
    model = await Model.fromPretrained(modelDir('tiny-llama'));
    sst2 = await SST2Dataset.load(join(DATA_DIR, 'sst2/validation.tsv'));
  });

  it('saves zero-shot scores where the reference does, equal to scoring the prompts directly, and never overwrites', async () => {
    const resultsDir = mkdtempSync(join(tmpdir(), 'at-eval-'));
    const evaluation = new EvaluationClassification(model, sst2, { resultsDir, splits, modelName: 'tiny' });
    const result = await evaluation.evaluationProcedure('pool', { batchSize: 5 });
    const dir = join(resultsDir, 'sst2', 'tiny');
    expect(result.dir).toBe(dir);
    const scores = await readNpy(join(dir, 'pool_set_scores.npy'));
    expect(scores.shape).toEqual([24, 2]);
    expect(scores.dtype).toBe('f4');
    const pool = sst2.select(splits.pool!);
    expect(Array.from((await readNpy(join(dir, 'pool_set_targets.npy'))).data as Int32Array)).toEqual(Array.from(pool.labels));
    const prompts = pool.texts.map((t) => itemPrompt(sst2.instruction, t, 'Label'));
    const direct = await model.score(prompts, result.labelTokenIds, { batchSize: 24 });
    expect(maxDiff(scores.data as Float32Array, direct)).toBeLessThan(1e-5);
    const metrics = JSON.parse(readFileSync(join(dir, 'pool_set_metrics.json'), 'utf8'));
    expect(metrics.first_prompt).toBe(prompts[0]);
    expect(metrics.label_token_counts).toEqual(result.labelTokenCounts);
    expect(metrics.label_token_counts).toHaveLength(2);
    expect(metrics.accuracy).toBeCloseTo(result.accuracy, 12);
    await expect(evaluation.evaluationProcedure('pool')).rejects.toThrow(OutputExistsError);

    const fit = await evaluation.temperatureScaling('pool');
    expect(fit.loss).toBeLessThanOrEqual(fit.lossAtOne + 1e-12);
    expect(JSON.parse(readFileSync(join(dir, 'pool_set_temperature.json'), 'utf8')).temperature).toBe(fit.temperature);
  });

  it('plugs its result into simulate in three lines', async () => {
    const evaluation = new EvaluationClassification(model, sst2, {
      resultsDir: mkdtempSync(join(tmpdir(), 'at-eval-sim-')),
      splits,
      modelName: 'tiny',
    });
    const result = await evaluation.evaluationProcedure('pool', { batchSize: 8 });
    const run = await simulate(
      { modelScores: { data: result.scores, shape: result.shape }, labels: result.labels },
      { runs: 2, threads: 1 },
    );
    expect(result.shape).toEqual([24, 2]);
    expect(Array.from(result.labels)).toEqual(Array.from(sst2.select(splits.pool!).labels));
    expect(run.trueRisk).toBeCloseTo(result.loss, 6);
  });

  it('scores with ICL shots from the icl split, cached equal to uncached, in the _icl<n> folder', async () => {
    const resultsDir = mkdtempSync(join(tmpdir(), 'at-eval-'));
    const evaluation = new EvaluationClassification(model, sst2, { resultsDir, splits, modelName: 'tiny' });
    const cached = await evaluation.evaluationIclProcedure('pool', { nbIclExamples: 10, seed: 1, batchSize: 8 });
    expect(cached.dir).toBe(join(resultsDir, 'sst2', 'tiny_icl10'));
    const metrics = JSON.parse(readFileSync(join(cached.dir, 'pool_set_metrics.json'), 'utf8'));
    expect(metrics.icl_rows).toHaveLength(10);
    for (const row of metrics.icl_rows) expect(Array.from(splits.icl!)).toContain(row);
    const shots = (metrics.icl_rows as number[]).map((r) => ({ text: sst2.texts[r]!, label: sst2.classes[sst2.labels[r]!]! }));
    const pool = sst2.select(splits.pool!);
    expect(metrics.first_prompt).toBe(itemPrompt(promptPrefix(sst2.instruction, shots, 'Label'), pool.texts[0]!, 'Label'));
    const uncached = await new EvaluationClassification(model, sst2, {
      resultsDir: mkdtempSync(join(tmpdir(), 'at-eval-')),
      splits,
      modelName: 'tiny',
    }).evaluationIclProcedure('pool', { nbIclExamples: 10, seed: 1, batchSize: 3, prefixCache: false });
    expect(maxDiff(cached.scores, uncached.scores)).toBeLessThan(1e-4);
  });

  it('fits the surrogate temperature on a held-out calibration subset scored with the same shots, and saves it', async () => {
    const withHeldOut = createSplits(872, { pool: 12, icl: 60, calibration: 16 }, 5);
    const resultsDir = mkdtempSync(join(tmpdir(), 'at-eval-'));
    const evaluation = new EvaluationClassification(model, sst2, { resultsDir, splits: withHeldOut, modelName: 'tiny' });
    await expect(evaluation.evaluationIclProcedure('pool', { nbIclExamples: 4, calibrationSubset: 'icl' })).rejects.toThrow(InputError);
    const result = await evaluation.evaluationIclProcedure('pool', {
      nbIclExamples: 4,
      seed: 2,
      batchSize: 8,
      calibrationSubset: 'calibration',
    });
    const heldOutScores = await readNpy(join(result.dir, 'calibration_set_scores.npy'));
    const heldOutLabels = await readNpy(join(result.dir, 'calibration_set_targets.npy'));
    expect(heldOutScores.shape).toEqual([16, 2]);
    const heldOutMetrics = JSON.parse(readFileSync(join(result.dir, 'calibration_set_metrics.json'), 'utf8'));
    expect(heldOutMetrics.icl_rows).toEqual(JSON.parse(readFileSync(join(result.dir, 'pool_set_metrics.json'), 'utf8')).icl_rows);
    const fit = fitTemperature(
      { data: Float64Array.from(heldOutScores.data as Float32Array), rows: 16, cols: 2 },
      Int32Array.from(heldOutLabels.data as Int32Array),
    );
    const expected = { subset: 'calibration', rows: 16, temperature: fit.temperature, nll: fit.nll };
    expect(result.calibration).toEqual({ ...expected, atBound: fit.atBound });
    expect(JSON.parse(readFileSync(join(result.dir, 'pool_set_calibration.json'), 'utf8'))).toEqual({ ...expected, at_bound: fit.atBound });
  });

  it("does not reuse a calibration subset's saved scores made of other rows with the same shots", async () => {
    const first = createSplits(872, { pool: 6, icl: 60, calibration: 8 }, 5);
    const resultsDir = mkdtempSync(join(tmpdir(), 'at-eval-'));
    await new EvaluationClassification(model, sst2, { resultsDir, splits: first, modelName: 'tiny' }).evaluationIclProcedure('pool', {
      nbIclExamples: 4,
      calibrationSubset: 'calibration',
    });
    // Another pool with the same calibration subset reuses its saved scores.
    const again = new EvaluationClassification(model, sst2, { resultsDir, splits: { ...first, pool2: first.pool! }, modelName: 'tiny' });
    const reused = await again.evaluationIclProcedure('pool2', { nbIclExamples: 4, calibrationSubset: 'calibration' });
    expect(reused.calibration?.rows).toBe(8);
    // The same shots (the same icl rows and seed), but the calibration subset redrawn: its saved
    // scores are of other rows, and fitting the new pool's temperature on them would be silent.
    const redrawn = { ...first, pool3: first.pool!, calibration: Int32Array.from(first.calibration!, (row) => (row + 1) % 872) };
    const evaluation = new EvaluationClassification(model, sst2, { resultsDir, splits: redrawn, modelName: 'tiny' });
    await expect(evaluation.evaluationIclProcedure('pool3', { nbIclExamples: 4, calibrationSubset: 'calibration' })).rejects.toThrow(
      OutputExistsError,
    );
  });

  it('resumes a cancelled run from its last complete batch', async () => {
    const resultsDir = mkdtempSync(join(tmpdir(), 'at-eval-'));
    const evaluation = new EvaluationClassification(model, sst2, { resultsDir, splits, modelName: 'tiny' });
    const controller = new AbortController();
    await expect(
      evaluation.evaluationProcedure('pool', {
        batchSize: 4,
        signal: controller.signal,
        onProgress: ({ done }) => done >= 12 && controller.abort(),
      }),
    ).rejects.toThrow(CancelledError);
    const dir = join(resultsDir, 'sst2', 'tiny');
    expect(existsSync(join(dir, 'pool_set_scores.npy'))).toBe(false);
    const seen: number[] = [];
    const resumed = await evaluation.evaluationProcedure('pool', { batchSize: 4, onProgress: ({ done }) => seen.push(done) });
    // The progress starts at the checkpoint's 12 items, then counts the dataset's 24 as a whole.
    expect(seen).toEqual([12, 16, 20, 24]);
    expect(resumed.scoredNow).toBe(12);
    const fresh = await new EvaluationClassification(model, sst2, {
      resultsDir: mkdtempSync(join(tmpdir(), 'at-eval-')),
      splits,
      modelName: 'tiny',
    }).evaluationProcedure('pool', { batchSize: 24 });
    expect(maxDiff(resumed.scores, fresh.scores)).toBeLessThan(1e-5);
    expect(existsSync(join(dir, 'pool_set.partial.f32'))).toBe(false);
  });

  it('refuses a checkpoint whose configuration is not JSON, and force starts fresh', async () => {
    const resultsDir = mkdtempSync(join(tmpdir(), 'at-eval-'));
    const evaluation = new EvaluationClassification(model, sst2, { resultsDir, splits, modelName: 'tiny' });
    const dir = join(resultsDir, 'sst2', 'tiny');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pool_set.partial.json'), 'garbage\n');
    writeFileSync(join(dir, 'pool_set.partial.f32'), new Uint8Array(8));
    await expect(evaluation.evaluationProcedure('pool')).rejects.toThrow(
      /pool_set\.partial\.json: unreadable checkpoint \(not JSON\); remove it, or pass force: true to start fresh$/,
    );
    const forced = await evaluation.evaluationProcedure('pool', { force: true });
    expect(forced.scoredNow).toBe(24);
    expect((await readNpy(join(dir, 'pool_set_scores.npy'))).shape).toEqual([24, 2]);
    expect(existsSync(join(dir, 'pool_set.partial.json'))).toBe(false);
  });

  it('does not resume a cancelled run of other rows of the same size: it scores the new rows', async () => {
    const resultsDir = mkdtempSync(join(tmpdir(), 'at-eval-'));
    const controller = new AbortController();
    await expect(
      new EvaluationClassification(model, sst2, { resultsDir, splits, modelName: 'tiny' }).evaluationProcedure('pool', {
        batchSize: 4,
        signal: controller.signal,
        onProgress: ({ done }) => done >= 12 && controller.abort(),
      }),
    ).rejects.toThrow(CancelledError);
    // Splits drawn with another seed: a pool of the same size, holding other rows.
    const otherSplits = createSplits(872, { pool: 24, icl: 60 }, 6);
    const seen: number[] = [];
    const rerun = await new EvaluationClassification(model, sst2, {
      resultsDir,
      splits: otherSplits,
      modelName: 'tiny',
    }).evaluationProcedure('pool', { batchSize: 4, onProgress: ({ done }) => seen.push(done) });
    expect(seen[0]).toBe(4);
    expect(rerun.scoredNow).toBe(24);
    const prompts = sst2.select(otherSplits.pool!).texts.map((t) => itemPrompt(sst2.instruction, t, 'Label'));
    expect(maxDiff(rerun.scores, await model.score(prompts, rerun.labelTokenIds, { batchSize: 4, sharedPrefix: sst2.instruction }))).toBe(
      0,
    );
  });
});

describe('EvaluationClassification refuses what a plain JS call can pass', () => {
  // The constructor reads nothing but these objects: stand-ins are enough.
  const model = { id: 'org/model' } as unknown as Model;
  const dataset = { name: 'sst2' } as unknown as SST2Dataset;
  const splits = { pool: Int32Array.of(0, 1) };
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      'a null model',
      () => new EvaluationClassification(null as never, dataset, { resultsDir: 'r', splits }),
      /^model: expected a Model \(e\.g\. from Model\.fromPretrained\), got null$/,
    ],
    [
      'a null dataset',
      () => new EvaluationClassification(model, null as never, { resultsDir: 'r', splits }),
      /^dataset: expected a TextClassificationDataset, got null$/,
    ],
    ['no options', () => new EvaluationClassification(model, dataset, undefined as never), /^options: expected an options object/],
    [
      'no resultsDir',
      () => new EvaluationClassification(model, dataset, { splits } as never),
      /^resultsDir: expected a file path \(a non-empty string\)/,
    ],
    ['no splits', () => new EvaluationClassification(model, dataset, { resultsDir: 'r' } as never), /^splits: expected named row subsets/],
    [
      'splits as an array',
      () => new EvaluationClassification(model, dataset, { resultsDir: 'r', splits: [] as never }),
      /^splits: expected named row subsets/,
    ],
    [
      'an iclSource dataset whose classes are in another order',
      () =>
        new EvaluationClassification(model, { name: 'sst2', classes: ['negative', 'positive'] } as never, {
          resultsDir: 'r',
          splits,
          iclSource: { classes: ['positive', 'negative'] } as never,
        }),
      /^iclSource: expected a dataset of the evaluated dataset's classes, in its order \(\["negative","positive"\]\): its labels are class ids, got \["positive", "negative"\]$/,
    ],
    [
      'a misspelt option',
      () => new EvaluationClassification(model, dataset, { resultsDir: 'r', splits, modelname: 'x' } as never),
      /^modelname: expected a known option, did you mean modelName\?/,
    ],
  ];
  it.each(cases)('%s', (_, call, message) => {
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });

  // The methods check their options before the model or the dataset is used: a stand-in dataset
  // of two rows in two classes, and a model that is never called, are enough.
  const twoRows = {
    name: 'sst2',
    classes: ['negative', 'positive'],
    select: () => ({ size: 2, texts: ['a', 'b'], labels: Int32Array.of(0, 1) }),
  } as unknown as SST2Dataset;
  const evaluation = new EvaluationClassification(model, twoRows, {
    resultsDir: 'r',
    splits: { pool: Int32Array.of(0), icl: Int32Array.of(0, 1) },
  });
  const methodCases: Array<[string, () => Promise<unknown>, RegExp]> = [
    [
      'an ICL evaluation without options',
      () => evaluation.evaluationIclProcedure('pool', undefined as never),
      /^options: expected an options object \{ nbIclExamples, … \}$/,
    ],
    [
      'an ICL evaluation given the grid name of the shots',
      () => evaluation.evaluationIclProcedure('pool', { iclExamples: 1 } as never),
      /^iclExamples: expected a known option, did you mean nbIclExamples\?/,
    ],
    [
      'an ICL evaluation without a number of shots',
      () => evaluation.evaluationIclProcedure('pool', {} as never),
      /^nbIclExamples: expected the number of shots, an integer in \[0, 2\] \(the rows of icl they come from\)$/,
    ],
    [
      'more shots than the ICL rows',
      () => evaluation.evaluationIclProcedure('pool', { nbIclExamples: 3 }),
      /^nbIclExamples: expected the number of shots, an integer in \[0, 2\] \(the rows of icl they come from\), got 3$/,
    ],
    [
      'a misspelt option of a zero-shot evaluation',
      () => evaluation.evaluationProcedure('pool', { batchSzie: 2 } as never),
      /^batchSzie: expected a known option, did you mean batchSize\?/,
    ],
    [
      'a misspelt option of temperature scaling',
      () => evaluation.temperatureScaling('pool', { nbIclExample: 2 } as never),
      /^nbIclExample: expected a known option, did you mean nbIclExamples\?/,
    ],
  ];
  it.each(methodCases)('%s', async (_, call, message) => {
    await expect(call()).rejects.toThrow(InputError);
    await expect(call()).rejects.toThrow(message);
  });
  it('accepts well-formed arguments, naming the model folder after the id', () => {
    expect(new EvaluationClassification(model, dataset, { resultsDir: 'r', splits }).resultsFolder()).toBe(join('r', 'sst2', 'org_model'));
  });
});

describe('EvaluationClassification.temperatureScaling', () => {
  it('writes a temperature that is not finite as the string "Infinity", not as null', async () => {
    // Scores that rank every label last: no sharpening helps, and the uniform softmax (T → ∞) is best.
    const resultsDir = mkdtempSync(join(tmpdir(), 'at-eval-temperature-'));
    const sst2 = new SST2Dataset(['great', 'awful'], Int32Array.of(1, 0));
    const evaluation = new EvaluationClassification({ id: 'tiny' } as never, sst2, { resultsDir, splits: { pool: Int32Array.of(0, 1) } });
    const dir = evaluation.resultsFolder();
    mkdirSync(dir, { recursive: true });
    await writeNpy(join(dir, 'pool_set_scores.npy'), { data: Float32Array.of(2, 0, 0, 2), shape: [2, 2], dtype: 'f4' });
    await writeNpy(join(dir, 'pool_set_targets.npy'), { data: Int32Array.of(1, 0), shape: [2], dtype: 'i4' });
    const fit = await evaluation.temperatureScaling('pool');
    expect(fit.temperature).toBe(Infinity);
    expect(JSON.parse(readFileSync(join(dir, 'pool_set_temperature.json'), 'utf8'))).toEqual({
      temperature: 'Infinity',
      loss: Math.LN2,
      lossAtOne: fit.lossAtOne,
      separable: false,
    });
  });
});
