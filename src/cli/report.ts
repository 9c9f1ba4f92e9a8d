import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { optionHelp } from '../options/schema.js';
import { UsageError } from '../errors.js';
import { checkInputFolders } from '../report/load.js';
import { writeReport } from '../report/report.js';
import { assertFolderWritable } from '../io/atomic.js';
import { type Command, EXIT_CODES_HELP } from './command.js';
import {
  checkFlagNames,
  commandFlags,
  commandValues,
  joinRepeatedLists,
  parseArgsRefusal,
  strayListValues,
  withNegativeValues,
} from './options.js';
import { progressBar } from './progress.js';
import { withInterrupts } from './interrupt.js';
import { formatCount } from '../io/format-count.js';
import { toJsonLine } from '../io/json.js';
import { lockHolder } from '../io/lock.js';
import { OUTPUT_LOCK_NAME } from '../io/output-lock.js';

const HELP = `Usage: active-testing report DIR... [--out OUT] [options]

Reads simulate or experiment output folders and writes figures (SVG, PNG and Vega-Lite .vl.json)
and a summary table (summary.md, summary.json):
  squared-error    MSE and median squared error vs labels (45–55% band), log scale
  relative-error   error relative to random (i.i.d.) labelling, per setting
  relative-cost    labels needed to reach random labelling's error, as a fraction of its budget
  bootstrap        bootstrap variance vs true MSE, and coverage of estimate ± 1.96σ (--confidence;
                   approximate, no guarantee)
  coverage-KIND    for runs of simulate --interval KIND (anytime, fixed, bootstrap): coverage of
                   that interval per label count against the nominal 0.95
  half-width-KIND  the median half-width of that interval per label count, log scale
An experiment folder stands for all of its finished settings. The relative figures and columns
need a random-labelling (iid) setting among the inputs.

Options:
${optionHelp('report', 22, ['out', 'force', 'baseline', 'thresholds', 'smoothing', 'confidence', 'json']).join('\n')}
  -h, --help          show this help

${EXIT_CODES_HELP}`;

/** `active-testing report`: figures and the summary table from simulation outputs. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Figures and a summary table from simulate / experiment outputs',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseReportArgs(argv);
    if (positionals.length === 0) throw new UsageError('give at least one simulate or experiment output folder');
    const given = commandValues(values, 'report');
    const out = (given.out as string | undefined) ?? (positionals.length === 1 ? join(positionals[0] as string, 'report') : undefined);
    if (out === undefined) throw new UsageError('--out is required with several input folders');
    checkInputFolders(positionals);
    await assertFolderWritable(out, '--out');
    const json = given.json === true;
    const progress = json ? { update() {}, finish() {} } : progressBar({ label: 'figures' });
    const result = await withInterrupts('nothing of it was written', (signal) =>
      writeReport(positionals, {
        out,
        signal,
        force: given.force === true,
        baseline: given.baseline as string | undefined,
        thresholds: given.thresholds as number[] | undefined,
        smoothing: given.smoothing as number | undefined,
        confidence: given.confidence as number | undefined,
        onProgress: (done, total) => progress.update(done, total),
      }),
    ).finally(() => progress.finish());
    // Told once the report is written: a refused report (none of the settings finished, say) says
    // so in its one line.
    for (const { name, folder } of result.unfinished) {
      // A setting's folder is a sub-folder of its experiment's, which a running experiment locks.
      const running = lockHolder(join(dirname(folder), OUTPUT_LOCK_NAME));
      const toDo = running
        ? `the experiment is still running (process ${running.pid} on ${running.host}); report again once it has finished`
        : 'run the experiment again to finish it';
      console.error(`active-testing report: left out the unfinished setting "${name}" (${folder}); ${toDo}`);
    }
    for (const line of result.leftOut) console.error(`active-testing report: ${line}`);
    if (json) {
      console.log(
        toJsonLine({
          event: 'report',
          summary: result.summaryPath,
          files: result.files,
          table: result.table,
          unfinished: result.unfinished,
          leftOut: result.leftOut,
        }),
      );
    } else {
      console.log(`Report written: ${result.summaryPath} (${formatCount(result.files.length, 'file')})`);
    }
    return 0;
  },
};

/** The folders (positionals) and the flags; an unknown flag is refused with a suggestion, as by every command. */
function parseReportArgs(argv: string[]) {
  const options = commandFlags('report');
  const given = withNegativeValues(argv, options);
  checkFlagNames(given, options);
  const args = joinRepeatedLists(given);
  let parsed;
  try {
    parsed = parseArgs({ args, strict: true, allowPositionals: true, options });
  } catch (error) {
    throw new UsageError(parseArgsRefusal(error as Error & { code?: string }, given));
  }
  // `--thresholds 50 100 dir` would read 100 as a folder: refused here, where no such folder is,
  // rather than as a missing folder.
  const stray = strayListValues(given, options);
  if (stray !== undefined && !existsSync(stray.stray)) {
    throw new UsageError(`${JSON.stringify(stray.stray)} after ${stray.flag}'s value would be read as an input folder; ${stray.hint}`);
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}
