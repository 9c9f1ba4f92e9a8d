import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readTextFile } from '../dataset/read-table.js';
import { FileFormatError, InputError, type InputErrorDetails } from '../errors.js';
import { checkTopLogprobsLabelCount, OpenAIBackend } from '../model/backends/openai.js';
import type { RetryNotice } from '../model/backends/openaiHttp.js';
import { checkServedModelScheme, isOpenAIModelSpec } from '../model/backends/openaiTarget.js';
import { checkTsvSafe } from '../io/tsv-safe.js';
import { checkHubModelId, checkModelFolder, isLocalModelPath, type ModelDevice } from '../model/transformers-backend.js';
import { checkNoCommandLineFlags, checkOption, optionNames, optionSynonyms } from '../options/index.js';
import { checkKnownKeys } from '../io/suggest.js';
import type { EvaluateConfig, EvaluateRun } from './evaluate.js';

/**
 * An evaluation's options, under the option schema's names: the flags of `active-testing
 * evaluate` (`iclExamples` ↔ `--icl-examples`) and the keys of a grid's evaluate steps. Defaults
 * as `active-testing evaluate --help` says.
 */
export interface EvaluateOptions {
  /** A model folder, a Hugging Face Hub id, or `openai:<base URL>#<model>`. */
  model: string;
  /** A .tsv, .csv, .jsonl or .parquet file, or `hub:name[:config][:split]`. */
  data: string;
  /** Class names in label-id order (a list, or comma-separated). */
  classes: string[] | string;
  textColumn?: string;
  labelColumn?: string;
  limit?: number;
  instruction?: string;
  instructionFile?: string;
  answerString?: string;
  iclExamples?: number;
  iclData?: string;
  iclSeed?: number;
  noPrefixCache?: boolean;
  batchSize?: number;
  /** Bytes a batch's copies of the cached prompt prefix may take (`ModelLoadOptions.prefixCacheMemoryLimit`). */
  prefixCacheMemoryLimit?: number;
  device?: ModelDevice;
  dtype?: string;
  apiKeyEnv?: string;
  openaiMode?: 'echo' | 'top-logprobs';
  topLogprobs?: number;
  missingLabel?: 'error' | 'floor';
  concurrency?: number;
  requestTimeout?: number;
  maxRetries?: number;
  maxRetryDelay?: number;
}

/** What an evaluation's options resolve to: the configuration that determines the results, and how it runs. */
export interface ResolvedEvaluation {
  config: EvaluateConfig;
  run: Required<Pick<EvaluateRun, 'batchSize' | 'device' | 'prefixCache'>> & Pick<EvaluateRun, 'backend' | 'prefixCacheMemoryLimit'>;
  /** The served model's backend (its counters feed progress lines), for `openai:` models. */
  remote?: OpenAIBackend;
}

/** The options that name files: relative paths are resolved against the grid file's folder or the working directory. */
export const EVALUATE_PATH_OPTIONS = ['model', 'data', 'iclData', 'instructionFile'] as const;

/**
 * Checks an evaluation's options against the option schema: known keys only (with a
 * suggestion), each value of its declared type and range, and the required ones present.
 * `where` prefixes the names in errors (`evaluate.target` → `evaluate.target.iclExamples`).
 *
 * @throws {InputError} naming the first bad option.
 * @example
 * checkEvaluateOptions({ model: 'models/x', data: 'pool.tsv', classes: 'neg,pos', iclExamples: 8 }, null);
 * checkEvaluateOptions({ model: 'm', data: 'd', classes: 'a,b', 'icl-examples': 8 }, null); // InputError: icl-examples: … did you mean iclExamples?
 */
export function checkEvaluateOptions(input: Record<string, unknown>, where: string | null): EvaluateOptions {
  checkNoCommandLineFlags(input, 'evaluate', where);
  checkKnownKeys(input, optionNames('evaluate'), where, optionSynonyms('evaluate'));
  const argument = (name: string) => (where === null ? name : `${where}.${name}`);
  const checked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) checked[name] = checkOption(name, value, 'evaluate', argument(name));
  for (const name of ['model', 'data', 'classes'])
    if (checked[name] === undefined) throw new InputError({ argument: argument(name), expected: 'a value: it is required' });
  // Scores under such a class name would feed a labelling session that refuses it, after the scoring.
  checkTsvSafe(checked.classes as string[], argument('classes'), 'class names');
  if (checked.instruction !== undefined && checked.instructionFile !== undefined)
    throw new InputError({
      argument: argument('instructionFile'),
      expected: (naming) => `no ${naming.option(argument('instruction'))} beside it: the instruction or its file`,
    });
  if (checked.iclData !== undefined && !((checked.iclExamples as number | undefined) ?? 0))
    throw new InputError({
      argument: argument('iclData'),
      expected: (naming) => `in-context examples with it: ${naming.option(argument('iclExamples'))} ≥ 1`,
    });
  return checked as unknown as EvaluateOptions;
}

const localPath = (path: string): string => (path.startsWith('hub:') ? path : resolve(path));

/** A data file that is not there is refused with the options, before any scoring (a `hub:` source is read later). */
function checkDataFile(path: string, argument: string): void {
  if (!path.startsWith('hub:') && !existsSync(path)) {
    throw new InputError({
      argument,
      expected: 'an existing .tsv, .csv, .jsonl or .parquet file, or hub:name[:config][:split]',
      received: path,
    });
  }
}

/** The options that only a served (`openai:`) model reads. */
const SERVED_MODEL_OPTIONS = [
  'apiKeyEnv',
  'openaiMode',
  'topLogprobs',
  'missingLabel',
  'concurrency',
  'requestTimeout',
  'maxRetries',
  'maxRetryDelay',
] as const;

/** The options that only a model run here (a folder or a Hub id) reads. */
const LOCAL_MODEL_OPTIONS = ['device', 'dtype', 'noPrefixCache', 'prefixCacheMemoryLimit'] as const;

/** The options that only the `top-logprobs` mode of a served model reads. */
const TOP_LOGPROBS_OPTIONS = ['topLogprobs', 'missingLabel'] as const;

/**
 * The first of `names` given in `options`, refused as `expected`: an option the run would ignore
 * leaves the user believing it took effect.
 */
function refuseIgnored(options: Record<string, unknown>, names: readonly string[], expected: InputErrorDetails['expected']): void {
  const ignored = names.find((name) => options[name] !== undefined);
  if (ignored !== undefined) throw new InputError({ argument: ignored, expected, received: options[ignored] });
}

/**
 * The configuration and run settings of an evaluation from its options (checked with
 * `checkEvaluateOptions`): defaults applied, the instruction file read, paths made absolute
 * (a model that is not a folder here is a Hub id or a served model), and for an `openai:` model
 * the server backend.
 *
 * @throws {InputError} on bad options, and naming `openaiMode` for more classes than the
 *   top-logprobs mode's `topLogprobs` can hold (before any request).
 * @throws {FileFormatError} naming `instructionFile` when the instruction file cannot be read or is not UTF-8.
 * @example
 * const { config, run } = await resolveEvaluateOptions({ model: 'models/x', data: 'pool.tsv', classes: ['neg', 'pos'] });
 * await evaluateToFolder(config, { ...run, out: 'scores/x' });
 */
export async function resolveEvaluateOptions(input: EvaluateOptions, onRetry?: (notice: RetryNotice) => void): Promise<ResolvedEvaluation> {
  const options = checkEvaluateOptions(input as unknown as Record<string, unknown>, null);
  const given = options as unknown as Record<string, unknown>;
  if (!isOpenAIModelSpec(options.model)) {
    checkServedModelScheme(options.model);
    refuseIgnored(
      given,
      SERVED_MODEL_OPTIONS,
      'only with a served model (model openai:http://host:port/v1#name); a local or Hub model runs here',
    );
    if (isLocalModelPath(options.model)) checkModelFolder(resolve(options.model));
    else checkHubModelId(options.model, 'model');
  } else {
    refuseIgnored(given, LOCAL_MODEL_OPTIONS, 'only with a model run here (a folder or a Hub id); a served model runs on its server');
    if ((options.openaiMode ?? 'echo') === 'echo')
      refuseIgnored(
        given,
        TOP_LOGPROBS_OPTIONS,
        (naming) => `only with ${naming.setting('openaiMode', 'top-logprobs')}; the echo mode reads every label exactly`,
      );
  }
  checkDataFile(options.data, 'data');
  if (options.iclData !== undefined) checkDataFile(options.iclData, 'iclData');
  let instruction = options.instruction ?? '';
  if (options.instructionFile !== undefined) {
    try {
      instruction = await readTextFile(options.instructionFile);
    } catch (error) {
      if (!(error instanceof FileFormatError)) throw error;
      throw new FileFormatError(error.path, error.reason, 'instructionFile');
    }
  }
  const config: EvaluateConfig = {
    model: existsSync(options.model) ? resolve(options.model) : options.model,
    dtype: options.dtype ?? 'fp32',
    data: localPath(options.data),
    classes: options.classes as string[],
    instruction,
    answer_string: options.answerString ?? 'Label',
    text_column: options.textColumn ?? 'sentence',
    label_column: options.labelColumn ?? 'label',
    limit: options.limit ?? null,
    icl_examples: options.iclExamples ?? 0,
    icl_data: options.iclData === undefined ? null : localPath(options.iclData),
    icl_seed: options.iclSeed ?? 0,
  };
  const run = {
    batchSize: options.batchSize ?? 16,
    device: options.device ?? 'cpu',
    prefixCache: options.noPrefixCache !== true,
    ...(options.prefixCacheMemoryLimit === undefined ? {} : { prefixCacheMemoryLimit: options.prefixCacheMemoryLimit }),
  };
  if (!isOpenAIModelSpec(config.model)) return { config, run };
  const remote = OpenAIBackend.fromSpec(config.model, {
    apiKeyEnv: options.apiKeyEnv,
    openaiMode: options.openaiMode,
    topLogprobs: options.topLogprobs,
    missingLabel: options.missingLabel,
    concurrency: options.concurrency,
    requestTimeout: options.requestTimeout,
    maxRetries: options.maxRetries,
    maxRetryDelay: options.maxRetryDelay,
    onRetry,
  });
  checkTopLogprobsLabelCount(remote, config.classes.length);
  return { config, run: { ...run, backend: remote }, remote };
}
