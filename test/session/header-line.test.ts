import { describe, expect, it } from 'vitest';
import { buildHeader, headerLineChunks, parseHeaderLine, storedMatrix, type StoredMatrix } from '../../src/session/header.js';

const encode = (values: Float64Array): string => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
const decode = (text: string): Float64Array => new Float64Array(Uint8Array.from(Buffer.from(text, 'base64')).buffer);
const line = (header: object): Buffer => Buffer.from(JSON.stringify(header));

/** Scores with the awkward doubles: −0, a subnormal, the extremes. */
function scores(count: number, seed: number): Float64Array {
  const special = [-0, 5e-324, 2.2e-308, 1.7976931348623157e308, -1.7976931348623157e308, 0.1];
  return Float64Array.from({ length: count }, (_, i) =>
    i < special.length ? special[(i + seed) % special.length]! : Math.sin(i * 12.9898 + seed) * 43758.5453,
  );
}

function header(rows: number, cols: number, extra: object = {}): Record<string, unknown> {
  return {
    format: 'active-testing-session',
    texts: ['plain', 'a text with "float64":"AAAA" in it', '#0', 'back\\slash', 'ünïcödé'],
    targetScores: { rows, cols, float64: encode(scores(rows * cols, 1)) },
    comparisonScores: null,
    surrogateScores: { rows, cols, float64: encode(scores(rows * cols, 2)) },
    ...extra,
  };
}

describe('parseHeaderLine', () => {
  // 8·count bytes leave 0, 2 and 1 bytes after the last whole group of three: no padding, '=', '=='.
  it.each([
    [3, 2],
    [7, 1],
    [5, 1],
  ])('reads a %i×%i header as JSON.parse does, the scores decoded bit for bit', (rows, cols) => {
    const written = header(rows, cols);
    const parsed = parseHeaderLine(line(written));
    expect(parsed).toBeDefined();
    const { targetScores, surrogateScores, ...rest } = parsed!;
    const {
      targetScores: target,
      surrogateScores: surrogate,
      ...expectedRest
    } = JSON.parse(JSON.stringify(written)) as Record<string, StoredMatrix>;
    expect(rest).toEqual(expectedRest);
    for (const [stored, expected] of [
      [targetScores, target],
      [surrogateScores, surrogate],
    ] as [StoredMatrix, StoredMatrix][]) {
      expect(storedMatrix(stored)).toEqual({ rows, cols, data: decode(expected.float64) });
      expect(stored.float64).toBe(expected.float64);
    }
    expect(storedMatrix(targetScores as StoredMatrix)!.data.slice(0, 2)).toEqual(Float64Array.of(5e-324, 2.2e-308));
    expect(Object.is(storedMatrix(surrogateScores as StoredMatrix)!.data[4], -0)).toBe(true);
  });

  const text = (header: Record<string, unknown>, name: string) => (header[name] as StoredMatrix).float64;
  const edited = (edit: (h: Record<string, unknown>) => void) => {
    const h = header(7, 1);
    edit(h);
    return line(h);
  };

  it.each([
    [
      'a character outside base64',
      (h: Record<string, unknown>) => void ((h.targetScores as StoredMatrix).float64 = `!${text(h, 'targetScores').slice(1)}`),
    ],
    [
      'padding inside the text',
      (h: Record<string, unknown>) =>
        void ((h.targetScores as StoredMatrix).float64 = `${text(h, 'targetScores').slice(0, 4)}=${text(h, 'targetScores').slice(5)}`),
    ],
    [
      'a missing padding character',
      (h: Record<string, unknown>) => void ((h.targetScores as StoredMatrix).float64 = `${text(h, 'targetScores').slice(0, -1)}A`),
    ],
    [
      'a text cut short',
      (h: Record<string, unknown>) => void ((h.surrogateScores as StoredMatrix).float64 = text(h, 'surrogateScores').slice(0, -4)),
    ],
    [
      'a non-finite score',
      (h: Record<string, unknown>) => void ((h.surrogateScores as StoredMatrix).float64 = encode(Float64Array.of(1, 2, 3, NaN, 5, 6, 7))),
    ],
    ['a shape that is not a count', (h: Record<string, unknown>) => void ((h.targetScores as StoredMatrix).rows = 7.5)],
    ['the key in another object', (h: Record<string, unknown>) => void (h.calibration = { float64: 'AAAA' })],
  ])('gives up on %s, so that the plain parse reports it', (_name, edit) => {
    expect(parseHeaderLine(edited(edit))).toBeUndefined();
  });

  it('gives up on a line without stored scores and on a line that is not JSON', () => {
    expect(parseHeaderLine(line({ format: 'active-testing-session', targetScores: null }))).toBeUndefined();
    expect(parseHeaderLine(line(header(3, 2)).subarray(0, 200))).toBeUndefined();
  });
});

describe('headerLineChunks', () => {
  /** The chunks copied as they come: each may reuse the memory of the one before. */
  const joined = (chunks: Iterable<Uint8Array>) => {
    const copies: Buffer[] = [];
    for (const chunk of chunks) copies.push(Buffer.from(chunk));
    return Buffer.concat(copies);
  };

  // Score counts leaving 0, 2 and 1 bytes after the last group of three, and one text over a chunk.
  it.each([
    [6, 2],
    [7, 2],
    [5, 2],
    [20_001, 5],
  ])('writes the bytes of JSON.stringify for a %i×%i pool, and parseHeaderLine reads them back', (rows, cols) => {
    // Exponents spread over the whole range, so that the last bytes encoded (a double's sign and
    // exponent) differ from score to score.
    const scores = (seed: number) => ({
      data: Float64Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 7.1 + seed) * 10 ** (((i * 37 + seed) % 600) - 300)),
      shape: [rows, cols],
    });
    const texts = Array.from({ length: rows }, (_, i) => (i === 0 ? '"float64":""' : i === 1 ? '#0' : `item ${i}`));
    const classes = Array.from({ length: cols }, (_, k) => `c${k}`);
    const options = { texts, classes, modelScores: scores(1), comparisonScores: scores(2), surrogateScores: scores(3), seed: 0 };
    const header = buildHeader(options, 'cross-entropy', false);
    const bytes = joined(headerLineChunks(header));
    expect(bytes.equals(Buffer.from(JSON.stringify(header)))).toBe(true);
    const parsed = parseHeaderLine(bytes)!;
    expect(storedMatrix(parsed.targetScores as StoredMatrix)).toEqual(storedMatrix(header.targetScores));
    expect(storedMatrix(parsed.surrogateScores as StoredMatrix)).toEqual(storedMatrix(header.surrogateScores));
  });

  it('writes a header without stored scores as JSON.stringify does', () => {
    const header = buildHeader({ texts: ['a', 'b'], classes: ['x', 'y'], seed: 0, acquisition: 'iid' }, 'cross-entropy', true);
    expect(joined(headerLineChunks(header)).equals(Buffer.from(JSON.stringify(header)))).toBe(true);
  });
});
