import { isAbsolute, relative } from 'node:path';
import { loadExperimentConfig, namesGridKey } from '../experiment/config.js';
import { FileFormatError, InputError } from '../errors.js';
import { runExperiment, type ExperimentEvent } from '../experiment/experiment.js';
import { assertFolderWritable } from '../io/atomic.js';
import { type Command, FINISHING_EXIT_CODES_HELP } from './command.js';
import { optionHelp } from '../options/schema.js';
import { checkRequired, commandFlags, commandValues, parseOptions } from './options.js';
import { formatDuration, progressBar } from './progress.js';
import { withInterrupts } from './interrupt.js';
import { formatCount } from '../io/format-count.js';
import { shellWord } from '../io/shell-word.js';

const HELP = `Usage: active-testing experiment --config grid.json --out DIR [options]

Runs every acquisition setting of a grid with the simulate engine (all cores), each setting's
outputs in its own folder under DIR, in the format of \`active-testing simulate\`. Running it again
resumes an interrupted grid: finished settings with unchanged options and input files are skipped.
Then \`active-testing report DIR\` draws the figures and the summary table.

grid.json (paths relative to the file):
  {
    "modelScores": "target.npy", "labels": "labels.npy",
    "surrogates": { "icl50": { "scores": "surrogate.npy", "iclExamples": 50,
                               "calibration": { "scores": "heldout.npy",
                                                "labels": "heldout-labels.npy" } } },
    "runs": 3000, "size": 400, "step": 1, "seed": 0, "bootstrap": "exact",
    "loss": "cross-entropy", "iclBudget": false, "interval": ["anytime", "bootstrap"],
    "settings": [
      { "acquisition": "iid" },
      { "acquisition": "surrogate-ce" },
      { "acquisition": "surrogate-pe", "clip": 0.1 },
      { "acquisition": "self-entropy", "temperature": 2, "name": "self-entropy T=2" },
      { "acquisition": "surrogate-ce", "temperature": "calibrated" }
    ]
  }
  Setting fields: acquisition (iid, true-loss, self-entropy, surrogate-ce, surrogate-pe,
  surrogate-nll, surrogate-m2, adaptive; see docs/adaptive.md), estimator (lure, is, iid, ase;
  default lure, iid for iid), clip (default 0.1), temperature (a number, or "calibrated": fitted
  on the surrogate's "calibration" set, the surrogate's scores and the labels of held-out items, as
  simulate --calibration-scores/--calibration-labels), defensive (λ: mix a fixed proposal with
  uniform), surrogate (a key of "surrogates"; default the only one), name.
  "loss": cross-entropy (default), zero-one or brier, the loss whose risk every setting
  estimates, as simulate --loss. "numerics": "reference" reproduces the published code's
  numbers, bugs included (default "default"; docs/reference-bugs.md). "interval": per-run 95%
  intervals of every setting, as simulate --interval: anytime, fixed, bootstrap (a list or
  "anytime,fixed"; bootstrap needs a bootstrap and no ase setting); default none.
  Score files can come from LLM scoring steps run first into DIR/scores/<step>/:
    "evaluate": { "target": { "model": "models/x", "data": "pool.tsv", "classes": "neg,pos" } },
    "modelScores": "evaluate:target", "labels": "evaluate:target"
  (step options are those of \`active-testing evaluate\` under their camelCase names:
  "iclExamples" for --icl-examples, true for a flag such as "noPrefixCache").
  "iclBudget": true applies the paper's fairness rule: a setting whose surrogate used n labelled
  ICL examples is compared, k active labels against n + k random ones (iid runs n labels longer;
  a left-out "size" is then min(400, N − n), so that the pool holds iid's labels).

Options:
${optionHelp('experiment', 20, ['config', 'out', 'threads', 'force', 'json']).join('\n')}
  -h, --help        show this help

${FINISHING_EXIT_CODES_HELP}`;

/** `active-testing experiment`: a grid of simulations, resumable. */
export const experimentCommand: Command = {
  name: 'experiment',
  summary: 'Run a grid of acquisition settings (resumable); then `report` it',
  help: HELP,
  async run(argv) {
    const given = commandValues(parseOptions(argv, commandFlags('experiment')), 'experiment');
    checkRequired(given, ['config', 'out']);
    const configPath = given.config as string;
    const out = given.out as string;
    await assertFolderWritable(out, '--out');
    const threads = given.threads as number | undefined;
    const json = given.json === true;
    const config = loadExperimentConfig(configPath);
    const progress = json ? null : progressBar({ label: 'runs' });
    const onEvent = (event: ExperimentEvent) => {
      // On stderr as every command warns, and also a JSON line under --json, as every event is.
      if (event.event === 'warning') {
        progress?.finish();
        console.error(`warning: ${event.message}`);
      }
      if (json) {
        if (event.event !== 'progress') console.log(JSON.stringify(event));
        return;
      }
      if (event.event === 'progress') progress?.update(event.gridCompletedRuns, event.gridTotalRuns);
      else if (event.event !== 'warning') {
        const line = describeEvent(event, out);
        if (line !== null) {
          progress?.finish();
          console.log(line);
        }
      }
    };
    try {
      await withInterrupts('run the same command again to resume: finished settings are kept', (signal) =>
        runExperiment(config, { out, force: given.force === true, threads, signal, onEvent }),
      );
    } catch (error) {
      // A key found wrong once the pool is read (a size past it, a labels file that is missing)
      // is named with its grid file, as the keys checked on reading the file are.
      const namesKey = error instanceof InputError || error instanceof FileFormatError;
      if (namesKey && error.argument !== undefined && namesGridKey(error.argument))
        throw new FileFormatError(configPath, error.message, undefined, { cause: error });
      throw error;
    } finally {
      progress?.finish();
    }
    return 0;
  },
};

/** A path relative to the working directory when it lies inside it, else absolute. */
function displayPath(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath === '' ? '.' : relativePath.startsWith('..') || isAbsolute(relativePath) ? path : relativePath;
}

function describeEvent(event: Exclude<ExperimentEvent, { event: 'progress' | 'warning' }>, out: string): string | null {
  switch (event.event) {
    case 'evaluate':
      return `evaluate step ${event.step} → ${displayPath(event.folder)}`;
    case 'start':
      return `${formatCount(event.settings, 'setting')}, ${event.settings - event.toRun} already finished; output in ${out}`;
    case 'skipped':
      return `  ${event.name}: finished earlier, kept`;
    case 'setting-start':
      return null;
    case 'setting-done':
      return `  ${event.name}: done in ${formatDuration(event.seconds)} → ${displayPath(event.folder)}`;
    case 'done':
      return `Done in ${formatDuration(event.seconds)}. Next: active-testing report ${shellWord(out)}`;
  }
}
