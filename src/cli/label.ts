import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { emitKeypressEvents, type Key } from 'node:readline';
import { loadCalibrationSet } from '../calibration/load.js';
import { readTable, readTableBytes, type Table } from '../dataset/read-table.js';
import { classesByNumber, classesNamedByIntegers, wholeNumberLabel } from '../dataset/text-classification-dataset.js';
import { filePlace } from '../dataset/table.js';
import { CancelledError, FileFormatError, InputError, InterruptedError, OutputExistsError, ReceivedKind, UsageError } from '../errors.js';
import { fitTemperature } from '../calibration/temperature.js';
import { faultPause } from '../io/fault.js';
import { readNpy } from '../io/npy.js';
import { visibleText } from '../io/visible-text.js';
import { shellWord } from '../io/shell-word.js';
import { assertFolderWritable, writeFileAtomic } from '../io/atomic.js';
import { exportSessionLabels, labelsTsv } from '../session/export-labels.js';
import { type LabelsInput, type Matrix, type MatrixInput } from '../matrix.js';
import { checkSessionFolder } from '../session/folder.js';
import { SessionFileError } from '../session/errors.js';
import {
  ActiveTestingSession,
  openSessionChecked,
  sessionStoredScores,
  type SessionEstimate,
  type StoppingRule,
} from '../session/session.js';
import { checkClassNames, poolScores, type SessionOptions } from '../session/header.js';
import { splitsTsvLine } from '../io/tsv-safe.js';
import { cliFlag, cliOptionsIn, optionHelp, type CommandName } from '../options/schema.js';
import { meantHint } from '../io/suggest.js';
import { ofFileRows, scoresMatrix } from '../io/pool-files.js';
import type { IntervalEstimate } from '../session/session.js';
import { accuracyInterval, riskInterval, type IntervalShown } from '../serve/interval.js';
import {
  ACCURACY_RANGE,
  coveredItems,
  decimals,
  differenceRange,
  intervalEnds,
  progress,
  riskRange,
  shownEstimate,
  type ValueRange,
} from '../serve/estimate-display.js';
import type { Command } from './command.js';
import { afterPoll, stopIfAborted, withInterrupts } from './interrupt.js';
import { closeTerminalsAtExit } from './signals.js';
import { commandNaming, warningNamedBy } from './naming.js';
import {
  exportLabelStudio,
  type Answer as LabelStudioAnswer,
  labelStudioConfig,
  readLabelStudioAnswers,
  recordLabelStudioAnswers,
} from './label-studio.js';
import {
  CALIBRATION_FILE_FLAGS,
  checkFlagNames,
  checkRequired,
  checkSurrogateGiven,
  commandFlags,
  commandValues,
  parseOptions,
  required,
  schemaValues,
  type OptionSpecs,
} from './options.js';
import { formatCount } from '../io/format-count.js';
import { stopCause } from '../stopping.js';

/**
 * Every flag of `label`: the schema's session options and the command's own, plus where
 * `labelArgs` puts the file of `--export label-studio FILE` / `--import label-studio FILE` (not
 * flags of their own: the command line is checked against the others first).
 */
export const LABEL_FLAGS: OptionSpecs = {
  ...commandFlags('label'),
  'export-file': { type: 'string' },
  'import-file': { type: 'string' },
};

/** The options that create a session (the pool options), by their TypeScript names. */
export const CREATE_OPTIONS = [
  'data',
  'textColumn',
  'idColumn',
  'classes',
  'calibrationScores',
  'calibrationLabels',
  ...cliOptionsIn('session').map((d) => d.name),
];

const help = (context: 'session' | 'label', names?: readonly string[]) => optionHelp(context, 29, names).join('\n');

const HELP = `Usage: active-testing label --session FILE [--answers FILE] [stopping options]
       active-testing label --session FILE --export label-studio tasks.json [--max-labels N]
       active-testing label --session FILE --import label-studio export.json
       active-testing label --session FILE --data pool.tsv --classes a,b --model-scores f.npy
                            [--surrogate-scores g.npy] [pool options]   (creates FILE)
       active-testing label --session FILE --export-labels labels.tsv
       active-testing label --session FILE --estimate

Labels the items active testing proposes and shows the estimated risk and accuracy with 95%
intervals as labels come in. Every label is on disk before the next item is shown: quit at any
time (q, or Ctrl-C) and run the same command again to resume where you stopped.

Keys: 1-9 label the item with that class, s skip it (it leaves the pool), u undo the last label,
q quit.

Options:
  -h, --help                 this help
${help('label', ['session', 'answers', 'answerColumn', 'export', 'import', 'maxLabels', 'targetHalfWidth', 'minLabels', 'exportLabels', 'estimate'])}

Pool options (creating a session):
${help('label', ['data', 'textColumn', 'idColumn', 'classes'])}
${help('session')}
${help('label', ['calibrationScores', 'calibrationLabels'])}
  The surrogate temperature fitted on the calibration set is stored in the session.

At the end it prints the estimate, its interval, and how many random labels would have given
the same variance (the approximate bootstrap's, not the intervals' width) and the variance ratio
to random labelling (both estimated from the session's own labels).

Exit codes: 0 done or quit (q or Ctrl-C at a prompt; every label is already saved), 1 bad input,
a failure or an answers file without an answer for a proposed item, 2 usage error, 130 stopped
by SIGINT (143: SIGTERM; 129: SIGHUP, its terminal closed; every label saved, the lock released).`;

async function readScores(path: string | undefined, flagName: string): Promise<Matrix | undefined> {
  if (path === undefined) return undefined;
  const array = await readNpy(path, flagName);
  return ofFileRows(path, flagName, () => scoresMatrix(array, flagName));
}

/**
 * The index of the column `flag` chooses. Its refusal names the flag: the name may be its default
 * ("sentence"), found nowhere on the command line, and the flag is what to pass instead. `whose`,
 * told after the column's name, says where a name that no flag gave came from.
 */
function columnIndex(table: Table, name: string, path: string, flag: string, whose = ''): number {
  const index = table.columns.indexOf(name);
  if (index === -1)
    throw new FileFormatError(
      path,
      `no column "${name}"${whose} (columns: ${table.columns.join(', ')})${meantHint(name, table.columns, (column) => JSON.stringify(column))}`,
      flag,
    );
  return index;
}

/** Where a table's row is in its file: its line (a header line, then one row a line, where the table does not say), or a Parquet file's row. */
function placeOf(table: Table, row: number): string {
  return filePlace(table, row) ?? `line ${row + 2}`;
}

/** A refused cell of a data file, told with its line and column. */
function cellError(table: Table, row: number, column: number, path: string, expected: string, value: unknown): FileFormatError {
  return new FileFormatError(
    path,
    `${placeOf(table, row)}, column ${JSON.stringify(table.columns[column])}: expected ${expected}, got ${JSON.stringify(value ?? null)}`,
  );
}

/**
 * A pool row's text: a JSON Lines row without the text column (or with null) would otherwise
 * become the text "undefined" (or "null") in the session.
 */
function poolText(table: Table, row: number, column: number, path: string): string {
  const value = table.rows[row]?.[column];
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw cellError(table, row, column, path, 'a non-empty text', value);
}

/**
 * A pool row's id: a non-empty string or a number, not a missing value read as "undefined", and
 * without a tab or line break, which would split its line in `--export-labels`'s TSV (the file
 * that feeds `--answers`) and in the `labelled <id>` lines.
 */
function poolId(table: Table, row: number, column: number, path: string): string {
  const value = table.rows[row]?.[column];
  if ((typeof value === 'string' && value !== '' && !splitsTsvLine(value)) || (typeof value === 'number' && Number.isFinite(value)))
    return String(value);
  throw cellError(table, row, column, path, 'a non-empty item id without tabs or line breaks', value);
}

/** Refuses a repeated id with both of its lines: the session's own check could only give a row number. */
function checkUniqueIds(ids: readonly string[], table: Table, column: number, path: string): void {
  const first = new Map<string, number>();
  ids.forEach((id, row) => {
    const seen = first.get(id);
    if (seen === undefined) return void first.set(id, row);
    throw new FileFormatError(
      path,
      `${placeOf(table, row)}, column ${JSON.stringify(table.columns[column])}: item id ${JSON.stringify(id)} is also on ${placeOf(table, seen)}; ids must be unique`,
    );
  });
}

/** A pool's item ids and classes, for checking what will be recorded in it before anything is. */
interface PoolNames {
  ids: readonly string[];
  classes: readonly string[];
  texts: readonly string[];
  /**
   * The pool file's column of ids (`--id-column`, given now or stored when the session was
   * created), which names the answers' ids too, before their `id` column; undefined when none is known.
   */
  idColumn: string | undefined;
  /** Whether answers without an `id` column must hold `idColumn`, rather than go by row: it was given on the command line. */
  requiredInAnswers: boolean;
}

/** The pool of `--data` as `readPool` reads it; `idColumn` the column its ids are in, undefined when they are the row numbers. */
interface Pool {
  texts: string[];
  ids: string[] | undefined;
  idColumn: string | undefined;
  hasLabels: boolean;
}

/**
 * The column of a pool file that `evaluate` reads the labels from by default, and `--answers` its
 * answers: a pool file with it holds known labels, which a session does not read.
 */
const POOL_LABEL_COLUMN = 'label';

/**
 * The pool's texts and ids as `--data`, `--text-column` and `--id-column` give them (ids undefined:
 * row numbers), and whether the file has a label column besides them. A refusal of the file that
 * no column option names is told after `--data`. `storedIn`, when the id column is not the one
 * given but the one a session stores: that session's path, which a file without the column is
 * told against, after `--data` (no `--id-column` was given).
 */
function readPool(given: Record<string, unknown>, storedIn?: string): Promise<Pool> {
  return namingFlag('--data', readPoolFile(given, storedIn));
}

async function readPoolFile(given: Record<string, unknown>, storedIn: string | undefined): Promise<Pool> {
  const dataPath = required<string>(given, 'data');
  const table = await readTable(dataPath);
  // Before the columns: an empty JSON Lines file has none, and a header-only table would otherwise
  // reach the session as an empty list of texts, refused without the file's name.
  if (table.rows.length === 0) {
    throw new FileFormatError(dataPath, 'holds no items; expected one row per item of the pool, one per row of --model-scores');
  }
  const textColumn = columnIndex(table, (given.textColumn as string | undefined) ?? 'sentence', dataPath, '--text-column');
  const idName = given.idColumn as string | undefined;
  const idColumn =
    idName === undefined
      ? table.columns.indexOf('id')
      : columnIndex(
          table,
          idName,
          dataPath,
          storedIn === undefined ? '--id-column' : '--data',
          storedIn && `, the id column ${storedIn} was created with`,
        );
  const texts = table.rows.map((_, i) => poolText(table, i, textColumn, dataPath));
  const ids = idColumn === -1 ? undefined : table.rows.map((_, i) => poolId(table, i, idColumn, dataPath));
  if (ids !== undefined) checkUniqueIds(ids, table, idColumn, dataPath);
  const labelColumn = table.columns.indexOf(POOL_LABEL_COLUMN);
  return {
    texts,
    ids,
    idColumn: ids === undefined ? undefined : table.columns[idColumn],
    hasLabels: labelColumn !== -1 && labelColumn !== textColumn && labelColumn !== idColumn,
  };
}

/**
 * Says on stderr, in one line, that the pool file's label column is not read: the annotators give
 * a session its labels, so a user who expected the known labels to be used (as `evaluate` uses
 * them) learns that they are not, and how to label the session from them (`--answers` reads the
 * same column). Not said when `label` is given `--answers`: the labels then come from that file.
 */
function noteUnreadLabels(given: Record<string, unknown>, command: string): void {
  if (given.answers !== undefined) return;
  const data = given.data as string;
  const column = JSON.stringify(POOL_LABEL_COLUMN);
  const rerun = `active-testing label --session ${shellWord(given.session as string)} --answers ${shellWord(data)}`;
  // `label` takes --answers itself, but not with --export or --import; `serve` holds the session's lock while it runs.
  const exchanging = given.export !== undefined || given.import !== undefined;
  const how =
    command !== 'label' ? `after stopping the server, run ${rerun}` : exchanging ? `run ${rerun}` : `pass --answers ${shellWord(data)}`;
  console.error(
    `warning: ${data} has a ${column} column, which a session does not read (the annotators give its labels); to label the session from it, ${how}`,
  );
}

/**
 * The calibration set of `--calibration-scores` and `--calibration-labels`, which go together, its
 * scores checked to have `classCount` columns; undefined without them.
 */
async function readCalibration(
  given: Record<string, unknown>,
  classCount: number,
): Promise<{ scores: MatrixInput; labels: LabelsInput } | undefined> {
  const calibrationScores = given.calibrationScores as string | undefined;
  const calibrationLabels = given.calibrationLabels as string | undefined;
  if ((calibrationScores === undefined) !== (calibrationLabels === undefined)) {
    throw new UsageError('--calibration-scores and --calibration-labels go together');
  }
  return calibrationScores === undefined
    ? undefined
    : loadCalibrationSet(calibrationScores, calibrationLabels as string, CALIBRATION_FILE_FLAGS, classCount);
}

async function createSession(
  path: string,
  given: Record<string, unknown>,
  command: CommandName,
  check: (pool: PoolNames) => void,
): Promise<ActiveTestingSession> {
  // All that is missing in one line, before the pool is read.
  checkRequired(given, ['data', 'classes', 'modelScores']);
  // A class the session would refuse, before the pool, the scores and the answers are read.
  checkClassNames(given.classes as string[]);
  await checkSessionFolder(path, '--session');
  const { texts, ids, idColumn, hasLabels } = await readPool(given);
  const classes = given.classes as string[];
  const options = schemaValues(given, 'session') as Partial<SessionOptions> & {
    modelScores?: string;
    comparisonScores?: string;
    surrogateScores?: string;
  };
  // The scores against the pool first: the calibration set is checked against the classes next, and
  // a wrong class count (in --classes or in the scores) is then named where it is.
  const modelScores = poolScores(
    await readScores(given.modelScores as string, '--model-scores'),
    'modelScores',
    texts.length,
    classes.length,
  );
  const calibration = await readCalibration(given, classes.length);
  const comparisonScores = await readScores(options.comparisonScores, '--comparison-scores');
  const surrogateScores = await readScores(options.surrogateScores, '--surrogate-scores');
  check({ ids: ids ?? texts.map((_, i) => String(i)), classes, texts, idColumn, requiredInAnswers: given.idColumn !== undefined });
  const session = await ActiveTestingSession.create(path, {
    ...options,
    texts,
    ids,
    // Stored, so that answers keyed by it are read by it when the session is resumed without --data.
    idColumn,
    classes,
    modelScores,
    comparisonScores,
    surrogateScores,
    ...(calibration === undefined ? {} : { calibration }),
    onWarning: (message) => console.error(`warning: ${warningNamedBy(message, commandNaming(command))}`),
  });
  const fitted = session.settings.calibration;
  if (fitted)
    console.log(`surrogate temperature fitted on ${formatCount(fitted.rows, 'calibration label')}: T = ${fitted.temperature.toFixed(4)}`);
  if (hasLabels) noteUnreadLabels(given, command);
  return session;
}

/** The settings `label` and `serve` take as flags, as the session file stores them. */
const STORED_SETTINGS = ['acquisition', 'loss', 'clip', 'temperature', 'defensive', 'plannedLabels', 'seed'] as const;

/** The scores' flags and the header fields that store them. */
const STORED_SCORES = [
  ['modelScores', 'targetScores'],
  ['surrogateScores', 'surrogateScores'],
  ['comparisonScores', 'comparisonScores'],
] as const;

function sameMatrix(a: Matrix | undefined, b: Matrix): boolean {
  return a !== undefined && a.rows === b.rows && a.cols === b.cols && a.data.every((x, i) => Object.is(x, b.data[i]));
}

/**
 * Refuses pool options, given to resume a session that exists, that differ from those the session
 * was created with. The session keeps its own pool, scores and settings (they are in its file), so
 * going on would estimate something other than what the command asks for: another model's scores,
 * another loss or seed. The options it was created with, given again, resume it.
 *
 * @throws {InputError} naming the first flag whose value differs from the file's.
 */
async function checkResumeOptions(
  path: string,
  session: ActiveTestingSession,
  given: Record<string, unknown>,
  command: CommandName,
): Promise<void> {
  const refuse = (name: string, stored: string, received: unknown): never => {
    const flag = cliFlag(name);
    throw new InputError({
      argument: flag,
      expected:
        `${stored}, as ${path} was created with (a session keeps its pool and settings: leave ${flag} out to resume it, ` +
        'or give another --session to start a new one)',
      received,
    });
  };
  for (const name of STORED_SETTINGS) {
    // iid ignores the clip (its file records 0): the clip it was created with resumes it, as any other.
    if (name === 'clip' && session.settings.acquisition === 'iid') continue;
    const stored = session.settings[name] ?? null;
    // A plan above the pool was stored as the pool size: the same plan given again resumes it.
    const value = name === 'plannedLabels' && typeof given[name] === 'number' ? Math.min(given[name], session.ids.length) : given[name];
    if (value !== undefined && value !== stored) refuse(name, stored === null ? 'none' : JSON.stringify(stored), given[name]);
  }
  const classes = given.classes as string[] | undefined;
  if (classes !== undefined && classes.join(',') !== session.classes.join(','))
    refuse('classes', `the classes ${session.classes.join(',')}`, classes.join(','));
  const idColumn = resumedIdColumn(session, given);
  const storedIdColumn = session.settings.idColumn;
  // A session that stores no column (its pool numbered by row, or written before the column was
  // stored: the two cannot be told apart) takes the one given, which names the answers' ids; they
  // must hold it (`requiredInAnswers`) and are checked against the pool's. Given with neither
  // --data nor --answers, it would name nothing.
  if (storedIdColumn === undefined && given.idColumn !== undefined && given.data === undefined && given.answers === undefined)
    throw new UsageError(
      `--id-column: ${path} stores no id column, and no pool file (--data)${command === 'label' ? ' or answers (--answers) are' : ' is'} given to read one from: leave --id-column out`,
    );
  if (storedIdColumn !== undefined && idColumn !== storedIdColumn)
    refuse('idColumn', `the column ${JSON.stringify(storedIdColumn)}`, idColumn);
  if (['data', 'textColumn'].some((name) => given[name] !== undefined)) {
    const { texts, ids } = await readPool(
      { ...given, idColumn },
      given.idColumn === undefined && idColumn !== undefined ? path : undefined,
    );
    const rowIds = ids ?? texts.map((_, i) => String(i));
    const row = texts.findIndex((text, i) => text !== session.texts[i] || rowIds[i] !== session.ids[i]);
    if (texts.length !== session.texts.length || row !== -1) {
      const what = texts.length !== session.texts.length ? formatCount(texts.length, 'item') : `another id or text at row ${row}`;
      refuse('data', `the pool of ${formatCount(session.texts.length, 'item')} (ids and texts)`, `${given.data as string}: ${what}`);
    }
  }
  const storedScores = sessionStoredScores(session);
  for (const [name, field] of STORED_SCORES) {
    if (given[name] === undefined) continue;
    const scores = (await readScores(given[name] as string, cliFlag(name))) as Matrix;
    const stored = storedScores[field];
    if (!sameMatrix(stored, scores))
      refuse(
        name,
        stored === undefined ? 'no scores (the session was created without them)' : 'the scores stored in the session file',
        stored === undefined ? given[name] : ReceivedKind.noted(given[name], 'other scores'),
      );
  }
  const calibration = await readCalibration(given, session.classes.length);
  if (calibration !== undefined) {
    const stored = session.settings.calibration ?? null;
    const fitted = fitTemperature(calibration.scores, calibration.labels).temperature;
    if (stored === null || stored.temperature !== fitted)
      refuse(
        'calibrationScores',
        stored === null ? 'no calibration set' : `the calibration set the surrogate temperature ${stored.temperature} was fitted on`,
        `a set giving temperature ${fitted}`,
      );
  }
}

/** The id column of the pool of a resumed session: the one given, or else the one it stores. */
function resumedIdColumn(session: ActiveTestingSession, given: Record<string, unknown>): string | undefined {
  return (given.idColumn as string | undefined) ?? session.settings.idColumn;
}

/**
 * An `--answers` file as read, its answers in `labelColumn`: which column holds their ids depends on
 * the pool's id column, known once the session is opened or its pool read (`answersById`).
 */
interface AnswersFile {
  path: string;
  table: Table;
  labelColumn: number;
}

/** The answers of an `--answers` file by item id: a class name or index, or null for "skip", and the file and line it is on. */
interface Answers {
  path: string;
  byId: Map<string, { answer: string | null; place: string }>;
  /** Going by row, the first column named as for ids that holds other than the row numbers: see `refuseUnreadIdColumn`. */
  unreadIdColumn: UnreadIdColumn | null;
  /** Whether they go to items by row: the file has neither an `id` column nor the pool's id column. */
  byRow: boolean;
  /** The file's columns. */
  columns: readonly string[];
}

/** A column of an answers file named as for ids, where it first holds other than its row's number, and the file's columns. */
interface UnreadIdColumn {
  name: string;
  row: number;
  place: string;
  value: string;
  columns: string[][];
}

/** `reading`, a file's read; its refusal of the file (one it cannot read or parse) is told after `flag`, the option that names the file. */
async function namingFlag<T>(flag: string, reading: Promise<T>): Promise<T> {
  try {
    return await reading;
  } catch (error) {
    if (error instanceof FileFormatError && error.argument === undefined) {
      throw new FileFormatError(error.path, error.reason, flag, { cause: error });
    }
    throw error;
  }
}

/** How errors name the answers of `--answers -`, read from stdin. */
const STDIN_ANSWERS = 'stdin';

/** The file of `--answers` (`given`: a path, or `-` for stdin), its labels in `column`. */
async function readAnswers(given: string, column: string): Promise<AnswersFile> {
  const path = given === '-' ? STDIN_ANSWERS : given;
  const table = await namingFlag('--answers', given === '-' ? readStdinTable() : readTable(given));
  return { path, table, labelColumn: columnIndex(table, column, path, '--answer-column') };
}

/**
 * The answers of an `--answers` file by id: their ids in the pool's id column (`--id-column`, given
 * now or stored by the session), or else in the column `id`, or else by row (`refuseByRow` says
 * where that is refused). The pool's column first: the pool file itself, passed as the answers, may
 * hold an `id` column besides the one its ids were read from.
 */
function answersById({ path, table, labelColumn }: AnswersFile, poolIdColumn: string | undefined): Answers {
  const pools = poolIdColumn === undefined ? -1 : table.columns.indexOf(poolIdColumn);
  const idColumn = pools !== -1 ? pools : table.columns.indexOf('id');
  const byId = new Map<string, { answer: string | null; place: string }>();
  table.rows.forEach((row, i) => {
    // Kept untrimmed: `classOf` matches a class name exactly before it trims the answer.
    const answer = String(row[labelColumn]);
    const id = idColumn === -1 ? String(i) : String(row[idColumn]);
    const place = placeOf(table, i);
    if (byId.has(id))
      throw new FileFormatError(path, `${place}: a second answer for item id "${id}" (--answers takes one answer per item)`);
    byId.set(id, { answer: answer.trim() === 'skip' ? null : answer, place });
  });
  return {
    path,
    byId,
    unreadIdColumn: idColumn === -1 ? unreadIdColumn(table, labelColumn) : null,
    byRow: idColumn === -1,
    columns: table.columns,
  };
}

/**
 * The table piped to stdin, for `--answers -`, its format told by its text (`readTableBytes`).
 * Refused on a terminal, where a read would wait for an end of file nobody means to type.
 */
async function readStdinTable(): Promise<Table> {
  if (process.stdin.isTTY) throw new UsageError('--answers -: stdin is a terminal; pipe the answers in (--answers - < answers.tsv)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return readTableBytes(Buffer.concat(chunks), STDIN_ANSWERS);
}

/** Column names (in lower case) that read as holding item ids, besides `id` itself. */
const ID_LIKE_NAMES = ['id', 'idx', 'ids', 'index', 'item_id', 'itemid', 'item-id'];

/**
 * The names (in lower case) pandas' index has in a file: `to_csv` writes it (unless `index=False`)
 * as the first column under no name, and a frame read back holds it as `Unnamed: 0`; a filtered or
 * sorted frame's index names its rows. An unnamed column elsewhere, or one with empty cells, is a
 * trailing delimiter's.
 */
const PANDAS_INDEX_NAMES = ['', 'unnamed: 0'];

function readsAsIds(table: Table, column: number): boolean {
  const name = (table.columns[column] as string).trim().toLowerCase();
  if (ID_LIKE_NAMES.includes(name)) return true;
  return PANDAS_INDEX_NAMES.includes(name) && column === 0 && table.rows.every((cells) => String(cells[column] ?? '').trim() !== '');
}

/** The first column named as for ids (`ID_LIKE_NAMES`, or pandas' index) that holds other than the row numbers, or null. */
function unreadIdColumn(table: Table, labelColumn: number): UnreadIdColumn | null {
  for (const [column, name] of table.columns.entries()) {
    if (column === labelColumn || !readsAsIds(table, column)) continue;
    const row = table.rows.findIndex((cells, i) => String(cells[column]).trim() !== String(i));
    if (row === -1) continue;
    const columns = table.columns.map((_, c) => table.rows.map((cells) => String(cells[c])));
    return { name, row, place: placeOf(table, row), value: String(table.rows[row]?.[column]), columns };
  }
  return null;
}

/**
 * Without an id column, answers go to items by their row: a column that reads as holding the ids
 * under another name (`idx`, `ID`) would go unread, and its answers to other items than it names.
 * Refused unless the file lists the pool's items row for row (a column of it holds the pool's
 * texts in order, as the pool file itself does, whatever its `idx` holds) in a pool whose ids are
 * the row numbers, naming the first line
 * where that column is not the row number: whether its values name the pool's items cannot be
 * told from the values alone (one mistyped id among them would hide it).
 */
function refuseUnreadIdColumn({ path, unreadIdColumn: unread }: Answers, { texts }: PoolNames): void {
  // In a pool numbered by row: `refuseByRow` has refused answers by row in any other.
  if (unread === null || unread.columns.some((values) => values.length === texts.length && values.every((value, i) => value === texts[i])))
    return;
  throw new FileFormatError(
    path,
    `${unread.place}: no "id" column, so answers go to items by row, but ${unread.name.trim() === '' ? "the unnamed column (pandas' index, which to_csv writes unless index=False)" : `column ${JSON.stringify(unread.name)}`} reads ${JSON.stringify(unread.value)} here, not the row number ${unread.row}: name it id if it holds the item ids, or remove it (--answers)`,
  );
}

/** Whether a pool's ids are its row numbers: row i of a file answered by row answers the item whose id is "i". */
function numberedByRow(ids: readonly string[]): boolean {
  return ids.every((id, i) => id === String(i));
}

/**
 * Refuses answers that would go to items by row where that is not what they mean: the user named
 * the column of their ids (`--id-column`), or the pool's ids are not its row numbers, so that row
 * i would answer whichever item has the id "i" (a pool keyed by shuffled numbers) or none.
 */
function refuseByRow({ path, byRow, columns }: Answers, { ids, idColumn, requiredInAnswers }: PoolNames): void {
  if (!byRow) return;
  const named = idColumn === undefined || idColumn === 'id' ? 'no column "id"' : `no column "id" or ${JSON.stringify(idColumn)}`;
  const found = `${named} (columns: ${columns.join(', ')})`;
  if (requiredInAnswers)
    throw new FileFormatError(
      path,
      `${found}, and the --id-column given names the answers' ids: add that column, naming each answer's item (--answers)`,
    );
  if (!numberedByRow(ids))
    throw new FileFormatError(
      path,
      `${found}: answers go to items by row only in a pool numbered by row, and this pool's items have ids of their own (${JSON.stringify(ids[0])}, …): add a column naming each answer's item${idColumn === undefined ? ', or name the one that does with --id-column' : ''} (--answers)`,
    );
}

/**
 * Without an id column, answers go to items by their row: the readers pass over blank lines, so
 * one left between two answers (an item the annotator did not answer) would move every later
 * answer onto the next item. Refused, naming the line after it.
 */
function refuseBlankLinesBetweenRows(table: Table, path: string): void {
  const lines = table.origin?.lines ?? [];
  for (let i = 1; i < lines.length; i++) {
    if ((lines[i] as number) > (lines[i - 1] as number) + 1)
      throw new FileFormatError(
        path,
        `line ${lines[i]}: a blank line before it; without an id column answers go to items by their row, so it would move every later answer to another item: remove it, write skip, or add an id column (--answers)`,
      );
  }
}

/**
 * The answers of `file` by the pool's ids, refusing, before the session is created or anything
 * recorded, an answer for an item the pool does not have or one that is neither a class (name or
 * index) nor `skip`.
 */
function checkedAnswers(file: AnswersFile, pool: PoolNames): Answers {
  const { ids, classes } = pool;
  const answers = answersById(file, pool.idColumn);
  const { path, byId } = answers;
  // The reason they cannot go by row at all first: the others would ask for fixes that lead to it.
  refuseByRow(answers, pool);
  refuseUnreadIdColumn(answers, pool);
  if (answers.byRow) refuseBlankLinesBetweenRows(file.table, path);
  const known = new Set(ids);
  for (const [id, { answer, place }] of byId) {
    if (!known.has(id)) throw new FileFormatError(path, `${place}: item id ${JSON.stringify(id)} is not in the pool (--answers)`);
    if (answer === null) continue;
    const index = classOf(answer, classes);
    if (typeof index === 'number' ? index >= classes.length : !classes.includes(index)) {
      throw new FileFormatError(
        path,
        `${place}: answer ${JSON.stringify(answer)} is not a class (${classes.join(', ')})${classesNamedByIntegers(classes) ? ' or skip (--answers; integer answers are class names here, not indices)' : `, an index in [0, ${classes.length - 1}] or skip (--answers)`}${meantHint(answer, classes)}`,
      );
    }
  }
  return answers;
}

/**
 * A class given as its exact name, or else, with the spaces around it left out, as its name (in any
 * case, as the data files' labels are read, unless two classes differ only in case) or its index
 * (a whole number, `1` or `1.0` as pandas writes a float column). The exact name first: with classes " a" and "a", the answer " a" that `--export-labels` writes
 * is " a". When a class is named by an integer (star ratings 1–5), an answer is a name only: as an
 * index, "0" would be class "1" while "1" is class "1" too.
 */
function classOf(given: string, classes: readonly string[]): string | number {
  if (classes.includes(given)) return given;
  const answer = given.trim();
  if (classes.includes(answer)) return answer;
  const sameLetters = classes.filter((name) => name.toLowerCase() === answer.toLowerCase());
  if (sameLetters.length === 1) return sameLetters[0] as string;
  if (!classesNamedByIntegers(classes)) return wholeNumberLabel(answer) ?? answer;
  const index = classesByNumber(classes).get(wholeNumberLabel(answer) ?? -1);
  return index === undefined ? answer : (classes[index] as string);
}

/**
 * A quantity's estimate and intervals for the closing summary, as the running line shows them: the
 * estimate moved into `range` (the values the quantity can take) with LURE's own estimate in
 * parentheses where the two differ, and each interval cut to `range`.
 */
function formatInterval(name: string, estimate: IntervalEstimate, range: ValueRange, what: string, labels: number): string {
  const sequence = estimate.anytime ? `  anytime-valid 95% ${intervalEnds(estimate.anytime, range, labels)}` : '';
  const budget = estimate.fixed ? `  fixed-budget 95% ${intervalEnds(estimate.fixed, range, labels)}` : '';
  return `${name} ${valueWithin(estimate.value, range, what)}${sequence}${budget}  bootstrap (approximate) 95% interval ${intervalEnds(estimate.bootstrap, range, labels)}`;
}

/** An estimate moved into `range`, followed in parentheses by the estimate itself where the two differ. */
function valueWithin(value: number, range: ValueRange, what: string): string {
  const { text, note } = shownEstimate(value, range, what);
  return note === '' ? text : `${text} (est. ${decimals(value)})`;
}

/**
 * The running estimate in one line, as the browser page shows it (`estimate-display`): each
 * quantity's estimate moved into the values it can take, followed in parentheses by LURE's own
 * estimate where the two differ (`accuracy 0.0000 (est. -2.5210)`: with few labels an unbiased
 * estimate can lie outside the range), then its 95% interval cut to that range, the anytime-valid
 * confidence sequence where the session has one (`anytime 95%`), else the bootstrap interval
 * (`approx. 95%`). The interval's ends, not estimate ± a half-width: the sequence is not centred
 * on the estimate.
 */
function statusLine(estimate: SessionEstimate, loss: string): string {
  if (estimate.labels === 0) return `${formatCount(estimate.recorded, 'label')} recorded; no estimate yet`;
  const quantity = (name: string, of: IntervalEstimate, shown: IntervalShown, range: ValueRange, what: string) =>
    `${name} ${valueWithin(of.value, range, what)} ${of.anytime ? 'anytime 95%' : 'approx. 95%'} ${intervalEnds(shown, range, estimate.labels)}`;
  return (
    `${formatCount(estimate.labels, 'label')} · ${quantity('accuracy', estimate.accuracy, accuracyInterval(estimate), ACCURACY_RANGE, 'an accuracy')}` +
    ` · ${quantity('risk', estimate.risk, riskInterval(estimate), riskRange(loss), `the ${loss} risk`)}` +
    (estimate.skipped > 0 ? ` · ${estimate.skipped} skipped` : '')
  );
}

/**
 * How many random labels would give the same variance, or that the labels cannot say
 * (`equivalentRandomLabels` is NaN). The approximate bootstrap's variance, not the width of the
 * anytime or fixed-budget interval printed above it: said so, lest it be read as theirs.
 */
function equivalentRandomText(labels: number): string {
  return Number.isFinite(labels)
    ? `Random labelling would need about ${formatCount(labels, 'label')} for the same variance (the approximate bootstrap's).`
    : "Random labels for the same variance (the approximate bootstrap's): – (not estimable from these labels).";
}

/** The ratio, or why there is none: random labelling's variance is 0 once every item is labelled, and 0/0 when the labels so far all cost the same. */
function varianceRatioText(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)} (below 1 favours active testing)` : '– (not estimable from these labels)';
}

/**
 * What each interval of the summary promises. The fixed-budget one sits beside the others with the
 * same "95%", yet it holds only for a label count chosen before labelling, which a stop on the
 * width or a quit partway is not.
 */
const INTERVAL_GUARANTEES =
  'The anytime-valid intervals hold however and whenever you stopped; the fixed-budget ones only if this label count was chosen before labelling (not a stop on --target-half-width or a quit partway); the bootstrap is an approximation with no guarantee.';

function summary(session: ActiveTestingSession): string {
  const estimate = session.estimate();
  const lines = [
    `Labels: ${estimate.labels} in the estimate (${estimate.recorded} recorded); the estimate covers ${coveredItems(estimate.poolSize, estimate.skipped)}`,
  ];
  if (estimate.labels === 0) return lines.join('\n');
  const loss = session.settings.loss;
  lines.push(
    formatInterval(`Risk (${loss}):`, estimate.risk, riskRange(loss), `the ${loss} risk`, estimate.labels),
    formatInterval('Accuracy:', estimate.accuracy, ACCURACY_RANGE, 'an accuracy', estimate.labels),
  );
  const outside = riskInterval(estimate).note ?? accuracyInterval(estimate).note;
  if (outside !== undefined) lines.push(outside);
  if (estimate.comparison) {
    lines.push(
      formatInterval('Comparison risk:', estimate.comparison.risk, riskRange(loss), `the ${loss} risk`, estimate.labels),
      formatInterval('Comparison accuracy:', estimate.comparison.accuracy, ACCURACY_RANGE, 'an accuracy', estimate.labels),
      formatInterval(
        'Difference in risk (target − comparison):',
        estimate.comparison.difference,
        differenceRange(riskRange(loss)),
        'a difference',
        estimate.labels,
      ),
    );
  }
  // After every interval line, the comparison's too: it speaks of all of them.
  if (estimate.risk.anytime !== undefined) lines.push(INTERVAL_GUARANTEES);
  lines.push(
    equivalentRandomText(estimate.equivalentRandomLabels),
    `Variance ÷ random labelling's (est.): ${varianceRatioText(estimate.varianceRatio)}; verdict: ${estimate.varianceVerdict}.`,
  );
  return lines.join('\n');
}

/**
 * Labels the session from `answers` until the rule stops it, the pool is used up or an item has no
 * answer (exit code 1). Between two labels it lets the event loop run and stops once `signal` is
 * aborted: an item's proposal and label are journaled without a wait between them, each record
 * written whole and synchronously, so a signal is handled only once the label in flight is on disk
 * and its `labelled` line printed, and the journal never ends in half a record.
 *
 * @throws CancelledError when `signal` is aborted.
 */
async function labelFromAnswers(session: ActiveTestingSession, answers: Answers, rule: StoppingRule, signal: AbortSignal): Promise<number> {
  for (;;) {
    // Without this wait the loop would run on promises that are already resolved, and a signal
    // handler would run only once the whole file was labelled (or, come during the session's
    // read, after its first label).
    await afterPoll();
    // A run whose last label met its rule is finished, a signal during that label or not.
    if (session.done(rule)) break;
    if (signal.aborted) throw new CancelledError('labelling stopped');
    const [item] = await session.next();
    if (item === undefined) break;
    const answer = answers.byId.get(item.id)?.answer;
    if (answer === undefined) {
      const id = visibleText(item.id);
      console.error(
        `active-testing label: no answer for item ${id}; stopping (the session is saved): add a row for ${id} to ` +
          `${answers.path === STDIN_ANSWERS ? 'the answers' : visibleText(answers.path)} and run again, or label it interactively (without --answers)`,
      );
      return 1;
    }
    if (answer === null) {
      await session.skip(item.id);
      console.log(`skipped ${visibleText(item.id)}`);
    } else {
      const label = classOf(answer, session.classes);
      await session.record(item.id, label);
      console.log(`labelled ${visibleText(item.id)} ${visibleText(typeof label === 'number' ? session.classes[label] : label)}`);
    }
  }
  return 0;
}

/** What `KeyReader` gives for a paste: one key standing for the whole pasted text, which labels nothing. */
const PASTE = 'paste';

/**
 * What `KeyReader` gives once its terminal has closed: a raw-mode terminal reads no end of input
 * (Ctrl-D is a key) unless it is gone.
 */
const CLOSED = 'closed';

/**
 * Single keypresses from a terminal in raw mode, as Node's readline parses them: an escape sequence
 * (a function, arrow or editing key, also with Alt or Meta sent as a leading ESC, also when it
 * arrives over several reads) is one key, given as its whole sequence, so that the digits inside
 * one (F5 sends `ESC [ 1 5 ~`, Home `ESC [ 1 ~`) are never read as class keys. Any other key is its
 * character; Ctrl-C and Ctrl-D are `\u0003` and `\u0004` also when an escape sequence left open
 * takes them in (`ESC [` then Ctrl-C). The terminal is asked to mark pastes (bracketed paste), and a
 * paste is one key, `PASTE`: pasted digits would otherwise label one item after another, unseen.
 * Once the terminal has closed, every key is `CLOSED`.
 */
class KeyReader {
  /** Who waits for the next key: a key pressed while nobody waits (before an item is shown) is dropped. */
  private waiting: ((key: string) => void) | null = null;
  private pasting = false;
  private ended = false;
  /**
   * A closed terminal refuses its modes (EIO, from `setRawMode`): there is nothing left to restore,
   * and no key will come, as when its input ends. It may close before the first key is asked for.
   */
  private readonly onError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EIO') throw error;
    this.onEnd();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.(CLOSED);
  };
  private readonly onKeypress = (text: string | undefined, key: Key | undefined): void => {
    if (key?.name === 'paste-end') {
      this.pasting = false;
      return;
    }
    if (this.pasting) return;
    if (key?.name === 'paste-start') this.pasting = true;
    const sequence = key?.sequence ?? text ?? '';
    const pressed = this.pasting
      ? PASTE
      : sequence.includes('\u0003')
        ? '\u0003'
        : sequence.includes('\u0004')
          ? '\u0004'
          : (text ?? sequence);
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.(pressed);
  };

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {
    emitKeypressEvents(input);
    // Listened to first: `setRawMode` reports a terminal closed meanwhile as an error event.
    input.on('keypress', this.onKeypress);
    input.on('end', this.onEnd);
    input.on('error', this.onError);
    input.setRawMode(true);
    output.write('\x1b[?2004h');
    input.resume();
  }

  /** The next key pressed, not one pressed before this call: a key typed ahead would answer an item not yet shown. */
  next(): Promise<string> {
    if (this.ended) return Promise.resolve(CLOSED);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** Gives the terminal back as it was: bracketed paste off, raw mode off. */
  close(): void {
    this.input.off('keypress', this.onKeypress);
    this.input.off('end', this.onEnd);
    this.output.write('\x1b[?2004l');
    this.input.setRawMode(false);
    this.input.pause();
    this.input.off('error', this.onError);
  }
}

const QUIT_KEYS = new Set(['q', '\u0003', '\u0004']);

/**
 * Why labelling ended, checked in the order of `done()`: a stop that the user did not ask for in so
 * many words (a rule met, perhaps already on resuming, or the pool used up) reads otherwise as a
 * crash or as a quit.
 */
function stopReason(session: ActiveTestingSession, rule: StoppingRule): string {
  const estimate = session.estimate();
  const { labels } = estimate;
  const cause = stopCause(estimate, rule.maxLabels);
  if (cause === 'pool') return 'Stopped: every item of the pool is labelled or skipped.';
  if (cause === 'max-labels') return `Stopped: ${formatCount(labels, 'label')} reached --max-labels ${rule.maxLabels}.`;
  // done() also stops on the width; the loop ends otherwise only when no item is left to propose.
  if (rule.targetHalfWidth !== undefined && session.done(rule))
    return `Stopped: the risk's anytime-valid 95% interval has half-width ≤ ${rule.targetHalfWidth} (--target-half-width) at ${formatCount(labels, 'label')}.`;
  return 'Stopped: no item is left to propose.';
}

/** What a stop kept and how to go on, said by a quit and by an interrupted scripted run alike. */
function savedNote(session: ActiveTestingSession, path: string): string {
  const { recorded, skipped } = session.estimate();
  return `${formatCount(recorded, 'label')} and ${formatCount(skipped, 'skip')} are saved in ${visibleText(path)}; run the same command to resume`;
}

/** What a quit kept and how to go on: the labels are on disk, not lost with the screen. */
function quitNote(session: ActiveTestingSession, path: string): string {
  return `Quit: ${savedNote(session, path)}.`;
}

/**
 * Labels `session` from the keys pressed. A stop signal (`signal` aborted) while it waits for a key
 * ends it at once, one while a label is written lets that label reach the disk first; no key in
 * flight is recorded after it. The terminal is given back either way.
 *
 * @throws CancelledError when `signal` stopped it; InterruptedError (SIGHUP) when the terminal
 * closed before its SIGHUP came, calling `onClosed` first.
 */
async function labelInteractively(
  session: ActiveTestingSession,
  rule: StoppingRule,
  path: string,
  signal: AbortSignal,
  onClosed: () => void,
): Promise<number> {
  const { classes } = session;
  if (classes.length > 9)
    throw new UsageError(`interactive labelling takes one key per class (at most 9 classes, here ${classes.length}); use --answers`);
  // Stopped while the session was opened: the terminal is left as it is.
  if (signal.aborted) throw new CancelledError('labelling stopped');
  const keys = new KeyReader(process.stdin, process.stdout);
  const legend = [...classes.map((name, k) => `[${k + 1}] ${visibleText(name)}`), '[s] skip', '[u] undo', '[q] quit'].join('   ');
  // On resuming, what the file kept: the estimate's line alone would not tell a resumed session from a new one.
  const kept = session.estimate();
  let message =
    kept.recorded + kept.skipped > 0
      ? `Resumed: ${formatCount(kept.recorded, 'label')} and ${formatCount(kept.skipped, 'skip')} kept in ${visibleText(path)}.`
      : '';
  let quit = false;
  // The screen last drawn, drawn again when the terminal is resized: a terminal that does not
  // reflow its lines leaves the old layout broken (cut lines, the legend off the screen).
  let screen = '';
  const redraw = (): void => void process.stdout.write(screen);
  process.stdout.on('resize', redraw);
  const stopped = new Promise<null>((resolve) => signal.addEventListener('abort', () => resolve(null), { once: true }));
  try {
    while (!session.done(rule)) {
      if (signal.aborted) throw new CancelledError('labelling stopped');
      const [item] = await session.next();
      if (item === undefined) break;
      // The estimate, the progress toward the stopping rule (as the browser page's bar shows it) and
      // the last action sit under the text, by the keys: a text longer than the terminal scrolls its
      // own start off the screen (into the scrollback), not them.
      const estimate = session.estimate();
      const status = `${statusLine(estimate, session.settings.loss)}\nProgress: ${progress(estimate, rule).text}`;
      screen = `\x1b[2J\x1b[HItem ${visibleText(item.id)}:\n\n  ${visibleText(item.text)}\n\n${status}\n${message}\n${legend}\n`;
      process.stdout.write(screen);
      const key = await Promise.race([keys.next(), stopped]);
      if (key === null) throw new CancelledError('labelling stopped');
      // The terminal's closing sends SIGHUP, which may come only after its input has ended: the
      // process would end first, with nothing left to wait for, its session open.
      if (key === CLOSED) {
        onClosed();
        throw new InterruptedError('SIGHUP', savedNote(session, path));
      }
      if (QUIT_KEYS.has(key)) {
        quit = true;
        break;
      }
      const classIndex = Number(key) - 1;
      if (Number.isInteger(classIndex) && classIndex >= 0 && classIndex < classes.length) {
        await session.record(item.id, classIndex);
        message = `Labelled ${visibleText(item.id)}: ${visibleText(classes[classIndex])}`;
      } else if (key === 's') {
        await session.skip(item.id);
        message = `Skipped ${visibleText(item.id)}`;
      } else if (key === 'u') {
        const estimate = session.estimate();
        if (estimate.recorded + estimate.skipped === 0) message = 'Nothing to undo';
        else {
          const undone = await session.undo();
          message = `Undid ${visibleText(undone.id)} (${visibleText(undone.label ?? 'skip')})`;
        }
      } else if (key === PASTE) {
        message = 'Pasted text ignored: press one key for the item shown';
      } else {
        message = `Unknown key ${visibleText(JSON.stringify(key))}`;
      }
    }
  } finally {
    process.stdout.off('resize', redraw);
    keys.close();
  }
  process.stdout.write(`\x1b[2J\x1b[H${quit ? quitNote(session, path) : stopReason(session, rule)}\n`);
  return 0;
}

/**
 * The stopping rule given by --max-labels, --target-half-width and --min-labels (values checked by
 * the schema). --min-labels only delays a stop on the width, so alone it would be silently ignored:
 * a user who meant it as a floor for --max-labels would label on with no rule at all.
 */
export function stoppingRule(given: Record<string, unknown>): StoppingRule {
  const { maxLabels, minLabels, targetHalfWidth } = given as StoppingRule;
  if (minLabels !== undefined && targetHalfWidth === undefined)
    throw new UsageError('--min-labels applies to --target-half-width (labels before the width may stop): give --target-half-width W too');
  return { maxLabels, minLabels, targetHalfWidth };
}

/** The hint of an export file that exists: `label` has no `--force`. */
const NEVER_OVERWRITTEN = (flag: string) => `choose another file for ${flag} (it is never overwritten)`;

/**
 * `label --export-labels FILE`: writes the labels of the session at `sessionPath` (read without
 * its lock, whatever state its header is in) to `outPath`. Ctrl-C (SIGINT), SIGTERM and SIGHUP
 * stop it as they stop `label --export label-studio`: a signal while the session is read waits
 * for the read (it is synchronous), then stops before the write, and one line says the file was
 * not written (exit 130, 143, 129); a write begun finishes, the file whole (its temporary never left).
 *
 * @throws InterruptedError when a signal stopped it.
 */
async function exportLabels(sessionPath: string, outPath: string): Promise<number> {
  // A path inside a file is named as such, not as a failed mkdir's "already exists".
  await assertFolderWritable(dirname(outPath), '--export-labels');
  // Before the session file (up to hundreds of MB) is read; the write refuses one made meanwhile.
  if (existsSync(outPath)) throw new OutputExistsError(outPath, NEVER_OVERWRITTEN('--export-labels'));
  const { labels, headerReadable, unreadableLines } = await withInterrupts(
    `${visibleText(outPath)} was not written; run the same command to export`,
    async (signal) => {
      const read = exportSessionLabels(sessionPath);
      await stopIfAborted(signal);
      try {
        await writeFileAtomic(outPath, labelsTsv(read.labels));
      } catch (error) {
        if (error instanceof OutputExistsError) throw new OutputExistsError(outPath, NEVER_OVERWRITTEN('--export-labels'));
        const code = (error as NodeJS.ErrnoException).code;
        if (code === undefined) throw error;
        throw new SessionFileError(`cannot write ${outPath} (${code})`);
      }
      return read;
    },
  );
  const skips = labels.filter((l) => l.label === null).length;
  console.log(
    `exported ${formatCount(labels.length - skips, 'label')} and ${formatCount(skips, 'skip')} from ${sessionPath} to ${outPath}`,
  );
  if (!headerReadable) console.error('active-testing label: the header is unreadable: ids are row numbers and labels class indices');
  if (unreadableLines.length > 0)
    console.error(
      `active-testing label: passed over ${formatCount(unreadableLines.length, 'unreadable or damaged line')} (first: line ${unreadableLines[0]})`,
    );
  return 0;
}

/**
 * `label --estimate`: prints the estimate of the session at `path`, read as it stands (no lock
 * taken, nothing written). Ctrl-C (SIGINT), SIGTERM and SIGHUP stop it as they stop the other
 * modes: a signal while the session is read waits for the read (it is synchronous), then one line
 * says the session was only read (exit 130, 143, 129), in place of the estimate.
 *
 * @throws InterruptedError when a signal stopped it.
 */
async function printEstimate(path: string): Promise<number> {
  return withInterrupts(`${visibleText(path)} was only read; run the same command for its estimate`, async (signal) => {
    const session = await ActiveTestingSession.open(path, {
      readOnly: true,
      onWarning: (message) => console.error(`warning: ${message}`),
    });
    try {
      await stopIfAborted(signal);
      console.log(summary(session));
      return 0;
    } finally {
      await session.close();
    }
  });
}

/** `--export label-studio FILE` or `--import label-studio FILE` (the file arrives as --export-file / --import-file, see `labelArgs`). */
function labelStudioExchange(
  given: Record<string, unknown>,
  values: Record<string, unknown>,
): { direction: 'export' | 'import'; file: string } | undefined {
  const directions = (['export', 'import'] as const).filter((direction) => given[direction] !== undefined);
  if (directions.length === 0) return undefined;
  if (directions.length === 2) throw new UsageError('--export and --import exclude each other');
  const direction = directions[0];
  const file = values[`${direction}-file`];
  if (typeof file !== 'string' || file === '')
    throw new UsageError(`--${direction} label-studio takes a file: --${direction} label-studio FILE`);
  if (direction === 'export' && existsSync(file)) throw new OutputExistsError(file, NEVER_OVERWRITTEN('--export'));
  return { direction, file };
}

/** Turns `--export FORMAT FILE` / `--import FORMAT FILE` (two values) into options the parser takes. */
function labelArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    out.push(arg);
    if ((arg === '--export' || arg === '--import') && i + 2 < argv.length && !argv[i + 2].startsWith('--')) {
      out.push(argv[i + 1], `${arg}-file`, argv[i + 2]);
      i += 2;
    }
  }
  return out;
}

/**
 * Resumes the session at `path`, or creates it from the pool options when it does not exist
 * (`command` names the CLI command in messages). `check` sees the pool's ids and classes first:
 * what it refuses is refused before a new session file is written, and before an existing one is
 * written to at all (its unreadable last line, if any, is moved aside only after the checks), as
 * is what `checkResumed` refuses, which sees the replayed session and must only read it.
 *
 * @throws UsageError when the file does not exist and no pool options were given.
 * @throws SessionLockedError when another process has the session open.
 */
export async function openOrCreateSession(
  path: string,
  given: Record<string, unknown>,
  command: CommandName,
  check: (pool: PoolNames) => void = () => {},
  checkResumed: (session: ActiveTestingSession) => Promise<void> = async () => {},
): Promise<ActiveTestingSession> {
  const creating = checkSessionSource(path, given);
  if (existsSync(path)) {
    // Checked before the file is repaired: a refused command leaves it as it was.
    return openSessionChecked(path, { onWarning: (message) => console.error(`warning: ${message}`) }, async (session) => {
      if (creating) await checkResumeOptions(path, session, given, command);
      check({
        ids: session.ids,
        classes: session.classes,
        texts: session.texts,
        idColumn: resumedIdColumn(session, given),
        requiredInAnswers: given.idColumn !== undefined,
      });
      await checkResumed(session);
    });
  }
  return createSession(path, given, command, check);
}

/**
 * Whether pool options are given to create the session at `path`; refuses a path that does not
 * exist without them, before anything else about the run is judged (a missing file is the first
 * thing to fix, also when stdin is not a terminal).
 *
 * @throws UsageError when the file does not exist and no pool options were given.
 */
export function checkSessionSource(path: string, given: Record<string, unknown>): boolean {
  const creating = CREATE_OPTIONS.some((name) => given[name] !== undefined);
  if (!creating && !existsSync(path))
    throw new UsageError(`${path} does not exist: give --data, --classes and --model-scores to create it`);
  return creating;
}

/**
 * `label --answers`: opens or creates the session at `path` and labels it from `answers`. Ctrl-C
 * (SIGINT), SIGTERM and SIGHUP stop it cleanly, as they stop `simulate` or `evaluate`: a signal
 * while the session is opened or created waits for that, one while it labels lets the label in
 * flight reach the disk, then the session is closed (its lock released) and one line says what is
 * saved (exit 130, 143, 129).
 *
 * @throws InterruptedError when a signal stopped it.
 */
async function labelScripted(path: string, given: Record<string, unknown>, file: AnswersFile, rule: StoppingRule): Promise<number> {
  let opened: ActiveTestingSession | undefined;
  // Asked only when a signal stopped the labelling, which the session was open for.
  const saved = () => savedNote(opened as ActiveTestingSession, path);
  return withInterrupts(saved, async (signal) => {
    // Their ids are read once the pool's id column is known: a resumed session's is in its file.
    let answers: Answers | undefined;
    const session = await openOrCreateSession(path, given, 'label', (pool) => void (answers = checkedAnswers(file, pool)));
    opened = session;
    try {
      const code = await labelFromAnswers(session, answers as Answers, rule, signal);
      // A run that ran out of answers said so on stderr.
      if (code === 0) console.log(stopReason(session, rule));
      console.log(summary(session));
      return code;
    } finally {
      await session.close();
    }
  });
}

/**
 * `label` on a terminal: opens or creates the session at `path` and labels it from the keys
 * pressed. Ctrl-C (SIGINT) sent from outside, SIGTERM and SIGHUP (the terminal window closed) stop
 * it as they stop `label --answers`: the label in flight reaches the disk, the terminal is given
 * back, the session is closed (its lock released) and one line on stderr says what is saved (exit
 * 130, 143, 129). Ctrl-C typed at a prompt is a key, a quit (exit 0).
 *
 * @throws InterruptedError when a signal stopped it.
 */
async function labelOnTerminal(path: string, given: Record<string, unknown>, rule: StoppingRule): Promise<number> {
  let opened: ActiveTestingSession | undefined;
  // Asked only when a signal stopped the labelling, which the session was open for.
  const saved = () => savedNote(opened as ActiveTestingSession, path);
  return withInterrupts(saved, async (signal) => {
    const session = await openOrCreateSession(path, given, 'label');
    opened = session;
    try {
      await faultPause('label:opened');
      // The screen says why it stopped itself.
      const code = await labelInteractively(session, rule, path, signal, closeTerminalsAtExit);
      console.log(summary(session));
      return code;
    } finally {
      await session.close();
    }
  });
}

/**
 * `label --export label-studio FILE` / `--import label-studio FILE`. Ctrl-C (SIGINT), SIGTERM and
 * SIGHUP stop it cleanly, as they stop `label --answers`: a signal while the session is opened
 * waits for that; an export stops before its file is written (a write begun finishes, the file
 * whole), an import between two answers (the one in flight reaches the disk); then the session is
 * closed (its lock released) and one line says what is saved (exit 130, 143, 129).
 *
 * @throws InterruptedError when a signal stopped it.
 */
async function exchangeLabelStudio(
  path: string,
  given: Record<string, unknown>,
  exchange: { direction: 'export' | 'import'; file: string },
  rule: StoppingRule,
): Promise<number> {
  let opened: ActiveTestingSession | undefined;
  // Asked only when a signal stopped it, which the session was open for.
  const stopped = () =>
    exchange.direction === 'export'
      ? `${visibleText(exchange.file)} was not written; run the same command to export`
      : savedNote(opened as ActiveTestingSession, path);
  return withInterrupts(stopped, async (signal) => {
    // An import file is checked whole against the session before the file is written to.
    let imported: Map<string, LabelStudioAnswer> | undefined;
    const session = await openOrCreateSession(path, given, 'label', undefined, async (resumed) => {
      if (exchange.direction === 'import') imported = await namingFlag('--import', readLabelStudioAnswers(resumed, exchange.file));
    });
    opened = session;
    try {
      if (exchange.direction === 'export') {
        const estimate = session.estimate();
        // Skips do not count towards --max-labels (as in `done()` and `serve`): N labels need N − recorded items open.
        const open = rule.maxLabels === undefined ? 0 : Math.max(0, rule.maxLabels - estimate.recorded);
        const tasks = await exportLabelStudio(session, exchange.file, open, signal).catch((error: unknown) => {
          // A file made since the check above: refused in `label`'s words (it has no --force).
          throw error instanceof OutputExistsError ? new OutputExistsError(exchange.file, NEVER_OVERWRITTEN('--export')) : error;
        });
        console.log(
          `wrote ${tasks} Label Studio tasks to ${exchange.file}; use this labelling config:\n${labelStudioConfig(session.classes)}`,
        );
        return 0;
      }
      // Read here only if the file was made meanwhile (a session created, not resumed).
      const answers = imported ?? (await namingFlag('--import', readLabelStudioAnswers(session, exchange.file)));
      const { labelled, skipped } = await recordLabelStudioAnswers(session, answers, signal);
      console.log(`recorded ${formatCount(labelled, 'label')} and ${formatCount(skipped, 'skip')} from ${exchange.file}`);
      console.log(summary(session));
      return 0;
    } finally {
      await session.close();
    }
  });
}

export const labelCommand: Command = {
  name: 'label',
  summary: 'Label the items active testing proposes, with a live estimate (resumable)',
  help: HELP,
  async run(argv) {
    checkFlagNames(argv, commandFlags('label'));
    const values = parseOptions(labelArgs(argv), LABEL_FLAGS);
    const given = commandValues(values, 'label');
    const path = required<string>(given, 'session');
    const exportPath = given.exportLabels as string | undefined;
    if (exportPath !== undefined) {
      // Each of them would be dropped without a word: the export neither labels nor creates a session.
      const others = Object.keys(given).filter((name) => name !== 'session' && name !== 'exportLabels');
      if (others.length > 0)
        throw new UsageError(`--export-labels writes the session's labels and stops: it takes no ${others.map(cliFlag).join(', ')}`);
      return exportLabels(path, exportPath);
    }
    if (given.estimate === true) {
      const others = Object.keys(given).filter((name) => name !== 'session' && name !== 'estimate');
      if (others.length > 0)
        throw new UsageError(`--estimate prints the session's estimate and stops: it takes no ${others.map(cliFlag).join(', ')}`);
      return printEstimate(path);
    }
    const rule = stoppingRule(given);
    // Only a session created now reads --surrogate-scores: one resumed keeps its own.
    if (!existsSync(path)) checkSurrogateGiven(given);
    const answersPath = given.answers as string | undefined;
    const exchange = labelStudioExchange(given, values);
    // Before the answers are read: from stdin, that waits for the pipe's end.
    if (exchange && answersPath !== undefined) throw new UsageError(`--${exchange.direction} and --answers exclude each other`);
    const answers =
      answersPath === undefined ? undefined : await readAnswers(answersPath, (given.answerColumn as string | undefined) ?? 'label');
    // Before the session is opened (an export may first propose items): a path inside a file is one clear line.
    if (exchange?.direction === 'export') await assertFolderWritable(dirname(exchange.file), '--export');
    // An export answers items that a session proposed: one made now has proposed none.
    if (exchange?.direction === 'import' && !existsSync(path))
      throw new UsageError(`--import records a Label Studio export into the session that exported its tasks: ${path} does not exist`);
    checkSessionSource(path, given);
    if (answers) return labelScripted(path, given, answers, rule);
    if (!exchange) {
      if (!process.stdin.isTTY) throw new UsageError('stdin is not a terminal: pass --answers FILE to label non-interactively');
      return labelOnTerminal(path, given, rule);
    }
    return exchangeLabelStudio(path, given, exchange, rule);
  },
};
