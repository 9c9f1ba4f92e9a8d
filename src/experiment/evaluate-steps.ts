import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { EVALUATE_OPTIONS, readEvaluateOptions } from '../cli/evaluate.js';
import { parseOptions } from '../cli/options.js';
import { evaluateToFolder } from '../evaluation/evaluate.js';

/**
 * One `active-testing evaluate` run of a grid, by its command-line options without the dashes
 * (`{ "model": "models/llama", "data": "pool.tsv", "classes": "negative,positive", "icl-examples": 50 }`);
 * `true` stands for a flag. `--out` is set by the experiment.
 */
export type EvaluateStep = Record<string, string | number | boolean>;

/** How a grid refers to a step's output in place of a file path: `evaluate:<step>`. */
export const EVALUATE_REFERENCE = 'evaluate:';

/** Options of `evaluate` that name files, resolved against the grid file's folder when they exist there. */
const PATH_OPTIONS = new Set(['model', 'data', 'icl-data', 'instruction-file']);

/**
 * Validates the grid's `evaluate` steps and resolves their file options against `baseDir`
 * (a model id, `hub:` data or an `openai:` model that is not a file there is kept as written).
 *
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
    const step: EvaluateStep = {};
    for (const [option, setting] of Object.entries(value as Record<string, unknown>)) {
      if (option === 'out' || option === 'force') {
        throw new InputError({ argument: `evaluate.${name}.${option}`, expected: 'no --out or --force: the experiment sets them' });
      }
      if (typeof setting !== 'string' && typeof setting !== 'number' && setting !== true) {
        throw new InputError({
          argument: `evaluate.${name}.${option}`,
          expected: 'a string, a number or true (a flag)',
          received: String(setting),
        });
      }
      const local = typeof setting === 'string' && PATH_OPTIONS.has(option) ? resolve(baseDir, setting) : null;
      step[option] = local !== null && existsSync(local) ? local : setting;
    }
    steps.set(name, step);
  }
  return steps;
}

/** The folder of a step's outputs inside an experiment's output folder. */
export function evaluateStepFolder(out: string, step: string): string {
  return join(out, 'scores', step);
}

/**
 * Runs each step's evaluation into `out/scores/<step>/`. A step whose results are complete
 * returns at once, and an interrupted one resumes from its checkpoint, so an experiment can run
 * its steps every time. Progress goes to stderr, so that stdout carries only the experiment's
 * own output (JSON lines with `--json`). `signal` interrupts a step (rerun to resume).
 */
export async function runEvaluateSteps(
  steps: ReadonlyMap<string, EvaluateStep>,
  out: string,
  force: boolean,
  onStep: (name: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  if (steps.size === 0) return;
  for (const [name, step] of steps) {
    onStep(name);
    const args = Object.entries(step).flatMap(([option, value]) => (value === true ? [`--${option}`] : [`--${option}`, String(value)]));
    args.push('--out', evaluateStepFolder(out, name), ...(force ? ['--force'] : []));
    // The steps are written in evaluate's flag vocabulary, so the CLI's flag table reads them
    // (imported statically: a dynamic import made esbuild initialise the model modules lazily
    // in the CommonJS bundle, leaving `require('active-testing').Model` undefined).
    let settings: Awaited<ReturnType<typeof readEvaluateOptions>>;
    try {
      settings = await readEvaluateOptions(parseOptions(args, EVALUATE_OPTIONS));
    } catch (error) {
      // A bad option here is a mistake in the grid file, not on the command line.
      if (error instanceof UsageError)
        throw new InputError({ argument: `evaluate.${name}`, expected: `valid evaluate options (${error.message})` });
      throw error;
    }
    const outcome = await evaluateToFolder(settings.config, { ...settings.run, ...(signal ? { signal } : {}) });
    const folder = settings.run.out;
    process.stderr.write(
      outcome.alreadyComplete
        ? `${folder}: results of this configuration are already complete\n`
        : `${outcome.n} items: accuracy ${outcome.accuracy.toFixed(4)}, loss ${outcome.loss.toFixed(4)} -> ${folder}\n`,
    );
  }
}
