import { existsSync } from 'node:fs';
import { loadCalibrationSet } from '../calibration/load.js';
import { readTable, type Table } from '../dataset/read-table.js';
import { FileFormatError, InputError, UsageError } from '../errors.js';
import { readNpy } from '../io/npy.js';
import type { Matrix } from '../matrix.js';
import { ActiveTestingSession, type SessionEstimate, type StoppingRule } from '../session/session.js';
import { SESSION_ACQUISITIONS } from '../session/header.js';
import type { BuiltinLoss } from '../session/loss.js';
import { scoresMatrix } from '../simulate/inputs.js';
import type { Command } from './command.js';
import { choiceOption, integerOption, numberOption, parseOptions, requiredString, type OptionValues } from './options.js';

const OPTIONS = {
  session: { type: 'string' },
  answers: { type: 'string' },
  'answer-column': { type: 'string' },
  'max-labels': { type: 'string' },
  'target-half-width': { type: 'string' },
  'min-labels': { type: 'string' },
  data: { type: 'string' },
  'text-column': { type: 'string' },
  'id-column': { type: 'string' },
  classes: { type: 'string' },
  'model-scores': { type: 'string' },
  'comparison-scores': { type: 'string' },
  'surrogate-scores': { type: 'string' },
  acquisition: { type: 'string' },
  defensive: { type: 'string' },
  loss: { type: 'string' },
  clip: { type: 'string' },
  temperature: { type: 'string' },
  'calibration-scores': { type: 'string' },
  'calibration-labels': { type: 'string' },
  seed: { type: 'string' },
} as const;

const CREATE_OPTIONS = ['data', 'text-column', 'id-column', 'classes', 'model-scores', 'comparison-scores', 'surrogate-scores', 'acquisition', 'defensive', 'loss', 'clip', 'temperature', 'calibration-scores', 'calibration-labels', 'seed'];
const LOSSES: Record<string, BuiltinLoss> = { ce: 'cross-entropy', 'zero-one': 'zero-one', brier: 'brier' };

const HELP = `Usage: active-testing label --session FILE [--answers FILE] [stopping options]
       active-testing label --session FILE --data pool.tsv --classes a,b --model-scores f.npy
                            [--surrogate-scores g.npy] [pool options]   (creates FILE)

Labels the items active testing proposes and shows the estimated risk and accuracy with 95%
intervals as labels come in. Every label is on disk before the next item is shown: quit at any
time (q, or Ctrl-C) and run the same command again to resume where you stopped.

Keys: 1-9 label the item with that class, s skip it (it leaves the pool), u undo the last label,
q quit.

Options:
  --session FILE             the session file (created when pool options are given and it does not exist)
  --answers FILE             label non-interactively from a TSV file with a header: the column "id"
                             (or, without one, row numbers 0, 1, ...) and the column --answer-column
                             (default "label") holding a class name, class index or "skip"
  --max-labels N             stop at N labels
  --target-half-width W      stop once the risk's 95% interval half-width is at most W
  --min-labels N             labels before --target-half-width may stop (default 30)

Pool options (creating a session):
  --data FILE                the pool: a TSV file with a header row
  --text-column NAME         column holding the text (default "sentence")
  --id-column NAME           column holding item ids (default "id" if present, else row numbers)
  --classes a,b,...          class names in label-id order
  --model-scores FILE        target logits, N×K .npy (rows in --data order)
  --comparison-scores FILE   a second target's logits, to compare the two on the same labels
  --surrogate-scores FILE    surrogate logits, N×K .npy
  --acquisition A            adaptive | surrogate-m2 | surrogate-ce | surrogate-pe | self-entropy | iid
                             (default with --surrogate-scores: adaptive (docs/adaptive.md), or
                             surrogate-ce with --comparison-scores, another --loss or --defensive;
                             else iid)
  --defensive λ              mix a fixed proposal with uniform: (1−λ)·q + λ·uniform (default none)
  --loss L                   ce | zero-one | brier (default ce)
  --clip C                   proposal floor in [0, 1) (default 0.1)
  --temperature T            surrogate temperature (default none)
  --calibration-scores FILE, --calibration-labels FILE
                             held-out labelled surrogate scores (.npy, not in the pool nor in the
                             surrogate's prompt): fit the surrogate temperature on them instead of
                             --temperature; it is stored in the session. These labels count in
                             your labelling budget
  --seed s                   seed of the proposals (default 0)

At the end it prints the estimate, its interval, and how many random labels would have given
an interval as narrow and the variance ratio to random labelling (both estimated from the
session's own labels).
`;

async function readScores(path: string | undefined, flagName: string): Promise<Matrix | undefined> {
  return path === undefined ? undefined : scoresMatrix(await readNpy(path), flagName);
}

function columnIndex(table: Table, name: string, path: string): number {
  const index = table.columns.indexOf(name);
  if (index === -1) throw new FileFormatError(path, `no column "${name}" (columns: ${table.columns.join(', ')})`);
  return index;
}

async function createSession(path: string, values: OptionValues): Promise<ActiveTestingSession> {
  const dataPath = requiredString(values, 'data');
  const table = await readTable(dataPath);
  const textColumn = columnIndex(table, (values['text-column'] as string | undefined) ?? 'sentence', dataPath);
  const idName = values['id-column'] as string | undefined;
  const idColumn = idName !== undefined ? columnIndex(table, idName, dataPath) : table.columns.indexOf('id');
  const classes = requiredString(values, 'classes').split(',').map((name) => name.trim());
  const modelScores = await readScores(requiredString(values, 'model-scores'), '--model-scores');
  const loss = choiceOption(values, 'loss', Object.keys(LOSSES));
  const calibrationScores = values['calibration-scores'] as string | undefined;
  const calibrationLabels = values['calibration-labels'] as string | undefined;
  if ((calibrationScores === undefined) !== (calibrationLabels === undefined)) {
    throw new UsageError('--calibration-scores and --calibration-labels go together');
  }
  const calibration = calibrationScores === undefined ? undefined : await loadCalibrationSet(calibrationScores, calibrationLabels as string);
  const session = await ActiveTestingSession.create(path, {
    texts: table.rows.map((row) => String(row[textColumn])),
    ids: idColumn === -1 ? undefined : table.rows.map((row) => String(row[idColumn])),
    classes,
    targetScores: modelScores,
    comparisonScores: await readScores(values['comparison-scores'] as string | undefined, '--comparison-scores'),
    surrogateScores: await readScores(values['surrogate-scores'] as string | undefined, '--surrogate-scores'),
    acquisition: choiceOption(values, 'acquisition', SESSION_ACQUISITIONS),
    defensive: numberOption(values, 'defensive'),
    loss: loss === undefined ? undefined : LOSSES[loss],
    clip: numberOption(values, 'clip'),
    temperature: numberOption(values, 'temperature'),
    ...(calibration === undefined ? {} : { calibration }),
    seed: values.seed === undefined ? undefined : (integerOption(values, 'seed') as number),
  });
  const fitted = session.settings.calibration;
  if (fitted) console.log(`surrogate temperature fitted on ${fitted.rows} calibration labels: T = ${fitted.temperature.toFixed(4)}`);
  return session;
}

/** Answers by item id: a class name or index, or null for "skip". */
async function readAnswers(path: string, column: string): Promise<Map<string, string | null>> {
  const table = await readTable(path);
  const labelColumn = columnIndex(table, column, path);
  const idColumn = table.columns.indexOf('id');
  const answers = new Map<string, string | null>();
  table.rows.forEach((row, i) => {
    const answer = String(row[labelColumn]).trim();
    answers.set(idColumn === -1 ? String(i) : String(row[idColumn]), answer === 'skip' ? null : answer);
  });
  return answers;
}

/** A class given as its name, or else as its index. */
function classOf(answer: string, classes: readonly string[]): string | number {
  return classes.includes(answer) || !/^\d+$/.test(answer) ? answer : Number(answer);
}

function formatInterval(name: string, estimate: { value: number; lower: number; upper: number }): string {
  const f = (x: number) => x.toFixed(4);
  return `${name} ${f(estimate.value)}  95% interval [${f(estimate.lower)}, ${f(estimate.upper)}]`;
}

/** The running estimate in one line. */
function statusLine(estimate: SessionEstimate): string {
  if (estimate.labels === 0) return `${estimate.recorded} labels recorded; no estimate yet`;
  const halfWidth = (e: { value: number; upper: number }) => (e.upper - e.value).toFixed(3);
  return (
    `${estimate.labels} labels · accuracy ${estimate.accuracy.value.toFixed(3)} ± ${halfWidth(estimate.accuracy)}` +
    ` · risk ${estimate.risk.value.toFixed(3)} ± ${halfWidth(estimate.risk)}` +
    (estimate.skipped > 0 ? ` · ${estimate.skipped} skipped` : '')
  );
}

function summary(session: ActiveTestingSession): string {
  const estimate = session.estimate();
  const lines = [`Labels: ${estimate.labels} in the estimate (${estimate.recorded} recorded, ${estimate.skipped} skipped; the estimate covers ${estimate.poolSize} items)`];
  if (estimate.labels === 0) return lines.join('\n');
  lines.push(formatInterval(`Risk (${session.settings.loss}):`, estimate.risk), formatInterval('Accuracy:', estimate.accuracy));
  if (estimate.comparison) {
    lines.push(
      formatInterval('Comparison risk:', estimate.comparison.risk),
      formatInterval('Comparison accuracy:', estimate.comparison.accuracy),
      formatInterval('Difference in risk (target − comparison):', estimate.comparison.difference),
    );
  }
  lines.push(
    `Random labelling would need about ${estimate.equivalentRandomLabels} labels for an interval this narrow.`,
    `Variance ÷ random labelling's (est.): ${estimate.varianceRatio.toFixed(2)} (below 1: active testing is helping); verdict: ${estimate.varianceVerdict}.`,
  );
  return lines.join('\n');
}

async function labelFromAnswers(session: ActiveTestingSession, answers: Map<string, string | null>, rule: StoppingRule): Promise<number> {
  while (!session.done(rule)) {
    const [item] = await session.next();
    if (item === undefined) break;
    const answer = answers.get(item.id);
    if (answer === undefined) {
      console.error(`active-testing label: no answer for item ${item.id}; stopping (the session is saved)`);
      return 1;
    }
    if (answer === null) {
      await session.skip(item.id);
      console.log(`skipped ${item.id}`);
    } else {
      await session.record(item.id, classOf(answer, session.classes));
      console.log(`labelled ${item.id} ${answer}`);
    }
  }
  return 0;
}

/** Single keypresses from a terminal in raw mode. */
class KeyReader {
  private readonly waiting: Array<(key: string) => void> = [];
  private readonly buffered: string[] = [];
  private readonly onData = (chunk: Buffer): void => {
    for (const key of chunk.toString('utf8')) {
      const resolve = this.waiting.shift();
      if (resolve) resolve(key);
      else this.buffered.push(key);
    }
  };

  constructor(private readonly input: NodeJS.ReadStream) {
    input.setRawMode(true);
    input.on('data', this.onData);
    input.resume();
  }

  next(): Promise<string> {
    const key = this.buffered.shift();
    return key !== undefined ? Promise.resolve(key) : new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.input.off('data', this.onData);
    this.input.setRawMode(false);
    this.input.pause();
  }
}

const QUIT_KEYS = new Set(['q', '\u0003', '\u0004']);

async function labelInteractively(session: ActiveTestingSession, rule: StoppingRule): Promise<number> {
  const { classes } = session;
  if (classes.length > 9) throw new UsageError(`interactive labelling takes one key per class (at most 9 classes, here ${classes.length}); use --answers`);
  const keys = new KeyReader(process.stdin);
  const legend = [...classes.map((name, k) => `[${k + 1}] ${name}`), '[s] skip', '[u] undo', '[q] quit'].join('   ');
  let message = '';
  try {
    while (!session.done(rule)) {
      const [item] = await session.next();
      if (item === undefined) break;
      process.stdout.write(
        `\x1b[2J\x1b[H${statusLine(session.estimate())}\n${message}\n\nItem ${item.id}:\n\n  ${item.text}\n\n${legend}\n`,
      );
      const key = await keys.next();
      if (QUIT_KEYS.has(key)) break;
      const classIndex = Number(key) - 1;
      if (Number.isInteger(classIndex) && classIndex >= 0 && classIndex < classes.length) {
        await session.record(item.id, classIndex);
        message = `Labelled ${item.id}: ${classes[classIndex]}`;
      } else if (key === 's') {
        await session.skip(item.id);
        message = `Skipped ${item.id}`;
      } else if (key === 'u') {
        const estimate = session.estimate();
        if (estimate.recorded + estimate.skipped === 0) message = 'Nothing to undo';
        else {
          const undone = await session.undo();
          message = `Undid ${undone.id} (${undone.label ?? 'skip'})`;
        }
      } else {
        message = `Unknown key ${JSON.stringify(key)}`;
      }
    }
  } finally {
    keys.close();
  }
  process.stdout.write('\x1b[2J\x1b[H');
  return 0;
}

function stoppingRule(values: OptionValues): StoppingRule {
  const maxLabels = integerOption(values, 'max-labels');
  const minLabels = integerOption(values, 'min-labels');
  const targetHalfWidth = numberOption(values, 'target-half-width');
  if (maxLabels !== undefined && maxLabels < 1) throw new InputError({ argument: '--max-labels', expected: 'an integer ≥ 1', received: maxLabels });
  if (minLabels !== undefined && minLabels < 1) throw new InputError({ argument: '--min-labels', expected: 'an integer ≥ 1', received: minLabels });
  if (targetHalfWidth !== undefined && !(targetHalfWidth > 0)) throw new InputError({ argument: '--target-half-width', expected: 'a positive number', received: targetHalfWidth });
  return { maxLabels, minLabels, targetHalfWidth };
}

export const labelCommand: Command = {
  name: 'label',
  summary: 'label the items active testing proposes, with a live estimate (resumable)',
  help: HELP,
  async run(argv) {
    const values = parseOptions(argv, OPTIONS);
    const path = requiredString(values, 'session');
    const rule = stoppingRule(values);
    const answersPath = values.answers as string | undefined;
    const answers = answersPath === undefined ? undefined : await readAnswers(answersPath, (values['answer-column'] as string | undefined) ?? 'label');
    if (!answers && !process.stdin.isTTY) throw new UsageError('stdin is not a terminal: pass --answers FILE to label non-interactively');
    const creating = CREATE_OPTIONS.some((name) => values[name] !== undefined);
    let session: ActiveTestingSession;
    if (existsSync(path)) {
      if (creating) console.error(`active-testing label: ${path} exists; resuming it (pool options are ignored)`);
      session = await ActiveTestingSession.open(path, { onWarning: (message) => console.error(`warning: ${message}`) });
    } else {
      if (!creating) throw new UsageError(`${path} does not exist: give --data, --classes and --model-scores to create it`);
      session = await createSession(path, values);
    }
    try {
      const code = answers ? await labelFromAnswers(session, answers, rule) : await labelInteractively(session, rule);
      console.log(summary(session));
      return code;
    } finally {
      await session.close();
    }
  },
};
