import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHeader, headerLineChunks, headerLineParser, storedMatrix, type StoredMatrix } from '../../src/session/header.js';
import { FileJournal } from '../../src/session/journal.js';

const dir = mkdtempSync(join(tmpdir(), 'at-streamed-header-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A header of an n×k pool with target, comparison and surrogate scores whose doubles use every exponent. */
function poolHeader(n: number, k: number) {
  const scores = (seed: number) => ({
    data: Float64Array.from({ length: n * k }, (_, i) => Math.sin(i * 7.1 + seed) * 10 ** (((i * 37 + seed) % 600) - 300)),
    shape: [n, k],
  });
  const texts = Array.from({ length: n }, (_, i) => (i === 0 ? '"float64":""' : i === 1 ? 'ünïcödé #0' : `item ${i}`));
  const classes = Array.from({ length: k }, (_, c) => `c${c}`);
  const options = { texts, classes, modelScores: scores(1), comparisonScores: scores(2), surrogateScores: scores(3), seed: 0 };
  return buildHeader(options, 'cross-entropy', false);
}

/** The header's line, each chunk copied as it comes (the next may reuse its memory). */
function lineOf(header: ReturnType<typeof poolHeader>): Buffer {
  const copies: Buffer[] = [];
  for (const chunk of headerLineChunks(header)) copies.push(Buffer.from(chunk));
  return Buffer.concat(copies);
}

/** What `FileJournal.read` does with a parser: `size` more bytes of the line at a time, after those it left the time before. */
function pushInPieces(line: Buffer, size: number): Record<string, unknown> | undefined {
  const parser = headerLineParser(line.length);
  let from = 0;
  let to = 0;
  while (from < line.length) {
    to = Math.min(line.length, to + size);
    const last = to === line.length;
    const taken = parser.push(line.subarray(from, to), last);
    if (taken < 0) return undefined;
    from += taken;
    // All but a few: the start of a key, or of the text's last group of four.
    expect(to - from).toBeLessThanOrEqual(10);
    if (last) expect(from).toBe(line.length);
  }
  return parser.end();
}

const SCORES = ['targetScores', 'comparisonScores', 'surrogateScores'] as const;

describe('a session header read a chunk at a time', () => {
  // 8·count bytes leave 0, 2 and 1 bytes after the last whole group of three: no padding, '=', '=='.
  it.each([
    [3, 2, 1],
    [7, 2, 5],
    [5, 2, 11],
    [300, 7, 4097],
    [300, 7, 65_536 * 3 + 5],
  ])('reads a %i×%i header given %i bytes at a time as JSON.parse does, the scores bit for bit', (n, k, size) => {
    const header = poolHeader(n, k);
    const line = lineOf(header);
    const parsed = pushInPieces(line, size)!;
    expect(parsed).toBeDefined();
    const plain = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
    for (const name of SCORES) {
      const stored = parsed[name] as StoredMatrix;
      expect(stored.float64).toBe((plain[name] as StoredMatrix).float64);
      expect(Buffer.from(storedMatrix(stored)!.data.buffer).equals(Buffer.from(storedMatrix(header[name])!.data.buffer))).toBe(true);
      delete parsed[name];
      delete plain[name];
    }
    expect(parsed).toEqual(plain);
  });

  it('gives up on a text that is damaged or longer than its shape, whatever the pieces', () => {
    const line = lineOf(poolHeader(40, 3));
    const text = line.indexOf('"float64":"') + 11;
    const damaged = Buffer.from(line);
    damaged[text + 500] = 0x21; // '!'
    const longer = Buffer.concat([line.subarray(0, text), Buffer.from('AAAA'), line.subarray(text)]);
    for (const size of [7, 100, line.length]) {
      expect(pushInPieces(damaged, size)).toBeUndefined();
      expect(pushInPieces(longer, size)).toBeUndefined();
    }
  });
});

describe('FileJournal.read with the header parser', () => {
  it('reads a file over many chunks as the plain parse does: header, records, a torn tail', () => {
    const path = join(dir, 'large.session');
    const header = poolHeader(2000, 9);
    const journal = FileJournal.create(path, header, headerLineChunks);
    journal.append({ e: 'propose', i: 3, q: 0.25 });
    journal.append({ e: 'label', i: 3, y: 1 });
    journal.close();
    appendFileSync(path, '{"e":"skip","i":');
    const plain = FileJournal.read(path);
    for (const chunkSize of [4096, 65_537, 1 << 22]) {
      const streamed = FileJournal.read(path, headerLineParser, chunkSize);
      const { header: read, ...rest } = streamed;
      const { header: expected, ...expectedRest } = plain;
      expect(rest).toEqual(expectedRest);
      for (const name of SCORES) expect(storedMatrix(read[name] as StoredMatrix)).toEqual(storedMatrix(header[name]));
      expect(Object.keys(read)).toEqual(Object.keys(expected));
    }
  });

  it("checks the header's checksum however the file is read: every chunk size, and the plain parse", () => {
    const path = join(dir, 'checksum.session');
    FileJournal.create(path, poolHeader(5, 2), headerLineChunks).close();
    appendFileSync(path, '{"s":1,"e":"propose","i":3,"q":0.25}\n');
    const written = readFileSync(path);
    const lineEnd = written.indexOf(0x0a);
    // The line's end falls at every place in a chunk, and in the checksum's field, as the sizes go up.
    const reads = [() => FileJournal.read(path)];
    for (let chunkSize = 64; chunkSize <= 260; chunkSize++) reads.push(() => FileJournal.read(path, headerLineParser, chunkSize));
    for (const read of reads) expect(read()).toMatchObject({ checksummed: true, records: [{ s: 1, e: 'propose', i: 3, q: 0.25 }] });
    // One byte changed: in a text, in the scores, in the seed, in the checksum itself.
    const changes = [written.indexOf('item 3'), written.indexOf('"float64":"') + 20, written.indexOf('"seed":0') + 7, lineEnd - 3];
    for (const at of changes) {
      const changed = Buffer.from(written);
      changed[at] = changed[at] === 0x31 ? 0x32 : 0x31;
      writeFileSync(path, changed);
      for (const read of reads) expect(read).toThrow(/damaged session header \(its checksum does not match its contents/);
    }
  });

  it('reads a header that ends the file without its newline, and falls back to JSON for a header it cannot parse', () => {
    const path = join(dir, 'header-only.session');
    const line = lineOf(poolHeader(50, 2));
    writeFileSync(path, line);
    const streamed = FileJournal.read(path, headerLineParser, 1000);
    expect(streamed).toMatchObject({ records: [], validLength: line.length, needsNewline: true, tornLine: false });
    // Keys in another order: not as this library writes them, so parsed as plain JSON.
    const other = join(dir, 'other-order.session');
    const plain = JSON.parse(line.toString('utf8')) as Record<string, StoredMatrix>;
    const { float64, ...shape } = plain.targetScores!;
    writeFileSync(other, `${JSON.stringify({ ...plain, targetScores: { float64, ...shape } })}\n{"e":"propose","i":1,"q":0.5}\n`);
    const fallback = FileJournal.read(other, headerLineParser, 1000);
    expect((fallback.header.targetScores as StoredMatrix).float64).toBe(float64);
    expect(fallback.records).toEqual([{ e: 'propose', i: 1, q: 0.5 }]);
    expect(fallback.validLength).toBe(readFileSync(other).length);
  });
});
