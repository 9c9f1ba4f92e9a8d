import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Splits } from '../dataset/splits.js';
import type { TextClassificationDataset } from '../dataset/text-classification-dataset.js';
import { InputError, OutputExistsError } from '../errors.js';
import { writeFileAtomic, writeOutputFolder } from '../io/atomic.js';
import { checkObject, checkPath } from '../io/index.js';
import { encodeNpy, readNpy } from '../io/npy.js';
import { toJson } from '../io/json.js';
import type { Model, ScoringProgress } from '../model/model.js';
import { checkKnownKeys } from '../io/suggest.js';
import { ScoreCheckpoint } from './checkpoint.js';
import { selectIclExamples } from './icl.js';
import type { PromptTemplate } from './prompt.js';
import { runScoringJob, type ScoringJobResult, type Shot } from './scoring-job.js';
import { fitTemperature, solveTemperature, type TemperatureSolution } from '../calibration/temperature.js';

/** Options of `EvaluationClassification`. */
export interface EvaluationOptions {
  /** Root of the results tree: `<resultsDir>/<dataset>/<model>[_icl<n>]/<subset>_set_*`. */
  resultsDir: string;
  /** Named row subsets of the dataset (e.g. from `loadOrCreateSplits`). */
  splits: Splits;
  /** Folder name of the model in the results tree (default: the model id with `/` replaced by `_`). */
  modelName?: string;
  template?: PromptTemplate;
  /** Where ICL shots come from: a subset name of `splits` (default `icl`) or a separate dataset of the same classes in the same order (e.g. Subjectivity's test split). */
  iclSource?: string | TextClassificationDataset;
}

/** Options of `EvaluationClassification.evaluationProcedure`. */
export interface ProcedureOptions {
  batchSize?: number;
  /** Replace existing results of this subset. */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: ScoringProgress) => void;
  /** Use the prefix cache where the model allows it (default true). */
  prefixCache?: boolean;
}

/** What an `EvaluationClassification` procedure returns: the scoring job's result and where it was written. */
export interface EvaluationResult extends ScoringJobResult {
  /** The folder the results were written to. */
  dir: string;
  /** The surrogate temperature fitted on `calibrationSubset` (ICL evaluations given one). */
  calibration?: SurrogateCalibration;
}

/**
 * A surrogate temperature fitted on a held-out labelled subset, as saved in
 * `<subset>_set_calibration.json` (with `atBound` as `at_bound`).
 */
export interface SurrogateCalibration {
  /** The held-out subset the temperature was fitted on. */
  subset: string;
  rows: number;
  temperature: number;
  /** Mean NLL of the held-out labels at that temperature. */
  nll: number;
  /** True when `temperature` is an end of its search range, not a fitted value (`TemperatureFit.atBound`). */
  atBound: boolean;
}

/** Options of an ICL evaluation. */
export interface IclProcedureOptions extends ProcedureOptions {
  nbIclExamples: number;
  seed?: number;
  /**
   * A labelled subset of `splits`, apart from the evaluated one and the shots: it is scored with
   * the same shots and the surrogate's temperature fitted on it (`fitTemperature`), then saved as
   * `<subset>_set_calibration.json` beside the results. Held-out labels rather than leave-one-out
   * over the shots: the shots are in every prompt, so the surrogate is overconfident on them, and
   * leaving each out costs a prompt (and pool pass) per shot. These labels count in the budget.
   */
  calibrationSubset?: string;
}

/** The keys of each options object, so that a misspelt one (`iclExamples` for `nbIclExamples`) is refused rather than ignored. */
const EVALUATION_OPTIONS = ['resultsDir', 'splits', 'modelName', 'template', 'iclSource'] satisfies (keyof EvaluationOptions)[];
const PROCEDURE_OPTIONS = ['batchSize', 'force', 'signal', 'onProgress', 'prefixCache'] satisfies (keyof ProcedureOptions)[];
const ICL_PROCEDURE_OPTIONS = [...PROCEDURE_OPTIONS, 'nbIclExamples', 'seed', 'calibrationSubset'] satisfies (keyof IclProcedureOptions)[];
const TEMPERATURE_OPTIONS = ['nbIclExamples', 'force'];

/**
 * Scores subsets of a classification dataset with a model and saves the results where the
 * reference does (`<dataset>/<model>[_icl<n>]/<subset>_set_scores`), as `.npy` plus JSON
 * metadata, never overwriting existing results unless `force`. An interrupted run resumes
 * from its last complete batch.
 *
 * @example
 * const evaluation = new EvaluationClassification(model, sst2, { resultsDir: 'results', splits });
 * const { accuracy, loss } = await evaluation.evaluationProcedure('pool', { batchSize: 16 });
 * await evaluation.evaluationIclProcedure('pool', { nbIclExamples: 50 });
 * @throws InputError (from the constructor) when `model` or `dataset` is not an object, or
 * `options` lacks a `resultsDir` path or a `splits` object; (from any method) on an option the
 * method does not take, with the closest valid name; (from `evaluationIclProcedure`) when
 * `nbIclExamples` is not an integer in [0, the rows the shots come from].
 */
export class EvaluationClassification {
  readonly modelName: string;

  constructor(
    readonly model: Model,
    readonly dataset: TextClassificationDataset,
    readonly options: EvaluationOptions,
  ) {
    // A plain JS call is not held to the types: without these a missing argument is a TypeError
    // here, or, for `splits`, one at the first subset looked up.
    checkObject(model, 'model', 'a Model (e.g. from Model.fromPretrained)');
    checkObject(dataset, 'dataset', 'a TextClassificationDataset');
    checkObject(options, 'options', 'an options object { resultsDir, splits, … }');
    checkKnownKeys(options, EVALUATION_OPTIONS, null);
    checkPath(options.resultsDir, 'resultsDir');
    checkObject(options.splits, 'splits', 'named row subsets { name: Int32Array } (e.g. from loadOrCreateSplits)');
    // A shot's label is a class id of its own dataset, written into the prompt by this dataset's
    // class names: another class list (or order) would put wrong labels on the shots.
    const { iclSource } = options;
    if (typeof iclSource === 'object' && iclSource !== null && JSON.stringify(iclSource.classes) !== JSON.stringify(dataset.classes)) {
      throw new InputError({
        argument: 'iclSource',
        expected: `a dataset of the evaluated dataset's classes, in its order (${JSON.stringify(dataset.classes)}): its labels are class ids`,
        received: iclSource.classes,
      });
    }
    this.modelName = options.modelName ?? model.id.replace(/[\\/]+/g, '_').replace(/^[._]+/, '');
  }

  /** The folder of a zero-shot (n = 0) or n-shot evaluation. */
  resultsFolder(nbIclExamples = 0): string {
    const model = nbIclExamples > 0 ? `${this.modelName}_icl${nbIclExamples}` : this.modelName;
    return join(this.options.resultsDir, this.dataset.name, model);
  }

  /** Zero-shot scores of a subset: writes `<subset>_set_scores.npy`, `_targets.npy` and `_metrics.json`. */
  async evaluationProcedure(subset: string, options: ProcedureOptions = {}): Promise<EvaluationResult> {
    checkKnownKeys(options, PROCEDURE_OPTIONS, null);
    return this.evaluate(subset, [], 0, null, options);
  }

  /**
   * Scores of a subset with `nbIclExamples` shots, drawn per class in proportion to the ICL
   * source's class frequencies and shuffled with `seed`, the same shots for every item.
   */
  async evaluationIclProcedure(subset: string, options: IclProcedureOptions): Promise<EvaluationResult> {
    checkObject(options, 'options', 'an options object { nbIclExamples, … }');
    checkKnownKeys(options, ICL_PROCEDURE_OPTIONS, null);
    const { nbIclExamples } = options;
    const seed = options.seed ?? 0;
    const source = this.iclSource(subset);
    if (!Number.isInteger(nbIclExamples) || nbIclExamples < 0 || nbIclExamples > source.data.size) {
      throw new InputError({
        argument: 'nbIclExamples',
        expected: `the number of shots, an integer in [0, ${source.data.size}] (the rows of ${source.name} they come from)`,
        received: nbIclExamples,
      });
    }
    const calibrationSubset = options.calibrationSubset;
    if (calibrationSubset !== undefined) {
      this.subsetRows(calibrationSubset);
      if (calibrationSubset === subset || calibrationSubset === source.name) {
        throw new InputError({
          argument: 'calibrationSubset',
          expected: 'a held-out subset other than the evaluated one and the ICL source',
          received: calibrationSubset,
        });
      }
    }
    const positions = selectIclExamples(source.data.labels, this.dataset.classes.length, nbIclExamples, seed);
    const shots: Shot[] = Array.from(positions, (p) => ({ text: source.data.texts[p] as string, label: source.data.labels[p] as number }));
    const rows = Array.from(positions, (p) => source.rows[p] as number);
    const icl = { seed, rows, source: source.name };
    const result = await this.evaluate(subset, shots, options.nbIclExamples, icl, options);
    if (calibrationSubset === undefined) return result;
    return { ...result, calibration: await this.calibrate(subset, calibrationSubset, shots, options.nbIclExamples, icl, options) };
  }

  /**
   * Scores the calibration subset with the evaluation's shots (reusing saved scores of the same
   * rows, shots, prompt and model), fits the surrogate temperature on it and saves `<subset>_set_calibration.json`.
   */
  private async calibrate(
    subset: string,
    calibrationSubset: string,
    shots: Shot[],
    nbIclExamples: number,
    icl: { seed: number; rows: number[]; source: string },
    options: ProcedureOptions,
  ): Promise<SurrogateCalibration> {
    const dir = this.resultsFolder(nbIclExamples);
    const base = join(dir, `${calibrationSubset}_set`);
    const saved = existsSync(`${base}_metrics.json`) ? JSON.parse(await readFile(`${base}_metrics.json`, 'utf8')) : null;
    // Saved scores are reused only when made of the same rows, shots, prompt and model: the same
    // shots alone do not tell a calibration subset redrawn since (its old rows' scores would fit
    // the temperature). Results saved without the hash are scored again (refused without force).
    const { config } = this.subsetConfig(calibrationSubset, shots, icl);
    const sameScores = saved !== null && saved.config_sha256 === configHash(config);
    if (!sameScores || options.force) await this.evaluate(calibrationSubset, shots, nbIclExamples, icl, options);
    const scores = await readNpy(`${base}_scores.npy`);
    const labels = await readNpy(`${base}_targets.npy`);
    const rows = scores.shape[0] as number;
    const fit = fitTemperature(
      { data: scores.data as Float32Array, shape: [rows, this.dataset.classes.length] },
      labels.data as Int32Array,
    );
    const calibration: SurrogateCalibration = {
      subset: calibrationSubset,
      rows,
      temperature: fit.temperature,
      nll: fit.nll,
      atBound: fit.atBound,
    };
    // Snake case in the file, as the other result files' keys are.
    const { atBound, ...fitted } = calibration;
    const file = { ...fitted, at_bound: atBound };
    await writeFileAtomic(join(dir, `${subset}_set_calibration.json`), `${JSON.stringify(file, null, 2)}\n`, {
      force: options.force === true,
    });
    return calibration;
  }

  /**
   * Fits the temperature minimising the NLL of a subset's saved scores (see `solveTemperature`)
   * and saves it as `<subset>_set_temperature.json` beside them.
   */
  async temperatureScaling(subset: string, options: { nbIclExamples?: number; force?: boolean } = {}): Promise<TemperatureSolution> {
    checkKnownKeys(options, TEMPERATURE_OPTIONS, null);
    const dir = this.resultsFolder(options.nbIclExamples ?? 0);
    const scoresPath = join(dir, `${subset}_set_scores.npy`);
    if (!existsSync(scoresPath))
      throw new InputError({ argument: 'subset', expected: `a subset evaluated before (no ${scoresPath})`, received: subset });
    const scores = await readNpy(scoresPath);
    const labels = await readNpy(join(dir, `${subset}_set_targets.npy`));
    const fit = solveTemperature(scores.data as Float32Array, labels.data as Int32Array, this.dataset.classes.length);
    // toJson: T = Infinity (uniform is best) would be written as null.
    await writeFileAtomic(join(dir, `${subset}_set_temperature.json`), toJson(fit), {
      force: options.force === true,
    });
    return fit;
  }

  private iclSource(subset: string): { name: string; data: TextClassificationDataset; rows: Int32Array } {
    const source = this.options.iclSource ?? 'icl';
    if (typeof source !== 'string') return { name: 'iclSource', data: source, rows: Int32Array.from({ length: source.size }, (_, i) => i) };
    if (source === subset)
      throw new InputError({ argument: 'iclSource', expected: 'a subset other than the one evaluated', received: source });
    const rows = this.subsetRows(source);
    return { name: source, data: this.dataset.select(rows), rows };
  }

  private subsetRows(subset: string): Int32Array {
    const rows = this.options.splits[subset];
    if (!rows)
      throw new InputError({
        argument: 'subset',
        expected: `one of the splits ${Object.keys(this.options.splits).join(', ')}`,
        received: subset,
      });
    return rows;
  }

  /** A subset's rows and what its scores are computed from: the checkpoint's configuration. */
  private subsetConfig(subset: string, shots: Shot[], icl: { seed: number; rows: number[]; source: string } | null) {
    const data = this.dataset.select(this.subsetRows(subset));
    const config = {
      model: this.model.id,
      dataset: this.dataset.name,
      subset,
      rows: data.size,
      icl,
      template: this.options.template ?? null,
      items: itemsFingerprint(data, shots),
    };
    return { data, config };
  }

  private async evaluate(
    subset: string,
    shots: Shot[],
    nbIclExamples: number,
    icl: { seed: number; rows: number[]; source: string } | null,
    options: ProcedureOptions,
  ): Promise<EvaluationResult> {
    const dir = this.resultsFolder(nbIclExamples);
    const names = ['scores.npy', 'targets.npy', 'metrics.json'].map((n) => `${subset}_set_${n}`);
    if (!options.force) {
      for (const name of names) if (existsSync(join(dir, name))) throw new OutputExistsError(join(dir, name));
    }
    const { data, config } = this.subsetConfig(subset, shots, icl);
    const result = await runScoringJob(this.model, data, {
      shots,
      ...(this.options.template ? { template: this.options.template } : {}),
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.prefixCache === undefined ? {} : { prefixCache: options.prefixCache }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      checkpoint: { base: join(dir, `${subset}_set`), config, discardUnfit: options.force === true },
    });
    const k = this.dataset.classes.length;
    const metrics = {
      accuracy: result.accuracy,
      loss: result.loss,
      model: this.model.id,
      dataset: this.dataset.name,
      subset,
      classes: this.dataset.classes,
      label_token_ids: result.labelTokenIds,
      label_token_counts: result.labelTokenCounts,
      first_prompt: result.firstPrompt,
      icl_rows: icl?.rows ?? [],
      icl_seed: icl?.seed ?? null,
      icl_source: icl?.source ?? null,
      config_sha256: configHash(config),
      timings: result.timings,
    };
    await writeOutputFolder(
      dir,
      [
        { name: names[0] as string, data: encodeNpy({ data: result.scores, shape: [data.size, k], dtype: 'f4' }) },
        { name: names[1] as string, data: encodeNpy({ data: Int32Array.from(data.labels), shape: [data.size], dtype: 'i4' }) },
        { name: names[2] as string, data: `${JSON.stringify(metrics, null, 2)}\n` },
      ],
      { force: options.force === true },
    );
    await ScoreCheckpoint.discard(join(dir, `${subset}_set`));
    return { ...result, dir };
  }
}

/** `sha256:<hex>` of a subset's configuration, saved in its metrics so that a calibration subset's scores are reused only for the same one. */
function configHash(config: object): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(config)).digest('hex')}`;
}

/**
 * `sha256:<hex>` of what a subset's scores are computed from: its texts and labels, the shots and
 * the prompt's settings. It is part of the checkpoint's configuration, so that an unfinished run
 * of other rows of the same size (splits drawn with another seed) or of an edited dataset is not
 * resumed, which would give its scores to the new rows.
 */
function itemsFingerprint(data: TextClassificationDataset, shots: readonly Shot[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ instruction: data.instruction, answerString: data.answerString, classes: data.classes, shots }));
  data.texts.forEach((text, i) => hash.update(`\n${JSON.stringify([text, data.labels[i]])}`));
  return `sha256:${hash.digest('hex')}`;
}
