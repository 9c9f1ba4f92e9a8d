/**
 * Base64 (RFC 4648, '=' padding, as `Buffer.toString('base64')` writes it) between byte arrays,
 * without the strings Node's own codec goes through: for session files whose score texts run to
 * hundreds of megabytes.
 */

/** The 64 digits' ASCII codes, in order. */
const BASE64_ALPHABET = Uint8Array.from(Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'));

/** Characters of base64 text for `bytes` bytes. */
export const base64Length = (bytes: number): number => 4 * Math.ceil(bytes / 3);

/** The value of each byte as a base64 digit, −1 for a byte outside the alphabet ('=' included). */
const BASE64_DIGITS = (() => {
  const digits = new Int8Array(256).fill(-1);
  for (let d = 0; d < BASE64_ALPHABET.length; d++) digits[BASE64_ALPHABET[d]] = d;
  return digits;
})();

const PADDING = 0x3d;

/**
 * Decodes the base64 text `text[start, start + base64Length(out.length))` into `out`: whole groups
 * of four digits, the last one padded with '=' as `Buffer.toString('base64')` pads it. False at the
 * first byte outside the alphabet or a misplaced '=' (`Buffer.from` would skip it and decode short).
 */
export function decodeBase64Into(text: Uint8Array, start: number, out: Uint8Array): boolean {
  const whole = out.length - (out.length % 3);
  let at = start;
  let o = 0;
  for (; o < whole; o += 3, at += 4) {
    const a = BASE64_DIGITS[text[at]];
    const b = BASE64_DIGITS[text[at + 1]];
    const c = BASE64_DIGITS[text[at + 2]];
    const d = BASE64_DIGITS[text[at + 3]];
    if ((a | b | c | d) < 0) return false;
    const group = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = group >> 16;
    out[o + 1] = (group >> 8) & 0xff;
    out[o + 2] = group & 0xff;
  }
  const left = out.length - whole;
  if (left === 0) return true;
  const a = BASE64_DIGITS[text[at]];
  const b = BASE64_DIGITS[text[at + 1]];
  const c = left === 2 ? BASE64_DIGITS[text[at + 2]] : 0;
  if ((a | b | c) < 0 || (left === 1 && text[at + 2] !== PADDING) || text[at + 3] !== PADDING) return false;
  const group = (a << 18) | (b << 12) | (c << 6);
  out[o] = group >> 16;
  if (left === 2) out[o + 1] = (group >> 8) & 0xff;
  return true;
}

/** Groups of three bytes encoded per chunk of `base64Chunks` (1 MB of text). */
const CHUNK_GROUPS = 1 << 18;

/**
 * `Buffer.from(bytes).toString('base64')` as ASCII bytes, a chunk at a time in one reused array:
 * each chunk must be consumed before the next is asked for.
 */
export function* base64Chunks(bytes: Uint8Array): Generator<Uint8Array> {
  const out = new Uint8Array(CHUNK_GROUPS * 4);
  const whole = bytes.length - (bytes.length % 3);
  for (let from = 0; from < whole; from += CHUNK_GROUPS * 3) {
    const end = Math.min(whole, from + CHUNK_GROUPS * 3);
    let o = 0;
    for (let i = from; i < end; i += 3, o += 4) {
      const group = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      out[o] = BASE64_ALPHABET[group >> 18];
      out[o + 1] = BASE64_ALPHABET[(group >> 12) & 63];
      out[o + 2] = BASE64_ALPHABET[(group >> 6) & 63];
      out[o + 3] = BASE64_ALPHABET[group & 63];
    }
    yield out.subarray(0, o);
  }
  const left = bytes.length - whole;
  if (left === 0) return;
  const group = (bytes[whole] << 16) | (left === 2 ? bytes[whole + 1] << 8 : 0);
  out[0] = BASE64_ALPHABET[group >> 18];
  out[1] = BASE64_ALPHABET[(group >> 12) & 63];
  out[2] = left === 2 ? BASE64_ALPHABET[(group >> 6) & 63] : PADDING;
  out[3] = PADDING;
  yield out.subarray(0, 4);
}
