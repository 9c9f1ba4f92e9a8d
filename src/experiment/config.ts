import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FileFormatError, InputError, ReceivedKind } from '../errors.js';
import type { AcquisitionFunction, BuiltinLoss } from '../metrics/index.js';
import type { ProposalAcquisition } from '../acquisition/adaptive/index.js';
import { checkProposalClip, proposalClip } from '../acquisition/clip.js';
import {
  ACQUISITIONS,
  acquisitionsFor,
  checkOption,
  cliFlag,
  ESTIMATORS,
  optionNames,
  optionSynonyms,
  resolveProposal,
  type EstimatorName,
} from '../options/index.js';
import { checkKnownKeys, closestName } from '../io/suggest.js';
import { checkIntervalKinds, inIntervalOrder, type IntervalKind } from '../simulate/intervals.js';
import type { Numerics } from '../numerics.js';
import { EVALUATE_REFERENCE, type EvaluateStep, resolveEvaluateSteps } from './evaluate-steps.js';
import { settingName } from './setting-name.js';
import { DEMO_COMPARISON, EXPERIMENT_MANIFEST, SIMULATION_COMMIT_MARKER, SIMULATION_FILES } from '../simulate/outputs.js';
import { checkPath } from '../io/index.js';
import { hubSpec, parseHubSpec } from '../dataset/hub.js';
import { defaultRunSize } from '../simulate/simulation-options.js';
import { formatCount } from '../io/format-count.js';
import { unreadableFile } from '../io/unreadable.js';
import { repeatedJsonKey } from '../io/json.js';

/** Score and label files of a held-out labelled set (paths, or `evaluate:<step>`). */
export interface CalibrationFiles {
  scores: string;
  labels: string;
}

/** A surrogate's score file, how many labelled in-context examples it used, and its calibration set. */
export interface SurrogateSpec {
  scores: string;
  /** Labelled ICL examples behind the surrogate; charged to its settings under the ICL-budget rule. */
  iclExamples: number;
  /** The surrogate's scores and the labels of a held-out set, for `"temperature": "calibrated"`. */
  calibration: CalibrationFiles | null;
}

/** An acquisition function, or a proposal of docs/adaptive.md (`surrogate-m2`, `adaptive`). */
export type SettingAcquisition = AcquisitionFunction | ProposalAcquisition;

/** Top-level grid keys besides the schema's options: the grid's own structure. */
const GRID_KEYS = ['evaluate', 'surrogates', 'settings', 'iclBudget'];
/** Keys of a setting besides the schema's options. */
const SETTING_KEYS = ['name', 'surrogate'];

/** One acquisition setting of the grid, as written in the config (every field but `acquisition` optional). */
export interface SettingSpec {
  name?: string;
  acquisition: SettingAcquisition;
  estimator?: EstimatorName;
  clip?: number;
  /** A temperature, or `calibrated`: fitted on the surrogate's calibration set. */
  temperature?: number | 'calibrated' | null;
  /** Weight λ of uniform in the defensive mixture (1−λ)·q + λ·uniform; default none. */
  defensive?: number | null;
  /** Key into `surrogates`; defaults to the only surrogate when there is one. */
  surrogate?: string;
}

/** The experiment file (`grid.json`), as written by a user. Paths are relative to the file. */
export interface ExperimentConfigFile {
  /** `active-testing evaluate` runs that make score files; refer to their outputs as `evaluate:<step>`. */
  evaluate?: Record<string, EvaluateStep>;
  /** A `.npy` path, or `evaluate:<step>` for that step's `scores.npy`. */
  modelScores: string;
  /** A `.npy` path, or `evaluate:<step>` for that step's `labels.npy`. */
  labels: string;
  /**
   * Named surrogates: a path (or `evaluate:<step>`), or `{ scores, iclExamples, calibration }`;
   * `iclExamples` defaults to the step's `iclExamples`, `calibration` is `{ scores, labels }` of a
   * held-out set.
   */
  surrogates?: Record<string, string | { scores: string; iclExamples?: number; calibration?: CalibrationFiles }>;
  settings: SettingSpec[];
  runs?: number;
  size?: number;
  step?: number;
  seed?: number | string;
  /** `exact` (default), a number of Monte Carlo resamples, or `none`. */
  bootstrap?: 'exact' | 'none' | number;
  numerics?: Numerics;
  /** The loss whose risk every setting estimates: `cross-entropy` (default), `zero-one` or `brier`, as `simulate --loss`. */
  loss?: BuiltinLoss;
  /** The paper's fairness rule: k active labels are compared with n + k random ones, n = the surrogate's ICL examples. */
  iclBudget?: boolean;
  /** Per-run 95% intervals of every setting, as `simulate --interval`: a list, or a comma-separated string. */
  interval?: IntervalKind[] | string;
}

/** One setting with every option resolved: what `runExperiment` simulates. */
export interface ResolvedSetting {
  name: string;
  /** Sub-folder of the experiment's output folder. */
  folder: string;
  acquisition: SettingAcquisition;
  estimator: EstimatorName;
  /** Clip fraction (for `iid` 0 but under the reference numerics: `proposalClip`). */
  clip: number;
  /** A fixed temperature, or null (none, or fitted on `calibration`). */
  temperature: number | null;
  /** The calibration set the temperature is fitted on (`"temperature": "calibrated"`), or null. */
  calibration: CalibrationFiles | null;
  /** Defensive mixture weight λ, or null for none. */
  defensive: number | null;
  /** Absolute path (or `evaluate:<step>`) of the surrogate's scores, or `null` when the acquisition needs none. */
  surrogateScores: string | null;
  surrogate: string | null;
  /**
   * Labels acquired per run; `iid` settings get the largest ICL offset on top under the ICL-budget
   * rule. Null while the grid's size is left out and the pool unread (see `withPoolSize`).
   */
  size: number | null;
  /** Labels spent before acquisition (the surrogate's ICL examples) under the ICL-budget rule, else 0. */
  labelOffset: number;
}

/** A validated experiment: absolute paths, defaults applied, one `ResolvedSetting` per setting. */
export interface ExperimentConfig {
  /** Evaluate steps by name, file options resolved. */
  evaluate: Record<string, EvaluateStep>;
  /** Absolute path, or `evaluate:<step>` until `runExperiment` runs the step. */
  modelScores: string;
  labels: string;
  runs: number;
  /** Labels per run; null when the grid leaves it out: simulate's min(400, N), known once the pool is read. */
  size: number | null;
  step: number;
  seed: number | string;
  bootstrap: 'exact' | 'none' | number;
  numerics: Numerics;
  loss: BuiltinLoss;
  iclBudget: boolean;
  /** The interval kinds every setting records (`simulate --interval`); empty for none. */
  interval: IntervalKind[];
  settings: ResolvedSetting[];
  /**
   * The grid's surrogates that no setting uses, by key, with their scores (a path or
   * `evaluate:<step>`): `runExperiment` warns of each, as a setting meant to use it most likely
   * names another.
   */
  unusedSurrogates: { key: string; scores: string }[];
}

/** An experiment whose labels per run are known, its own or simulate's default for its pool. */
export type SizedExperimentConfig = Omit<ExperimentConfig, 'size' | 'settings'> & { size: number; settings: SizedSetting[] };
/** A setting of a `SizedExperimentConfig`. */
export type SizedSetting = ResolvedSetting & { size: number };

/**
 * Reads and validates an experiment file. Relative paths are resolved against the file's folder.
 *
 * @throws {FileFormatError} when the file cannot be read or is not JSON, or, naming the file and
 * then the key (`grid.json: settings[0].clp: …`), on an unknown or invalid option.
 * @example
 * const config = loadExperimentConfig('grid.json');
 * config.settings.map((s) => s.name); // ['Random (i.i.d.)', 'surrogate-ce · LURE · clip 0.1', ...]: a setting's own name, else one built from its options
 */
export function loadExperimentConfig(path: string): ExperimentConfig {
  checkPath(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw unreadableFile(path, error);
  }
  let text: string;
  try {
    // The decoder drops the byte-order mark an editor saving "UTF-8 with BOM" puts first, which JSON.parse refuses.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FileFormatError(path, 'is not UTF-8 text; expected a JSON grid file saved as UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const yaml = /\.ya?ml$/i.test(path) ? '; a grid file is JSON, not YAML' : '';
    throw new FileFormatError(path, `is not valid JSON (${(error as Error).message})${yaml}`);
  }
  const repeated = repeatedJsonKey(text);
  if (repeated !== undefined) {
    throw new FileFormatError(path, `${repeated} is given twice; keys must be unique (JSON.parse would keep the last)`);
  }
  try {
    return resolveExperimentConfig(json, dirname(resolve(path)));
  } catch (error) {
    // Named by its file as well as its key: a user with several grids sees which one to fix. The
    // key's error stays as the cause, for code that reads its argument and expectation.
    if (error instanceof InputError) throw new FileFormatError(path, error.message, undefined, { cause: error });
    throw error;
  }
}

/**
 * Whether an error's `argument` names a key of a grid file (`size`, `settings[2].loss`,
 * `surrogates.icl.scores`) rather than an option of the call (`out`, `threads`): such an error is
 * the grid file's to fix, and the command line names the file with it.
 *
 * @example
 * namesGridKey('settings[2].loss'); // true
 * namesGridKey('threads'); // false
 */
export function namesGridKey(argument: string): boolean {
  const key = /^[^.[]+/.exec(argument)?.[0];
  return key !== undefined && [...optionNames('grid'), ...GRID_KEYS].includes(key);
}

/**
 * Validates an experiment description and fills in the defaults of `simulate`: runs 1000,
 * size min(400, N) (null until the pool is read: see `withPoolSize`), step 1, seed 0, exact
 * bootstrap, estimator `lure` (`iid` for random labelling), clip 0.1, no temperature. Paths are
 * resolved against `baseDir`.
 *
 * @throws {InputError} naming the key (`settings[0].clp`) on an unknown or invalid option, with the
 * closest valid name and the list of valid ones.
 * @example
 * const config = resolveExperimentConfig({ modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'iid' }] }, process.cwd());
 */
export function resolveExperimentConfig(input: unknown, baseDir: string): ExperimentConfig {
  const file = asObject(input, 'config');
  checkNoCalibrationKeys(file, null);
  checkKeysInPlace(file, 'grid', null);
  checkKnownKeys(file, [...optionNames('grid'), ...GRID_KEYS], null, optionSynonyms('grid'));
  const evaluate = resolveEvaluateSteps(file.evaluate, baseDir);
  const source = (value: unknown, argument: string) => resolveSource(requireString(value, argument), argument, baseDir, evaluate);
  const modelScores = source(file.modelScores, 'modelScores');
  const labels = source(file.labels, 'labels');
  const given = <T>(name: string): T | undefined => checkOption(name, file[name], 'grid') as T | undefined;
  const runs = given<number>('runs') ?? 1000;
  const size = given<number>('size') ?? null;
  const step = given<number>('step') ?? 1;
  // Checked here as well as once the pool is read, so that it is refused before any evaluate step
  // scores; a left-out size is at most 400 on any pool.
  checkStep(step, size ?? defaultRunSize(Infinity), size === null ? ': min(400, N) unless given' : '');
  const seed = given<number | string>('seed') ?? 0;
  const bootstrap = given<'exact' | 'none' | number>('bootstrap') ?? 'exact';
  const numerics = given<Numerics>('numerics') ?? 'default';
  const loss = given<BuiltinLoss>('loss') ?? 'cross-entropy';
  const iclBudget = file.iclBudget ?? false;
  if (typeof iclBudget !== 'boolean') throw new InputError({ argument: 'iclBudget', expected: 'true or false', received: iclBudget });
  const surrogates = resolveSurrogates(file.surrogates, source, evaluate);
  const poolReferences: Array<[string, string]> = [
    ['modelScores', modelScores],
    ['labels', labels],
    ...[...surrogates].map(([key, spec]): [string, string] => [`surrogates.${key}.scores`, spec.scores]),
  ];
  checkStepsShareClasses(evaluate, [
    ...poolReferences,
    ...[...surrogates].flatMap(([key, { calibration }]): Array<[string, string]> =>
      calibration === null
        ? []
        : [
            [`surrogates.${key}.calibration.scores`, calibration.scores],
            [`surrogates.${key}.calibration.labels`, calibration.labels],
          ],
    ),
  ]);
  checkStepsScoreOnePool(evaluate, poolReferences);
  if (!Array.isArray(file.settings) || file.settings.length === 0) {
    throw new InputError({
      argument: 'settings',
      expected: 'a non-empty list of acquisition settings',
      received: receivedKind(file.settings),
    });
  }
  const settings = file.settings.map((spec, i) => resolveSetting(spec, i, surrogates, size, iclBudget, { loss, numerics }));
  // Rows hold k·step + 1 labels (then one after a run's last label): a setting charged n labels is
  // compared with random labelling's row of n + k labels, which exists only when the step divides n.
  const offAxis = settings.findIndex((s) => s.labelOffset % step !== 0);
  if (offAxis !== -1) {
    throw new InputError({
      argument: 'step',
      expected: `a step dividing every ICL offset under iclBudget (settings[${offAxis}] is charged ${formatCount(settings[offAxis]?.labelOffset ?? 0, 'label')}), so that random labelling has a row at each n + k labels`,
      received: step,
    });
  }
  if (size !== null) sizeSettings(settings, size);
  checkUnique(settings);
  const interval = inIntervalOrder(given<IntervalKind[]>('interval') ?? []);
  checkSettingsGiveIntervals(settings, interval, bootstrap);
  return {
    evaluate: Object.fromEntries(evaluate),
    modelScores,
    labels,
    runs,
    size,
    step,
    seed,
    bootstrap,
    numerics,
    loss,
    iclBudget,
    interval,
    settings,
    unusedSurrogates: [...surrogates]
      .filter(([key]) => !settings.some((setting) => setting.surrogate === key))
      .map(([key, { scores }]) => ({ key, scores })),
  };
}

/**
 * Refuses interval kinds that a setting cannot give (`bootstrap` with the `ase` estimator or
 * without a bootstrap), naming the setting: found after the runs, it would stop the grid part-way.
 *
 * @throws {InputError} naming `interval`, the setting and why.
 */
function checkSettingsGiveIntervals(
  settings: readonly ResolvedSetting[],
  interval: readonly IntervalKind[],
  bootstrap: ExperimentConfig['bootstrap'],
): void {
  for (const [i, { name, estimator }] of settings.entries()) {
    try {
      checkIntervalKinds({ estimator, bootstrap }, interval);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      throw new InputError({
        argument: 'interval',
        expected: (naming) => `kinds that settings[${i}] (${JSON.stringify(name)}) can give: ${error.expectedBy(naming)}`,
        received: error.received,
      });
    }
  }
}

/**
 * The experiment with its labels per run resolved for a pool of `poolSize` items: the grid's own
 * size, or simulate's default min(400, N) when it leaves size out; under the ICL-budget rule,
 * where random labelling runs the largest ICL offset n longer, min(400, N − n), so that the pool
 * holds random labelling's labels too.
 *
 * @example
 * withPoolSize(resolveExperimentConfig({ modelScores: 'f.npy', labels: 'y.npy', settings: [{ acquisition: 'iid' }] }, '/tmp'), 20).size; // 20
 */
export function withPoolSize(config: ExperimentConfig, poolSize: number): SizedExperimentConfig {
  if (config.size !== null) return config as SizedExperimentConfig;
  // Random labelling runs `extra` labels beyond size under the ICL-budget rule, and the pool must hold them all.
  const extra = randomLabellingExtra(config.settings);
  if (poolSize <= extra) {
    throw new InputError({
      argument: 'iclBudget',
      expected: `a pool of more than ${formatCount(extra, 'item')}, the largest ICL offset, so that random labelling has labels beyond it (or iclBudget false, or surrogates with fewer iclExamples)`,
      received: new ReceivedKind(`a pool of ${formatCount(poolSize, 'item')}`),
    });
  }
  const size = defaultRunSize(poolSize - extra);
  const sizeSource = extra === 0 ? 'min(400, N)' : `min(400, N − ${extra}), leaving room for the largest ICL offset,`;
  checkStep(config.step, size, `: the grid's default ${sizeSource} for a pool of N = ${formatCount(poolSize, 'item')}`);
  const settings = config.settings.map((setting) => ({ ...setting }));
  sizeSettings(settings, size);
  return { ...config, size, settings } as SizedExperimentConfig;
}

function checkStep(step: number, size: number, sizeSource: string): void {
  if (step > size)
    throw new InputError({
      argument: 'step',
      expected: `an integer in [1, ${size}] (at most size, the labels per run${sizeSource})`,
      received: step,
    });
}

/** How many labels longer than the grid's size random labelling runs: the largest ICL offset under the ICL-budget rule. */
function randomLabellingExtra(settings: readonly ResolvedSetting[]): number {
  return settings.some((s) => s.acquisition === 'iid') ? Math.max(0, ...settings.map((s) => s.labelOffset)) : 0;
}

/** Sets each setting's labels per run: `size`, random labelling's the largest ICL offset longer under the ICL-budget rule. */
function sizeSettings(settings: ResolvedSetting[], size: number): void {
  const extra = randomLabellingExtra(settings);
  for (const setting of settings) setting.size = setting.acquisition === 'iid' ? size + extra : size;
}

/** The names simulate, sessions and the commands give a calibration set by: a grid gives it per surrogate. */
const CALIBRATION_KEYS = ['calibration', 'calibrationScores', 'calibrationLabels'];

/**
 * Refuses a calibration set given by the name simulate or the command line gives it, saying how a
 * grid gives one: refused as an unknown key, it would say nothing of where the set goes.
 *
 * @throws {InputError} naming the key (prefixed by `where`).
 */
function checkNoCalibrationKeys(object: object, where: string | null): void {
  const key = Object.keys(object).find(
    (name) => CALIBRATION_KEYS.includes(name) && (object as Record<string, unknown>)[name] !== undefined,
  );
  if (key === undefined) return;
  throw new InputError({
    argument: where === null ? key : `${where}.${key}`,
    expected:
      'a calibration set given with its surrogate, surrogates.<name>.calibration: { scores, labels }, and used by a setting\'s temperature: "calibrated"',
  });
}

/** The keys of a grid's top level and of one of its settings, with what each is called in errors. */
const GRID_PLACES = {
  grid: { keys: () => [...optionNames('grid'), ...GRID_KEYS], what: 'a top-level grid key' },
  setting: { keys: () => [...optionNames('setting'), ...SETTING_KEYS], what: 'a setting key' },
} as const;

/**
 * Where a key that is not one of `place`'s belongs, when it is a key of elsewhere: a setting's
 * (`acquisition` at the top level), the top level's (`runs` in a setting), an evaluate step's, or
 * a flag of `active-testing experiment` (`threads`).
 */
function placeOf(key: string, place: keyof typeof GRID_PLACES): string | undefined {
  if (place === 'grid' && GRID_PLACES.setting.keys().includes(key)) return 'a setting key: put it in settings[]';
  if (place === 'setting' && GRID_PLACES.grid.keys().includes(key)) {
    return 'a top-level grid key: put it beside "settings", where it holds for every setting';
  }
  if (optionNames('evaluate').includes(key)) return 'a key of an evaluate step: put it in one ("evaluate": { "<step>": { … } })';
  if (optionNames('experiment').includes(key)) return `a command-line flag: experiment ${cliFlag(key)}`;
  return undefined;
}

/**
 * Refuses a key of `object` (the grid's top level, or a setting) that belongs elsewhere, saying
 * where, as `checkNoCommandLineFlags` does for an options object: refused as unknown, it would get
 * no word of where it goes.
 *
 * @throws {InputError} naming the key (prefixed by `where`) and where it belongs.
 */
function checkKeysInPlace(object: object, place: keyof typeof GRID_PLACES, where: string | null): void {
  const known = GRID_PLACES[place].keys();
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || known.includes(key)) continue;
    const belongs = placeOf(key, place);
    if (belongs === undefined) continue;
    throw new InputError({ argument: where === null ? key : `${where}.${key}`, expected: `${GRID_PLACES[place].what}; it is ${belongs}` });
  }
}

function resolveSetting(
  input: unknown,
  index: number,
  surrogates: ReadonlyMap<string, SurrogateSpec>,
  size: number | null,
  iclBudget: boolean,
  grid: { loss: BuiltinLoss; numerics: Numerics },
): ResolvedSetting {
  const where = `settings[${index}]`;
  const spec = asObject(input, where);
  checkNoCalibrationKeys(spec, where);
  checkKeysInPlace(spec, 'setting', where);
  checkKnownKeys(spec, [...optionNames('setting'), ...SETTING_KEYS], where, optionSynonyms('setting'));
  // numerics is the grid's key, which no setting has: the refusal names it and the setting it fails.
  const argument = (name: string): string =>
    name === 'numerics' ? `numerics (with ${where})` : `${where}.${name === 'surrogateScores' ? 'surrogate' : name}`;
  const given = <T>(name: string): T | undefined => checkOption(name, spec[name], 'setting', argument(name)) as T | undefined;
  if (spec.acquisition === undefined)
    throw new InputError({ argument: argument('acquisition'), expected: `one of ${acquisitionsFor('grid').join(' | ')}` });
  const temperature = given<number | 'calibrated' | null>('temperature') ?? null;
  const defensive = given<number | null>('defensive') ?? null;
  const { acquisition, estimator } = resolveProposal(
    {
      acquisition: spec.acquisition,
      estimator: spec.estimator,
      loss: grid.loss,
      defensive,
      numerics: grid.numerics,
      temperature,
      calibration: false,
      // Whether the setting finds its surrogate is checked below, with the grid's own message.
      hasSurrogate: true,
      hasTarget: true,
      comparison: false,
    },
    'setting',
    argument,
  );
  const isRandom = acquisition === 'iid';
  // Checked also for random labelling, which ignores it, as simulate --clip is: a wrong value is
  // refused rather than dropped.
  const givenClip = given<number>('clip') ?? 0.1;
  checkProposalClip(givenClip, { randomLabelling: isRandom, referenceNumerics: grid.numerics === 'reference' }, argument('clip'));
  const clip = proposalClip(acquisition, givenClip, grid.numerics);
  let surrogate: string | null = null;
  const needsSurrogate = ACQUISITIONS[acquisition].needsSurrogate || ESTIMATORS[estimator].needsSurrogate;
  if (needsSurrogate) {
    surrogate = spec.surrogate === undefined ? soleSurrogate(surrogates, where) : requireString(spec.surrogate, `${where}.surrogate`);
    if (!surrogates.has(surrogate)) {
      throw new InputError({
        argument: `${where}.surrogate`,
        expected:
          surrogates.size === 0
            ? 'one of the surrogates, but none is given: add a top-level "surrogates" object ({ "<name>": { "scores": "…" } })'
            : `one of the surrogates (${[...surrogates.keys()].join(', ')})${closestHint(surrogate, [...surrogates.keys()])}`,
        received: surrogate,
      });
    }
  } else if (spec.surrogate !== undefined) {
    throw new InputError({
      argument: `${where}.surrogate`,
      expected: `no surrogate: ${acquisition} with ${estimator} does not use one`,
      received: spec.surrogate,
    });
  }
  const surrogateSpec = surrogate === null ? undefined : surrogates.get(surrogate);
  const calibration = temperature === 'calibrated' ? (surrogateSpec?.calibration ?? null) : null;
  if (temperature === 'calibrated' && calibration === null) {
    throw new InputError({
      argument: `${where}.temperature`,
      expected: `"calibrated" only with a surrogate that has a calibration set (surrogates.<name>.calibration: { scores, labels })`,
      received:
        surrogate === null
          ? ReceivedKind.noted(acquisition, 'without a surrogate')
          : ReceivedKind.noted(surrogate, 'a surrogate without one'),
    });
  }
  const labelOffset = iclBudget && surrogateSpec ? surrogateSpec.iclExamples : 0;
  const name =
    spec.name === undefined
      ? settingName({
          acquisition,
          estimator,
          clip,
          temperature: temperature as number | 'calibrated' | null,
          defensive,
          surrogate: surrogates.size > 1 ? surrogate : null,
        })
      : requireString(spec.name, `${where}.name`);
  const folder = folderName(name);
  if ((RESERVED_FOLDERS as readonly string[]).includes(folder)) {
    throw new InputError({
      argument: `${where}.name`,
      expected: `a name whose folder is none of scores, report, ${EXPERIMENT_MANIFEST}, ${DEMO_COMPARISON} and the files of a simulate run (the experiment's evaluate steps, its default report, its manifest, a demo's comparison; ${SIMULATION_COMMIT_MARKER}, ${SIMULATION_FILES[0]}, …)`,
      received: name,
    });
  }
  // Found only when the run makes the folder, it would be blamed on --out.
  if (folder.length > MAX_FOLDER_NAME) {
    throw new InputError({
      argument: `${where}.name`,
      expected: `a name whose folder name has at most ${MAX_FOLDER_NAME} characters, as file systems allow (its folder would have ${folder.length})`,
      received: name,
    });
  }
  return {
    name,
    folder,
    acquisition,
    estimator,
    clip,
    temperature: temperature === 'calibrated' ? null : (temperature as number | null),
    calibration,
    defensive,
    surrogate,
    surrogateScores: surrogateSpec?.scores ?? null,
    size,
    labelOffset,
  };
}

/**
 * Names in an experiment's output that are not settings' folders: the evaluate steps' scores,
 * `report`'s default, the manifest, the demo's comparison and a simulate run's files (a folder of
 * one of those names would make the experiment's folder look like a demo's or a simulate run's,
 * which the experiment then refuses to resume).
 */
const RESERVED_FOLDERS = ['scores', 'report', EXPERIMENT_MANIFEST, DEMO_COMPARISON, ...SIMULATION_FILES] as const;

/** The longest name of a file or folder on common file systems (ext4, APFS, NTFS): 255 bytes or characters. */
const MAX_FOLDER_NAME = 255;

/** A file-system-safe folder name for a setting name. */
function folderName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[()]/g, '')
    .replace(/[^a-z0-9.+-]+/g, '-')
    .replace(/^[.-]+|-+$/g, '');
  return slug === '' ? 'setting' : slug;
}

function resolveSurrogates(
  input: unknown,
  source: (value: unknown, argument: string) => string,
  evaluate: ReadonlyMap<string, EvaluateStep>,
): Map<string, SurrogateSpec> {
  const surrogates = new Map<string, SurrogateSpec>();
  if (input === undefined) return surrogates;
  const entries = asObject(input, 'surrogates');
  for (const [key, value] of Object.entries(entries)) {
    const spec: Record<string, unknown> = typeof value === 'string' ? { scores: value } : asObject(value, `surrogates.${key}`);
    checkKnownKeys(spec, ['scores', 'iclExamples', 'calibration'], `surrogates.${key}`);
    const scores = source(spec.scores, `surrogates.${key}.scores`);
    const fromStep = scores.startsWith(EVALUATE_REFERENCE) ? (evaluate.get(scores.slice(EVALUATE_REFERENCE.length))?.iclExamples ?? 0) : 0;
    const iclExamples = optionalInteger(spec.iclExamples, `surrogates.${key}.iclExamples`, 0) ?? fromStep;
    let calibration: CalibrationFiles | null = null;
    if (spec.calibration !== undefined) {
      const files = asObject(spec.calibration, `surrogates.${key}.calibration`);
      checkKnownKeys(files, ['scores', 'labels'], `surrogates.${key}.calibration`);
      calibration = {
        scores: source(files.scores, `surrogates.${key}.calibration.scores`),
        labels: source(files.labels, `surrogates.${key}.calibration.labels`),
      };
    }
    surrogates.set(key, { scores, iclExamples, calibration });
  }
  return surrogates;
}

/**
 * Refuses, before any step scores, references to evaluate steps whose columns would not mean the
 * same classes: a score file's column i is its step's class i, so a surrogate (or calibration set)
 * scored under `positive,negative` beside a target under `negative,positive` would be read with
 * its columns swapped, and every statistic computed on it would be wrong without an error. Refused:
 * another number of classes, or a name (in any case, as labels match) at another position. Other
 * names at the same positions are taken: a second model's prompt may word the classes otherwise
 * over data labelled by class ids. A `.npy` file's classes are not known, so only steps are compared.
 */
function checkStepsShareClasses(
  evaluate: ReadonlyMap<string, EvaluateStep>,
  references: ReadonlyArray<[argument: string, source: string]>,
): void {
  let first: { step: string; argument: string; classes: readonly string[] } | undefined;
  for (const [argument, source] of references) {
    if (!source.startsWith(EVALUATE_REFERENCE)) continue;
    const step = source.slice(EVALUATE_REFERENCE.length);
    const classes = (evaluate.get(step) as EvaluateStep).classes as string[];
    first ??= { step, argument, classes };
    const firstNames = first.classes.map((name) => name.toLowerCase());
    const moved = classes.some((name, i) => {
      const at = firstNames.indexOf(name.toLowerCase());
      return at !== -1 && at !== i;
    });
    if (classes.length === first.classes.length && !moved) continue;
    const meaning = first.argument === 'labels' ? 'the class ids of labels' : `those of ${first.argument}`;
    throw new InputError({
      argument: `evaluate.${step}.classes`,
      expected:
        classes.length === first.classes.length
          ? `the classes of evaluate.${first.step} (${first.classes.join(',')}) in that order, so that the columns of ${argument} mean what ${meaning} do: a name at another position would swap them`
          : `as many classes as evaluate.${first.step} (${first.classes.join(',')}), so that the columns of ${argument} mean what ${meaning} do`,
      received: classes.join(','),
    });
  }
}

/**
 * Refuses, before any step scores, pool references to evaluate steps that would score different
 * items. Steps on different data (files whose bytes differ, or another Hub source) score other
 * items, which would be paired row by row without an error. A step that takes its shots from its
 * own data (no `iclData`) leaves them out of the pool it scores, and `limit` cuts the pool short,
 * so such a step's rows cannot line up with those of a step that does not; found only after every
 * step had scored, this was a shape error.
 */
function checkStepsScoreOnePool(
  evaluate: ReadonlyMap<string, EvaluateStep>,
  references: ReadonlyArray<[argument: string, source: string]>,
): void {
  let first: { step: string; argument: string; options: EvaluateStep } | undefined;
  for (const [argument, source] of references) {
    if (!source.startsWith(EVALUATE_REFERENCE)) continue;
    const step = source.slice(EVALUATE_REFERENCE.length);
    const options = evaluate.get(step) as EvaluateStep;
    first ??= { step, argument, options };
    if (step !== first.step && !sameData(options.data, first.options.data)) {
      throw new InputError({
        argument: `evaluate.${step}.data`,
        expected: `the data of evaluate.${first.step} for ${first.argument} (${first.options.data}), or ${first.options.data.startsWith('hub:') ? 'another spelling of that Hub split' : 'a file of the same bytes'}, so that ${argument} scores the same items row by row`,
        received: options.data,
      });
    }
    if (scoredPool(options) === scoredPool(first.options)) continue;
    const fix =
      shotsFromData(options) || shotsFromData(first.options)
        ? 'take the shots from another file (iclData)'
        : 'give the steps the same limit';
    throw new InputError({
      argument: `evaluate.${step}`,
      expected: `the rows evaluate.${first.step} scores for ${first.argument} (${scoredPool(first.options)}), so that ${argument} lines up with them item by item; ${fix}`,
      received: scoredPool(options),
    });
  }
}

/**
 * Whether two steps' data sources hold the same rows: the same source, or two files of the same
 * bytes (a copy under another name scores the same items). A file that is not there is left to
 * the step's own check, which names it; a Hub source equals only another spelling of its split.
 */
function sameData(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.startsWith('hub:') || b.startsWith('hub:')) {
    return a.startsWith('hub:') && b.startsWith('hub:') && hubSpec(parseHubSpec(a)) === hubSpec(parseHubSpec(b));
  }
  const [statA, statB] = [a, b].map((path) => (existsSync(path) ? statSync(path) : null));
  if (!statA?.isFile() || !statB?.isFile()) return true;
  // Sizes first: a differing size settles it without reading either file.
  return statA.size === statB.size && fileDigest(a) === fileDigest(b);
}

/** SHA-256 of a file's bytes, read a chunk (1 MiB) at a time, so that a large pool is not held in memory. */
function fileDigest(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) hash.update(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

const shotsFromData = (step: EvaluateStep): boolean => (step.iclExamples ?? 0) > 0 && step.iclData === undefined;

/** Which of its data's rows a step scores, as far as its options say. */
function scoredPool(step: EvaluateStep): string {
  const rows = step.limit === undefined ? 'every row' : `the first ${step.limit} rows`;
  return shotsFromData(step) ? `${rows} less ${formatCount(step.iclExamples ?? 0, 'shot')} drawn with seed ${step.iclSeed ?? 0}` : rows;
}

/** A file path resolved against the grid's folder, or a checked `evaluate:<step>` reference. */
function resolveSource(value: string, argument: string, baseDir: string, evaluate: ReadonlyMap<string, EvaluateStep>): string {
  if (!value.startsWith(EVALUATE_REFERENCE)) return resolve(baseDir, value);
  const step = value.slice(EVALUATE_REFERENCE.length);
  if (!evaluate.has(step)) {
    throw new InputError({
      argument,
      expected: `a file, or evaluate:<step> naming one of the evaluate steps (${[...evaluate.keys()].join(', ') || 'none given'})`,
      received: value,
    });
  }
  return value;
}

function soleSurrogate(surrogates: ReadonlyMap<string, SurrogateSpec>, where: string): string {
  if (surrogates.size !== 1) {
    throw new InputError({
      argument: `${where}.surrogate`,
      expected:
        surrogates.size === 0
          ? 'a surrogate: add a top-level "surrogates" object ({ "<name>": { "scores": "…" } })'
          : `one of ${[...surrogates.keys()].join(', ')} (there are several)`,
    });
  }
  return [...surrogates.keys()][0] as string;
}

function asObject(value: unknown, argument: string): Record<string, unknown> & Partial<ExperimentConfigFile> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError({ argument, expected: 'a JSON object', received: receivedKind(value) });
  }
  return value as Record<string, unknown>;
}

/** A JSON value as a refusal shows it: a list or an object by its kind (its text would be long), anything else as it is. */
function receivedKind(value: unknown): unknown {
  if (Array.isArray(value)) return new ReceivedKind(value.length === 0 ? 'an empty list' : 'a list');
  if (typeof value === 'object' && value !== null) return new ReceivedKind('an object');
  return value;
}

function closestHint(name: string, valid: readonly string[]): string {
  const closest = closestName(name, valid);
  return closest === undefined ? '' : `; did you mean ${closest}?`;
}

function requireString(value: unknown, argument: string): string {
  if (typeof value !== 'string' || value === '')
    throw new InputError({ argument, expected: 'a non-empty string', received: value as string });
  return value;
}

function optionalInteger(value: unknown, argument: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InputError({ argument, expected: `an integer ≥ ${min}`, received: value as number });
  }
  return value;
}

/**
 * Refuses a setting whose name, or the folder made from it, an earlier setting has, naming that
 * setting: two names can differ and still make one folder ("A b" and "a-b"); and one whose options
 * and scores an earlier setting has, under another name.
 */
function checkUnique(settings: readonly ResolvedSetting[]): void {
  const byName = new Map<string, number>();
  const byFolder = new Map<string, number>();
  settings.forEach(({ name, folder }, i) => {
    const sameName = byName.get(name);
    if (sameName !== undefined) {
      throw new InputError({
        argument: `settings[${i}].name`,
        expected: `a name not used by another setting (settings[${sameName}] has it; give one of them a "name")`,
        received: name,
      });
    }
    const sameFolder = byFolder.get(folder);
    if (sameFolder !== undefined) {
      throw new InputError({
        argument: `settings[${i}].name`,
        expected: `a name whose folder is not another setting's (settings[${sameFolder}], ${JSON.stringify(settings[sameFolder]?.name)}, writes to the folder ${folder})`,
        received: name,
      });
    }
    byName.set(name, i);
    byFolder.set(folder, i);
  });
  // Settings share the seed, so two that differ only in name would write the same runs twice and
  // show as two rows of one result.
  const byResults = new Map<string, number>();
  settings.forEach((setting, i) => {
    // Everything but what names the setting and its surrogate (two names can share one file), so
    // that an option added later counts too.
    const { name, folder: _folder, surrogate: _surrogate, ...options } = setting;
    const results = JSON.stringify(options);
    const same = byResults.get(results);
    if (same !== undefined) {
      throw new InputError({
        argument: `settings[${i}]`,
        expected: `a setting that differs from the others in an option its acquisition uses${options.acquisition === 'iid' && options.clip === 0 ? ' (iid draws without the clip)' : ''} or its surrogate's scores (settings[${same}], ${JSON.stringify(settings[same]?.name)}, has the same, with the same seed: its results would be computed twice)`,
        received: ReceivedKind.noted(name, 'its name'),
      });
    }
    byResults.set(results, i);
  });
}
