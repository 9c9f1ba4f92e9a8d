import { isIP } from 'node:net';
import { InputError, UsageError, withArticle } from '../errors.js';
import { NUMERICS_FLAGS } from '../numerics.js';
import { isSeed } from '../random.js';
import { DEFAULT_MIN_LABELS } from '../stopping.js';
import { BUILTIN_LOSS_NAMES } from '../metrics/builtin-losses.js';
import {
  ACQUISITION_SYNONYMS,
  acquisitionsFor,
  checkAcquisitionName,
  ESTIMATOR_NAMES,
  INTERVAL_KINDS,
  MODEL_DEVICES,
  MODEL_DTYPES,
  type RegistryUse,
} from './registry.js';
import { checkChoice, didYouMean, editDistance, type Synonyms } from '../io/suggest.js';
import { checkObject } from '../io/check-arguments.js';

/**
 * Where an option may be given: `simulate`'s options object and `active-testing simulate`;
 * a session's options and `active-testing label` / `serve`; an experiment grid's top level; one
 * grid setting; `active-testing evaluate` and a grid's evaluate steps (the same keys); and the
 * own flags of `active-testing experiment`, `report`, `label` and `serve`.
 */
export type OptionContext = 'simulate' | 'session' | 'grid' | 'setting' | 'evaluate' | 'experiment' | 'report' | 'label' | 'serve';

/** The type and constraint of an option's value. */
export type ValueSpec =
  /** An integer in [min, max] (max default unbounded). */
  | { kind: 'integer'; min: number; max?: number }
  /**
   * A number in [min, max] (`minOpen`: (min, …; `maxOpen`: …, max)); `nullable`: null means "none";
   * `expected`: what a refused value is told, where the range alone would mislead (a function of
   * the refused value where what to say depends on it; undefined where none is at hand).
   */
  | {
      kind: 'number';
      min: number;
      max: number;
      minOpen?: boolean;
      maxOpen?: boolean;
      nullable?: boolean;
      expected?: string | ((refused: unknown) => string);
    }
  | {
      kind: 'choice';
      choices: (context: OptionContext) => readonly string[];
      /** Words users reach for, each mapped to the choice it means (`random` → `iid`), suggested first. */
      synonyms?: Synonyms;
    }
  /** `exact`, `none` or a number of Monte Carlo resamples ≥ 1. */
  | { kind: 'bootstrap' }
  /** An integer ≥ 0 or a non-empty string; an integer on the command line. */
  | { kind: 'seed' }
  /** A finite number > 0 or null; in a grid setting also `"calibrated"`. */
  | { kind: 'temperature' }
  /** Data (scores, labels, texts, a calibration set), checked by the code that reads it; a file path on the command line. */
  | { kind: 'input' }
  /** A function of the library's options, `called` saying with what (or what it returns). */
  | { kind: 'function'; called: string }
  /** An `AbortSignal` of the library's options. */
  | { kind: 'signal' }
  /** A non-empty string: a path, a name, a model id. */
  | { kind: 'text' }
  /** On or off: a flag without a value on the command line, `true` or `false` in a grid. */
  | { kind: 'flag' }
  /**
   * At least `minItems` names (`names`), integers ≥ 1 (`counts`), host names or IP addresses
   * without a port (`hosts`) or `choices`, each once: comma-separated on the command line, a list
   * or a comma-separated string in a grid.
   */
  | { kind: 'list'; item: 'names' | 'counts' | 'hosts'; minItems: number; choices?: readonly string[] };

/** One option, declared once: everything else (flags, grid keys, checks, help) is derived from it. */
export interface OptionDeclaration {
  /** The TypeScript name and the grid key; the CLI flag is its kebab-case (`cliFlag`). */
  readonly name: string;
  readonly value: ValueSpec;
  /** One line for `--help` and docs. */
  readonly doc: string;
  /** The line for some contexts instead of `doc`, where `doc` speaks of what they lack (a session reads no label column). */
  readonly docIn?: Partial<Record<OptionContext, string>>;
  /** The default, in words; absent when there is none. */
  readonly defaultText?: string;
  readonly contexts: readonly OptionContext[];
  /** The command-line placeholder of its value (`N`, `C`, `FILE`; empty for a flag); null when it has no flag (callbacks, objects). */
  readonly metavar: string | null;
  /**
   * A flag of the commands of its contexts only, not a key of their options objects or grids:
   * `simulate --out`, and `evaluate --out` / `--force`, which an experiment sets for its steps.
   * A list names the contexts where it is only a flag, the option being a key in its others
   * (`--interval`: a flag of `simulate`, not a key of its options object, and a grid key).
   */
  readonly commandLineOnly?: boolean | readonly OptionContext[];
  /** For a command-line-only flag: what does its work from TypeScript (or a grid), said when its name is given as an option. */
  readonly inTypeScript?: string;
  /**
   * Words users reach for when they mean this option (`budget` for `size`), suggested before any
   * name they spell or resemble. None may be a name of the contexts it is declared in.
   */
  readonly synonyms?: readonly string[];
}

const PROPOSAL: readonly OptionContext[] = ['simulate', 'session', 'setting'];

/**
 * What a refused multiple of σ is told: a value in (0, 1) is most likely a confidence level, so
 * the multiple of that level is given (0.9 → 1.64); anything else is shown the 95% one.
 *
 * @example
 * sigmaMultipleExpected(0.9); // 'a multiple of σ ≥ 1 (1.64 for a 90% band)'
 */
function sigmaMultipleExpected(refused: unknown): string {
  // A level below 68.3% has a multiple below 1, itself refused: the 95% one is shown instead.
  const level = typeof refused === 'number' && refused < 1 && twoSidedZ(refused) >= 1 ? refused : 0.95;
  return `a multiple of σ ≥ 1 (${twoSidedZ(level).toFixed(2)} for ${withArticle(`${Number((level * 100).toPrecision(6))}%`)} band)`;
}

/** z with P(|Z| ≤ z) = `level` for a standard normal Z, by bisection on erf (a message's two decimals). */
function twoSidedZ(level: number): number {
  let low = 0;
  let high = 40;
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (erf(mid / Math.SQRT2) < level) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** The error function (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7), for x ≥ 0. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 1 - poly * Math.exp(-x * x);
}
const RUNS: readonly OptionContext[] = ['simulate', 'grid'];

/** The registry's name for where an acquisition is used. */
const use = (context: OptionContext): RegistryUse =>
  context === 'setting' || context === 'grid' ? 'grid' : context === 'session' ? 'session' : 'simulate';

const text: ValueSpec = { kind: 'text' };
const onOff: ValueSpec = { kind: 'flag' };
const atLeast = (min: number): ValueSpec => ({ kind: 'integer', min });
const positive: ValueSpec = { kind: 'number', min: 0, max: Infinity, minOpen: true };

/** The longest wait a timer can make (2³¹ − 1 ms, about 24.8 days): Node runs a longer one at once. */
export const LONGEST_WAIT_MS = 2 ** 31 - 1;
const oneOf = (choices: readonly string[]): ValueSpec => ({ kind: 'choice', choices: () => choices });

const CALIBRATION_OPTION = 'the `calibration: { scores, labels }` option takes the held-out scores and labels';
const WRITES_SIMULATION = 'writeSimulationOutputs(dir, result, summary, { force }) writes a result into a folder';
/** Where a library user gives `key` of `active-testing evaluate`'s run (`out`, `force`). */
const writesEvaluation = (key: 'out' | 'force'): string =>
  `a grid writes each evaluate step's results into a folder of its own, and evaluateToFolder(config, run) takes \`run.${key}\``;

/** `active-testing simulate`'s own flags. */
const SIMULATE_COMMAND: readonly OptionDeclaration[] = [
  {
    name: 'interval',
    value: { kind: 'list', item: 'names', minItems: 1, choices: INTERVAL_KINDS },
    doc: "per-run 95% intervals: anytime (confidence sequence, valid at every row at once, tuned for --size), fixed (fixed-budget, valid at each row's label count), bootstrap (approximate ±1.96σ); writes K_lower.npy, K_upper.npy and summary.json intervals.K (coverage per row, simultaneous_coverage except for bootstrap, median_half_width)",
    contexts: ['simulate', 'grid'],
    metavar: 'K,...',
    // simulate's options object has no intervals: simulationIntervals computes them from a result.
    commandLineOnly: ['simulate'],
    inTypeScript:
      'simulationIntervals(result, losses, bounds, kinds, simulationReference(input, result.options)) computes the intervals of a result simulated with recordMixtureWeights: true, as --interval does (docs/simulate.md, "Intervals from the library")',
  },
  {
    name: 'calibrationScores',
    value: text,
    doc: "the surrogate's scores of held-out labelled items (.npy, not in the pool nor in the surrogate's prompt): the surrogate temperature is fitted on them instead of --temperature",
    contexts: ['simulate', 'label', 'serve'],
    metavar: 'FILE',
    commandLineOnly: true,
    inTypeScript: CALIBRATION_OPTION,
  },
  {
    name: 'calibrationLabels',
    value: text,
    doc: 'the labels of those items (.npy); they count in your labelling budget',
    contexts: ['simulate', 'label', 'serve'],
    metavar: 'FILE',
    commandLineOnly: true,
    inTypeScript: CALIBRATION_OPTION,
  },
  {
    name: 'out',
    value: text,
    doc: 'output folder (created if missing)',
    contexts: ['simulate'],
    metavar: 'DIR',
    commandLineOnly: true,
    inTypeScript: WRITES_SIMULATION,
  },
  {
    name: 'force',
    value: onOff,
    doc: 'replace existing output files in DIR',
    contexts: ['simulate'],
    metavar: '',
    commandLineOnly: true,
    inTypeScript: WRITES_SIMULATION,
  },
  {
    name: 'demo',
    value: onOff,
    doc: 'run on the built-in synthetic LLM-like pool: active testing (adaptive + LURE) vs random labelling (iid), into a new folder runs/demo-<time>/ unless --out',
    contexts: ['simulate'],
    metavar: '',
    commandLineOnly: true,
    inTypeScript: 'runDemo() runs the demo, and syntheticPool() builds its pool',
  },
];

/** `active-testing evaluate`'s flags, which are also the keys of a grid's evaluate steps (but `out` and `force`). */
const EVALUATE: readonly OptionDeclaration[] = [
  {
    name: 'model',
    value: text,
    doc: 'a folder in the transformers.js layout (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx), a Hugging Face Hub id, or openai:<base URL>#<model name> for a served model',
    contexts: ['evaluate'],
    metavar: 'ID|DIR',
  },
  {
    name: 'data',
    value: text,
    doc: 'a .tsv, .csv, .jsonl or .parquet file, or hub:name[:config][:split] (needs internet)',
    contexts: ['evaluate'],
    metavar: 'FILE|hub:...',
  },
  {
    name: 'classes',
    value: { kind: 'list', item: 'names', minItems: 2 },
    doc: 'class names in label-id order; the label column holds ids or these names',
    // A session reads no label column: the annotators give the labels.
    docIn: { label: 'class names, in the order of the score columns', serve: 'class names, in the order of the score columns' },
    contexts: ['evaluate', 'label', 'serve'],
    metavar: 'A,B,...',
  },
  {
    name: 'textColumn',
    value: text,
    doc: 'the column holding the text',
    defaultText: 'sentence',
    contexts: ['evaluate', 'label', 'serve'],
    metavar: 'NAME',
  },
  {
    name: 'labelColumn',
    value: text,
    doc: 'the column holding the label: a class name (any case) or a class index (1, or 1.0 as pandas writes a float column); only a name when a class is named by an integer (1.0 then names the class 1)',
    defaultText: 'label',
    contexts: ['evaluate'],
    metavar: 'NAME',
  },
  { name: 'limit', value: atLeast(1), doc: 'keep the first N rows', contexts: ['evaluate'], metavar: 'N' },
  {
    name: 'instruction',
    value: text,
    doc: 'the instruction, used verbatim (a real newline in the argument stays a newline)',
    defaultText: 'none',
    contexts: ['evaluate'],
    metavar: 'TEXT',
  },
  {
    name: 'instructionFile',
    value: text,
    doc: 'the instruction read from a UTF-8 file (CRLF line ends read as LF)',
    contexts: ['evaluate'],
    metavar: 'F',
  },
  {
    name: 'answerString',
    value: text,
    doc: 'the word before the answer in the prompt',
    defaultText: 'Label',
    contexts: ['evaluate'],
    metavar: 'S',
  },
  {
    name: 'iclExamples',
    value: atLeast(0),
    doc: 'N shots, per class in proportion to the class frequencies, shuffled once',
    defaultText: '0',
    contexts: ['evaluate'],
    metavar: 'N',
  },
  {
    name: 'iclData',
    value: text,
    doc: 'where the shots come from',
    defaultText: "--data, and the shots' rows leave the pool",
    contexts: ['evaluate'],
    metavar: 'FILE',
  },
  { name: 'iclSeed', value: atLeast(0), doc: 'seed of the shot selection', defaultText: '0', contexts: ['evaluate'], metavar: 'S' },
  {
    name: 'noPrefixCache',
    value: onOff,
    doc: 're-encode the instruction and shots for every item (same results, slower)',
    contexts: ['evaluate'],
    metavar: '',
  },
  { name: 'batchSize', value: atLeast(1), doc: 'items per forward pass', defaultText: '16', contexts: ['evaluate'], metavar: 'N' },
  {
    name: 'device',
    value: oneOf(MODEL_DEVICES),
    doc: 'where the model runs',
    defaultText: 'cpu',
    contexts: ['evaluate'],
    metavar: 'cpu|cuda|auto',
  },
  {
    name: 'dtype',
    value: oneOf(MODEL_DTYPES),
    doc: `weight precision: ${MODEL_DTYPES.join(' | ')}`,
    defaultText: 'fp32',
    contexts: ['evaluate'],
    metavar: 'D',
  },
  {
    name: 'prefixCacheMemoryLimit',
    value: { kind: 'number', min: 0, max: Infinity, minOpen: true, maxOpen: true, expected: 'a positive number of bytes' },
    doc: "bytes that a batch's copies of the cached instruction and shots may take; a batch needing more is refused, naming the batch size that fits",
    defaultText: "a quarter of this machine's memory",
    contexts: ['evaluate'],
    metavar: 'BYTES',
  },
  {
    name: 'out',
    value: text,
    doc: 'output folder',
    contexts: ['evaluate'],
    metavar: 'DIR',
    commandLineOnly: true,
    inTypeScript: writesEvaluation('out'),
  },
  {
    name: 'force',
    value: onOff,
    doc: 'replace results made with another configuration',
    contexts: ['evaluate'],
    metavar: '',
    commandLineOnly: true,
    inTypeScript: writesEvaluation('force'),
  },
  {
    name: 'apiKeyEnv',
    value: text,
    doc: 'environment variable holding the API key',
    defaultText: 'OPENAI_API_KEY, optional',
    contexts: ['evaluate'],
    metavar: 'VAR',
  },
  {
    name: 'openaiMode',
    value: oneOf(['echo', 'top-logprobs']),
    doc: 'echo (exact) | top-logprobs (one sequence per item, K ≤ --top-logprobs)',
    defaultText: 'echo',
    contexts: ['evaluate'],
    metavar: 'MODE',
  },
  {
    name: 'topLogprobs',
    value: atLeast(1),
    doc: "top log-probabilities to request in top-logprobs mode: the server's cap",
    defaultText: '20',
    contexts: ['evaluate'],
    metavar: 'N',
  },
  {
    name: 'missingLabel',
    value: oneOf(['error', 'floor']),
    doc: 'a label outside the top log-probabilities: error | floor (lowest returned value)',
    defaultText: 'error',
    contexts: ['evaluate'],
    metavar: 'WHAT',
  },
  { name: 'concurrency', value: atLeast(1), doc: 'HTTP requests in flight', defaultText: '8', contexts: ['evaluate'], metavar: 'N' },
  {
    name: 'requestTimeout',
    value: { kind: 'number', min: 0, max: Math.floor(LONGEST_WAIT_MS / 1000), minOpen: true },
    doc: 'seconds per attempt before retrying',
    defaultText: '120',
    contexts: ['evaluate'],
    metavar: 'S',
  },
  {
    name: 'maxRetries',
    value: atLeast(0),
    doc: 'retries on 429, 5xx, dropped connections, timeouts, malformed JSON',
    defaultText: '5',
    contexts: ['evaluate'],
    metavar: 'N',
  },
  {
    name: 'maxRetryDelay',
    value: { kind: 'number', min: 0, max: Math.floor(LONGEST_WAIT_MS / 1000) },
    doc: 'longest wait before a retry; a server asking (Retry-After) for longer fails the run',
    defaultText: '60',
    contexts: ['evaluate'],
    metavar: 'S',
  },
];

/** `active-testing experiment`'s and `report`'s own flags. */
const EXPERIMENT_AND_REPORT: readonly OptionDeclaration[] = [
  { name: 'config', value: text, doc: 'the experiment grid (required)', contexts: ['experiment'], metavar: 'FILE' },
  {
    name: 'out',
    value: text,
    doc: 'output folder (required); experiment.json and one folder per setting',
    contexts: ['experiment'],
    metavar: 'DIR',
  },
  {
    name: 'force',
    value: onOff,
    doc: 'recompute settings whose folder holds results of another configuration',
    contexts: ['experiment'],
    metavar: '',
  },
  {
    name: 'json',
    value: onOff,
    doc: 'JSON on stdout, one object a line, instead of text',
    contexts: ['experiment', 'report'],
    metavar: '',
  },
  { name: 'out', value: text, doc: 'output folder', defaultText: 'DIR/report for a single DIR', contexts: ['report'], metavar: 'OUT' },
  { name: 'force', value: onOff, doc: 'replace an earlier report in OUT', contexts: ['report'], metavar: '' },
  {
    name: 'baseline',
    value: text,
    doc: 'the random-labelling setting to compare with: its name in the table, its folder name, or its acquisition (iid) where only one setting has it',
    defaultText: 'the first iid one',
    contexts: ['report'],
    metavar: 'NAME',
  },
  {
    name: 'thresholds',
    value: { kind: 'list', item: 'counts', minItems: 1 },
    doc: 'label counts of the table, comma-separated',
    defaultText: '50,100,200,400',
    contexts: ['report'],
    metavar: 'LIST',
  },
  {
    name: 'smoothing',
    value: atLeast(1),
    doc: 'moving-average window of the relative and coverage curves in the figures',
    defaultText: '1: none; the table is never smoothed',
    contexts: ['report'],
    metavar: 'N',
  },
  {
    name: 'confidence',
    // A multiple of σ, not a level: 0.95 would draw ± 0.95σ (a 66% band) and read as 95%.
    value: { kind: 'number', min: 1, max: Infinity, expected: sigmaMultipleExpected },
    doc: 'bootstrap interval half-width for coverage, as a multiple of σ ≥ 1 (1.96 for a 95% band, not 0.95)',
    defaultText: '1.96',
    contexts: ['report'],
    metavar: 'C',
  },
];

/** `active-testing label`'s and `serve`'s own flags, besides the session options. */
const LABEL_AND_SERVE: readonly OptionDeclaration[] = [
  {
    name: 'session',
    value: text,
    doc: 'the session file (created when pool options are given and it does not exist)',
    contexts: ['label', 'serve'],
    metavar: 'FILE',
  },
  {
    name: 'answers',
    value: text,
    doc: 'label non-interactively from a .tsv or .csv file with a header (or .jsonl, .parquet): the item ids in the pool\'s --id-column (given or stored in the session) or else in the column "id" (without either, the row numbers 0, 1, ..., in a pool numbered by row) and the column --answer-column holding a class name, class index (1 or 1.0) or "skip" (a name only when a class is named by an integer); - reads it from stdin (TSV, CSV or JSON Lines, told by its text)',
    contexts: ['label'],
    metavar: 'FILE',
  },
  {
    name: 'answerColumn',
    value: text,
    doc: 'the column of --answers holding the answers',
    defaultText: 'label',
    contexts: ['label'],
    metavar: 'NAME',
  },
  {
    name: 'export',
    value: oneOf(['label-studio']),
    doc: "write the session's proposals as Label Studio tasks (JSON) to F, with the labels so far, and print the matching labelling config; with --max-labels N, first propose items until the labels and the items open number N",
    contexts: ['label'],
    metavar: 'label-studio F',
  },
  {
    name: 'import',
    value: oneOf(['label-studio']),
    doc: 'record the annotations of a Label Studio JSON export F (tasks written by --export) in proposal order; refuses items the session did not propose, and changes nothing when it refuses',
    contexts: ['label'],
    metavar: 'label-studio F',
  },
  {
    name: 'exportLabels',
    value: text,
    doc: "write the session's labels and skips to FILE (TSV: id, label) and stop; reads any session file, also one that can no longer be opened (a damaged header), and feeds --answers of a new session",
    contexts: ['label'],
    metavar: 'FILE',
  },
  {
    name: 'estimate',
    value: onOff,
    doc: "print the session's estimate and stop; reads the file without opening it for labelling, so it also works while another process (serve, label) labels the session",
    contexts: ['label'],
    metavar: '',
  },
  { name: 'maxLabels', value: atLeast(1), doc: 'stop at N labels', contexts: ['label', 'serve'], metavar: 'N' },
  {
    name: 'targetHalfWidth',
    value: positive,
    doc: "stop once the risk's confidence sequence (anytime-valid 95%) has half-width ≤ W",
    contexts: ['label', 'serve'],
    metavar: 'W',
  },
  {
    name: 'minLabels',
    value: atLeast(1),
    doc: 'labels before --target-half-width may stop',
    defaultText: String(DEFAULT_MIN_LABELS),
    contexts: ['label', 'serve'],
    metavar: 'N',
  },
  {
    name: 'data',
    value: text,
    doc: 'the pool: a .tsv or .csv file with a header row, a .jsonl or a .parquet file',
    contexts: ['label', 'serve'],
    metavar: 'FILE',
  },
  {
    name: 'idColumn',
    value: text,
    doc: 'the column holding item ids, stored in the session',
    defaultText: 'id if present, else row numbers',
    contexts: ['label', 'serve'],
    metavar: 'NAME',
  },
  {
    name: 'port',
    value: { kind: 'integer', min: 0, max: 65_535 },
    doc: 'port to listen on',
    defaultText: '8080; 0 picks a free one',
    contexts: ['serve'],
    metavar: 'N',
  },
  {
    name: 'host',
    value: text,
    doc: 'address to listen on; anyone who can reach it and has the URL can label',
    defaultText: '127.0.0.1: this machine only',
    contexts: ['serve'],
    metavar: 'H',
  },
  {
    name: 'allowedHost',
    value: { kind: 'list', item: 'hosts', minItems: 1 },
    doc: "more names the server answers to, at any port (a name of this machine, a reverse proxy's): requests whose Host header names another host than these, a loopback name or the --host address (with 0.0.0.0 or ::, an address of this machine) at the server's port are refused (403), against DNS rebinding",
    contexts: ['serve'],
    metavar: 'NAME,...',
  },
  {
    name: 'demo',
    value: onOff,
    doc: 'a session on the built-in synthetic pool (2,000 items, 2 classes), in runs/demo-label.session unless --session is given',
    contexts: ['serve'],
    metavar: '',
  },
];

/**
 * Every option of `simulate`, sessions, experiment grids and `evaluate`, and every flag of the
 * commands. Adding an option is one entry here: the CLI flag, the grid key, the unknown-key
 * check, the value check and the `--help` line follow.
 *
 * @example
 * OPTION_DECLARATIONS.find((d) => d.name === 'iclExamples')?.contexts; // ['evaluate']: `--icl-examples`, a grid step's `iclExamples`
 */
export const OPTION_DECLARATIONS: readonly OptionDeclaration[] = [
  {
    name: 'modelScores',
    value: { kind: 'input' },
    doc: "the target model's label logits, N×K",
    contexts: ['simulate', 'session', 'grid'],
    metavar: 'FILE',
  },
  {
    name: 'surrogateScores',
    value: { kind: 'input' },
    doc: "the surrogate's label logits, N×K (needed by the surrogate-* and adaptive acquisitions)",
    contexts: ['simulate', 'session'],
    metavar: 'FILE',
  },
  {
    name: 'comparisonScores',
    value: { kind: 'input' },
    doc: "a second target's logits, to compare the two on the same labels",
    contexts: ['session'],
    metavar: 'FILE',
  },
  {
    name: 'labels',
    value: { kind: 'input' },
    doc: 'class indices (N or N×1; integers, or whole-number floats) or one-hot rows (N×K)',
    contexts: ['simulate', 'grid'],
    metavar: 'FILE',
  },
  {
    name: 'acquisition',
    value: { kind: 'choice', choices: (context) => acquisitionsFor(use(context)), synonyms: ACQUISITION_SYNONYMS },
    doc: 'how items are proposed',
    defaultText: 'adaptive with surrogate scores, or surrogate-ce where adaptive does not apply (docs/options.md); else iid',
    contexts: PROPOSAL,
    metavar: 'A',
  },
  {
    name: 'loss',
    value: { kind: 'choice', choices: () => BUILTIN_LOSS_NAMES },
    doc: 'the loss whose pool mean (the true risk) is estimated: cross-entropy | zero-one (the error rate) | brier',
    defaultText: 'cross-entropy',
    contexts: ['simulate', 'session', 'grid'],
    metavar: 'L',
  },
  {
    name: 'estimator',
    value: { kind: 'choice', choices: () => ESTIMATOR_NAMES },
    doc: 'lure | is | iid | ase',
    defaultText: 'lure; iid for iid acquisition',
    contexts: ['simulate', 'setting'],
    metavar: 'E',
  },
  {
    name: 'clip',
    // Below 1 is the option's range; above 0 is a rule of the statistics (q > 0 on every item),
    // checked with the acquisition and numerics, so a clip ≤ 0 is bad input like `--clip 0`. Both
    // refusals say the same fraction.
    value: { kind: 'number', min: -Infinity, max: 1, maxOpen: true, expected: 'a clip fraction in (0, 1)' },
    doc: 'floor of the proposal, as a fraction of the uniform probability, in (0, 1); 0 only under reference numerics (simulate and grids); ignored by iid (which records 0) except under reference numerics',
    // A session has no reference numerics.
    docIn: { session: 'floor of the proposal, as a fraction of the uniform probability, in (0, 1); ignored by iid' },
    defaultText: '0.1',
    contexts: PROPOSAL,
    metavar: 'C',
  },
  {
    name: 'temperature',
    value: { kind: 'temperature' },
    // Ignored, not refused, where no proposal uses it, as clip is by iid: a script can sweep the
    // acquisitions with one set of options.
    doc: "temperature of the surrogate (surrogate-*, adaptive) or of the target (self-entropy); ignored by iid and true-loss (they use no model's probabilities)",
    // A session refuses true-loss.
    docIn: {
      session:
        "temperature of the surrogate (surrogate-*, adaptive) or of the target (self-entropy); ignored by iid (it uses no model's probabilities)",
    },
    defaultText: 'none',
    contexts: PROPOSAL,
    metavar: 'T',
  },
  {
    name: 'defensive',
    value: { kind: 'number', min: 0, max: 1, nullable: true },
    doc: 'mix a fixed proposal with uniform: (1−λ)·q + λ·uniform, λ in [0, 1]',
    defaultText: 'none',
    contexts: PROPOSAL,
    metavar: 'λ',
  },
  {
    name: 'plannedLabels',
    value: atLeast(1),
    doc: "labels you plan to collect (above the pool size: the whole pool, with a warning): the session's confidence sequences are tuned to be narrowest there, still valid at every count",
    defaultText: 'none: tuned for every count',
    contexts: ['session'],
    metavar: 'N',
  },
  {
    name: 'calibration',
    value: { kind: 'input' },
    doc: 'held-out labelled surrogate scores { scores, labels }: the surrogate temperature is fitted on them (--calibration-scores, --calibration-labels)',
    contexts: ['simulate', 'session'],
    metavar: null,
  },
  { name: 'runs', value: { kind: 'integer', min: 1 }, doc: 'independent runs', defaultText: '1000', contexts: RUNS, metavar: 'N' },
  {
    name: 'size',
    value: { kind: 'integer', min: 1 },
    doc: 'labels per run (in a grid at most the pool size; simulate labels a smaller pool whole, with a warning)',
    defaultText: 'min(400, N)',
    contexts: RUNS,
    metavar: 'M',
    // The docs call it a budget. Not `labels`, which is the labels file's key.
    synonyms: ['budget'],
  },
  {
    name: 'step',
    value: { kind: 'integer', min: 1 },
    doc: 'record an estimate every S labels, and after the last one',
    defaultText: '1',
    contexts: RUNS,
    metavar: 'S',
  },
  {
    name: 'seed',
    value: { kind: 'seed' },
    doc: 'seed of every random choice',
    defaultText: '0',
    contexts: ['simulate', 'session', 'grid'],
    metavar: 'N',
  },
  {
    name: 'bootstrap',
    value: { kind: 'bootstrap' },
    doc: 'exact (the infinite-resample variance, O(1) per step) | none | a number B of Monte Carlo resamples (O(B·M) per step)',
    defaultText: 'exact',
    contexts: RUNS,
    metavar: 'B',
  },
  {
    name: 'threads',
    value: { kind: 'integer', min: 1 },
    doc: 'at most this many threads, and no more than the cores; small jobs run on one',
    defaultText: "available cores, within a container's CPU quota",
    contexts: ['simulate', 'experiment'],
    metavar: 'N',
  },
  {
    name: 'numerics',
    value: { kind: 'choice', choices: () => Object.keys(NUMERICS_FLAGS) },
    doc: "default | reference (reproduce the published code's numbers, bugs included)",
    defaultText: 'default',
    contexts: RUNS,
    metavar: 'X',
  },
  {
    name: 'eps',
    value: { kind: 'number', min: 0, max: 1, minOpen: true, maxOpen: true },
    doc: 'probability floor of the softmax in the acquisition values, in (0, 1); losses and the true risk use the exact log-softmax',
    defaultText: '1e-15',
    contexts: ['simulate'],
    metavar: null,
  },
  {
    name: 'random',
    value: { kind: 'function', called: 'returning uniforms in [0, 1)' },
    doc: 'an injected uniform source in [0, 1): one thread, reference-order sampling',
    contexts: ['simulate'],
    metavar: null,
  },
  {
    name: 'recordMixtureWeights',
    value: onOff,
    doc: "keep the mixture weights of each adaptive draw (SimulationResult.mixtureWeights, J per draw: J times the memory of q), so that simulationIntervals bets on each draw's own proposal floor",
    defaultText: 'false',
    contexts: ['simulate'],
    metavar: null,
  },
  {
    name: 'onProgress',
    value: { kind: 'function', called: 'called with (completed runs, total runs)' },
    doc: 'called with (completed runs, total runs)',
    contexts: ['simulate'],
    metavar: null,
  },
  {
    name: 'onWarning',
    value: { kind: 'function', called: 'called with each warning' },
    doc: 'called with each warning of inputs valid but most likely not meant (probabilities given as logits, a calibration set that is the pool itself, a calibration fit at its bound); default process.emitWarning',
    contexts: ['simulate'],
    metavar: null,
  },
  { name: 'signal', value: { kind: 'signal' }, doc: 'an AbortSignal that stops the work', contexts: ['simulate'], metavar: null },
  ...SIMULATE_COMMAND,
  ...EVALUATE,
  ...EXPERIMENT_AND_REPORT,
  ...LABEL_AND_SERVE,
];

/**
 * The commands and the contexts whose flags they take: `label` and `serve` take the session
 * options and their own flags.
 */
export const COMMAND_CONTEXTS = {
  simulate: ['simulate'],
  evaluate: ['evaluate'],
  experiment: ['experiment'],
  report: ['report'],
  label: ['session', 'label'],
  serve: ['session', 'serve'],
} as const satisfies Record<string, readonly OptionContext[]>;

export type CommandName = keyof typeof COMMAND_CONTEXTS;

/**
 * The command-line flag of an option: the kebab-case of its TypeScript name.
 *
 * @example
 * cliFlag('modelScores'); // '--model-scores'
 */
export function cliFlag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The declaration of option `name` in `context` (a name such as `out` is declared once per
 * meaning, for the contexts that share it); throws on a name the schema does not have there (a
 * programming error).
 */
export function declaration(name: string, context: OptionContext): OptionDeclaration {
  const found = OPTION_DECLARATIONS.find((d) => d.name === name && d.contexts.includes(context));
  if (found === undefined) throw new Error(`no option ${name} in the schema for ${context}`);
  return found;
}

/** The options that may be given in `context`, in declaration order (command-line-only flags included). */
export function optionsIn(context: OptionContext): OptionDeclaration[] {
  return OPTION_DECLARATIONS.filter((d) => d.contexts.includes(context));
}

/**
 * Whether option `d` is only a command-line flag in `context`, not a key of its options object or grid.
 *
 * @example
 * isCommandLineOnlyIn(declaration('interval', 'simulate'), 'simulate'); // true: `--interval`, no `interval` option
 * isCommandLineOnlyIn(declaration('interval', 'grid'), 'grid'); // false: a grid key
 */
export function isCommandLineOnlyIn(d: OptionDeclaration, context: OptionContext): boolean {
  return d.commandLineOnly === true || (Array.isArray(d.commandLineOnly) && d.commandLineOnly.includes(context));
}

/** The keys of `context`'s options object or grid: the TS option names, which are also the grid keys. */
export function optionNames(context: OptionContext): string[] {
  return optionsIn(context)
    .filter((d) => !isCommandLineOnlyIn(d, context))
    .map((d) => d.name);
}

/**
 * The declared synonyms of `context`'s options (`budget` → `size`), for `checkKnownKeys` to suggest.
 *
 * @example
 * optionSynonyms('grid').budget; // 'size'
 */
export function optionSynonyms(context: OptionContext): Synonyms {
  return synonymsOf(optionsIn(context).filter((d) => !isCommandLineOnlyIn(d, context)));
}

/** Each synonym of `declarations`, mapped to its option's name. */
function synonymsOf(declarations: readonly OptionDeclaration[], format: (name: string) => string = (n) => n): Synonyms {
  return Object.fromEntries(declarations.flatMap((d) => (d.synonyms ?? []).map((synonym) => [format(synonym), format(d.name)])));
}

/**
 * The flag an unknown key of 4 characters or more misspells: within a quarter of the flag's length
 * in edits (at least one), and nearer to it than to any option of the object (`outs` is `--out`,
 * `timeout` is no misspelling of `--out`, and `put` is too short to tell).
 */
function nearMissOf(name: string, flags: readonly OptionDeclaration[], known: readonly string[]): OptionDeclaration | undefined {
  if (name.length < 4) return undefined;
  const lower = name.toLowerCase();
  const nearestOption = Math.min(...known.map((option) => editDistance(lower, option.toLowerCase())));
  let best: OptionDeclaration | undefined;
  let bestDistance = nearestOption;
  for (const flag of flags) {
    const distance = editDistance(lower, flag.name.toLowerCase());
    if (distance <= Math.max(1, Math.floor(flag.name.length / 4)) && distance < bestDistance) {
      best = flag;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Refuses a command-line-only flag's name given as a key of `context`'s options (or grid), saying
 * what does its work there: without it the key would be refused as unknown, with no word of where
 * `--interval` or `--out` went.
 *
 * @throws {InputError} naming the key (prefixed by `where`), or `where` when `options` is not an object.
 * @example
 * checkNoCommandLineFlags({ interval: ['anytime'] }, 'simulate', null); // InputError: interval: expected an option of simulate's options object, not the command line's --interval: simulationIntervals(…
 */
export function checkNoCommandLineFlags(options: object, context: OptionContext, where: string | null): void {
  checkObject(options, where ?? 'options');
  const flags = optionsIn(context).filter((d) => d.inTypeScript !== undefined);
  const known = optionNames(context);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || known.includes(key)) continue;
    const name = key.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const meant = flags.find((d) => d.name === name) ?? nearMissOf(name, flags, known);
    if (meant === undefined) continue;
    throw new InputError({
      argument: where === null ? key : `${where}.${key}`,
      expected: `an option of ${context}'s options object, not the command line's ${cliFlag(meant.name)}: ${meant.inTypeScript}`,
    });
  }
}

/** The options of `context` that have a command-line flag (`calibration` has two, `--calibration-scores` and `--calibration-labels`). */
export function cliOptionsIn(context: OptionContext): OptionDeclaration[] {
  return optionsIn(context).filter((d) => d.metavar !== null);
}

/** Every flag of `command` with the context that declares it, in declaration order. */
export function commandOptions(command: CommandName): Array<{ declaration: OptionDeclaration; context: OptionContext }> {
  return COMMAND_CONTEXTS[command].flatMap((context) => cliOptionsIn(context).map((d) => ({ declaration: d, context })));
}

const isSafeInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

function describeRange(spec: Extract<ValueSpec, { kind: 'number' }>, offerNull: boolean, refused?: unknown): string {
  if (typeof spec.expected === 'function') return spec.expected(refused);
  if (spec.expected !== undefined) return spec.expected;
  const orNull = spec.nullable && offerNull ? ', or null' : '';
  if (spec.max === Infinity) return `a number ${spec.minOpen ? '>' : '≥'} ${spec.min}${orNull}`;
  if (spec.min === -Infinity) return `a number ${spec.maxOpen ? '<' : '≤'} ${spec.max}${orNull}`;
  return `a number in ${spec.minOpen ? '(' : '['}${spec.min}, ${spec.max}${spec.maxOpen ? ')' : ']'}${orNull}`;
}

function describeInteger(spec: Extract<ValueSpec, { kind: 'integer' }>): string {
  return spec.max === undefined ? `an integer ≥ ${spec.min}` : `an integer in [${spec.min}, ${spec.max}]`;
}

/** A DNS name (labels of letters, digits, `-` and `_`; an IPv4 address is one too). */
const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/i;

/** Whether `item` is a host name or an IP address (IPv6 with or without brackets), without a port. */
function isHost(item: unknown): boolean {
  return typeof item === 'string' && (HOST_NAME.test(item) || isIP(item.replace(/^\[(.*)\]$/, '$1')) === 6);
}

const LIST_ITEMS = { names: 'names', counts: 'integers ≥ 1', hosts: 'host names or addresses without a port' } as const;

function describeList(spec: Extract<ValueSpec, { kind: 'list' }>): string {
  const what = spec.choices !== undefined ? spec.choices.join(' | ') : LIST_ITEMS[spec.item];
  return `${spec.minItems > 1 ? `at least ${spec.minItems} ` : ''}${what}, comma-separated`;
}

/** What the command line's text of a bootstrap, seed or temperature option must be. */
const BOOTSTRAP_TEXT = 'exact, none or a number of resamples ≥ 1';
const SEED_TEXT = 'an integer ≥ 0';
const TEMPERATURE_TEXT = 'a finite number > 0';
const SIGNAL_TEXT = 'an AbortSignal';

/**
 * Whether `value` is an `AbortSignal` as the work listens to one: by its shape, so that a signal of
 * another realm (a test environment's, a polyfill's) is one too.
 */
function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== 'object' || value === null) return false;
  const signal = value as Partial<AbortSignal>;
  return (
    typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function'
  );
}

/**
 * What the command-line value of option `d` in `context` must be, in the words its refusals use:
 * what a flag given without its value is told. A file, folder or name is told its placeholder.
 *
 * @example
 * commandLineExpectation(declaration('runs', 'simulate'), 'simulate'); // 'an integer ≥ 1'
 * commandLineExpectation(declaration('out', 'simulate'), 'simulate'); // 'a value (DIR)'
 */
export function commandLineExpectation(d: OptionDeclaration, context: OptionContext): string {
  const spec = d.value;
  switch (spec.kind) {
    case 'integer':
      return describeInteger(spec);
    case 'number':
      return describeRange(spec, false);
    case 'choice':
      return `one of ${spec.choices(context).join(' | ')}`;
    case 'bootstrap':
      return BOOTSTRAP_TEXT;
    case 'seed':
      return SEED_TEXT;
    case 'temperature':
      return TEMPERATURE_TEXT;
    case 'list':
      return describeList(spec);
    case 'flag':
      return 'no value';
    case 'input':
    case 'text':
      return `a value (${d.metavar ?? 'text'})`;
    case 'function':
      return `a function, ${spec.called}`;
    case 'signal':
      return SIGNAL_TEXT;
  }
}

/** The items of a list option: a list, or a comma-separated string. */
function checkList(spec: Extract<ValueSpec, { kind: 'list' }>, value: unknown, argument: string): unknown[] {
  const items = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value;
  const expected = describeList(spec);
  if (!Array.isArray(items) || items.length < spec.minItems) throw new InputError({ argument, expected, received: value });
  const valid = (item: unknown): boolean =>
    spec.item === 'counts'
      ? isSafeInteger(item) && item >= 1
      : spec.item === 'hosts'
        ? isHost(item)
        : typeof item === 'string' && item !== '';
  for (const item of items) {
    if (spec.choices !== undefined) checkChoice(item, spec.choices, argument);
    else if (!valid(item)) throw new InputError({ argument, expected, received: value });
  }
  // A name or count twice would be a second class of the same name, or a repeated column.
  const repeated = items.find((item, i) => items.indexOf(item) !== i);
  if (repeated !== undefined) throw new InputError({ argument, expected: `${expected}, each once`, received: value });
  return items;
}

/**
 * Checks the value of option `name` given in `context` and returns it (`undefined` stays
 * `undefined`: the caller applies the default). Cross-option rules live in `resolveProposal`.
 * `fromText`: the value was parsed from command-line text, which cannot give null or a string
 * seed, so the message does not offer them.
 *
 * @throws {InputError} naming `argument` (default the option's name) and what was expected.
 * @example
 * checkOption('clip', 0.2, 'simulate'); // 0.2
 * checkOption('loss', 'ce', 'grid'); // InputError: loss: expected one of cross-entropy | zero-one | brier (did you mean cross-entropy?), got "ce"
 */
export function checkOption(name: string, value: unknown, context: OptionContext, argument: string = name, fromText = false): unknown {
  if (value === undefined) return undefined;
  const { value: spec } = declaration(name, context);
  switch (spec.kind) {
    case 'integer':
      if (isSafeInteger(value) && value >= spec.min && value <= (spec.max ?? Infinity)) return value;
      throw new InputError({ argument, expected: describeInteger(spec), received: value });
    case 'number': {
      if (value === null && spec.nullable) return null;
      const ok =
        typeof value === 'number' &&
        (spec.minOpen ? value > spec.min : value >= spec.min) &&
        (spec.maxOpen ? value < spec.max : value <= spec.max);
      if (ok) return value;
      throw new InputError({ argument, expected: describeRange(spec, !fromText, value), received: value });
    }
    case 'choice':
      if (name === 'acquisition') return checkAcquisitionName(value, use(context), argument, fromText ? cliFlag('defensive') : 'defensive');
      return checkChoice(value, spec.choices(context), argument, spec.synonyms);
    case 'bootstrap':
      if (value === 'exact' || value === 'none' || (isSafeInteger(value) && value >= 1)) return value;
      throw new InputError({
        argument,
        expected: fromText ? BOOTSTRAP_TEXT : "'exact', 'none' or a number of resamples ≥ 1",
        received: value,
      });
    case 'seed':
      if (isSeed(value)) return value;
      throw new InputError({ argument, expected: fromText ? SEED_TEXT : `${SEED_TEXT} or a non-empty string`, received: value });
    case 'temperature':
      if (value === null || (typeof value === 'number' && value > 0 && Number.isFinite(value))) return value;
      if (value === 'calibrated' && context === 'setting') return value;
      throw new InputError({
        argument,
        expected: fromText ? TEMPERATURE_TEXT : `${TEMPERATURE_TEXT}${context === 'setting' ? ', "calibrated"' : ''} or null`,
        received: value,
      });
    case 'input':
      return value;
    case 'function':
      if (typeof value === 'function') return value;
      throw new InputError({ argument, expected: `a function, ${spec.called}`, received: value });
    case 'signal':
      if (isAbortSignal(value)) return value;
      throw new InputError({ argument, expected: SIGNAL_TEXT, received: value });
    case 'text':
      if (typeof value === 'string' && value !== '') return value;
      throw new InputError({ argument, expected: 'a non-empty string', received: value });
    case 'flag':
      if (typeof value === 'boolean') return value;
      throw new InputError({ argument, expected: 'true or false', received: value });
    case 'list':
      return checkList(spec, value, argument);
  }
}

const INTEGER_TEXT = /^-?\d+$/;
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * Strictly parses command-line text as an integer: decimal digits only (no `0x10`, `1e3`,
 * spaces or empty text).
 *
 * @throws {UsageError} naming `flag` on anything else.
 * @example
 * parseIntegerText('10', '--runs'); // 10
 */
export function parseIntegerText(text: string, flag: string): number {
  const number = Number(text);
  if (!INTEGER_TEXT.test(text) || !Number.isSafeInteger(number)) throw new UsageError(`${flag}: expected an integer, got "${text}"`);
  return number;
}

/**
 * Strictly parses command-line text as a finite decimal number (`0.1`, `.5`, `1e-3`; not `0x10`,
 * ` 5`, `Infinity` or empty text).
 *
 * @throws {UsageError} naming `flag` on anything else.
 * @example
 * parseNumberText('1e-3', '--eps'); // 0.001
 */
export function parseNumberText(text: string, flag: string): number {
  const number = Number(text);
  if (!NUMBER_TEXT.test(text) || !Number.isFinite(number)) throw new UsageError(`${flag}: expected a number, got "${text}"`);
  return number;
}

/**
 * Turns the command-line text of option `name` into its value and checks it as `checkOption`
 * does; `input` and `text` options (files, names) come back as given, lists split at commas.
 * Every problem is a usage error (exit 2) naming the flag and quoting the text.
 *
 * @throws {UsageError} on malformed text or a value out of range.
 * @example
 * parseOptionText('runs', '10', 'simulate'); // 10
 * parseOptionText('runs', '0x10', 'simulate'); // UsageError: --runs: expected an integer, got "0x10"
 */
export function parseOptionText(name: string, text: string, context: OptionContext): unknown {
  const flag = cliFlag(name);
  const { value: spec } = declaration(name, context);
  if (text === '') throw new UsageError(`${flag}: expected a value, got ""`);
  let value: unknown;
  switch (spec.kind) {
    case 'integer':
    case 'seed':
      value = parseIntegerText(text, flag);
      break;
    case 'number':
    case 'temperature':
      value = parseNumberText(text, flag);
      break;
    case 'bootstrap':
      value = text === 'exact' || text === 'none' ? text : parseBootstrapText(text, flag);
      break;
    case 'list':
      value = text.split(',').map((item) => (spec.item === 'counts' ? parseIntegerText(item.trim(), flag) : item.trim()));
      break;
    case 'flag':
      throw new Error(`${flag} is a flag: it takes no value`);
    case 'choice':
    case 'input':
    case 'text':
      value = text;
      break;
    case 'function':
    case 'signal':
      throw new Error(`${flag} is an option of the library alone`);
  }
  try {
    return checkOption(name, value, context, flag, true);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // A list's refused item is named with the list it came in.
    const item =
      spec.kind === 'list' && typeof error.received === 'string' && error.received !== text ? `${JSON.stringify(error.received)} in ` : '';
    throw new UsageError(`${flag}: expected ${error.expected}, got ${item}${JSON.stringify(text)}`);
  }
}

function parseBootstrapText(text: string, flag: string): number {
  if (!INTEGER_TEXT.test(text)) throw new UsageError(`${flag}: expected ${BOOTSTRAP_TEXT}, got "${text}"`);
  return parseIntegerText(text, flag);
}

/** `--flag METAVAR` of an option with a flag. */
export function flagWithMetavar(d: OptionDeclaration): string {
  return `${cliFlag(d.name)} ${d.metavar ?? ''}`.trimEnd();
}

/**
 * The `--help` lines of the options of `context` that have a flag (or of those of `names`, in that
 * order), derived from the schema and wrapped at 100 columns; `column` is where the descriptions
 * start.
 *
 * @example
 * optionHelp('simulate').find((line) => line.includes('--clip')); // '  --clip C                   floor of the proposal, …'
 */
export function optionHelp(context: OptionContext, column = 0, names?: readonly string[]): string[] {
  const shown = names === undefined ? cliOptionsIn(context) : names.map((name) => declaration(name, context));
  const width = Math.max(column - 4, ...shown.map((d) => flagWithMetavar(d).length));
  const lines: string[] = [];
  for (const d of shown) {
    const choices = d.value.kind === 'choice' && d.name === 'acquisition' ? `: ${d.value.choices(context).join(' | ')}` : '';
    const fallback = d.defaultText === undefined ? '' : ` (default ${d.defaultText})`;
    const words = `${d.docIn?.[context] ?? d.doc}${choices}${fallback}`.split(' ');
    let line = `  ${flagWithMetavar(d).padEnd(width)}  `;
    const indent = ' '.repeat(width + 4);
    let empty = true;
    for (const word of words) {
      if (!empty && line.length + 1 + word.length > 100) {
        lines.push(line);
        line = indent + word;
      } else {
        line += (empty ? '' : ' ') + word;
      }
      empty = false;
    }
    lines.push(line);
  }
  return lines;
}

/** The hint for an unknown command-line flag: "did you mean --x? (valid: …)". */
export function unknownFlagHint(flag: string, validFlags: readonly string[]): string {
  const bare = (name: string) => cliFlag(name).replace(/^--/, '');
  return didYouMean(
    flag.replace(/^--/, ''),
    validFlags.map((f) => f.replace(/^--/, '')),
    (n) => `--${n}`,
    // Every declared synonym: a command's valid flags keep only those of its own options.
    synonymsOf(OPTION_DECLARATIONS, bare),
  );
}
