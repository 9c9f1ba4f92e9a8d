/**
 * Text from a data file made safe to print on a terminal: control characters are shown instead
 * of obeyed, so an escape sequence in the data can never retitle the window, clear the screen or
 * move the cursor. C0 controls become their Unicode pictures (ESC → ␛, CR → ␍, NUL → ␀), DEL
 * becomes ␡, C1 controls and the bidirectional overrides that reorder what is shown become
 * `\u009b`-style escapes. Newlines and tabs stay as they are, so the text keeps its layout.
 *
 * @example
 * visibleText('bad\x1b]0;owned\x07 title'); // 'bad␛]0;owned␇ title'
 * visibleText('two\nlines'); // unchanged
 */
export function visibleText(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this renders visibly
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
