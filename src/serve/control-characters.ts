/**
 * Pool text shown as text: control characters (C0, DEL, C1) and invisible bidirectional controls
 * made visible instead of acting on the display. C0 characters become their Unicode "control
 * picture" (ESC → ␛), the others a `<U+XXXX>` tag. Line feeds and tabs are kept as layout.
 * Shared by the browser page; pure, no DOM.
 */

/** One piece of text: plain, or a visible stand-in for a control character. */
export interface TextPiece {
  text: string;
  control: boolean;
}

// eslint-disable-next-line no-control-regex -- control characters are what the page renders visibly
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** The visible stand-in for one control character. */
export function controlPicture(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/**
 * Splits `text` into plain runs and control characters, each control character replaced by its
 * visible stand-in.
 *
 * @example
 * splitControlCharacters('a\u001b[31m'); // [{ text: 'a', control: false }, { text: '␛', control: true }, { text: '[31m', control: false }]
 */
export function splitControlCharacters(text: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  let start = 0;
  for (const match of text.matchAll(CONTROL)) {
    const at = match.index as number;
    if (at > start) pieces.push({ text: text.slice(start, at), control: false });
    pieces.push({ text: controlPicture(match[0]), control: true });
    start = at + 1;
  }
  if (start < text.length) pieces.push({ text: text.slice(start), control: false });
  return pieces;
}
