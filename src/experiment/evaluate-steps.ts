import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  ActiveTestingError,
  CancelledError,
  FileFormatError,
  InputError,
  type OptionNaming,
  OutputExistsError,
  ReceivedKind,
} from '../errors.js';
import {
  checkEvaluationData,
  completeResultsRows,
  evaluateStepToFolder,
  type EvaluateOutcome,
  outcomeWarnings,
  stepsMemo,
  withScoredKeptHint,
} from '../evaluation/evaluate.js';
import {
  checkEvaluateOptions,
  EVALUATE_PATH_OPTIONS,
  resolveEvaluateOptions,
  type EvaluateOptions,
} from '../evaluation/evaluate-options.js';
import { hubSpec, parseHubSpec, probeHubTable } from '../dataset/hub.js';
import { assertFolderWritable } from '../io/atomic.js';
import { isOpenAIModelSpec } from '../model/backends/openaiTarget.js';
import { looksLikeModelPath } from '../model/transformers-backend.js';
import { formatCount } from '../io/format-count.js';

/**
 * One `active-testing evaluate` run of a grid, under the option schema's names, as `evaluate`'s
 * flags in camelCase (`{ "model": "models/llama", "data": "pool.tsv", "classes": "negative,positive",
 * "iclExamples": 50 }`; `true` for a flag such as `noPrefixCache`). The experiment sets the output
 * folder and `force`.
 */
export type EvaluateStep = EvaluateOptions;

/** How a grid refers to a step's output in place of a file path: `evaluate:<step>`. */
export const EVALUATE_REFERENCE = 'evaluate:';

/**
 * Validates the grid's `evaluate` steps and resolves their file options against `baseDir`
 * (a Hub model id, `hub:` data and an `openai:` model are kept as written).
 *
 * @throws {InputError} on a step that is not an object of known evaluate options, and on a Hub id
 *   that a folder in the current folder shadows.
 * @example
 * resolveEvaluateSteps({ target: { model: 'models/tiny', data: 'pool.tsv', classes: 'a,b' } }, '/grids');
 */
export function resolveEvaluateSteps(input: unknown, baseDir: string): Map<string, EvaluateStep> {
  const steps = new Map<string, EvaluateStep>();
  if (input === undefined) return steps;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InputError({ argument: 'evaluate', expected: 'an object of named evaluate steps' });
  }
  for (const [name, value] of Object.entries(input)) {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) {
      throw new InputError({
        argument: `evaluate.${name}`,
        expected: 'a plain step name: letters, digits, ".", "_" or "-", not starting with "." (it names a folder)',
        received: name,
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InputError({
        argument: `evaluate.${name}`,
        expected: 'an object of evaluate options (e.g. { "model": ..., "data": ..., "classes": ... })',
      });
    }
    const where = `evaluate.${name}`;
    for (const option of ['out', 'force'])
      if (option in value) throw new InputError({ argument: `${where}.${option}`, expected: `no ${option}: the experiment sets it` });
    const step = checkEvaluateOptions(value as Record<string, unknown>, where);
    for (const option of EVALUATE_PATH_OPTIONS) {
      const path = step[option];
      if (path !== undefined) step[option] = gridPath(option, path, baseDir, `${where}.${option}`);
    }
    steps.set(name, step);
  }
  return steps;
}

/**
 * A step's file option as the grid means it: relative to the grid file's folder, except a `hub:`
 * data source, an `openai:` model and a Hub id (`name` or `owner/name` not there), kept as written.
 * A Hub id would be read from a folder of that name in the current folder, where there is one: the
 * same grid would then score another model run from elsewhere, so that is refused.
 */
function gridPath(option: (typeof EVALUATE_PATH_OPTIONS)[number], path: string, baseDir: string, argument: string): string {
  const local = resolve(baseDir, path);
  if (option !== 'model') return option !== 'instructionFile' && path.startsWith('hub:') ? path : local;
  if (isOpenAIModelSpec(path)) return path;
  if (existsSync(local) || looksLikeModelPath(path)) return local;
  if (existsSync(path)) {
    throw new InputError({
      argument,
      expected: `a model folder relative to the grid file's folder (${baseDir}) or a Hub id`,
      received: ReceivedKind.noted(
        path,
        'a Hub id, but a folder of that name in the current folder would be read instead: give the folder by its absolute path, or run from another folder',
      ),
    });
  }
  return path;
}

/**
 * Reads one row of a `hub:` split that no earlier step has read (`probed` holds those, by their
 * full name); a refusal is told as the grid key's (`evaluate.<step>.data`) that names the split.
 */
async function probeHubOnce(source: string, probed: Set<string>, key: string, signal?: AbortSignal): Promise<void> {
  try {
    const split = parseHubSpec(source);
    if (probed.has(hubSpec(split))) return;
    await probeHubTable(split, signal);
    probed.add(hubSpec(split));
  } catch (error) {
    if (error instanceof CancelledError || !(error instanceof ActiveTestingError)) throw error;
    throw new ActiveTestingError(`${key}: ${error.message}`, { cause: error });
  }
}

/** The folder of a step's outputs inside an experiment's output folder. */
export function evaluateStepFolder(out: string, step: string): string {
  return join(out, 'scores', step);
}

/**
 * Runs each step's evaluation into `out/scores/<step>/`, once every step's options and data are
 * checked; `beforeScoring` then gets the rows each step will score (a step on `hub:` data is read
 * only at its turn, one row of it checked before, and is left out unless its results are complete)
 * to refuse more. A step whose
 * results are complete is not read again (its recorded rows count) and returns at once, and an
 * interrupted one resumes from its checkpoint, so an experiment can run its steps every time.
 * Progress goes to stderr, with `evaluate`'s warning of floored label scores, so that stdout
 * carries only the experiment's own output (JSON lines with `--json`). `signal` interrupts a step
 * (rerun to resume).
 */
export async function runEvaluateSteps(
  steps: ReadonlyMap<string, EvaluateStep>,
  out: string,
  force: boolean,
  onStep: (name: string) => void,
  signal?: AbortSignal,
  beforeScoring?: (poolSizes: ReadonlyMap<string, number>) => void,
): Promise<void> {
  if (steps.size === 0) return;
  // Every step's options and data are checked before the first is scored: a mistake in a later
  // step (a label not among its classes, too few rows) must not wait for an earlier one's scoring.
  const resolved: Array<[string, string, Awaited<ReturnType<typeof resolveEvaluateOptions>>]> = [];
  const poolSizes = new Map<string, number>();
  // This run's alone: a file rewritten later at the same size can keep its times (`StepsMemo`).
  const memo = stepsMemo();
  const probedHub = new Set<string>();
  for (const [name, step] of steps) {
    if (signal?.aborted)
      throw new CancelledError('experiment cancelled while its evaluate steps were checked; rerun the same command to resume');
    const folder = evaluateStepFolder(out, name);
    try {
      await assertFolderWritable(folder, `evaluate.${name}`);
      const settings = await resolveEvaluateOptions(step);
      // Complete results of this configuration and inputs are kept as they are: their rows are
      // recorded, and their data (hashed, not parsed) need not be read again.
      const complete = await completeResultsRows(settings.config, { ...settings.run, out: folder, ...(signal ? { signal } : {}) }, memo);
      // A Hub split is downloaded at the step's turn, not twice: its classes are checked only then,
      // whatever the model. One row of it is read now, so that a misspelled split, a gated dataset
      // without a token or no internet is found before an earlier step's scoring.
      const hubSources = (
        [
          ['data', settings.config.data],
          ['iclData', settings.config.icl_data],
        ] as const
      ).filter(([, source]) => source?.startsWith('hub:') ?? false);
      if (complete !== null) poolSizes.set(name, complete);
      else if (hubSources.length === 0) poolSizes.set(name, await checkEvaluationData(settings.config, stepNaming(name), memo));
      else
        for (const [option, source] of hubSources) await probeHubOnce(source as string, probedHub, stepNaming(name).option(option), signal);
      resolved.push([name, folder, settings]);
    } catch (error) {
      throw inStep(error, name);
    }
  }
  beforeScoring?.(poolSizes);
  for (const [name, folder, settings] of resolved) {
    onStep(name);
    // The items scored so far, checkpoint included, for the hint of a served model's failure.
    let scored: { done: number; total: number } | undefined;
    const run = {
      ...settings.run,
      out: folder,
      naming: stepNaming(name),
      onProgress: (done: number, total: number) => (scored = { done, total }),
      ...(signal ? { signal } : {}),
    };
    // `force` recomputes a step only where its configuration changed or its results cannot be
    // read: unchanged results are kept (rescoring a served model can take hours), an interrupted
    // run still resumes.
    let outcome: EvaluateOutcome;
    try {
      try {
        outcome = await evaluateStepToFolder(settings.config, { ...run, force: false }, memo);
      } catch (error) {
        if (!(force && replacedByForce(error, folder))) throw error;
        outcome = await evaluateStepToFolder(settings.config, { ...run, force: true }, memo);
      }
    } catch (error) {
      // Bad input found while scoring (classes sharing a token, a missing column, too many shots),
      // or a served model's failure after some batches, which a rerun resumes from.
      throw inStep(withScoredKeptHint(error, scored, folder), name);
    }
    for (const warning of outcomeWarnings(outcome, run.naming)) process.stderr.write(`warning: ${warning}\n`);
    process.stderr.write(
      outcome.alreadyComplete
        ? `${folder}: results of this configuration are already complete\n`
        : `${formatCount(outcome.n, 'item')}: accuracy ${outcome.accuracy.toFixed(4)}, loss ${outcome.loss.toFixed(4)} -> ${folder}\n`,
    );
  }
}

/**
 * Whether `error` refuses what `force` replaces in a step's `folder`: results or a checkpoint of
 * another configuration, or its own files that cannot be read (its meta.json or checkpoint), whose
 * configuration cannot be told to be unchanged. An unreadable input file is not the step's to replace.
 */
function replacedByForce(error: unknown, folder: string): boolean {
  if (error instanceof OutputExistsError) return true;
  return error instanceof FileFormatError && dirname(resolve(error.path)) === resolve(folder);
}

/**
 * Options named as the grid file's keys of step `name` (`evaluate.<name>.limit`,
 * `evaluate.<name>.limit: 5`).
 */
function stepNaming(name: string): OptionNaming {
  return {
    option: (option) => `evaluate.${name}.${option}`,
    setting: (option, value) => `evaluate.${name}.${option}: ${JSON.stringify(value)}`,
  };
}

/** An option's error, named as the grid file's key of step `name` (`evaluate.<name>.classes`); other errors as they are. */
function inStep(error: unknown, name: string): unknown {
  if (!(error instanceof InputError) || error.argument.startsWith('evaluate.')) return error;
  const argument = error.argument.replace(/^--/, '');
  return new InputError({
    argument: `evaluate.${name}.${argument}`,
    // The options it names are the step's too, named as the grid's keys, whoever reads it.
    expected: () => error.expectedBy(stepNaming(name)),
    received: error.received,
    ...(error.row === undefined ? {} : { row: error.row }),
  });
}
