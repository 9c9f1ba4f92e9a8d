import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fetchHubTable, parseHubSpec } from '../dataset/hub.js';
import { readTable } from '../dataset/read-table.js';
import { TextClassificationDataset, type DatasetSpec } from '../dataset/text-classification-dataset.js';
import { filePlace, type Table } from '../dataset/table.js';
import {
  CancelledError,
  FileFormatError,
  InputError,
  LIBRARY_NAMING,
  type OptionNaming,
  OutputExistsError,
  passForce,
  ReceivedKind,
} from '../errors.js';
import { removeStaleTemporaries, writeOutputFolder } from '../io/atomic.js';
import { faultPoint } from '../io/fault.js';
import { formatCount } from '../io/format-count.js';
import { withOutputLock } from '../io/output-lock.js';
import { checkNpyFile, encodeNpy } from '../io/npy.js';
import { redactSecrets } from '../io/redact.js';
import { checkObject, checkPath } from '../io/check-arguments.js';
import { checkTsvSafe } from '../io/tsv-safe.js';
import { readFailure } from '../io/unreadable.js';
import { OpenAIBackend, type OpenAIScoringMode } from '../model/backends/openai.js';
import { RemoteModelError } from '../model/backends/openaiHttp.js';
import { isOpenAIModelSpec } from '../model/backends/openaiTarget.js';
import type { ScoringBackend } from '../model/backend.js';
import { Model } from '../model/model.js';
import { isLocalModelPath, loadFolderTokenizer, loadHubTokenizer, TransformersBackend } from '../model/transformers-backend.js';
import { checkOption } from '../options/index.js';
import { VERSION } from '../version.js';
import { ScoreCheckpoint } from './checkpoint.js';
import { selectIclExamples } from './icl.js';
import { checkJobClasses, runScoringJob } from './scoring-job.js';

const OUTPUT_FILES = ['scores.npy', 'labels.npy', 'meta.json'] as const;
/** Written last (and removed first under `force`): a folder without it holds no finished results. */
const COMMIT_MARKER = 'meta.json';
const CHECKPOINT = '.evaluate';

/** What determines the results; a rerun with the same configuration resumes or finds them done. */
export interface EvaluateConfig {
  model: string;
  dtype: string;
  data: string;
  classes: string[];
  instruction: string;
  answer_string: string;
  text_column: string;
  label_column: string;
  limit: number | null;
  icl_examples: number;
  icl_data: string | null;
  icl_seed: number;
  /**
   * How a served model's label scores were read (`OpenAIBackendOptions.openaiMode`), and in the
   * `top-logprobs` mode how many top log-probabilities were asked for and what a label outside
   * them got (null in the `echo` mode, which reads neither): the same items score differently
   * either way, so a resume with other values is refused. Absent for a model run here;
   * `evaluateToFolder` fills them in from `run.backend`.
   */
  openai_mode?: OpenAIScoringMode;
  top_logprobs?: number | null;
  missing_label?: 'error' | 'floor' | null;
  /**
   * Content hashes of what the options name, so that a file changed at the same path is noticed;
   * `evaluateToFolder` fills them in.
   */
  inputs?: { data: string; icl_data: string | null; model: string };
}

/** How an evaluation runs; none of it changes the results. */
export interface EvaluateRun {
  /** Output folder: scores.npy, labels.npy, meta.json (and a checkpoint while running). */
  out: string;
  /** Items per forward pass (default 16). */
  batchSize?: number;
  device?: 'cpu' | 'cuda' | 'auto';
  /** Replace results or a checkpoint of another configuration. */
  force?: boolean;
  /** Encode the instruction and shots once (default true; the results are the same). */
  prefixCache?: boolean;
  /** Bytes a batch's copies of that encoding may take (`ModelLoadOptions.prefixCacheMemoryLimit`; default a quarter of this machine's memory). */
  prefixCacheMemoryLimit?: number;
  /** A served model's backend; without it `config.model` is loaded with transformers.js. */
  backend?: ScoringBackend;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * How messages name an option of the schema (`limit`, `iclData`) when results or a checkpoint
   * of another configuration are refused; default: `LIBRARY_NAMING`, the keys themselves.
   * `evaluate` names its flags (`--limit`), an experiment its grid keys (`evaluate.<step>.limit`).
   * A refusal's force hint is worded by whoever reads the error (`ActiveTestingError.namedBy`).
   */
  naming?: OptionNaming;
}

/**
 * The warning for an evaluation whose results hold `floored` floored label scores (see
 * `EvaluateOutcome.flooredLabels`), naming the options by `naming` as `EvaluateRun.naming`
 * does. Opted into, but each one is a bound, not a score: a run where most labels were floored is
 * not the run meant; `evaluate` and an experiment's evaluate steps say it alike.
 *
 * @example
 * flooredLabelsWarning(1, LIBRARY_NAMING); // "1 label score of this run was not among the top log-probabilities the server returned (topLogprobs) and was floored…"
 */
export function flooredLabelsWarning(floored: number, naming: OptionNaming): string {
  const were = floored === 1 ? 'was' : 'were';
  return `${formatCount(floored, 'label score')} of this run ${were} not among the top log-probabilities the server returned (${naming.option('topLogprobs')}) and ${were} floored to the lowest of them (${naming.option('missingLabel')} floor): upper bounds, not the labels' log-probabilities`;
}

/**
 * The warnings an evaluation's outcome calls for, one a line without the `warning: ` prefix:
 * floored label scores (`flooredLabelsWarning`), and class names scored by the first of their
 * several tokens. `evaluate` and an experiment's evaluate steps print them alike.
 *
 * @example
 * outcomeWarnings({ ...outcome, flooredLabels: 0, multiTokenClasses: [{ name: 'Sci/Tech', tokens: 3 }] }, LIBRARY_NAMING);
 * // ['class "Sci/Tech" spans 3 tokens after the prompt: its score is the logit of its first token alone (a class name of one token is scored whole; docs/llm-scoring.md)']
 */
export function outcomeWarnings(outcome: EvaluateOutcome, naming: OptionNaming): string[] {
  const warnings = outcome.flooredLabels > 0 ? [flooredLabelsWarning(outcome.flooredLabels, naming)] : [];
  const several = outcome.multiTokenClasses;
  if (several.length > 0) {
    const [only] = several;
    warnings.push(
      (several.length === 1 && only !== undefined
        ? `class "${only.name}" spans ${only.tokens} tokens after the prompt: its score is the logit of its first token alone`
        : `classes ${several.map(({ name, tokens }) => `"${name}" (${tokens} tokens)`).join(', ')} span several tokens after the prompt: each one's score is the logit of its first token alone`) +
        ' (a class name of one token is scored whole; docs/llm-scoring.md)',
    );
  }
  return warnings;
}

/**
 * Whether `out` holds a checkpoint with scores in it: what a rerun of an interrupted evaluation
 * resumes from (when its configuration is the checkpoint's).
 *
 * @example
 * hasScoredCheckpoint('runs/scores'); // false before the first batch is saved
 */
export function hasScoredCheckpoint(out: string): boolean {
  const scores = join(out, `${CHECKPOINT}.partial.f32`);
  return existsSync(scores) && statSync(scores).size > 0;
}

/**
 * A served model's failure, after its retries, with what a long run most needs to hear then: the
 * items already scored are kept in `out`'s checkpoint, and the same command resumes from them
 * once the server answers. `scored` is the run's last progress report (`EvaluateRun.onProgress`,
 * the checkpoint's items included). Other errors, and a failure before anything was
 * checkpointed, are passed on as they are. `evaluate` and an experiment's evaluate steps say it alike.
 *
 * @example
 * throw withScoredKeptHint(error, { done: 8, total: 24 }, 'scores/sst2');
 * // '…: HTTP 503 (gave up after 6 attempts); the 8 of 24 items scored are kept: run the same command again to resume from them'
 */
export function withScoredKeptHint(error: unknown, scored: { done: number; total: number } | undefined, out: string): unknown {
  if (!(error instanceof RemoteModelError) || scored === undefined || scored.done === 0 || !hasScoredCheckpoint(out)) return error;
  return error.withNote(
    `the ${scored.done} of ${formatCount(scored.total, 'item')} scored are kept: run the same command again to resume from them`,
  );
}

/** The classes of `counts` (`labelTokenCounts`, per class) that span more than one token. */
function multiTokenClasses(classes: readonly string[], counts: readonly number[] | null | undefined): EvaluateOutcome['multiTokenClasses'] {
  return (counts ?? []).flatMap((tokens, k) => (tokens > 1 ? [{ name: classes[k] as string, tokens }] : []));
}

/** What an evaluation produced, or found already complete in its output folder. */
export interface EvaluateOutcome {
  alreadyComplete: boolean;
  n: number;
  accuracy: number;
  loss: number;
  /**
   * Label scores of the results that were floored, upper bounds rather than the labels' values
   * (`--missing-label floor`), over the whole run, a resumed one's earlier part included.
   */
  flooredLabels: number;
  /** The classes whose names span several tokens after the prompt, each scored by its first token alone; empty for results written before they were counted. */
  multiTokenClasses: Array<{ name: string; tokens: number }>;
}

/** Stops hashing the inputs when `signal` aborts: a model's weights run to gigabytes. */
function checkNotCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('evaluation cancelled while hashing its inputs; nothing was written');
}

/**
 * What the evaluate steps of one experiment run (`runEvaluateSteps`) share while they are checked
 * up front and then run, so that what they read alike is read once: the inputs' fingerprints, by
 * what they hash, with the stamp (`fileStamps`) of the files they read (a complete step's inputs
 * are hashed up front and again at its turn, and a model's weights run to gigabytes), and a model
 * folder's tokenizer, by its path. Scoped to that one run, not the process: a file's times come
 * from a clock that can be coarse (a jiffy on Linux before 6.13, 1 s on ext3 and HFS+, 2 s on FAT)
 * or lag (an NFS client's cached attributes), so a file rewritten at the same size can keep its
 * stamp, and a long-lived process must not take it for unchanged; `evaluateToFolder` alone keeps
 * none.
 */
export interface StepsMemo {
  fingerprints: Map<string, { stamp: string; fingerprint: string }>;
  tokenizers: Map<string, Promise<Pick<ScoringBackend, 'tokenize' | 'unknownTokenId'> | null>>;
}

/** A `StepsMemo` holding nothing yet. */
export function stepsMemo(): StepsMemo {
  return { fingerprints: new Map(), tokenizers: new Map() };
}

/**
 * How recent (ns) a file's modification or change time may be, from the start of its hashing,
 * for its fingerprint to be remembered: git's "racily clean" rule. A file written again within
 * its clock's tick gets the same times, so one written that close to its hashing could change
 * afterwards unseen; 2 s is the coarsest tick of a local file system (FAT).
 */
const RACY_NS = 2_000_000_000n;

/**
 * Each file's device, inode, size, and modification and change times (ns), and the latest of
 * those times; null when one cannot be read.
 */
function fileStamps(paths: readonly string[]): { stamp: string; latest: bigint } | null {
  try {
    let latest = 0n;
    const stamp = paths
      .map((path) => {
        const stats = statSync(path, { bigint: true });
        for (const time of [stats.mtimeNs, stats.ctimeNs]) if (time > latest) latest = time;
        return `${path}\0${stats.dev}\0${stats.ino}\0${stats.size}\0${stats.mtimeNs}\0${stats.ctimeNs}`;
      })
      .join('\n');
    return { stamp, latest };
  } catch {
    return null;
  }
}

/**
 * `compute()`, or its fingerprint of `key` remembered in `memo` where `paths` are unchanged since
 * (`StepsMemo`); without `memo`, `compute()`. It is remembered only where no file's times are
 * within `RACY_NS` of when the hashing started (or after it).
 */
async function remembered(
  key: string,
  paths: readonly string[],
  compute: () => Promise<string>,
  memo: StepsMemo | undefined,
): Promise<string> {
  if (memo === undefined) return compute();
  const started = BigInt(Date.now()) * 1_000_000n;
  const stamps = fileStamps(paths);
  const known = memo.fingerprints.get(key);
  if (stamps !== null && known?.stamp === stamps.stamp) return known.fingerprint;
  const fingerprint = await compute();
  if (stamps !== null && stamps.latest < started - RACY_NS) memo.fingerprints.set(key, { stamp: stamps.stamp, fingerprint });
  return fingerprint;
}

/** `path`'s bytes added to `hash`, a chunk (64 KiB) at a time, looking at `signal` between chunks. */
async function hashFile(path: string, hash = createHash('sha256'), signal?: AbortSignal): Promise<ReturnType<typeof createHash>> {
  for await (const chunk of createReadStream(path)) {
    checkNotCancelled(signal);
    hash.update(chunk as Buffer);
  }
  return hash;
}

/**
 * `sha256:<hex>` of a data file's bytes; a Hub dataset is named by its spec (its rows are fetched
 * as published). `argument` is the option that named the file (`data`, `iclData`).
 */
async function fingerprintData(
  source: string,
  argument: 'data' | 'iclData',
  signal: AbortSignal | undefined,
  memo: StepsMemo | undefined,
): Promise<string> {
  if (source.startsWith('hub:')) return source;
  try {
    return await remembered(
      `data\0${source}`,
      [source],
      async () => `sha256:${(await hashFile(source, undefined, signal)).digest('hex')}`,
      memo,
    );
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    throw new InputError({ argument, expected: 'a readable file', received: ReceivedKind.noted(source, readFailure(error)) });
  }
}

/** A model folder's files (config, tokenizer, ONNX weights) hashed together; a Hub id or server by its name. */
async function fingerprintModel(model: string, signal: AbortSignal | undefined, memo: StepsMemo | undefined): Promise<string> {
  if (!isModelFolder(model)) return redactSecrets(model);
  const onnx = existsSync(join(model, 'onnx')) ? (await readdir(join(model, 'onnx'))).sort().map((f) => `onnx/${f}`) : [];
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', ...onnx].filter((file) => {
    const path = join(model, file);
    return existsSync(path) && statSync(path).isFile();
  });
  return remembered(
    `model\0${model}`,
    files.map((file) => join(model, file)),
    async () => {
      const hash = createHash('sha256');
      for (const file of files) {
        checkNotCancelled(signal);
        hash.update(`${file}\0`);
        await hashFile(join(model, file), hash, signal);
      }
      return `sha256:${hash.digest('hex')}`;
    },
    memo,
  );
}

/** The precision the weights were loaded at: `auto` is the model's own choice (its config.json's transformers.js_config.dtype), else fp32 on cpu and cuda. */
function ranDtype(model: string, dtype: string): string {
  if (dtype !== 'auto') return dtype;
  try {
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as { 'transformers.js_config'?: { dtype?: unknown } };
    const own = config['transformers.js_config']?.dtype;
    if (typeof own === 'string' && own !== 'auto') return own;
  } catch {
    // A Hub id or a folder without a readable config.json: the library default applies.
  }
  return 'fp32';
}

/** The option of the schema that sets a configuration key (`icl_examples`: `iclExamples`). */
const optionOf = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The keys of `EvaluateConfig` that say how a served model's label scores were read. */
const SERVED_SCORING_KEYS = ['openai_mode', 'top_logprobs', 'missing_label'] as const;

/** A setting's value as a message shows it, or null when it would not fit on a short line (an instruction, the classes). */
function shownValue(value: unknown): string | null {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && value !== '' && value.length <= 60 && !/[\n\r]/.test(value)) return value;
  return null;
}

/**
 * The option or input of `config` that differs from `other`'s, as the user would name it
 * (by `naming`), with the recorded and given values where they are short
 * (`--openai-mode (recorded echo, given top-logprobs)`).
 */
function changedSettings(config: EvaluateConfig, other: unknown, naming: OptionNaming): string[] {
  if (typeof other !== 'object' || other === null) return ['the whole configuration (unreadable)'];
  const recorded = other as Record<string, unknown>;
  // Compared as `sameConfiguration` compares them (a moved input is no change), shown as written.
  const [recordedIdentity, givenIdentity] = [identity(other), identity(config)] as Array<Record<string, unknown>>;
  const names: Record<string, string> = {
    data: `the contents of ${naming.option('data')}`,
    icl_data: `the contents of ${naming.option('iclData')}`,
    model: 'the model files',
  };
  const changed: string[] = [];
  // Inputs known by name whose recorded fingerprint differs though the option's value does not
  // (the name redacted otherwise): said only when nothing else is, never an empty list.
  const renamed: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if ((SERVED_SCORING_KEYS as readonly string[]).includes(key) && !('openai_mode' in recorded)) {
      changed.push(
        `the served model's scoring settings (${SERVED_SCORING_KEYS.map((k) => naming.option(optionOf(k))).join(', ')}: not recorded by the earlier run)`,
      );
    } else if (key === 'inputs') {
      const inputs = (recorded.inputs ?? {}) as Record<string, unknown>;
      for (const [input, hash] of Object.entries(config.inputs ?? {})) {
        // A served model, Hub id or Hub dataset is fingerprinted by its name, which `identity`
        // keeps as the option's value: a change of it is told as that option, not as its files.
        const contents = [hash, inputs[input]].every((h) => typeof h === 'string' && h.startsWith('sha256:'));
        if (!contents && recorded.inputs !== undefined) {
          if (JSON.stringify(inputs[input]) !== JSON.stringify(hash)) renamed.push(naming.option(optionOf(input)));
          continue;
        }
        if (JSON.stringify(inputs[input]) !== JSON.stringify(hash))
          changed.push(recorded.inputs === undefined ? 'input fingerprints (not recorded by the earlier run)' : (names[input] ?? input));
      }
    } else if (JSON.stringify(recordedIdentity?.[key]) !== JSON.stringify(givenIdentity?.[key])) {
      const [before, after] = [shownValue(recorded[key]), shownValue(value)];
      changed.push(`${naming.option(optionOf(key))}${before === null || after === null ? '' : ` (recorded ${before}, given ${after})`}`);
    }
  }
  return [...new Set(changed.length > 0 ? changed : renamed)];
}

/** A dataset and the table it was read from, which says where each row is in its file. */
interface LoadedData {
  dataset: TextClassificationDataset;
  table: Table;
}

async function loadData(source: string, config: EvaluateConfig, limit: number | null, signal?: AbortSignal): Promise<LoadedData> {
  const spec: DatasetSpec = { name: 'data', classes: config.classes, answerString: config.answer_string, instruction: config.instruction };
  const columns = { textColumn: config.text_column, labelColumn: config.label_column, ...(limit === null ? {} : { limit }) };
  const table = source.startsWith('hub:') ? await fetchHubTable(parseHubSpec(source), limit ?? undefined, signal) : await readTable(source);
  return { dataset: TextClassificationDataset.fromTable(table, spec, columns), table };
}

/**
 * An error about a pool row's prompt (too long for the model, or answered wrongly by a served
 * model), told with its place in the data file (its line, or a Parquet file's or Hub split's row):
 * the pool's rows are the file's less its ICL examples, so the row alone does not find it.
 */
function atDataPlace(error: unknown, poolRows: readonly number[], table: Table, path: string): unknown {
  const promptError = error instanceof InputError && error.argument === 'prompts';
  if (!(promptError || error instanceof RemoteModelError) || error.row === undefined) return error;
  const place = filePlace(table, poolRows[error.row] ?? -1);
  if (place === undefined) return error;
  if (error instanceof RemoteModelError) return error.atPlace(`${place} of ${path}`);
  return new InputError({
    argument: 'prompts',
    expected: (naming) => error.expectedBy(naming),
    received: ReceivedKind.noted(error.received, `for ${place} of ${path}`),
    row: error.row,
  });
}

/**
 * What an output folder holds for this configuration: its `complete` results; output files
 * without `meta.json` (`unfinished`), which a run of this configuration killed between its
 * renames leaves, whose checkpoint is there to resume and whose files are replaced; or nothing in
 * the way (`ready`: no results, or results that `force` replaces).
 */
type FolderState = 'complete' | 'unfinished' | 'ready';

/**
 * The folder's state, and the configuration its checkpoint is resumed under: the one recorded
 * there where it is this configuration's (`sameConfiguration`), as its inputs' paths were then
 * (a moved project resumes it), else this one.
 */
interface FolderCheck {
  state: FolderState;
  checkpointConfig: unknown;
}

/** The keys of `EvaluateConfig` that name an input whose `inputs` entry, by the same key, may be its content hash. */
const HASHED_INPUTS = ['model', 'data', 'icl_data'] as const;

/**
 * A recorded or given configuration as its results' identity: the paths of its inputs whose
 * content is hashed (a `sha256:` entry of `inputs`) are left out, since the results depend on
 * the bytes, which the hashes compare, not on where they are: a project folder moved elsewhere
 * keeps its results, and a changed input is still seen. A data file keeps its extension, which
 * says how its bytes are read; a Hub id, a `hub:` split and a served model are compared as named.
 */
function identity(config: unknown): unknown {
  if (typeof config !== 'object' || config === null) return config;
  const inputs = (config as { inputs?: unknown }).inputs;
  if (typeof inputs !== 'object' || inputs === null) return config;
  const placeless: Record<string, unknown> = { ...config };
  for (const key of HASHED_INPUTS) {
    const hash = (inputs as Record<string, unknown>)[key];
    const path = placeless[key];
    if (typeof hash === 'string' && hash.startsWith('sha256:') && typeof path === 'string')
      placeless[key] = key === 'model' ? null : extname(path).toLowerCase();
  }
  return placeless;
}

/**
 * Whether results or a checkpoint recorded with configuration `recorded` are `config`'s
 * (`recordedConfig`), wherever their inputs are (`identity`).
 */
function sameConfiguration(recorded: unknown, config: EvaluateConfig): boolean {
  return JSON.stringify(identity(recorded)) === JSON.stringify(identity(config));
}

/**
 * Refuses results or a checkpoint of another configuration unless `force` (then removes them),
 * and output files without `meta.json` that no checkpoint of this configuration explains. The
 * temporary files of a writer that was killed are removed.
 */
async function checkOutputFolder(out: string, config: EvaluateConfig, force: boolean, naming: OptionNaming): Promise<FolderCheck> {
  await removeStaleTemporaries(out, OUTPUT_FILES);
  const metaPath = join(out, COMMIT_MARKER);
  const same = (other: unknown) => sameConfiguration(other, config);
  // `force` replaces the results whatever they hold, so it does not read them: an unreadable
  // meta.json is replaced like any other.
  if (!force && existsSync(metaPath)) {
    let meta: { config?: unknown; n?: unknown; classes?: unknown };
    try {
      meta = JSON.parse(await readFile(metaPath, 'utf8')) as { config?: unknown; n?: unknown; classes?: unknown };
    } catch (error) {
      const reason = (error as Error).message;
      throw new FileFormatError(metaPath, (reader) => `is not readable JSON (${reason}); ${passForce(reader, 'start fresh')}`);
    }
    if (same(meta.config)) {
      await checkCompleteOutputs(out, meta.n, Array.isArray(meta.classes) ? meta.classes.length : config.classes.length);
      return { state: 'complete', checkpointConfig: config };
    }
    throw new OutputExistsError(
      metaPath,
      (reader) =>
        `it holds results made with other settings or inputs (changed: ${changedSettings(config, meta.config, naming).join(', ')}); ${passForce(reader, 'start fresh')}`,
    );
  }
  const pending = await ScoreCheckpoint.pendingConfig(join(out, CHECKPOINT), force);
  if (pending !== null && !same(pending)) {
    if (!force) {
      throw new OutputExistsError(
        join(out, `${CHECKPOINT}.partial.json`),
        (reader) =>
          `an unfinished run made with other settings or inputs is there (changed: ${changedSettings(config, pending, naming).join(', ')}); resuming would mix their scores: rerun with its settings to resume it, write to another output folder, or ${passForce(reader, 'discard it and start fresh')}`,
      );
    }
    await ScoreCheckpoint.discard(join(out, CHECKPOINT));
  }
  const checkpointConfig = pending !== null && same(pending) ? pending : config;
  // Results that `force` replaces, or no output file at all.
  const leftover = OUTPUT_FILES.find((name) => existsSync(join(out, name)));
  if (leftover === undefined || existsSync(metaPath)) return { state: 'ready', checkpointConfig };
  if (pending === null && !force) {
    throw new OutputExistsError(
      join(out, leftover),
      (reader) =>
        `without ${COMMIT_MARKER} (written last) it is not finished results, and no checkpoint of this configuration is there to resume; ${passForce(reader, 'replace it')}`,
    );
  }
  return { state: 'unfinished', checkpointConfig };
}

/**
 * Refuses complete results whose `scores.npy` or `labels.npy` is missing, cut short or of another
 * shape than `meta.json` says (`n` items, `classes` columns): taken as complete, they would be
 * reported done and read wrong, or fail, by whatever reads them next (an experiment's settings).
 * The checkpoint they were made from is gone: scoring again is `force`'s to decide.
 */
async function checkCompleteOutputs(out: string, n: unknown, classes: number): Promise<void> {
  for (const [name, shape] of [
    ['scores.npy', [n, classes]],
    ['labels.npy', [n]],
  ] as const) {
    const path = join(out, name);
    let reason: string;
    try {
      const found = await checkNpyFile(path);
      if (JSON.stringify(found.shape) === JSON.stringify(shape)) continue;
      reason = `holds an array of shape (${found.shape.join(', ')}), not the (${shape.join(', ')}) that ${COMMIT_MARKER} says`;
    } catch (error) {
      if (!(error instanceof FileFormatError)) throw error;
      reason = error.reason;
    }
    throw new FileFormatError(
      path,
      (reader) => `${reason}; the results beside ${COMMIT_MARKER} are not whole: ${passForce(reader, 'score the data again')}`,
    );
  }
}

/** What `iclData` must be, for both of its refusals: the pool's file itself, or the pool's rows in another form. */
const ICL_DATA_OTHER_THAN_POOL =
  'a file other than the data (to take the shots from the pool itself, leave it out: they then leave the pool)';

/**
 * Scores every row of a labelled dataset with a causal LM and writes `scores.npy` (N×K float32
 * label logits), `labels.npy` and `meta.json` into `run.out`, atomically. The same configuration
 * on the same folder resumes an interrupted run or finds the results complete; results of
 * another configuration are refused unless `run.force`. `meta.json` is renamed into place last
 * (and removed first when `run.force` replaces results), so a folder without it is unfinished,
 * however many of the other files a killed run renamed: the next run resumes it. Bad input fails before anything is
 * written or a model is loaded.
 *
 * @example
 * const { config, run } = await resolveEvaluateOptions({ model: 'models/x', data: 'sst2.tsv', classes: ['negative', 'positive'], iclExamples: 4 });
 * const outcome = await evaluateToFolder(config, { ...run, out: 'scores/sst2' });
 * console.log(outcome.accuracy);
 * @throws {InputError} when the data cannot be read or nothing is left to score.
 * @throws {OutputExistsError} when `run.out` holds results of another configuration.
 * @throws {OutputLockedError} when another live process is evaluating into `run.out`.
 * @throws {CancelledError} when `run.signal` aborts (rerun to resume).
 */
export async function evaluateToFolder(config: EvaluateConfig, run: EvaluateRun): Promise<EvaluateOutcome> {
  return evaluateStepToFolder(config, run, undefined);
}

/**
 * `evaluateToFolder`, its inputs' fingerprints remembered in `memo` where one is given (an
 * experiment's evaluate steps: `StepsMemo`).
 */
export async function evaluateStepToFolder(
  config: EvaluateConfig,
  run: EvaluateRun,
  memo: StepsMemo | undefined,
): Promise<EvaluateOutcome> {
  checkSettings(config, run);
  config = await recordedConfig(config, run, memo);
  const inputs = config.inputs as NonNullable<EvaluateConfig['inputs']>;
  // The same rows as ICL data and as the pool would score each shot with its own label in the prompt.
  if (inputs.icl_data !== null && inputs.icl_data === inputs.data) {
    throw new InputError({
      argument: 'iclData',
      expected: ICL_DATA_OTHER_THAN_POOL,
      received: config.icl_data,
    });
  }
  // Locked (`<out>/.active-testing.lock`) while the run reads and writes its checkpoint and results: two
  // runs on one folder would append their batches to the same checkpoint and mix their rows.
  return withOutputLock(run.out, () => evaluateLocked(config, run), 'out');
}

/**
 * `config` as its results record it (`meta.json`'s `config`): with how a served model's label
 * scores are read, and the content hashes of its inputs.
 */
async function recordedConfig(
  config: EvaluateConfig,
  run: Pick<EvaluateRun, 'backend' | 'signal'>,
  memo: StepsMemo | undefined,
): Promise<EvaluateConfig> {
  const inputs = {
    data: await fingerprintData(config.data, 'data', run.signal, memo),
    icl_data: config.icl_data === null ? null : await fingerprintData(config.icl_data, 'iclData', run.signal, memo),
    model: await fingerprintModel(config.model, run.signal, memo),
  };
  return { ...config, ...servedScoring(run.backend), inputs };
}

/**
 * The rows that `run.out`'s results of this very configuration and inputs scored (its `meta.json`'s
 * `n`), as `evaluateToFolder` would find them complete and keep them, or null where it would not
 * (no results, another configuration or input, unreadable): their data need not be read to be
 * checked again. The inputs are hashed (far cheaper than parsing them) only where results are there,
 * and their fingerprints remembered in `memo` for the step's turn (`evaluateStepToFolder`).
 *
 * @throws {InputError} naming `data` or `iclData` when an input cannot be read.
 */
export async function completeResultsRows(config: EvaluateConfig, run: EvaluateRun, memo: StepsMemo): Promise<number | null> {
  let meta: { config?: unknown; n?: unknown };
  try {
    meta = JSON.parse(await readFile(join(run.out, COMMIT_MARKER), 'utf8')) as { config?: unknown; n?: unknown };
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(meta.n)) return null;
  return sameConfiguration(meta.config, await recordedConfig(config, run, memo)) ? (meta.n as number) : null;
}

/**
 * Refuses ICL data whose every row (text and label) is a row of the pool: the pool's own rows in
 * another order or file format, which the check of the files' bytes does not see. Its shots would
 * stay in the pool and be scored with their own labels in the prompt.
 */
function refuseShotsFromPool(icl: TextClassificationDataset, pool: TextClassificationDataset, iclPath: string): void {
  const poolRows = new Set(pool.texts.map((text, i) => `${pool.labels[i]}\t${text}`));
  if (!icl.texts.every((text, i) => poolRows.has(`${icl.labels[i]}\t${text}`))) return;
  throw new InputError({
    argument: 'iclData',
    expected: ICL_DATA_OTHER_THAN_POOL,
    received: new ReceivedKind(`${iclPath}, whose every row is a row of the data`),
  });
}

/** The settings of a served model's scoring (see `EvaluateConfig.openai_mode`); none for another backend. */
function servedScoring(backend: ScoringBackend | undefined): Pick<EvaluateConfig, (typeof SERVED_SCORING_KEYS)[number]> {
  if (!(backend instanceof OpenAIBackend)) return {};
  const topLogprobs = backend.openaiMode === 'top-logprobs';
  return {
    openai_mode: backend.openaiMode,
    top_logprobs: topLogprobs ? backend.topLogprobs : null,
    missing_label: topLogprobs ? backend.missingLabel : null,
  };
}

/**
 * Refuses settings that `resolveEvaluateOptions` refuses (the option schema's, and class names
 * that a labelling session would refuse), in a configuration written by hand, before the inputs
 * are hashed: `icl_examples: -1` scored zero-shot and
 * recorded -1, and an unknown device reached onnxruntime.
 */
function checkSettings(config: EvaluateConfig, run: EvaluateRun): void {
  checkObject(config, 'config', 'an evaluation config (the config resolveEvaluateOptions returns)');
  checkObject(run, 'run', 'run options { out, … } (the run resolveEvaluateOptions returns, with out)');
  checkPath(run.out, 'out');
  checkPath(config.data, 'data');
  if (typeof config.model !== 'string' || config.model === '')
    throw new InputError({ argument: 'model', expected: 'a model folder or id (a non-empty string)', received: config.model });
  if (config.classes === undefined) throw new InputError({ argument: 'classes', expected: 'a value: it is required' });
  checkOption('classes', config.classes, 'evaluate', 'classes');
  checkTsvSafe(config.classes, 'classes', 'class names');
  checkOption('limit', config.limit ?? undefined, 'evaluate', 'limit');
  checkOption('iclExamples', config.icl_examples, 'evaluate', 'icl_examples');
  checkOption('iclSeed', config.icl_seed, 'evaluate', 'icl_seed');
  checkOption('batchSize', run.batchSize, 'evaluate', 'batchSize');
  checkOption('prefixCacheMemoryLimit', run.prefixCacheMemoryLimit, 'evaluate', 'prefixCacheMemoryLimit');
  checkOption('device', run.device, 'evaluate', 'device');
}

/** A run's data as read and checked: the rows it scores (`pool`, at `poolRows` of `table`) and its shots. */
interface PreparedData {
  table: Table;
  pool: TextClassificationDataset;
  poolRows: number[];
  shots: Array<{ text: string; label: number }>;
  iclRows: number[];
}

/**
 * Reads a run's data and ICL data and checks them against its options (columns, labels among the
 * classes, rows left to score, enough shots), without the model.
 */
async function prepareData(config: EvaluateConfig, naming: OptionNaming, signal?: AbortSignal): Promise<PreparedData> {
  const { dataset: data, table } = await loadData(config.data, config, config.limit, signal);
  let pool = data;
  let poolRows = Array.from({ length: data.size }, (_, i) => i);
  let shots: Array<{ text: string; label: number }> = [];
  let iclRows: number[] = [];
  if (data.size === 0)
    throw new InputError({
      argument: 'data',
      expected: 'rows to score',
      // The file too: a header-only table's message would otherwise name only the flag.
      received: new ReceivedKind(`${formatCount(data.size, 'row')} in ${config.data}`),
    });
  // Shots taken from the pool leave it, so the pool's own rows bound them one below its size.
  if (config.icl_data === null && config.icl_examples >= data.size) {
    const rowsRead = `${formatCount(data.size, 'row')} ${config.limit === null ? 'of' : `that ${naming.option('limit')} ${config.limit} kept of`} ${config.data}`;
    throw new InputError({
      argument: 'iclExamples',
      expected: `${data.size === 1 ? '0' : `an integer in [0, ${data.size - 1}]`} (shots leave the pool, and at least one of the ${rowsRead} must be left to score)`,
      received: config.icl_examples,
    });
  }
  if (config.icl_examples > 0) {
    const iclSource = config.icl_data === null ? data : (await loadData(config.icl_data, config, null, signal)).dataset;
    if (iclSource !== data) refuseShotsFromPool(iclSource, data, config.icl_data as string);
    iclRows = Array.from(selectIclExamples(iclSource.labels, config.classes.length, config.icl_examples, config.icl_seed));
    shots = iclRows.map((row) => ({ text: iclSource.texts[row] as string, label: iclSource.labels[row] as number }));
    if (config.icl_data === null) {
      const taken = new Set(iclRows);
      poolRows = poolRows.filter((i) => !taken.has(i));
      pool = data.select(poolRows);
    }
  }
  return { table, pool, poolRows, shots, iclRows };
}

/**
 * Reads and checks an evaluation's data as `evaluateToFolder` would before loading its model, and
 * returns how many rows it would score: an experiment checks every step's data before the first
 * step scores, so that a mistake in a later step's file is not found after hours of scoring. The
 * classes are checked too, against the model's tokenizer alone (two classes of one first token
 * are otherwise found only once the weights are loaded): a folder's, or a Hub model's downloaded
 * alone (where the Hub cannot be reached, the step's turn says so); a served model has none to
 * read. A tokenizer is loaded once for the steps of `memo` that share it.
 *
 * @throws {InputError} on data or classes the run would refuse, naming the option by `naming`;
 * ActiveTestingError when the Hub has no such model (or refuses it).
 */
export async function checkEvaluationData(
  config: EvaluateConfig,
  naming: OptionNaming = LIBRARY_NAMING,
  memo: StepsMemo = stepsMemo(),
): Promise<number> {
  const { pool, shots } = await prepareData(config, naming);
  let tokenizer = memo.tokenizers.get(config.model);
  if (tokenizer === undefined) {
    tokenizer = isModelFolder(config.model)
      ? loadFolderTokenizer(config.model)
      : isHubModel(config.model)
        ? loadHubTokenizer(config.model)
        : Promise.resolve(null);
    memo.tokenizers.set(config.model, tokenizer);
  }
  const loaded = await tokenizer;
  if (loaded !== null) await checkJobClasses(loaded, pool, { shots });
  return pool.size;
}

/** Whether `model` is a model folder here, which `evaluateToFolder` loads (and hashes) from disk. */
function isModelFolder(model: string): boolean {
  return !isOpenAIModelSpec(model) && existsSync(model) && statSync(model).isDirectory();
}

/** Whether `model` is a Hub id, which `evaluateToFolder` downloads (a served model has no tokenizer to read). */
function isHubModel(model: string): boolean {
  return !isOpenAIModelSpec(model) && !isLocalModelPath(model);
}

/** `evaluateToFolder`'s work, while it holds the output folder's lock. */
async function evaluateLocked(config: EvaluateConfig, run: EvaluateRun): Promise<EvaluateOutcome> {
  const { out } = run;
  const batchSize = run.batchSize ?? 16;
  const device = run.device ?? 'cpu';
  const force = run.force ?? false;
  const prefixCache = run.prefixCache ?? true;
  faultPoint('evaluate:locked');
  const naming = run.naming ?? LIBRARY_NAMING;
  const { state, checkpointConfig } = await checkOutputFolder(out, config, force, naming);
  if (state === 'complete') {
    const meta = JSON.parse(await readFile(join(out, 'meta.json'), 'utf8')) as {
      n: number;
      accuracy: number;
      loss: number;
      floored_labels?: number;
      label_token_counts?: number[] | null;
    };
    // Results written before floored scores were counted have none recorded: their configuration had no `openai_mode` either.
    return {
      alreadyComplete: true,
      n: meta.n,
      accuracy: meta.accuracy,
      loss: meta.loss,
      flooredLabels: meta.floored_labels ?? 0,
      multiTokenClasses: multiTokenClasses(config.classes, meta.label_token_counts),
    };
  }
  // Everything that can fail on bad input happens before the first file is written.
  const { table, pool, poolRows, shots, iclRows } = await prepareData(config, naming, run.signal);
  // Loading a model can take minutes and cannot be stopped halfway: it is not begun once the run
  // was cancelled (while the inputs were hashed and read), nor used when the cancel came during it.
  if (run.signal?.aborted) throw new CancelledError('evaluation cancelled before loading the model; rerun the same command to resume');
  const loadStarted = performance.now();
  const model = run.backend
    ? new Model(run.backend)
    : await Model.fromPretrained(config.model, {
        device,
        dtype: config.dtype,
        ...(run.prefixCacheMemoryLimit === undefined ? {} : { prefixCacheMemoryLimit: run.prefixCacheMemoryLimit }),
      });
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  try {
    if (run.signal?.aborted) throw new CancelledError('evaluation cancelled while loading the model');
    const result = await runScoringJob(model, pool, {
      shots,
      batchSize,
      prefixCache,
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.onProgress ? { onProgress: ({ done, total }: { done: number; total: number }) => run.onProgress?.(done, total) } : {}),
      checkpoint: { base: join(out, CHECKPOINT), config: checkpointConfig, discardUnfit: force },
    }).catch((error: unknown) => {
      throw atDataPlace(error, poolRows, table, config.data);
    });
    const k = config.classes.length;
    const meta = {
      accuracy: result.accuracy,
      loss: result.loss,
      // Upper bounds, not scores (`--missing-label floor`): the results are only as good as their count is low.
      floored_labels: result.flooredLabels,
      n: pool.size,
      classes: config.classes,
      label_token_ids: result.labelTokenIds,
      // Above 1, a class is scored by its first token alone.
      label_token_counts: result.labelTokenCounts,
      first_prompt: result.firstPrompt,
      icl_rows: iclRows,
      timings: {
        load_seconds: loadSeconds,
        scoring_seconds: result.timings.scoringSeconds,
        items_per_second: result.timings.itemsPerSecond,
        items_scored_now: result.scoredNow,
      },
      config,
      run: {
        batch_size: batchSize,
        // What ran, not what was asked: `auto` is recorded as cpu or cuda; a served model's device is not known here.
        device: model.backend instanceof TransformersBackend ? model.backend.device : null,
        // Whether the instruction and shots were encoded once: not where nothing comes before the
        // query or the graph takes no key/value cache; a served model's caching is its server's.
        prefix_cache:
          model.backend instanceof TransformersBackend
            ? prefixCache && (config.instruction !== '' || shots.length > 0) && model.backend.supportsPrefixCache
            : null,
        dtype: run.backend ? null : ranDtype(config.model, config.dtype),
      },
      version: VERSION,
    };
    await writeOutputFolder(
      out,
      [
        { name: 'scores.npy', data: encodeNpy({ data: result.scores, shape: [pool.size, k], dtype: 'f4' }) },
        { name: 'labels.npy', data: encodeNpy({ data: Int32Array.from(pool.labels), shape: [pool.size], dtype: 'i4' }) },
        { name: 'meta.json', data: `${JSON.stringify(meta, null, 2)}\n` },
      ],
      { force: force || state === 'unfinished', managed: OUTPUT_FILES, commitMarker: COMMIT_MARKER },
    );
    await ScoreCheckpoint.discard(join(out, CHECKPOINT));
    return {
      alreadyComplete: false,
      n: pool.size,
      accuracy: result.accuracy,
      loss: result.loss,
      flooredLabels: result.flooredLabels,
      multiTokenClasses: multiTokenClasses(config.classes, result.labelTokenCounts),
    };
  } catch (error) {
    if (error instanceof CancelledError) throw new CancelledError(`${error.message}; rerun the same command to resume`);
    throw error;
  } finally {
    await model.dispose();
  }
}
