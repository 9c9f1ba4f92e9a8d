/**
 * Text from a data file shown as text, on a terminal or in the browser page: control characters
 * are made visible instead of obeyed, so an escape sequence in the data can never retitle the
 * window, clear the screen, move the cursor or reorder what is shown. C0 controls become their
 * Unicode pictures (ESC → ␛, CR → ␍, NUL → ␀), DEL becomes ␡, and C1 controls, bidirectional
 * controls and invisible formatting characters a `<U+XXXX>` tag, except zero-width joiners and
 * non-joiners after a letter or emoji, which words and emoji sequences need. Newlines and tabs stay
 * as they are, so the text keeps its layout. Pure, no DOM: the terminal and the page share it.
 */

/** One piece of text: plain, or the visible stand-in for a control character. */
export interface TextPiece {
  text: string;
  control: boolean;
}

/**
 * What a zero-width joiner or non-joiner (U+200D, U+200C) may follow and be kept: a letter or mark
 * (Persian, Indic and other scripts write words with them; Malayalam ends a word with one after a
 * virama) or an emoji, with its skin tone (👨‍👩‍👧 is three emoji joined). Shown as tags there,
 * they would break ordinary text; anywhere else (first, after a space or another joiner) they are
 * tagged, as they then shape nothing and only hide something.
 */
const JOINABLE = String.raw`[\p{L}\p{M}\p{Extended_Pictographic}\p{Emoji_Modifier}]`;
/**
 * A kept joiner with the character before it (group 1: no lookbehind, which Safari before 16.4
 * cannot parse, and the page builds this pattern as it loads), or a control character.
 */
const CONTROL = new RegExp(
  String.raw`(${JOINABLE}[\u200c\u200d])` +
    String.raw`|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]`,
  'gu',
);

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
    if (match[1] !== undefined) continue;
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
  return text.replace(CONTROL, (match: string, kept: string | undefined) => kept ?? controlPicture(match));
}
