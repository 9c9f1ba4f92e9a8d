import { createHash, type Hash } from 'node:crypto';

/**
 * The end of a session header line that carries its checksum: the last key of the header's JSON
 * object, `"checksum":"sha256:<64 hex digits>"`. The digest is of the line without that key, i.e.
 * of the bytes of the header's JSON as it would be written with no checksum: the line up to the
 * comma before the key, then the closing brace.
 */
const CHECKSUM_KEY = ',"checksum":"sha256:';
const DIGEST_LENGTH = 64;
const CLOSING = '"}';

/** The bytes that end a header line with its checksum: the key, the value and the object's closing brace. */
const FIELD_LENGTH = CHECKSUM_KEY.length + DIGEST_LENGTH + CLOSING.length;
/** The characters the checksum adds to a header line. */
export const CHECKSUM_ADDED_LENGTH = FIELD_LENGTH - 1;

const CLOSING_BRACE = 0x7d;
const CARRIAGE_RETURN = 0x0d;
/** The line's last bytes that may be the checksum's key and value, a carriage return after them included (an editor's CRLF). */
const HELD = FIELD_LENGTH + 1;
const FIELD_AT_END = /^,"checksum":"sha256:([0-9a-f]{64})"\}\r?$/;

/**
 * Hashes a JSON object's bytes as they are written, a chunk at a time, and gives the checksum
 * field that ends the line in place of the object's closing brace.
 */
export class ChecksumWriter {
  private readonly hash = createHash('sha256');
  private lastByte: number | undefined;

  update(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    this.lastByte = chunk[chunk.length - 1];
  }

  /**
   * What replaces the object's closing brace (the last byte given): the checksum's key and value,
   * then the brace.
   * @throws {Error} when the bytes given do not end a JSON object.
   */
  field(): Buffer {
    if (this.lastByte !== CLOSING_BRACE) throw new Error('a session header must be a JSON object');
    return Buffer.from(`${CHECKSUM_KEY}${this.hash.digest('hex')}${CLOSING}`, 'latin1');
  }
}

/** What a header line's checksum says: the digest stored at the line's end (undefined when it has none there) and the one its bytes give. */
export interface LineChecksum {
  stored: string | undefined;
  computed: string;
}

/**
 * Hashes a header line as it is read, a chunk at a time (`update` gets each of its bytes once, in
 * order), leaving out a checksum field that ends it. The last bytes seen are held back until the
 * line ends, as they may be that field.
 */
export class ChecksumReader {
  private readonly hash: Hash = createHash('sha256');
  private held: Buffer = Buffer.alloc(0);

  update(chunk: Uint8Array): void {
    if (chunk.length >= HELD) {
      this.hash.update(this.held);
      this.hash.update(chunk.subarray(0, chunk.length - HELD));
      this.held = Buffer.from(chunk.subarray(chunk.length - HELD));
      return;
    }
    const all = Buffer.concat([this.held, chunk]);
    const cut = Math.max(0, all.length - HELD);
    this.hash.update(all.subarray(0, cut));
    this.held = all.subarray(cut);
  }

  /** The stored and computed digests, once the whole line was given. */
  end(): LineChecksum {
    // The field as it is written, with the carriage return an editor may have added after the line.
    const start = this.held.length - FIELD_LENGTH - (this.held[this.held.length - 1] === CARRIAGE_RETURN ? 1 : 0);
    const field = start >= 0 ? FIELD_AT_END.exec(this.held.toString('latin1', start)) : null;
    if (field === null) return { stored: undefined, computed: this.hash.update(this.held).digest('hex') };
    this.hash.update(this.held.subarray(0, start));
    this.hash.update(Buffer.of(CLOSING_BRACE));
    return { stored: field[1], computed: this.hash.digest('hex') };
  }
}

/** The checksum of a header line given whole (as `ChecksumReader` computes it). */
export function lineChecksum(line: Uint8Array): LineChecksum {
  const reader = new ChecksumReader();
  reader.update(line);
  return reader.end();
}

/**
 * The end of a journal record line (every line after the header) that carries its check: the last
 * key of the record's JSON object, `"c":"<8 hex digits>"`, the CRC-32 of the line without that key
 * (the record's JSON as it would be written with no check: the line up to the comma before the key,
 * then the closing brace), as the header's checksum is of the header without it. A CRC-32, not a
 * SHA-256: the check is against a disk, a copy or an edit changing bytes by accident, which a CRC-32
 * detects in any burst of up to 32 bits and otherwise misses once in 4·10^9, at 15 bytes a line
 * rather than 80 (a session appends one line per label). The sequence number `s` inside the line
 * is what detects a line deleted, repeated or moved.
 */
const RECORD_CHECK_KEY = Buffer.from(',"c":"', 'latin1');
const RECORD_CHECK_DIGITS = 8;
/** The bytes of the check's field: the key, the digits, the quote and the object's closing brace. */
const RECORD_CHECK_LENGTH = RECORD_CHECK_KEY.length + RECORD_CHECK_DIGITS + CLOSING.length;
const QUOTE = 0x22;

/** CRC-32 (the polynomial of zlib, gzip and PNG) of each byte value, for `crc32`. */
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, byte) => {
  let c = byte;
  for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/**
 * The CRC-32 of `bytes` (zlib's `crc32`, which Node has only from 20.15 and 22.2), continued from
 * `crc`, the CRC-32 of the bytes before them.
 * @example
 * crc32(Buffer.from('123456789')); // 3421780262 (0xcbf43926, the standard check value)
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const hex8 = (crc: number): string => crc.toString(16).padStart(8, '0');

/**
 * The line that stores `record` in a journal, newline included: its JSON with its check as the
 * last field.
 * @example
 * checkedRecordLine({ s: 1, e: 'propose', i: 3, q: 0.25 }).toString(); // '{"s":1,"e":"propose","i":3,"q":0.25,"c":"2e97e828"}\n'
 */
export function checkedRecordLine(record: object): Buffer {
  const json = JSON.stringify(record);
  // An object without keys would read `{,"c":…}`; every record has its kind and sequence number.
  if (!json.startsWith('{"')) throw new Error('a journal record must be a JSON object with at least one key');
  const check = hex8(crc32(Buffer.from(json, 'utf8')));
  return Buffer.from(`${json.slice(0, -1)},"c":"${check}"}\n`, 'utf8');
}

/** The value of a lower-case hexadecimal digit's byte, or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

/**
 * Where the check's field begins in a record line (without its newline, with or without an
 * editor's carriage return) and the check it stores, or undefined when the line does not end in one.
 */
function recordCheckField(line: Uint8Array, anyKey = false): { start: number; stored: number } | undefined {
  const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
  const start = end - RECORD_CHECK_LENGTH;
  if (start < 1 || line[end - 1] !== CLOSING_BRACE || line[end - 2] !== QUOTE) return undefined;
  for (let k = 0; k < RECORD_CHECK_KEY.length; k++) {
    // The key's one letter, at offset 2 of `,"c":"`.
    if (line[start + k] !== RECORD_CHECK_KEY[k] && !(anyKey && k === 2)) return undefined;
  }
  let stored = 0;
  for (let k = start + RECORD_CHECK_KEY.length; k < end - CLOSING.length; k++) {
    const digit = hexDigit(line[k]);
    if (digit < 0) return undefined;
    stored = stored * 16 + digit;
  }
  return { start, stored };
}

/** The CRC-32 of the closing brace continued from `crc`: `crc32(Buffer.of(CLOSING_BRACE), crc)` without the buffer. */
function withClosingBrace(crc: number): number {
  const c = ~crc;
  return ~(CRC_TABLE[(c ^ CLOSING_BRACE) & 0xff] ^ (c >>> 8)) >>> 0;
}

/**
 * Whether a record line (without its newline) ends in a check as `checkedRecordLine` writes it:
 * then it was written whole, since a write a crash interrupts leaves only a start of the line.
 */
export function endsInRecordCheck(line: Uint8Array): boolean {
  return recordCheckField(line) !== undefined;
}

/**
 * Whether a record line (without its newline) without a check ends in one whose key was changed
 * (`"a":"…"` for `"c":"…"`, a single flipped bit): its last field is a one-letter key with 8 hex
 * digits that are the CRC-32 of the line without that field. Such a line would otherwise read as
 * written before records carried checks, its contents unchecked.
 */
export function hasDamagedCheckKey(line: Uint8Array): boolean {
  const field = recordCheckField(line, true);
  return field !== undefined && withClosingBrace(crc32(line.subarray(0, field.start))) === field.stored;
}

/**
 * What the check of a record line (without its newline) says of it, `record` being the line
 * parsed: `none`, the line has no check (written before records carried one); `valid`, it matches,
 * and is taken out of `record`; `mismatch`, the line's bytes changed after it was written; or
 * `misplaced`, `record` has a key `c` that is not the check as it is written, the line's last field.
 */
export function verifyRecordLine(line: Uint8Array, record: Record<string, unknown>): 'none' | 'valid' | 'mismatch' | 'misplaced' {
  const field = recordCheckField(line);
  if (field === undefined) return Object.hasOwn(record, 'c') ? 'misplaced' : 'none';
  const computed = withClosingBrace(crc32(line.subarray(0, field.start)));
  if (computed !== field.stored || record.c !== hex8(field.stored)) return 'mismatch';
  delete record.c;
  return 'valid';
}
