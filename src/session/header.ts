import { constants } from 'node:buffer';
import { endianness } from 'node:os';
import { FileFormatError, InputError, type OptionNaming, ReceivedKind } from '../errors.js';
import { base64Chunks, base64Length, decodeBase64Into } from '../io/base64.js';
import { checkTsvSafe } from '../io/tsv-safe.js';
import { shellWord } from '../io/shell-word.js';
import { fitTemperature } from '../calibration/temperature.js';
import { checkCalibrationKeys } from '../calibration/load.js';
import { toLabels, toMatrix, type LabelsInput, type Matrix, type MatrixInput } from '../matrix.js';
import { isSeed } from '../random.js';
import type { SessionLoss } from './loss.js';
import { CHECKSUM_ADDED_LENGTH } from './checksum.js';
import { BUILTIN_LOSS_NAMES, type BuiltinLoss } from '../metrics/builtin-losses.js';
import { checkProposalClip, proposalClip } from '../acquisition/clip.js';
import { ACQUISITIONS, acquisitionsFor, checkOption, optionNames, optionSynonyms, resolveProposal } from '../options/index.js';
import { checkKnownKeys } from '../io/suggest.js';

/** Keys of a new session's options besides the schema's options: the pool, and the on-demand scorer. */
const SESSION_INPUTS = ['texts', 'ids', 'idColumn', 'classes', 'scoreTarget', 'onWarning'];

/** Acquisitions a session can use: those of the registry that need no labels (`acquisitionsFor('session')`). */
export type SessionAcquisition = 'adaptive' | 'surrogate-m2' | 'surrogate-ce' | 'surrogate-pe' | 'self-entropy' | 'iid';

export const SESSION_ACQUISITIONS = acquisitionsFor('session') as readonly SessionAcquisition[];

/** Scores the target model on demand (the "no target predictions" mode), e.g. `(texts) => model.score(texts)`. */
export type TargetScorer = (texts: readonly string[]) => Promise<ScoresInput>;

/** Everything a new session is made from. */
export interface SessionOptions {
  /** The pool's texts, one per item. */
  texts: readonly string[];
  /** Stable ids of the items (unique); default the row numbers "0", "1", .... */
  ids?: readonly string[];
  /**
   * The column of the pool's file that `ids` were read from (the CLI's `--id-column`, or `id`),
   * stored in the session file: a resumed `label --answers` reads the answers' ids from a column of
   * that name too (when they have no `id` column). Only with `ids`; default none.
   */
  idColumn?: string | null;
  /** Class names in label-id order (K ≥ 2). */
  classes: readonly string[];
  /** The target model's logits over the pool (N×K). Omit them to score the target on demand with `scoreTarget`. */
  modelScores?: ScoresInput;
  /** A second target scored on the same pool: the estimate then compares the two (paired). */
  comparisonScores?: ScoresInput;
  /** The surrogate's logits over the pool (N×K). */
  surrogateScores?: ScoresInput;
  /**
   * `adaptive` (default with target and surrogate scores, the cross-entropy loss, no comparison and
   * no defensive weight): a mixture of uniform and the cross-entropy proposals below at several
   * temperatures, refitted from the labels so far (docs/adaptive.md), as `simulate` does;
   * `surrogate-ce` (the default otherwise with target and surrogate scores): the surrogate's expected
   * loss of the target, for the session's loss; `surrogate-m2`: `√E_π[ℓ²]` of the cross-entropy;
   * `surrogate-pe` (default with surrogate scores only): the surrogate's predictive entropy, which
   * needs no target predictions; `self-entropy`: the target's entropy; `iid`: uniform.
   */
  acquisition?: SessionAcquisition;
  /** Weight λ of uniform in the defensive mixture (1−λ)·q + λ·uniform of a fixed proposal; default none. */
  defensive?: number | null;
  /**
   * Floor fraction c of the proposal, in (0, 1) (every item keeps a probability above 0); default
   * 0.1. Ignored by `iid`, whose header records 0.
   */
  clip?: number;
  /** Default `cross-entropy`. */
  loss?: SessionLoss;
  /** Temperature of the surrogate (surrogate-*) or the target (self-entropy); default none. */
  temperature?: number | null;
  /**
   * A held-out labelled set of surrogate scores (not in the pool, not in the surrogate's prompt):
   * the surrogate temperature is fitted on it (`fitTemperature`) instead of given. Its labels count
   * in the labelling budget. Not with `temperature`, nor with `self-entropy` (whose temperature is the target's).
   */
  calibration?: { scores: ScoresInput; labels: LabelsInput };
  /** Seed of the session's random stream; default 0. */
  seed?: number | string;
  /**
   * The label count you plan to collect: the confidence sequences are tuned to be narrowest there
   * (the fixed-budget interval's bets up to it), and stay valid at every count. Above the pool
   * size it is the pool size (a plan to label the whole pool; `create` warns of it). Default
   * none: tuned for every count at once.
   */
  plannedLabels?: number | null;
}

/**
 * Scores as stored in the session file: `float64` holds the rows·cols values, row by row, as
 * little-endian IEEE 754 doubles in base64 (about 10.7 characters a score, and exact). Files of
 * format version 1 held them as a JSON array `data` instead; they are still read.
 */
export interface StoredMatrix {
  rows: number;
  cols: number;
  float64: string;
}

/** The session file format this version writes; it reads this one and version 1. */
const FORMAT_VERSION = 2;

/** The first line of a session file: the pool and every setting, resolved. */
export interface SessionHeader {
  format: 'active-testing-session';
  /** 2 (1 in files whose scores are JSON arrays; read, no longer written). */
  formatVersion: 1 | 2;
  ids: string[];
  /**
   * The pool file's column the ids were read from (`SessionOptions.idColumn`). Absent when none was
   * given (ids by row, or from a program) and in files written before it was stored.
   */
  idColumn?: string;
  texts: string[];
  classes: string[];
  targetScores: StoredMatrix | null;
  comparisonScores: StoredMatrix | null;
  surrogateScores: StoredMatrix | null;
  acquisition: SessionAcquisition;
  /** Absent in files written before defensive mixtures existed: none. */
  defensive?: number | null;
  /**
   * The clip the proposal draws at: 0 for `iid` (older files record the clip given to an iid
   * session, and replay at it).
   */
  clip: number;
  /** `cross-entropy`, `zero-one`, `brier` or `custom:<name>`. */
  loss: string;
  temperature: number | null;
  /** The calibration set the temperature was fitted on; absent or null when none was given. */
  calibration?: SessionCalibration | null;
  seed: number | string;
  /** Absent in files written before planned labels existed: none. */
  plannedLabels?: number | null;
}

/** What the session file records of a surrogate calibration: its size and the fit (`fitTemperature`). */
export interface SessionCalibration {
  rows: number;
  temperature: number;
  /** Mean NLL of the calibration labels under the surrogate at that temperature. */
  nll: number;
  /**
   * True when `temperature` is an end of its search range, not a fitted value
   * (`TemperatureFit.atBound`: separable calibration data give 0.02). Absent in files written
   * before it was recorded: not known.
   */
  atBound?: boolean;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The values of stored matrices already decoded and checked (or encoded here), so that checking a
 * header and then reading its scores decodes each matrix once.
 */
const decodedValues = new WeakMap<object, Float64Array>();

/** The stored form of `m`, a matrix `readScores` copied for this header, whose values it takes over. */
function store(m: Matrix): StoredMatrix {
  const values = m.data;
  let text: string | undefined;
  const stored = {
    rows: m.rows,
    cols: m.cols,
    // Encoded when first read, i.e. when a session file's header is written: a session in memory
    // never needs the text (at N·K = 10^7 scores a second of its start). `values` is the copy
    // `readScores` made, which the header now owns and nothing writes to.
    get float64(): string {
      if (text === undefined) {
        const bytes = Buffer.from(values.buffer);
        if (!LITTLE_ENDIAN) bytes.swap64();
        text = bytes.toString('base64');
        if (!LITTLE_ENDIAN) bytes.swap64();
      }
      return text;
    },
  };
  decodedValues.set(stored, values);
  return stored;
}

/**
 * The values of a stored matrix of either format version, or why they are not rows×cols finite
 * numbers (a phrase that follows the matrix's name).
 */
function storedValues(m: Partial<StoredMatrix> & { data?: unknown }, rows: number, cols: number): Float64Array | string {
  const count = rows * cols;
  const wrongShape = `is not ${rows}×${cols} scores`;
  if (m.rows !== rows || m.cols !== cols) return wrongShape;
  const known = decodedValues.get(m);
  if (known !== undefined) return known;
  let values: Float64Array;
  if (Array.isArray(m.data)) {
    if (m.data.length !== count) return wrongShape;
    const bad = m.data.findIndex((x) => !isFiniteNumber(x));
    if (bad !== -1) return `holds a non-finite score at position ${bad}`;
    values = Float64Array.from(m.data as number[]);
  } else {
    // Base64 decoding skips characters outside its alphabet, so a damaged text decodes short.
    if (typeof m.float64 !== 'string' || m.float64.length !== base64Length(count * 8)) return wrongShape;
    const bytes = Buffer.from(m.float64, 'base64');
    if (bytes.length !== count * 8) return wrongShape;
    if (!LITTLE_ENDIAN) bytes.swap64();
    // A decoded text of this size has a buffer of its own; a small one may sit in Node's shared
    // pool at an offset that is not a multiple of 8, and is copied.
    values =
      bytes.byteOffset % 8 === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? new Float64Array(bytes.buffer, bytes.byteOffset, count)
        : new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  for (let i = 0; i < count; i++) if (!Number.isFinite(values[i])) return `holds a non-finite score at position ${i}`;
  decodedValues.set(m, values);
  return values;
}

const FLOAT64_KEY = Buffer.from('"float64":"');
const QUOTE = 0x22;
const STORED_SCORES = ['targetScores', 'comparisonScores', 'surrogateScores'] as const;
/** What precedes a score text as this library writes it: the shape, then the key. */
const SHAPE_BEFORE_TEXT = /\{"rows":(\d{1,15}),"cols":(\d{1,15}),"float64":"$/;
/** Base64 digits decoded by one call of the runtime's decoder: a string of 64 KiB at a time. */
const DECODE_CHARS = 1 << 16;

/**
 * Parses the first line of a session file as it is read, a chunk at a time (`FileJournal.read`).
 * `push` takes the line's bytes from where the last call stopped, with `last` when they end the
 * line, and returns how many it consumed (all when `last`; all but a few otherwise, which are
 * given again with the next bytes), or −1 when it cannot parse the line.
 */
export interface HeaderLineParser {
  push(bytes: Uint8Array, last: boolean): number;
  /** The parsed line, or undefined when it could not be parsed. */
  end(): Record<string, unknown> | undefined;
}

/**
 * A session file's header line parsed with its stored scores decoded straight from the bytes, a
 * chunk at a time as the file is read: the JSON around each `"float64"` text is kept with a
 * placeholder for it and parsed at the end, and each text is decoded as it comes into the scores'
 * own array, whose shape is the `"rows"` and `"cols"` just before it. At N·K = 10^7 scores per
 * model that skips the file as one buffer, the header as one string, the texts as strings and
 * their decoded copies. Undefined from `end()` when anything is not as this library writes it
 * (another key's text holds the pattern, a damaged text, a non-finite score, a text longer than
 * the file `fileSize` allows): the caller then parses the line as plain JSON, which reports the
 * problem as before.
 */
export function headerLineParser(fileSize: number): HeaderLineParser {
  let json = Buffer.allocUnsafe(1 << 16);
  let jsonLength = 0;
  const appendJson = (bytes: Uint8Array): void => {
    if (jsonLength + bytes.length > json.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * json.length, jsonLength + bytes.length));
      json.copy(grown, 0, 0, jsonLength);
      json = grown;
    }
    json.set(bytes, jsonLength);
    jsonLength += bytes.length;
  };
  const texts: Matrix[] = [];
  /** The text being decoded: its scores' bytes and how many of them are decoded. */
  let target: { values: Float64Array; bytes: Buffer; decoded: number } | null = null;
  let failed = false;

  /** The text's digits `bytes[from, to)` (whole groups of four, no padding) decoded into the target. */
  const decodeGroups = (bytes: Buffer, from: number, to: number): boolean => {
    const t = target!;
    if (t.decoded + ((to - from) / 4) * 3 > t.bytes.length) return false;
    for (let at = from; at < to; at += DECODE_CHARS) {
      const end = Math.min(to, at + DECODE_CHARS);
      // The runtime skips a character outside the alphabet (or '='), which then decodes short.
      const written = t.bytes.write(bytes.toString('latin1', at, end), t.decoded, 'base64');
      if (written !== ((end - at) / 4) * 3) return false;
      t.decoded += written;
    }
    return true;
  };

  const take = (chunk: Uint8Array, last: boolean): number => {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    for (;;) {
      if (target === null) {
        const key = bytes.indexOf(FLOAT64_KEY, at);
        if (key === -1) {
          // The last bytes may begin the key: they come again with the next ones.
          const keep = last ? bytes.length : Math.max(at, bytes.length - (FLOAT64_KEY.length - 1));
          appendJson(bytes.subarray(at, keep));
          return keep;
        }
        const textStart = key + FLOAT64_KEY.length;
        appendJson(bytes.subarray(at, textStart));
        const shape = SHAPE_BEFORE_TEXT.exec(json.toString('latin1', Math.max(0, jsonLength - 64), jsonLength));
        if (shape === null) return -1;
        const rows = Number(shape[1]);
        const cols = Number(shape[2]);
        const count = rows * cols;
        if (rows <= 0 || cols <= 0 || !Number.isSafeInteger(count * 8) || base64Length(count * 8) > fileSize) return -1;
        appendJson(Buffer.from(`#${texts.length}`));
        const values = new Float64Array(count);
        texts.push({ data: values, rows, cols });
        target = { values, bytes: Buffer.from(values.buffer), decoded: 0 };
        at = textStart;
      } else {
        const quote = bytes.indexOf(QUOTE, at);
        if (quote === -1) {
          if (last) return -1;
          // Whole groups, but never the text's last one (which may be padded): at least one group is kept.
          const groups = Math.max(0, ((bytes.length - at) >> 2) - 1);
          if (!decodeGroups(bytes, at, at + 4 * groups)) return -1;
          return at + 4 * groups;
        }
        // The rest of the text: whole groups, then its last one, which `decodeBase64Into` checks for its padding.
        const t = target as { values: Float64Array; bytes: Buffer; decoded: number };
        const left = t.bytes.length - t.decoded;
        if (quote - at !== base64Length(left)) return -1;
        const lastGroup = left % 3 === 0 ? left - 3 : left - (left % 3);
        const groupsEnd = at + (lastGroup / 3) * 4;
        if (left > 0 && (!decodeGroups(bytes, at, groupsEnd) || !decodeBase64Into(bytes, groupsEnd, t.bytes.subarray(t.decoded))))
          return -1;
        if (!LITTLE_ENDIAN) t.bytes.swap64();
        for (let i = 0; i < t.values.length; i++) if (!Number.isFinite(t.values[i])) return -1;
        target = null;
        at = quote;
      }
    }
  };

  return {
    push(chunk, last) {
      if (failed) return -1;
      let taken: number;
      try {
        taken = take(chunk, last);
      } catch {
        // E.g. scores too many to allocate: the plain parse reports the line.
        taken = -1;
      }
      if (taken < 0) failed = true;
      return taken;
    },
    end() {
      if (failed || target !== null || texts.length === 0) return undefined;
      let header: unknown;
      try {
        header = JSON.parse(json.toString('utf8', 0, jsonLength));
      } catch {
        return undefined;
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
      const record = header as Record<string, unknown>;
      let placed = 0;
      for (const name of STORED_SCORES) {
        const m = record[name] as Partial<StoredMatrix> | null | undefined;
        if (typeof m !== 'object' || m === null || typeof m.float64 !== 'string') continue;
        const text = texts[Number(/^#(\d+)$/.exec(m.float64)?.[1] ?? NaN)];
        if (text === undefined || m.rows !== text.rows || m.cols !== text.cols) return undefined;
        record[name] = store(text);
        placed++;
      }
      // Every placeholder must be one of the scores' texts, or the pattern stood elsewhere.
      return placed === texts.length ? record : undefined;
    },
  };
}

/**
 * A session file's header line, given whole, parsed as `headerLineParser` parses it as the file
 * is read; undefined when it cannot be (the caller then parses it as plain JSON).
 */
export function parseHeaderLine(line: Uint8Array): Record<string, unknown> | undefined {
  const parser = headerLineParser(line.length);
  return parser.push(line, true) === line.length ? parser.end() : undefined;
}

const EMPTY_FLOAT64 = '"float64":""';

/**
 * The bytes of `JSON.stringify(header)`, in chunks: the JSON around each stored score text, and
 * each text encoded a chunk at a time from the scores' own array. At N·K = 10^7 scores per model
 * that skips the header as one string of 215 MB and its UTF-8 copy. Each chunk must be consumed
 * before the next is asked for.
 */
export function* headerLineChunks(header: SessionHeader): Generator<Uint8Array> {
  const names = Object.keys(header).filter((name) => STORED_SCORES.some((s) => s === name) && header[name as keyof SessionHeader] !== null);
  const values = names.map((name) => decodedValues.get(header[name as keyof SessionHeader] as object));
  const text = JSON.stringify(header, function (this: unknown, key: string, value: unknown) {
    if (this !== header || !names.includes(key)) return value;
    // The same keys in the same order, the text left empty (and its getter not called).
    const stored = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(stored).map((name) => [name, name === 'float64' ? '' : stored[name]]));
  });
  // Strings are escaped in JSON, so the pattern can only be one of the scores' keys.
  const positions: number[] = [];
  for (let at = text.indexOf(EMPTY_FLOAT64); at !== -1; at = text.indexOf(EMPTY_FLOAT64, at + 1)) positions.push(at);
  if (!LITTLE_ENDIAN || positions.length !== names.length || values.some((v) => v === undefined)) {
    yield Buffer.from(JSON.stringify(header));
    return;
  }
  let from = 0;
  for (const [j, at] of positions.entries()) {
    const open = at + EMPTY_FLOAT64.length - 1;
    yield Buffer.from(text.slice(from, open));
    const data = values[j] as Float64Array;
    yield* base64Chunks(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    from = open;
  }
  yield Buffer.from(text.slice(from));
}

/** The stored scores (already checked by `checkHeader`) as a matrix. */
export function storedMatrix(stored: StoredMatrix | null): Matrix | undefined {
  if (stored === null) return undefined;
  const values = storedValues(stored, stored.rows, stored.cols);
  if (typeof values === 'string') throw new Error(`stored scores ${values}: the header was not checked`);
  return { rows: stored.rows, cols: stored.cols, data: values };
}

/** Scores in any form `toMatrix` reads, or a `Matrix`. */
export type ScoresInput = MatrixInput | Matrix;

/** Reads scores given in any supported form, checking that they are finite. */
export function readScores(input: ScoresInput, argument: string): Matrix {
  const isMatrix = typeof input === 'object' && input !== null && 'rows' in input && 'cols' in input && 'data' in input;
  return toMatrix(
    isMatrix ? { data: (input as Matrix).data, shape: [(input as Matrix).rows, (input as Matrix).cols] } : (input as MatrixInput),
    argument,
  );
}

/**
 * Scores of a pool of `n` texts and `k` classes, refused unless they are n×k, naming `argument`
 * (`modelScores`, …) and both counts; undefined without scores.
 *
 * @example
 * poolScores({ data: [0.1, 0.9, 0.4, 0.6], shape: [2, 2] }, 'modelScores', 2, 2); // the 2×2 Matrix
 * @throws {InputError} naming `argument` when the shape is not n×k.
 */
export function poolScores(input: ScoresInput | undefined, argument: string, n: number, k: number): Matrix | undefined {
  if (input === undefined) return undefined;
  const m = readScores(input, argument);
  if (m.rows !== n || m.cols !== k) {
    // Too few or too many rows may as well be a text too many or too few: both counts are named.
    const counts = (naming: OptionNaming) => (m.rows === n ? '' : `; texts: ${n}, ${naming.option(argument)}: ${m.rows}`);
    throw new InputError({
      argument,
      expected: (naming) => `${n}×${k} scores (one row per text, one column per class${counts(naming)})`,
      received: new ReceivedKind(`the shape ${m.rows}×${m.cols}`),
    });
  }
  return m;
}

function checkUnique(values: readonly string[], argument: string): void {
  const seen = new Set<string>();
  values.forEach((value, row) => {
    if (typeof value !== 'string' || value === '') throw new InputError({ argument, expected: 'a non-empty string', received: value, row });
    if (seen.has(value)) throw new InputError({ argument, expected: 'unique values', received: value, row });
    seen.add(value);
  });
}

/**
 * Refuses class names a session cannot keep apart in its exported labels and `--answers` files:
 * one holding a tab or a line break (it would split its TSV line), or `skip` in any case and with
 * spaces around it (the word for a skipped item there: a class of that name would come back as a
 * skip). The command line calls it on `--classes` before it reads the pool and the scores.
 *
 * @example
 * checkClassNames(['negative', 'positive']); // passes
 * checkClassNames(['yes', 'no', 'Skip']); // InputError: classes (row 2): expected class names other than "skip" ...
 * @throws {InputError} naming `classes` and the first such name's position.
 */
export function checkClassNames(classes: readonly string[]): void {
  checkTsvSafe(classes, 'classes', 'class names');
  const skip = classes.findIndex((name) => typeof name === 'string' && name.trim().toLowerCase() === 'skip');
  if (skip !== -1)
    throw new InputError({
      argument: 'classes',
      row: skip,
      expected: 'class names other than "skip" (the word for a skipped item in exported labels and --answers files)',
      received: classes[skip],
    });
}

/**
 * Validates new-session options and resolves every default into the header that the session
 * file stores. `lossId` is the resolved loss's id.
 */
export function buildHeader(options: SessionOptions, lossId: string, hasScorer: boolean): SessionHeader {
  checkKnownKeys(options, [...optionNames('session'), ...SESSION_INPUTS], null, optionSynonyms('session'));
  const { texts, classes } = options;
  if (!Array.isArray(texts) || texts.length === 0)
    throw new InputError({ argument: 'texts', expected: 'a non-empty array of strings', received: ReceivedKind.given(texts) });
  texts.forEach((text, row) => {
    // The value's kind, not its type's name as a string: `got "object"` read as the text "object".
    if (typeof text !== 'string')
      throw new InputError({
        argument: 'texts',
        expected: 'a string',
        received: new ReceivedKind(text === null ? 'null' : `a value of type ${typeof text}`),
        row,
      });
  });
  const n = texts.length;
  // A string's length is no count of classes: 'negative,positive' would read as 17 of them.
  if (!Array.isArray(classes))
    throw new InputError({ argument: 'classes', expected: 'an array of at least 2 class names', received: ReceivedKind.given(classes) });
  if (classes.length < 2) throw new InputError({ argument: 'classes', expected: 'at least 2 class names', received: classes.length });
  checkUnique(classes, 'classes');
  checkClassNames(classes);
  const k = classes.length;
  // Spread, a string would become one id per character: 'abc' the ids of three texts.
  if (options.ids != null && !Array.isArray(options.ids))
    throw new InputError({ argument: 'ids', expected: `an array of ${n} ids, one per text`, received: options.ids });
  const ids = options.ids ? [...options.ids] : texts.map((_, i) => String(i));
  // The default ids, the row numbers, are unique and safe in TSV by construction: checking a million
  // of them took most of a second.
  if (options.ids) {
    if (ids.length !== n) throw new InputError({ argument: 'ids', expected: `${n} ids, one per text`, received: ids.length });
    checkUnique(ids, 'ids');
    checkTsvSafe(ids, 'ids', 'ids');
  }
  const idColumn = options.idColumn ?? undefined;
  if (idColumn !== undefined) {
    if (typeof idColumn !== 'string' || idColumn === '')
      throw new InputError({
        argument: 'idColumn',
        expected: 'the name of the column the ids were read from, or null',
        received: idColumn,
      });
    // Without ids the items are numbered by row: no column holds them.
    if (!options.ids) throw new InputError({ argument: 'idColumn', expected: 'ids as well, read from that column' });
  }
  const target = poolScores(options.modelScores, 'modelScores', n, k);
  const comparison = poolScores(options.comparisonScores, 'comparisonScores', n, k);
  const surrogate = poolScores(options.surrogateScores, 'surrogateScores', n, k);
  const defensive = (checkOption('defensive', options.defensive, 'session') as number | null | undefined) ?? null;
  const clip = (checkOption('clip', options.clip, 'session') as number | undefined) ?? 0.1;
  const givenTemperature = (checkOption('temperature', options.temperature, 'session') as number | null | undefined) ?? null;
  if (!target) {
    if (!hasScorer)
      throw new InputError({ argument: 'modelScores', expected: 'target scores, or scoreTarget to score labelled items on demand' });
    if (comparison) throw new InputError({ argument: 'comparisonScores', expected: 'target scores as well, for a paired comparison' });
  }
  const { acquisition } = resolveProposal(
    {
      acquisition: options.acquisition,
      loss: lossId,
      defensive,
      numerics: 'default',
      temperature: givenTemperature,
      calibration: options.calibration !== undefined,
      hasSurrogate: surrogate !== undefined,
      hasTarget: target !== undefined,
      comparison: comparison !== undefined,
    },
    'session',
  ) as { acquisition: SessionAcquisition };
  checkProposalClip(clip, { randomLabelling: acquisition === 'iid' });
  const calibration = options.calibration === undefined ? null : calibrate(options.calibration, k);
  const temperature = calibration?.temperature ?? givenTemperature;
  const seed = (checkOption('seed', options.seed, 'session') as number | string | undefined) ?? 0;
  const givenPlanned = (checkOption('plannedLabels', options.plannedLabels ?? undefined, 'session') as number | undefined) ?? null;
  // A plan above the pool is a plan to label all of it (warned of when the session is created), as
  // `simulate` runs a size above the pool over the whole pool.
  const plannedLabels = givenPlanned === null ? null : Math.min(givenPlanned, n);
  const header: SessionHeader = {
    format: 'active-testing-session',
    formatVersion: FORMAT_VERSION,
    ids,
    // Written only when given: the header of a session without one is as it was before the field existed.
    ...(idColumn === undefined ? {} : { idColumn }),
    texts: [...texts],
    classes: [...classes],
    targetScores: null,
    comparisonScores: null,
    surrogateScores: null,
    acquisition,
    defensive,
    // iid records the clip it draws at, 0 (`proposalClip`); a file written before records the
    // clip given, and replays at it, draw for draw.
    clip: proposalClip(acquisition, clip),
    loss: lossId,
    temperature,
    calibration,
    seed,
    plannedLabels,
  };
  const length = headerLineLength(header, [target, comparison, surrogate]);
  if (length > constants.MAX_STRING_LENGTH) {
    throw new InputError({
      argument: 'texts',
      expected:
        `a pool whose session header fits in one line of at most ${constants.MAX_STRING_LENGTH.toLocaleString('en-US')} characters ` +
        '(about 10.7 characters per score, N·K per score matrix, plus the texts and ids): fewer items or classes',
      received: new ReceivedKind(
        `${n.toLocaleString('en-US')} items × ${k} classes, a header of ${length.toLocaleString('en-US')} characters`,
      ),
    });
  }
  header.targetScores = target ? store(target) : null;
  header.comparisonScores = comparison ? store(comparison) : null;
  header.surrogateScores = surrogate ? store(surrogate) : null;
  checkHeaderReplays(header);
  return header;
}

/**
 * The length in characters of `header`'s line once the given score matrices are stored in it
 * (in the fields that are still null, in the order target, comparison, surrogate) and its
 * checksum is added, computed without encoding them: what `create` checks against the longest
 * string the runtime can read back.
 */
export function headerLineLength(header: SessionHeader, matrices: readonly (Matrix | undefined)[]): number {
  let length = JSON.stringify(header).length + CHECKSUM_ADDED_LENGTH;
  for (const m of matrices) {
    if (m === undefined) continue;
    // `null` becomes {"rows":…,"cols":…,"float64":"…"}; base64 needs no escaping.
    length += JSON.stringify({ rows: m.rows, cols: m.cols, float64: '' }).length + base64Length(m.rows * m.cols * 8) - 'null'.length;
  }
  return length;
}

function calibrate(calibration: { scores: ScoresInput; labels: LabelsInput }, k: number): SessionCalibration {
  checkCalibrationKeys(calibration);
  const scores = readScores(calibration.scores, 'calibration.scores');
  if (scores.cols !== k)
    throw new InputError({ argument: 'calibration.scores', expected: `${k} columns (one per class)`, received: scores.cols });
  const labels = toLabels(calibration.labels, 'calibration.labels', scores.rows, k);
  const fit = fitTemperature(scores, labels);
  return { rows: scores.rows, temperature: fit.temperature, nll: fit.nll, atBound: fit.atBound };
}

/**
 * How to get the labels out of a session file that cannot be reopened: appended to every refusal
 * to open one, so that a damaged file never looks like lost work.
 */
export function recoveryHint(path: string): string {
  return `its labels can still be exported: active-testing label --session ${shellWord(path)} --export-labels labels.tsv (or exportSessionLabels())`;
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function storedMatrixProblem(value: unknown, name: string, n: number, k: number): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'object' || value === undefined) return `${name} is not ${n}×${k} scores`;
  const values = storedValues(value as Partial<StoredMatrix>, n, k);
  return typeof values === 'string' ? `${name} ${values}` : undefined;
}

function namesProblem(value: unknown, name: string): string | undefined {
  if (!Array.isArray(value)) return `${name} is not an array`;
  const seen = new Set<string>();
  for (let row = 0; row < value.length; row++) {
    const item = value[row] as unknown;
    if (typeof item !== 'string' || item === '') return `${name} row ${row} is not a non-empty string`;
    if (seen.has(item)) return `${name} has the duplicate ${JSON.stringify(item)} (row ${row})`;
    seen.add(item);
  }
  return undefined;
}

/**
 * The first reason why `value` is not a session header that replays as written, or undefined.
 * `namesChecked`: its ids and classes are known to be unique non-empty strings (`buildHeader`
 * checked them), which a second check of a million ids would take a second to confirm.
 */
function headerProblem(value: Record<string, unknown>, namesChecked = false): string | undefined {
  const { ids, idColumn, texts, classes } = value;
  const names = namesChecked ? undefined : (namesProblem(ids, 'ids') ?? namesProblem(classes, 'classes'));
  if (names) return names;
  if (idColumn !== undefined && !(typeof idColumn === 'string' && idColumn !== '')) return 'idColumn is not a non-empty string';
  const n = (ids as string[]).length;
  const k = (classes as string[]).length;
  if (n === 0) return 'the pool is empty';
  if (k < 2) return 'fewer than 2 classes';
  if (!Array.isArray(texts) || texts.length !== n || texts.some((text) => typeof text !== 'string'))
    return `texts are not ${n} strings (one per id)`;
  for (const name of ['targetScores', 'comparisonScores', 'surrogateScores'] as const) {
    const problem = storedMatrixProblem(value[name], name, n, k);
    if (problem) return problem;
  }
  const acquisition = value.acquisition as SessionAcquisition;
  if (!SESSION_ACQUISITIONS.includes(acquisition))
    return `acquisition ${JSON.stringify(acquisition)} is not one of ${SESSION_ACQUISITIONS.join(', ')}`;
  if (value.targetScores === null && ACQUISITIONS[acquisition].needsTarget)
    return `acquisition ${acquisition} needs target scores, and the file has none`;
  if (ACQUISITIONS[acquisition].needsSurrogate && value.surrogateScores === null)
    return `acquisition ${acquisition} needs surrogate scores, and the file has none`;
  const { defensive, clip, loss, temperature, calibration, seed, plannedLabels } = value;
  if (defensive !== undefined && defensive !== null && !(isFiniteNumber(defensive) && defensive >= 0 && defensive <= 1))
    return 'defensive is not a weight in [0, 1]';
  if (!(isFiniteNumber(clip) && clip >= 0 && clip < 1)) return 'clip is not a number in [0, 1)';
  if (typeof loss !== 'string' || !(BUILTIN_LOSS_NAMES.includes(loss as BuiltinLoss) || /^custom:./s.test(loss)))
    return `loss ${JSON.stringify(loss) ?? 'undefined'} is not ${BUILTIN_LOSS_NAMES.join(', ')} or custom:<name>`;
  if (temperature !== null && !(isFiniteNumber(temperature) && temperature > 0)) return 'temperature is not a finite number > 0 or null';
  if (calibration !== undefined && calibration !== null) {
    const fit = calibration as Partial<SessionCalibration>;
    if (
      !(Number.isInteger(fit.rows) && isFiniteNumber(fit.temperature) && fit.temperature > 0 && isFiniteNumber(fit.nll)) ||
      !(fit.atBound === undefined || typeof fit.atBound === 'boolean')
    )
      return 'calibration is damaged';
  }
  // Settings that do not go together (a defensive weight with adaptive, ...) would be refused by
  // the session's set-up as if they were options given now, naming no file.
  try {
    resolveProposal(
      {
        acquisition,
        loss,
        defensive: (defensive as number | null | undefined) ?? null,
        numerics: 'default',
        // A calibrated session stores the fitted temperature with its calibration set.
        temperature: calibration === undefined || calibration === null ? (temperature as number | null) : null,
        // Sessions created before a calibration set was refused where nothing reads it (iid) stored
        // one: it changes none of their draws, and their labels stay openable.
        calibration: calibration !== undefined && calibration !== null && ACQUISITIONS[acquisition].temperatureOf !== null,
        hasSurrogate: value.surrogateScores !== null,
        hasTarget: value.targetScores !== null,
        comparison: value.comparisonScores !== null,
      },
      'session',
    );
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return `its settings do not go together: ${error.message}`;
  }
  if (!isSeed(seed)) return `seed ${JSON.stringify(seed) ?? 'undefined'} is not an integer ≥ 0 or a non-empty string`;
  if (
    plannedLabels !== undefined &&
    plannedLabels !== null &&
    !(Number.isSafeInteger(plannedLabels) && (plannedLabels as number) >= 1 && (plannedLabels as number) <= n)
  )
    return `plannedLabels is not a label count in [1, ${n}]`;
  return undefined;
}

/**
 * Checks that a parsed first line is a session header this version can read and replay: every
 * field of the right type and range (ids unique, scores finite and of the pool's shape, a seed a
 * random stream takes, ...). `checksummed`: the line ended in its checksum, which matched; every
 * header of the format written now does, so one without it had the field removed or damaged, and a
 * change to it would go unnoticed (only format 1, from before checksums, opens unchecked). A
 * header that fails is refused with a `FileFormatError` that says how to export the labels anyway.
 *
 * @throws {FileFormatError} when the header is not a valid session header.
 */
export function checkHeader(value: Record<string, unknown>, path: string, checksummed: boolean): SessionHeader {
  if (value.format !== 'active-testing-session') throw new FileFormatError(path, 'not an active-testing session file (bad header)');
  if (value.formatVersion !== 1 && value.formatVersion !== FORMAT_VERSION) {
    throw new FileFormatError(
      path,
      `session format version ${String(value.formatVersion)} is not supported (expected 1 or ${FORMAT_VERSION}; a newer active-testing may open it); ${recoveryHint(path)}`,
    );
  }
  const problem =
    value.formatVersion === FORMAT_VERSION && !checksummed
      ? `it does not end in its checksum, as every header of format version ${FORMAT_VERSION} does: the field was removed or damaged, so a change to the header would go unnoticed`
      : headerProblem(value);
  if (problem)
    throw new FileFormatError(path, `damaged session header (${problem}), so the session cannot be replayed; ${recoveryHint(path)}`);
  return value as unknown as SessionHeader;
}

/**
 * Checks, before anything is written, that a header built for a new session survives its trip
 * through JSON unchanged and would be accepted by `checkHeader` when the file is reopened.
 *
 * @throws {InputError} naming the first field that would not replay.
 */
export function checkHeaderReplays(header: SessionHeader): void {
  // Stored scores are base64 text, and the ids, texts and classes strings, which JSON carries
  // unchanged: the round trip leaves them out, and the names `buildHeader` checked are not checked again.
  const { ids, texts, classes, targetScores, comparisonScores, surrogateScores } = header;
  const stored = JSON.parse(
    JSON.stringify({ ...header, ids: [], texts: [], classes: [], targetScores: null, comparisonScores: null, surrogateScores: null }),
  ) as Record<string, unknown>;
  Object.assign(stored, { ids, texts, classes, targetScores, comparisonScores, surrogateScores });
  const problem = headerProblem(stored, true);
  if (problem) throw new InputError({ argument: 'options', expected: `settings that the session file can store and replay (${problem})` });
}
