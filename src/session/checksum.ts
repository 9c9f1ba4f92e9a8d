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
