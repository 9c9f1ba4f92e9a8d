/** Characters a POSIX shell reads literally in a word (and zsh: no `=` first): anything else makes the word quoted. */
const PLAIN_WORD = /^[\w@%+:,./-][\w@%+=:,./-]*$/;

/**
 * `text` as one word of a command a user may paste into a POSIX shell: as it is when the shell reads
 * it literally, else in single quotes (a quote inside written `'\''`). Messages that suggest a
 * command with a user's path use it, so a path with a space or a `$` pastes as that path.
 *
 * @example
 * shellWord('runs/a.session'); // 'runs/a.session'
 * shellWord('my runs/a.session'); // "'my runs/a.session'"
 * shellWord("it's.tsv"); // "'it'\\''s.tsv'"
 */
export function shellWord(text: string): string {
  return PLAIN_WORD.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
