import { FileFormatError, InputError, type OptionNaming, ReceivedKind } from '../errors.js';
import { checkObject, checkPath } from './check-arguments.js';
import { readNpy, type NpyArray } from './npy.js';
import { checkKnownKeys } from './suggest.js';
import { zeroBasedRow } from './format-count.js';
import { matrixView, toLabels, type Matrix } from '../matrix.js';

/** Paths of the `.npy` files a simulation reads. */
export interface SimulationFiles {
  modelScores: string;
  surrogateScores?: string;
  labels: string;
}

/** A pool read from `.npy` files and checked: scores N×K, labels as class indices. */
export interface LoadedPool {
  modelScores: Matrix;
  surrogateScores?: Matrix;
  labels: Int32Array;
}

/** The keys of `SimulationFiles`. */
const SIMULATION_FILE_KEYS = ['modelScores', 'surrogateScores', 'labels'] satisfies (keyof SimulationFiles)[];

const FLOAT_DTYPES = new Set(['f2', 'f4', 'f8']);

function asNumbers(data: NpyArray['data']): ArrayLike<number> {
  return data instanceof BigInt64Array || data instanceof BigUint64Array ? Float64Array.from(data, Number) : data;
}

/**
 * Checks scores read from a `.npy` file (float dtype, 2-D, N ≥ 1, K ≥ 2, finite) and returns them
 * as a float64 `Matrix`: float64 data is shared with the array, not copied (the array is read for
 * it), float32 converted. `argument` names the option in errors.
 *
 * @example
 * const scores = scoresMatrix(await readNpy('f.npy'), '--model-scores');
 */
export function scoresMatrix(array: NpyArray, argument: string): Matrix {
  if (!FLOAT_DTYPES.has(array.dtype)) {
    throw new InputError({ argument, expected: 'float16, float32 or float64 scores', received: array.dtype });
  }
  if (array.shape.length !== 2) {
    throw new InputError({
      argument,
      expected: 'a 2-D array of scores (N×K)',
      received: new ReceivedKind(`shape (${array.shape.join(', ')})`),
    });
  }
  return matrixView({ data: array.data as ArrayLike<number>, shape: [array.shape[0]!, array.shape[1]!] }, argument);
}

/**
 * Whether every row of `scores` is a probability distribution (values in [0, 1] summing to 1
 * within K·6·10⁻⁴, at most 0.01: probabilities written with 3 decimals, as spreadsheets and JSON
 * dumps round them, sum within K·5·10⁻⁴, inside the cap for up to 16 classes; float32 probabilities within K·2⁻²³) and some row is not
 * uniform. Scores are logits, and the softmax of probabilities is nearly flat ((0.9, 0.1)
 * reads as (0.69, 0.31)), so such scores were most likely given by mistake; uniform rows are left
 * out, as their softmax is themselves. One pass over the values, O(N·K), that stops at the first
 * row that is not a distribution: the first row, nearly always, for logits.
 *
 * @example
 * rowsAreProbabilities({ data: Float64Array.of(0.9, 0.1, 0.2, 0.8), rows: 2, cols: 2 }); // true
 * rowsAreProbabilities({ data: Float64Array.of(2.2, 0, -1, 0.4), rows: 2, cols: 2 }); // false
 * rowsAreProbabilities({ data: Float64Array.of(0.5, 0.5), rows: 1, cols: 2 }); // false: its softmax is itself
 */
export function rowsAreProbabilities(scores: Matrix): boolean {
  const { data, rows, cols } = scores;
  const tolerance = Math.max(1e-6, cols * 2 ** -23, Math.min(0.01, cols * 6e-4));
  let uniform = true;
  for (let row = 0, i = 0; row < rows; row++) {
    const first = data[i]!;
    let sum = 0;
    for (const end = i + cols; i < end; i++) {
      const value = data[i]!;
      if (!(value >= 0 && value <= 1)) return false;
      if (value !== first) uniform = false;
      sum += value;
    }
    if (Math.abs(sum - 1) > tolerance) return false;
  }
  return !uniform;
}

/**
 * The warning for scores whose rows are probabilities (`rowsAreProbabilities`), naming the option
 * or grid key they were given as: one text for every command that reads score files.
 *
 * @example
 * probabilitiesWarning('--model-scores'); // '--model-scores: every row is in [0, 1] and sums to 1, …'
 */
export function probabilitiesWarning(argument: string): string {
  return `${argument}: every row is in [0, 1] and sums to 1, as probabilities do; scores are read as logits (a softmax is applied), so pass log-probabilities instead, floored where p is 0 (np.log(np.maximum(p, 1e-12))): −Infinity is refused`;
}

/**
 * The probabilities warnings of the score matrices given, by the argument each was given as (an
 * option, a flag or a grid key), in that order; none for a matrix not given.
 *
 * @example
 * probabilitiesWarnings({ modelScores: f, surrogateScores: undefined }); // [] for logits
 */
export function probabilitiesWarnings(scoresByArgument: Record<string, Matrix | undefined>): string[] {
  return Object.entries(scoresByArgument).flatMap(([argument, scores]) =>
    scores !== undefined && rowsAreProbabilities(scores) ? [probabilitiesWarning(argument)] : [],
  );
}

/**
 * Checks surrogate scores read from a `.npy` file as `scoresMatrix` does, and that they have the
 * shape of the target's `modelScores`. `argument` and `modelArgument` name the two in errors.
 *
 * @example
 * const g = surrogateMatrix(await readNpy('g.npy'), f, '--surrogate-scores', '--model-scores');
 */
export function surrogateMatrix(array: NpyArray, modelScores: Matrix, argument: string, modelArgument: string): Matrix {
  const scores = scoresMatrix(array, argument);
  if (scores.rows !== modelScores.rows || scores.cols !== modelScores.cols) {
    throw new InputError({
      argument,
      expected: `the shape of ${modelArgument}, (${modelScores.rows}, ${modelScores.cols})`,
      received: new ReceivedKind(`shape (${scores.rows}, ${scores.cols})`),
    });
  }
  return scores;
}

/**
 * Reads labels from a `.npy` array: class indices of an integer, bool or float dtype (whole
 * numbers: 1.0 is class 1; 1.5, NaN, a negative or out-of-range index is refused), 1-D or a column
 * (N×1, as `df[['label']].to_numpy()` gives), or N×K one-hot rows, checked against the pool size
 * `n` and class count `k`. `argument` names the option in errors.
 *
 * @example
 * const labels = labelIndices(await readNpy('y.npy'), '--labels', 1000, 2);
 */
export function labelIndices(array: NpyArray, argument: string, n: number, k: number): Int32Array {
  // A column is never one-hot rows, which have K ≥ 2 columns.
  const column = array.shape.length === 2 && array.shape[1] === 1 && k > 1;
  // Any dtype: float indices (`df['label'].to_numpy()` of a column that held a missing value) are
  // read when each is a whole number, as toLabels checks.
  // The typed array itself, not its numbers: a refused 64-bit index is told by its own digits
  // (9007199254740993, not the double 9007199254740992).
  if (array.shape.length === 1 || column) return toLabels(array.data as ArrayLike<number | bigint> as ArrayLike<number>, argument, n, k);
  if (array.shape.length === 2) {
    if (array.shape[0] !== n || array.shape[1] !== k) {
      throw new InputError({
        argument,
        // Both forms: a row of indices (y[None], 1×N) is refused as much for not being N long.
        expected: `class indices, shape (${n}) or (${n}, 1), or one-hot rows, shape (${n}, ${k})`,
        received: new ReceivedKind(`shape (${array.shape.join(', ')})`),
      });
    }
    const values = asNumbers(array.data);
    const rows = Array.from({ length: n }, (_, i) => Array.prototype.slice.call(values, i * k, (i + 1) * k) as number[]);
    return toLabels(rows, argument, n, k);
  }
  throw new InputError({
    argument,
    expected: 'class indices (N) or one-hot rows (N×K)',
    received: new ReceivedKind(`shape (${array.shape.join(', ')})`),
  });
}

/**
 * `read()` of the `.npy` array read from `path` (its scores or labels checked): a refused row is
 * told by the file and its 0-based row, as a Parquet file's rows are, after the option `argument`.
 *
 * @example
 * const labels = ofFileRows('y.npy', '--labels', () => labelIndices(array, '--labels', n, k));
 */
export function ofFileRows<T>(path: string, argument: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof InputError) || error.row === undefined) throw error;
    const row = zeroBasedRow(error.row);
    const reason = (naming: OptionNaming) =>
      new InputError({ argument: row, expected: error.expectedBy(naming), received: error.received }).message;
    throw new FileFormatError(path, reason, argument);
  }
}

/**
 * `promise`, marked as handled: when it fails while an earlier step is awaited, its failure waits
 * for the caller's `await` instead of surfacing as an unhandled rejection.
 */
export function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Refuses target scores saved K×N (`np.stack(columns)`, a `.T` too many) beside N labels: the
 * labels' count would be refused as not one per row of the scores, blaming the file that is
 * right. A labels file that cannot be read (`labels` undefined) is refused later, in its turn.
 */
function refuseTransposed(scores: Matrix, labels: NpyArray | undefined, name: Record<keyof SimulationFiles, string>): void {
  const count = labels?.shape[0];
  // Only scores wider than tall read as transposed: a (100, 2) file beside 2 labels is the labels' fault.
  if (labels === undefined || labels.shape.length > 2 || count === scores.rows || count !== scores.cols || scores.rows >= scores.cols)
    return;
  throw new InputError({
    argument: name.modelScores,
    expected: `one row per item, shape (${count}, ${scores.rows}) for the ${count} labels of ${name.labels}`,
    received: new ReceivedKind(`shape (${scores.rows}, ${scores.cols}), the items in its columns: save the transpose, scores.T`),
  });
}

/**
 * Reads and checks the `.npy` files of a simulation: model scores (float, N×K, finite), optional
 * surrogate scores of the same shape, and labels as class indices (integer, bool or float dtype,
 * whole numbers; 1-D or an N×1 column) or N×K one-hot rows. Errors name the file at fault by
 * `names`: by default its key (`modelScores`), on the command line its flag (`--model-scores`), in
 * a grid its key there (`surrogates.g.scores`).
 *
 * @example
 * const pool = await loadSimulationPool({ modelScores: 'f.npy', labels: 'y.npy' });
 * @throws {InputError} on an unknown key of `files` (a misspelt `surogateScores` would otherwise
 * leave the pool without a surrogate), a missing path, or a file that does not hold what it should.
 */
export async function loadSimulationPool(
  files: SimulationFiles,
  names: Partial<Record<keyof SimulationFiles, string>> = {},
): Promise<LoadedPool> {
  checkObject(files, 'files', 'the pool files { modelScores, surrogateScores?, labels }');
  checkKnownKeys(files, SIMULATION_FILE_KEYS, 'files');
  const name = { modelScores: 'modelScores', surrogateScores: 'surrogateScores', labels: 'labels', ...names };
  // Named as the caller names them: a missing or misspelt key would otherwise be "path: expected a file path".
  checkPath(files.modelScores, name.modelScores);
  if (files.surrogateScores !== undefined) checkPath(files.surrogateScores, name.surrogateScores);
  checkPath(files.labels, name.labels);
  // The files are read at once and checked in this order, so that the first file at fault is the one reported.
  const reads = {
    modelScores: settledLater(readNpy(files.modelScores, name.modelScores)),
    surrogateScores: files.surrogateScores === undefined ? undefined : settledLater(readNpy(files.surrogateScores, name.surrogateScores)),
    labels: settledLater(readNpy(files.labels, name.labels)),
  };
  const modelArray = await reads.modelScores;
  const modelScores = ofFileRows(files.modelScores, name.modelScores, () => scoresMatrix(modelArray, name.modelScores));
  refuseTransposed(modelScores, await reads.labels.catch(() => undefined), name);
  let surrogateScores: Matrix | undefined;
  if (reads.surrogateScores !== undefined) {
    const surrogateArray = await reads.surrogateScores;
    surrogateScores = ofFileRows(files.surrogateScores!, name.surrogateScores, () =>
      surrogateMatrix(surrogateArray, modelScores, name.surrogateScores, name.modelScores),
    );
  }
  const labelsArray = await reads.labels;
  const labels = ofFileRows(files.labels, name.labels, () => labelIndices(labelsArray, name.labels, modelScores.rows, modelScores.cols));
  return surrogateScores === undefined ? { modelScores, labels } : { modelScores, surrogateScores, labels };
}
