import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { InputError, ReceivedKind } from '../errors.js';
import { EXPERIMENT_MANIFEST, SETTING_MARKER } from '../experiment/manifest.js';
import { DEMO_COMPARISON, DEMO_FOLDERS } from '../simulate/outputs.js';

/** Where `dir` lies in another command's results, and what to do instead of writing there. */
interface ResultsAround {
  where: string;
  instead: string;
}

/** The setting folders and evaluate steps an experiment's manifest lists; none when it cannot be read. */
function listedByManifest(experiment: string): { folders: string[]; steps: string[] } {
  try {
    const manifest = JSON.parse(readFileSync(join(experiment, EXPERIMENT_MANIFEST), 'utf8')) as {
      settings?: Array<{ folder?: unknown } | null>;
      config?: { evaluate?: Record<string, unknown> | null } | null;
    } | null;
    const settings = Array.isArray(manifest?.settings) ? manifest.settings : [];
    const folders = settings.flatMap((s) => (typeof s?.folder === 'string' ? [s.folder] : []));
    const evaluate = manifest?.config?.evaluate;
    return { folders, steps: typeof evaluate === 'object' && evaluate !== null ? Object.keys(evaluate) : [] };
  } catch {
    return { folders: [], steps: [] };
  }
}

/**
 * `dir` as an absolute path with every symbolic link on it followed, the parts that do not exist
 * yet added back as given: a link to a setting's or a demo's folder names that folder, and the
 * command would write through it. The path is not normalised before the links are followed: as
 * the system does, `link/..` is the folder above the link's target, not the folder holding `link`.
 */
function physicalPath(dir: string): string {
  const parts = (isAbsolute(dir) ? dir : `${process.cwd()}${sep}${dir}`).split(sep);
  for (let kept = parts.length; kept > 1; kept--) {
    try {
      return resolve(realpathSync.native(parts.slice(0, kept).join(sep) || sep), ...parts.slice(kept));
    } catch {
      // Missing, or a dangling link: a shorter part of the path may exist.
    }
  }
  return resolve(dir);
}

/**
 * Whether `dir` is a folder a demo or an experiment wrote its results in: a demo's pool, runs or
 * report (`simulate --demo`, beside its `comparison.json`), an experiment's setting (listed in its
 * `experiment.json` or marked by `setting.json`) or evaluate step (`scores/<step>`). Those results
 * were computed from the files there: a command writing its own over them would leave the demo's
 * comparison or the experiment's settings inconsistent with their inputs, and a simulate run of a
 * setting's shape written over it would pass for the setting's own. Any other sub-folder of an
 * experiment may be written to: report names a run found there that the experiment does not list.
 */
function resultsAround(dir: string): ResultsAround | undefined {
  const path = physicalPath(dir);
  const name = basename(path);
  const parent = dirname(path);
  if (existsSync(join(parent, DEMO_COMPARISON)) && DEMO_FOLDERS.includes(name))
    return {
      where: `it is the ${name} folder of the demo in ${parent}, whose results were computed from its files`,
      instead: 'choose a folder outside the demo',
    };
  if (
    existsSync(join(parent, EXPERIMENT_MANIFEST)) &&
    (existsSync(join(path, SETTING_MARKER)) || listedByManifest(parent).folders.includes(name))
  )
    return {
      where: `it is the folder of a setting of the experiment in ${parent}, which the experiment and report read`,
      instead: 'choose a folder outside the experiment',
    };
  const experiment = dirname(parent);
  if (
    basename(parent) === 'scores' &&
    existsSync(join(experiment, EXPERIMENT_MANIFEST)) &&
    listedByManifest(experiment).steps.includes(name)
  )
    return {
      where: `it is the folder of the evaluate step ${name} of the experiment in ${experiment}, whose settings were computed from its scores`,
      instead: `choose a folder outside the experiment (to score the step again, delete ${join(parent, name)} and run the experiment again: it keeps a step's complete results, also with --force)`,
    };
  return undefined;
}

/**
 * Refuses, whatever `--force` and before any work, an output folder that holds a demo's or an
 * experiment's results (`resultsAround`): `evaluate` or `simulate` writing there would replace or
 * mix with files those results were computed from, and nothing would tell.
 *
 * @example
 * assertOutsideOtherResults('runs/demo/pool', '--out'); // refused where runs/demo holds a demo's comparison.json
 * @throws {InputError} naming `argument`, where the folder lies and what to do instead.
 */
export function assertOutsideOtherResults(dir: string, argument: string): void {
  const around = resultsAround(dir);
  if (around === undefined) return;
  throw new InputError({
    argument,
    expected: `a folder outside a demo's or an experiment's results, which would no longer match their files (even with --force); ${around.instead}`,
    received: ReceivedKind.noted(dir, around.where),
  });
}
