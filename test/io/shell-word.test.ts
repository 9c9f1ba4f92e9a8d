import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../src/io/shell-word.js';

describe('shellWord', () => {
  it('leaves a word the shell reads literally as it is', () => {
    for (const word of ['runs/a.session', '/tmp/x-1_2.tsv', 'a@b:c,d=e+f%', '../pool.tsv']) expect(shellWord(word)).toBe(word);
  });

  it('quotes anything else so that the shell reads back exactly the text', () => {
    const words = ['my runs/a.session', "it's.tsv", '$HOME/x', 'a;b', 'tab\there', 'new\nline', '*.tsv', '~/x', '', "''", 'é.tsv', '=ls'];
    for (const word of words) {
      const quoted = shellWord(word);
      expect(quoted).not.toBe(word);
      expect(execFileSync('/bin/sh', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' })).toBe(word);
    }
  });

  it('puts ./ before a path that starts with a dash, so that no command reads it as an option', () => {
    expect(shellWord('-x.session')).toBe('./-x.session');
    expect(shellWord('--force')).toBe('./--force');
    expect(shellWord('-my runs')).toBe("'./-my runs'");
    expect(shellWord('a-b')).toBe('a-b');
  });
});
