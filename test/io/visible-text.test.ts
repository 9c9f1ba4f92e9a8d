import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

  it('keeps zero-width joiners after letters and emoji, and tags them elsewhere', () => {
    const family = '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}'; // 👨‍👩‍👧
    const coder = '\u{1f9d1}\u{1f3fd}\u200d\u{1f4bb}'; // 🧑🏽‍💻, a skin tone before the joiner
    const rainbow = '\u{1f3f3}\ufe0f\u200d\u{1f308}'; // 🏳️‍🌈, a variation selector before it
    const persian = 'می\u200cخواهم'; // "I want": a non-joiner between letters
    const malayalam = 'അവന്\u200d'; // "he": the word ends in a chillu, a joiner after a virama (a mark)
    const text = `${family} ${coder} ${rainbow} ${persian} ${malayalam} x`;
    expect(visibleText(text)).toBe(text);
    expect(visibleText('\u200dlead a \u200db a\u200d\u200cb')).toBe('<U+200D>lead a <U+200D>b a\u200d<U+200C>b');
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

describe('the browser page bundle', () => {
  const bundle = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/page/app.js');
  it.skipIf(!existsSync(bundle))('has no lookbehind, which Safari before 16.4 cannot parse: the page would not start', () => {
    // The page builds visibleText's pattern as it loads (es2020: nothing lowers a RegExp made at run time).
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/\(\?<[!=]/);
  });
});
