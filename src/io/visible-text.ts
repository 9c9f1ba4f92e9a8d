/**
 * Text from a data file shown as text, on a terminal or in the browser page: control characters
 * are made visible instead of obeyed, so an escape sequence in the data can never retitle the
 * window, clear the screen, move the cursor or reorder what is shown. C0 controls become their
 * Unicode pictures (ESC → ␛, CR → ␍, NUL → ␀), DEL becomes ␡, and C1 controls, bidirectional
 * controls and invisible formatting characters a `<U+XXXX>` tag. Newlines and tabs stay as they
 * are, so the text keeps its layout. Pure, no DOM: the terminal and the page share it.
 */

/** One piece of text: plain, or the visible stand-in for a control character. */
export interface TextPiece {
  text: string;
  control: boolean;
}

// eslint-disable-next-line no-control-regex -- control characters are what this renders visibly
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** The visible stand-in for one control character. */
function controlPicture(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/**
 * Splits `text` into plain runs and control characters, each control character replaced by its
 * visible stand-in (the page styles the stand-ins apart from the text).
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

/**
 * `text` with every control character replaced by its visible stand-in.
 *
 * @example
 * visibleText('bad\x1b]0;owned\x07 title'); // 'bad␛]0;owned␇ title'
 * visibleText('two\nlines'); // unchanged
 */
export function visibleText(text: string): string {
  return text.replace(CONTROL, controlPicture);
}
