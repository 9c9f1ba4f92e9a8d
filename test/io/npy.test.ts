import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFormatError, InputError, OutputExistsError } from '../../src/errors.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { caught } from '../helpers/caught.js';
import { encodeNpy, int64FromInt32, int64NpyParts, npyParts, parseNpy, readNpy, writeNpy, type NpyArray } from '../../src/io/npy.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/npy');

interface ExpectedCase {
  shape: number[];
  dtype: string;
  values: Array<number | string>;
}

function asComparable(value: number | bigint): string | number {
  return typeof value === 'bigint' ? value.toString() : value;
}

function expectedValue(value: number | string, dtype: string): string | number {
  if (typeof value === 'number') return value;
  if (dtype.startsWith('f')) return value === 'nan' ? NaN : value === 'inf' ? Infinity : -Infinity;
  return dtype === 'i8' || dtype === 'u8' ? value : Number(value);
}

describe('readNpy on files written by numpy (test/fixtures/npy/make_fixtures.py)', async () => {
  const expected = JSON.parse(await readFile(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, ExpectedCase>;

  it('covers every fixture file', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.npy')).map((f) => f.slice(0, -4));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
    expect(files.length).toBeGreaterThanOrEqual(23);
  });

  it.each(Object.entries(expected))('%s', async (name, want) => {
    const array = await readNpy(join(FIXTURES, `${name}.npy`));
    expect(array.shape).toEqual(want.shape);
    expect(array.dtype).toBe(want.dtype);
    expect(Array.from(array.data as ArrayLike<number | bigint>, asComparable)).toEqual(
      want.values.map((v) => expectedValue(v, want.dtype)),
    );
  });

  it('maps dtypes to the natural typed arrays', async () => {
    expect((await readNpy(join(FIXTURES, 'f4_big_fortran.npy'))).data).toBeInstanceOf(Float32Array);
    expect((await readNpy(join(FIXTURES, 'f2.npy'))).data).toBeInstanceOf(Float32Array);
    expect((await readNpy(join(FIXTURES, 'i8_big_endian.npy'))).data).toBeInstanceOf(BigInt64Array);
    expect((await readNpy(join(FIXTURES, 'u8.npy'))).data).toBeInstanceOf(BigUint64Array);
    expect((await readNpy(join(FIXTURES, 'bool.npy'))).data).toBeInstanceOf(Uint8Array);
    expect((await readNpy(join(FIXTURES, 'u2.npy'))).data).toBeInstanceOf(Uint16Array);
  });

  it('reads little-endian C-order data straight into an array of its own, as parseNpy reads it', async () => {
    for (const name of ['f8_c', 'f4_c', 'i4', 'i8', 'u8', 'v3', 'f8_big_endian', 'f8_fortran', 'f2', 'bool']) {
      const { data } = await readNpy(join(FIXTURES, `${name}.npy`));
      // The array's buffer holds its data alone (no header bytes before it).
      expect(data.byteOffset).toBe(0);
      expect(data.buffer.byteLength).toBe(data.byteLength);
      const parsed = parseNpy(await readFile(join(FIXTURES, `${name}.npy`)), name).data;
      expect(Array.from(data as ArrayLike<number | bigint>)).toEqual(Array.from(parsed as ArrayLike<number | bigint>));
    }
  });

  it('names the file and the reason for a truncated file, a directory and a header longer than the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npy-read-'));
    try {
      const whole = await readFile(join(FIXTURES, 'f8_c.npy'));
      await writeFile(join(dir, 'short.npy'), whole.subarray(0, whole.length - 3));
      await expect(readNpy(join(dir, 'short.npy'))).rejects.toThrow(/short\.npy: not a readable \.npy file: expected \d+ data bytes/);
      await writeFile(join(dir, 'head.npy'), whole.subarray(0, 40));
      await expect(readNpy(join(dir, 'head.npy'))).rejects.toThrow(/head\.npy: not a readable \.npy file: truncated header/);
      await writeFile(join(dir, 'tiny.npy'), whole.subarray(0, 5));
      await expect(readNpy(join(dir, 'tiny.npy'))).rejects.toThrow(/tiny\.npy: not a readable \.npy file: missing the/);
      await expect(readNpy(dir)).rejects.toThrow(/cannot read/);
      // A pipe has no size: it is read to its end.
      const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/index.js');
      const script = `import { readNpy } from ${JSON.stringify(dist)}; const a = await readNpy("/dev/stdin"); console.log(JSON.stringify([a.shape, Array.from(a.data)]));`;
      const piped = spawnSync(
        'sh',
        ['-c', 'cat "$1" | "$2" --input-type=module -e "$3"', 'sh', join(FIXTURES, 'f8_c.npy'), process.execPath, script],
        {
          encoding: 'utf8',
        },
      );
      expect(piped.stderr).toBe('');
      const parsed = parseNpy(whole, 'f8_c');
      expect(JSON.parse(piped.stdout)).toEqual([parsed.shape, Array.from(parsed.data as Float64Array)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const writable: NpyArray[] = [
  { data: Float64Array.from([0.1, -2.5e300, Number.MIN_VALUE, NaN, Infinity, -0]), shape: [2, 3], dtype: 'f8' },
  { data: Float32Array.from([1.5, -3.25, 7, 0.1]), shape: [4], dtype: 'f4' },
  { data: Int32Array.from([-2147483648, 2147483647, 0, 5, 6, 7]), shape: [3, 2, 1], dtype: 'i4' },
  { data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n]), shape: [3], dtype: 'i8' },
  { data: Int8Array.from([-128, 127]), shape: [2], dtype: 'i1' },
  { data: Int16Array.from([-32768, 32767]), shape: [1, 2], dtype: 'i2' },
  { data: Uint8Array.from([0, 255]), shape: [2], dtype: 'u1' },
  { data: Uint8Array.from([1, 0, 1]), shape: [3], dtype: 'b1' },
  { data: Uint16Array.from([65535]), shape: [1], dtype: 'u2' },
  { data: Uint32Array.from([4294967295, 1]), shape: [2], dtype: 'u4' },
  { data: BigUint64Array.from([2n ** 64n - 1n]), shape: [1], dtype: 'u8' },
  { data: new Float64Array([42]), shape: [], dtype: 'f8' },
  { data: new Float64Array(0), shape: [0, 5], dtype: 'f8' },
];

describe('encodeNpy / parseNpy', () => {
  it.each(writable.map((a) => [`${a.dtype} [${a.shape.join(',')}]`, a] as const))('round-trips %s bit for bit', (_, array) => {
    const bytes = encodeNpy(array);
    expect(bytes[6]).toBe(1); // version 1.0
    expect(bytes[7]).toBe(0);
    const headerLength = bytes[8]! | (bytes[9]! << 8);
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes[10 + headerLength - 1]).toBe(0x0a);
    const back = parseNpy(bytes);
    expect(back.shape).toEqual(array.shape);
    expect(back.dtype).toBe(array.dtype);
    expect(back.data.constructor).toBe(array.data.constructor);
    expect(
      Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(
        Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength),
      ),
    ).toBe(true);
  });

  // Headers as other numpy versions and Python 2 wrote them, each before the same six float64s.
  const values = Float64Array.of(0.5, -1.25, 3, 7e-300, -0, 2);
  const npyFile = (dict: string, align: number, newline = true): Uint8Array => {
    const unpadded = 10 + dict.length + (newline ? 1 : 0);
    const text = dict + ' '.repeat((align - (unpadded % align)) % align) + (newline ? '\n' : '');
    const bytes = new Uint8Array(10 + text.length + values.byteLength);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
    bytes.set(new TextEncoder().encode(text), 10);
    bytes.set(new Uint8Array(values.buffer), 10 + text.length);
    return bytes;
  };
  it.each([
    ['padded to 16 bytes (numpy before 1.9)', npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 16)],
    ['with long integers (Python 2)', npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }", 64)],
    ['with its keys in another order, unpadded', npyFile("{'shape': (2, 3), 'fortran_order': False, 'descr': '<f8'}", 1)],
    ['without a closing newline', npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 1, false)],
  ])('reads a header %s', (_, bytes) => {
    expect(parseNpy(bytes)).toEqual({ data: values, shape: [2, 3], dtype: 'f8' });
  });

  it('refuses a header that gives a key twice, of which numpy reads the last', () => {
    // numpy's literal_eval keeps the last 'shape', (3, 2); the first match would read (2, 3).
    const twice = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'shape': (3, 2), }";
    expect(() => parseNpy(npyFile(twice, 64), 'twice.npy')).toThrow(
      `twice.npy: not a readable .npy file: malformed header (the key 'shape' is given twice): ${twice}`,
    );
  });

  it('writes the header numpy writes', () => {
    const bytes = encodeNpy({ data: new Float64Array(6), shape: [2, 3], dtype: 'f8' });
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + 118)).trimEnd();
    expect(header).toBe("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }");
    const vector = encodeNpy({ data: new BigInt64Array(4), shape: [4], dtype: 'i8' });
    expect(new TextDecoder().decode(vector.subarray(10, 80))).toContain("'shape': (4,)");
  });

  it('splits into the header and a view of the data, which together are the encoded file', () => {
    // A view into a larger array, so the data part must respect the byte offset.
    const whole = Float64Array.from([9, 1.5, -2, 3.25, 9]);
    const array: NpyArray = { data: whole.subarray(1, 4), shape: [3], dtype: 'f8' };
    const [header, data] = npyParts(array);
    expect(header.length % 64).toBe(0);
    expect(data.buffer).toBe(whole.buffer);
    expect(Array.from(new Float64Array(data.slice().buffer))).toEqual([1.5, -2, 3.25]);
    expect(Array.from(encodeNpy(array))).toEqual([...header, ...data]);
    expect(() => npyParts({ data: new Float64Array(2), shape: [3], dtype: 'f8' })).toThrow(/array\.shape/);
  });

  it('names the typed array that does not match dtype, with its article', () => {
    const expected = 'array.dtype: expected f4, f8, i1, i2, i4, i8, u1, u2, u4, u8 or b1 matching the typed array, got "f8"';
    expect(() => npyParts({ data: new Int32Array(2), shape: [2], dtype: 'f8' })).toThrow(`${expected} (with an Int32Array)`);
    // A subclass without a name (an anonymous class) is said as an object, not "a ".
    const Anonymous = (() => class extends Float32Array {})();
    expect(() => npyParts({ data: new Anonymous(2), shape: [2], dtype: 'f8' })).toThrow(`${expected} (with an object)`);
    expect(() => npyParts({ data: new Uint8Array(2), shape: [2], dtype: 'f8' })).toThrow(`${expected} (with a Uint8Array)`);
  });

  it('reads from a view with a byte offset (a Buffer slice)', () => {
    const bytes = encodeNpy({ data: Float64Array.from([1, 2, 3]), shape: [3], dtype: 'f8' });
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(Array.from(parseNpy(padded.subarray(3)).data as Float64Array)).toEqual([1, 2, 3]);
  });

  it("takes a matrix { data, rows, cols } and a bare typed array, with the typed array's own dtype", () => {
    const scores = { data: Float64Array.of(1, 2, 3, 4, 5, 6), rows: 3, cols: 2 };
    const matrix = parseNpy(encodeNpy(scores));
    expect(matrix).toMatchObject({ shape: [3, 2], dtype: 'f8' });
    expect(Array.from(matrix.data as Float64Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(encodeNpy(scores)).toEqual(encodeNpy({ data: scores.data, shape: [3, 2], dtype: 'f8' }));
    const owned: [NpyArray['data'], string][] = [
      [Float32Array.of(1.5), 'f4'],
      [Int32Array.of(-3, 0, 2), 'i4'],
      [BigInt64Array.of(7n), 'i8'],
      [Uint8Array.of(1, 0), 'u1'],
      [Uint16Array.of(9), 'u2'],
    ];
    for (const [data, dtype] of owned) {
      const back = parseNpy(encodeNpy(data));
      expect(back).toMatchObject({ shape: [data.length], dtype });
      expect(Array.from(back.data as ArrayLike<number | bigint>)).toEqual(Array.from(data as ArrayLike<number | bigint>));
    }
    expect(parseNpy(encodeNpy({ data: Uint8Array.of(1, 0), shape: [2], dtype: 'b1' })).dtype).toBe('b1');
    expect(() => encodeNpy({ data: new Float64Array(6), rows: 2, cols: 2 })).toThrow(/array\.shape.*\[2, 2\]/);
    expect(() => encodeNpy([1, 2] as unknown as Float64Array)).toThrow(/^array: expected a typed array/);
  });

  it('rejects a dtype that does not match the typed array, and a wrong shape', () => {
    expect(() => encodeNpy({ data: new Float32Array(2), shape: [2], dtype: 'f8' })).toThrow(InputError);
    expect(() => encodeNpy({ data: new Float64Array(2), shape: [3], dtype: 'f8' })).toThrow(/array\.shape/);
    expect(() => encodeNpy({ data: new Float32Array(2), shape: [2], dtype: 'f2' })).toThrow(/array\.dtype/);
  });
});

describe('malformed files are FileFormatErrors naming the file', () => {
  const good = encodeNpy({ data: Float64Array.from([1, 2, 3, 4]), shape: [2, 2], dtype: 'f8' });
  const withHeader = (dict: string): Uint8Array => {
    const header = new TextEncoder().encode(dict.padEnd(117) + '\n');
    const bytes = new Uint8Array(10 + header.length + 32);
    bytes.set(good.subarray(0, 8));
    bytes[8] = header.length;
    bytes.set(header, 10);
    return bytes;
  };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    // What a save that failed before its first write leaves: said as such, not as a missing magic string.
    ['empty', new Uint8Array(0), /: it is empty \(0 bytes\), not a \.npy file; save the array with numpy\.save/],
    [
      'text',
      new TextEncoder().encode('label\n0\n1\n1\n'),
      /: it is text \(as numpy\.savetxt or a CSV writer writes\), not a \.npy file; save the array with numpy\.save/,
    ],
    ['truncated data', good.subarray(0, good.length - 1), /expected 32 data bytes.*found 31/],
    ['trailing bytes', Uint8Array.from([...good, 0]), /found 33/],
    ['truncated header', good.subarray(0, 40), /truncated header/],
    ['version 4', Uint8Array.from([...good.subarray(0, 6), 4, 0, ...good.subarray(8)]), /version 4\.0/],
    ['structured dtype', withHeader("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (4,), }"), /structured/],
    [
      'object dtype',
      withHeader("{'descr': '|O', 'fortran_order': False, 'shape': (4,), }"),
      /unsupported dtype '\|O' \([^)]*\): an object array, whose items numpy pickles; save np\.asarray\(a, dtype=np\.float64\) \(labels: dtype=np\.int64\)$/,
    ],
    [
      'string dtype (class names)',
      withHeader("{'descr': '<U8', 'fortran_order': False, 'shape': (4,), }"),
      /unsupported dtype '<U8' \([^)]*\): strings \(class names\?\); labels are class indices \(the column of each class in the scores\), e\.g\. \[classes\.index\(c\) for c in names\]$/,
    ],
    ['complex dtype', withHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }"), /unsupported dtype/],
    ['datetime dtype', withHeader("{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (4,), }"), /: unsupported dtype '<M8\[ns\]' \(/],
    ['no shape', withHeader("{'descr': '<f8', 'fortran_order': False, }"), /no 'shape'/],
    ['bad shape', withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -2), }"), /malformed shape/],
  ];
  it.each(cases)('%s', (_, bytes, reason) => {
    expect(() => parseNpy(bytes, 'scores.npy')).toThrow(FileFormatError);
    expect(() => parseNpy(bytes, 'scores.npy')).toThrow(/^scores\.npy: not a readable \.npy file/);
    expect(() => parseNpy(bytes, 'scores.npy')).toThrow(reason);
  });

  it('a missing file', async () => {
    await expect(readNpy('/nonexistent/labels.npy')).rejects.toThrow(/^\/nonexistent\/labels\.npy: cannot read/);
  });
});

describe('files that are not .npy files are told by their first bytes, with what to do', () => {
  it('an .npz archive and a pickle written by numpy and Python, naming the option', async () => {
    const npz = join(FIXTURES, 'scores.npz');
    await expect(readNpy(npz, '--model-scores')).rejects.toThrow(
      `--model-scores: ${npz}: not a readable .npy file: it is a NumPy .npz archive (zip; first array "scores"); save each array with numpy.save to its own .npy file`,
    );
    const pickle = join(FIXTURES, 'scores.pkl');
    await expect(readNpy(pickle, '--labels')).rejects.toThrow(
      `--labels: ${pickle}: not a readable .npy file: it is a Python pickle (protocol 4), not a .npy file; save the array with numpy.save(path, array) to a .npy file, not pickle.dump`,
    );
    // From bytes, as a pipe's or a browser's file are read.
    expect(() => parseNpy(new Uint8Array(readFileSync(npz)), 'x.npy')).toThrow(
      /^x\.npy: not a readable \.npy file: it is a NumPy \.npz archive/,
    );
  });

  /** The first bytes of a zip whose first entry is `name` (a local file header; the rest does not matter here). */
  const zipStart = (name: string): Uint8Array => {
    const bytes = new Uint8Array(30 + name.length + 8);
    bytes.set([0x50, 0x4b, 0x03, 0x04]);
    bytes[26] = name.length;
    bytes.set(new TextEncoder().encode(name), 30);
    return bytes;
  };
  const cases: Array<[string, Uint8Array, string]> = [
    [
      'a torch.save zip',
      zipStart('archive/data.pkl'),
      'it is a zip archive (first entry "archive/data.pkl"), not a .npy file; save the array',
    ],
    ['a zip cut short', zipStart('scores.npy').subarray(0, 20), 'it is a zip archive, not a .npy file'],
    [
      'a pickle of protocol 2 (old torch.save)',
      Uint8Array.of(0x80, 0x02, 0x8a, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0),
      'it is a Python pickle (protocol 2)',
    ],
    ['a pickle of protocol 5', Uint8Array.of(0x80, 0x05, 0x95), 'it is a Python pickle (protocol 5)'],
    ['0x80 then no pickle protocol', Uint8Array.of(0x80, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 'missing the \\x93NUMPY magic string'],
  ];
  it.each(cases)('%s', (_, bytes, reason) => {
    expect(() => parseNpy(bytes, 'f.npy')).toThrow(`f.npy: not a readable .npy file: ${reason}`);
  });
});

describe('writeNpy', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'npy-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically, refuses to overwrite, replaces with force', async () => {
    const path = join(dir, 'a.npy');
    await writeNpy(path, { data: Float64Array.from([1, 2]), shape: [2], dtype: 'f8' });
    await expect(writeNpy(path, { data: Float64Array.from([3]), shape: [1], dtype: 'f8' })).rejects.toThrow(OutputExistsError);
    expect(Array.from((await readNpy(path)).data as Float64Array)).toEqual([1, 2]);
    await writeNpy(path, { data: Float64Array.from([3]), shape: [1], dtype: 'f8' }, { force: true });
    expect(Array.from((await readNpy(path)).data as Float64Array)).toEqual([3]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  const python = spawnSync(process.env.PYTHON ?? '/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  const hasNumpy = python.status === 0;
  if (!hasNumpy) console.warn('NOTICE: skipping the numpy read-back test (no python3 with numpy)');

  it.skipIf(!hasNumpy)('numpy reads what writeNpy wrote, value for value', async () => {
    const script = [
      'import json, sys, numpy as np',
      'out = []',
      'for path in sys.argv[1:]:',
      '    a = np.load(path)',
      "    out.append({'shape': list(a.shape), 'dtype': a.dtype.str, 'c': bool(a.flags.c_contiguous),",
      "                'values': [repr(v) for v in a.ravel().tolist()]})",
      'print(json.dumps(out))',
    ].join('\n');
    const paths: string[] = [];
    for (const [i, array] of writable.entries()) {
      const path = join(dir, `w${i}.npy`);
      await writeNpy(path, array);
      paths.push(path);
    }
    const result = spawnSync(process.env.PYTHON ?? '/usr/bin/python3', ['-c', script, ...paths], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const loaded = JSON.parse(result.stdout) as Array<{ shape: number[]; dtype: string; values: string[] }>;
    const numpyDescr: Record<string, string> = { b1: '|b1', i1: '|i1', u1: '|u1' };
    for (const [i, array] of writable.entries()) {
      expect(loaded[i]!.shape).toEqual(array.shape);
      expect(loaded[i]!.dtype).toBe(numpyDescr[array.dtype] ?? `<${array.dtype}`);
      const fromPython = (text: string): number | string => {
        if (array.dtype === 'b1') return text === 'True' ? 1 : 0;
        if (!array.dtype.startsWith('f')) return text;
        return text === 'nan' ? NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
      };
      const ours = Array.from(array.data as ArrayLike<number | bigint>, (v) =>
        array.dtype.startsWith('f') || array.dtype === 'b1' ? Number(v) : String(v),
      );
      expect(loaded[i]!.values.map(fromPython)).toEqual(ours);
    }
  });

  it('writes a pool straight from syntheticPool: its matrices and labels read back as they were', async () => {
    const pool = syntheticPool({ poolSize: 50, classCount: 3, seed: 2 });
    await writeNpy(join(dir, 'pool-f.npy'), pool.modelScores);
    await writeNpy(join(dir, 'pool-y.npy'), pool.labels);
    const scores = await readNpy(join(dir, 'pool-f.npy'));
    expect(scores.shape).toEqual([50, 3]);
    expect(scores.data).toEqual(pool.modelScores.data);
    expect((await readNpy(join(dir, 'pool-y.npy'))).data).toEqual(pool.labels);
  });

  it('writes nothing when encoding fails', async () => {
    const path = join(dir, 'bad.npy');
    await expect(writeNpy(path, { data: new Float32Array(1), shape: [1], dtype: 'i8' })).rejects.toThrow(InputError);
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a shape that is not a list of dimensions with an InputError naming array.shape, writing nothing', async () => {
    const path = join(dir, 'no-shape.npy');
    const expected = 'array.shape: expected a list of dimensions whose product is data.length (4)';
    for (const [shape, message] of [
      [undefined, expected],
      [4, `${expected}, got 4`],
      [null, `${expected}, got null`],
      // A typed array is no list, though its numbers would make one.
      [new Int32Array([2, 2]), `${expected}, got an Int32Array of length 2`],
    ] as const) {
      const input = { data: new Float64Array(4), shape } as unknown as NpyArray;
      for (const thrown of [await caught(() => writeNpy(path, input)), await caught(() => encodeNpy(input))]) {
        expect(thrown).toBeInstanceOf(InputError);
        expect((thrown as InputError).message).toBe(message);
      }
    }
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });
});

describe('encodeNpy shapes', () => {
  it('takes a readonly (frozen) list of dimensions', () => {
    const data = new Float64Array([1, 2, 3, 4]);
    expect(encodeNpy({ data, shape: Object.freeze([2, 2]) })).toEqual(encodeNpy({ data, shape: [2, 2] }));
  });
});

describe('a malformed file on disk', () => {
  it('names the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npy-bad-'));
    const path = join(dir, 'labels.npy');
    await writeFile(path, 'not numpy');
    await expect(readNpy(path)).rejects.toThrow(`${path}: not a readable .npy file`);
    await rm(dir, { recursive: true });
  });
});

describe('int64FromInt32', () => {
  it('writes the same 64-bit integers as BigInt conversion, sign extension included, and round-trips through .npy', () => {
    const values = Int32Array.of(0, 1, -1, 7, -123456, 2147483647, -2147483648, 99999);
    const wide = int64FromInt32(values);
    expect(Array.from(wide)).toEqual(Array.from(values, BigInt));
    const parsed = parseNpy(encodeNpy({ data: wide, shape: [8], dtype: 'i8' }));
    expect(Array.from(parsed.data as BigInt64Array)).toEqual(Array.from(values, BigInt));
  });
});

describe('int64NpyParts', () => {
  /** The parts joined, each copied when it is produced (the next one reuses its buffer). */
  const joined = (parts: Iterable<Uint8Array>): Uint8Array => {
    const copies = Array.from(parts, (part) => part.slice());
    const out = new Uint8Array(copies.reduce((total, part) => total + part.length, 0));
    copies.reduce((offset, part) => (out.set(part, offset), offset + part.length), 0);
    return out;
  };

  it.each([0, 1, 65_536, 65_536 * 2 + 3])('gives the bytes of encodeNpy of int64FromInt32 (%i values, blocks of 65,536)', (length) => {
    const values = Int32Array.from({ length }, (_, i) => (i % 3 === 0 ? -i : i * 7919) | 0);
    const shape = length % 2 === 0 ? [2, length / 2] : [length];
    const bytes = joined(int64NpyParts(values, shape));
    expect(Buffer.from(bytes).equals(Buffer.from(encodeNpy({ data: int64FromInt32(values), shape, dtype: 'i8' })))).toBe(true);
    expect(Array.from(parseNpy(bytes).data as BigInt64Array).slice(0, 4)).toEqual(Array.from(values.subarray(0, 4), BigInt));
  });

  it('refuses a shape that does not match the values before any part is made', () => {
    expect(() => int64NpyParts(new Int32Array(6), [4, 2])).toThrow(InputError);
  });
});
