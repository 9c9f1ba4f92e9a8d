import { describe, expect, it } from 'vitest';
import { splitControlCharacters, visibleText } from '../../src/io/visible-text.js';

describe('visibleText', () => {
  it('shows terminal escape sequences instead of letting them act', () => {
    expect(visibleText('a\x1b]0;owned\x07b')).toBe('a␛]0;owned␇b');
    expect(visibleText('\x1b[2J\x1b[Hclear')).toBe('␛[2J␛[Hclear');
    expect(visibleText('over\rwrite\b')).toBe('over␍write␈');
    expect(visibleText('nul\0del\x7f')).toBe('nul␀del␡');
  });

  it('escapes C1 controls (CSI 0x9b) and bidirectional overrides', () => {
    expect(visibleText('x\u009b2Jy')).toBe('x<U+009B>2Jy');
    expect(visibleText('abc\u202edef\u2066\u200b')).toBe('abc<U+202E>def<U+2066><U+200B>');
  });

  it('keeps newlines, tabs and every printable character, accents and emoji included, as they are', () => {
    const text = 'line one\n\ttabbed — café ✓ 😀 日本語';
    expect(visibleText(text)).toBe(text);
  });

  it('leaves no control character (other than newline and tab) in any output', () => {
    let all = '';
    for (let c = 0; c < 0x300; c++) all += String.fromCharCode(c);
    // eslint-disable-next-line no-control-regex
    expect(visibleText(all).replace(/[\n\t]/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe('splitControlCharacters', () => {
  it('shows C0, DEL, C1 and bidi controls visibly and keeps newlines and tabs', () => {
    expect(splitControlCharacters('a\u001b[31mb\u0007\n\tc\u007f\u009b\u202e')).toEqual([
      { text: 'a', control: false },
      { text: '␛', control: true },
      { text: '[31mb', control: false },
      { text: '␇', control: true },
      { text: '\n\tc', control: false },
      { text: '␡', control: true },
      { text: '<U+009B>', control: true },
      { text: '<U+202E>', control: true },
    ]);
    expect(splitControlCharacters('<script>plain</script>')).toEqual([{ text: '<script>plain</script>', control: false }]);
    expect(splitControlCharacters('')).toEqual([]);
  });
});
