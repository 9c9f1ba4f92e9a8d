import { ActiveTestingError, InputError } from '../errors.js';
import type { HubSource } from './hub.js';
import { fetchHubTable } from './hub.js';
import { readTable, type Table } from './read-table.js';
import { checkKnownKeys } from '../io/suggest.js';
import { FILE_OPTIONS, TextClassificationDataset, type DatasetSpec, type FileOptions } from './text-classification-dataset.js';

/** A dataset of the paper: its spec (docs/llm-scoring.md) and where it lives on the Hub. */
export interface DatasetPreset extends DatasetSpec {
  hub: HubSource;
  textColumn: string;
  labelColumn: string;
  /** Rows whose label id is at least this are dropped (hate_speech18 keeps labels 0 and 1). */
  keepLabelsBelow?: number;
  /** Where the reference draws ICL examples from (`test` for Subjectivity, else the pool's split). */
  iclSplit: string;
}

/** The paper's datasets: their classes, prompt, columns and Hub source, by name. */
export const DATASET_PRESETS = {
  sst2: {
    name: 'sst2',
    classes: ['negative', 'positive'],
    answerString: 'Label',
    instruction: 'Classify the sentiment of the following sentence as "positive" or "negative". Respond with "positive" or "negative".\n',
    hub: { dataset: 'glue', config: 'sst2', split: 'train' },
    textColumn: 'sentence',
    labelColumn: 'label',
    iclSplit: 'train',
  },
  subj: {
    name: 'subj',
    classes: ['objective', 'subjective'],
    answerString: 'Answer',
    instruction: 'Is the following sentence `objective` or `subjective`. Respond with `objective` or `subjective`.\n',
    hub: { dataset: 'SetFit/subj', config: 'default', split: 'train' },
    textColumn: 'text',
    labelColumn: 'label',
    iclSplit: 'test',
  },
  agnews: {
    name: 'agnews',
    classes: ['world', 'sports', 'business', 'science and technology'],
    answerString: 'Answer',
    instruction: 'To which category does the following news article belong: "world", "sports", "business", or "science and technology"?\n',
    hub: { dataset: 'ag_news', config: 'default', split: 'train' },
    textColumn: 'text',
    labelColumn: 'label',
    iclSplit: 'train',
  },
  fpb: {
    name: 'fpb',
    classes: ['negative', 'neutral', 'positive'],
    answerString: 'Answer',
    instruction:
      'Classify the sentiment of the following sentence as "negative", "neutral" or "positive". Respond with "negative", "neutral" or "positive".\n',
    hub: { dataset: 'financial_phrasebank', config: 'sentences_allagree', split: 'train' },
    textColumn: 'sentence',
    labelColumn: 'label',
    iclSplit: 'train',
  },
  hatespeech: {
    name: 'hatespeech',
    classes: ['no', 'yes'],
    answerString: 'Answer',
    instruction: 'Does the sentence contain hate speech? Respond with "yes" or "no".\n',
    hub: { dataset: 'hate_speech18', config: 'default', split: 'train' },
    textColumn: 'text',
    labelColumn: 'label',
    keepLabelsBelow: 2,
    iclSplit: 'train',
  },
} as const satisfies Record<string, DatasetPreset>;

/**
 * Base of the paper's datasets: `load(path)` reads a local file (columns `sentence`/`label` by
 * default, as in GLUE's TSV files), `load()` without a path downloads the Hub split.
 *
 * @example
 * const data = await SST2Dataset.load('validation.tsv'); // a PresetDataset of SST-2's columns
 * console.log(data.classes); // SST-2's two classes, negative and positive
 */
export class PresetDataset extends TextClassificationDataset {
  static readonly preset: DatasetPreset;

  /** Rows of the subclass's dataset; its `preset` gives the spec. */
  constructor(texts: readonly string[], labels: Int32Array) {
    super(presetOf(new.target as typeof PresetDataset), texts, labels);
  }

  /**
   * @example
   * const sst2 = await SST2Dataset.load('glue/sst2/validation.tsv');
   * const hub = await SST2Dataset.load(); // glue/sst2 train split from the Hub
   */
  static async load<T extends TextClassificationDataset>(
    this: { preset: DatasetPreset; new (texts: readonly string[], labels: Int32Array): T },
    path?: string,
    options: FileOptions & { split?: string } = {},
  ): Promise<T> {
    checkKnownKeys(options, [...FILE_OPTIONS, 'split'], null);
    const { format, split, ...given } = options;
    // Each applies to one source only: given to the other it would be ignored without a word.
    if (path !== undefined && split !== undefined)
      throw new InputError({ argument: 'split', expected: 'no split with a file path (it names a Hub split)', received: split });
    if (path === undefined && format !== undefined)
      throw new InputError({ argument: 'format', expected: 'no format without a file path (the Hub answers in one)', received: format });
    const preset = presetOf(this);
    const table =
      path === undefined
        ? await fetchHubTable({ ...preset.hub, ...(split ? { split } : {}) }, options.limit)
        : await readTable(path, format);
    const columns = path === undefined ? { textColumn: preset.textColumn, labelColumn: preset.labelColumn } : {};
    const base = TextClassificationDataset.fromTable(
      filterLabels(table, preset, options.labelColumn ?? columns.labelColumn ?? 'label'),
      preset,
      { ...columns, ...given },
    );
    return new this(base.texts, base.labels);
  }
}

/** A preset dataset class's spec: `PresetDataset` itself has none, and taken as one it would fail far inside. */
function presetOf(dataset: { preset?: DatasetPreset; name: string }): DatasetPreset {
  if (dataset.preset === undefined)
    throw new ActiveTestingError(`${dataset.name} has no preset: use one of its subclasses (SST2Dataset, …) or TextClassificationDataset`);
  return dataset.preset;
}

/** The rows the preset keeps, each with its place in the file: a refused row is then told by its line. */
function filterLabels(table: Table, preset: DatasetPreset, labelColumn: string): Table {
  const limit = preset.keepLabelsBelow;
  const index = table.columns.indexOf(labelColumn);
  if (limit === undefined || index < 0) return table;
  const kept = table.rows.flatMap((row, i) => (Number(row[index]) >= limit ? [] : [i]));
  const { origin } = table;
  const keptOf = (places: readonly number[]): number[] => kept.flatMap((i) => places[i] ?? []);
  return {
    columns: table.columns,
    rows: kept.map((i) => table.rows[i] as unknown[]),
    ...(origin && { origin: { path: origin.path, lines: keptOf(origin.lines), ...(origin.rows && { rows: keptOf(origin.rows) }) } }),
  };
}

/**
 * GLUE SST-2: movie-review sentiment, `negative`/`positive`, answer string `Label`.
 *
 * @example
 * SST2Dataset.preset.classes; // ['negative', 'positive']
 * const validation = await SST2Dataset.load('validation.tsv'); // columns sentence and label
 */
export class SST2Dataset extends PresetDataset {
  static override readonly preset: DatasetPreset = DATASET_PRESETS.sst2;
}

/**
 * Subjectivity (SetFit/subj): `objective`/`subjective`, answer string `Answer`.
 *
 * @example
 * SubjectivityDataset.preset.classes; // ['objective', 'subjective']
 */
export class SubjectivityDataset extends PresetDataset {
  static override readonly preset: DatasetPreset = DATASET_PRESETS.subj;
}

/**
 * AG News: `world`, `sports`, `business`, `science and technology`.
 *
 * @example
 * AGNewsDataset.preset.classes; // ['world', 'sports', 'business', 'science and technology']
 */
export class AGNewsDataset extends PresetDataset {
  static override readonly preset: DatasetPreset = DATASET_PRESETS.agnews;
}

/**
 * Financial PhraseBank (sentences_allagree): `negative`, `neutral`, `positive`.
 *
 * @example
 * FPBDataset.preset.classes; // ['negative', 'neutral', 'positive']
 */
export class FPBDataset extends PresetDataset {
  static override readonly preset: DatasetPreset = DATASET_PRESETS.fpb;
}

/**
 * hate_speech18 restricted to labels 0 and 1: `no`/`yes`.
 *
 * @example
 * HateSpeechDataset.preset.classes; // ['no', 'yes']
 */
export class HateSpeechDataset extends PresetDataset {
  static override readonly preset: DatasetPreset = DATASET_PRESETS.hatespeech;
}
