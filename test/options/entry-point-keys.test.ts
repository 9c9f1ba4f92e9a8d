import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caught } from '../helpers/caught.js';
import { describe, expect, it } from 'vitest';
import {
  ActiveSurrogateEstimator,
  InputError,
  Model,
  OpenAIBackend,
  OpenAIHttpClient,
  SST2Dataset,
  TextClassificationDataset,
  DATASET_PRESETS,
  NUMERICS_FLAGS,
  acquisitionValues,
  adaptiveCandidates,
  createAdaptiveSampler,
  loadCalibrationSet,
  parseOpenAIModelSpec,
  predictiveEntropy,
  renderFigure,
  runScoringJob,
  squaredErrorSpec,
  summaryTable,
  syntheticPool,
  writeNpy,
} from '../../src/index.js';
import { relativeError, relativeLabellingCost } from '../../src/reference/index.js';

// The options objects of the dataset, model and scoring entry points follow the rule of
// `simulate` and sessions: a misspelt key is refused with the closest name and the valid ones,
// before any file, model or server is touched, instead of being ignored without a word.

const MISSING = '/nonexistent/active-testing-entry-point-keys';
const target = parseOpenAIModelSpec('openai:http://127.0.0.1:9/v1#m', { env: {} });
const table = {
  columns: ['sentence', 'label'],
  rows: [
    ['good', 'positive'],
    ['bad', 'negative'],
  ],
};
const spec = { name: 'toy', classes: ['negative', 'positive'], answerString: 'Label', instruction: '' };

const pool = syntheticPool({ poolSize: 20, seed: 0 });

const refusals: Array<[string, () => unknown, RegExp]> = [
  [
    'createAdaptiveSampler',
    () => createAdaptiveSampler(adaptiveCandidates(pool.modelScores, pool.surrogateScores), 0.1, { warmUp: 50 } as never),
    /^warmUp: expected a known option, did you mean warmup\? \(valid: prior, defensiveCandidate, defensiveWeight, shares, confidence, tailPenalty, spreadPriorLabels, warmup, predictionCandidate, deferredLosses\)/,
  ],
  [
    'Model.fromPretrained',
    () => Model.fromPretrained(MISSING, { devise: 'cpu' } as never),
    /^devise: expected a known option, did you mean device\? \(valid: device, dtype, progress_callback, revision, cache_dir, local_files_only, prefixCacheMemoryLimit\)/,
  ],
  [
    'Model.fromPretrained device',
    () => Model.fromPretrained(MISSING, { device: 'gpu' as never }),
    /^device: expected one of cpu \| cuda \| auto .*, got "gpu"/,
  ],
  [
    'Model.fromPretrained dtype',
    () => Model.fromPretrained(MISSING, { dtype: 'fp33' }),
    /^dtype: expected one of auto \| fp32 \| .* \(did you mean fp32\?\), got "fp33"/,
  ],
  [
    'new OpenAIBackend',
    () => new OpenAIBackend(target, { concurency: 2 } as never),
    /^concurency: expected a known option, did you mean concurrency\? \(valid: openaiMode, topLogprobs, missingLabel, /,
  ],
  [
    'OpenAIBackend.fromSpec',
    () => OpenAIBackend.fromSpec('openai:http://127.0.0.1:9/v1#m', { apikeyEnv: 'KEY' } as never),
    /^apikeyEnv: expected a known option, did you mean apiKeyEnv\?/,
  ],
  [
    'OpenAIBackend missingLabel',
    () => new OpenAIBackend(target, { openaiMode: 'top-logprobs', missingLabel: 'flor' as never }),
    /^missingLabel: expected one of error \| floor \(did you mean floor\?\), got "flor"/,
  ],
  [
    'OpenAIBackend openaiMode',
    () => new OpenAIBackend(target, { openaiMode: 'echoo' as never }),
    /^openaiMode: expected one of echo \| top-logprobs \(did you mean echo\?\), got "echoo"/,
  ],
  ['OpenAIBackend topLogprobs', () => new OpenAIBackend(target, { topLogprobs: 0 }), /^topLogprobs: expected an integer ≥ 1, got 0/],
  ['OpenAIBackend concurrency', () => new OpenAIBackend(target, { concurrency: 1.5 }), /^concurrency: expected an integer ≥ 1, got 1\.5/],
  // The names before they were evaluate's: each refused, pointing to today's.
  [
    'OpenAIBackend mode (old name)',
    () => new OpenAIBackend(target, { mode: 'top-logprobs' } as never),
    /^mode: expected a known option, did you mean openaiMode\?/,
  ],
  [
    'OpenAIBackend onMissingLabel (old name)',
    () => new OpenAIBackend(target, { onMissingLabel: 'floor' } as never),
    /^onMissingLabel: expected a known option, did you mean missingLabel\?/,
  ],
  [
    'OpenAIBackend retry (old name)',
    () => new OpenAIBackend(target, { retry: { maxRetries: 1 } } as never),
    /^retry: expected a known option, did you mean maxRetries\?/,
  ],
  [
    'OpenAIHttpClient timeoutMs (old name)',
    () => new OpenAIHttpClient({ timeoutMs: 1000 } as never),
    /^timeoutMs: expected a known option, did you mean requestTimeout \(in seconds, not milliseconds\)\?/,
  ],
  [
    'OpenAIHttpClient initialDelayMs (old name)',
    () => new OpenAIHttpClient({ initialDelayMs: 10 } as never),
    /^initialDelayMs: expected a known option, did you mean retryDelay \(in seconds, not milliseconds\)\?/,
  ],
  [
    'OpenAIHttpClient maxDelayMs (old name)',
    () => new OpenAIHttpClient({ maxDelayMs: 10 } as never),
    /^maxDelayMs: expected a known option, did you mean maxRetryDelay \(in seconds, not milliseconds\)\?/,
  ],
  ['OpenAIBackend echoMaxTokens', () => new OpenAIBackend(target, { echoMaxTokens: 2 as never }), /^echoMaxTokens: expected 0 or 1, got 2/],
  [
    'new OpenAIHttpClient',
    () => new OpenAIHttpClient({ maxRetrie: 1 } as never),
    /^maxRetrie: expected a known option, did you mean maxRetries\? \(valid: apiKey, requestTimeout, maxRetries, retryDelay, maxRetryDelay, onRetry\)/,
  ],
  [
    'parseOpenAIModelSpec',
    () => parseOpenAIModelSpec('openai:http://127.0.0.1:9/v1#m', { apiKeyenv: 'KEY' } as never),
    /^apiKeyenv: expected a known option, did you mean apiKeyEnv\?/,
  ],
  [
    'TextClassificationDataset.fromTable',
    () => TextClassificationDataset.fromTable(table, spec, { textcolumn: 'sentence' } as never),
    /^textcolumn: expected a known option, did you mean textColumn\? \(valid: textColumn, labelColumn, limit\)/,
  ],
  [
    'TextClassificationDataset.fromFile options',
    () => TextClassificationDataset.fromFile(MISSING, { classes: ['a', 'b'] }, { limt: 2 } as never),
    /^limt: expected a known option, did you mean limit\? \(valid: textColumn, labelColumn, limit, format\)/,
  ],
  [
    'TextClassificationDataset.fromFile spec',
    () => TextClassificationDataset.fromFile(MISSING, { classes: ['a', 'b'], answerstring: 'Answer' } as never),
    /^spec\.answerstring: expected a known option, did you mean answerString\? \(valid: name, classes, answerString, instruction, hub, textColumn, labelColumn, iclSplit, keepLabelsBelow\)/,
  ],
  [
    'TextClassificationDataset.fromHub',
    () => TextClassificationDataset.fromHub({ dataset: 'glue' }, { classes: ['a', 'b'] }, { labelcolumn: 'label' } as never),
    /^labelcolumn: expected a known option, did you mean labelColumn\?/,
  ],
  ['SST2Dataset.load', () => SST2Dataset.load(MISSING, { splt: 'train' } as never), /^splt: expected a known option, did you mean split\?/],
  [
    'Model.score',
    () =>
      new Model({ modelId: 'm', tokenize: async () => [], scoreBatch: async () => new Float32Array() }).score(['a prompt'], [0], {
        batchsize: 2,
      } as never),
    /^batchsize: expected a known option, did you mean batchSize\? \(valid: batchSize, sharedPrefix, signal, onProgress, onBatch, onFloored\)/,
  ],
  [
    'summaryTable',
    () => summaryTable([], null, { treshold: [50] } as never),
    /^treshold: expected a known option, did you mean thresholds\?/,
  ],
  [
    'summaryTable thresholds',
    () => summaryTable([], null, { thresholds: [50, 0] }),
    /^thresholds: expected integers ≥ 1, comma-separated, got \[50, 0\]/,
  ],
  [
    'summaryTable confidence',
    () => summaryTable([], null, { confidence: Number.NaN }),
    /^confidence: expected a multiple of σ ≥ 1 \(1\.96 for a 95% band\), got NaN/,
  ],
  [
    'acquisitionValues name',
    () => acquisitionValues('surogate-ce' as never, { ...pool }, { temperature: null, eps: 1e-15, flags: NUMERICS_FLAGS.default }),
    /^acquisition: expected one of iid \| true-loss \| self-entropy \| surrogate-ce \| surrogate-pe \| surrogate-nll \(did you mean surrogate-ce\?\), got "surogate-ce"/,
  ],
  [
    'acquisitionValues options',
    () =>
      acquisitionValues('surrogate-ce', { ...pool }, {
        temperature: null,
        eps: 1e-15,
        flags: NUMERICS_FLAGS.default,
        temprature: 2,
      } as never),
    /^temprature: expected a known option, did you mean temperature\? \(valid: temperature, eps, flags\)/,
  ],
  [
    'predictiveEntropy',
    () => predictiveEntropy(pool.modelScores, { temprature: 2 } as never),
    /^temprature: expected a known option, did you mean temperature\?/,
  ],
  [
    'predictiveEntropy softmax',
    () => predictiveEntropy(pool.modelScores, { softmax: 'clmp' as never }),
    /^softmax: expected one of stable \| clamp \(did you mean clamp\?\), got "clmp"/,
  ],
  [
    'writeNpy',
    () => writeNpy(`${MISSING}/x.npy`, pool.labels, { forse: true } as never),
    /^forse: expected a known option, did you mean force\? \(valid: force\)/,
  ],
  [
    'squaredErrorSpec',
    () => squaredErrorSpec([], { xtitle: 'Labels' } as never),
    /^xtitle: expected a known option, did you mean xTitle\? \(valid: allSettings, xTitle\)/,
  ],
  [
    // Before the renderers load: a misspelt scale would otherwise give a figure at the default one.
    'renderFigure',
    () => renderFigure(squaredErrorSpec([]), { scale: 4 } as never),
    /^scale: expected a known option, did you mean pngScale\? \(valid: pngScale\)/,
  ],
  [
    'loadCalibrationSet',
    () =>
      loadCalibrationSet(`${MISSING}/f.npy`, `${MISSING}/y.npy`, {
        score: '--calibration-scores',
        labels: '--calibration-labels',
      } as never),
    /^names\.score: expected a known option, did you mean scores\? \(valid: scores, labels\)/,
  ],
  [
    'runScoringJob',
    () => runScoringJob({} as Model, TextClassificationDataset.fromTable(table, spec), { batchsize: 2 } as never),
    /^batchsize: expected a known option, did you mean batchSize\?/,
  ],
];

describe.each(refusals)('%s', (_name, call, message) => {
  it('refuses the value with an InputError naming the option and the valid names', async () => {
    const error = await caught(call);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('runScoringJob given a model or dataset of the wrong kind from JavaScript', () => {
  it('refuses it with an InputError naming the argument, before anything is scored', async () => {
    const dataset = TextClassificationDataset.fromTable(table, spec);
    const unused = (): never => {
      throw new Error('not to be called');
    };
    const model = { labelTokenIds: unused, score: unused } as unknown as Model;
    await expect(runScoringJob(undefined as never, dataset)).rejects.toThrow(/^model: expected a Model \(from Model\.fromPretrained\)$/);
    await expect(runScoringJob({} as Model, dataset)).rejects.toThrow(/^model: expected a Model \(from Model\.fromPretrained\), got \{\}$/);
    await expect(runScoringJob(model, null as never)).rejects.toThrow(/^dataset: expected a TextClassificationDataset, got null$/);
    await expect(runScoringJob(model, {} as never)).rejects.toThrow(
      /^dataset\.texts: expected a list of texts, as in a TextClassificationDataset$/,
    );
  });
});

describe('the keys still accepted', () => {
  it('reads a table with every column option, and a backend with every option', async () => {
    const dataset = TextClassificationDataset.fromTable(table, spec, { textColumn: 'sentence', labelColumn: 'label', limit: 1 });
    expect([...dataset.texts]).toEqual(['good']);
    expect([...dataset.labels]).toEqual([1]);
    const backend = new OpenAIBackend(target, {
      openaiMode: 'top-logprobs',
      topLogprobs: 5,
      missingLabel: 'floor',
      echoMaxTokens: 0,
      concurrency: 2,
      requestTimeout: 1,
      maxRetries: 1,
      retryDelay: 0.1,
      maxRetryDelay: 2,
      onRetry: () => undefined,
      apiKeyEnv: undefined,
    });
    expect([backend.openaiMode, backend.topLogprobs, backend.missingLabel, backend.concurrency]).toEqual(['top-logprobs', 5, 'floor', 2]);
  });
});

describe('ActiveSurrogateEstimator', () => {
  const input = { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores };
  it('refuses a mode or numerics with the valid names and a suggestion, as the registries do', () => {
    expect(() => new ActiveSurrogateEstimator(input, { mode: 'cee' as never })).toThrow(
      /^mode: expected one of ce \| pe \| nll \(did you mean ce\?\), got "cee"$/,
    );
    expect(() => new ActiveSurrogateEstimator(input, { numerics: 'referance' as never })).toThrow(
      /^numerics: expected one of default \| reference \(did you mean reference\?\), got "referance"$/,
    );
  });
});

describe('relativeError and relativeLabellingCost', () => {
  const curve = { data: Float64Array.of(1, 2), rows: 1, cols: 2 };
  it('refuse an unknown option or x axis with the valid names', () => {
    expect(() => relativeError(curve, curve, 0, { xlimit: 1 } as never)).toThrow(
      /^xlimit: expected a known option, did you mean xlim\? \(valid: loss, smoothing, step, xAxis, xlim\)/,
    );
    expect(() => relativeLabellingCost(curve, curve, 0, { smothing: 2 } as never)).toThrow(
      /^smothing: expected a known option, did you mean smoothing\? \(valid: loss, smoothing, step, xAxis\)/,
    );
    expect(() => relativeError(curve, curve, 0, { xAxis: 'label' as never })).toThrow(
      /^xAxis: expected one of labels \| reference \(did you mean labels\?\), got "label"/,
    );
  });
});

describe('a dataset spec given as another object that has its fields', () => {
  it('is taken as it is: a preset, or a dataset read before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spec-shape-'));
    const path = join(dir, 'pool.tsv');
    writeFileSync(path, 'sentence\tlabel\nfine\t1\nbad\t0\n');
    const fromPreset = await TextClassificationDataset.fromFile(path, DATASET_PRESETS.sst2);
    expect([fromPreset.classes, Array.from(fromPreset.labels)]).toEqual([
      ['negative', 'positive'],
      [1, 0],
    ]);
    const fromDataset = await TextClassificationDataset.fromFile(path, fromPreset);
    expect([fromDataset.answerString, Array.from(fromDataset.labels)]).toEqual(['Label', [1, 0]]);
  });
});

describe('an option that applies to the other source', () => {
  it('is refused rather than ignored: a Hub split with a file path, a file format or a misspelt key of the Hub source', async () => {
    await expect(SST2Dataset.load(MISSING, { split: 'validation' })).rejects.toThrow(
      new InputError({ argument: 'split', expected: 'no split with a file path (it names a Hub split)', received: 'validation' }),
    );
    await expect(SST2Dataset.load(undefined, { format: 'tsv' })).rejects.toThrow(
      new InputError({ argument: 'format', expected: 'no format without a file path (the Hub answers in one)', received: 'tsv' }),
    );
    await expect(
      TextClassificationDataset.fromHub({ dataset: 'glue', spilt: 'validation' } as never, { classes: ['a', 'b'] }),
    ).rejects.toThrow(/^source\.spilt: expected a known option, did you mean split\? \(valid: dataset, config, split\)/);
  });
});
