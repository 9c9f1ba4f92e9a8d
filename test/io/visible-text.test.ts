import { describe, expect, it } from 'vitest';
import { visibleText } from '../../src/io/visible-text.js';

describe('visibleText', () => {
  it('shows terminal escape sequences instead of letting them act', () => {
    expect(visibleText('a\x1b]0;owned\x07b')).toBe('a␛]0;owned␇b');
    expect(visibleText('\x1b[2J\x1b[Hclear')).toBe('␛[2J␛[Hclear');
    expect(visibleText('over\rwrite\b')).toBe('over␍write␈');
    expect(visibleText('nul\0del\x7f')).toBe('nul␀del␡');
  });

  it('escapes C1 controls (CSI 0x9b) and bidirectional overrides', () => {
    expect(visibleText('x\u009b2Jy')).toBe('x\\u009b2Jy');
    expect(visibleText('abc\u202edef\u2066')).toBe('abc\\u202edef\\u2066');
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
