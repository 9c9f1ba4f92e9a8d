import { FileFormatError, InputError } from '../errors.js';
import { fitTemperature } from '../calibration/temperature.js';
import { toLabels, toMatrix, type LabelsInput, type Matrix, type MatrixInput } from '../matrix.js';
import type { SessionLoss } from './loss.js';

/** Acquisitions a session can use: the functions that need no labels, and the proposals of docs/adaptive.md. */
export type SessionAcquisition = 'adaptive' | 'surrogate-m2' | 'surrogate-ce' | 'surrogate-pe' | 'self-entropy' | 'iid';

export const SESSION_ACQUISITIONS: readonly SessionAcquisition[] = ['adaptive', 'surrogate-m2', 'surrogate-ce', 'surrogate-pe', 'self-entropy', 'iid'];

/** Acquisitions that read the target's predictions on the whole pool. */
const NEED_TARGET: readonly SessionAcquisition[] = ['adaptive', 'surrogate-m2', 'surrogate-ce', 'self-entropy'];

/** Scores the target model on demand (the "no target predictions" mode), e.g. `(texts) => model.score(texts)`. */
export type TargetScorer = (texts: readonly string[]) => Promise<ScoresInput>;

/** Everything a new session is made from. */
export interface SessionOptions {
  /** The pool's texts, one per item. */
  texts: readonly string[];
  /** Stable ids of the items (unique); default the row numbers "0", "1", .... */
  ids?: readonly string[];
  /** Class names in label-id order (K ≥ 2). */
  classes: readonly string[];
  /** The target's logits over the pool (N×K). Omit them to score the target on demand with `scoreTarget`. */
  targetScores?: ScoresInput;
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
  /** Floor fraction c of the proposal, in [0, 1); default 0.1. */
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
}

/** Scores as stored in the session file. */
export interface StoredMatrix {
  rows: number;
  cols: number;
  data: number[];
}

/** The first line of a session file: the pool and every setting, resolved. */
export interface SessionHeader {
  format: 'active-testing-session';
  formatVersion: 1;
  ids: string[];
  texts: string[];
  classes: string[];
  targetScores: StoredMatrix | null;
  comparisonScores: StoredMatrix | null;
  surrogateScores: StoredMatrix | null;
  acquisition: SessionAcquisition;
  /** Absent in files written before defensive mixtures existed: none. */
  defensive?: number | null;
  clip: number;
  /** `cross-entropy`, `zero-one`, `brier` or `custom:<name>`. */
  loss: string;
  temperature: number | null;
  /** The calibration set the temperature was fitted on; absent or null when none was given. */
  calibration?: SessionCalibration | null;
  seed: number | string;
}

/** What the session file records of a surrogate calibration: its size and the fit. */
export interface SessionCalibration {
  rows: number;
  temperature: number;
  /** Mean NLL of the calibration labels under the surrogate at that temperature. */
  nll: number;
}

function store(m: Matrix): StoredMatrix {
  return { rows: m.rows, cols: m.cols, data: Array.from(m.data) };
}

/** The stored scores as a matrix. */
export function storedMatrix(stored: StoredMatrix | null): Matrix | undefined {
  return stored === null ? undefined : { rows: stored.rows, cols: stored.cols, data: Float64Array.from(stored.data) };
}

/** Scores in any form `toMatrix` reads, or a `Matrix`. */
export type ScoresInput = MatrixInput | Matrix;

/** Reads scores given in any supported form, checking that they are finite. */
export function readScores(input: ScoresInput, argument: string): Matrix {
  const isMatrix = 'rows' in input && 'cols' in input && 'data' in input;
  return toMatrix(isMatrix ? { data: (input as Matrix).data, shape: [(input as Matrix).rows, (input as Matrix).cols] } : (input as MatrixInput), argument);
}

function poolMatrix(input: ScoresInput | undefined, argument: string, n: number, k: number): Matrix | undefined {
  if (input === undefined) return undefined;
  const m = readScores(input, argument);
  if (m.rows !== n || m.cols !== k) {
    throw new InputError({ argument, expected: `${n}×${k} scores (one row per text, one column per class)`, received: `${m.rows}×${m.cols}` });
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
 * Validates new-session options and resolves every default into the header that the session
 * file stores. `lossId` is the resolved loss's id.
 */
export function buildHeader(options: SessionOptions, lossId: string, hasScorer: boolean): SessionHeader {
  const { texts, classes } = options;
  if (!Array.isArray(texts) || texts.length === 0) throw new InputError({ argument: 'texts', expected: 'a non-empty array of strings' });
  texts.forEach((text, row) => {
    if (typeof text !== 'string') throw new InputError({ argument: 'texts', expected: 'a string', received: typeof text, row });
  });
  const n = texts.length;
  if (!Array.isArray(classes) || classes.length < 2) throw new InputError({ argument: 'classes', expected: 'at least 2 class names', received: classes?.length });
  checkUnique(classes, 'classes');
  const k = classes.length;
  const ids = options.ids ? [...options.ids] : texts.map((_, i) => String(i));
  if (ids.length !== n) throw new InputError({ argument: 'ids', expected: `${n} ids, one per text`, received: ids.length });
  checkUnique(ids, 'ids');
  const target = poolMatrix(options.targetScores, 'targetScores', n, k);
  const comparison = poolMatrix(options.comparisonScores, 'comparisonScores', n, k);
  const surrogate = poolMatrix(options.surrogateScores, 'surrogateScores', n, k);
  const defensive = options.defensive ?? null;
  if (defensive !== null && !(typeof defensive === 'number' && defensive >= 0 && defensive <= 1)) {
    throw new InputError({ argument: 'defensive', expected: 'a mixture weight λ in [0, 1], or null', received: defensive });
  }
  // Adaptive's candidates are cross-entropy proposals for one target (docs/adaptive.md).
  const adaptiveFits = lossId === 'cross-entropy' && !comparison && defensive === null;
  const acquisition = options.acquisition ?? (surrogate ? (target ? (adaptiveFits ? 'adaptive' : 'surrogate-ce') : 'surrogate-pe') : 'iid');
  if (!SESSION_ACQUISITIONS.includes(acquisition)) throw new InputError({ argument: 'acquisition', expected: SESSION_ACQUISITIONS.join(' | '), received: acquisition });
  if (acquisition === 'adaptive' && defensive !== null) {
    throw new InputError({ argument: 'defensive', expected: 'no defensive weight with adaptive acquisition (it keeps its own uniform share)', received: defensive });
  }
  if (acquisition.startsWith('surrogate') && !surrogate) {
    throw new InputError({ argument: 'surrogateScores', expected: `surrogate scores for acquisition ${acquisition}` });
  }
  if (!target) {
    if (!hasScorer) throw new InputError({ argument: 'targetScores', expected: 'target scores, or scoreTarget to score labelled items on demand' });
    if (NEED_TARGET.includes(acquisition)) {
      throw new InputError({ argument: 'acquisition', expected: "'surrogate-pe' or 'iid' without target scores (the others read the target's predictions)", received: acquisition });
    }
    if (comparison) throw new InputError({ argument: 'comparisonScores', expected: 'target scores as well, for a paired comparison' });
  }
  const clip = options.clip ?? 0.1;
  // Every remaining item needs q > 0 for LURE and the confidence sequence; iid ignores the clip.
  if (!((clip > 0 || acquisition === 'iid') && clip >= 0 && clip < 1)) {
    throw new InputError({ argument: 'clip', expected: 'a number in (0, 1): every item needs a proposal probability above 0', received: clip });
  }
  const calibration = options.calibration === undefined ? null : calibrate(options.calibration, k, acquisition, options.temperature ?? null);
  const temperature = calibration?.temperature ?? options.temperature ?? null;
  if (temperature !== null && !(temperature > 0 && Number.isFinite(temperature))) {
    throw new InputError({ argument: 'temperature', expected: 'a positive number or null', received: temperature });
  }
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' && typeof seed !== 'string') throw new InputError({ argument: 'seed', expected: 'a number or a string', received: seed });
  return {
    format: 'active-testing-session',
    formatVersion: 1,
    ids,
    texts: [...texts],
    classes: [...classes],
    targetScores: target ? store(target) : null,
    comparisonScores: comparison ? store(comparison) : null,
    surrogateScores: surrogate ? store(surrogate) : null,
    acquisition,
    defensive,
    clip,
    loss: lossId,
    temperature,
    calibration,
    seed,
  };
}

function calibrate(
  calibration: { scores: ScoresInput; labels: LabelsInput },
  k: number,
  acquisition: SessionAcquisition,
  temperature: number | null,
): SessionCalibration {
  if (temperature !== null) throw new InputError({ argument: 'calibration', expected: 'either a calibration set or a temperature, not both', received: temperature });
  if (acquisition === 'self-entropy') {
    throw new InputError({ argument: 'calibration', expected: "a surrogate acquisition (self-entropy's temperature is the target's)", received: acquisition });
  }
  const scores = readScores(calibration.scores, 'calibration.scores');
  if (scores.cols !== k) throw new InputError({ argument: 'calibration.scores', expected: `${k} columns (one per class)`, received: scores.cols });
  const labels = toLabels(calibration.labels, 'calibration.labels', scores.rows, k);
  const fit = fitTemperature(scores, labels);
  return { rows: scores.rows, temperature: fit.temperature, nll: fit.nll };
}

/** Checks that a parsed first line is a session header this version can read. */
export function checkHeader(value: Record<string, unknown>, path: string): SessionHeader {
  if (value.format !== 'active-testing-session') throw new FileFormatError(path, 'not an active-testing session file (bad header)');
  if (value.formatVersion !== 1) throw new FileFormatError(path, `session format version ${String(value.formatVersion)} is not supported (expected 1)`);
  const header = value as unknown as SessionHeader;
  if (!Array.isArray(header.ids) || !Array.isArray(header.texts) || !Array.isArray(header.classes) || header.ids.length !== header.texts.length) {
    throw new FileFormatError(path, 'damaged session header (ids, texts and classes)');
  }
  return header;
}
