import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { totalmem } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ActiveTestingError, CancelledError, FileFormatError, InputError, ReceivedKind } from '../errors.js';
import { MODEL_DEVICES, MODEL_DTYPES, type ModelDevice } from '../options/registry.js';
import { checkChoice, checkKnownKeys } from '../io/suggest.js';
import type { CheckPromptsOptions, ScoreBatchOptions, ScoringBackend } from './backend.js';
import { checkTokenIdsInVocabulary } from './label-tokens.js';
import { positionTableRows } from './onnx-graph.js';
import { formatCount } from '../io/format-count.js';

/** Where a model runs: onnxruntime-node's CPU or CUDA execution provider, or CUDA where it is installed and works, else the CPU. */
export type { ModelDevice };

/** A loading-progress event, as transformers.js reports it (`status` is `initiate`, `progress`, `done`, `ready`, ...). */
export interface LoadProgress {
  status: string;
  name?: string;
  file?: string;
  progress?: number;
  loaded?: number;
  total?: number;
}

/** Options of `Model.fromPretrained` and `TransformersBackend.fromPretrained`. */
export interface ModelLoadOptions {
  /** Default `cpu`. */
  device?: ModelDevice;
  /** Weight precision as transformers.js names it (`fp32`, `fp16`, `q8`, `q4`, ...); default `fp32`. */
  dtype?: string;
  /** Called with transformers.js's loading events (file downloads, session creation). */
  progress_callback?: (progress: LoadProgress) => void;
  /** Hub revision (branch, tag or commit) for Hub ids. */
  revision?: string;
  /** Where downloaded Hub files are cached. */
  cache_dir?: string;
  /** Never contact the Hub (folders always load this way). */
  local_files_only?: boolean;
  /**
   * Bytes that a batch's copies of a cached prompt prefix may take (one per item: layers × key/value
   * heads × head size × prefix tokens × 4 bytes × 2, for keys and values); a batch needing more is
   * refused before it is scored, saying the batch size that fits. Default: a quarter of this
   * machine's memory, since onnxruntime's outputs take about as much again.
   */
  prefixCacheMemoryLimit?: number;
}

const MODEL_LOAD_OPTIONS = [
  'device',
  'dtype',
  'progress_callback',
  'revision',
  'cache_dir',
  'local_files_only',
  'prefixCacheMemoryLimit',
] satisfies (keyof ModelLoadOptions)[];

/** The files a local model folder must hold, in transformers.js's layout. */
export { MODEL_DTYPES };

/** The config.json fields that bound a model's input length, in the order they are trusted. */
const POSITION_LIMIT_FIELDS = ['max_position_embeddings', 'n_positions', 'n_ctx'] as const;
/** Special tokens (BOS, EOS, …) a tokenizer may add to a prompt's one-token-per-byte bound, generously. */
const SPECIAL_TOKEN_ALLOWANCE = 16;

export const MODEL_FOLDER_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'] as const;

// Minimal structural views of the transformers.js objects used here, so that the library's public
// types never reference the optional peer dependency.
interface TfTensor {
  type: string;
  data: ArrayLike<number> & { length: number };
  dims: number[];
  to(type: string): TfTensor;
}
type TfTensorConstructor = new (type: string, data: unknown, dims: number[]) => TfTensor;
interface TfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  unk_token_id?: number;
  pad_token_id?: number;
  eos_token_id?: number;
}
interface TfSession {
  inputNames: string[];
}
interface TfModel {
  (inputs: Record<string, unknown>): Promise<Record<string, TfTensor>>;
  sessions: Record<string, TfSession>;
  config?: Record<string, unknown>;
  dispose(): Promise<unknown>;
}
interface TfLoader<T> {
  from_pretrained(id: string, options: Record<string, unknown>): Promise<T>;
}
interface TransformersModule {
  AutoTokenizer: TfLoader<TfTokenizer>;
  AutoModelForCausalLM: TfLoader<TfModel>;
  Tensor: TfTensorConstructor;
  /** Where Hub files are downloaded from (`https://huggingface.co/`, or a mirror), and the default `cache_dir`. */
  env?: { remoteHost?: string; cacheDir?: string | null };
}

/**
 * The folder of transformers.js's file cache holding a Hub model's files (`<cache>/<id>` at the
 * main revision, `<cache>/<id>/<revision>` at another), as its file cache keys them.
 *
 * @throws {ActiveTestingError} when its tokenizer files are not there: with local_files_only
 * nothing can be downloaded.
 */
function cachedHubFolder(tf: TransformersModule, id: string, options: ModelLoadOptions): string {
  const cache = options.cache_dir ?? tf.env?.cacheDir ?? null;
  const revision = options.revision ?? 'main';
  const folder = cache === null ? null : revision === 'main' ? join(cache, id) : join(cache, id, revision);
  if (folder === null || !['tokenizer.json', 'tokenizer_config.json'].every((file) => existsSync(join(folder, file)))) {
    throw new ActiveTestingError(
      `could not load model "${id}" with local_files_only: its tokenizer files (tokenizer.json, tokenizer_config.json) are not in the cache (${folder ?? 'none set'}), and local_files_only forbids downloading them`,
    );
  }
  return folder;
}

/** The weights file transformers.js loads for each precision (`onnx/model<suffix>.onnx`). */
const DTYPE_FILE_SUFFIX: Readonly<Record<string, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  bnb4: '_bnb4',
  q4f16: '_q4f16',
};

/** Refuses a precision whose weights a local model folder does not have, naming those it has. */
function checkWeightsFor(dir: string, dtype: string): void {
  const suffix = DTYPE_FILE_SUFFIX[dtype];
  if (suffix === undefined || existsSync(join(dir, 'onnx', `model${suffix}.onnx`))) return;
  const present = Object.entries(DTYPE_FILE_SUFFIX)
    .filter(([, ending]) => existsSync(join(dir, 'onnx', `model${ending}.onnx`)))
    .map(([name]) => name);
  throw new InputError({
    argument: 'dtype',
    expected: `a precision whose weights the model folder has (onnx/model${suffix}.onnx is missing; it has ${present.join(', ') || 'none'})`,
    received: dtype,
  });
}

/** The input-length limit config.json states (`POSITION_LIMIT_FIELDS`), or null. */
function configPositionLimit(config: Record<string, unknown>): { tokens: number; field: string } | null {
  const field = POSITION_LIMIT_FIELDS.find((name) => typeof config[name] === 'number' && (config[name] as number) > 0);
  return field === undefined ? null : { tokens: config[field] as number, field };
}

/** The rows of the position-embedding table in a model folder's graph for `dtype`, or null. */
function graphPositionLimit(dir: string, dtype: string): { tokens: number; field: string } | null {
  const file = `onnx/model${DTYPE_FILE_SUFFIX[dtype] ?? ''}.onnx`;
  const rows = positionTableRows(join(dir, file));
  return rows === null ? null : { tokens: rows, field: `the position-embedding table in ${file}` };
}

/**
 * The size of the table that onnxruntime refused to index past, when `error` is its failure of a
 * Gather node (`idx=1024 must be within the inclusive range [-1024,1023]`) at an index that is a
 * position of the batch (`longest` tokens), else null.
 */
function refusedPositionLimit(error: unknown, longest: number): number | null {
  const match = /Gather\b.*idx=(\d+) must be within the inclusive range \[-?\d+,\s*(\d+)\]/s.exec(
    String((error as Error)?.message ?? error),
  );
  if (match === null) return null;
  const index = Number(match[1]);
  const rows = Number(match[2]) + 1;
  return index >= rows && index < longest ? rows : null;
}

// Removing the skip alone installs nothing: `npm install` does not run the install script of a
// package already installed, and an npm set to refuse scripts not allowed (npm 11's
// strict-allow-scripts) skips it.
const CUDA_INSTALL_HINT =
  "onnxruntime-node's install script downloads it, unless onnxruntime-node-install=skip is in .npmrc or " +
  'ONNXRUNTIME_NODE_INSTALL=skip is set: remove the skip, then run npm rebuild onnxruntime-node ' +
  '(first npm install-scripts approve onnxruntime-node where npm refuses install scripts not allowed)';

/**
 * Whether onnxruntime-node (as transformers.js loads it) has its CUDA execution provider library
 * for this platform: false when it certainly has not (so that CUDA is not tried, which prints
 * onnxruntime's native error log before failing), undefined when that cannot be told.
 */
function cudaProviderInstalled(): boolean | undefined {
  try {
    const fromTransformers = createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers'));
    const bin = join(dirname(fromTransformers.resolve('onnxruntime-node/package.json')), 'bin');
    const folders = readdirSync(bin)
      .map((napi) => join(bin, napi, process.platform, process.arch))
      .filter((folder) => existsSync(folder));
    if (folders.length === 0) return undefined;
    return folders.some((folder) => readdirSync(folder).some((file) => file.includes('providers_cuda')));
  } catch {
    return undefined;
  }
}

async function loadTransformers(): Promise<TransformersModule> {
  try {
    return (await import('@huggingface/transformers')) as unknown as TransformersModule;
  } catch (error) {
    throw transformersLoadFailure(error);
  }
}

const TRANSFORMERS = '@huggingface/transformers';

/**
 * Why `@huggingface/transformers` could not be imported, as one line that says which package is
 * missing and how to install it. Node's own message ends "imported from <file>", naming a build
 * chunk of this package (`dist/chunk-….js`), which means nothing to the user: it is left out.
 *
 * @example
 * transformersLoadFailure(error).message; // 'scoring with a local model needs the optional peer dependency @huggingface/transformers, which is not installed: npm install @huggingface/transformers'
 */
export function transformersLoadFailure(error: unknown): ActiveTestingError {
  const needs = `scoring with a local model needs the optional peer dependency ${TRANSFORMERS}`;
  const { code, message } = error instanceof Error ? (error as NodeJS.ErrnoException) : { code: undefined, message: String(error) };
  const missing =
    code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
      ? /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1]
      : undefined;
  if (missing === TRANSFORMERS) return new ActiveTestingError(`${needs}, which is not installed: npm install ${TRANSFORMERS}`);
  if (missing !== undefined)
    return new ActiveTestingError(
      `${needs}, which cannot load: its dependency ${missing} is not installed; reinstall it: npm install ${TRANSFORMERS}`,
    );
  // The importing file's path may hold spaces: everything after the last " imported from " goes.
  const reason = message.split('\n')[0]?.replace(/ imported from .*$/, '') ?? '';
  return new ActiveTestingError(`${needs}, which cannot load (npm install ${TRANSFORMERS}): ${reason}`);
}

/**
 * Whether `idOrPath` names a folder rather than a Hub id: anything that exists on disk, or that
 * looks like a path (`looksLikeModelPath`).
 */
export function isLocalModelPath(idOrPath: string): boolean {
  return existsSync(idOrPath) || looksLikeModelPath(idOrPath);
}

/**
 * Whether `idOrPath` is a path by its shape alone, never a Hub id (`name` or `owner/name`): it
 * starts with `.`, `/` or `~`, is absolute, has more than one `/`, or holds a `\\`.
 */
export function looksLikeModelPath(idOrPath: string): boolean {
  return /^[.~/\\]/.test(idOrPath) || isAbsolute(idOrPath) || idOrPath.split('/').length > 2 || idOrPath.includes('\\');
}

/** A Hub repository id as the Hub takes them: `name` or `owner/name`, of letters, digits, `-`, `_` and `.`. */
const HUB_MODEL_ID = /^(?:[\w.-]+\/)?[\w.-]+$/;

/**
 * Refuses `id`, a model that is not a folder here, unless it can be a Hub id. Anything else
 * (`hf:gpt2`, a pasted ` gpt2`) reached transformers.js, which failed on it with an internal
 * TypeError (`Cannot read properties of undefined`) instead of saying what was wrong.
 *
 * @throws {InputError} naming `argument` when `id` is not of the form `name` or `owner/name`.
 * @example
 * checkHubModelId('onnx-community/Llama-3.2-1B', 'model'); // passes
 * checkHubModelId('hf:gpt2', 'model'); // throws: model: expected an existing model folder or a Hub id …
 */
export function checkHubModelId(id: string, argument: string): void {
  if (!HUB_MODEL_ID.test(id))
    throw new InputError({
      argument,
      expected: 'an existing model folder or a Hub id (name or owner/name, of letters, digits, "-", "_" and ".")',
      received: id,
    });
}

/**
 * The first JSON file of a model folder that does not parse, and why: transformers.js's parse
 * error names no file. Read only after a load failed, so a good folder is not parsed twice.
 */
function unparsableJsonFile(dir: string): { file: string; reason: string } | null {
  // The layout's files first, then any other (generation_config.json, which transformers.js reads too).
  const layout = MODEL_FOLDER_FILES.filter((name) => name.endsWith('.json'));
  const others = readdirSync(dir)
    .filter((name) => name.endsWith('.json') && !(layout as readonly string[]).includes(name))
    .sort();
  for (const file of [...layout, ...others]) {
    try {
      JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (error) {
      if (error instanceof SyntaxError) return { file, reason: error.message };
    }
  }
  return null;
}

/**
 * A load of model folder `dir` (named `named`, as it was given) that failed on one of its JSON
 * files, as a `FileFormatError` naming that file, or null when no file is at fault.
 */
function brokenJsonFailure(error: unknown, dir: string, named: string): FileFormatError | null {
  const broken = error instanceof SyntaxError ? unparsableJsonFile(dir) : null;
  return broken === null
    ? null
    : new FileFormatError(join(named, broken.file), `not valid JSON (${broken.reason})`, 'model', { cause: error });
}

/** Token ids of `text` by `tokenizer`: `TransformersBackend.tokenize` and `loadFolderTokenizer`'s tokenize alike. */
function encode(tokenizer: TfTokenizer, text: string, addSpecialTokens: boolean): number[] {
  return tokenizer.encode(text, { add_special_tokens: addSpecialTokens });
}

/**
 * The tokenizer of a model folder (`tokenizer.json`, `tokenizer_config.json`), loaded alone, as
 * `TransformersBackend` tokenizes with it: label tokens can be checked (two classes of one
 * first token, a class of the unknown token) in a fraction of a second, without the weights that
 * take minutes to load.
 *
 * @throws {FileFormatError} naming `model` and the file when a tokenizer file is not valid JSON.
 * @example
 * const tokenizer = await loadFolderTokenizer('/models/llama');
 * await labelTokenIds(tokenizer, "Sentence: 'fine' \nLabel:", ['negative', 'positive']);
 */
export async function loadFolderTokenizer(dir: string): Promise<Pick<ScoringBackend, 'tokenize' | 'unknownTokenId'>> {
  const tf = await loadTransformers();
  let tokenizer: TfTokenizer;
  try {
    tokenizer = await tf.AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  } catch (error) {
    if (error instanceof ActiveTestingError) throw error;
    throw (
      brokenJsonFailure(error, dir, dir) ??
      new ActiveTestingError(`could not load the tokenizer of model "${dir}": ${(error as Error).message}`)
    );
  }
  return tokenizerParts(tokenizer);
}

/**
 * The tokenizer of a Hub model (`tokenizer.json`, `tokenizer_config.json`: a few MB, into the cache
 * the model's load reads them from), loaded alone as `loadFolderTokenizer` loads a folder's, or
 * null when the Hub cannot be reached or fails for a while (429, 5xx): the model's load, at its
 * turn, says so or succeeds.
 *
 * @throws {ActiveTestingError} when the Hub answers but the tokenizer cannot be loaded (no such
 * model, a gated one), with the message the model's load would give.
 * @example
 * const tokenizer = await loadHubTokenizer('onnx-community/Llama-3.2-1B');
 */
export async function loadHubTokenizer(id: string): Promise<Pick<ScoringBackend, 'tokenize' | 'unknownTokenId'> | null> {
  const tf = await loadTransformers();
  let tokenizer: TfTokenizer;
  try {
    tokenizer = await tf.AutoTokenizer.from_pretrained(id, { local_files_only: false });
  } catch (error) {
    if (error instanceof ActiveTestingError) throw error;
    if (passingHubFailure(error)) return null;
    throw new ActiveTestingError(`could not load model "${id}": ${hubFailure(tf, error)}`);
  }
  return tokenizerParts(tokenizer);
}

function tokenizerParts(tokenizer: TfTokenizer): Pick<ScoringBackend, 'tokenize' | 'unknownTokenId'> {
  return {
    unknownTokenId: tokenizer.unk_token_id ?? null,
    tokenize: async (text, _signal, addSpecialTokens = true) => encode(tokenizer, text, addSpecialTokens),
  };
}

/**
 * Refuses a model folder that does not exist or lacks a file of the transformers.js layout
 * (`MODEL_FOLDER_FILES`), naming them: checked before any loading.
 *
 * @throws InputError naming `model`.
 */
export function checkModelFolder(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError({ argument: 'model', expected: 'an existing model folder or a Hub id', received: dir });
  }
  const missing = MODEL_FOLDER_FILES.filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) {
    throw new InputError({
      argument: 'model',
      expected: `a model folder in the transformers.js layout (${MODEL_FOLDER_FILES.join(', ')}); missing ${missing.join(', ')}`,
      received: dir,
    });
  }
}

interface ForwardResult {
  /** [batch, positions, vocabulary] */
  logits: TfTensor;
  /** Each row's last real token position. */
  lastToken: Int32Array;
}

/** Key/value tensors of a shared prompt prefix, computed once and reused for every batch. */
interface PrefixCache {
  text: string;
  /** The prefix's tokens that the cache covers (the prefix's last token is left to the items, in case it merges with them). */
  tokens: number[];
  /** `past_key_values.*` tensors of batch 1, by input name. */
  past: Map<string, TfTensor>;
  /** The same tensors repeated for the last batch size used. */
  expanded: { batch: number; feeds: Record<string, TfTensor> } | null;
}

/** Passed by `fromPretrained` only: the constructor is private, but JavaScript can still call it. */
const CONSTRUCT = Symbol('TransformersBackend.construct');

/**
 * Runs a causal LM locally with transformers.js and onnxruntime-node: one forward pass per
 * batch (left padding, attention mask, position ids), returning the raw logits of the label
 * tokens at the last position. When the ONNX graph takes `past_key_values.*`, a shared prompt
 * prefix is encoded once and its key/value cache reused for every item. A graph without a
 * `position_ids` input numbers positions itself, ignoring padding, so its batches are padded on
 * the right instead, which leaves every real token at its true position.
 *
 * @example
 * const backend = await TransformersBackend.fromPretrained('test/models/tiny-gpt2');
 * const scores = await backend.scoreBatch(["Sentence: 'fine' \nLabel:"], [117, 115]);
 */
export class TransformersBackend implements ScoringBackend {
  readonly modelId: string;
  readonly unknownTokenId: number | null;
  /**
   * How many token ids the model scores: the width of its logits once the graph has run (exact),
   * before that config.json's `vocab_size`, or null when it states none. Label token ids are
   * checked against it before any batch, and against the logits themselves at every batch.
   */
  get vocabularySize(): number | null {
    return this.vocabulary;
  }
  /** Whether the graph takes a key/value cache, so that shared prefixes can be cached. */
  readonly supportsPrefixCache: boolean;
  /**
   * The longest input the model takes, from its config.json (`max_position_embeddings`,
   * `n_positions` or `n_ctx`), else from the rows of the position-embedding table in a local
   * folder's ONNX graph, else null until onnxruntime refuses a position past that table's end
   * (then from its message, so that the batch's too-long prompt is refused by row). A graph that
   * computes positions at any length (rotary, ALiBi) with a config.json that states no limit stays
   * null: its prompts run at any length, unchecked and unwarned, since past its training context
   * the model still computes its logits (how good they are is the model card's to say) and a
   * warning with no limit to compare against would fire on every prompt alike.
   */
  get maxPositions(): { tokens: number; field: string } | null {
    return this.positionLimit;
  }
  /** Where the model runs: `auto` resolves to one of these when the model loads. */
  readonly device: 'cpu' | 'cuda';
  /** Tokens run through the model so far (padding excluded), for benchmarks and progress lines. */
  tokensProcessed = 0;
  private readonly tf: TransformersModule;
  private readonly tokenizer: TfTokenizer;
  private readonly model: TfModel;
  private readonly inputNames: readonly string[];
  private readonly padTokenId: number;
  private readonly padLeft: boolean;
  private prefix: PrefixCache | null = null;
  private disposed = false;
  /** Forward passes in flight: `dispose` waits for them, as onnxruntime refuses a session freed under a run. */
  private readonly running = new Set<Promise<unknown>>();
  private positionLimit: { tokens: number; field: string } | null;
  private vocabulary: number | null;
  private readonly prefixCacheMemoryLimit: number;

  private constructor(
    token: typeof CONSTRUCT,
    modelId: string,
    device: 'cpu' | 'cuda',
    tf: TransformersModule,
    tokenizer: TfTokenizer,
    model: TfModel,
    graphLimit: { tokens: number; field: string } | null,
    prefixCacheMemoryLimit: number,
  ) {
    // From JavaScript the constructor is reachable: a call there would fail far inside on its arguments.
    if (token !== CONSTRUCT)
      throw new ActiveTestingError(
        'TransformersBackend is not constructed with new: load a model with TransformersBackend.fromPretrained(idOrPath, options)',
      );
    this.prefixCacheMemoryLimit = prefixCacheMemoryLimit;
    this.modelId = modelId;
    this.device = device;
    this.tf = tf;
    this.tokenizer = tokenizer;
    this.model = model;
    const session = model.sessions['model'] ?? Object.values(model.sessions)[0];
    this.inputNames = session?.inputNames ?? [];
    this.supportsPrefixCache = this.inputNames.some((name) => name.startsWith('past_key_values.'));
    this.unknownTokenId = tokenizer.unk_token_id ?? null;
    this.padTokenId = tokenizer.pad_token_id ?? tokenizer.eos_token_id ?? 0;
    this.padLeft = this.inputNames.includes('position_ids');
    const config = model.config ?? {};
    this.positionLimit = configPositionLimit(config) ?? graphLimit;
    const vocabularySize = config['vocab_size'];
    this.vocabulary = typeof vocabularySize === 'number' && Number.isInteger(vocabularySize) && vocabularySize > 0 ? vocabularySize : null;
  }

  /**
   * Loads a tokenizer and causal LM from a local folder (`config.json`, `tokenizer.json`,
   * `tokenizer_config.json`, `onnx/model.onnx`) or a Hugging Face Hub id.
   *
   * @example
   * const backend = await TransformersBackend.fromPretrained('onnx-community/Llama-3.2-1B', { dtype: 'q8', device: 'auto' });
   */
  static async fromPretrained(idOrPath: string, options: ModelLoadOptions = {}): Promise<TransformersBackend> {
    if (typeof idOrPath !== 'string' || idOrPath === '')
      throw new InputError({ argument: 'idOrPath', expected: 'a Hub model id or a local folder (a non-empty string)', received: idOrPath });
    checkKnownKeys(options, MODEL_LOAD_OPTIONS, null);
    if (options.device !== undefined) checkChoice(options.device, MODEL_DEVICES, 'device');
    if (options.dtype !== undefined) checkChoice(options.dtype, MODEL_DTYPES, 'dtype');
    const prefixCacheMemoryLimit = options.prefixCacheMemoryLimit ?? totalmem() / 4;
    if (typeof prefixCacheMemoryLimit !== 'number' || !Number.isFinite(prefixCacheMemoryLimit) || prefixCacheMemoryLimit <= 0) {
      throw new InputError({
        argument: 'prefixCacheMemoryLimit',
        expected: 'a positive number of bytes',
        received: prefixCacheMemoryLimit,
      });
    }
    const local = isLocalModelPath(idOrPath);
    const id = local ? resolve(idOrPath) : idOrPath;
    if (local) {
      checkModelFolder(id);
      checkWeightsFor(id, options.dtype ?? 'fp32');
    } else {
      checkHubModelId(id, 'idOrPath');
    }
    const tf = await loadTransformers();
    const shared: Record<string, unknown> = {
      local_files_only: local || options.local_files_only === true,
      progress_callback: options.progress_callback,
      ...(options.revision === undefined ? {} : { revision: options.revision }),
      ...(options.cache_dir === undefined ? {} : { cache_dir: options.cache_dir }),
    };
    // transformers.js's tokenizer loader (4.3) looks a Hub model's tokenizer files up without the
    // load's options: in the default cache rather than cache_dir, then on the Hub even with
    // local_files_only, so that a cached model failed to load offline. With local_files_only the
    // tokenizer is read from the cache's folder of the model, as a local folder is.
    const cachedTokenizer = !local && options.local_files_only === true ? cachedHubFolder(tf, id, options) : null;
    const device = options.device ?? 'cpu';
    const cuda = device === 'cpu' ? false : cudaProviderInstalled();
    if (device === 'cuda' && cuda === false) {
      throw new InputError({
        argument: 'device',
        expected: `cpu or auto: onnxruntime-node's CUDA execution provider is not installed here (${CUDA_INSTALL_HINT})`,
        received: device,
      });
    }
    const load = async (on: 'cpu' | 'cuda') => {
      const tokenizer = await tf.AutoTokenizer.from_pretrained(cachedTokenizer ?? id, shared);
      const model = await tf.AutoModelForCausalLM.from_pretrained(id, { ...shared, device: on, dtype: options.dtype ?? 'fp32' });
      const graphLimit = local && configPositionLimit(model.config ?? {}) === null ? graphPositionLimit(id, options.dtype ?? 'fp32') : null;
      return new TransformersBackend(CONSTRUCT, idOrPath, on, tf, tokenizer, model, graphLimit, prefixCacheMemoryLimit);
    };
    try {
      // `auto`: CUDA where its provider is installed, the CPU otherwise or when CUDA fails to start.
      if (device === 'auto' && cuda !== false) {
        try {
          return await load('cuda');
        } catch {
          return await load('cpu');
        }
      }
      return await load(device === 'auto' ? 'cpu' : device);
    } catch (error) {
      if (error instanceof ActiveTestingError) throw error;
      const network = local ? null : networkFailure(error);
      if (network !== null) {
        const host = tf.env?.remoteHost ?? 'https://huggingface.co/';
        throw new ActiveTestingError(
          `could not reach the Hugging Face Hub (${host}) to download model "${idOrPath}": ${network}; a Hub id needs internet access (there is no folder "${idOrPath}" here; without internet, pass a local model folder in the transformers.js layout)`,
        );
      }
      const broken = local ? brokenJsonFailure(error, id, idOrPath) : null;
      if (broken !== null) throw broken;
      throw new ActiveTestingError(`could not load model "${idOrPath}": ${local ? (error as Error).message : hubFailure(tf, error)}`);
    }
  }

  async tokenize(text: string, _signal?: AbortSignal, addSpecialTokens = true): Promise<number[]> {
    return encode(this.tokenizer, text, addSpecialTokens);
  }

  async scoreBatch(
    prompts: readonly string[],
    labelTokenIds: readonly number[],
    signal?: AbortSignal,
    options: ScoreBatchOptions = {},
  ): Promise<Float32Array> {
    this.checkNotDisposed();
    const k = labelTokenIds.length;
    const scores = new Float32Array(prompts.length * k);
    if (prompts.length === 0) return scores;
    const sequences = await Promise.all(prompts.map((p) => this.tokenize(p)));
    sequences.forEach((s, i) => this.checkSequence(s, i, prompts[i] as string));
    try {
      const prefix = options.sharedPrefix && this.supportsPrefixCache ? await this.prefixCache(options.sharedPrefix) : null;
      if (signal?.aborted) throw new CancelledError('scoring cancelled');
      await this.scoreSequences(sequences, prefix, labelTokenIds, scores);
    } catch (error) {
      // The limit learned from onnxruntime's failure names the too-long prompt, as config.json would have.
      sequences.forEach((s, i) => this.checkSequence(s, i, prompts[i] as string));
      throw error;
    }
    return scores;
  }

  private async scoreSequences(
    sequences: readonly number[][],
    prefix: PrefixCache | null,
    labelTokenIds: readonly number[],
    scores: Float32Array,
  ): Promise<void> {
    const cached: number[] = [];
    const plain: number[] = [];
    sequences.forEach((s, i) => (prefix && startsWithTokens(s, prefix.tokens) ? cached : plain).push(i));
    // Only the items that extend the prefix get a copy of it; refused before any of the batch runs.
    if (prefix && cached.length > 0) this.checkPrefixMemory(prefix, cached.length);
    if (plain.length > 0) {
      this.gather(
        await this.forward(
          plain.map((i) => sequences[i] as number[]),
          null,
        ),
        plain,
        labelTokenIds,
        scores,
      );
    }
    if (cached.length > 0 && prefix) {
      const suffixes = cached.map((i) => (sequences[i] as number[]).slice(prefix.tokens.length));
      this.gather(await this.forward(suffixes, prefix), cached, labelTokenIds, scores);
    }
  }

  /**
   * Refuses, before any prompt is scored, one longer than the model's context (`maxPositions`),
   * naming its row. Only prompts that could be too long are tokenized: a tokenizer gives at most
   * one token per UTF-8 byte plus its few special tokens, so a prompt of `maxPositions − 16` bytes
   * or fewer fits, and scoring such prompts costs no extra tokenization. `scoreBatch` checks every
   * prompt again, so a tokenizer that expands text is still caught, at its batch.
   *
   * With a `sharedPrefix` the prefix cache takes (`supportsPrefixCache`), first refuses a batch of
   * `batchSize` prompts whose copies of it would not fit (`prefixCacheMemoryLimit`), counting every
   * prompt of the first batch as extending it: before the prompts are tokenized, which with many
   * long ICL prompts takes minutes.
   *
   * @throws InputError naming `prompts` and the row, or `batchSize`.
   */
  async checkPrompts(prompts: readonly string[], signal?: AbortSignal, options: CheckPromptsOptions = {}): Promise<void> {
    this.checkNotDisposed();
    const { batchSize, sharedPrefix } = options;
    // Encoding the prefix is a forward pass over it: not for a prefix longer than the context, which
    // the checks below refuse in milliseconds, naming the row.
    if (
      sharedPrefix &&
      this.supportsPrefixCache &&
      batchSize !== undefined &&
      prompts.length > 0 &&
      (await this.fitsContext(sharedPrefix))
    ) {
      // Any other failure to encode it comes again, and is reported, at the first batch.
      const prefix = await this.prefixCache(sharedPrefix).catch(() => null);
      if (prefix) this.checkPrefixMemory(prefix, Math.min(batchSize, prompts.length));
    }
    if (this.maxPositions === null) return;
    const fits = this.maxPositions.tokens - SPECIAL_TOKEN_ALLOWANCE;
    for (let i = 0; i < prompts.length; i++) {
      const prompt = prompts[i] as string;
      if (Buffer.byteLength(prompt) <= fits) continue;
      if (signal?.aborted) throw new CancelledError('scoring cancelled');
      this.checkSequence(await this.tokenize(prompt), i, prompt);
    }
  }

  /** Whether `text`'s tokens fit the model's context (`maxPositions`; true while it is not known). */
  private async fitsContext(text: string): Promise<boolean> {
    return this.maxPositions === null || (await this.tokenize(text)).length <= this.maxPositions.tokens;
  }

  private checkSequence(sequence: readonly number[], row: number, prompt: string): void {
    if (sequence.length === 0)
      throw new InputError({ argument: 'prompts', expected: 'a prompt with at least one token', row, received: prompt });
    if (this.maxPositions !== null && sequence.length > this.maxPositions.tokens) {
      const { tokens, field } = this.maxPositions;
      throw new InputError({
        argument: 'prompts',
        expected: `a prompt of at most ${tokens} tokens, the model's limit (${field}); shorten the instruction, the text or use fewer ICL examples`,
        received: new ReceivedKind(`a prompt of ${sequence.length} tokens`),
        row,
      });
    }
  }

  /**
   * Frees the model's ONNX sessions and its cached prefix. Until then they hold the weights (each
   * load its own copy, also of the same folder); the garbage collector frees them only when it
   * happens to collect the model, as it does not see their size. Safe to call twice; scoring
   * afterwards is refused (the tokenizer still works).
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.prefix = null;
    await Promise.allSettled(this.running);
    await this.model.dispose();
  }

  /** Refuses to score with a disposed model, whose ONNX session onnxruntime refuses (and transformers.js logs every input of). */
  private checkNotDisposed(): void {
    if (this.disposed)
      throw new ActiveTestingError(
        `model "${this.modelId}" was disposed (dispose()); load it again with Model.fromPretrained to score with it`,
      );
  }

  /** Copies the label-token logits at each row's last token into `scores`. */
  private gather(
    { logits, lastToken }: ForwardResult,
    rows: readonly number[],
    labelTokenIds: readonly number[],
    scores: Float32Array,
  ): void {
    const values = logits.type === 'float32' ? logits : logits.to('float32');
    const [, positions, vocab] = values.dims as [number, number, number];
    checkTokenIdsInVocabulary(labelTokenIds, vocab);
    const k = labelTokenIds.length;
    rows.forEach((row, b) => {
      // With num_logits_to_keep the graph returns only the last position.
      const position = positions === 1 ? 0 : (lastToken[b] as number);
      const last = (b * positions + position) * vocab;
      for (let j = 0; j < k; j++) scores[row * k + j] = values.data[last + (labelTokenIds[j] as number)] as number;
    });
  }

  /**
   * One forward pass over padded sequences that continue `prefix` (or start from nothing).
   * Positions continue from the prefix. Left padding sits between the prefix and each sequence
   * and is masked, so every row ends at the batch's last position.
   */
  private async forward(sequences: readonly number[][], prefix: PrefixCache | null): Promise<ForwardResult> {
    const { Tensor } = this.tf;
    const batch = sequences.length;
    const width = Math.max(...sequences.map((s) => s.length));
    const past = prefix ? prefix.tokens.length : 0;
    const ids = new BigInt64Array(batch * width).fill(BigInt(this.padTokenId));
    const mask = new BigInt64Array(batch * (past + width));
    const positions = new BigInt64Array(batch * width);
    const lastToken = new Int32Array(batch);
    sequences.forEach((seq, b) => {
      const pad = this.padLeft ? width - seq.length : 0;
      lastToken[b] = pad + seq.length - 1;
      mask.fill(1n, b * (past + width), b * (past + width) + past);
      for (let j = 0; j < seq.length; j++) {
        ids[b * width + pad + j] = BigInt(seq[j] as number);
        mask[b * (past + width) + past + pad + j] = 1n;
        positions[b * width + pad + j] = BigInt(past + j);
      }
      this.tokensProcessed += seq.length;
    });
    const feeds: Record<string, unknown> = {
      input_ids: new Tensor('int64', ids, [batch, width]),
      attention_mask: new Tensor('int64', mask, [batch, past + width]),
      position_ids: new Tensor('int64', positions, [batch, width]),
    };
    if (this.padLeft && this.inputNames.includes('num_logits_to_keep'))
      feeds['num_logits_to_keep'] = new Tensor('int64', BigInt64Array.of(1n), []);
    if (prefix) feeds['past_key_values'] = this.expandPrefix(prefix, batch);
    const outputs = await this.run(feeds, past + width);
    const logits = outputs['logits'];
    if (!logits) throw new ActiveTestingError(`model "${this.modelId}" returned no logits`);
    return { logits, lastToken };
  }

  /**
   * Runs the graph on inputs of `longest` positions, learning the model's vocabulary size from its
   * logits, and its position limit when onnxruntime refuses a position past it.
   */
  private async run(feeds: Record<string, unknown>, longest: number): Promise<Record<string, TfTensor>> {
    // Again here: a score in flight when `dispose` was called reaches its next pass only after it.
    this.checkNotDisposed();
    const pass = this.model(feeds);
    this.running.add(pass);
    try {
      const outputs = await pass;
      const width = outputs['logits']?.dims.at(-1);
      if (width !== undefined) this.vocabulary = width;
      return outputs;
    } catch (error) {
      const rows = this.positionLimit === null ? refusedPositionLimit(error, longest) : null;
      if (rows !== null) this.positionLimit = { tokens: rows, field: `the position table onnxruntime refused to index past` };
      throw error;
    } finally {
      this.running.delete(pass);
    }
  }

  private async prefixCache(text: string): Promise<PrefixCache | null> {
    if (this.prefix?.text === text) return this.prefix;
    // The last token of the prefix may merge with what follows (BPE, SentencePiece), so the
    // cache covers the prefix without it and every item is checked to extend those tokens.
    const tokens = (await this.tokenize(text)).slice(0, -1);
    if (tokens.length === 0) return null;
    const outputs = await this.run(
      {
        input_ids: new this.tf.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
        attention_mask: new this.tf.Tensor('int64', new BigInt64Array(tokens.length).fill(1n), [1, tokens.length]),
        position_ids: new this.tf.Tensor(
          'int64',
          BigInt64Array.from(tokens, (_, j) => BigInt(j)),
          [1, tokens.length],
        ),
      },
      tokens.length,
    );
    this.tokensProcessed += tokens.length;
    // Disposed during the pass: its tensors are not kept for a model that scores no more.
    this.checkNotDisposed();
    const past = new Map<string, TfTensor>();
    for (const [name, tensor] of Object.entries(outputs)) {
      if (name.startsWith('present.')) past.set(name.replace('present.', 'past_key_values.'), tensor);
    }
    this.prefix = { text, tokens, past, expanded: null };
    return this.prefix;
  }

  /**
   * Refuses, before a batch with `batch` items that extend the cached prefix is run, their copies of
   * it (one per such item, `expandPrefix`) that would take more than `prefixCacheMemoryLimit` bytes.
   *
   * @throws InputError naming `batchSize`, with the bytes needed and the batch size that fits.
   */
  private checkPrefixMemory(prefix: PrefixCache, batch: number): void {
    if (prefix.expanded?.batch === batch) return;
    const tensors = [...prefix.past.values()];
    const perItem = tensors.reduce((sum, tensor) => sum + (tensor.data as unknown as Float32Array).byteLength, 0);
    if (perItem * batch <= this.prefixCacheMemoryLimit) return;
    const fits = Math.floor(this.prefixCacheMemoryLimit / perItem);
    const [, heads, tokens, headSize] = tensors[0]?.dims ?? [];
    const elementBytes = (tensors[0]?.data as unknown as Float32Array | undefined)?.BYTES_PER_ELEMENT;
    const formula = `${tensors.length / 2} layers × ${heads} key/value heads × ${headSize} head size × ${tokens} prefix tokens × ${elementBytes} bytes × 2 for keys and values`;
    throw new InputError({
      argument: 'batchSize',
      expected:
        `a batch whose copies of the cached prompt prefix fit in ${formatBytes(this.prefixCacheMemoryLimit)} (${formula} = ${formatBytes(perItem)} an item; ` +
        `${formatCount(batch, 'item')} need${batch === 1 ? 's' : ''} ${formatBytes(perItem * batch)}); ` +
        (fits >= 1
          ? `use a batch size of ${fits} or less`
          : 'one item does not fit: use fewer ICL examples, a shorter instruction, or no prefix cache'),
      received: new ReceivedKind(`a batch of ${formatCount(batch, 'item')} extending the prefix`),
    });
  }

  private expandPrefix(prefix: PrefixCache, batch: number): Record<string, TfTensor> {
    if (prefix.expanded?.batch === batch) return prefix.expanded.feeds;
    const feeds: Record<string, TfTensor> = {};
    for (const [name, tensor] of prefix.past) {
      const source = tensor.data as unknown as Float32Array;
      const data = new (source.constructor as new (n: number) => Float32Array)(source.length * batch);
      for (let b = 0; b < batch; b++) data.set(source, b * source.length);
      feeds[name] = new this.tf.Tensor(tensor.type, data, [batch, ...tensor.dims.slice(1)]);
    }
    prefix.expanded = { batch, feeds };
    return feeds;
  }
}

/**
 * Why a Hub model did not load, in words. The Hub answers 401 to an anonymous request for a
 * repository it does not have (as for a private or gated one), which transformers.js reports as
 * "Unauthorized access to file"; a repository without `tokenizer_config.json` (404) it reads as an
 * empty config, failing with "Cannot read properties of undefined (reading 'tokenizer_class')".
 */
function hubFailure(tf: TransformersModule, error: unknown): string {
  const message = (error as Error).message;
  const host = tf.env?.remoteHost ?? 'https://huggingface.co/';
  if (/^(Unauthorized|Forbidden) access to file/.test(message))
    return `the Hub (${host}) refused it: no such model, or a private or gated one (set HF_TOKEN to a token that may read it); ${message}`;
  if (error instanceof TypeError && message.includes("'tokenizer_class'"))
    return `the Hub (${host}) has no tokenizer_config.json for it, which a model in transformers.js's layout has`;
  return message;
}

/**
 * The reason of a failed connection, or null for any other error: Node's fetch rejects with
 * `TypeError('fetch failed')` and the socket's error (`getaddrinfo ENOTFOUND huggingface.co`,
 * `connect ECONNREFUSED ...`) as its cause.
 */
function networkFailure(error: unknown): string | null {
  if (!(error instanceof TypeError) || error.message !== 'fetch failed') return null;
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== '' ? cause.message : error.message;
}

/**
 * Whether the Hub failed for a while rather than for this model: no connection, or an answer
 * of too many requests (429), a timeout (408) or a server error (5xx), as transformers.js words them.
 */
function passingHubFailure(error: unknown): boolean {
  if (networkFailure(error) !== null) return true;
  const message = (error as Error | undefined)?.message ?? '';
  return /^(Request timeout|Internal server error|Bad gateway|Service unavailable|Gateway timeout) error occurred while trying to load file|^Error \((408|429|5\d\d)\) occurred while trying to load file/.test(
    message,
  );
}

function formatBytes(bytes: number): string {
  const [unit, size] = bytes >= 2 ** 30 ? ['GiB', 2 ** 30] : bytes >= 2 ** 20 ? ['MiB', 2 ** 20] : ['KiB', 2 ** 10];
  return `${(bytes / size).toFixed(1)} ${unit}`;
}

function startsWithTokens(sequence: readonly number[], prefix: readonly number[]): boolean {
  if (sequence.length <= prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (sequence[i] !== prefix[i]) return false;
  return true;
}
