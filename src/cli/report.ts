import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { checkInputFolders } from '../report/load.js';
import { writeReport } from '../report/report.js';
import { assertFolderWritable } from '../io/atomic.js';
import type { Command } from './command.js';
import { progressBar } from './progress.js';

const HELP = `Usage: active-testing report DIR... [--out OUT] [options]

Reads simulate or experiment output folders and writes figures (SVG, PNG and Vega-Lite .vl.json)
and a summary table (summary.md, summary.json):
  squared-error    MSE and median squared error vs labels (45–55% band), log scale
  relative-error   error relative to random (i.i.d.) labelling, per setting
  relative-cost    labels needed to reach random labelling's error, as a fraction of its budget
  bootstrap        bootstrap variance vs true MSE, and coverage of estimate ± 2σ per step
An experiment folder stands for all of its finished settings. The relative figures and columns
need a random-labelling (iid) setting among the inputs.

Options:
  --out OUT            output folder (default: DIR/report for a single DIR)
  --force              replace an earlier report in OUT
  --baseline NAME      the random-labelling setting to compare with (default: the first iid one)
  --thresholds LIST    label counts of the table, comma-separated (default 50,100,200,400)
  --smoothing N        moving-average window of the relative and coverage curves in the figures
                       (default 1: none; the table is never smoothed)
  --confidence C       bootstrap interval half-width in σ for coverage (default 1.96)
  --json               print the result as one JSON line instead of text
  -h, --help           show this help

Exit codes: 0 success, 1 bad input or failure, 2 usage error.`;

/** `active-testing report`: figures and the summary table from simulation outputs. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Figures and a summary table from simulate / experiment outputs',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseReportArgs(argv);
    if (positionals.length === 0) throw new UsageError('give at least one simulate or experiment output folder');
    checkInputFolders(positionals);
    const out = values.out ?? (positionals.length === 1 ? join(positionals[0] as string, 'report') : undefined);
    if (out === undefined) throw new UsageError('--out is required with several input folders');
    await assertFolderWritable(out, '--out');
    const json = values.json === true;
    const progress = json ? { update() {}, finish() {} } : progressBar({ label: 'figures' });
    const result = await writeReport(positionals, {
      out,
      force: values.force === true,
      baseline: values.baseline,
      thresholds: values.thresholds === undefined ? undefined : parseList(values.thresholds, '--thresholds'),
      smoothing: values.smoothing === undefined ? undefined : parsePositiveInteger(values.smoothing, '--smoothing'),
      confidence: values.confidence === undefined ? undefined : parsePositiveNumber(values.confidence, '--confidence'),
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.finish();
    if (json) {
      console.log(JSON.stringify({ event: 'report', summary: result.summaryPath, files: result.files, table: result.table }));
    } else {
      console.log(`Report written: ${result.summaryPath} (${result.files.length} files)`);
    }
    return 0;
  },
};

function parseReportArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        force: { type: 'boolean' },
        baseline: { type: 'string' },
        thresholds: { type: 'string' },
        smoothing: { type: 'string' },
        confidence: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseList(text: string, option: string): number[] {
  return text.split(',').map((part) => parsePositiveInteger(part.trim(), option));
}

function parsePositiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(value) || value < 1)
    throw new UsageError(`${option}: expected a positive integer, got "${text}"`);
  return value;
}

function parsePositiveNumber(text: string, option: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`${option}: expected a positive number, got "${text}"`);
  return value;
}
