import { InputError, ReceivedKind } from './errors.js';

/** A dense row-major matrix of float64 values. */
export interface Matrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * What score and label inputs read of an ndarray (the `ndarray` package's arrays, or any object
 * with these members): declared here so that the package's types need no `@types/ndarray`.
 */
export interface NdArrayLike {
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  get(...indices: number[]): number;
}

/**
 * An ndarray (from the `ndarray` package) holding `data` laid out by `shape`, `stride` and
 * `offset`, as the Python-parity results return them; typed by the members used most.
 */
export interface NdArrayView<T extends ArrayLike<number>> extends NdArrayLike {
  readonly data: T;
  readonly shape: number[];
  readonly stride: number[];
  readonly offset: number;
  readonly size: number;
  readonly dimension: number;
  set(...indicesThenValue: number[]): number;
  index(...indices: number[]): number;
  pick(...indices: Array<number | null>): NdArrayView<T>;
  transpose(...axes: number[]): NdArrayView<T>;
}

/**
 * Scores as users hold them: an ndarray, nested arrays, rows of typed arrays, or a flat row-major
 * typed array with its shape (`readNpy()`'s result as it is, or `{ data: result.scores, shape:
 * result.shape }` from a scoring result).
 */
export type MatrixInput =
  Matrix | NdArrayLike | ArrayLike<ArrayLike<number>> | { data: ArrayLike<number | bigint>; shape: readonly number[] };

/**
 * Class indices (any integer array) or one-hot rows, or a flat array with its shape (`readNpy()`'s
 * result as it is, int64 included).
 */
export type LabelsInput =
  NdArrayLike | ArrayLike<number> | ArrayLike<ArrayLike<number>> | { data: ArrayLike<number | bigint>; shape: readonly number[] };

function isMatrix(value: object): value is Matrix {
  return 'data' in value && 'rows' in value && 'cols' in value;
}

function isNdArray(value: unknown): value is NdArrayLike {
  return typeof value === 'object' && value !== null && 'shape' in value && 'stride' in value && 'get' in value;
}

/**
 * Copies any supported score input into a row-major float64 `Matrix`, checking that it is
 * rectangular and finite. `argument` names the input in error messages.
 *
 * @throws {InputError} naming `argument` (and the row) when the input is not rectangular or holds a
 * value that is not finite.
 * @example
 * toMatrix([[1, 2], [3, 4]]).data; // Float64Array [1, 2, 3, 4]
 * toMatrix([[1, 2], [3]], 'modelScores'); // InputError: modelScores (row 1): expected 2 values per row, got 1
 */
export function toMatrix(input: MatrixInput, argument = 'scores'): Matrix {
  return readMatrix(input, argument, false);
}

/**
 * {@link toMatrix} without the copy where none is needed: scores given as a `Float64Array` (with a
 * shape, or as a `Matrix`) are checked and shared as they are, any other form is copied. For code
 * that reads the scores at once and keeps nothing that aliases them (a copy of 10^7 scores costs
 * about a quarter of a second).
 */
export function matrixView(input: MatrixInput, argument: string): Matrix {
  return readMatrix(input, argument, true);
}

const SCORES_SHAPE = 'a list of sizes [N, K], each an integer ≥ 0 (a Matrix { data, rows, cols } needs no shape)';
const LABELS_SHAPE = 'a list of sizes [N] or [N, K], each an integer ≥ 0';

/**
 * The `shape` of a flat array or an ndarray, checked before it is read: a missing one (`{ data:
 * m.data, shape: m.shape }` from a Matrix, which has rows and cols) would fail as a TypeError, and
 * an entry that is no count (`'50'`, -2, NaN) would pass as one into later checks that then
 * contradict themselves ("expected 50 labels … got 50"). `expected` says what the shape of
 * `argument` must be.
 */
function checkShape(shape: unknown, argument: string, expected: string): readonly number[] {
  // A typed array of sizes (an ndarray library's Int32Array shape) is a list of sizes too.
  const sizes = Array.isArray(shape)
    ? shape
    : ArrayBuffer.isView(shape) && !(shape instanceof DataView)
      ? Array.from(shape as Int32Array)
      : null;
  if (sizes === null || !sizes.every((size) => Number.isSafeInteger(size) && (size as number) >= 0)) {
    throw new InputError({
      argument: `${argument}.shape`,
      expected,
      received: ReceivedKind.given(shape),
    });
  }
  return sizes as readonly number[];
}

const MATRIX_EXPECTED = 'an N×K array of scores (nested arrays, { data, shape } as readNpy returns, an ndarray or a Matrix)';

function readMatrix(input: MatrixInput, argument: string, share: boolean): Matrix {
  // Missing scores, or a file path where the library wants the array (`readNpy(path)` reads it).
  if (typeof input !== 'object' || input === null) throw new InputError({ argument, expected: MATRIX_EXPECTED, received: input });
  let rows: number;
  let cols: number;
  let data: Float64Array;
  if (isMatrix(input)) {
    ({ rows, cols } = input);
    if (input.data.length !== rows * cols) {
      throw new InputError({ argument, expected: `${rows * cols} values for ${rows}×${cols}`, received: input.data.length });
    }
    data = share && input.data instanceof Float64Array ? input.data : numbersOf(input.data, argument, cols);
  } else if (isNdArray(input)) {
    const shape = checkShape(input.shape, argument, SCORES_SHAPE);
    if (shape.length !== 2) {
      throw new InputError({ argument, expected: 'a 2-D array (N×K)', received: new ReceivedKind(`shape [${shape.join(', ')}]`) });
    }
    [rows, cols] = shape as [number, number];
    data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let k = 0; k < cols; k++) data[i * cols + k] = scoreNumber(input.get(i, k), argument, i);
  } else if ('shape' in input && 'data' in input && !Array.isArray(input)) {
    const shape = checkShape(input.shape, argument, SCORES_SHAPE);
    if (shape.length !== 2) {
      throw new InputError({ argument, expected: 'a 2-D array (N×K)', received: new ReceivedKind(`shape [${shape.join(', ')}]`) });
    }
    [rows, cols] = shape as [number, number];
    if (input.data.length !== rows * cols) {
      throw new InputError({ argument, expected: `${rows * cols} values for shape [${rows}, ${cols}]`, received: input.data.length });
    }
    data = share && input.data instanceof Float64Array ? input.data : numbersOf(input.data, argument, cols);
  } else {
    const nested = input as ArrayLike<ArrayLike<number>>;
    if (!Number.isSafeInteger(nested.length)) throw new InputError({ argument, expected: MATRIX_EXPECTED, received: input });
    // A flat array has lost its shape: read row by row it would say "expected 0 values per row".
    if (nested.length > 0 && typeof nested[0] !== 'object') {
      throw new InputError({
        argument,
        expected: `${MATRIX_EXPECTED}; a flat array needs its shape, { data, shape: [N, K] }`,
        received: new ReceivedKind(`a flat ${Array.isArray(input) ? 'array' : input.constructor.name} of ${nested.length} values`),
      });
    }
    rows = nested.length;
    cols = rows > 0 ? (nested[0]?.length ?? 0) : 0;
    data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = nested[i];
      if (row === undefined || row === null || typeof row !== 'object' || row.length !== cols) {
        throw new InputError({ argument, expected: `${cols} values per row`, received: row === null ? null : row?.length, row: i });
      }
      for (let k = 0; k < cols; k++) data[i * cols + k] = scoreNumber(row[k], argument, i);
    }
  }
  if (rows === 0) throw new InputError({ argument, expected: 'a non-empty pool (N ≥ 1 rows)', received: 0 });
  if (cols < 2) throw new InputError({ argument, expected: 'at least 2 classes (K ≥ 2 columns)', received: cols });
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const expected = data[i] === Number.NEGATIVE_INFINITY ? FINITE_NOT_RULED_OUT : 'finite values';
      throw new InputError({ argument, expected, received: data[i], row: Math.floor(i / cols) });
    }
  }
  return { data, rows, cols };
}

/**
 * What a score of −Infinity is refused with: it is what log(0) gives for a class the model rules
 * out, and that class's cross-entropy, where it is the label, is infinite; a finite floor keeps
 * every loss finite.
 */
const FINITE_NOT_RULED_OUT =
  'finite values (−Infinity rules a class out, an infinite cross-entropy where it is the label: give it a finite floor, e.g. log-probabilities clipped at log(1e-12) ≈ −27.6)';

/**
 * A float64 copy of `values` (row-major, `cols` per row): a native copy for a typed array of
 * numbers (no call per element, which matters for code that runs once, before the compiler has
 * warmed up); bigints and plain arrays element by element through {@link scoreNumber}.
 */
function numbersOf(values: ArrayLike<unknown>, argument: string, cols: number): Float64Array {
  if (ArrayBuffer.isView(values) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array))
    return new Float64Array(values as ArrayLike<number>);
  const out = new Float64Array(values.length);
  for (let j = 0; j < out.length; j++) {
    const value = values[j];
    out[j] = typeof value === 'number' ? value : scoreNumber(value, argument, Math.floor(j / cols));
  }
  return out;
}

/**
 * A score as a number: a bigint (int64 data) converted; anything else that is not a number
 * refused. Stored into a Float64Array as it is, null would be the score 0 (and JSON writes NaN as
 * null), a numeric string or a boolean a number, without a word.
 */
function scoreNumber(value: unknown, argument: string, row: number): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new InputError({ argument, expected: 'numbers', received: value, row });
}

/**
 * Reads labels given as class indices (N, or a column N×1) or one-hot rows (N×K) into an
 * `Int32Array` of class indices, checking the length against the pool size `n` and the range
 * against the class count `k`.
 *
 * @throws {InputError} naming `argument` on a wrong length, a non-integer index, an index outside
 * [0, k) or a row that is not one-hot.
 * @example
 * toLabels([2, 0, 1], 'labels', 3, 3); // Int32Array [2, 0, 1]
 * toLabels([[0, 1], [1, 0]], 'labels', 2, 2); // Int32Array [1, 0]
 * toLabels([0, 3], 'labels', 2, 3); // InputError: labels (row 1): expected a class index in [0, 2], got 3
 */
export function toLabels(input: LabelsInput, argument: string, n: number, k: number): Int32Array {
  if (typeof input !== 'object' || input === null) {
    throw new InputError({ argument, expected: 'class indices (N) or one-hot rows (N×K)', received: input });
  }
  if (isFlatWithShape(input)) return toLabels(unflatten(input, argument), argument, n, k);
  const indices = new Int32Array(n);
  let length: number;
  const read = (i: number): unknown => {
    if (isNdArray(input)) {
      if (input.shape.length === 1) return input.get(i);
      return Array.from({ length: input.shape[1] as number }, (_, j) => bigintAsNumber(input.get(i, j)));
    }
    return (input as ArrayLike<unknown>)[i];
  };
  if (isNdArray(input)) {
    const shape = checkShape(input.shape, argument, LABELS_SHAPE);
    if (shape.length > 2)
      throw new InputError({
        argument,
        expected: 'class indices (N) or one-hot rows (N×K)',
        received: new ReceivedKind(`shape [${shape.join(', ')}]`),
      });
    length = shape[0] as number;
  } else {
    length = input.length;
  }
  if (length !== n) {
    // Scores saved K×N (items in columns) meet N labels here: the count that is wrong is the scores'.
    const transposed =
      length === k && n < k
        ? ReceivedKind.noted(
            length,
            `as many as the scores have columns: are the scores ${n}×${k} with the items in their columns? give them ${k}×${n}, one row per item`,
          )
        : length;
    throw new InputError({ argument, expected: `${n} labels, one per row of the scores`, received: transposed });
  }
  // A typed array holds class indices alone: no form to tell row by row (2 million labels come from one file).
  if (ArrayBuffer.isView(input)) {
    const values = input as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) {
      const index = Number(values[i]);
      indices[i] = Number.isInteger(index) && index >= 0 && index < k ? index : classIndex(values[i] as number | bigint, argument, i, k);
    }
    return indices;
  }
  let firstForm: LabelForm | undefined;
  for (let i = 0; i < n; i++) {
    const value = read(i);
    const form = labelForm(value, k);
    firstForm ??= form;
    // Row 0 says which form the labels take: [1] after a one-hot row would be read as class 1.
    if (form !== firstForm) {
      throw new InputError({
        argument,
        expected: `${LABEL_FORM_WORDS[firstForm](k)}, as row 0`,
        received: typeof value === 'object' && value !== null ? Array.from(value as ArrayLike<unknown>) : value,
        row: i,
      });
    }
    if (form === 'index') indices[i] = classIndex(value as number, argument, i, k);
    else if (form === 'column') indices[i] = classIndex((value as ArrayLike<number>)[0] as number, argument, i, k);
    else indices[i] = oneHotIndex(value as ArrayLike<number>, argument, i, k);
  }
  return indices;
}

/** How a label is given: a class index, a class index alone in a row (a column N×1), or a one-hot row. */
type LabelForm = 'index' | 'column' | 'one-hot';

const LABEL_FORM_WORDS: Record<LabelForm, (k: number) => string> = {
  index: () => 'a class index',
  column: () => 'a class index in a row of its own',
  'one-hot': (k) => `a one-hot row of length ${k}`,
};

function labelForm(value: unknown, k: number): LabelForm {
  if (typeof value !== 'object' || value === null) return 'index';
  // A column of indices (N×1, as `df[['label']].to_numpy()` gives) is never one-hot rows, which have K ≥ 2 entries.
  return (value as ArrayLike<unknown>).length === 1 && k > 1 ? 'column' : 'one-hot';
}

/** A bigint (int64 data) as a number; anything else as it is, for the checks to judge. */
function bigintAsNumber(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

function isFlatWithShape(input: LabelsInput): input is { data: ArrayLike<number | bigint>; shape: readonly number[] } {
  return typeof input === 'object' && input !== null && 'data' in input && 'shape' in input && !isNdArray(input) && !Array.isArray(input);
}

/** A flat array with its shape as indices (1-D) or one-hot rows (2-D). */
function unflatten(
  { data, shape }: { data: ArrayLike<number | bigint>; shape: readonly number[] },
  argument: string,
): ArrayLike<number> | ArrayLike<ArrayLike<number>> {
  const sizes = checkShape(shape, argument, LABELS_SHAPE);
  const length = sizes.reduce((a, b) => a * b, 1);
  if (sizes.length < 1 || sizes.length > 2 || data.length !== length) {
    throw new InputError({
      argument,
      expected: 'class indices (N) or one-hot rows (N×K)',
      received: new ReceivedKind(`shape [${sizes.join(', ')}] with ${data.length} values`),
    });
  }
  // Indices as given: a 64-bit one is checked as a number is, and a refused one told by its digits.
  if (sizes.length === 1) return data as ArrayLike<number>;
  const values = Array.from(data, bigintAsNumber) as number[];
  const cols = sizes[1] as number;
  return Array.from({ length: sizes[0] as number }, (_, i) => values.slice(i * cols, (i + 1) * cols));
}

function classIndex(value: number | boolean | bigint, argument: string, row: number, k: number): number {
  // Number('') and Number(null) are 0: a string or a missing value is no class index.
  const type = typeof value;
  const index = type === 'number' || type === 'boolean' || type === 'bigint' ? Number(value) : Number.NaN;
  if (!Number.isInteger(index) || index < 0 || index >= k) {
    throw new InputError({ argument, expected: `a class index in [0, ${k - 1}]`, received: receivedLabel(value, k), row });
  }
  return index;
}

/**
 * A label refused as a class index, with a note when it is a string: labels read from a text file
 * arrive as "1" or as class names, and "got "1"" alone reads as an index in range refused.
 */
function receivedLabel(value: unknown, k: number): unknown {
  // A 64-bit index (an int64 `.npy` file) is read as a class index as a number is: its digits say
  // what is out of range, and `5n (a bigint)` would blame its type.
  if (typeof value === 'bigint') return new ReceivedKind(String(value));
  if (typeof value !== 'string' || value === '') return value;
  const digits = /^\d+$/.test(value.trim()) ? Number(value) : undefined;
  if (digits === undefined) return ReceivedKind.noted(value, 'class indices are numbers: map each class name to its index');
  return ReceivedKind.noted(value, digits < k ? `class indices are numbers: did you mean ${digits}?` : 'class indices are numbers');
}

function oneHotIndex(row: ArrayLike<number>, argument: string, rowIndex: number, k: number): number {
  if (row.length !== k) throw new InputError({ argument, expected: `one-hot rows of length ${k}`, received: row.length, row: rowIndex });
  let hot = -1;
  for (let j = 0; j < k; j++) {
    const v = row[j];
    if (v === 1 && hot === -1) hot = j;
    else if (v !== 0) {
      throw new InputError({ argument, expected: 'a one-hot row (a single 1, zeros elsewhere)', received: Array.from(row), row: rowIndex });
    }
  }
  if (hot === -1)
    throw new InputError({ argument, expected: 'a one-hot row (a single 1, zeros elsewhere)', received: Array.from(row), row: rowIndex });
  return hot;
}
