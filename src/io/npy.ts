import { open, stat, type FileHandle } from 'node:fs/promises';
import { FileFormatError, InputError, ofClass, ReceivedKind } from '../errors.js';
import { unreadableFile } from './unreadable.js';
import { writeFileAtomic, type WriteOptions } from './atomic.js';
import { checkPath } from './check-arguments.js';
import { checkKnownKeys } from './suggest.js';

/**
 * Element types this module reads, named as numpy's type codes without the byte-order character.
 * `f2` (half precision) is read into a `Float32Array`; `b1` (bool) into a `Uint8Array` of 0/1.
 */
export type NpyDtype = 'f2' | 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';

/** The typed arrays an `NpyArray` can hold. */
export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** An n-dimensional array as stored in a `.npy` file; `data` is always in C (row-major) order. */
export interface NpyArray {
  data: NpyData;
  shape: number[];
  dtype: NpyDtype;
}

/**
 * What `encodeNpy` and `writeNpy` write: an `NpyArray` whose `dtype` may be left out (it is then the
 * typed array's own: `f8` for a Float64Array, `i4` for an Int32Array, `u1` for a Uint8Array, ...),
 * a matrix `{ data, rows, cols }` (the library's `Matrix`, written as rows × cols), or a typed array
 * alone (one dimension).
 */
export type NpyInput =
  | NpyData
  | { readonly data: NpyData; readonly shape: readonly number[]; readonly dtype?: NpyDtype }
  | { readonly data: NpyData; readonly rows: number; readonly cols: number };

interface DtypeInfo {
  size: number;
  /** The typed array that holds the values in memory (f2 widens to float32). */
  make: (length: number) => NpyData;
  /** Whether little-endian bytes are the values as held in memory (not for f2 and b1). */
  raw: boolean;
  /** Reads one element at a byte offset. */
  get: (view: DataView, offset: number, little: boolean) => number | bigint;
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  f2: { size: 2, raw: false, make: (n) => new Float32Array(n), get: (v, o, le) => halfToFloat(v.getUint16(o, le)) },
  f4: { size: 4, raw: true, make: (n) => new Float32Array(n), get: (v, o, le) => v.getFloat32(o, le) },
  f8: { size: 8, raw: true, make: (n) => new Float64Array(n), get: (v, o, le) => v.getFloat64(o, le) },
  i1: { size: 1, raw: true, make: (n) => new Int8Array(n), get: (v, o) => v.getInt8(o) },
  i2: { size: 2, raw: true, make: (n) => new Int16Array(n), get: (v, o, le) => v.getInt16(o, le) },
  i4: { size: 4, raw: true, make: (n) => new Int32Array(n), get: (v, o, le) => v.getInt32(o, le) },
  i8: { size: 8, raw: true, make: (n) => new BigInt64Array(n), get: (v, o, le) => v.getBigInt64(o, le) },
  u1: { size: 1, raw: true, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o) },
  u2: { size: 2, raw: true, make: (n) => new Uint16Array(n), get: (v, o, le) => v.getUint16(o, le) },
  u4: { size: 4, raw: true, make: (n) => new Uint32Array(n), get: (v, o, le) => v.getUint32(o, le) },
  u8: { size: 8, raw: true, make: (n) => new BigUint64Array(n), get: (v, o, le) => v.getBigUint64(o, le) },
  b1: { size: 1, raw: false, make: (n) => new Uint8Array(n), get: (v, o) => (v.getUint8(o) === 0 ? 0 : 1) },
};

/** The typed array each writable dtype must come with (`b1` and `u1` both use `Uint8Array`). */
const WRITABLE: ReadonlyArray<[NpyDtype, new (n: number) => NpyData]> = [
  ['f4', Float32Array],
  ['f8', Float64Array],
  ['i1', Int8Array],
  ['i2', Int16Array],
  ['i4', Int32Array],
  ['i8', BigInt64Array],
  ['u1', Uint8Array],
  ['b1', Uint8Array],
  ['u2', Uint16Array],
  ['u4', Uint32Array],
  ['u8', BigUint64Array],
];

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

interface Header {
  dtype: NpyDtype;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
}

/**
 * What numpy kinds a user saves by mistake are, and how to save numbers instead: an object array
 * comes from a list of arrays or a pandas column of mixed types (its items are pickled, so no
 * reader but Python's can read them), a string array from class names kept as they are.
 */
const UNSUPPORTED_KIND_HINTS: Record<string, string> = {
  O: ': an object array, whose items numpy pickles; save np.asarray(a, dtype=np.float64) (labels: dtype=np.int64)',
  U: ': strings (class names?); labels are class indices (the column of each class in the scores), e.g. [classes.index(c) for c in names]',
  S: ': strings (class names?); labels are class indices (the column of each class in the scores), e.g. [classes.index(c) for c in names]',
};

/** Parses the Python dict literal of a `.npy` header, e.g. `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`. */
function parseHeader(text: string, fail: (reason: string) => never): Header {
  // Any quoted type string: one with a unit (datetime64's '<M8[ns]') is an unsupported dtype, not a header without 'descr'.
  const descrMatch = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const order = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descrMatch) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) fail('structured dtypes are not supported (expected a plain numeric dtype)');
    fail(`malformed header (no 'descr'): ${text.trim()}`);
  }
  if (!order) fail(`malformed header (no 'fortran_order'): ${text.trim()}`);
  // numpy keeps a repeated key's last value, the matches above its first: refuse rather than differ.
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if ((text.match(new RegExp(`['"]${key}['"]\\s*:`, 'g')) ?? []).length > 1)
      fail(`malformed header (the key '${key}' is given twice): ${text.trim()}`);
  }
  if (!shapeMatch) fail(`malformed header (no 'shape'): ${text.trim()}`);
  const descr = /^([<>|=])?([a-zA-Z?])(\d*)$/.exec(descrMatch[1]!);
  const [, byteOrder = '|', kind, width] = descr ?? [];
  const code = kind === '?' ? 'b1' : `${kind}${width}`;
  if (!(code in DTYPES)) {
    fail(
      `unsupported dtype '${descrMatch[1]}' (expected float16/32/64, int8–64, uint8–64 or bool)${UNSUPPORTED_KIND_HINTS[kind ?? ''] ?? ''}`,
    );
  }
  const shape: number[] = [];
  for (const part of shapeMatch[1]!.split(',')) {
    const trimmed = part.trim().replace(/L$/, '');
    if (trimmed === '') continue;
    const size = Number(trimmed);
    if (!Number.isSafeInteger(size) || size < 0) fail(`malformed shape (${shapeMatch[1]})`);
    shape.push(size);
  }
  return { dtype: code as NpyDtype, littleEndian: byteOrder !== '>', fortranOrder: order[1] === 'True', shape };
}

/**
 * Parses the bytes of a `.npy` file (format version 1.0, 2.0 or 3.0; C or Fortran order; either
 * byte order) into an `NpyArray` in C order. `name` names the source in error messages.
 *
 * @example
 * const { data, shape, dtype } = parseNpy(bytes, 'scores.npy'); // shape [N, K], dtype 'f4'
 * @throws InputError when `bytes` is not a Uint8Array; FileFormatError when they are not a `.npy` file.
 */
export function parseNpy(bytes: Uint8Array, name = '<bytes>'): NpyArray {
  if (!(bytes instanceof Uint8Array))
    throw new InputError({ argument: 'bytes', expected: "a .npy file's bytes (a Uint8Array)", received: bytes });
  const layout = npyLayout(bytes, bytes.length, name);
  return { data: decodeData(bytes, layout), shape: layout.header.shape, dtype: layout.header.dtype };
}

/** Where a `.npy` file's data lies and how it is encoded. */
interface NpyLayout {
  header: Header;
  info: DtypeInfo;
  count: number;
  dataStart: number;
}

/** A `.npy` file's failure: a `FileFormatError` naming the file and the reason. */
function npyFailure(name: string): (reason: string) => never {
  return (reason) => {
    throw new FileFormatError(name, `not a readable .npy file: ${reason}`);
  };
}

/** Bytes of a file's start that `notNpyReason` looks at: enough for the name of a zip's first entry. */
const SNIFF_BYTES = 128;

/**
 * Why bytes that do not start with the .npy magic string are not a .npy file, told by what they
 * are where their first bytes say so (by content, not by the file's name): a zip archive (what
 * `numpy.savez` writes, its first entry an `.npy` file; `torch.save` writes zips too), a Python
 * pickle (`pickle.dump`, joblib, old `torch.save`: 0x80 then the protocol, 2 to 5), or text
 * (`numpy.savetxt`, a CSV); each with what to do instead.
 */
function notNpyReason(head: Uint8Array): string {
  const resave = 'save the array with numpy.save(path, array) to a .npy file';
  // What a save that failed or was killed before its first write leaves.
  if (head.length === 0) return `it is empty (0 bytes), not a .npy file; ${resave}`;
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    const entry = zipFirstEntryName(head);
    if (entry?.endsWith('.npy'))
      return `it is a NumPy .npz archive (zip; first array "${entry.slice(0, -4)}"); save each array with numpy.save to its own .npy file`;
    return `it is a zip archive${entry === undefined ? '' : ` (first entry "${entry}")`}, not a .npy file; ${resave}`;
  }
  if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5)
    return `it is a Python pickle (protocol ${head[1]}), not a .npy file; ${resave}, not pickle.dump`;
  const text = head.subarray(0, SNIFF_BYTES);
  if (text.length > 0 && text.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d))
    return `it is text (as numpy.savetxt or a CSV writer writes), not a .npy file; ${resave}`;
  return 'missing the \\x93NUMPY magic string';
}

/** The name of a zip archive's first entry from its local file header, when `head` holds all of it and it is printable. */
function zipFirstEntryName(head: Uint8Array): string | undefined {
  if (head.length < 30) return undefined;
  const nameLength = head[26]! | (head[27]! << 8);
  const name = head.subarray(30, 30 + nameLength);
  if (nameLength === 0 || name.length < nameLength || !name.every((b) => b >= 0x20 && b < 0x7f)) return undefined;
  return new TextDecoder('latin1').decode(name);
}

/** The format's major version, where the header's text starts and where the data starts, from the file's first 12 bytes. */
function headerBounds(head: Uint8Array, fail: (reason: string) => never): { major: number; headerStart: number; dataStart: number } {
  if (head.length < 10 || MAGIC.some((b, i) => head[i] !== b)) fail(notNpyReason(head));
  const major = head[6]!;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (major === 1) return { major, headerStart: 10, dataStart: 10 + view.getUint16(8, true) };
  if (major === 2 || major === 3) {
    if (head.length < 12) fail('truncated header');
    return { major, headerStart: 12, dataStart: 12 + view.getUint32(8, true) };
  }
  return fail(`unsupported format version ${major}.${head[7]} (expected 1.x, 2.x or 3.x)`);
}

/**
 * The layout of a `.npy` file of `fileLength` bytes from `head`, its first bytes (all of them, or
 * at least the header): the header checked, and the data's length against the file's.
 */
function npyLayout(head: Uint8Array, fileLength: number, name: string): NpyLayout {
  const fail = npyFailure(name);
  const { major, headerStart, dataStart } = headerBounds(head, fail);
  if (dataStart > head.length) fail('truncated header');
  const encoding = major === 3 ? 'utf-8' : 'latin1';
  const header = parseHeader(new TextDecoder(encoding).decode(head.subarray(headerStart, dataStart)), fail);
  const info = DTYPES[header.dtype];
  const count = header.shape.reduce((a, b) => a * b, 1);
  const expectedBytes = count * info.size;
  if (fileLength - dataStart !== expectedBytes) {
    fail(`expected ${expectedBytes} data bytes for shape (${header.shape.join(', ')}) of ${header.dtype}, found ${fileLength - dataStart}`);
  }
  return { header, info, count, dataStart };
}

/** Whether a layout's data is stored as it is held in memory: read into its array, nothing to convert. */
function storedAsHeld({ header, info }: NpyLayout): boolean {
  return header.littleEndian && !(header.fortranOrder && header.shape.length > 1) && info.raw;
}

/** The data of a `.npy` file whose bytes are `bytes`, in C order. */
function decodeData(bytes: Uint8Array, { header, info, count, dataStart }: NpyLayout): NpyData {
  const data = info.make(count);
  if (header.littleEndian && info.raw) {
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + count * info.size));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) {
      (data as { [index: number]: number | bigint })[i] = info.get(view, dataStart + i * info.size, header.littleEndian);
    }
  }
  return header.fortranOrder && header.shape.length > 1 ? fortranToC(data, header.shape, info) : data;
}

/** Reorders column-major data into row-major data of the same shape. */
function fortranToC(source: NpyData, shape: number[], info: DtypeInfo): NpyData {
  const count = source.length;
  const target = info.make(count);
  const dims = shape.length;
  // Fortran strides (in elements) of each axis, visited in C order with an odometer.
  const fStride = new Array<number>(dims);
  let stride = 1;
  for (let d = 0; d < dims; d++) {
    fStride[d] = stride;
    stride *= shape[d]!;
  }
  const index = new Array<number>(dims).fill(0);
  let offset = 0;
  const src = source as { [i: number]: number | bigint };
  const dst = target as { [i: number]: number | bigint };
  for (let i = 0; i < count; i++) {
    dst[i] = src[offset]!;
    for (let d = dims - 1; d >= 0; d--) {
      index[d]!++;
      offset += fStride[d]!;
      if (index[d]! < shape[d]!) break;
      offset -= fStride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return target;
}

/**
 * The 64-bit integers of `values` (an `i8` `.npy` column from an Int32Array) without a BigInt per
 * element: each value is written as two 32-bit words, the value and its sign extension (the
 * little-endian layout `encodeNpy` writes). O(n), 10–100× faster than `BigInt64Array.from(values, BigInt)`.
 *
 * @example
 * int64FromInt32(Int32Array.of(-1, 7)); // BigInt64Array [-1n, 7n]
 */
export function int64FromInt32(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  int64Words(values, 0, values.length, new Int32Array(out.buffer));
  return out;
}

/** `values[from..from+count)` as little-endian 64-bit integers into `words` (two words per value). */
function int64Words(values: Int32Array, from: number, count: number, words: Int32Array): void {
  for (let i = 0; i < count; i++) {
    const value = values[from + i];
    words[2 * i] = value;
    words[2 * i + 1] = value >> 31;
  }
}

/** Values per block of `int64NpyParts`: a 512 KiB buffer. */
const INT64_BLOCK_VALUES = 1 << 16;

/**
 * An Int32Array as the parts of an `i8` `.npy` file: the header, then blocks of 64-bit integers
 * converted as `int64FromInt32` does, one block at a time into one reused buffer, so that no int64
 * copy of the whole array is made. For writers that write each part before asking for the next
 * (as `writeOutputFolder` does): the next part overwrites the last.
 *
 * @example
 * const parts = int64NpyParts(samples, [size, runs]); // header, then blocks of up to 65,536 values
 * @throws InputError when `shape` does not match the length of `values`.
 */
export function int64NpyParts(values: Int32Array, shape: readonly number[]): Iterable<Uint8Array> {
  const header = npyHeader(shape, 'i8', values.length);
  const words = new Int32Array(2 * Math.min(INT64_BLOCK_VALUES, values.length));
  return (function* blocks(): Generator<Uint8Array> {
    yield header;
    for (let from = 0; from < values.length; from += INT64_BLOCK_VALUES) {
      const count = Math.min(INT64_BLOCK_VALUES, values.length - from);
      int64Words(values, from, count, words);
      yield new Uint8Array(words.buffer, 0, count * 8);
    }
  })();
}

/**
 * Encodes an array as a `.npy` file, format version 1.0, little-endian, C order. A `dtype`, when
 * given, must match the typed array (`f8` ↔ Float64Array, `i8` ↔ BigInt64Array, `b1` or `u1` ↔
 * Uint8Array, ...); without one the typed array's own is written.
 *
 * @example
 * encodeNpy({ data: new Float64Array([1, 2, 3, 4]), shape: [2, 2] }).length; // 160: a 128-byte header, then 4 float64s
 * encodeNpy({ data: new Float64Array([1, 2, 3, 4]), rows: 2, cols: 2 }).length; // 160: the same file from a matrix
 * @throws InputError when `dtype` does not match the typed array or the shape does not match its length.
 */
export function encodeNpy(array: NpyInput): Uint8Array {
  const [header, data] = npyParts(npyArray(array));
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}

/** `input` as an `NpyArray`: its shape from `rows` and `cols` or its length, its dtype the typed array's own when not given. */
function npyArray(input: NpyInput): NpyArray {
  if (ArrayBuffer.isView(input)) return { data: input, shape: [input.length], dtype: ownDtype(input) };
  if (typeof input !== 'object' || input === null || !ArrayBuffer.isView(input.data)) {
    throw new InputError({
      argument: 'array',
      expected: 'a typed array, { data, shape, dtype? } or a matrix { data, rows, cols }',
      received: input,
    });
  }
  if ('shape' in input && !Array.isArray(input.shape)) {
    throw new InputError({
      argument: 'array.shape',
      expected: `a list of dimensions whose product is data.length (${input.data.length})`,
      received: input.shape,
    });
  }
  const shape = 'shape' in input ? [...input.shape] : [input.rows, input.cols];
  const dtype = 'dtype' in input && input.dtype !== undefined ? input.dtype : ownDtype(input.data);
  return { data: input.data, shape, dtype };
}

function ownDtype(data: NpyData): NpyDtype {
  const match = WRITABLE.find(([, type]) => data instanceof type);
  if (match === undefined) {
    throw new InputError({ argument: 'array.data', expected: 'a typed array numpy can hold', received: data });
  }
  return match[0];
}

/**
 * A `.npy` file as its two parts, the header and a view of the array's own bytes (no copy): what
 * `encodeNpy` joins, for writers that can write the parts one after the other.
 *
 * @example
 * const [header, data] = npyParts({ data: estimates, shape: [rows, runs], dtype: 'f8' });
 * @throws InputError when `dtype` does not match the typed array or `shape` does not match its length.
 */
export function npyParts(array: NpyArray): [header: Uint8Array, data: Uint8Array] {
  const { data, shape, dtype } = array;
  const match = WRITABLE.find(([code]) => code === dtype);
  if (!match || !(data instanceof match[1])) {
    throw new InputError({
      argument: 'array.dtype',
      expected: 'f4, f8, i1, i2, i4, i8, u1, u2, u4, u8 or b1 matching the typed array',
      received: ReceivedKind.noted(dtype, `with ${ofClass(data)}`),
    });
  }
  return [npyHeader(shape, dtype, data.length), new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}

/** The version 1.0 header of a `.npy` file of `length` values of `dtype` in `shape`, little-endian, C order. */
function npyHeader(shape: readonly number[], dtype: NpyDtype, length: number): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.some((s) => !Number.isSafeInteger(s) || s < 0) || count !== length) {
    throw new InputError({
      argument: 'array.shape',
      expected: `dimensions whose product is data.length (${length})`,
      received: [...shape],
    });
  }
  const descr = dtype === 'b1' ? '|b1' : `${DTYPES[dtype].size === 1 ? '|' : '<'}${dtype}`;
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  // Pad with spaces so that the data starts on a 64-byte boundary, as numpy does.
  const unpadded = 10 + dict.length + 1;
  const headerLength = dict.length + 1 + ((64 - (unpadded % 64)) % 64);
  if (headerLength > 0xffff) {
    throw new InputError({
      argument: 'array.shape',
      expected: 'a shape whose header fits a version 1.0 .npy file',
      received: new ReceivedKind(`${shape.length} dimensions`),
    });
  }
  const header = new Uint8Array(10 + headerLength);
  header.set(MAGIC, 0);
  header[6] = 1;
  header[7] = 0;
  new DataView(header.buffer).setUint16(8, headerLength, true);
  header.set(new TextEncoder().encode(dict.padEnd(headerLength - 1, ' ') + '\n'), 10);
  return header;
}

/**
 * Reads a `.npy` file. Little-endian C-order data is read straight into its array (no copy),
 * other data converted. Any problem (missing file, bad header, truncated data, unsupported dtype)
 * is a `FileFormatError` naming the file, and `argument` when given: the option or key that named
 * it (`--model-scores`, `modelScores`).
 *
 * @throws {FileFormatError} naming the file (and `argument`) on any problem reading it.
 * @throws {InputError} when `path` is not a non-empty string.
 * @example
 * const scores = await readNpy('scores.npy'); // { data: Float32Array, shape: [N, K], dtype: 'f4' }
 * @example
 * await readNpy('absent.npy', '--model-scores'); // FileFormatError: --model-scores: absent.npy: cannot read: no such file (ENOENT)
 */
export async function readNpy(path: string, argument?: string): Promise<NpyArray> {
  try {
    return await readNpyFile(path);
  } catch (error) {
    if (argument === undefined || !(error instanceof FileFormatError)) throw error;
    throw new FileFormatError(error.path, error.reason, argument);
  }
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

async function readNpyFile(path: string): Promise<NpyArray> {
  checkPath(path);
  const cannotRead = (error: unknown): never => {
    throw unreadableFile(path, error);
  };
  const file = await open(path, 'r').catch(async (error: unknown) => {
    // numpy.save('f', a) writes f.npy: the name the user saved under is not the file's.
    const saved = `${path}.npy`;
    const savedExists = (error as NodeJS.ErrnoException).code === 'ENOENT' && !/\.npy$/i.test(path) && (await isFile(saved));
    if (!savedExists) return cannotRead(error);
    throw new FileFormatError(
      path,
      `cannot read: no such file (ENOENT); ${saved} exists (numpy.save adds .npy to a name without it): pass that`,
    );
  });
  try {
    const stats = await file.stat().catch(cannotRead);
    // A pipe or device has no size to lay the data out by: read it to its end.
    if (!stats.isFile()) return parseNpy(await file.readFile().catch(cannotRead), path);
    const size = stats.size;
    // More than the 12 bytes of the header's bounds: enough to say what a file other than a .npy is.
    const prefix = await readBytes(file, 0, Math.min(size, SNIFF_BYTES), cannotRead);
    const { dataStart } = headerBounds(prefix, npyFailure(path));
    const layout = npyLayout(await readBytes(file, 0, Math.min(size, dataStart), cannotRead), size, path);
    if (storedAsHeld(layout)) {
      // Read straight into the array: no copy of the data (10^7 scores: about a quarter of a second).
      const data = layout.info.make(layout.count);
      await readInto(file, new Uint8Array(data.buffer), dataStart, cannotRead);
      return { data, shape: layout.header.shape, dtype: layout.header.dtype };
    }
    const bytes = await readBytes(file, 0, size, cannotRead);
    return { data: decodeData(bytes, layout), shape: layout.header.shape, dtype: layout.header.dtype };
  } finally {
    await file.close();
  }
}

/**
 * Checks that the file at `path` is a whole `.npy` file without reading its data: its header
 * parses and the file holds exactly the bytes its shape and dtype call for, so that a file cut
 * short (a full disk, a copy stopped part-way) is told from a good one. Returns its shape and dtype.
 *
 * @example
 * await checkNpyFile('runs/grid/iid/estimates.npy'); // { shape: [rows, runs], dtype: 'f8' }
 * @throws {FileFormatError} naming the file when it cannot be read, is no .npy file or is truncated.
 */
export async function checkNpyFile(path: string): Promise<{ shape: number[]; dtype: NpyDtype }> {
  const cannotRead = (error: unknown): never => {
    throw unreadableFile(path, error);
  };
  const file = await open(path, 'r').catch(cannotRead);
  try {
    const { size } = await file.stat().catch(cannotRead);
    const prefix = await readBytes(file, 0, Math.min(size, SNIFF_BYTES), cannotRead);
    const { dataStart } = headerBounds(prefix, npyFailure(path));
    const { header } = npyLayout(await readBytes(file, 0, Math.min(size, dataStart), cannotRead), size, path);
    return { shape: header.shape, dtype: header.dtype };
  } finally {
    await file.close();
  }
}

/** The most bytes `readInto` asks one read for. */
const READ_CHUNK_BYTES = 2 ** 30;

/** `length` bytes of `file` from `position`. */
async function readBytes(file: FileHandle, position: number, length: number, cannotRead: (error: unknown) => never): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  await readInto(file, bytes, position, cannotRead);
  return bytes;
}

/** Fills `target` with the bytes of `file` from `position`; a file that ends before is an error. */
async function readInto(file: FileHandle, target: Uint8Array, position: number, cannotRead: (error: unknown) => never): Promise<void> {
  for (let filled = 0; filled < target.length;) {
    // One read moves at most 2 GiB; data beyond that (a file that readFile refused) comes in chunks.
    const length = Math.min(target.length - filled, READ_CHUNK_BYTES);
    const { bytesRead } = await file.read(target, filled, length, position + filled).catch(cannotRead);
    if (bytesRead === 0) cannotRead(new Error(`the file ended after ${position + filled} bytes while being read`));
    filled += bytesRead;
  }
}

/**
 * Writes a `.npy` file (version 1.0, little-endian) atomically, as {@link encodeNpy} encodes it.
 * An existing file is refused with `OutputExistsError` unless `{ force: true }`.
 *
 * @example
 * await writeNpy('estimates.npy', { data: estimates, shape: [rows, runs] });
 * const pool = syntheticPool({ poolSize: 1000, seed: 0 });
 * await writeNpy('f.npy', pool.modelScores); // a matrix: 1000 × 2, float64
 * await writeNpy('y.npy', pool.labels); // int32, one dimension
 * @throws InputError as `encodeNpy` does; OutputExistsError when `path` exists and `force` is not set.
 */
export async function writeNpy(path: string, array: NpyInput, options: WriteOptions = {}): Promise<void> {
  checkPath(path);
  // A misspelt `force` would otherwise be ignored, and the refusal of an existing file then puzzle.
  checkKnownKeys(options, ['force'] satisfies (keyof WriteOptions)[], null);
  await writeFileAtomic(path, encodeNpy(array), options);
}
